"""Stage 9 — diff: what changed between two versions of the policies, in policy terms.

An auditor compares two versions of the rule files — two folders, or two git
revisions (``git:REV`` is the repository's ``policies/`` at REV, ``git:REV:PATH``
another path) — and asks three questions, answered in this order:

1. What do the documents say differently?  :func:`diff_policies` compares the
   checked policy sets element by element — documents (added, removed,
   superseded, their dates, number and title), jurisdictions, enums, facts,
   outcomes, parameters, definitions and rules — field by field, never by
   text.  Expressions are compared as ASTs whose spans are left out of
   equality, so key order, quoting, comments, whitespace and flow/block style
   make no difference.  Where two expressions differ, the smallest differing
   part is named (a literal ``30 → 40``, an enum set widened, a condition
   added); scoring tables are compared item by item, tier by tier, band by band.
2. What is in force differently?  For every jurisdiction of either version,
   the merged layers (:func:`policyengine.merge.merge`) on one date are
   compared: documents, parameter values, definitions and rules in force — a
   tightening in the region shows at every layer below it.  A jurisdiction
   that exists in one version only is compared with what applied at its
   nearest ancestor in the other.
3. Which decisions change?  :func:`impacted_cases` evaluates case files — and
   the cases of pack test files (:func:`collect_cases`) — under both versions
   and lists the outcomes that differ, with the deciding rules from the old and
   the new explanation, each with its document and article as the explanation
   cites it; where no rule decides, why (none in force, or those looked at do
   not apply).

:func:`run_diff` is the ``policyengine diff`` command: text, Markdown or JSON,
headings and lines in Chinese or English (JSON keys in English); exit 0 when
nothing differs, 1 when something does, 2 on an error.  A version that is one
folder or file of the policy set is read with the rest of the set around it
(:func:`_in_context`), as ``check`` does, so that a district's folder finds
its parents.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import ast as A
from .api import Policies, load_rule_files
from .cases import _as_date as as_date
from .diagnostics import Diagnostic, PolicyError, Severity, Text, md_cell, printable, render_all, resolve_lang
from .explain import _WORDS as _EXPLAIN_WORDS, dumps, show_value, to_json_value
from .load import find_files, load_file
from .merge import Layers, merge
from .records import KEYS_ZH, is_text, text_of
from .policy import Band, Expr, PolicySet, Tier
from .types import T

__all__ = ["Change", "Citation", "OutputChange", "CaseImpact", "diff_policies", "impacted_cases", "compare_decisions",
           "find_cases", "collect_cases", "run_diff"]


@dataclass(frozen=True)
class Change:
    """One difference.  ``scope`` says what kind of element; ``in-force`` entries are per jurisdiction."""

    scope: str  # document jurisdiction enum fact output parameter definition rule check in-force
    id: str  # document id, jurisdiction id, name, "subject.fact", rule id
    change: str  # added / removed / changed / superseded
    document: str = ""  # the document it belongs to; in-force: the document that sets it (new, else old)
    jurisdiction: str = ""  # that document's layer; in-force: the jurisdiction evaluated
    field: str = ""  # changed: which part ("value", "condition", "items.rd.tiers"); in-force: what is in force
    old: Any = None  # JSON values; expressions as canonical text
    new: Any = None
    detail: str = ""  # the change in policy terms: "30 → 40", "adds `and x`", "superseded by ..."
    # a rule added or removed: what it decides, (field, expression) — the detail above names the fields as the rule
    # files write them; the text and Markdown rows name them in the reader's language.  Not in JSON, not compared.
    exprs: tuple[tuple[str, str], ...] = dataclasses.field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        del d["exprs"]
        return d

    def part(self, lang: str = "en") -> str:
        """``field`` for a reader of ``lang``: in English as the rule files write it (``value``,
        ``items.rd.tiers``), in Chinese in the guide's words (``取值``, ``评分项 rd 的档次``); in force, the kind
        of element (``parameter``, ``参数``)."""
        if not self.field:
            return ""
        if self.scope == "in-force":
            return _TITLES["zh"].get(self.field, self.field) if lang == "zh" else self.field
        return _part(self.field, lang, self.scope)

    def explained(self, lang: str = "en") -> str:
        """``detail`` for a reader of ``lang``: a rule added or removed names the parts of what it decides in
        that language (``适用条件：x；条件：y``)."""
        return _says(self.exprs, lang) if self.exprs else self.detail


@dataclass(frozen=True)
class Citation:
    """A rule (or parameter) named on a case's line, where the explanation cites it: its document (id,
    title in the diff's language, number) and article, and its status there (``holds``, ``fails``,
    ``value``, ``not_applicable`` …)."""

    id: str
    document: str
    title: str
    number: str | None
    article: str
    status: str


@dataclass(frozen=True)
class OutputChange:
    output: str
    old: Any
    new: Any
    old_rules: tuple[str, ...]  # deciding rules (or parameters) of the old explanation
    new_rules: tuple[str, ...]
    # Where each version's rules are written: the deciding rules above, in their order; where none decides,
    # the rules that version's explanation looked at and found not to apply (not_applicable, not_checkable);
    # empty where no rule in force gives the outcome.  Not compared: the ids and the versions fix them.
    old_citations: tuple[Citation, ...] = field(default=(), compare=False)
    new_citations: tuple[Citation, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class CaseImpact:
    """A case whose outcomes differ; an ``*_error`` is set where the case does not evaluate under that version."""

    path: str
    subject: str
    jurisdiction: str
    as_of: str
    outputs: tuple[OutputChange, ...]
    old_error: str = ""
    new_error: str = ""
    name: str = ""  # a test file's case: its name

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        if not self.name:
            del d["name"]
        return d


# --- comparing values: canonical forms and what to show ----------------------------------------

_SKIP = {"span", "path", "func_span"}  # where a thing is written is not what it says


def _canon(v: Any) -> Any:
    """A comparable form that leaves out layout: spans, file paths and expression text."""
    if isinstance(v, Expr):
        return ("expr", v.node)
    if is_text(v):
        return v.zh if v.en is None else (v.zh, v.en)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return (type(v).__name__,) + tuple((f.name, _canon(getattr(v, f.name)))
                                           for f in dataclasses.fields(v) if f.name not in _SKIP)
    if isinstance(v, (list, tuple)):
        return tuple(_canon(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _canon(x)) for k, x in v.items()))
    return v


def _range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return str(lo) if lo == hi else f"{lo}-{hi}"
    return f"{lo}+" if lo is not None else f"≤{hi}" if hi is not None else "any"


def _show(v: Any, lang: str) -> Any:
    """The JSON value an auditor reads: labels as text, expressions as canonical source."""
    if isinstance(v, Expr):
        return A.to_source(v.node)
    if is_text(v):
        return text_of(v, lang)
    if isinstance(v, Tier):
        return f"{_range(v.min, v.max)}: {v.points}"
    if isinstance(v, Band):
        return f"{_range(v.min, v.max)}: {v.grade}"
    if isinstance(v, T):
        return str(v) + ("?" if v.nullable else "")
    if isinstance(v, (list, tuple)):
        return [_show(x, lang) for x in v]
    if isinstance(v, dict):
        return {str(k): _show(x, lang) for k, x in sorted(v.items())}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):  # a whole table, item or bonus
        return {f.name: _show(getattr(v, f.name), lang) for f in dataclasses.fields(v) if f.name not in _SKIP}
    return to_json_value(v)


def _text(v: Any) -> str:
    if v is None:
        return "—"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_text(x)}" for k, x in v.items()) + "}"
    return str(v)


# --- the words of a diff, in both languages ------------------------------------------------------

_WORDS = {
    "zh": {"widened": "取值集合扩大：", "narrowed": "取值集合缩小：", "set_changed": "取值集合改变：", "order": "顺序改变",
           "adds": "增加", "drops": "去掉", "operator": "运算符 ", "tier": "第 {n} 档", "band": "第 {n} 个等级区间",
           "points": " 分", "item_added": "新增评分项", "item_removed": "删除评分项", "differs_for": "不同之处：",
           "same_type": "类型仍是 {t}，其中枚举的可选值有改动（见“枚举”）",
           "superseded_by": "被 {x} 取代", "no_longer": "不再被 {x} 取代", "compared": "与{which}版本中 {at} 的现行规定比较",
           "old": "旧", "new": "新", "parts_changed": "{parts}有改动", "list": "、", "semi": "；", "set_by": "由 {x} 规定", "was_set_by": "原由 {x} 规定",
           "added": "新增", "removed": "删除", "header": "现行规定的日期：{d}", "md_title": "# 政策差异：`{old}` → `{new}`",
           "md_date": "比较 {d} 当日现行的规定。", "what": "内容", "change": "变化", "in_force_at": "{j} 的现行规定",
           "cases": "结论有变化的个案：{n} 个（共检查 {checked} 个）", "case": "个案", "outcome": "结论：旧 → 新（决定规则）",
           "as_of": "（{subject} @ {j}，截至 {d}）", "rules": "（新：{new}；旧：{old}）", "colon": "：",
           "no_eval": "在{which}版本下无法决定：{error}", "no_rule": "没有生效的规则决定这一结论", "status": "{rule}{status}",
           "summary": "规定有 {n} 处不同", "summary_cases": "，{m} 个个案的结论有变化",
           "end": "。", "none": "没有不同。",
           "engine": "两个版本都由本引擎（{v}）判定：引擎本身的变化不在比较之列"},
    "en": {"widened": "set widened: ", "narrowed": "set narrowed: ", "set_changed": "set changed: ", "order": "order changed",
           "adds": "adds", "drops": "drops", "operator": "operator ", "tier": "tier {n}", "band": "band {n}",
           "points": " points", "item_added": "item added", "item_removed": "item removed", "differs_for": "differs for: ",
           "same_type": "type still {t}; an enum in it has other values (see Enums)",
           "superseded_by": "superseded by {x}", "no_longer": "no longer superseded by {x}",
           "compared": "compared with what applied at {at} in the {which} version", "old": "old", "new": "new",
           "parts_changed": "{parts} changed", "list": ", ", "semi": "; ", "set_by": "set by {x}", "was_set_by": "was set by {x}",
           "added": "added", "removed": "removed", "header": "in force on {d}", "md_title": "# Policy diff: `{old}` → `{new}`",
           "md_date": "In force on {d}.", "what": "what", "change": "change", "in_force_at": "In force at {j}",
           "cases": "Cases whose outcomes change: {n} of {checked}", "case": "case",
           "outcome": "outcome: old → new (deciding rules)", "as_of": " ({subject} @ {j}, as of {d})",
           "rules": " (new: {new}; old: {old})", "colon": ": ", "no_eval": "does not evaluate under the {which} version: {error}",
           "no_rule": "no rule in force decides it", "status": "{rule} {status}",
           "summary": "{n} difference(s) in the policies", "summary_cases": ", {m} case(s) change", "end": ".",
           "none": "No difference.",
           "engine": "both versions decided by this engine ({v}): changes of the engine itself are not compared"},
}


# --- expressions: the smallest part that differs ------------------------------------------------


def _shallow(n: A.Node) -> tuple:
    """A node's own attributes (operator, name, value), without its children."""
    return tuple(getattr(n, f.name) for f in dataclasses.fields(n)
                 if f.name not in _SKIP and not isinstance(getattr(n, f.name), (A.Node, tuple)))


