"""Seeded case generators shared by ``benchmarks/run.py`` and ``tests/test_differential.py``.

Counts are drawn so that every row of 附件3 is hit, each at both of its ends
(and one past them), the bonus below, at and above its cap, and the total at
every grade boundary (69/70, 84/85) and at and above the cap of 100.  The
decision cases vary the IMUST teacher of ``examples/imust_teacher_annual_evaluation.yaml``:
every condition failing alone and together, every enum value, dispatch starts
on month ends and 29 February, summaries due 0/1/2, service days 29/30/31, false
information established exactly three years (and a day either side) before
``as_of``, and an evaluation history with and without an unqualified year before.
All facts are complete (see ``benchmarks/oracle.py``).
"""
from __future__ import annotations

import copy
import datetime as _dt
import functools
import random
from pathlib import Path

import yaml

from .oracle import SCORE_FACTS, TIER_BOUNDARIES, add_months, baotou_score

SEED = 20240301
ROOT = Path(__file__).resolve().parent.parent
BASE_CASE = ROOT / "examples" / "imust_teacher_annual_evaluation.yaml"
IMUST = "cn/nm/baotou/imust"

# as_of dates for the differential test: the notice alone, the eve and the day of the measures, later years
AS_OF_CHOICES = (_dt.date(2023, 7, 8), _dt.date(2023, 7, 6), _dt.date(2023, 7, 7), _dt.date(2023, 12, 31),
                 _dt.date(2024, 3, 1), _dt.date(2024, 2, 29), _dt.date(2025, 6, 30), _dt.date(2026, 3, 1))

GRADE_TARGETS = (0, 69, 70, 84, 85, 99, 100)

_EDUCATION = ("none", "secondary", "junior_college", "bachelor", "master", "doctorate")
_TITLE = ("none", "junior", "intermediate", "associate_senior", "senior")
_EMPLOYER = ("university", "research_institute", "vocational_school", "state_owned_enterprise", "tech_service_org",
             "st_admin_institution", "enterprise", "social_org", "other")
_GRADES = ("unqualified", "qualified", "excellent")
# conditions a teacher normally meets; each fails now and then
_GOOD_BOOLS = ("full_time_education", "good_conduct", "relevant_experience", "policy_and_domain_competence",
               "enterprise_rd_familiarity", "via_workstation", "is_teacher", "has_research_direction",
               "registered_on_platform", "work_records_uploaded")
_COIN_BOOLS = ("employer_is_public_institution", "employer_is_workstation_unit", "allowance_agreement",
               "negative_impact", "employer_consent")
_SPECIAL_STARTS = (_dt.date(2023, 1, 1), _dt.date(2023, 6, 30), _dt.date(2023, 7, 1), _dt.date(2023, 8, 31),
                   _dt.date(2023, 12, 31), _dt.date(2024, 2, 29), _dt.date(2024, 8, 31), _dt.date(2020, 2, 29),
                   _dt.date(2023, 3, 15))


@functools.lru_cache(maxsize=1)
def _base() -> dict:
    return yaml.safe_load(BASE_CASE.read_text(encoding="utf-8"))["facts"]


def base_facts() -> dict:
    """The facts of the example case (a fresh copy)."""
    return copy.deepcopy(_base())


def _count(rng: random.Random, name: str) -> int:
    bounds = TIER_BOUNDARIES[name]
    r = rng.random()
    if r < 0.45:
        return rng.choice(bounds)
    if r < 0.6:
        return rng.choice(bounds) + 1
    return rng.randint(0, bounds[-1] + 12)


def random_counts(rng: random.Random) -> dict:
    if rng.random() < 0.1:                             # little done: low scores
        return {name: rng.choice((0, 0, 1, 2)) for name in SCORE_FACTS}
    return {name: _count(rng, name) for name in SCORE_FACTS}


