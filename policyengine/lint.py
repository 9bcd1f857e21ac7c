"""Stage 3b — lint: mistakes that check as valid but do nothing.

Run by :func:`policyengine.check.check_files` once the files check without errors (an
unchecked expression reads unknown names, so "nothing reads it" would be a guess):

* a parameter or a definition that no expression reads and that publishes no outcome
  (PE100, PE101) — in a lower layer, with a name close to one above, it is a misspelt
  restatement that tightens nothing: the did-you-mean names the value above;
* a rule or a parameter that the coverage table of its document leaves out (PE102);
* an article that the coverage table marks "not decisional" but that a rule or a
  parameter of the document cites (PE103).

And, whatever the errors, the coverage tables' own references (PE034): an id that a rule
file declares is never reported again because its rule failed to check — that rule's own
diagnostic says what is wrong (one mistake, one diagnostic).
"""
from __future__ import annotations

import re
from typing import Any

from .diagnostics import Diagnostic, Related, Text
from .policy import PolicySet
from .types import suggest

__all__ = ["lint", "coverage_references", "fullwidth_list"]

_CITES = re.compile(r"[；;，,、]|\s+")  # a citation may name several articles: 四(一)；附件1 第四条


def _line(ps: PolicySet, doc_id: str, span) -> str | None:
    src = ps.sources.get(doc_id)
    return src.source.line(span.line) if src is not None and span is not None else None


def _reads(ps: PolicySet) -> set[str]:
    out: set[str] = set()
    for r in ps.rules:
        out |= r.reads()
    for d in ps.definitions:
        out.update(d.expr.reads)
    return out


def layers_above_known(documents: dict, jurisdictions: dict, doc_id: str) -> bool:
    """Every jurisdiction from ``doc_id``'s up to the root is declared (in ``jurisdictions``): else the
    layers above are not loaded (PE033), and what the document names may be theirs."""
    doc = documents.get(doc_id)
    j, seen = (doc.jurisdiction if doc else None), set()
    while j is not None and j not in seen:
        seen.add(j)
        if j not in jurisdictions:
            return False
        j = jurisdictions[j].parent
    return True


def _above(ps: PolicySet, doc_id: str) -> frozenset[str]:
    """The documents of the layers above ``doc_id``'s jurisdiction (made once per jurisdiction)."""
    j = ps.documents[doc_id].jurisdiction
    memo = ps._memo.setdefault("lint-above", {})
    if j not in memo:
        by_j: dict[str, list[str]] = ps._memo.setdefault("lint-docs-by-j", {})
        if not by_j:
            for d in ps.documents.values():
                by_j.setdefault(d.jurisdiction, []).append(d.id)
        path = ps.jurisdiction_path(j)[:-1] if j in ps.jurisdictions else []
        memo[j] = frozenset(x for jj in path for x in by_j.get(jj, ()))
    return memo[j]


_MOST_CANDIDATES = 2000  # a did-you-mean among more names than a person declares is not worth its time


def lint(ps: PolicySet) -> list[Diagnostic]:
    """The warnings of a policy set that checks without errors (see the module's docstring)."""
    reads = _reads(ps)
    return [*_unused(ps, reads), *_coverage_gaps(ps, reads)]