def _expr_detail(a: A.Node, b: A.Node, lang: str = "en") -> str:
    w = _WORDS[lang]
    root = (a, b)
    while type(a) is type(b) and _shallow(a) == _shallow(b):
        ca, cb = A.children(a), A.children(b)
        pairs = [(x, y) for x, y in zip(ca, cb) if x != y]
        if len(ca) != len(cb) or len(pairs) != 1:
            break
        a, b = pairs[0]
    src = A.to_source
    if isinstance(a, A.Literal) and isinstance(b, A.Literal):
        return f"{src(a)} → {src(b)}"
    if isinstance(a, A.ListLit) and isinstance(b, A.ListLit):
        added = [src(x) for x in b.items if x not in a.items]
        gone = [src(x) for x in a.items if x not in b.items]
        if added and not gone:
            return w["widened"] + "+ " + ", ".join(added)
        if gone and not added:
            return w["narrowed"] + "− " + ", ".join(gone)
        return w["set_changed"] + ", ".join(["+ " + x for x in added] + ["− " + x for x in gone]) if added or gone \
            else w["order"]
    for verb, short, long in ((w["adds"], a, b), (w["drops"], b, a)):  # a condition joined on, or taken off
        if isinstance(long, A.BoolOp) and long.left == short:
            return f"{verb} `{long.op} {src(long.right)}`"
        if isinstance(long, A.BoolOp) and long.right == short:
            return f"{verb} `{src(long.left)} {long.op}`"
    if type(a) is type(b) and A.children(a) == A.children(b):
        return (w["operator"] if hasattr(a, "op") else "") + f"{' '.join(map(str, _shallow(a)))} → {' '.join(map(str, _shallow(b)))}"
    return f"`{src(a)}` → `{src(b)}`" if (a, b) != root else ""


