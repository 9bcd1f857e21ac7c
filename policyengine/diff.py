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
3. Which decisions change?  :func:`impacted_cases` evaluates case files under
   both versions and lists the outcomes that differ, with the deciding rules
   from the old and the new explanation.

:func:`run_diff` is the ``policyengine diff`` command: text, Markdown or JSON;
exit 0 when nothing differs, 1 when something does, 2 on an error.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import ast as A
from .api import Policies, load_rule_files
from .diagnostics import Diagnostic, PolicyError, Severity, md_cell, printable, render_all
from .explain import dumps, to_json_value
from .load import find_files, load_file
from .merge import Layers, merge
from .records import is_text, text_of
from .policy import Band, Expr, PolicySet, Tier
from .types import T

__all__ = ["Change", "OutputChange", "CaseImpact", "diff_policies", "impacted_cases", "compare_decisions", "find_cases",
           "run_diff"]


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

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class OutputChange:
    output: str
    old: Any
    new: Any
    old_rules: tuple[str, ...]  # deciding rules (or parameters) of the old explanation
    new_rules: tuple[str, ...]


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

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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


# --- expressions: the smallest part that differs ------------------------------------------------


def _shallow(n: A.Node) -> tuple:
    """A node's own attributes (operator, name, value), without its children."""
    return tuple(getattr(n, f.name) for f in dataclasses.fields(n)
                 if f.name not in _SKIP and not isinstance(getattr(n, f.name), (A.Node, tuple)))


def _expr_detail(a: A.Node, b: A.Node) -> str:
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
            return "set widened: + " + ", ".join(added)
        if gone and not added:
            return "set narrowed: − " + ", ".join(gone)
        return "set changed: " + ", ".join(["+ " + x for x in added] + ["− " + x for x in gone]) if added or gone \
            else "order changed"
    for verb, short, long in (("adds", a, b), ("drops", b, a)):  # a condition joined on, or taken off
        if isinstance(long, A.BoolOp) and long.left == short:
            return f"{verb} `{long.op} {src(long.right)}`"
        if isinstance(long, A.BoolOp) and long.right == short:
            return f"{verb} `{src(long.left)} {long.op}`"
    if type(a) is type(b) and A.children(a) == A.children(b):
        return ("operator " if hasattr(a, "op") else "") + f"{' '.join(map(str, _shallow(a)))} → {' '.join(map(str, _shallow(b)))}"
    return f"`{src(a)}` → `{src(b)}`" if (a, b) != root else ""


def _row_moved(i: int, x: Tier | Band, y: Tier | Band) -> str:
    """One tier or grade band that moved: its bounds, its points or grade, or both."""
    what, got = ("tier", "points") if isinstance(x, Tier) else ("band", "grade")
    rx, ry, vx, vy = _range(x.min, x.max), _range(y.min, y.max), getattr(x, got), getattr(y, got)
    if vx == vy:
        return f"{what} {i + 1}: {rx} → {ry} ({vx}{' points' if got == 'points' else ''})"
    if rx == ry:
        return f"{what} {i + 1} ({rx}): {vx} → {vy}{' points' if got == 'points' else ''}"
    return f"{what} {i + 1}: {rx}: {vx} → {ry}: {vy}"


def _seq_detail(a: tuple, b: tuple, lang: str) -> str:
    """Tiers, bands and plain lists: which entries moved, came or went."""
    sa, sb = [_show(x, lang) for x in a], [_show(x, lang) for x in b]
    if a and isinstance(a[0], (Tier, Band)) and len(a) == len(b):
        return "; ".join(_row_moved(i, x, y) for i, (x, y, p, q) in enumerate(zip(a, b, sa, sb)) if p != q)
    added, gone = [x for x in sb if x not in sa], [x for x in sa if x not in sb]
    return ", ".join([f"+ {_text(x)}" for x in added] + [f"− {_text(x)}" for x in gone]) or "order changed"


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
             "binding", "is_default", "effective", "effective_until", "label", "citation", "ambiguity", "note"),
    "Table": ("cap", "score_output", "grade_output", "items", "bonus", "bands"),
    "Item": ("value", "max", "tiers", "label", "citation"),
    "Bonus": ("points", "max", "label", "citation"),
}
_SUMMARY = {"document": "title", "jurisdiction": "name", "enum": "values", "fact": "type", "output": "type",
            "parameter": "value", "definition": "expr", "rule": "label"}


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
                           "item added" if k not in xs else "item removed")
                else:
                    yield from _fields("Item" if name == "items" else "Bonus", xs[k], ys[k], lang, f"{path}.{k}.")
        elif isinstance(x, Expr) and isinstance(y, Expr):
            yield path, _show(x, lang), _show(y, lang), _expr_detail(x.node, y.node)
        elif isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
            yield path, _show(x, lang), _show(y, lang), _seq_detail(tuple(x), tuple(y), lang)
        elif isinstance(x, dict) and isinstance(y, dict):
            keys = sorted(k for k in set(x) | set(y) if _canon(x.get(k)) != _canon(y.get(k)))
            yield (path, _show({k: x[k] for k in keys if k in x}, lang), _show({k: y[k] for k in keys if k in y}, lang),
                   "differs for: " + ", ".join(map(str, keys)))
        else:
            sx, sy = _show(x, lang), _show(y, lang)
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
            out.append(Change(scope, ident, "added" if o is None else "removed", doc, layer,
                              old=None if o is None else shown, new=shown if o is None else None))
            continue
        for f, x, y, detail in _fields(scope, o[3], n[3], lang):
            out.append(Change(scope, ident, "changed", doc, layer, f, x, y, detail))
    return out


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


