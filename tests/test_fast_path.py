"""The fast path of ``Policies.evaluate`` is exactly as strict as the reference validation.

``policyengine/fast.py`` accepts a plain case dict without the reference validation of
``cases.py`` where a cheap exact-type check shows the reference would accept it too; anything
else goes to the reference.  These tests hold the two side by side: on every hostile case file
that loads, on the shipped examples and pack test cases, and on generated mutations (the
strategy of ``test_mutations.py``), the fast path accepts only what the reference accepts, with
identical facts (same values *and* types), and ``evaluate`` gives the same outcomes, or the same
diagnostics, as evaluating the reference's ``Case``.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import Policies, PolicyError
from policyengine.load import load_file

from test_mutations import SEEDS, mutated

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


def typed(v: Any) -> Any:
    """A value with its types spelt out, so that True and 1, or 1 and Decimal(1), differ."""
    if isinstance(v, dict):
        return ("dict", sorted(((typed(k), typed(x)) for k, x in v.items()), key=repr))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [typed(x) for x in v])
    return (type(v).__name__, repr(v))


def reference(policies: Policies, data: Any):
    """('ok', Case) or ('error', the diagnostics) from the reference validation alone."""
    try:
        return "ok", policies.case(data)
    except PolicyError as e:
        return "error", [d.to_json() for d in e.diagnostics]


def compare(policies: Policies, data: Any) -> bool:
    """Assert the fast path agrees with the reference on ``data``; answer whether it took the case."""
    fast = policies._accept(data, "zh")
    if not isinstance(data, dict):  # (a path, or nothing a case can be: the reference's business alone)
        assert fast is None
        return False
    kind, ref = reference(policies, data)
    if fast is not None:
        facts, hit = fast
        assert kind == "ok", f"the fast path accepted a case the reference refuses: {ref}"
        assert typed(facts) == typed(ref.facts)
        assert hit[3] == ref.as_of and type(hit[3]) is dt.date
    try:
        got = ("ok", policies.evaluate(data, explain=False).outputs)
    except PolicyError as e:
        got = ("error", [d.to_json() for d in e.diagnostics])
    if kind == "ok":
        try:
            want = ("ok", policies.evaluate(ref, explain=False).outputs)
        except PolicyError as e:
            want = ("error", [d.to_json() for d in e.diagnostics])
    else:
        want = ("error", ref)
    assert typed(got) == typed(want)
    if kind == "ok" and got[0] == "ok":  # the explained decision too
        assert policies.evaluate(data).to_dict() == policies.evaluate(ref).to_dict()
    return fast is not None


def _hostile_cases() -> list[tuple[str, Any]]:
    out = []
    for p in sorted(HOSTILE.iterdir()):
        if p.suffix not in (".yaml", ".json") or p.name == "manifest.yaml":
            continue
        try:
            data = load_file(p).data
        except PolicyError:
            continue  # refused by the reader: neither path sees it
        out.append((p.name, data))
    return out


HOSTILE_CASES = _hostile_cases()


def test_hostile_cases_are_read(policies):
    assert len(HOSTILE_CASES) >= 20  # the folder's cases that load, with the rule files among them


@pytest.mark.parametrize("name,data", HOSTILE_CASES, ids=[n for n, _ in HOSTILE_CASES])
def test_hostile_case_same_on_both_paths(policies, name, data):
    compare(policies, data)


def _pack_cases() -> list[dict]:
    out = []
    for p in sorted((ROOT / "policies").rglob("tests/*.yaml")):
        data = load_file(p).data
        for c in data.get("cases", ()):
            case = {k: c[k] for k in ("subject", "jurisdiction", "as_of", "facts") if k in c}
            out.append(case)
    return out


def test_examples_and_pack_cases_take_the_fast_path(policies):
    """The shipped cases are well formed: the fast path takes them all, with the reference's facts."""
    cases = _pack_cases() + [copy.deepcopy(s) for s in SEEDS if isinstance(s, dict)]
    assert len(cases) > 50
    taken = 0
    for c in cases:
        c = {k: v for k, v in c.items() if k in ("subject", "jurisdiction", "as_of", "facts")}
        taken += compare(policies, c)
    assert taken == len(cases)


