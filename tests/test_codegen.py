"""The generated decision functions compute each value once.

Layers restate rules and rules share conditions; the generator assigns an
expression that was already computed to nothing new (its variable is used),
and a Kleene all/any does not list a value twice.  Checked on the generated
code of every shipped program; that the decisions stay right is the business
of the differential, golden and pack tests.
"""
from __future__ import annotations

import ast
import datetime as dt
import re

import pytest

from policyengine import Policies

POLICIES = Policies.load()
SUBJECTS = ("commissioner", "enterprise", "workstation", "jurisdiction")
PROGRAMS = [(j, s) for j in sorted(POLICIES.policy_set.jurisdictions) for s in SUBJECTS]


def _canonical(node: ast.AST) -> str:
    temps: dict[str, str] = {}
    return re.sub(r"\b_t[0-9]+\b", lambda m: temps.setdefault(m.group(), f"_t{len(temps)}"), ast.unparse(node))


@pytest.mark.parametrize("jurisdiction, subject", PROGRAMS)
def test_each_value_is_computed_once(jurisdiction, subject):
    prog = POLICIES.program(jurisdiction, dt.date(2024, 3, 1), subject)
    fn = ast.parse(prog._run.__source__).body[0]
    seen: dict[str, str] = {}
    for st in fn.body:
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)):
            continue
        target = st.targets[0].id
        if not re.fullmatch(r"v[0-9]+([wb][0-9]+)?", target):
            continue  # scoring-table working variables and fact loads
        code = _canonical(st.value)
        assert code not in seen, f"{target} computes again what {seen.get(code)} holds: {code}"
        seen[code] = target
        for call in ast.walk(st.value):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("_all", "_any"):
                items = [ast.unparse(x) for x in call.args[0].elts]
                assert len(items) == len(set(items)), f"{target}: a value listed twice in {call.func.id}"


def test_restated_rules_share_their_values_in_the_imust_program():
    """At IMUST the region's and the city's duties are restated: in the record of the rules of
    an outcome, one variable stands for several rules."""
    prog = POLICIES.program("cn/nm/baotou/imust", dt.date(2024, 3, 1), "commissioner")
    shared = 0
    for line in prog._run.__source__.splitlines():
        m = re.match(r"\s*if T is not None: T\[c[0-9]+\] = \((.*)\)$", line)
        if m:
            held = re.findall(r"\(True, (v[0-9]+b[0-9]+)\)", m.group(1))
            shared += len(held) - len(set(held))
    assert shared > 0


# --- the generated code's shortcuts compute what the general helpers compute -----------------------

def _aggregate(func, items, where, body):
    """The aggregates as the language reference defines them (docs/expressions.md), two passes."""
    from policyengine.runtime import MISSING

    if items is MISSING or items is None:
        return items
    chosen = [(i, where(i) if where is not None else True) for i in items]
    if func == "count":
        return MISSING if any(w is not True and w is not False for _, w in chosen) else sum(w is True for _, w in chosen)
    if func in ("any", "all"):  # Kleene: (where and body) folded with or / (not where or body) folded with and
        decider, vals = func == "any", []
        for i, w in chosen:
            if w is not False:
                b = body(i)
                unknown = MISSING if w is MISSING or b is MISSING else None
                vals.append(b if w is True or b is (func == "all") else unknown)
        if decider in vals:
            return decider
        return MISSING if MISSING in vals else None if any(v is not True and v is not False for v in vals) else not decider
    if any(w is not True and w is not False for _, w in chosen):
        return MISSING
    vals = [body(i) for i, w in chosen if w is True]
    if MISSING in vals:
        return MISSING
    known = [v for v in vals if v is not None]
    return sum(known) if func == "sum" else (min if func == "min" else max)(known) if known else None


def test_aggregates_compute_what_the_reference_says():
    """``_aggf`` (an aggregate in one pass) and ``_agg`` (one with aggregates inside it) against the
    definition, on every combination of up to two items whose ``where`` and body are true, false,
    null or unknown (and three items without ``where``)."""
    import itertools

    from policyengine.runtime import MISSING, _agg, _aggf, bounded

    logic = (True, False, None, MISSING)
    numbers = (3, -2, None, MISSING)
    seen = 0
    for func in ("count", "any", "all", "sum", "min", "max"):
        body_vals = logic if func in ("any", "all") else numbers
        for n in range(4):
            wheres = [None] + ([] if n == 3 else list(itertools.product(logic, repeat=n)))
            for ws in wheres:
                for bs in itertools.product(body_vals, repeat=n):
                    items = list(range(n))
                    where = None if ws is None else ws.__getitem__
                    want = _aggregate(func, items, where, bs.__getitem__)
                    for fn in (_aggf, _agg):
                        got = fn(func, items, where, bs.__getitem__)
                        assert got is want or (got == want and type(got) is type(want)), (func, ws, bs, want, got)
                    if n == 2:  # inside an evaluation's budget too
                        assert bounded(_aggf, func, items, where, bs.__getitem__) == want
                    seen += 1
    assert seen > 2000
    assert _aggf("count", MISSING, None, None) is MISSING and _aggf("sum", None, None, None) is None