def _supersessions(old: PolicySet, new: PolicySet) -> list[Change]:
    pairs = lambda ps: {(s, d.id): d for d in ps.documents.values() for s in d.supersedes}  # noqa: E731
    po, pn = pairs(old), pairs(new)
    out = []
    for earlier, later in sorted(set(po) ^ set(pn)):
        ps = new if (earlier, later) in pn else old
        doc = ps.documents.get(earlier)
        out.append(Change("document", earlier, "superseded", earlier, doc.jurisdiction if doc else "", "superseded_by",
                          None if (earlier, later) in pn else later, later if (earlier, later) in pn else None,
                          f"superseded by {later}" if (earlier, later) in pn else f"no longer superseded by {later}"))
    return out


def _warnings(old: PolicySet, new: PolicySet) -> list[Change]:
    """Warnings of ``policyengine check`` that one version has and the other not (a lower layer's value
    now ignored as a loosening, a tier overlap), located by document rather than by line."""
    def found(ps: PolicySet) -> dict[tuple, str]:
        docs = {d.path: d for d in ps.documents.values()}
        got = {}
        for d in ps.diagnostics:
            doc = docs.get(d.span.file) if d.span else None
            if d.severity is Severity.WARNING:
                got[(doc.jurisdiction if doc else "", doc.id if doc else "", d.code, d.message)] = d.message
        return got
    wo, wn = found(old), found(new)
    return [Change("check", code, "added" if k in wn else "removed", doc, layer, "warning",
                   None if k in wn else msg, msg if k in wn else None)
            for k in sorted(set(wo) ^ set(wn)) for layer, doc, code, msg in (k,)]


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
    if base_o or base_n:
        out.append(Change("in-force", jid, "added" if base_o else "removed", "", jid, "jurisdiction", None, None,
                          f"compared with what applied at {base_o or base_n} in the {'old' if base_o else 'new'} version"))
    now = _in_force_items(ln, lang)
    for what, before in _in_force_items(lo, lang).items():
        after = now[what]
        for k in sorted(set(before) | set(after)):
            x, y = before.get(k), after.get(k)
            if x and y and _canon(x[0]) == _canon(y[0]):
                continue
            notes = []
            if what == "rule" and x and y:  # the same rule changed inside: name the parts
                parts = sorted({f for f, *_ in _fields("rule", x[0], y[0], lang)})
                notes += [", ".join(parts) + " changed"] if parts else []
            if what != "document":
                notes += [f"set by {y[1]} {y[3]}".strip()] if y else []
                notes += [f"was set by {x[1]} {x[3]}".strip()] if x and (not y or x[1] != y[1]) else []
            out.append(Change("in-force", k, "added" if not x else "removed" if not y else "changed", (y or x)[1], jid,
                              what, x[2] if x else None, y[2] if y else None, "; ".join(notes)))
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
            out.extend(_supersessions(old, new))
    out.extend(_warnings(old, new))
    for jid in sorted(set(old.jurisdictions) | set(new.jurisdictions)):
        out.extend(_in_force(old, new, jid, as_of, lang))
    return out


# --- decisions that change --------------------------------------------------------------------------


def find_cases(folder: str | Path) -> list[Path]:
    """Case files in ``folder`` (recursively): *.yaml, *.yml, *.json holding a mapping with a ``subject``;
    or ``folder`` itself when it is a case file."""
    root = Path(folder)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files, refused = find_files([root], (".yaml", ".yml", ".json"))
        if refused:  # a link out of the folder: refused, and nothing of its target is shown
            raise PolicyError(refused)
    else:
        raise PolicyError(Diagnostic("PE070", f"cases folder or file {str(folder)!r} does not exist", None,
                                     hint="give a case file, or a folder of case files, with --cases"))
    out = []
    for p in files:
        data = load_file(p).data
        if isinstance(data, dict) and "subject" in data:
            out.append(p)
    return out


