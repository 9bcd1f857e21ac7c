"""What each page shows, read from the policy set through the core's public API — plain data for
the templates, so that the same data could feed a JSON twin of each page."""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from typing import Any

from .. import Diagnostic, Policies
from ..diff import CaseImpact, Change
from ..explain import to_json_value

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_TOKEN = re.compile(r"[0-9]+|[零〇一二三四五六七八九十百千]+|[^0-9零〇一二三四五六七八九十百千]+")


def _cn_number(s: str) -> int:
    total, digit = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return total + digit


def citation_key(article: str) -> tuple:
    """Order articles as a reader would: 第二条 before 第十条, 七(二) before 七(三), 附件1 before 附件3."""
    out = []
    for tok in _TOKEN.findall(article):
        if tok.isdigit():
            out.append((0, int(tok), ""))
        elif tok[0] in _CN_DIGITS or tok[0] in _CN_UNITS:
            out.append((0, _cn_number(tok), ""))
        else:
            out.append((1, 0, tok))
    return tuple(out)


def label(x: Any, lang: str) -> str:
    """A pack's label ({zh, en} or plain text) in ``lang``, Chinese where no English is given."""
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return (getattr(x, "en", None) if lang == "en" else None) or getattr(x, "zh", None) or ""


def doc_summary(d, lang: str) -> dict:
    return {"id": d.id, "title": label(d.title, lang), "number": d.number or "", "jurisdiction": d.jurisdiction,
            "effective": d.effective.isoformat(), "until": d.effective_until.isoformat() if d.effective_until else ""}


def tree(pol: Policies, as_of: _dt.date, lang: str) -> list[dict]:
    """The jurisdictions as a tree (depth-first, children by id), each with its documents in force."""
    ps = pol.policy_set
    children: dict[str | None, list[str]] = {}
    for j in ps.jurisdictions.values():
        children.setdefault(j.parent if j.parent in ps.jurisdictions else None, []).append(j.id)
    out: list[dict] = []

    def walk(jid: str, depth: int) -> None:
        j = ps.jurisdictions[jid]
        docs = ps.docs_at(jid)
        out.append({"id": jid, "name": label(j.name, lang), "level": j.level, "depth": depth,
                    "in_force": [doc_summary(d, lang) for d in docs if d.in_force(as_of)],
                    "other": [doc_summary(d, lang) for d in docs if not d.in_force(as_of)]})
        for c in sorted(children.get(jid, [])):
            walk(c, depth + 1)

    for root in sorted(children.get(None, [])):
        walk(root, 0)
    return out


def _names(pol: Policies, lang: str) -> dict[str, dict]:
    """Every id an article can be encoded by (rules, parameters, definitions) → what it is."""
    ps = pol.policy_set
    out: dict[str, dict] = {}
    for p in ps.params:
        out.setdefault(p.name, {"kind": "parameter", "label": label(p.label, lang), "line": p.span.line,
                                "note": label(p.note, lang), "value": to_json_value(p.value)})
    for d in ps.definitions:
        out.setdefault(d.name, {"kind": "definition", "label": label(d.label, lang), "line": d.span.line, "note": ""})
    for r in ps.rules:
        out[r.id] = {"kind": r.kind, "label": label(r.label, lang), "line": r.span.line, "note": label(r.note, lang),
                     "output": ", ".join(r.outputs()), "citation": r.citation}
    return out


def _mentions(diag: Diagnostic, path: str) -> bool:
    if diag.span is not None and diag.span.file == path:
        return True
    return any(r.span is not None and r.span.file == path for r in diag.related)


def document(pol: Policies, doc_id: str, lang: str) -> dict | None:
    ps = pol.policy_set
    d = ps.documents.get(doc_id)
    if d is None:
        return None
    names = _names(pol, lang)
    articles = []
    cov = ps.coverage.get(doc_id, {})
    for art in sorted(cov, key=citation_key):
        v = cov[art]
        if isinstance(v, (list, tuple)):
            encoded = [{"id": x, **names.get(x, {"kind": "", "label": "", "line": None, "note": ""})} for x in v]
            articles.append({"article": art, "rules": encoded, "reason": ""})
        else:
            # the page says "decides nothing" itself: the reason alone, in the page's language where the
            # pack gives both ('not decisional: why' as written where it gives one text)
            articles.append({"article": art, "rules": [], "reason": label(v, lang)})
    readings = []
    if d.dates_assumed:
        readings.append({"what": "dates", "text": label(d.dates_assumed, lang), "line": d.span.line})
    for r in ps.rules:
        if r.document == doc_id:
            for text in (r.ambiguity, r.reading, r.note):
                if text:
                    readings.append({"what": r.id, "text": label(text, lang), "line": r.span.line})
    for p in ps.params:
        for text in (p.reading, p.note) if p.document == doc_id else ():
            if text:
                readings.append({"what": p.name, "text": label(text, lang), "line": p.span.line})
    for e in ps.definitions:
        if e.document == doc_id and e.reading:
            readings.append({"what": e.name, "text": label(e.reading, lang), "line": e.span.line})
    warnings = [diag_row(x, {d.path: display_name(d.path)}, lang) for x in ps.diagnostics if _mentions(x, d.path)]
    return {**doc_summary(d, lang), "issuer": label(d.issuer, lang), "file": display_name(d.path),
            "jurisdiction_name": label(ps.jurisdictions[d.jurisdiction].name, lang) if d.jurisdiction in ps.jurisdictions else "",
            "supersedes": list(d.supersedes), "articles": articles, "readings": readings, "warnings": warnings}


def display_name(path: str) -> str:
    """A rule file named by its folder and file name — never the server's absolute path."""
    p = os.path.normpath(str(path))
    return "/".join(p.split(os.sep)[-2:])


def diag_row(x: Diagnostic, names: dict[str, str], lang: str) -> dict:
    sev = x.severity.value if x.severity is not None else "error"
    span = x.span
    return {"code": x.code, "severity": sev, "message": _replace_paths(x.text(lang), names),
            "hint": _replace_paths(x.help(lang) or "", names),
            "file": names.get(span.file, display_name(span.file)) if span else "",
            "line": span.line if span else None, "column": span.column if span else None,
            "source_line": x.source_line or "",
            "related": [{"message": _replace_paths(r.text(lang), names),
                         "where": (f"{names.get(r.span.file, display_name(r.span.file))}:{r.span.line}" if r.span else "")}
                        for r in x.related]}


def _replace_paths(text: str, names: dict[str, str]) -> str:
    for full, shown in names.items():
        text = text.replace(full, shown)
    return text


def change_row(c: Change, lang: str = "zh") -> dict:
    """A difference as the pages show it: the part that changed named in the page's language (取值, not value),
    as ``policyengine diff`` names it."""
    def show(v: Any) -> str:
        if v is None:
            return ""
        return v if isinstance(v, str) else str(to_json_value(v))
    return {"scope": c.scope, "id": c.id, "change": c.change, "document": c.document, "jurisdiction": c.jurisdiction,
            "field": c.part(lang), "old": show(c.old), "new": show(c.new), "detail": c.explained(lang)}


def impact_row(i: CaseImpact) -> dict:
    """A logged decision that another version decides otherwise, as the pages show it."""
    return {"id": i.path, "subject": i.subject, "jurisdiction": i.jurisdiction, "as_of": i.as_of,
            "old_error": i.old_error, "new_error": i.new_error,
            "outputs": [{"output": o.output, "old": json.dumps(o.old, ensure_ascii=False),
                         "new": json.dumps(o.new, ensure_ascii=False), "rules": ", ".join(o.new_rules)}
                        for o in i.outputs]}
