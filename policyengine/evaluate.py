"""Stage 6 — evaluate: a case against the compiled layers, as a pure function.

:func:`build_program` turns the merged layers for one subject into a
:class:`Program`: the definitions and outcomes in dependency order, each a
compiled step.  :meth:`Program.run` evaluates the steps over the case's facts
and returns the outcome values together with every rule's result — the
explanation is read from those results, never recomputed.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable

from .compile import MISSING, EvalLimit, compile_expr
from .merge import Layers, MergedParam, MergedRule
from .policy import Fact, PolicySet, Rule, Table
from .types import ANY, DATE, Env, T

__all__ = ["Program", "RuleOutcome", "build_program", "kleene_all", "kleene_any"]


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


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule said in one evaluation."""

    rule: Rule
    merged: MergedRule
    status: str  # holds / fails / unknown / not_applicable / not_checkable / value
    value: Any
    detail: Any = None  # scoring: per-item points


@dataclass
class _Contribution:
    merged: MergedRule
    when: Callable | None
    body: Callable | None
    facts: tuple[str, ...]  # facts read, transitively


@dataclass
class _Step:
    name: str
    kind: str  # definition / output / param / table
    run: Callable[[dict], Any]
    facts: tuple[str, ...] = ()


@dataclass
class Program:
    """The compiled decision procedure for one subject at one set of layers."""

    subject: str
    layers: Layers
    facts: dict[str, Fact]
    steps: list[_Step]
    outputs: dict[str, str]  # output -> combine mode (outputs in force)
    output_facts: dict[str, tuple[str, ...]]
    params: dict[str, MergedParam]
    definitions_facts: dict[str, tuple[str, ...]]

    def run(self, facts: dict[str, Any], as_of: _dt.date) -> tuple[dict[str, Any], dict[str, list[RuleOutcome]], dict]:
        """Outcome values, each rule's result, and every value computed on the way."""
        e = dict(facts)
        e["as_of"] = as_of
        trace: dict[str, list[RuleOutcome]] = {}
        e["#trace"] = trace
        for s in self.steps:
            e[s.name] = s.run(e)
        return {o: e.get(o, MISSING) for o in self.outputs}, trace, e


def _transitive_facts(names, facts: dict, deps: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
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


def build_program(ps: PolicySet, layers: Layers, subject: str) -> Program:
    facts = {n: f for (s, n), f in ps.facts.items() if s == subject}
    consts = {n: m.param.value for n, m in layers.params.items()}
    defs = {n: m for (s, n), m in layers.definitions.items() if s == subject}
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

    # what each outcome reads; which rules and parameters feed it
    rules = [m for m in layers.rules if m.rule.subject == subject]
    feeds: dict[str, list[MergedRule]] = {}
    for m in rules:
        for o in m.rule.outputs():
            feeds.setdefault(o, []).append(m)
    param_outputs = {m.param.output: m for m in layers.params.values()
                     if m.param.output and (m.param.subject in (None, subject))
                     and subject in ps.outputs[m.param.output].subjects}
    deps: dict[str, tuple[str, ...]] = {n: m.definition.expr.reads for n, m in defs.items()}
    for o, ms in feeds.items():
        reads: set[str] = set()
        for m in ms:
            reads.update(_rule_reads(m.rule))
        deps[o] = tuple(sorted(reads))

    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str) -> None:
        if state.get(n):
            return  # check reports cycles; here a repeat visit is simply skipped
        state[n] = 1
        for d in deps.get(n, ()):
            if d in deps:
                visit(d)
        state[n] = 2
        order.append(n)

    for n in sorted(deps):
        visit(n)

    steps: list[_Step] = []
    tables_done: set[str] = set()
    for n in order:
        if n in defs and n not in feeds:
            fn = compile_expr(defs[n].definition.expr.node, env, consts)
            steps.append(_Step(n, "definition", fn))
        elif n in feeds:
            ms = feeds[n]
            table_rules = [m for m in ms if m.rule.table is not None]
            if table_rules:
                m = table_rules[-1]  # the most specific table in force
                if m.rule.id in tables_done:
                    continue
                tables_done.add(m.rule.id)
                steps.extend(_table_steps(m, env, consts))
                continue
            mode = ps.outputs[n].combine
            contribs = [
                _Contribution(m, compile_expr(m.rule.when.node, env, consts) if m.rule.when else None,
                              _body(m.rule, env, consts),
                              _transitive_facts(_rule_reads(m.rule), facts, deps))
                for m in ms
            ]
            steps.append(_Step(n, "output", _combiner(n, mode, contribs)))
    for o, m in sorted(param_outputs.items()):
        value = m.param.value
        steps.append(_Step(o, "param", (lambda v: (lambda e: v))(value)))
    outputs = {o: ps.outputs[o].combine for o in list(feeds) + list(param_outputs)}
    output_facts = {o: _transitive_facts(deps.get(o, ()), facts, deps) for o in outputs}
    return Program(subject, layers, facts, steps, dict(sorted(outputs.items())), output_facts,
                   layers.params, {n: _transitive_facts(deps.get(n, ()), facts, deps) for n in defs})