def score_cases(rng: random.Random, n: int) -> list[dict]:
    """``n`` (or a few more) dicts of the eight 附件3 counts: a sweep of every row end, the grade
    boundaries and the cap, then random draws weighted towards the row ends."""
    out: list[dict] = []
    for name in SCORE_FACTS:                           # every row end, and one past it, of every item
        for b in TIER_BOUNDARIES[name]:
            for v in (b, b + 1):
                c = random_counts(rng)
                c[name] = v
                out.append(c)
    out.append(dict.fromkeys(SCORE_FACTS, 0))          # 0: nothing done (the one way to score 0)
    per_target = max(3, n // 200)
    want = {t: per_target for t in GRADE_TARGETS if t != 0}
    capped = per_target                                # raw total above 100
    tries = 0
    while (any(want.values()) or capped) and tries < 200_000:
        tries += 1
        c = random_counts(rng)
        s = baotou_score(c)
        if want.get(s):
            want[s] -= 1
            out.append(c)
        elif s == 100 and capped:
            raw = dict(c, high_tech_approved=0)
            if baotou_score(raw) + min(2 * c["high_tech_approved"], 10) > 100:
                capped -= 1
                out.append(c)
    while len(out) < n:
        out.append(random_counts(rng))
    return out


def _date_between(rng: random.Random, a: _dt.date, b: _dt.date) -> _dt.date:
    return a + _dt.timedelta(days=rng.randint(0, (b - a).days))


def decision_facts(rng: random.Random, as_of: _dt.date, counts: dict | None = None) -> dict:
    """Complete commissioner facts: the IMUST teacher, varied."""
    f = base_facts()
    for k in _GOOD_BOOLS:
        f[k] = rng.random() >= 0.07
    for k in _COIN_BOOLS:
        f[k] = rng.random() < 0.5
    f["employer_type"] = "university" if rng.random() < 0.5 else rng.choice(_EMPLOYER)
    f["commissioner_type"] = "technical_service" if rng.random() < 0.7 else "st_service"
    f["education"] = rng.choice(_EDUCATION[3:] if rng.random() < 0.7 else _EDUCATION)
    f["title"] = rng.choice(_TITLE[2:] if rng.random() < 0.7 else _TITLE)
    f["service_type"] = rng.choice(("public_welfare", "entrepreneurship"))
    year = as_of.year - 1 if rng.random() < 0.7 else as_of.year + rng.choice((-2, 0))
    f["year"] = year
    if rng.random() < 0.4:
        f["dispatch_start"] = rng.choice(_SPECIAL_STARTS)
    else:
        f["dispatch_start"] = _date_between(rng, _dt.date(year - 2, 1, 1), _dt.date(year + 1, 12, 31))
    f["service_days"] = rng.choice((29, 30, 31)) if rng.random() < 0.5 else rng.randint(0, 366)
    f["semiannual_summaries"] = rng.randint(0, 3)
    f["monthly_reports_on_time"] = rng.randint(0, 12)
    f["policy_briefings"] = rng.randint(0, 8)
    f["projects_assisted"] = rng.randint(0, 5)
    f.update(counts if counts is not None else random_counts(rng))
    r = rng.random()
    if r < 0.6:
        f["false_information_found"] = None
    elif r < 0.65:                                    # established the day after as_of: no consequence yet
        f["false_information_found"] = as_of + _dt.timedelta(days=1)
    elif r < 0.85:                                    # the ban ends on as_of, the day before, the day after
        end = as_of + _dt.timedelta(days=rng.choice((-1, 0, 1)))
        f["false_information_found"] = add_months(end, -36)
    else:
        f["false_information_found"] = _date_between(rng, as_of - _dt.timedelta(days=5 * 366), as_of)
    if rng.random() < 0.5:                            # the agreed end of the dispatch (optional fact)
        f["dispatch_end"] = add_months(f["dispatch_start"], rng.choice((6, 12, 18)))
    if rng.random() < 0.4:                            # the first dispatch, kept by renewals (optional fact)
        f["first_dispatch_start"] = rng.choice((None, f["dispatch_start"] - _dt.timedelta(days=rng.randint(1, 1500))))
    history = []
    for y in range(year - 3, year + 1):
        if rng.random() < (0.8 if y == year - 1 else 0.3):
            history.append({"year": y, "grade": rng.choice(_GRADES)})
    if history and rng.random() < 0.1:
        history.append(dict(rng.choice(history), grade=rng.choice(_GRADES)))   # two results for one year
    rng.shuffle(history)
    f["evaluation_history"] = history
    return f


def decision_cases(rng: random.Random, n: int, as_of: _dt.date | None = None) -> list[dict]:
    """``n`` (or a few more) commissioner case dicts at IMUST.  With ``as_of`` fixed every case is on
    that date; otherwise dates are drawn from :data:`AS_OF_CHOICES` and random dates in 2023-2026."""
    counts = score_cases(rng, n)
    out = []
    for i in range(max(n, len(counts))):
        if as_of is not None:
            d = as_of
        elif rng.random() < 0.7:
            d = rng.choice(AS_OF_CHOICES)
        else:
            d = _date_between(rng, _dt.date(2023, 7, 6), _dt.date(2026, 12, 31))
        c = counts[i] if i < len(counts) else random_counts(rng)
        out.append({"subject": "commissioner", "jurisdiction": IMUST, "as_of": d,
                    "facts": decision_facts(rng, d, c)})
    return out
