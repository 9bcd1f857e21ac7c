"""The fast path of ``Policies.evaluate``: accept a well-formed case without the reference validation.

The reference validation (:mod:`cases`) collects located diagnostics for every problem, which
makes it general and slow.  Almost every case a program sends is well formed, so
:class:`FactGate` tests each fact with a cheap, exact-type check compiled once per subject and
jurisdiction and *accepts only*: a case it cannot accept outright — a value of another type, a
subclass, a bound crossed, an unknown name, a field it does not know — goes to the reference
validation, which decides and reports.  A case the gate accepts is one the reference accepts,
with the same facts (``tests/test_fast_path.py`` compares the two on every hostile case and on
generated mutations), so the two paths can never give different answers or diagnostics.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from .cases import _BAD, _MAX_DIGITS, _Problems, _as_date, _coerce, _fresh
from .policy import PolicySet

__all__ = ["CASE_KEYS", "FactGate", "iso_date"]

_DATE = _dt.date
_LIMIT = 10 ** _MAX_DIGITS - 1  # the largest magnitude the reference accepts
_DATES: dict[str, _dt.date] = {}  # ISO text -> date, for as_of and date facts (bounded below)
_DATES_MAX = 65_536
CASE_KEYS = frozenset(("subject", "jurisdiction", "as_of", "facts"))


def iso_date(v: Any) -> _dt.date | None:
    """``cases._as_date`` for a value already known to be a ``str`` or a ``date``, memoised."""
    if type(v) is _DATE:
        return v
    got = _DATES.get(v)
    if got is None:
        got = _as_date(v)
        if got is None:
            return None
        if len(_DATES) >= _DATES_MAX:
            _DATES.clear()
        _DATES[v] = got
    return got


class FactGate:
    """The facts of one subject at one jurisdiction, checked by one generated function.

    The function tests each declared fact the case gives with the cheapest exact test of its type
    (``type(v) is int`` and the bounds, membership in the enum's values, ...), in a straight line,
    and answers the facts or None.  Fact names and values are never part of the generated source:
    they are constants in the function's namespace."""

    __slots__ = ("accept",)

    def __init__(self, ps: PolicySet, subject: str, jurisdiction: str):
        decls = ps.declared_facts(subject, jurisdiction)
        ns: dict[str, Any] = {"A": _ABSENT, "B": _BAD, "D": _DATES, "iso": iso_date, "date": _DATE,
                              "KNOWN": frozenset(decls), "type": type, "str": str, "int": int}
        # the facts out under the declared names (plain str), whatever str subclass the caller's keys were
        lines = ["    if not g.keys() <= KNOWN: return None", "    out = {}"]
        for i, (name, f) in enumerate(decls.items()):
            k = f"k{i}"
            ns[k] = name
            lines.append(f"    v = g.get({k}, A)")
            lines.append("    if v is not A:")
            lines.extend("        " + x for x in _check(f, i, ns, f"out[{k}]"))
            lines.append(f"        out[{k}] = v")
            if f.has_default:
                ns[f"d{i}"] = f.default
                if isinstance(f.default, (list, tuple, dict)):  # a fresh copy per case, as the reference makes
                    ns["fresh"] = _fresh
                    lines.append(f"    else: out[{k}] = fresh(d{i})")
                else:
                    lines.append(f"    else: out[{k}] = d{i}")
        lines.append("    return out")
        # every constant a local (a default argument): the fastest name lookup Python has
        head = "def accept(g, " + ", ".join(f"{n}={n}" for n in ns) + "):"
        env = dict(ns)
        exec(compile("\n".join([head] + lines), "<policyengine fact gate>", "exec"), env)  # no file text in it
        self.accept = env["accept"]


_ABSENT = object()


def _check(f, i: int, ns: dict, target: str, p: str = "", v: str = "v") -> list[str]:
    """Lines testing ``v``, the value of fact ``f``: 'return None' where the reference might object.
    ``p`` prefixes the names the lines read from the namespace."""
    lines = _check_lines(f, i, ns, target, p)
    if p or v != "v":
        import re
        lines = [re.sub(r"\bv\b", v, x) for x in lines]
    return lines


def _check_lines(f, i: int, ns: dict, target: str, p: str) -> list[str]:
    t, nullable, k = f.type, f.nullable or f.type.nullable, f.type.kind
    null_ok = "v is not None and " if nullable else ""
    if k == "bool":
        return [f"if {null_ok}v is not True and v is not False: return None"]
    if k == "int":
        lo = -_LIMIT if f.min is None else max(-_LIMIT, f.min)
        hi = _LIMIT if f.max is None else min(_LIMIT, f.max)
        ns[f"{p}lo{i}"], ns[f"{p}hi{i}"] = lo, hi
        return [f"if {null_ok}(type(v) is not int or v < {p}lo{i} or v > {p}hi{i}): return None"]
    if k == "enum":
        ns[f"{p}e{i}"] = frozenset(t.enum.values)
        return [f"if {null_ok}(type(v) is not str or v not in {p}e{i}): return None"]
    if k == "string":
        return [f"if {null_ok}type(v) is not str: return None"]
    if k == "date":
        ns[f"{p}D"], ns[f"{p}iso"], ns[f"{p}date"] = _DATES, iso_date, _DATE
        return ["if type(v) is str:",
                f"    v = {p}D.get(v) or {p}iso(v)",
                "    if v is None: return None",
                f"    {target} = v",
                f"elif {null_ok}type(v) is not {p}date: return None"]
    ns[f"{p}c{i}"], ns[f"{p}B"] = _reference_one(f), _BAD  # decimal, lists of records, anything rarer
    body = [f"v = {p}c{i}(v)", f"if v is {p}B: return None", f"{target} = v"]
    return ["if v is not None:"] + ["    " + x for x in body] if nullable else body


def checked_loads(ps: PolicySet, subject: str, jurisdiction: str):
    """For ``Program.decide_checked``: the lines that read each fact of the case into the decision
    function's own local, with the gate's checks on the way ('return None' where one fails)."""
    decls = ps.declared_facts(subject, jurisdiction)

    def lines(g, loads: dict[str, str]) -> list[str]:
        ns, p = g.ns, "_q"
        ns[f"{p}A"], ns[f"{p}K"] = _ABSENT, frozenset(decls)
        out = [f"if not f.keys() <= {p}K: return None"]
        for i, (name, fact) in enumerate(decls.items()):
            var = loads.get(name) or "_qv"  # a fact the decision does not read is checked all the same
            ns[f"{p}k{i}"] = name
            out.append(f"{var} = f.get({p}k{i}, {p}A)")
            if fact.has_default:
                ns[f"{p}d{i}"] = fact.default
                ns[f"{p}fresh"] = _fresh
                dflt = f"{p}fresh({p}d{i})" if isinstance(fact.default, (list, tuple, dict)) else f"{p}d{i}"
                out.append(f"if {var} is {p}A: {var} = {dflt}")
            else:
                out.append(f"if {var} is {p}A: {var} = M")
            out.append("else:")
            out.extend("    " + x for x in _check(fact, i, ns, var, p, var) if x.strip() != f"{var} = {var}")
        for name, loc in loads.items():
            if name not in decls:
                out.append(f"{loc} = M")  # a fact no document on the path declares: never given
        return out
    return lines


def _reference_one(f):
    """The reference coercion of one value, answering _BAD at the first problem."""
    def coerce(v):
        pr = _Problems(None, "<case>")
        got = _coerce(f.type, f.nullable, v, ("facts", f.name), pr, f.min, f.max)
        return _BAD if pr.items else got
    if f.type.kind == "list" and f.type.elem is not None and f.type.elem.kind == "record":
        fields = f.type.elem.fields
        if all(ft.kind in ("int", "enum", "bool", "string") and not ft.nullable for _, ft in fields):
            return _records(fields, coerce)
    return coerce


def _records(fields, reference):
    """A list of records with scalar fields, checked by a generated function: each item a dict with
    exactly those fields, each of the exact type (an int field is a count, 0 and up, as the reference
    reads it); anything else goes to the reference."""
    ns: dict[str, Any] = {"ref": reference, "keys": frozenset(n for n, _ in fields), "type": type, "dict": dict,
                          "list": list, "tuple": tuple, "str": str, "int": int, "bool": bool, "L": _LIMIT}
    body, build = [], []
    for i, (n, ft) in enumerate(fields):
        ns[f"n{i}"] = n
        body.append(f"x{i} = item[n{i}]")
        if ft.kind == "int":
            body.append(f"if type(x{i}) is not int or x{i} < 0 or x{i} > L: return ref(v)")
        elif ft.kind == "enum":
            ns[f"e{i}"] = frozenset(ft.enum.values)
            body.append(f"if type(x{i}) is not str or x{i} not in e{i}: return ref(v)")
        elif ft.kind == "bool":
            body.append(f"if x{i} is not True and x{i} is not False: return ref(v)")
        else:
            body.append(f"if type(x{i}) is not str: return ref(v)")
        build.append(f"n{i}: x{i}")
    src = ["def records(v, " + ", ".join(f"{k}={k}" for k in ns) + "):",
           "    if type(v) is not list and type(v) is not tuple: return ref(v)",
           "    out = []",
           "    for item in v:",
           "        if type(item) is not dict or item.keys() != keys: return ref(v)"]
    src += ["        " + x for x in body]
    src += ["        out.append({" + ", ".join(build) + "})", "    return tuple(out)"]
    env = dict(ns)
    exec(compile("\n".join(src), "<policyengine record gate>", "exec"), env)  # no file text in it
    return env["records"]