def _rule_reads(r: Rule) -> set[str]:
    reads: set[str] = set()
    for e in (r.when, r.condition, r.value):
        if e is not None:
            reads.update(e.reads)
    if r.table:
        for it in r.table.items:
            reads.update(it.value.reads)
        for b in r.table.bonus:
            reads.update(b.points.reads)
    return reads


def _body(r: Rule, env: Env, consts: dict):
    e = r.condition if r.condition is not None else r.value
    return compile_expr(e.node, env, consts) if e is not None else None


def _combiner(name: str, mode: str, contribs: list[_Contribution]):
    """One outcome from the rules that feed it, recording each rule's result."""

    def run(e: dict):
        results: list[RuleOutcome] = []
        vals = []
        for c in contribs:
            r = c.merged.rule
            w = c.when(e) if c.when is not None else True
            if w is False:
                results.append(RuleOutcome(r, c.merged, "not_applicable", None))
                if mode == "all":
                    vals.append(True)  # a condition that does not apply is no obstacle
                continue
            if c.body is None:
                results.append(RuleOutcome(r, c.merged, "not_checkable", None))
                continue
            v = c.body(e)
            if w is not True:  # applicability unknown: true only if the body holds anyway
                if r.kind in ("eligibility", "obligation", "target") and v is True:
                    pass
                else:
                    v = MISSING if (w is MISSING or v is MISSING) else None
            if r.kind in ("eligibility", "obligation", "target"):
                status = "holds" if v is True else "fails" if v is False else "unknown"
            else:
                status = "value" if v is not MISSING else "unknown"
            results.append(RuleOutcome(r, c.merged, status, v))
            vals.append(v)
        e["#trace"][name] = results
        if mode == "all":
            return kleene_all(vals) if vals else None  # nothing checkable: null, never a vacuous true
        if mode == "any":
            return kleene_any(vals)
        if mode == "override":
            for v in reversed(vals):
                return v
            return None
        if any(v is MISSING for v in vals):
            return MISSING
        known = [v for v in vals if v is not None]
        if not known:
            return None
        return max(known) if mode == "max" else min(known)

    return run


def _table_steps(m: MergedRule, env: Env, consts: dict) -> list[_Step]:
    t: Table = m.rule.table
    items = [(it, compile_expr(it.value.node, env, consts)) for it in t.items]
    bonus = [(b, compile_expr(b.points.node, env, consts)) for b in t.bonus]
    bands = t.bands

    def score(e: dict):
        detail = []
        total, unknown = 0, False
        for it, fn in items:
            v = fn(e)
            if v is MISSING or v is None:
                unknown = True
                detail.append((it, v, None, None))
                continue
            best = None
            for tier in it.tiers:
                if tier.covers(v) and (best is None or (tier.points, tier.min or 0) > (best.points, best.min or 0)):
                    best = tier
            pts = best.points if best else 0  # a value no row covers scores 0 (CONTRACT)
            detail.append((it, v, best, pts))
            total += pts
        table_total = total
        for b, fn in bonus:
            v = fn(e)
            if v is MISSING or v is None:
                unknown = True
                detail.append((b, v, None, None))
                continue
            pts = max(0, min(v, b.max))
            detail.append((b, v, None, pts))
            total += pts
        value = MISSING if unknown else min(total, t.cap)
        e["#trace"][t.score_output] = [RuleOutcome(m.rule, m, "value" if not unknown else "unknown", value,
                                                   {"items": detail, "table_total": table_total, "cap": t.cap})]
        return value

    def grade(e: dict):
        s = e.get(t.score_output, MISSING)
        if s is MISSING:
            g = MISSING
        else:
            covering = [b for b in bands if b.covers(s)]
            g = max(covering, key=lambda b: b.min or 0).grade if covering else None
        e["#trace"][t.grade_output] = [RuleOutcome(m.rule, m, "value" if g is not MISSING else "unknown", g, {"score": s})]
        return g

    return [_Step(t.score_output, "table", score), _Step(t.grade_output, "table", grade)]