def _evaluate(pol: Policies, path: Path, lang: str):
    try:
        return pol.evaluate(path, lang=lang), ""
    except PolicyError as e:
        return None, "; ".join(d.message for d in e.diagnostics)


def impacted_cases(old_policies: Policies, new_policies: Policies, case_paths: Iterable[str | Path],
                   lang: str = "zh") -> list[CaseImpact]:
    """The cases whose outcomes differ between the two versions, in the order given.  A case that
    evaluates under neither version is a malformed case: :class:`PolicyError`."""
    out = []
    for path in case_paths:
        (do, eo), (dn, en) = _evaluate(old_policies, Path(path), lang), _evaluate(new_policies, Path(path), lang)
        if do is None and dn is None:
            new_policies.evaluate(path)  # raises with the located diagnostics
        d = dn or do
        impact = compare_decisions((str(path), d.subject, d.jurisdiction, d.as_of.isoformat()), do, dn, eo, en)
        if impact is not None:
            out.append(impact)
    return out


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
            deciding = lambda x: tuple(r.id for r in x[name].deciding) if name in x else ()  # noqa: E731
            changes.append(OutputChange(name, a, b, deciding(xo), deciding(xn)))
    return CaseImpact(*head, tuple(changes)) if changes else None


# --- versions: folders and git revisions ----------------------------------------------------------


def _git(args: list[str], cwd: str | None = None) -> bytes:
    try:
        p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as e:
        raise PolicyError(Diagnostic("PE070", f"cannot run git: {e}", None))
    if p.returncode != 0:
        raise PolicyError(Diagnostic("PE070", f"git {args[0]}: {p.stderr.decode(errors='replace').strip()}", None))
    return p.stdout


@contextmanager
def _materialise(spec: str) -> Iterator[tuple[Path, str, str]]:
    """A version as a folder: (folder, temp prefix, display prefix) — the prefixes map diagnostics back."""
    if not spec.startswith("git:"):
        if not Path(spec).exists():
            raise PolicyError(Diagnostic("PE070", f"{spec!r} is neither a policy folder nor git:REV", None,
                                         hint="give a folder of rule files, git:REV or git:REV:PATH"))
        yield Path(spec), "", ""
        return
    rev, _, sub = spec[4:].partition(":")
    sub = sub.strip("/") or "policies"
    top = _git(["rev-parse", "--show-toplevel"]).decode().strip()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=top)
    except PolicyError:
        raise PolicyError(Diagnostic("PE070", f"{spec}: unknown git revision {rev!r}", None,
                                     hint="a commit, branch or tag of the current repository, e.g. git:HEAD~1"))
    with tempfile.TemporaryDirectory(prefix="policyengine-diff-") as tmp:
        _write_tree(top, rev, sub, Path(tmp))
        yield Path(tmp) / sub, tmp + "/", f"git:{rev}:"


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
            raise PolicyError(Diagnostic("PE071", f"git:{rev}:{path} is a symbolic link; it was not followed", None,
                                         hint="commit the rule file itself, not a link to it"))
        if kind != "blob":
            continue
        blobs.append((oid, path))
    if not blobs:
        return
    # one git process for every blob: linear in the files, not one process each
    data = _git_input(["cat-file", "--batch"], "".join(oid + "\n" for oid, _ in blobs).encode("ascii"), cwd=top)
    at = 0
    for oid, path in blobs:
        nl = data.index(b"\n", at)
        size = int(data[at:nl].split()[2])
        body = data[nl + 1: nl + 1 + size]
        at = nl + 1 + size + 1
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def _git_input(args: list[str], stdin: bytes, cwd: str | None = None) -> bytes:
    try:
        p = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except OSError as e:
        raise PolicyError(Diagnostic("PE070", f"cannot run git: {e}", None))
    if p.returncode != 0:
        raise PolicyError(Diagnostic("PE070", f"git {args[0]}: {p.stderr.decode(errors='replace').strip()}", None))
    return p.stdout


def _load(spec: str, folder: Path, tmp: str, shown: str) -> Policies:
    ps = load_rule_files([folder])
    if ps.errors:
        text = render_all(ps.errors)
        raise _Refused(f"error: {spec} has errors in its rule files:\n" + (text.replace(tmp, shown) if tmp else text))
    return Policies(ps)


class _Refused(Exception):
    pass


# --- output --------------------------------------------------------------------------------------------

_TITLES = {"document": "Documents", "jurisdiction": "Jurisdictions", "enum": "Enums", "fact": "Facts",
           "output": "Outcomes", "parameter": "Parameters", "definition": "Definitions", "rule": "Rules",
           "check": "Check warnings"}
_SIGN = {"added": "+", "removed": "-", "changed": "~", "superseded": "~"}