def _row_moved(i: int, x: Tier | Band, y: Tier | Band, lang: str = "en") -> str:
    """One tier or grade band that moved: its bounds, its points or grade, or both."""
    w = _WORDS[lang]
    what, got = ("tier", "points") if isinstance(x, Tier) else ("band", "grade")
    what, unit = w[what].format(n=i + 1), w["points"] if got == "points" else ""
    rx, ry, vx, vy = _range(x.min, x.max), _range(y.min, y.max), getattr(x, got), getattr(y, got)
    if vx == vy:
        return f"{what}: {rx} → {ry} ({vx}{unit})"
    if rx == ry:
        return f"{what} ({rx}): {vx} → {vy}{unit}"
    return f"{what}: {rx}: {vx} → {ry}: {vy}"


def _seq_detail(a: tuple, b: tuple, lang: str) -> str:
    """Tiers, bands and plain lists: which entries moved, came or went."""
    sa, sb = [_show(x, lang) for x in a], [_show(x, lang) for x in b]
    if a and isinstance(a[0], (Tier, Band)) and len(a) == len(b):
        return "; ".join(_row_moved(i, x, y, lang) for i, (x, y, p, q) in enumerate(zip(a, b, sa, sb)) if p != q)
    added, gone = [x for x in sb if x not in sa], [x for x in sa if x not in sb]
    return ", ".join([f"+ {_text(x)}" for x in added] + [f"− {_text(x)}" for x in gone]) or _WORDS[lang]["order"]


# --- element by element, field by field ----------------------------------------------------------

_FIELDS = {
    "document": ("title", "issuer", "number", "jurisdiction", "issued", "effective", "effective_until", "dates_assumed",
                 "coverage"),
    "jurisdiction": ("name", "level", "parent", "cites"),
    "enum": ("values", "ordered", "labels"),
    "fact": ("document", "type", "label", "nullable", "default", "min", "max"),
    "output": ("type", "combine", "subjects", "label"),
    "parameter": ("value", "stricter", "is_default", "output", "subject", "label", "citation", "note"),
    "definition": ("expr", "label", "citation", "is_default"),
    "rule": ("kind", "subject", "output", "when", "condition", "value", "table", "requirement", "restates", "replaces",
             "binding", "is_default", "effective", "effective_until", "deadline", "label", "citation", "reading", "ambiguity",
             "note"),
    "Table": ("cap", "score_output", "grade_output", "items", "bonus", "bands"),
    "Item": ("value", "max", "tiers", "label", "citation"),
    "Bonus": ("points", "max", "label", "citation"),
}
_SUMMARY = {"document": "title", "jurisdiction": "name", "enum": "values", "fact": "type", "output": "type",
            "parameter": "value", "definition": "expr", "rule": "label"}


def _part(path: str, lang: str, scope: str = "") -> str:
    """A changed part (a field of :data:`_FIELDS`, or ``items.rd.tiers``: a field of one item) of an element of
    ``scope`` in ``lang``: in Chinese in the words of :data:`~policyengine.records.KEYS_ZH` (``适用条件``,
    ``评分项 rd 的档次``), in English as the rule files write it."""
    if lang == "en":
        return path
    head, _, rest = path.partition(".")
    if head in ("items", "bonus") and rest:
        ident, _, last = rest.rpartition(".")  # (an item's id may hold a dot: the field is the last part)
        if ident and last in _FIELDS["Item" if head == "items" else "Bonus"]:
            return f"{KEYS_ZH[head]} {ident} 的{KEYS_ZH.get(f'{head}.{last}') or KEYS_ZH[last]}"
        return f"{KEYS_ZH[head]} {rest}"
    return KEYS_ZH.get(f"{scope}.{path}") or KEYS_ZH.get(path, path)


def _get(el: Any, name: str) -> Any:
    return el[name] if isinstance(el, dict) else getattr(el, name)


def _fields(kind: str, a: Any, b: Any, lang: str, prefix: str = "") -> Iterator[tuple[str, Any, Any, str]]:
    """(field, old, new, detail) for each field of ``kind`` whose meaning differs; tables and their
    items are compared part by part, items matched by id."""
    for name in _FIELDS[kind]:
        x, y = _get(a, name), _get(b, name)
        if _canon(x) == _canon(y):
            continue
        path = prefix + name
        if name == "table" and x is not None and y is not None:
            yield from _fields("Table", x, y, lang)
        elif name in ("items", "bonus"):
            xs, ys = {i.id: i for i in x}, {i.id: i for i in y}
            for k in [i.id for i in y] + [i.id for i in x if i.id not in ys]:
                if k not in xs or k not in ys:
                    it = ys.get(k) or xs[k]
                    shown = f"{text_of(it.label, lang)}: {A.to_source((it.value if name == 'items' else it.points).node)}"
                    yield (f"{path}.{k}", None if k not in xs else shown, None if k not in ys else shown,
                           _WORDS[lang]["item_added" if k not in xs else "item_removed"])
                else:
                    yield from _fields("Item" if name == "items" else "Bonus", xs[k], ys[k], lang, f"{path}.{k}.")
        elif isinstance(x, Expr) and isinstance(y, Expr):
            yield path, _show(x, lang), _show(y, lang), _expr_detail(x.node, y.node, lang)
        elif isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
            yield path, _show(x, lang), _show(y, lang), _seq_detail(tuple(x), tuple(y), lang)
        elif isinstance(x, dict) and isinstance(y, dict):
            keys = sorted(k for k in set(x) | set(y) if _canon(x.get(k)) != _canon(y.get(k)))
            if not keys:  # only keys of no value came or went (an enum's new value without a label): no row naming
                continue  # nothing ("differs for: "), the change is the other field's (its values)
            yield (path, _show({k: x[k] for k in keys if k in x}, lang), _show({k: y[k] for k in keys if k in y}, lang),
                   _WORDS[lang]["differs_for"] + ", ".join(map(str, keys)))
        else:
            sx, sy = _show(x, lang), _show(y, lang)
            if sx == sy and name == "type":  # the same type by name, an enum of it with other values: the enum's row
                yield path, sx, sy, _WORDS[lang]["same_type"].format(t=sx)  # says how ("type: grade → grade" did not)
                continue
            if sx == sy:  # a label changed only in the other language: show both
                sx, sy = (" / ".join(filter(None, (z.zh, z.en))) if is_text(z) else z for z in (x, y))
            yield path, sx, sy, f"{_text(sx)} → {_text(sy)}"


