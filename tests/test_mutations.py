"""Random mutations of valid cases: ``Policies.evaluate`` succeeds or raises ``PolicyError``.

The library API takes cases as Python mappings, so a caller can hand it anything a
Python program can build — floats, NaN, sets, bytes, datetimes, integers with
thousands of digits, unhashable jurisdictions, keys that are not text.  Whatever
the mutation (a fact dropped or renamed, a value of another type, out of range,
None, huge, a weird string, a nested structure; subject, jurisdiction and as_of
changed, also through the keyword arguments), every run either returns a
decision that can be rendered, or raises :class:`policyengine.PolicyError` with at
least one diagnostic.  Nothing else.
"""
from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import Policies, PolicyError
from policyengine.load import load_file

ROOT = Path(__file__).resolve().parent.parent

# Valid cases at cn, one per subject: the mutations start from these and the examples.
BASES: list[dict[str, Any]] = [
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": dt.date(2024, 3, 1),
     "facts": {"employer_type": "university", "employer_is_public_institution": True, "service_type": "public_welfare",
               "dispatch_start": dt.date(2023, 5, 10), "education": "doctorate", "title": "associate_senior",
               "good_conduct": True, "year": 2023, "service_days": 45, "rd_enterprises": 2, "achievements_adopted": 1,
               "monthly_reports_on_time": 12, "false_information_found": None, "negative_impact": False,
               "evaluation_history": [{"year": 2022, "grade": "qualified"}, {"year": 2021, "grade": "excellent"}]}},
    {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-02-29",
     "facts": {"employer_is_public_institution": True, "service_type": "entrepreneurship", "dispatch_start": "2024-02-29",
               "false_information_found": "2024-01-31"}},
    {"subject": "enterprise", "jurisdiction": "cn", "as_of": "2024-03-01",
     "facts": {"registered_in_region": True, "is_tech_enterprise": True, "does_rd_and_production": True,
               "operating_normally": True, "well_managed": True, "bad_credit_record": False,
               "has_research_conditions": True, "has_research_funds": True, "listed_exchange": "domestic"}},
    {"subject": "workstation", "jurisdiction": "cn", "as_of": "2024-03-01",
     "facts": {"registered_in_region": True, "independent_legal_person": True, "organization_type": "university",
               "stable_team": True, "service_capability": True, "years_service_experience": Decimal("2.5"), "year": 2023,
               "commissioners_filed": 12, "rd_enterprises": 8, "materials_on_time": True,
               "evaluation_history": [{"year": 2022, "grade": "unqualified"}]}},
    {"subject": "jurisdiction", "jurisdiction": "cn", "as_of": "2023-12-31",
     "facts": {"commissioners": 214, "active_commissioners": 190, "technical_workstations": 6, "service_workstations": 9,
               "tech_specialists": 120, "enterprises_served": 260, "high_tech_enterprises": 420, "tech_smes": 301}},
]


def _examples() -> list[dict[str, Any]]:
    out = []
    for p in sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.json")):
        try:
            data = load_file(p).data
        except PolicyError:
            continue  # a broken example is test_golden's business; here it would only be one more mutation
        if isinstance(data, dict):
            out.append(data)
    return out


SEEDS = BASES + _examples()


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()  # the shipped packs, once


# --- values a Python caller could pass -----------------------------------------------------

_WEIRD_STRINGS = ["", " ", "\x00", "\x1b[2J", "\ud800", "𝕕𝕠𝕔𝕥𝕠𝕣𝕒𝕥𝕖", "doctorate ", "DOCTORATE", "true", "null", "NaN",
                  "1e999", "2024-02-30", "2024-13-01", "0000-01-01", "9999-12-31", "10000-01-01", "2024-3-1",
                  "2024-03-01T00:00:00", "-1", "30.5", "１２", "public_welfare\n", "x" * 5000, "{{}}", "${jndi:x}",
                  "__import__('os').system('true')", "cn/", "/", "cn//nm", "..", "cn/nm/../nm"]
class _Huge(int):
    """An int past Python's int-to-str limit whose repr still works: older Hypothesis releases
    print every drawn value, and repr(10 ** 5000) raises.  The engine reads an int subclass as
    the plain int it stands for, so the case still carries a 5,000-digit number."""

    def __repr__(self) -> str:
        return f"<int of {self.bit_length() * 30103 // 100000 + 1} digits>"