def test_flat_aggregate_spends_the_same_steps():
    from policyengine.runtime import MAX_STEPS, EvalLimit, _agg, _aggf, bounded

    fits, past = range(MAX_STEPS - 1), range(MAX_STEPS)  # n items cost n + 1 steps
    for fn in (_agg, _aggf):
        assert fn("count", fits, None, None) == MAX_STEPS - 1
        with pytest.raises(EvalLimit):
            fn("count", past, None, None)
        with pytest.raises(EvalLimit):  # inside one evaluation, two aggregates share its budget
            bounded(lambda: (fn("count", fits, None, None), fn("count", range(2), None, None)))


def test_functions_generated_inline_evaluate_every_argument():
    """``len``, ``abs``, ``days_between`` and ``days_after`` are generated without ``_call``; like it,
    they evaluate both arguments before looking for unknowns (a date past 9999 stops the evaluation
    even where the other argument is unknown)."""
    from policyengine.compile import compile_function
    from policyengine.parse import parse_expression
    from policyengine.runtime import MISSING, EvalLimit
    from policyengine.types import DATE, INT, Env, list_of

    env = Env({"d": DATE, "n": INT, "xs": list_of(INT)}, {"d": "fact", "n": "fact", "xs": "fact"})

    def ev(text, **facts):
        return compile_function(parse_expression(text), env)(facts)

    day = dt.date(2024, 2, 29)
    assert ev("days_between(d, days_after(d, n))", d=day, n=366) == 366
    assert ev("days_between(d, days_after(d, n))", d=day) is MISSING
    assert ev("days_between(d, days_after(d, n))", d=None, n=1) is None
    assert ev("days_after(d, n)", d=None) is MISSING  # unknown wins over null
    assert ev("len(xs) + abs(n)", xs=[1, 2], n=-3) == 5
    assert ev("len(xs)", xs=None) is None and ev("abs(n)") is MISSING
    with pytest.raises(EvalLimit):
        ev("days_between(d, days_after(d, n))", d=dt.date(9999, 12, 1), n=100)
    with pytest.raises(EvalLimit):  # the first argument unknown, the second still computed
        ev("days_between(days_after(d, n), days_after(d, 100000000))", d=dt.date(2000, 1, 1))
    source = compile_function(parse_expression("days_between(d, days_after(d, n)) + len(xs)"), env).__source__
    assert "_call" not in source


def test_one_pass_combines_are_combine():
    import itertools

    from policyengine.evaluate import NA, _combine_best
    from policyengine.runtime import MISSING

    def reference(mode, vals):  # the definition: the values that apply, unknown wins, nulls passed over
        live = [v for v in vals if v is not NA]
        if any(v is MISSING for v in live):
            return MISSING
        known = [v for v in live if v is not None]
        return (max if mode == "max" else min)(known) if known else None

    for n in range(4):
        for vals in itertools.product((NA, None, MISSING, 1, 5, -2), repeat=n):
            for mode in ("max", "min"):
                got, want = _combine_best(vals, mode == "max"), reference(mode, vals)
                assert got is want or got == want, (mode, vals, got, want)
    assert _combine_best((1, MISSING, 5), True) is MISSING and _combine_best((NA, 5, None, -2), False) == -2


def test_in_force_on_reads_the_history_as_at_does():
    """``_in_force_on`` reads the value in force on the day and at ``as_of`` in one pass; the same
    values as :meth:`ParamHistory.at` gives for both, on days before, at and after every change."""
    from policyengine.runtime import ParamHistory, _in_force_on

    def reference(day, h, as_of):  # the definition, with ParamHistory.at
        now, then = h.at(as_of), h.at(min(day, as_of))
        if then is None and h.favourable == "lower":  # no burden on the day: none (a later one is not retroactive)
            return None
        then = then if then is not None else next((v for s, v in h.since if day < s <= as_of and v is not None), None)
        if then is None:
            return now
        if now is None:  # gone at as_of: the day's value stands, a burden is lifted
            return None if h.favourable == "lower" else then
        later_favoured = {"higher": now > then, "lower": now < then}.get(h.favourable, False)
        return now if later_favoured else then

    d = dt.date
    changes = (d(2020, 1, 1), d(2022, 6, 30), d(2023, 7, 7))
    days = sorted({x + dt.timedelta(days=k) for x in changes for k in (-1, 0, 1)})
    for values in ((3, 5, 2), (None, 4, 6), (1, None, 1)):
        for favourable in (None, "higher", "lower"):
            h = ParamHistory("p", tuple(zip(changes, values)), favourable)
            for day in days:
                for as_of in days:
                    assert _in_force_on(day, h, as_of) == reference(day, h, as_of), (values, favourable, day, as_of)