def _unused(ps: PolicySet, reads: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    kinds = (("PE100", "参数", "parameter", ((p.name, p.document, p.span, p.output) for p in ps.params)),
             ("PE101", "定义", "definition", ((d.name, d.document, d.span, None) for d in ps.definitions)))
    for code, zh_kind, en_kind, items in kinds:
        items = list(items)
        for name, doc_id, span, output in items:
            if name in reads or output is not None:
                continue
            near = None
            if len(items) <= _MOST_CANDIDATES:
                visible = _above(ps, doc_id) | {doc_id}
                near = suggest(name, sorted({n for n, d, _, _ in items if d in visible and n != name}))
            if near is not None:
                lower = bool(_above(ps, doc_id))
                msg = Text(f"{zh_kind}“{name}”没有被任何规则使用{'，上级也没有同名的' + zh_kind if lower else ''}，"
                           f"所以它什么也没有改变；可能是“{near}”写错了",
                           f"{en_kind} '{name}' is read by nothing{' and restates nothing above' if lower else ''}, "
                           f"so it changes nothing: a misspelling of '{near}'?")
                hint = Text(f"是不是“{near}”？要收紧或改变“{near}”的值，请用这个名称",
                            f"did you mean '{near}'? To tighten or change that value, use its name")
            else:
                msg = Text(f"{zh_kind}“{name}”没有被任何规则或定义使用，也不发布结果",
                           f"{en_kind} '{name}' is read by no rule or definition and publishes no outcome")
                hint = Text("检查名称是否写错；确实只作记录的，请在 acknowledged 中说明理由",
                            "check the name for a misspelling; if it is kept for the record, acknowledge it with a reason")
            out.append(Diagnostic(code, msg, span, hint=hint, source_line=_line(ps, doc_id, span)))
    return out


_SAME = str.maketrans("（）", "()")  # 第七条（五） and 第七条(五) are one article


def _articles(citation: str) -> set[str]:
    return {c.translate(_SAME) for c in _CITES.split(citation or "") if c}


_FULLWIDTH_LIST = re.compile(r"\A\s*([［【])(.*?)([］】]?)\s*\Z", re.S)
_NOT_DECISIONAL = "not decisional"


def fullwidth_list(v: Any) -> list[str] | None:
    """The ids of a coverage entry written as a list in full-width brackets ('［a, b］', '【a】'),
    which YAML reads as one text; None for anything else."""
    m = _FULLWIDTH_LIST.match(v) if isinstance(v, str) else None
    return [x.strip() for x in re.split(r"[,，、]", m.group(2)) if x.strip()] if m else None


def _miswritten(v: Any) -> bool:
    """A coverage entry that is neither a list of ids nor 'not decisional: why' (PE012)."""
    return isinstance(v, str) and not v.startswith(_NOT_DECISIONAL)


def _coverage_gaps(ps: PolicySet, reads: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    known = {r.id for r in ps.rules} | {p.name for p in ps.params} | {d.name for d in ps.definitions}
    rules_of: dict[str, list] = {}  # grouped once: a scan of every rule for each of 10,000 documents is 10^8
    for r in ps.rules:
        rules_of.setdefault(r.document, []).append(r)
    params_of: dict[str, list] = {}
    for p in ps.params:
        params_of.setdefault(p.document, []).append(p)
    for doc_id, cov in sorted(ps.coverage.items()):
        loaded = ps.sources.get(doc_id)
        if not cov or loaded is None:
            continue
        # (ids in full-width brackets are reported once, as PE012: the rules they name are not left out)
        listed = {i for ids in cov.values() for i in (ids if isinstance(ids, list) else fullwidth_list(ids) or ())}
        rules = rules_of.get(doc_id, [])
        # a table naming an unknown id has its own diagnostic (PE034, with the did-you-mean): the
        # rule it meant is not reported as left out as well
        misspelt = bool(listed - known)
        # a parameter encodes its article as a rule does (三(一): [min_…, …]); one nothing reads has its PE100
        left_out = [("规则", "rule", r.id, r.citation, r.span) for r in rules] + [
            ("参数", "parameter", p.name, p.citation, p.span) for p in params_of.get(doc_id, ())
            if p.name in reads or p.output is not None]
        entries = {str(a).translate(_SAME): a for a in cov}  # (第七条（五） is the entry 第七条(五))
        for zh_kind, en_kind, name, citation, span in ([] if misspelt else left_out):
            if name not in listed:
                arts = sorted(_articles(citation))
                entry = next((entries[a] for a in arts if a in entries), arts[0] if arts else citation)
                if entry in cov and not isinstance(cov[entry], (list, tuple)) and not _miswritten(cov[entry]):
                    continue  # its article is marked 'not decisional': PE103 says to list it there, once
                out.append(Diagnostic(
                    "PE102", Text(f"{zh_kind}“{name}”（{citation}）没有列入本文件的覆盖表（coverage）",
                                  f"{en_kind} '{name}' ({citation}) is not listed in the coverage table of its document"),
                    span, hint=Text(f"在 coverage 中“{entry}”一条的列表里加上“{name}”",
                                    f"add '{name}' to the list of {entry} under 'coverage:'"),
                    source_line=_line(ps, doc_id, span)))
        citing: dict[str, list[tuple[str, Any]]] = {}
        for r in rules:
            for a in _articles(r.citation):
                citing.setdefault(a, []).append((r.id, r.span))
        for p in params_of.get(doc_id, ()):
            for a in _articles(p.citation):
                citing.setdefault(a, []).append((p.name, p.span))
        for article, v in cov.items():
            key = str(article).translate(_SAME)
            if isinstance(v, (list, tuple)) or key not in citing or _miswritten(v):
                continue
            who = citing[key]
            names = ", ".join(f"'{n}'" for n, _ in who)
            span = loaded.span(("coverage", article))
            out.append(Diagnostic(
                "PE103", Text(f"覆盖表把 {article} 写成“不作决定”（not decisional），但 {names} 引用了它",
                              f"the coverage table marks {article} 'not decisional', but {names} cite{'s' if len(who) == 1 else ''} it"),
                span, related=tuple(Related(s, Text(f"引用 {article} 的“{n}”", f"'{n}' cites {article}")) for n, s in who),
                hint=Text(f"把 {article} 改为列出引用它的规则或参数：[{', '.join(n for n, _ in who)}]",
                          f"list what encodes {article} instead: [{', '.join(n for n, _ in who)}]"),
                source_line=loaded.source.line(span.line)))
    return out


def _miswritten_entry(loaded, article: str, v: str) -> Diagnostic:
    """PE012 for a coverage entry YAML read as text: what it should have been, written out."""
    written = fullwidth_list(v)
    if written is not None:
        bracket = _FULLWIDTH_LIST.match(v).group(1)
        fixed = f"{article}: [{', '.join(written)}]"
        return loaded.diag("PE012", Text(f"覆盖表中“{article}”一条用了全角方括号“{bracket}”，不会被当作列表",
                                         f"the coverage of {article} is in full-width brackets '{bracket}', "
                                         f"which are not read as a list"),
                           ("coverage", article),
                           hint=Text(f"改为半角方括号“[ ]”：{fixed}", f"use the ASCII brackets '[ ]': {fixed}"))
    reason = re.split(r"[:：]", v, maxsplit=1)[-1].strip() or "理由"
    return loaded.diag("PE012", Text(f"覆盖表中“{article}”一条的写法不对：要么列出落实它的规则编号，要么写明“不作决定”及理由",
                                     f"coverage of {article}: write rule ids as a list, or 'not decisional: why'"),
                       ("coverage", article),
                       hint=Text(f"“不作决定”的条目要用英文开头并加引号，例如 {article}: \"not decisional: {reason}\"；"
                                 f"由规则落实的条目写成列表，例如 {article}: [规则编号]",
                                 f"a 'not decisional' entry starts with those English words, quoted: "
                                 f"{article}: \"not decisional: why\"; an entry that rules encode is a list of their ids: "
                                 f"{article}: [rule.id]"))


def coverage_references(ps: PolicySet, declared: dict[str, set[str]]) -> list[Diagnostic]:
    """Every id a coverage table names must be declared: a rule, a parameter or a definition of
    the policy set.  ``declared`` maps each document to the ids its file declares, whether or
    not they checked: a rule that failed to check has its own diagnostic, not a second one
    here.  The did-you-mean looks first in the table's own document, then on its path."""
    every = set().union(*declared.values()) if declared else set()
    twice = {i for i in every if sum(i in ids for ids in declared.values()) > 1}  # each has its PE030
    out: list[Diagnostic] = []
    for doc_id, cov in ps.coverage.items():
        loaded = ps.sources.get(doc_id)
        if loaded is None or not layers_above_known(ps.documents, ps.jurisdictions, doc_id):
            continue  # (its layers above are not loaded, PE033: an id it names may be theirs)
        for article, ids in cov.items():
            if not isinstance(ids, (list, tuple)):  # why it decides nothing: text, or {zh, en}
                if _miswritten(ids):
                    out.append(_miswritten_entry(loaded, article, ids))
                continue
            for k, i in enumerate(ids):
                if i in every:
                    continue
                sep = next((c for c in "，、" if isinstance(i, str) and c in i), None)
                if sep is not None:  # '[a，b]': one entry with a full-width comma in it, not two
                    parts = [x.strip() for x in re.split("[，、]", i)]
                    out.append(loaded.diag(
                        "PE034", Text(f"{article} 的覆盖表里的“{sep}”不是列表的逗号：“{i}”被读成了一项",
                                      f"the '{sep}' in the coverage of {article} is no list comma: '{i}' is read as one entry"),
                        ("coverage", article, k),
                        hint=Text(f"列表的项用半角逗号加空格分开：{', '.join(parts)}",
                                  f"separate the entries with an ASCII comma and a space: {', '.join(parts)}")))
                    continue
                own = declared.get(doc_id, set())
                near = suggest(i, sorted(own)) or suggest(i, sorted({x for d in _above(ps, doc_id) | {doc_id}
                                                                     for x in declared.get(d, ())}))
                if near in own and near in twice:
                    continue  # the rule was renamed to an id already used: its PE030 says so, once
                out.append(loaded.diag(
                    "PE034", Text(f"{article} 的覆盖表写了不存在的规则或参数“{i}”",
                                  f"coverage of {article} names unknown rule or parameter '{i}'"),
                    ("coverage", article, k),
                    hint=Text(f"是不是“{near}”？", f"did you mean '{near}'?") if near else None))
    return out