def _row(c: Change) -> tuple[str, str, str]:
    """(sign, what, says) of one change — shared by the text and Markdown renderings."""
    if c.scope == "in-force":
        what = f"{c.field} {c.id}"
    else:
        where = " · ".join(x for x in (c.document, c.jurisdiction) if x and x != c.id)
        what = c.id + (f" [{where}]" if where else "")
    if c.change == "superseded":
        says = c.detail
    elif c.change in ("added", "removed"):
        value = c.new if c.change == "added" else c.old
        says = c.change + (f": {_text(value)}" if value is not None else "") + (f" ({c.detail})" if c.detail else "")
    elif c.old == c.new:  # in force: the same rule, changed inside (the rules section says how)
        says = c.detail
    else:
        says = (f"{c.field}: " if c.scope != "in-force" else "") + f"{_text(c.old)} → {_text(c.new)}"
        if c.detail and c.detail != f"{_text(c.old)} → {_text(c.new)}":
            says += f" ({c.detail})"
    return _SIGN[c.change], what, says


def _groups(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(c.scope if c.scope != "in-force" else "in-force " + c.jurisdiction, []).append(c)
    return list(out.items())


def _case_lines(i: CaseImpact) -> list[str]:
    if i.old_error or i.new_error:
        return [f"does not evaluate under the {'old' if i.old_error else 'new'} version: {i.old_error or i.new_error}"]
    return [f"{o.output}: {_text(o.old)} → {_text(o.new)} (new: {', '.join(o.new_rules) or '—'}; "
            f"old: {', '.join(o.old_rules) or '—'})" for o in i.outputs]


def render(old: str, new: str, as_of: _dt.date, changes: list[Change], impacts: list[CaseImpact] | None,
           checked: int, fmt: str) -> str:
    if fmt == "json":
        return dumps({"old": old, "new": new, "as_of": as_of.isoformat(), "different": bool(changes or impacts),
                      "changes": [c.to_dict() for c in changes],
                      "cases": None if impacts is None else {"checked": checked, "changed": [i.to_dict() for i in impacts]}}) + "\n"
    md = fmt == "md"
    cell = md_cell  # text from files and cases: one line, '|' escaped, no control or bidi characters
    lines = [f"# Policy diff: `{old}` → `{new}`" if md else f"policyengine diff {old} → {new}",
             f"In force on {as_of.isoformat()}." if md else f"in force on {as_of.isoformat()}"]
    for key, group in _groups(changes):
        title = _TITLES.get(key) or printable(f"In force at {key.split(' ', 1)[1]}")
        lines += ["", f"## {title}", "", "| | what | change |", "|---|---|---|"] if md else ["", title]
        for c in group:
            sign, what, says = _row(c)
            lines.append(f"| {sign} | {cell(what)} | {cell(says)} |" if md else f"  {sign} {printable(what)}: {printable(says)}")
    if impacts is not None:
        title = f"Cases whose outcomes change: {len(impacts)} of {checked}"
        lines += ["", f"## {title}", ""] if md else ["", title]
        if md and impacts:
            lines += ["| case | outcome: old → new (deciding rules) |", "|---|---|"]
        for i in impacts:
            head = f"{i.path} ({i.subject} @ {i.jurisdiction}, as of {i.as_of})"
            body = _case_lines(i)
            lines += [f"| {cell(head)} | {'<br>'.join(cell(x) for x in body)} |"] if md else \
                [f"  {printable(head)}"] + [f"    {printable(x)}" for x in body]
    n = len(changes)
    lines += ["", f"{n} difference(s) in the policies" + (f", {len(impacts)} case(s) change" if impacts is not None else "") + "."
              if n or impacts else "No difference."]
    return "\n".join(lines) + "\n"


def run_diff(old: str, new: str, *, cases: str | None = None, fmt: str = "text", lang: str = "zh",
             as_of: str | _dt.date | None = None) -> int:
    """``policyengine diff OLD NEW``: 0 no difference, 1 a difference, 2 an error (printed on stderr)."""
    try:
        day = _dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of or _dt.date.today()
    except ValueError:
        print(f"error: --as-of {as_of!r} is not a date YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        with ExitStack() as stack:
            po = _load(old, *stack.enter_context(_materialise(old)))
            pn = _load(new, *stack.enter_context(_materialise(new)))
            changes = diff_policies(po.policy_set, pn.policy_set, day, lang)
            paths = find_cases(cases) if cases else []
            impacts = impacted_cases(po, pn, paths, lang) if cases else None
    except _Refused as e:
        print(str(e), file=sys.stderr)
        return 2
    except PolicyError as e:
        print(render_all(e.diagnostics), file=sys.stderr)
        return 2
    sys.stdout.write(render(old, new, day, changes, impacts, len(paths), fmt))
    return 1 if changes or impacts else 0
