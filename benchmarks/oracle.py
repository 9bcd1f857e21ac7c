"""Hand-written Python for two decisions of the shipped packs — the speed baseline
of ``benchmarks/run.py`` and the oracle of ``tests/test_differential.py``.

Written from the rule files and the documents, not from the engine: plain
if/elif chains, no imports from :mod:`policyengine`.

* :func:`baotou_score` — 附件3 of the Baotou implementation plan
  (``policies/baotou/commissioner_plan.yaml``, rule ``bt.commissioner.score``):
  seven tiered items, a bonus of 2 points per approved high-tech enterprise up
  to 10, the total capped at 100.  Where two ranges share an end (第5项: "30家及
  以上" and "21-30家") the higher tier applies (CONTRACT).
* :func:`baotou_grade` — 附件1 第四条: 85 and above excellent, 70-84 qualified,
  below 70 unqualified (70 is in both "70分-84分" and "70分以下"; the higher band
  applies).
* :func:`imust_decision` — every outcome in force for a commissioner at
  ``cn/nm/baotou/imust``: the layers cn (国办发〔2016〕32号), cn/nm (内蒙古自治区企业
  科技特派员管理办法), cn/nm/baotou (包党发〔2023〕1号 and the implementation plan)
  and cn/nm/baotou/imust (the notice on the first hundred teachers, in force from
  2023-03-01, and 内科大校发〔2023〕45号, in force from 2023-07-07).

Facts must be complete: every commissioner fact of CONTRACT.md present and
valid (as :meth:`policyengine.Policies.case` returns them: dates as
``datetime.date``, ``evaluation_history`` as a sequence of ``{year, grade}``
mappings).  ``false_information_found: null`` is a value (nothing was found),
not a missing fact.  The oracle does not define missing facts (the engine's
three-valued logic is not reproduced here); do not compare it on incomplete
facts.  ``imust_decision`` covers ``as_of`` from 2023-03-01, the date from which
a university document is in force; earlier dates raise ``ValueError``.
"""
from __future__ import annotations

import datetime as _dt

__all__ = ["baotou_score", "baotou_grade", "imust_decision", "add_months", "IMUST_OUTPUTS",
           "NOTICE_EFFECTIVE", "MEASURES_EFFECTIVE", "UNDETERMINED", "SCORE_FACTS", "TIER_BOUNDARIES"]

# 内蒙古科技大学: the notice (undated; with the region's measures taken as 2023-07-06, the latest defensible
# date) and 内科大校发〔2023〕45号 (2023-07-07); Baotou's plan and opinion (undated) are taken as 2023-07-07
NOTICE_EFFECTIVE = _dt.date(2023, 7, 6)
MEASURES_EFFECTIVE = _dt.date(2023, 7, 7)
BAOTOU_EFFECTIVE = _dt.date(2023, 7, 7)
UNDETERMINED = "<undetermined>"  # an outcome in force that the facts leave open (null, with the missing named)

EDUCATION_RANK = {"none": 0, "secondary": 1, "junior_college": 2, "bachelor": 3, "master": 4, "doctorate": 5}
TITLE_RANK = {"none": 0, "junior": 1, "intermediate": 2, "associate_senior": 3, "senior": 4}

# the outcomes decided for a commissioner at cn/nm/baotou/imust
IMUST_OUTPUTS = ("banned_until", "blacklisted", "commendation_candidate", "compliant", "counts_as_secondment",
                 "eligible", "filing_revoked", "funds_recovered", "grade", "home_treatment_until", "may_take_part_time_pay",
                 "min_dispatch_months", "min_service_days_per_year", "post_subsidy_candidate", "rectification_required",
                 "retention_until", "score")

SCORE_FACTS = ("rd_enterprises", "achievements_adopted", "achievements_transferred", "planning_enterprises",
               "policy_service_enterprises", "rd_institutions", "talents", "high_tech_approved")

# every end of every row of 附件3 (and the bonus cap at 5 enterprises), for the case generators
TIER_BOUNDARIES = {
    "rd_enterprises": (0, 1, 2, 3, 4),
    "achievements_adopted": (0, 1, 3, 4, 6, 7),
    "achievements_transferred": (0, 1, 2, 3, 5, 6),
    "planning_enterprises": (0, 1, 3, 4, 6, 7, 10, 11),
    "policy_service_enterprises": (0, 1, 10, 11, 20, 21, 30),
    "rd_institutions": (0, 1, 5, 6, 10, 11),
    "talents": (0, 1, 5, 6, 10, 11),
    "high_tech_approved": (0, 1, 4, 5, 6),
}