def test_benchmark_population_takes_the_fast_path(policies):
    from benchmarks.cases import decision_cases, score_cases

    rng = random.Random(20240301)
    for c in decision_cases(rng, 300, as_of=dt.date(2024, 3, 1)):
        assert compare(policies, c)
    for f in score_cases(rng, 300):
        assert compare(policies, {"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01",
                                  "facts": f})


@pytest.mark.parametrize("value", [
    True, 1, 0, -1, 10 ** 30, 10 ** 30 - 1, Decimal(3), Decimal("3.5"), Decimal("NaN"), Decimal("sNaN"),
    Decimal("-Infinity"), "3", None, 3.0,
    dt.date(2024, 2, 29), "2024-02-29", "2023-02-29", dt.datetime(2024, 2, 29), "doctorate", "Doctorate",
    [], [{"year": 2023, "grade": "qualified"}], [{"year": 2023, "grade": "qualified", "x": 1}],
    [{"year": True, "grade": "qualified"}], [{"year": -1, "grade": "qualified"}], ({"year": 2023, "grade": "excellent"},),
])
@pytest.mark.parametrize("fact", ["service_days", "year", "education", "dispatch_start", "false_information_found",
                                  "evaluation_history", "good_conduct", "years_service_experience"])
def test_each_kind_at_its_edges(policies, fact, value):
    subject = "workstation" if fact == "years_service_experience" else "commissioner"
    compare(policies, {"subject": subject, "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01",
                       "facts": {fact: copy.deepcopy(value)}})


class _Str(str):
    pass


@pytest.mark.parametrize("data", [
    {"subject": _Str("commissioner"), "jurisdiction": "cn", "as_of": "2024-03-01", "facts": {}},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", "facts": {_Str("year"): 2023}},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", "facts": {"year": 2023}, "expect": {}},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": dt.datetime(2024, 3, 1), "facts": {}},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", "facts": None},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", "facts": []},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01"},
    {"subject": "commissioner", "jurisdiction": "cn/nm/nowhere", "as_of": "2024-03-01", "facts": {}},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-02-30", "facts": {}},
])
def test_odd_shapes(policies, data):
    compare(policies, data)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutations_same_on_both_paths(policies, data):
    case, _ = data.draw(mutated(policies))  # (keyword overrides always take the reference path)
    compare(policies, case)


def _service_bodies() -> list[tuple[str, str]]:
    out = []
    for p in sorted([*HOSTILE.iterdir(), *(ROOT / "examples").iterdir()]):
        if p.suffix in (".yaml", ".json") and p.name != "manifest.yaml":
            try:
                data = load_file(p).data
            except PolicyError:
                continue
            if isinstance(data, dict) and "subject" in data:
                out.append((p.name, json.dumps(data, default=str, ensure_ascii=False)))
    return out


@pytest.mark.parametrize("name,text", _service_bodies(), ids=[n for n, _ in _service_bodies()])
def test_the_services_shortcut_decides_as_the_safe_reader(policies, name, text):
    # service/body.decide hands a plain JSON body to evaluate() as a dict (the fast path), without
    # a case file's name, description and expectations; it must give what the safe reader gives —
    # the same outcomes and explanation, or the same located diagnostics.
    from policyengine.cases import case_from_text
    from policyengine.service.body import decide

    def run(fn):
        try:
            return "ok", fn().to_dict()
        except PolicyError as e:
            return "error", [d.to_json() for d in e.diagnostics]

    for explain in (False, True):
        got = run(lambda: decide(policies, text, "<request>.json", explain, "zh"))
        want = run(lambda: policies.evaluate(case_from_text(text, policies.policy_set, "<request>.json",
                                                            policies.limits), explain=explain))
        assert typed(got) == typed(want)
    for extra in ({"name": "x", "description": "y", "expect": {"eligible": True}}, {"expect": "not a mapping"}):
        data = json.loads(text)
        data.update(extra)
        body = json.dumps(data, ensure_ascii=False)
        got = run(lambda: decide(policies, body, "<request>.json", False, "zh"))
        want = run(lambda: policies.evaluate(case_from_text(body, policies.policy_set, "<request>.json",
                                                            policies.limits), explain=False))
        assert typed(got) == typed(want)