_SPECIAL_NUMBERS = [0, -1, 1, 12, 13, 366, 367, 1899, 9999, 10000, 2 ** 31, 2 ** 63, 2 ** 64, 10 ** 30, 10 ** 60, 10 ** 61,
                    -10 ** 61, float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 0.5,
                    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("1E+999999"),
                    Decimal("1E-999999"), Decimal("30.0"), Decimal("-0"), 1 + 2j, True, False]


class _Odd:
    """An object of no known type, with a repr that is itself hostile."""

    def __repr__(self) -> str:
        return "\x1b[31m<odd>" * 100


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_SPECIAL_NUMBERS),
    st.sampled_from([1, -1]).map(lambda sign: _Huge(sign * 10 ** 5000)),  # past int-to-str (see _Huge)
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(_WEIRD_STRINGS),
    st.dates(),
    st.sampled_from([dt.date.min, dt.date.max, dt.date(2024, 2, 29)]),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.binary(max_size=8),
    st.just(_Odd()),
    st.just(object()),
    st.just(Ellipsis),
)
hashables = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(), st.tuples(st.integers()),
                      st.sampled_from(_WEIRD_STRINGS), st.dates(), st.frozensets(st.integers(), max_size=2))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(hashables, inner, max_size=4),
        st.dictionaries(st.sampled_from(["year", "grade", "yaer", "score"]), inner, max_size=3),
        st.frozensets(st.integers(), max_size=3),
        st.sets(st.text(max_size=3), max_size=3),
    ),
    max_leaves=10,
)
grades = st.one_of(st.sampled_from(["unqualified", "qualified", "excellent"]), values)
history = st.lists(st.one_of(st.fixed_dictionaries({"year": st.one_of(st.integers(1900, 2100), values), "grade": grades}),
                             values), max_size=5)

_FACT_NAMES = ["service_days", "rd_enterprises", "education", "title", "dispatch_start", "year", "evaluation_history",
               "false_information_found", "years_service_experience", "listed_exchange", "commissioners", "teachers",
               "good_conduct", "employer_type", "service_type", "monthly_reports_on_time", "is_teacher"]


def _plausible(policies: Policies):
    """Values of the right kind but at the edges: what reaches evaluation rather than validation."""
    enum_values = sorted({v for f in policies.policy_set.facts.values() if f.type.kind == "enum" and f.type.enum
                          for v in f.type.enum.values})
    return st.one_of(
        st.booleans(),
        st.integers(-3, 400),
        st.sampled_from([0, 1, 12, 30, 365, 366, 1900, 2023, 9999, 10 ** 29, 10 ** 30]),
        st.integers(0, 10 ** 29),
        st.decimals(min_value=-5, max_value=10 ** 6, places=3),
        st.dates(),
        st.sampled_from([dt.date.min, dt.date.max, dt.date(9999, 12, 31), dt.date(2024, 2, 29), dt.date(2023, 5, 10)]),
        st.dates().map(dt.date.isoformat),
        st.sampled_from(enum_values or ["x"]),
        st.none(),
        st.lists(st.fixed_dictionaries({"year": st.integers(1900, 2100), "grade": st.sampled_from(
            ["unqualified", "qualified", "excellent"])}), max_size=6),
    )


def _of_type(fact) -> st.SearchStrategy:
    """A value of the fact's own type, at the edges of its range (and just past them)."""
    t = fact.type
    lo = fact.min if fact.min is not None else -5
    hi = fact.max if fact.max is not None else 10 ** 29
    if t.kind == "bool":
        return st.booleans()
    if t.kind == "int":
        return st.one_of(st.integers(int(lo), int(hi)), st.sampled_from([int(lo), int(hi), int(lo) - 1, int(hi) + 1, 0, 10 ** 29]))
    if t.kind == "decimal":
        return st.one_of(st.decimals(min_value=lo, max_value=min(hi, 10 ** 6), places=2), st.integers(0, 100))
    if t.kind == "date":
        return st.one_of(st.dates(), st.sampled_from([dt.date.min, dt.date.max, dt.date(2024, 2, 29)]),
                         st.dates().map(dt.date.isoformat), st.none())
    if t.kind == "enum" and t.enum:
        return st.sampled_from(list(t.enum.values))
    if t.kind == "list":
        return st.lists(st.fixed_dictionaries({"year": st.integers(1900, 2100),
                                               "grade": st.sampled_from(["unqualified", "qualified", "excellent"])}),
                        max_size=8)
    return st.text(max_size=10)


