"""Stage 6 — evaluate: a case against the compiled layers, as a pure function.

:func:`build_program` turns the merged layers for one subject into a
:class:`Program`: the definitions and outcomes in dependency order, generated
as one Python function (:mod:`compile`).  ``Program.run`` evaluates it over
a case's facts; when asked for a trace, the same function also records each
rule's raw result — whether it applied and what it gave — and the
explanation is read from those records, never recomputed.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, NamedTuple

from . import ast as A
from .compile import Gen
from .runtime import MISSING, ParamHistory, bounded
from .merge import Layers, MergedParam, MergedRule, boundaries, merge
from .policy import Fact, PolicySet, Rule, Table, Tier, topological_order
from .types import DATE, Env, T

__all__ = ["Program", "RuleOutcome", "build_program", "kleene_all", "kleene_any", "status_of", "tier_order"]

NA = object()  # a rule that does not apply (its 'when' is false)


def kleene_all(vals) -> Any:
    out = True
    for v in vals:
        if v is False:
            return False
        if v is not True:
            out = MISSING if (v is MISSING or out is MISSING) else None
    return out


def kleene_any(vals) -> Any:
    out = False
    for v in vals:
        if v is True:
            return True
        if v is not False:
            out = MISSING if (v is MISSING or out is MISSING) else None
    return out


_CONDITION_KINDS = ("eligibility", "obligation", "target")
_TEMP = re.compile(r"\b_t[0-9]+\b")


class _Values:
    """The straight-line assignments of one generated function, each value computed once.

    Layers restate rules, and one condition often appears in several rules (the same dates,
    the same grades): an expression whose code — temporaries renumbered — was already
    assigned is not computed again; its variable is used.  Every assignment is unconditional
    and every name is assigned once, so the same code means the same value."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.held: dict[str, str] = {}  # canonical code -> the variable that holds its value

    def assign(self, var: str, code: str) -> str:
        """Assign ``code`` to ``var``, or answer the variable that already holds it."""
        if code.isidentifier():
            return code  # a fact, a value or a constant: nothing to compute
        temps: dict[str, str] = {}
        key = _TEMP.sub(lambda m: temps.setdefault(m.group(), f"_t{len(temps)}"), code)
        held = self.held.get(key)
        if held is not None:
            return held
        self.lines.append(f"{var} = {code}")
        self.held[key] = var
        return var


def status_of(kind: str, has_body: bool, w: Any, b: Any) -> tuple[str, Any]:
    """A rule's status and contribution from what it applied to (w) and gave (b)."""
    if w is False:
        return "not_applicable", None
    if not has_body:
        return "not_checkable", None
    v = b
    if w is not True and not (kind in _CONDITION_KINDS and b is True):
        v = MISSING if (w is MISSING or b is MISSING) else None
    if kind in _CONDITION_KINDS:
        return ("holds" if v is True else "fails" if v is False else "unknown"), v
    return ("value" if v is not MISSING else "unknown"), v


def combine(mode: str, vals: list) -> Any:
    """An outcome from its rules' contributions (NA: the rule does not apply)."""
    if mode == "all":
        live = [True if v is NA else v for v in vals]
        return kleene_all(live) if live else None  # nothing checkable: null, never a vacuous true
    live = [v for v in vals if v is not NA]
    if mode == "any":
        return kleene_any(live)
    if mode == "override":
        return live[-1] if live else None
    return _combine_best(live, mode == "max")


def _combine_best(vals, higher: bool) -> Any:
    """``combine("max" or "min", vals)`` in one pass (also the generated code's)."""
    best = None
    for v in vals:
        if v is NA or v is None:
            continue
        if v is MISSING:
            return MISSING
        if best is None or (v > best if higher else v < best):
            best = v
    return best


def tier_order(tiers: tuple[Tier, ...]) -> list[Tier]:
    """Tiers in the order they are tried: where ranges share an end, the higher tier applies (CONTRACT)."""
    return sorted(tiers, key=lambda t: (t.points, t.min or 0), reverse=True)


_ORDERS: dict[int, tuple] = {}  # id(tiers) -> (tiers, their order): explanations pick a tier per item per case