def _elements(scope: str, old: dict, new: dict, lang: str) -> list[Change]:
    """Added, removed and changed elements of one scope; ``old``/``new`` map key → (id, document, layer, element)."""
    out = []
    for key in sorted(set(old) | set(new), key=lambda k: ((new.get(k) or old.get(k))[2], (new.get(k) or old.get(k))[1], k)):
        o, n = old.get(key), new.get(key)
        ident, doc, layer, el = n or o
        if o is None or n is None:
            shown = _show(_get(el, _SUMMARY[scope]), lang)
            # a rule's label says what it is about, not what it decides: its expressions too (a rule replaced under
            # a new id, with the same label and a stricter condition, showed no change at all)
            exprs = tuple((f, A.to_source(e.node)) for f in ("when", "condition", "value")
                          if scope == "rule" and isinstance(e := getattr(el, f, None), Expr))
            out.append(Change(scope, ident, "added" if o is None else "removed", doc, layer,
                              old=None if o is None else shown, new=shown if o is None else None,
                              detail=_says(exprs, "en"), exprs=exprs))
            continue
        for f, x, y, detail in _fields(scope, o[3], n[3], lang):
            out.append(Change(scope, ident, "changed", doc, layer, f, x, y, detail))
    return out


def _says(exprs: tuple[tuple[str, str], ...], lang: str) -> str:
    """What a rule added or removed decides: ``when: x; condition: y``, in Chinese ``适用条件：x；条件：y``."""
    w = _WORDS[lang]
    return w["semi"].join(f"{_part(f, lang, 'rule')}{w['colon']}{src}" for f, src in exprs)


def _index(ps: PolicySet) -> dict[str, dict]:
    """Every element of a policy set, keyed the same way in both versions."""
    layer = lambda doc: ps.documents[doc].jurisdiction if doc in ps.documents else ""  # noqa: E731
    types, labels = ps.enums.get("types", {}), ps.enums.get("labels", {})
    return {
        "document": {d.id: (d.id, d.id, d.jurisdiction, {**dataclasses.asdict(d), "coverage": ps.coverage.get(d.id, {})})
                     for d in ps.documents.values()},
        "jurisdiction": {j.id: (j.id, "", j.id, j) for j in ps.jurisdictions.values()},
        "enum": {n: (n, "", "", {"values": e.values, "ordered": e.ordered, "labels": labels.get(n, {})})
                 for n, e in types.items()},
        "fact": {k: (f"{f.subject}.{f.name}", f.document, layer(f.document), f) for k, f in ps.facts.items()},
        "output": {n: (n, o.document, layer(o.document), o) for n, o in ps.outputs.items()},
        "parameter": {(p.document, p.name): (p.name, p.document, layer(p.document), p) for p in ps.params},
        "definition": {(d.document, d.subject, d.name): (f"{d.subject}.{d.name}", d.document, layer(d.document), d)
                       for d in ps.definitions},
        "rule": {(r.document, r.id): (r.id, r.document, layer(r.document), r) for r in ps.rules},
    }


def _supersessions(old: PolicySet, new: PolicySet, lang: str = "en") -> list[Change]:
    w = _WORDS[lang]
    pairs = lambda ps: {(s, d.id): d for d in ps.documents.values() for s in d.supersedes}  # noqa: E731
    po, pn = pairs(old), pairs(new)
    out = []
    for earlier, later in sorted(set(po) ^ set(pn)):
        ps = new if (earlier, later) in pn else old
        doc = ps.documents.get(earlier)
        out.append(Change("document", earlier, "superseded", earlier, doc.jurisdiction if doc else "", "superseded_by",
                          None if (earlier, later) in pn else later, later if (earlier, later) in pn else None,
                          w["superseded_by" if (earlier, later) in pn else "no_longer"].format(x=later)))
    return out


def _warnings(old: PolicySet, new: PolicySet, lang: str = "en") -> list[Change]:
    """Warnings of ``policyengine check`` that one version has and the other not (a lower layer's value
    now ignored as a loosening, a tier overlap), located by document rather than by line."""
    def found(ps: PolicySet) -> dict[tuple, str]:
        docs = {d.path: d for d in ps.documents.values()}
        got = {}
        for d in ps.diagnostics:
            doc = docs.get(d.span.file) if d.span else None
            if d.severity is Severity.WARNING:
                got[(doc.jurisdiction if doc else "", doc.id if doc else "", d.code, d.message)] = d.text(lang)
        return got
    wo, wn = found(old), found(new)
    return [Change("check", code, "added" if k in wn else "removed", doc, layer, "warning",
                   None if k in wn else wo[k], wn[k] if k in wn else None)
            for k in sorted(set(wo) ^ set(wn)) for layer, doc, code, _ in (k,)]


# --- what is in force, jurisdiction by jurisdiction -----------------------------------------------


def _layers(ps: PolicySet, jid: str, other: PolicySet, as_of: _dt.date) -> tuple[Layers | None, str]:
    """The layers at ``jid``; where ``ps`` lacks it, those of its nearest ancestor there (without that
    ancestor's targets, which bind only itself) and the ancestor's id."""
    if jid in ps.jurisdictions:
        return merge(ps, jid, as_of), ""
    for anc in reversed(other.jurisdiction_path(jid)[:-1]):
        if anc in ps.jurisdictions:
            got = merge(ps, anc, as_of)
            return dataclasses.replace(got, rules=tuple(m for m in got.rules if m.rule.kind != "target")), anc
    return None, "(nothing)"


def _in_force_items(ly: Layers | None, lang: str) -> dict[str, dict[str, tuple]]:
    """What is in force, by kind: key → (element, the document that sets it, what to show, its article)."""
    if ly is None:
        return {what: {} for what in ("document", "parameter", "definition", "rule")}
    return {
        "document": {d.id: (d, d.id, text_of(d.title, lang), "") for d in ly.documents},
        "parameter": {n: (m.param, m.param.document, _show(m.param.value, lang), m.param.citation)
                      for n, m in ly.params.items()},
        "definition": {f"{s}.{n}": (m.definition, m.definition.document, _show(m.definition.expr, lang),
                                    m.definition.citation or "") for (s, n), m in ly.definitions.items()},
        "rule": {m.rule.id: (m.rule, m.rule.document, text_of(m.rule.label, lang), m.rule.citation) for m in ly.rules},
    }