def baotou_score(f: dict) -> int:
    """附件3: the commissioner's performance score (counts are whole numbers, 0 or more)."""
    v = f["rd_enterprises"]                    # 第1项 (max 10)
    if v >= 4:
        s = 10
    elif v >= 2:
        s = 6
    elif v >= 1:
        s = 3
    else:
        s = 0
    v = f["achievements_adopted"]              # 第2项 (max 10)
    if v >= 7:
        s += 10
    elif v >= 4:
        s += 6
    elif v >= 1:
        s += 3
    v = f["achievements_transferred"]          # 第3项 (max 20)
    if v >= 6:
        s += 20
    elif v >= 3:
        s += 12
    elif v >= 1:
        s += 6
    v = f["planning_enterprises"]              # 第4项 (max 10)
    if v >= 11:
        s += 10
    elif v >= 7:
        s += 6
    elif v >= 4:
        s += 3
    elif v >= 1:
        s += 1
    v = f["policy_service_enterprises"]        # 第5项 (max 20): 30 is in "30家及以上" and "21-30家" -> 20
    if v >= 30:
        s += 20
    elif v >= 21:
        s += 15
    elif v >= 11:
        s += 10
    elif v >= 1:
        s += 5
    v = f["rd_institutions"]                   # 第6项 (max 15)
    if v >= 11:
        s += 15
    elif v >= 6:
        s += 10
    elif v >= 1:
        s += 5
    v = f["talents"]                           # 第7项 (max 15)
    if v >= 11:
        s += 15
    elif v >= 6:
        s += 10
    elif v >= 1:
        s += 5
    b = 2 * f["high_tech_approved"]            # 第8项: bonus, 2 per enterprise, at most 10
    if b > 10:
        b = 10
    s += b
    return 100 if s > 100 else s


def baotou_grade(score: int) -> str:
    """附件1 第四条."""
    if score >= 85:
        return "excellent"
    if score >= 70:
        return "qualified"
    return "unqualified"