def pick_tier(tiers: tuple[Tier, ...], v: int) -> Tier | None:
    got = _ORDERS.get(id(tiers))
    if got is None or got[0] is not tiers:
        if len(_ORDERS) >= 4096:
            _ORDERS.clear()
        got = _ORDERS[id(tiers)] = (tiers, tier_order(tiers))  # (tiers kept: the id is not reused)
    for t in got[1]:
        if t.covers(v):
            return t
    return None


class RuleOutcome(NamedTuple):
    """What one rule said in one evaluation (a named tuple: an explained decision makes dozens)."""

    rule: Rule
    merged: MergedRule
    status: str  # holds / fails / unknown / not_applicable / not_checkable / value
    value: Any
    detail: Any = None  # scoring: per-item values and points


@dataclass
class Program:
    """The compiled decision procedure for one subject at one set of layers."""

    subject: str
    layers: Layers
    facts: dict[str, Fact]
    outputs: dict[str, str]  # outcome -> combine mode, for the outcomes in force
    feeds: dict[str, list[MergedRule]]
    tables: dict[str, MergedRule]  # score/grade outcome -> the table rule
    params: dict[str, MergedParam]
    def_deps: dict[str, tuple[str, ...]]  # definition -> the names it reads
    _run: Callable
    _gen: Callable[[str], Callable]
    _names: tuple[str, ...]
    _gen_public: Callable[[], Callable]
    _public: Callable | None = None
    steps: Any = None  # the ordered steps the functions are generated from (batch/sql.py translates them)
    explain_memo: dict = field(default_factory=dict, repr=False)  # what explanations repeat: per rule and language

    def decide(self, facts: dict[str, Any], as_of: _dt.date) -> dict[str, Any]:
        """The outcomes as the API shows them (undetermined is None), without a trace: the same
        steps as :meth:`run`, generated into a function of their own the first time it is asked for."""
        fn = self._public
        if fn is None:
            fn = self._public = self._gen_public()
        return fn(facts, as_of)

    def run(self, facts: dict[str, Any], as_of: _dt.date, trace: bool = True):
        """Outcome values; with ``trace``, also the raw record of each rule's result and of every
        value computed on the way (turned into :class:`RuleOutcome` by :meth:`rule_outcomes`)."""
        t: dict | None = {} if trace else None
        # aggregates nested in aggregates stop at MAX_STEPS (PE080), never hang
        values = dict(zip(self._names, bounded(self._run, facts, as_of, t)))
        if not trace:
            return values, None, None
        return values, t, t.pop("#values")

    def rule_outcomes(self, raw: dict) -> dict[str, list[RuleOutcome]]:
        out: dict[str, list[RuleOutcome]] = {}
        shapes = self.explain_memo.get("#feeds")
        if shapes is None:
            shapes = self.explain_memo["#feeds"] = {}
        read = self.explain_memo.get("#read")  # (outcome, its rules' raw results) -> their RuleOutcomes
        if read is None:
            read = self.explain_memo["#read"] = {}
        new = tuple.__new__  # (a RuleOutcome without the named tuple's own __new__ in Python: dozens per decision)
        for name, entries in raw.items():
            if name in self.tables:
                m = self.tables[name]
                value, detail = entries
                out[name] = [RuleOutcome(m.rule, m, "unknown" if value is MISSING else "value", value, detail)]
                continue
            got = shapes.get(name)
            if got is None:  # what each rule's status is read with, the same for every case
                shape = tuple((m, m.rule, m.rule.kind, _body_of(m.rule) is not None, m.rule.deadline is not None,
                               m.rule.kind in _CONDITION_KINDS) for m in self.feeds[name])
                got = shapes[name] = (shape, all(x[5] for x in shape))
            shape, conditions = got
            if conditions:  # every result true, false, null or unknown: the same results read the same way
                seen = read.get((name, entries))
                if seen is not None:
                    out[name] = list(seen)
                    continue
            res = []
            for (m, r, kind, body, deadline, condition), (w, b) in zip(shape, entries):
                if w is True and body and condition and (b is True or b is False):  # the common case, as status_of says
                    status, v = ("holds" if b else "fails"), b
                else:
                    status, v = status_of(kind, body, w, b)
                    if deadline and status == "unknown" and v is None:
                        status = "pending"  # a target not reached before its deadline
                res.append(new(RuleOutcome, (r, m, status, v, None)))
            out[name] = res
            if conditions:
                if len(read) >= 4096:
                    read.clear()
                read[(name, entries)] = tuple(res)
        return out

    def rule_facts(self, r: Rule) -> tuple[str, ...]:
        """The facts a rule reads, directly or through definitions (not through other outcomes)."""
        return _transitive_facts(r.reads(), self.facts, self.def_deps)

    def rule_params(self, r: Rule) -> tuple[str, ...]:
        """The parameters a rule reads, directly or through definitions: the values in force that
        its explanation names with the layer that set them."""
        return _transitive_facts(r.reads(), self.params, self.def_deps)

    def output_function(self, name: str) -> Callable[[dict, _dt.date], Any]:
        """A function computing one outcome only (e.g. the score), generated from the same steps."""
        return self._gen(name)  # (its aggregates run within a step budget of their own: runtime._agg)