def _in_force(old: PolicySet, new: PolicySet, jid: str, as_of: _dt.date, lang: str) -> list[Change]:
    lo, base_o = _layers(old, jid, new, as_of)
    ln, base_n = _layers(new, jid, old, as_of)
    out: list[Change] = []
    w = _WORDS[lang]
    if base_o or base_n:
        out.append(Change("in-force", jid, "added" if base_o else "removed", "", jid, "jurisdiction", None, None,
                          w["compared"].format(at=base_o or base_n, which=w["old" if base_o else "new"])))
    now = _in_force_items(ln, lang)
    for what, before in _in_force_items(lo, lang).items():
        after = now[what]
        for k in sorted(set(before) | set(after)):
            x, y = before.get(k), after.get(k)
            if x and y and _canon(x[0]) == _canon(y[0]):
                continue
            notes = []
            if what in ("rule", "document") and x and y:  # the same rule or document changed inside: name the parts
                a, b = (x[0], y[0]) if what == "rule" else ({**dataclasses.asdict(e[0]), "coverage": {}} for e in (x, y))
                parts = sorted({f for f, *_ in _fields(what, a, b, lang)})
                notes += [w["parts_changed"].format(parts=w["list"].join(_part(f, lang, what) for f in parts))] if parts else []
            if what != "document":
                notes += [w["set_by"].format(x=f"{y[1]} {y[3]}".strip())] if y else []
                notes += [w["was_set_by"].format(x=f"{x[1]} {x[3]}".strip())] if x and (not y or x[1] != y[1]) else []
            out.append(Change("in-force", k, "added" if not x else "removed" if not y else "changed", (y or x)[1], jid,
                              what, x[2] if x else None, y[2] if y else None, w["semi"].join(notes)))
    return out


_SCOPES = ("document", "jurisdiction", "enum", "fact", "output", "parameter", "definition", "rule")


def diff_policies(old: PolicySet, new: PolicySet, as_of: _dt.date | None = None, lang: str = "zh") -> list[Change]:
    """Every difference between two checked policy sets: element by element, then what is in force at
    every jurisdiction of either on ``as_of`` (default today).  The order is deterministic."""
    as_of = as_of or _dt.date.today()
    io_, in_ = _index(old), _index(new)
    out: list[Change] = []
    for scope in _SCOPES:
        out.extend(_elements(scope, io_[scope], in_[scope], lang))
        if scope == "document":
            out.extend(_supersessions(old, new, lang))
    out.extend(_warnings(old, new, lang))
    for jid in sorted(set(old.jurisdictions) | set(new.jurisdictions)):
        out.extend(_in_force(old, new, jid, as_of, lang))
    return out


# --- decisions that change --------------------------------------------------------------------------


def find_cases(folder: str | Path) -> list[Path]:
    """Case files in ``folder`` (recursively): *.yaml, *.yml, *.json holding a mapping with a ``subject``;
    or ``folder`` itself when it is a case file."""
    return [p for p, _ in _case_files(folder) if p is not None]


def collect_cases(folder: str | Path) -> list[tuple[str, Path | dict]]:
    """Every case in ``folder`` (or the file ``folder``): case files, as (path, path), and each case
    of a pack's test files (``kind: policy-test``), as (``file:line``, the case without its
    expectations) — in the order of the files, then of the cases in each file."""
    from .testing import _CASE_KEYS, validate

    out: list[tuple[str, Path | dict]] = []
    for p, lf in _case_files(folder):
        if p is not None:
            out.append((str(p), p))
            continue
        bad = validate(lf)
        if bad:
            raise PolicyError(bad)
        for i, c in enumerate(lf.data["cases"]):
            case = {k: v for k, v in c.items() if k in _CASE_KEYS}
            if "name" in c:
                case["name"] = c["name"]
            out.append((f"{lf.path}:{lf.span(('cases', i)).line}", case))
    return out


def _case_files(folder: str | Path) -> Iterator[tuple[Path | None, Any]]:
    """(path, None) for each case file, (None, loaded) for each test file, under ``folder``."""
    root = Path(folder)
    if root.is_file() and root.suffix.lower() in (".csv", ".jsonl", ".parquet"):  # a population, not a case file
        shown = printable(str(folder))
        raise PolicyError(Diagnostic("PE070", Text(f"--cases '{shown}' 是批量文件：--cases 读取个案文件（YAML 或 JSON）或放个案文件的文件夹",
                                                   f"--cases '{shown}' is a batch file: --cases reads case files (YAML or JSON), "
                                                   "or a folder of them"), None,
                                     hint=Text("要看一个人群在两个版本下的不同，用 policyengine batch 分别计算两个版本（--policies），再比较两个输出",
                                               "for a population, run policyengine batch once per version (--policies) and "
                                               "compare the two outputs")))
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files, refused = find_files([root], (".yaml", ".yml", ".json"))
        if refused:  # a link out of the folder: refused, and nothing of its target is shown
            raise PolicyError(refused)
    else:
        shown = printable(str(folder))
        raise PolicyError(Diagnostic("PE070", Text(f"个案文件夹或文件 '{shown}' 不存在",
                                                   f"cases folder or file '{shown}' does not exist"), None,
                                     hint=Text("用 --cases 指定一个个案文件，或放个案文件的文件夹",
                                               "give a case file, or a folder of case files, with --cases")))
    for p in files:
        lf = load_file(p)
        if isinstance(lf.data, dict) and lf.data.get("kind") == "policy-test":
            yield None, lf
        elif isinstance(lf.data, dict) and "subject" in lf.data:
            yield p, None


def _evaluate(pol: Policies, case: Path | dict, lang: str):
    try:
        return pol.evaluate(case, lang=lang), ""
    except PolicyError as e:
        return None, "; ".join(d.text(lang) for d in e.diagnostics)


def impacted_cases(old_policies: Policies, new_policies: Policies, case_paths: Iterable[str | Path | tuple],
                   lang: str = "zh", path: str = "auto", notes: list | None = None) -> list[CaseImpact]:
    """The cases whose outcomes differ between the two versions, in the order given: case files, or
    (label, case) pairs from :func:`collect_cases`.  A case file that evaluates under neither version
    is a malformed case: :class:`PolicyError`; a test file's case refused by both is one that is
    meant to be refused (``expect_error``), and no change.  ``path`` chooses how
    (:mod:`policyengine.batch.screen`): row by row, or screened on the batch path with only the cases
    whose outcomes differ compared row by row — the same impacts either way; ``notes`` collects what
    the batch path says."""
    items = [item if isinstance(item, tuple) else (str(item), Path(item)) for item in case_paths]
    out = []
    screen = None
    from .batch.screen import choose

    engine = choose(path, len(items))
    if engine == "python":
        checked = ((item, True) for item in items)
    else:
        from .batch.screen import open_screen, screened

        screen = open_screen(engine)
        pair = (old_policies, new_policies)
        same = old_policies.limits == new_policies.limits
        checked = screened(((item, pair, _plain_case(item[1], new_policies.limits) if same else None) for item in items),
                           screen, lang)
    try:
        for (label, case), must in checked:
            if not must:
                continue
            name = ""
            if isinstance(case, dict):
                case = dict(case)
                name = str(case.pop("name", "") or "")
            (do, eo), (dn, en) = _evaluate(old_policies, case, lang), _evaluate(new_policies, case, lang)
            if do is None and dn is None:
                if isinstance(case, dict):
                    continue
                new_policies.evaluate(case)  # raises with the located diagnostics
            d = dn or do
            impact = compare_decisions((label, d.subject, d.jurisdiction, d.as_of.isoformat()), do, dn, eo, en)
            if impact is not None:
                out.append(dataclasses.replace(impact, name=name) if name else impact)
    finally:
        if screen is not None:
            screen.close()
    if screen is not None and notes is not None:
        notes.extend(screen.notes(len(items)))
    return out


