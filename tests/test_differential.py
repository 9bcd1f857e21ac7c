"""Differential test: the engine against the hand-written decision of ``benchmarks/oracle.py``.

The oracle is written from the rule files and the documents, independently of the
engine.  Both decide the same seeded, generated cases (``benchmarks/cases.py``):

* the 附件3 score table at ``cn/nm/baotou`` (``output_function("score")``) on every
  row end of every item, one past each, the bonus cap, every grade boundary
  (69/70, 84/85) and the cap of 100, then random counts weighted towards the row ends;
* every outcome for an IMUST teacher at ``cn/nm/baotou/imust`` through
  ``Policies.evaluate`` — on dates under the notice alone, on the eve and the day of
  the 2023 measures and later — plus the compiled program with the trace on and the
  JSON rendering on a sample.

Complete facts only: the oracle does not define missing facts (the engine's
three-valued logic is not reproduced); ``false_information_found: null`` is a
value.  A disagreement prints the facts and the differing outcomes (oracle, engine).
"""
from __future__ import annotations

import datetime as _dt
import random
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import cases as gen  # noqa: E402
from benchmarks.oracle import (IMUST_OUTPUTS, MEASURES_EFFECTIVE, SCORE_FACTS, TIER_BOUNDARIES, UNDETERMINED,  # noqa: E402
                               baotou_score, imust_decision)
from policyengine import Policies  # noqa: E402
from policyengine.runtime import MISSING  # noqa: E402

AS_OF = _dt.date(2024, 3, 1)
N_SCORE = 3000
N_DECISION = 3000
RENDER_EVERY = 25  # every n-th decision case also through the explanation and .to_dict()


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


@pytest.fixture(scope="module")
def score_fn(policies):
    return policies.program("cn/nm/baotou", AS_OF, "commissioner").output_function("score")


def _show(bad: list, total: int) -> str:
    return f"{len(bad)} of {total} cases differ; first ones:\n" + "\n".join(f"  {b}" for b in bad[:5])


@pytest.mark.parametrize("item", SCORE_FACTS)
def test_every_value_of_one_item(score_fn, item):
    """One item at a time, every value from 0 to past its last row end, the others at 0."""
    zero = dict.fromkeys(SCORE_FACTS, 0)
    bad = []
    for v in range(TIER_BOUNDARIES[item][-1] + 4):
        f = dict(zero, **{item: v})
        want, got = baotou_score(f), score_fn(f, AS_OF)
        if want != got:
            bad.append((item, v, "oracle", want, "engine", got))
    assert not bad, _show(bad, TIER_BOUNDARIES[item][-1] + 4)


def test_score_table(score_fn):
    cases = gen.score_cases(random.Random(gen.SEED), N_SCORE)
    for item, ends in TIER_BOUNDARIES.items():  # the generator reaches every row end
        seen = {c[item] for c in cases}
        assert set(ends) <= seen, (item, set(ends) - seen)
    scores = {baotou_score(c) for c in cases}
    assert set(gen.GRADE_TARGETS) <= scores, set(gen.GRADE_TARGETS) - scores
    bad = []
    for c in cases:
        want, got = baotou_score(c), score_fn(c, AS_OF)
        if want != got or type(got) is not int:
            bad.append((c, "oracle", want, "engine", got))
    assert not bad, _show(bad, len(cases))


def _diff(want: dict, got: dict) -> dict:
    return {k: (want.get(k, "<absent>"), got.get(k, "<absent>"))
            for k in sorted(set(want) | set(got)) if want.get(k, "<absent>") != got.get(k, "<absent>")}


def _json(v):
    return v.isoformat() if isinstance(v, _dt.date) else v


def test_imust_decision(policies):
    raw_cases = gen.decision_cases(random.Random(gen.SEED + 1), N_DECISION)
    seen: dict[str, set] = defaultdict(set)
    bad = []
    for i, raw in enumerate(raw_cases):
        case = policies.case(raw)
        want = {k: None if v == UNDETERMINED else v for k, v in imust_decision(case.facts, case.as_of).items()}
        assert set(want) <= set(IMUST_OUTPUTS)  # (on 2023-07-06 Baotou's outcomes are not yet in force)
        for k, v in want.items():
            seen[k].add(type(v).__name__ if isinstance(v, _dt.date) else v if k != "score" else v // 10)
        got = policies.evaluate(raw, explain=False).outputs
        if got != want:
            bad.append(("evaluate", raw["as_of"], raw["facts"], _diff(want, got)))
            continue
        if i % RENDER_EVERY == 0:
            prog = policies.program(case.jurisdiction, case.as_of, case.subject)
            traced = {k: None if v is MISSING else v  # undetermined: null in the decision
                      for k, v in prog.run(case.facts, case.as_of, trace=True)[0].items()}
            if traced != want:
                bad.append(("run(trace=True)", raw["as_of"], raw["facts"], _diff(want, traced)))
            d = policies.evaluate(raw)
            rendered = d.to_dict()["outputs"]
            want_json = {k: _json(v) for k, v in want.items()}
            if rendered != want_json:
                bad.append(("to_dict", raw["as_of"], raw["facts"], _diff(want_json, rendered)))
            assert d.to_dict()["explanation"], "the explanation is empty"
    assert not bad, _show(bad, len(raw_cases))
    # the cases reach every value of every outcome
    for k in ("eligible", "compliant", "filing_revoked", "blacklisted", "commendation_candidate",
              "counts_as_secondment", "rectification_required", "funds_recovered", "may_take_part_time_pay"):
        assert seen[k] >= {True, False}, (k, seen[k])  # (null on 2023-07-06, before Baotou's grade)
    assert seen["grade"] == {"excellent", "qualified", "unqualified"}
    assert seen["min_dispatch_months"] == {6, 12}
    assert seen["banned_until"] == {None, "date"}
    assert seen["home_treatment_until"] == {None, "date"}  # reading 3: the agreed end, null without it
    assert seen["score"] >= set(range(11))


def test_the_shipped_example(policies):
    """The example case itself, on the date it was written for and on the eve of the 2023 measures."""
    facts = gen.base_facts()
    for as_of in (AS_OF, MEASURES_EFFECTIVE - _dt.timedelta(days=1)):
        raw = {"subject": "commissioner", "jurisdiction": gen.IMUST, "as_of": as_of, "facts": facts}
        case = policies.case(raw)
        want = {k: None if v == UNDETERMINED else v for k, v in imust_decision(case.facts, case.as_of).items()}
        assert policies.evaluate(raw).outputs == want
        if as_of == AS_OF:
            assert want["score"] == 74 and want["grade"] == "qualified" and want["min_dispatch_months"] == 12