def _body_of(r: Rule):
    return r.condition if r.condition is not None else r.value


def _transitive_facts(names, facts, deps: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The names in ``facts`` (any container) reached from ``names`` through ``deps``."""
    out: set[str] = set()
    seen: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in facts:
            out.add(n)
        stack.extend(deps.get(n, ()))
    return tuple(sorted(out))


def in_force_on_calls(node: A.Node) -> Iterator[tuple[A.Node, str]]:
    """Each ``in_force_on(day, parameter)`` in ``node``: its day, and the name of the parameter."""
    for n in A.walk(node):
        if isinstance(n, A.Call) and n.func == "in_force_on" and len(n.args) == 2 and isinstance(n.args[1], A.Name):
            yield n.args[0], n.args[1].name


def _histories(ps: PolicySet, layers: Layers, exprs) -> dict[str, ParamHistory]:
    """For each parameter that an expression reads with in_force_on(): its values at this jurisdiction over time."""
    named = sorted({name for e in exprs for _, name in in_force_on_calls(e.node)})
    if not named:
        return {}
    days = boundaries(ps)
    at = {d: merge(ps, layers.jurisdiction, d).params for d in days}
    out = {}
    for name in named:
        since, last, favourable = [], None, None
        for d in days:
            m = at[d].get(name)
            v = m.param.value if m is not None else None
            if not since or v != last:
                since.append((d, v))
            last = v
            if m is not None:
                favourable = m.param.favourable
        cur = layers.params.get(name)  # (the direction in force at as_of; where the parameter is gone, its last)
        out["#history:" + name] = ParamHistory(name, tuple(since), cur.param.favourable if cur else favourable)
    return out


def build_program(ps: PolicySet, layers: Layers, subject: str, code_cache: dict | None = None) -> Program:
    facts = {n: f for (s, n), f in ps.facts.items() if s == subject}
    consts = {n: m.param.value for n, m in layers.params.items()}
    defs = {n: m for (s, n), m in layers.definitions.items() if s == subject}
    consts.update(_histories(ps, layers, [m.definition.expr for m in defs.values()]
                             + [e for m in layers.rules if m.rule.subject == subject
                                for e in (m.rule.when, m.rule.condition, m.rule.value) if e is not None]))
    names: dict[str, T] = {n: f.type for n, f in facts.items()}
    kinds = {n: "fact" for n in facts}
    for n, m in layers.params.items():
        names[n], kinds[n] = m.param.type, "parameter"
    for n, m in defs.items():
        names[n], kinds[n] = m.definition.expr.type, "definition"
    for o in ps.outputs.values():
        if subject in o.subjects:
            names.setdefault(o.name, o.type)
            kinds.setdefault(o.name, "output")
    names["as_of"], kinds["as_of"] = DATE, "builtin"
    env = Env(names, kinds)

    feeds: dict[str, list[MergedRule]] = {}
    tables: dict[str, MergedRule] = {}
    for m in layers.rules:
        if m.rule.subject != subject:
            continue
        if m.rule.table is not None:
            for o in m.rule.outputs():
                tables[o] = m  # the most specific table in force
        else:
            feeds.setdefault(m.rule.output, []).append(m)
    param_outputs = {m.param.output: m for m in layers.params.values()
                     if m.param.output and m.param.subject in (None, subject)
                     and subject in ps.outputs[m.param.output].subjects}
    deps: dict[str, tuple[str, ...]] = {n: m.definition.expr.reads for n, m in defs.items()}
    def_deps = dict(deps)  # definitions only: what explanations follow to name the facts behind a rule
    for o, ms in feeds.items():
        deps[o] = tuple(sorted({x for m in ms for x in m.rule.reads()}))
    for o, m in tables.items():
        deps[o] = tuple(sorted(m.rule.reads()))
    grade_of = {m.rule.table.grade_output: m.rule.table.score_output for m in tables.values()}
    for g, s in grade_of.items():
        deps[g] = tuple(sorted(set(deps.get(g, ())) | {s}))

    order = topological_order(deps)
    outputs = {o: ps.outputs[o].combine for o in sorted(set(feeds) | set(tables) | set(param_outputs))}
    steps = _Steps(env, consts, facts, defs, feeds, tables, param_outputs, order, code_cache,
                   {o: ps.outputs[o].combine for o in feeds})
    run = steps.generate(list(outputs), trace=True)
    return Program(subject, layers, facts, outputs, feeds, tables, layers.params, def_deps, run,
                   lambda name: steps.generate([name], trace=False, single=True), tuple(outputs),
                   lambda: steps.generate(list(outputs), trace=False, public=True), steps=steps)


class _Steps:
    """Generates the decision function (or the function of one outcome) from the ordered steps."""

    def __init__(self, env, consts, facts, defs, feeds, tables, param_outputs, order, code_cache, modes):
        self.env, self.consts, self.facts, self.defs, self.modes = env, consts, facts, defs, modes
        self.code_cache = code_cache
        self.feeds, self.tables, self.param_outputs, self.order = feeds, tables, param_outputs, order

    def needed(self, targets: list[str]) -> list[str]:
        deps = {n: () for n in self.order}
        for n in self.order:
            if n in self.defs and n not in self.feeds:
                deps[n] = self.defs[n].definition.expr.reads
            elif n in self.feeds:
                deps[n] = tuple(x for m in self.feeds[n] for x in m.rule.reads())
            elif n in self.tables:
                t = self.tables[n].rule.table
                deps[n] = tuple(self.tables[n].rule.reads()) + ((t.score_output,) if n == t.grade_output else ())
        keep: set[str] = set()
        stack = list(targets)
        while stack:
            n = stack.pop()
            if n in keep:
                continue
            keep.add(n)
            stack.extend(d for d in deps.get(n, ()) if d in deps)
        return [n for n in self.order if n in keep]

    def generate(self, targets: list[str], trace: bool, single: bool = False, public: bool = False,
                 checked: Callable | None = None) -> Callable:
        g = Gen()
        grades = {m.rule.table.grade_output for m in self.tables.values()}
        self.want_grade = not single or bool(grades & set(self.needed(targets)))
        local: dict[str, str] = {}  # name -> local variable holding its value
        loads: dict[str, str] = {}

        def resolve(name: str) -> str:
            if name in self.consts:
                return g.const(self.consts[name])
            if name == "as_of":
                return "as_of"
            if name in local:
                return local[name]
            if name in self.facts:
                if name not in loads:
                    loads[name] = f"f{len(loads)}"
                return loads[name]
            return "M"  # an outcome no layer in force defines

        body: list[str] = []
        values = _Values(body)
        done_tables: set[str] = set()
        for n in (self.needed(targets) if single else self.order):
            v = f"v{len(local)}"
            if n in self.tables:
                m = self.tables[n]
                if m.rule.id in done_tables:
                    continue
                done_tables.add(m.rule.id)
                body += self.table(g, m, env=self.env, resolve=resolve, local=local, trace=trace)
                continue
            if n in self.defs and n not in self.feeds:
                local[n] = values.assign(v, g.expr(self.defs[n].definition.expr.node, self.env, resolve, self.consts))
                continue
            if n in self.feeds:
                local[n] = self.output(g, n, v, resolve, trace, values)
        for o, m in self.param_outputs.items():
            local.setdefault(o, g.const(m.param.value))
        if checked is not None:  # the facts checked as they are read (fast.py): None where a check fails
            pre = checked(g, loads)
        else:
            pre = [f"{loc} = f.get({g.const(name)}, M)" for name, loc in loads.items()]
        if trace:
            body.append("if T is not None: T['#values'] = {"
                        + ", ".join(f"{g.const(n)}: {loc}" for n, loc in local.items()) + "}")
        if single:
            return g.function("outcome", "f, as_of", pre + body + [f"return {local.get(targets[0], 'M')}"], self.code_cache)
        if public:  # the outcomes as the API shows them: a dict, undetermined as None
            ret = "return {" + "".join(f"{g.const(o)}: {_public(local.get(o, 'M'))}, " for o in targets) + "}"
            return g.function("decide_public", "f, as_of", pre + body + [ret], self.code_cache)
        ret = "return (" + "".join(local.get(o, "M") + ", " for o in targets) + ")"
        return g.function("decide", "f, as_of, T", pre + body + [ret], self.code_cache)

    def output(self, g: Gen, name: str, v: str, resolve, trace: bool, values: _Values) -> str:
        """The lines of one outcome; answers the variable that holds its value."""
        lines, pairs, contrib = values.lines, [], []
        for k, m in enumerate(self.feeds[name]):
            r = m.rule
            w, b = f"{v}w{k}", f"{v}b{k}"
            body = _body_of(r)
            if r.when is not None:
                w = values.assign(w, g.expr(r.when.node, self.env, resolve, self.consts))
            else:
                w = "True"
            if body is None:
                b = "None"
            elif r.when is not None:
                b = values.assign(b, f"({g.expr(body.node, self.env, resolve, self.consts)} if {w} is not False else None)")
            else:
                b = values.assign(b, g.expr(body.node, self.env, resolve, self.consts))
            if r.deadline is not None and body is not None:  # not reached before its deadline: pending (null)
                b = values.assign(f"{v}p{k}", f"({b} if {b} is True or {b} is M or as_of >= {g.const(r.deadline)} else None)")
            pairs.append(f"({w}, {b})")
            if body is not None:
                contrib.append((r.kind, w, b, r.when is not None))
        mode = self.modes[name]
        parts = []
        for kind, w, b, has_when in contrib:
            if not has_when:
                parts.append(b)
            elif kind in _CONDITION_KINDS:
                parts.append(f"(True if {w} is False else ({b} if {w} is True or {b} is True else _unk({w}, {b})))")
            else:
                parts.append(f"(NA if {w} is False else ({b} if {w} is True else _unk({w}, {b})))")
        g.ns.update(NA=NA, _combine=combine, _combine_best=_combine_best,
                    _all=kleene_all, _any=kleene_any)
        plain = all(not hw for _, _, _, hw in contrib)
        if not parts:
            code = "None"
        elif len(parts) == 1 and (mode != "all" or not contrib[0][3]) and not parts[0].startswith("(NA"):
            code = parts[0]  # one rule: its value is the outcome (Kleene and max of one)
        elif mode == "all":  # a rule that does not apply already contributes True here
            code = f"_all(({''.join(p + ', ' for p in dict.fromkeys(parts))}))"  # a value twice adds nothing
        elif plain and mode == "any":
            code = f"_any(({''.join(p + ', ' for p in dict.fromkeys(parts))}))"
        elif plain and mode == "override":
            code = parts[-1]  # the most specific rule in force decides
        elif plain and len(parts) == 1:
            code = parts[0]  # max/min of one value
        elif mode in ("max", "min"):
            code = f"_combine_best(({''.join(p + ', ' for p in parts)}), {mode == 'max'})"
        else:
            code = f"_combine({g.const(mode)}, [{', '.join(parts)}])"
        v = values.assign(v, code)
        if trace:
            lines.append(f"if T is not None: T[{g.const(name)}] = ({''.join(p + ', ' for p in pairs)})")
        return v

    def table(self, g: Gen, m: MergedRule, env, resolve, local, trace) -> list[str]:
        t: Table = m.rule.table
        lines = ["_u = False"]
        pts, vals = [], []
        for i, it in enumerate(t.items):
            x, p = f"_x{i}", f"_p{i}"
            code = g.expr(it.value.node, env, resolve, self.consts)
            if code.isidentifier():
                x = code  # the item counts a fact: use its local directly
            else:
                lines.append(f"{x} = {code}")
            lines.append(f"if {x} is M or {x} is None: _u = True; {p} = None")
            lowest = self.lowest(it.value.node)
            for cond, points in _tier_chain(it.tiers, x, lowest):
                lines.append(f"elif {cond}: {p} = {points!r}" if cond else f"else: {p} = {points!r}")
            pts.append(p)
            vals.append(x)
        for i, b in enumerate(t.bonus):
            y, q = f"_y{i}", f"_q{i}"
            lines.append(f"{y} = {g.expr(b.points.node, env, resolve, self.consts)}")
            lines.append(f"if {y} is M or {y} is None: _u = True; {q} = None")
            lines.append(f"elif {y} > {b.max!r}: {q} = {b.max!r}")
            lines.append(f"elif {y} < 0: {q} = 0")
            lines.append(f"else: {q} = {y}")
            pts.append(q)
            vals.append(y)
        s, gr = f"v{len(local)}", f"v{len(local) + 1}"
        table_sum = " + ".join(pts[: len(t.items)]) or "0"
        lines.append(f"{s} = M if _u else {' + '.join(pts) or '0'}")
        lines.append(f"if {s} is not M and {s} > {t.cap!r}: {s} = {t.cap!r}")
        chain = "None"
        for band in sorted(t.bands, key=lambda b: b.min or 0):
            cond = " and ".join(filter(None, [f"{s} >= {band.min!r}" if band.min is not None else "",
                                              f"{s} <= {band.max!r}" if band.max is not None else ""])) or "True"
            chain = f"({g.const(band.grade)} if {cond} else {chain})"
        if self.want_grade:
            lines.append(f"{gr} = M if {s} is M else {chain}")
        if trace:
            detail = f"(({''.join(v + ', ' for v in vals)}), ({''.join(p + ', ' for p in pts)}), (None if _u else {table_sum}))"
            lines.append(f"if T is not None: T[{g.const(t.score_output)}] = ({s}, {detail}); "
                         f"T[{g.const(t.grade_output)}] = ({gr}, {s})")
        local[t.score_output], local[t.grade_output] = s, gr
        return lines

    def lowest(self, node) -> int | None:
        """The smallest value an item can take, where its fact declares a bound."""
        from . import ast as A

        if isinstance(node, A.Name) and node.name in self.facts:
            lo = self.facts[node.name].min
            return int(lo) if lo is not None else None
        return None


def _public(loc: str) -> str:
    if loc == "M":
        return "None"
    if not loc.isidentifier() or loc in ("None", "True", "False"):
        return loc  # a literal is never undetermined
    return f"(None if {loc} is M else {loc})"


def _tier_chain(tiers: tuple[Tier, ...], x: str, lowest: int | None) -> list[tuple[str, int]]:
    """The tests of an if/elif chain picking a tier, with bounds that earlier tests settle left out.

    Tiers are tried highest first (CONTRACT: shared ends go to the higher tier); a value no tier
    covers scores 0.  An upper bound is tested only where some larger value can still reach this
    row; a lower bound only where some smaller value can.  The last row becomes ``else`` when it
    takes every value left.
    """
    order = tier_order(tiers)
    bounds = sorted({b for t in tiers for b in (t.min, t.max) if b is not None})
    probe = sorted({v for b in bounds for v in (b - 1, b, b + 1)} | ({lowest} if lowest is not None else set()))
    probe = [v for v in probe if lowest is None or v >= lowest]
    remaining = set(probe)  # representative values not yet taken by an earlier row
    out: list[tuple[str, int]] = []
    for t in order:
        need_max = t.max is not None and any(v > t.max for v in remaining)
        need_min = t.min is not None and any(v < t.min for v in remaining)
        if lowest is None and t.min is not None:
            need_min = True
        if max(bounds, default=0) + 1 in remaining and t.max is not None:
            need_max = True
        cond = " and ".join(filter(None, [f"{x} >= {t.min!r}" if need_min else "", f"{x} <= {t.max!r}" if need_max else ""]))
        taken = {v for v in remaining if t.covers(v)}
        remaining -= taken
        if not cond:
            out.append(("", t.points))
            return out
        out.append((cond, t.points))
    out.append(("", 0))  # a value no row covers scores 0 (CONTRACT)
    return out