def _plain_case(case: Path | dict, limits) -> dict | None:
    """The case as the plain dict the batch path screens, or None where only the row-wise path reads it."""
    if isinstance(case, dict):
        return {k: v for k, v in case.items() if k != "name"}
    try:
        data = load_file(case, limits).data
    except PolicyError:
        return None
    return data if type(data) is dict else None


def compare_decisions(head: tuple, do, dn, eo: str = "", en: str = "") -> CaseImpact | None:
    """How one case's decision changed between two versions (``do``/``dn``, or None with the
    error ``eo``/``en`` where a version refused the case): each outcome that differs with the
    rules that decided it before and after; None when nothing changed."""
    if do is None or dn is None:
        return CaseImpact(*head, (), eo, en) if do is not None or dn is not None else None
    xo, xn = {e.output: e for e in do.explanation}, {e.output: e for e in dn.explanation}
    changes = []
    for name in sorted(set(do.outputs) | set(dn.outputs)):
        a, b = to_json_value(do.outputs.get(name)), to_json_value(dn.outputs.get(name))
        if a != b:
            (ro, co), (rn, cn) = _decided_by(xo.get(name)), _decided_by(xn.get(name))
            changes.append(OutputChange(name, a, b, ro, rn, co, cn))
    return CaseImpact(*head, tuple(changes)) if changes else None


_NOT_APPLYING = ("not_applicable", "not_checkable")


def _decided_by(e) -> tuple[tuple[str, ...], tuple[Citation, ...]]:
    """The ids of the rules that decided an outcome (its explanation ``e``, None where the decision has no
    such outcome: nothing in force gives it) and the citations of the rules its line names: those, or
    where none decided it, those the explanation found not to apply."""
    if e is None:
        return (), ()
    shown = e.deciding or tuple(r for r in e.rules if r.status in _NOT_APPLYING)
    return tuple(r.id for r in e.deciding), tuple(
        Citation(r.id, r.document["id"], r.document["title"], r.document["number"], r.article, r.status) for r in shown)


# --- versions: folders and git revisions ----------------------------------------------------------


def _git(args: list[str], cwd: str | None = None, stdin: bytes | None = None) -> bytes:
    try:
        p = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except OSError as e:
        why = printable(str(e))
        raise PolicyError(Diagnostic("PE070", Text(f"无法运行 git：{why}", f"cannot run git: {why}"), None,
                                     hint=Text("比较 git:版本 需要安装 git", "comparing git:REV needs git installed")))
    if p.returncode != 0:
        why = printable(f"git {args[0]}: {p.stderr.decode(errors='replace').strip()}")
        raise PolicyError(Diagnostic("PE070", Text(f"git 命令失败：{why}", why), None))
    return p.stdout


def _absent(spec: str) -> PolicyError:
    """The refusal of a version whose folder or file does not exist (and that is no empty side of a
    folder added or deleted: :func:`_empty_sides`)."""
    shown = printable(repr(spec))
    if spec.startswith("git:"):
        rev, _, sub = spec[4:].partition(":")
        r, p = printable(repr(rev)), printable(repr(sub.strip("/") or "policies"))
        return PolicyError(Diagnostic("PE070", Text(f"{shown}：git 版本 {r} 中没有 {p}",
                                                    f"{shown}: there is no {p} at git revision {r}"), None,
                                      hint=Text("检查路径的写法；要比较新建或删除的文件夹，另一边写同一个路径，"
                                                "例如 git:HEAD:policies/新文件夹 与 policies/新文件夹",
                                                "check the path; to compare a folder that was added or deleted, give the "
                                                "same path on the other side, e.g. git:HEAD:policies/new and policies/new")))
    return PolicyError(Diagnostic("PE070", Text(f"{shown} 既不是政策文件夹，也不是 git:版本",
                                                f"{shown} is neither a policy folder nor git:REV"), None,
                                  hint=Text("给出规则文件所在的文件夹（或一个规则文件）、git:版本 或 git:版本:路径",
                                            "give a folder of rule files, git:REV or git:REV:PATH")))


def _empty_sides(specs: tuple[str, str], sides: list[tuple[Path, Path]]) -> list[bool]:
    """Which versions are empty: a folder or file that does not exist in one version but does in the
    other, at the same path (``git:HEAD:policies/x`` and ``policies/x``), is a folder added (or
    deleted) — compared as empty, so that everything in it is listed as added (or removed).  A
    path that exists in neither version, or only in one with the other version naming another
    path (a misspelling), is refused."""
    missing = [not folder.exists() for folder, _ in sides]
    same = sides[0][1].resolve() == sides[1][1].resolve()
    for spec, gone, other_gone in zip(specs, missing, reversed(missing)):
        if gone and (other_gone or not same):
            raise _absent(spec)
    return missing


@contextmanager
def _materialise(spec: str) -> Iterator[tuple[Path, str, str, Path]]:
    """A version as a folder: (folder, temp prefix, display prefix, the path it stands for in the
    working tree) — the prefixes map diagnostics back.  The folder may not exist (a path that
    this version does not have: :func:`_empty_sides` decides what that means)."""
    if not spec.startswith("git:"):
        yield Path(spec), "", "", Path(spec)
        return
    rev, _, sub = spec[4:].partition(":")
    sub = sub.strip("/") or "policies"
    top = _git(["rev-parse", "--show-toplevel"]).decode().strip()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=top)
    except PolicyError:
        shown, r = printable(spec), printable(repr(rev))
        raise PolicyError(Diagnostic("PE070", Text(f"{shown}：没有 git 版本 {r}", f"{shown}: unknown git revision {r}"), None,
                                     hint=Text("写当前仓库的提交、分支或标签，例如 git:HEAD~1",
                                               "a commit, branch or tag of the current repository, e.g. git:HEAD~1")))
    with tempfile.TemporaryDirectory(prefix="policyengine-diff-") as tmp:
        _write_tree(top, rev, sub, Path(tmp))
        yield Path(tmp) / sub, tmp + "/", f"git:{rev}:", Path(top) / sub