_OPS = (["set_plausible"] * 6 + ["set"] * 3 + ["drop"] * 2 + ["as_of_date"] * 2
        + ["rename", "history", "subject", "jurisdiction", "as_of", "top", "drop_top", "facts", "kwargs"])


@st.composite
def mutated(draw, policies: Policies):
    case = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    kwargs: dict[str, Any] = {}
    ps = policies.policy_set
    jurisdictions = sorted(ps.jurisdictions)
    plausible = _plausible(policies)
    for _ in range(draw(st.integers(1, 4))):
        facts = case.get("facts")
        names = list(facts) if isinstance(facts, dict) and facts else []
        declared = sorted({n for (subj, n) in ps.facts if subj == case.get("subject")}) or _FACT_NAMES  # (== only)
        op = draw(st.sampled_from(_OPS))
        if op == "drop" and names:
            del facts[draw(st.sampled_from(names))]
        elif op == "rename" and names:
            old = draw(st.sampled_from(names))
            new = draw(st.one_of(hashables, st.sampled_from(_FACT_NAMES), st.just(str(old) + "s"),
                                 st.just(str(old).upper()), st.just(" " + str(old))))
            facts[new] = facts.pop(old)
        elif op == "set_plausible" and isinstance(facts, dict):
            name = draw(st.sampled_from(declared))
            subject = case.get("subject")
            fact = ps.facts.get((subject, name)) if isinstance(subject, str) else None
            facts[name] = draw(_of_type(fact) if fact is not None and draw(st.integers(0, 3)) else plausible)
        elif op == "set" and isinstance(facts, dict):
            name = draw(st.one_of(st.sampled_from(names or declared), st.sampled_from(declared), hashables))
            facts[name] = draw(values)
        elif op == "history" and isinstance(facts, dict):
            facts["evaluation_history"] = draw(history)
        elif op == "subject":
            case["subject"] = draw(st.one_of(st.sampled_from(["commissioner", "enterprise", "workstation", "jurisdiction"]),
                                             values))
        elif op == "jurisdiction":
            case["jurisdiction"] = draw(st.one_of(st.sampled_from(jurisdictions), st.sampled_from(jurisdictions), values))
        elif op == "as_of_date":
            case["as_of"] = draw(st.one_of(st.dates(), st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))))
        elif op == "as_of":
            case["as_of"] = draw(st.one_of(st.sampled_from(_WEIRD_STRINGS), values))
        elif op == "top":
            case[draw(st.one_of(st.sampled_from(["expect", "name", "description", "fact", "subjects"]), hashables))] = draw(values)
        elif op == "drop_top":
            key = draw(st.sampled_from(sorted(map(str, case)) or ["facts"]))
            case.pop(key, None)
        elif op == "facts":
            case["facts"] = draw(values)
        elif op == "kwargs":
            kwargs[draw(st.sampled_from(["jurisdiction", "as_of"]))] = draw(
                st.one_of(st.sampled_from(jurisdictions), st.dates(), values))
    return case, kwargs


def _check(policies: Policies, case: Any, kwargs: dict) -> None:
    try:
        decision = policies.evaluate(case, **kwargs)
    except PolicyError as e:
        assert e.diagnostics, "a PolicyError carries at least one diagnostic"
        text = str(e)  # the diagnostics render, whatever the input held
        assert text and "\x1b" not in text
        for d in e.diagnostics:
            d.to_json()
        return
    decision.to_json()
    decision.to_text()


def test_bases_are_valid(policies):
    """The hand-written cases are decided without error (the mutations start from valid ground)."""
    for case in BASES:
        d = policies.evaluate(copy.deepcopy(case))
        assert d.subject == case["subject"]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_cases_succeed_or_raise_policy_error(policies, data):
    case, kwargs = data.draw(mutated(policies))
    _check(policies, case, kwargs)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=st.dictionaries(st.one_of(hashables, st.sampled_from(["subject", "jurisdiction", "as_of", "facts"])), values,
                            max_size=6),
       kwargs=st.fixed_dictionaries({}, optional={"jurisdiction": values, "as_of": values}))
def test_arbitrary_mappings_as_cases(policies, case, kwargs):
    """A mapping of anything at all, with anything as the keyword overrides."""
    _check(policies, case, kwargs)