def add_months(d: _dt.date, months: int) -> _dt.date:
    """民法典 第二百零一条、第二百零三条: the last day of a period of ``months`` months from ``d``
    (the corresponding day of the final month, or that month's last day where it has none)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    day = d.day
    if day > 28:
        if month == 2:
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            last = 29 if leap else 28
        elif month in (4, 6, 9, 11):
            last = 30
        else:
            last = 31
        if day > last:
            day = last
    return _dt.date(year, month, day)


_TECHNICAL_SOURCES = ("university", "research_institute", "state_owned_enterprise")   # 包头 四(一)
_ST_SERVICE_SOURCES = ("tech_service_org", "st_admin_institution")                     # 包头 四(二)
_REGION_SOURCES = ("university", "research_institute", "vocational_school", "st_admin_institution", "social_org")  # 第二条


def imust_decision(f: dict, as_of: _dt.date) -> dict:
    """Every outcome for a commissioner at cn/nm/baotou/imust on ``as_of`` (complete facts; the optional
    ``dispatch_end`` and ``first_dispatch_start`` may be left out).  Outcomes not in force are left out too."""
    if as_of < NOTICE_EFFECTIVE:
        raise ValueError("imust_decision covers as_of from 2023-07-06 (no university document is in force before)")
    measures = as_of >= MEASURES_EFFECTIVE
    baotou = as_of >= BAOTOU_EFFECTIVE
    start = f["dispatch_start"]
    # dispatch term (reading 2): the rules in force on the start day (no rule before 2023-07-06: the first
    # after it); region 第十一条 一般为一年 -> notice 五(一) 一般不少于一年 -> measures 第五条 6个月 from 2023-07-07
    term = 6 if min(start, as_of) >= MEASURES_EFFECTIVE else 12

    education = EDUCATION_RANK[f["education"]]
    title = TITLE_RANK[f["title"]]
    ctype = f["commissioner_type"]
    employer = f["employer_type"]
    competence = f["policy_and_domain_competence"]
    experience = f["relevant_experience"]
    found = f["false_information_found"]
    if found is not None and found > as_of:   # reading 2: not happened yet as of as_of
        found = None
    # region 第十五条, notice 五(五): 3 years — for a finding of their time (reading 2: no ban was in force before
    # 2023-07-06, and a later burden is not retroactive)
    ban_end = add_months(found, 36) if found is not None and found >= NOTICE_EFFECTIVE else None

    eligible = (
        f["good_conduct"]                                                        # region 第七条(一); notice 二(一)
        and ((education >= 2 and f["full_time_education"]) or title >= 2)       # region 第七条(二)
        and experience                                                           # region 第七条(二)
        and competence                                                           # region 第七条(三)
        and f["enterprise_rd_familiarity"]                                       # region 第七条(四)
        and f["via_workstation"]                                                 # region 第七条(五)
        and (f["employer_is_workstation_unit"] or f["allowance_agreement"])      # region 第七条(六)
        and (ban_end is None or as_of > ban_end)                                 # region 第十五条; notice 五(五)
        and f["is_teacher"]                                                      # notice 一(一)
        and f["has_research_direction"] and (competence or experience)           # notice 二(二)
    )
    if baotou:  # Baotou's source units replace the region's 第二条 list (reading 4)
        eligible = (eligible
                    and ctype in ("technical_service", "st_service")                     # Baotou 三(一)
                    and (ctype != "technical_service"                                    # Baotou 四(一)
                         or (employer in _TECHNICAL_SOURCES and (education >= 3 or title >= 2)))
                    and (ctype != "st_service" or (employer in _ST_SERVICE_SOURCES and competence)))  # Baotou 四(二)
    else:       # region 第二条 (reading 4)
        eligible = eligible and (employer in _REGION_SOURCES or f["employer_is_public_institution"])
    # (the measures' 第三条 restates the region's 第七条(一)-(五): nothing more to check)

    year = f["year"]
    binds = year >= 2023                       # the yearly duties bind the years from 2023 on (no retroactivity)
    if start.year > year:                      # region 第十三条: one summary per calendar half served
        due = 0
    elif year == 2023:                         # ... after the measures (2023-07-06): the second half of 2023 only
        due = 1
    elif start.year < year or start.month <= 6:
        due = 2
    else:
        due = 1
    compliant = (
        (not binds or f["service_days"] >= 30)                                   # region 第七条(五); measures 第三条(五)
        and (not binds or f["semiannual_summaries"] >= due)                      # region 第十三条; notice 五(三)
        and (not baotou or not binds or f["registered_on_platform"])             # Baotou 六(一); measures 第七条
        and (not measures or not binds or f["work_records_uploaded"])            # measures 第十一条
    )

    home_treatment = None if start > as_of else f.get("dispatch_end", UNDETERMINED)  # region 第十二条 (reading 3)
    retention = None
    if f["employer_is_public_institution"] and f["service_type"] in ("public_welfare", "entrepreneurship"):
        # national (七): staff of public institutions keep post and pay (公益服务) or personnel relations
        # (科技创业) for 5 years, from the first dispatch where given (reading 7); none before the dispatch
        first = f.get("first_dispatch_start")
        begin = first if first is not None else start
        if start <= as_of and begin <= as_of:
            retention = add_months(begin, 60)

    out = {
        "banned_until": ban_end,                                                 # region 第十五条
        "compliant": compliant,
        "eligible": eligible,
        "funds_recovered": ban_end is not None,                                  # region 第十五条; notice 五(五)
        "home_treatment_until": home_treatment,
        "min_dispatch_months": term,
        "min_service_days_per_year": 30,                                         # region 第七条(五); measures 第三条(五)
        "retention_until": retention,
    }
    if not baotou:  # no grade in force: the notice's consequences of a grade are undetermined
        out.update(counts_as_secondment=UNDETERMINED, rectification_required=UNDETERMINED,
                   post_subsidy_candidate=UNDETERMINED)
        return out

    score = baotou_score(f)                                                      # 附件3 (measures 第十三条)
    if score >= 85:
        grade = "excellent"
    elif score >= 70:
        grade = "qualified"
    else:
        grade = "unqualified"
    unqualified = grade == "unqualified"
    prior_unqualified = False                                                    # Baotou 六(四)
    for h in f["evaluation_history"]:
        if h["year"] == year - 1 and h["grade"] == "unqualified":
            prior_unqualified = True
            break
    revoked = unqualified and prior_unqualified
    out.update({
        "blacklisted": revoked and f["negative_impact"],                         # Baotou 六(四)
        "commendation_candidate": grade == "excellent",                          # Baotou 六(四), 七(一)
        "counts_as_secondment": grade != "unqualified",                          # notice 六(二): 合格及以上
        "filing_revoked": revoked,                                               # Baotou 六(四)
        "grade": grade,
        "may_take_part_time_pay": f["employer_consent"],                         # Baotou 七(二)
        "post_subsidy_candidate": grade == "excellent",                          # notice 六(五): 择优 = excellent
        "rectification_required": unqualified,                                   # notice 五(四)
        "score": score,
    })
    return out