def _write_tree(top: str, rev: str, sub: str, dest: Path) -> None:
    """The files of ``sub`` exactly as committed at ``rev``: blobs read with ``git ls-tree`` and
    ``git cat-file``, so no export filter and no attribute of the compared tree applies
    (``git archive`` honours its ``.gitattributes``: ``export-ignore`` would hide a new rule
    file from the auditor, ``export-subst`` would rewrite one).  Symbolic links and submodules
    are not followed: a link is reported (PE071), never resolved."""
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", rev, "--", sub], cwd=top)
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split()
        path = name.decode("utf-8", "surrogateescape")
        parts = Path(path).parts
        if Path(path).is_absolute() or ".." in parts or not parts:  # (git refuses these; never trust it blindly)
            continue
        if mode == "120000":
            shown = printable(f"git:{rev}:{path}")
            raise PolicyError(Diagnostic("PE071", Text(f"{shown} 是符号链接，未跟随读取",
                                                       f"{shown} is a symbolic link; it was not followed"), None,
                                         hint=Text("提交规则文件本身，而不是指向它的链接",
                                                   "commit the rule file itself, not a link to it")))
        if kind != "blob":
            continue
        blobs.append((oid, path))
    if not blobs:
        return
    # one git process for every blob: linear in the files, not one process each
    data = _git(["cat-file", "--batch"], cwd=top, stdin="".join(oid + "\n" for oid, _ in blobs).encode("ascii"))
    at = 0
    for oid, path in blobs:
        nl = data.index(b"\n", at)
        size = int(data[at:nl].split()[2])
        body = data[nl + 1: nl + 1 + size]
        at = nl + 1 + size + 1
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)



def _load(spec: str, paths: list[Path], tmp: str, shown: str, lang: str) -> Policies:
    ps = load_rule_files(paths)
    if ps.errors:
        text = render_all(ps.errors, lang)
        shown_spec = printable(spec)
        raise _Refused((f"错误：{shown_spec} 的规则文件有错误：\n" if lang == "zh" else
                        f"error: {shown_spec} has errors in its rule files:\n") + (text.replace(tmp, shown) if tmp else text))
    return Policies(ps)


def _in_context(sides: list[tuple[Path, Path]], policies) -> list[list[Path]]:
    """The files each version is read from.  A version that is a folder or file inside the policy set
    (``policies``, default the shipped packs) — or a git revision of one — is read with the rest of
    the set: its own files in place of those under the path it stands for, so that a district's
    folder finds its parents.  A version outside the set stands for the same path as the other
    version when that one is inside it (an old copy of the folder); else it is read on its own."""
    from .api import default_policy_dir

    roots = [Path(p).resolve() for p in (policies or [default_policy_dir()])]

    def inside(p: Path) -> bool:
        return any(r in p.resolve().parents for r in roots)

    stands = [where if inside(where) else None for _, where in sides]
    if stands[0] is None and not any(Path(sides[0][1]).resolve() == r for r in roots):
        stands[0] = stands[1]
    if stands[1] is None and not any(Path(sides[1][1]).resolve() == r for r in roots):
        stands[1] = stands[0]
    rest: list[Path] = []
    if any(stands):
        rest, refused = find_files(roots)
        if refused:
            raise PolicyError(refused)
    out = []
    for (folder, _), where in zip(sides, stands):
        if where is None:
            out.append([folder])
            continue
        w = where.resolve()
        out.append([folder, *(f for f in rest if f.resolve() != w and w not in f.resolve().parents)])
    return out


class _Refused(Exception):
    pass


# --- output --------------------------------------------------------------------------------------------

_TITLES = {
    "zh": {"document": "文件", "jurisdiction": "层级", "enum": "枚举", "fact": "事实", "output": "结论", "parameter": "参数",
           "definition": "定义", "rule": "规则", "check": "检查警告"},
    "en": {"document": "Documents", "jurisdiction": "Jurisdictions", "enum": "Enums", "fact": "Facts",
           "output": "Outcomes", "parameter": "Parameters", "definition": "Definitions", "rule": "Rules",
           "check": "Check warnings"},
}
_SIGN = {"added": "+", "removed": "-", "changed": "~", "superseded": "~"}


def _row(c: Change, lang: str = "en") -> tuple[str, str, str]:
    """(sign, what, says) of one change — shared by the text and Markdown renderings.  The part that changed is
    named as the rule files write it in English (``value: 30 → 40``), in Chinese in the words of the guide
    (``取值：30 → 40``), as the kind of element in force is (``参数 min_service_days``)."""
    w = _WORDS[lang]
    if c.scope == "in-force":
        what = f"{c.part(lang)} {c.id}"
    else:
        where = " · ".join(x for x in (c.document, c.jurisdiction) if x and x != c.id)
        what = c.id + (f" [{where}]" if where else "")
    if c.change == "superseded":
        says = c.detail
    elif c.change in ("added", "removed"):
        value = c.new if c.change == "added" else c.old
        detail = c.explained(lang)
        says = (w[c.change] + (f"{w['colon']}{_text(value)}" if value is not None else "")
                + (_paren(detail, lang) if detail else ""))
    elif c.old == c.new:  # in force: the same rule, changed inside (the rules section says how)
        says = c.detail
    else:
        says = ((c.part(lang) + w["colon"] if c.scope != "in-force" else "")
                + f"{_text(c.old)} → {_text(c.new)}")
        if c.detail and c.detail != f"{_text(c.old)} → {_text(c.new)}":
            says += _paren(c.detail, lang)
    return _SIGN[c.change], what, says


def _paren(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _groups(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(c.scope if c.scope != "in-force" else "in-force " + c.jurisdiction, []).append(c)
    return list(out.items())


def _case_lines(i: CaseImpact, lang: str = "en", ps: PolicySet | None = None) -> list[str]:
    """An impact's lines; the values as the explanation shows them (``ps``, the new version, gives the
    types and enum labels): 是/否/无 and ``qualified（合格）`` in Chinese, as written in English."""
    w = _WORDS[lang]
    if i.old_error or i.new_error:
        return [w["no_eval"].format(which=w["old" if i.old_error else "new"], error=i.old_error or i.new_error)]
    labels = ps.enums.get("labels", {}) if ps is not None else {}

    def shown(v: Any, name: str) -> str:
        if lang == "en":
            return _text(v)
        out = ps.outputs.get(name) if ps is not None else None
        return show_value(v, lang, out.type if out is not None else None, labels)

    return [f"{o.output}{w['colon']}{shown(o.old, o.output)} → {shown(o.new, o.output)}"
            + w["rules"].format(new=_rules(o.new_rules, o.new_citations, lang), old=_rules(o.old_rules, o.old_citations, lang))
            for o in i.outputs]


def _rules(ids: tuple[str, ...], cited: tuple[Citation, ...], lang: str) -> str:
    """The rules of one version on a case's line: each with its document and article as the explanation cites
    it (``bt.commissioner.score（包头市…方案 附件3）``), ``不适用`` after one that does not apply; where none
    is named, that no rule in force decides the outcome.  (An impact made without citations names the ids.)"""
    w, said = _WORDS[lang], _EXPLAIN_WORDS[lang]
    if not cited:
        return w["list"].join(ids) or w["no_rule"]
    out = []
    for c in cited:
        rule = c.id + _paren(f"{c.title} {c.article}".strip(), lang)
        out.append(w["status"].format(rule=rule, status=said[c.status]) if c.status in _NOT_APPLYING else rule)
    return w["list"].join(out)


def render(old: str, new: str, as_of: _dt.date, changes: list[Change], impacts: list[CaseImpact] | None,
           checked: int, fmt: str, lang: str | None = None, ps: PolicySet | None = None) -> str:
    """The diff as text, Markdown or JSON; headings and lines in ``lang`` (default:
    ``$POLICYENGINE_LANG``, else Chinese), JSON keys in English; ``ps`` (the new version) gives the
    labels of the cases' enum values."""
    from . import __version__

    if fmt == "json":
        return dumps({"old": old, "new": new, "as_of": as_of.isoformat(), "engine_version": __version__,
                      "different": bool(changes or impacts),
                      "changes": [c.to_dict() for c in changes],
                      "cases": None if impacts is None else {"checked": checked, "changed": [i.to_dict() for i in impacts]}}) + "\n"
    lang = resolve_lang(lang)
    w, titles = _WORDS[lang], _TITLES[lang]
    md = fmt == "md"
    cell = md_cell  # text from files and cases: one line, '|' escaped, no control or bidi characters
    day = as_of.isoformat()
    lines = [w["md_title"].format(old=old, new=new) if md else f"policyengine diff {old} → {new}",
             w["md_date"].format(d=day) if md else w["header"].format(d=day),
             w["engine"].format(v=__version__) + (w["end"] if md else "")]
    for key, group in _groups(changes):
        title = titles.get(key) or printable(w["in_force_at"].format(j=key.split(" ", 1)[1]))
        lines += ["", f"## {title}", "", f"| | {w['what']} | {w['change']} |", "|---|---|---|"] if md else ["", title]
        for c in group:
            sign, what, says = _row(c, lang)
            lines.append(f"| {sign} | {cell(what)} | {cell(says)} |" if md else f"  {sign} {printable(what)}: {printable(says)}")
    if impacts is not None:
        title = w["cases"].format(n=len(impacts), checked=checked)
        lines += ["", f"## {title}", ""] if md else ["", title]
        if md and impacts:
            lines += [f"| {w['case']} | {w['outcome']} |", "|---|---|"]
        for i in impacts:
            head = i.path + (f" {i.name}" if i.name else "") + w["as_of"].format(subject=i.subject, j=i.jurisdiction,
                                                                                  d=i.as_of)
            body = _case_lines(i, lang, ps)
            lines += [f"| {cell(head)} | {'<br>'.join(cell(x) for x in body)} |"] if md else \
                [f"  {printable(head)}"] + [f"    {printable(x)}" for x in body]
    n = len(changes)
    lines += ["", w["summary"].format(n=n) + (w["summary_cases"].format(m=len(impacts)) if impacts is not None else "")
              + w["end"] if n or impacts else w["none"]]
    return "\n".join(lines) + "\n"


def run_diff(old: str, new: str, *, cases: str | None = None, fmt: str = "text", lang: str = "zh",
             as_of: str | _dt.date | None = None, policies=None, err=None, engine: str = "auto") -> int:
    """``policyengine diff OLD NEW``: 0 no difference, 1 a difference, 2 an error (printed on stderr).
    A folder or file inside the policy set (``policies``, default the shipped packs) is compared in
    the context of the rest of the set (:func:`_in_context`)."""
    err = err if err is not None else sys.stderr
    day = as_date(as_of) if isinstance(as_of, str) else as_of or _dt.date.today()  # (as a case reads its as_of)
    if day is None:
        shown = printable(repr(as_of))
        err.write(f"错误：--as-of {shown} 不是 YYYY-MM-DD 格式的日期\n" if lang == "zh" else
                  f"error: --as-of {shown} is not a date YYYY-MM-DD\n")
        return 2
    try:
        with ExitStack() as stack:
            mo, mn = stack.enter_context(_materialise(old)), stack.enter_context(_materialise(new))
            sides = [(mo[0], mo[3]), (mn[0], mn[3])]
            empty = _empty_sides((old, new), sides)
            files_o, files_n = [[f for f in files if not (gone and f == side[0])]  # the rest of the set only
                                for files, gone, side in zip(_in_context(sides, policies), empty, sides)]
            for spec, gone, what in zip((old, new), empty, (Text("新增", "added"), Text("删除", "removed"))):
                if gone:
                    shown = printable(spec)
                    err.write(f"注意：{shown} 不存在，当作空的：另一个版本中的一切都列为{what.zh}\n" if lang == "zh" else
                              f"note: {shown} does not exist: compared as empty, everything in the other version is "
                              f"listed as {what.en}\n")
            po = _load(old, files_o, mo[1], mo[2], lang)
            pn = _load(new, files_n, mn[1], mn[2], lang)
            changes = diff_policies(po.policy_set, pn.policy_set, day, lang)
            found = collect_cases(cases) if cases else []
            if cases and not found:
                shown = printable(str(cases))
                err.write(f"注意：{shown} 中没有个案：个案文件含 subject、jurisdiction、as_of、facts，或者是含 "
                          "'kind: policy-test' 和 'cases:' 的测试文件\n" if lang == "zh" else
                          f"note: {shown} holds no cases: a case file holds subject, jurisdiction, as_of and facts; "
                          "a test file holds 'kind: policy-test' and 'cases:'\n")
            notes: list[Text] = []
            impacts = impacted_cases(po, pn, found, lang, path=engine, notes=notes) if cases else None
    except _Refused as e:
        err.write(str(e) + "\n")
        return 2
    except PolicyError as e:
        err.write(render_all(e.diagnostics, lang) + "\n")
        return 2
    for n in notes if cases else ():
        err.write(("说明：" if resolve_lang(lang) == "zh" else "note: ") + n.get(resolve_lang(lang)) + "\n")
    sys.stdout.write(render(old, new, day, changes, impacts, len(found), fmt, lang, pn.policy_set))
    return 1 if changes or impacts else 0
