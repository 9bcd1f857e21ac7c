"""The eleven points of the clause-by-clause review (issue #14), one test each, and the readings
settled by the product owner that answer them.

Every test here failed on the packs before the readings were encoded: each asserts the
settled reading, not the behaviour the review found.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine import Policies
from policyengine.load import load_file

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


def teacher(jurisdiction: str, as_of: str, **facts) -> dict:
    data = load_file(ROOT / "examples" / "imust_teacher_annual_evaluation.yaml").data
    return {"subject": "commissioner", "jurisdiction": jurisdiction, "as_of": as_of, "facts": dict(data["facts"], **facts)}


STATION = {"registered_in_region": True, "independent_legal_person": True, "organization_type": "tech_service_enterprise",
           "stable_team": True, "service_capability": True, "years_service_experience": 3, "year": 2024,
           "commissioners_filed": 12, "rd_enterprises": 8, "achievements_adopted": 3, "achievements_transferred": 2,
           "planning_enterprises": 6, "policy_service_enterprises": 10, "rd_institutions": 1, "talents": 2,
           "high_tech_approved": 2, "materials_on_time": True}


INDUSTRY = {"rare_earth_magnet_output_growth_percent": 30, "hydrogen_storage_material_output_growth_percent": 30,
            "polishing_material_output_growth_percent": 30, "catalyst_output_growth_percent": 30,
            "rare_earth_alloy_output_growth_percent": 30, "rare_earth_exchange_turnover_100m_cny": 230,
            "rare_earth_output_100m_cny": 1001, "rare_earth_local_conversion_percent": 80,
            "rare_earth_magnet_capacity_national_rank": 1, "hydrogen_storage_output_national_rank": 1,
            "polishing_output_national_rank": 1, "catalyst_output_national_rank": 3,
            "rare_earth_steel_alloy_output_10k_t": 501, "polysilicon_capacity_10k_t": 87,
            "monocrystal_pulling_capacity_gw": 253, "wafer_slicing_capacity_gw": 106, "solar_cell_capacity_gw": 56,
            "solar_module_capacity_gw": 30, "photovoltaic_cluster_output_100m_cny": 6000, "new_green_factories": 2,
            "digital_demonstration_factories": 3, "wind_turbine_capacity_sets": 1500, "generator_capacity_units":
            1500, "gearbox_capacity_units": 1000, "blade_capacity_sets": 1600, "tower_capacity_10k_t": 45,
            "flange_bolt_capacity_10k_t": Decimal('1.3'), "wind_equipment_output_100m_cny": 1000,
            "new_steel_materials_10k_t": 200, "high_performance_aluminium_10k_t": 160,
            "advanced_copper_conductor_10k_t": 6, "advanced_metals_output_100m_cny": 1000, "carbon_fibre_capacity_t":
            4000, "carbon_carbon_composite_capacity_t": 14000, "polyglycolic_acid_capacity_t": 550,
            "polyphenylene_sulfide_capacity_t": 6000, "carbon_fibre_cluster_output_100m_cny": 1000,
            "battery_swap_stations": 60, "heavy_truck_output_100m_cny": 1000,
            "hydrogen_storage_industry_output_100m_cny": 500, "emerging_projects_started_this_year": 100,
            "emerging_investment_projects_this_year": 100, "sub_fund_size_100m_cny": 20}


def station(jurisdiction: str, history: list) -> dict:
    return {"subject": "workstation", "jurisdiction": jurisdiction, "as_of": "2025-03-01",
            "facts": dict(STATION, evaluation_history=history)}


def explained(decision, output: str):
    (e,) = [e for e in decision.explanation if e.output == output]
    return e


def diagnostics(policies, code: str) -> list:
    return [d for d in policies.diagnostics if d.code == code]


# --- 1. which year's result decides (reading 1) -------------------------------------------------------

@pytest.mark.parametrize("jurisdiction", ["cn/nm", "cn/nm/ordos/dongsheng"])
def test_review_01_an_older_result_never_decides(policies, jurisdiction):
    # a 2019 unqualified no longer makes a station rectify in 2024; a 2019 excellent no longer makes it a candidate
    for grade, out in (("unqualified", "rectification_required"), ("excellent", "post_subsidy_candidate")):
        d = policies.evaluate(station(jurisdiction, [{"year": 2019, "grade": grade}]))
        assert d.outputs[out] is None, (grade, out)
    # a grade from year - 2 does not decide either; the entry for year itself does
    two_back = policies.evaluate(station(jurisdiction, [{"year": 2022, "grade": "unqualified"}]))
    assert two_back.outputs["rectification_required"] is None
    own = policies.evaluate(station(jurisdiction, [{"year": 2022, "grade": "excellent"}, {"year": 2024, "grade": "unqualified"}]))
    assert own.outputs["rectification_required"] is True and own.outputs["post_subsidy_candidate"] is False
    # without the history at all the outcome is undetermined and the explanation names it
    d = policies.evaluate({**station(jurisdiction, []), "facts": {k: v for k, v in STATION.items()}})
    assert d.outputs["rectification_required"] is None
    assert "evaluation_history" in explained(d, "rectification_required").missing


def test_review_01_consecutive_years_read_year_minus_one_only(policies):
    # Baotou 六(四): an unqualified 2023 with an unqualified 2021 (year - 2) is not two consecutive years
    facts = dict(rd_enterprises=0, achievements_adopted=0, achievements_transferred=0, planning_enterprises=0,
                 policy_service_enterprises=0, rd_institutions=0, talents=0, high_tech_approved=0, year=2023)
    gap = policies.evaluate(teacher("cn/nm/baotou", "2024-03-01", evaluation_history=[{"year": 2021, "grade": "unqualified"}], **facts))
    assert gap.outputs["grade"] == "unqualified" and gap.outputs["filing_revoked"] is False
    run = policies.evaluate(teacher("cn/nm/baotou", "2024-03-01", evaluation_history=[{"year": 2022, "grade": "unqualified"}], **facts))
    assert run.outputs["filing_revoked"] is True


# --- 2. the dispatch under the notice, assessed under the measures (readings 2, 3) ---------------------

def test_review_02_the_same_dispatch_gives_the_same_answer_the_day_the_measures_come(policies):
    case = dict(dispatch_start="2023-03-15", dispatch_end="2024-03-15")
    before = policies.evaluate(teacher("cn/nm/baotou/imust", "2023-07-06", **case)).outputs
    after = policies.evaluate(teacher("cn/nm/baotou/imust", "2023-07-07", **case)).outputs
    assert before["home_treatment_until"] == after["home_treatment_until"] == _dt.date(2024, 3, 15)
    assert before["min_dispatch_months"] == after["min_dispatch_months"] == 12


def test_review_02_begun_under_the_notice_assessed_under_the_measures(policies):
    # begun on the notice's (assumed) day: its 12 months stand in 2024; begun under the measures: 6
    under_notice = policies.evaluate(teacher("cn/nm/baotou/imust", "2024-03-01", dispatch_start="2023-07-06"))
    under_measures = policies.evaluate(teacher("cn/nm/baotou/imust", "2024-03-01", dispatch_start="2023-07-07"))
    assert under_notice.outputs["min_dispatch_months"] == 12
    assert under_measures.outputs["min_dispatch_months"] == 6


def test_review_02_the_home_unit_guarantee_needs_the_agreed_end(policies):
    d = policies.evaluate(teacher("cn/nm/baotou/imust", "2024-03-01"))
    assert d.outputs["home_treatment_until"] is None
    assert explained(d, "home_treatment_until").missing == ("dispatch_end",)
    # a dispatch that begins after as_of has not happened: no guarantee yet, even with its end agreed
    future = policies.evaluate(teacher("cn/nm", "2024-03-01", dispatch_start="2024-03-02", dispatch_end="2025-03-01"))
    assert future.outputs["home_treatment_until"] is None
    assert future.outputs["retention_until"] is None


# --- 3. where commissioners come from (reading 4) ----------------------------------------------------

@pytest.mark.parametrize("jurisdiction", ["cn/nm", "cn/nm/ordos/dongsheng"])
@pytest.mark.parametrize("employer,public,eligible", [
    ("enterprise", False, False), ("other", False, False), ("state_owned_enterprise", False, False),
    ("tech_service_org", False, False), ("other", True, True), ("university", False, True),
    ("research_institute", False, True), ("vocational_school", False, True), ("st_admin_institution", False, True),
    ("social_org", False, True)])
def test_review_03_region_source_units_bind(policies, jurisdiction, employer, public, eligible):
    d = policies.evaluate(teacher(jurisdiction, "2024-12-20", employer_type=employer, employer_is_public_institution=public))
    assert d.outputs["eligible"] is eligible


@pytest.mark.parametrize("jurisdiction", ["cn/nm/baotou", "cn/nm/baotou/imust"])
@pytest.mark.parametrize("ctype,employer,eligible", [
    ("technical_service", "state_owned_enterprise", True), ("technical_service", "social_org", False),
    ("technical_service", "university", True), ("st_service", "tech_service_org", True),
    ("st_service", "university", False), ("technical_service", "enterprise", False)])
def test_review_03_baotou_lists_replace_the_region_list(policies, jurisdiction, ctype, employer, eligible):
    d = policies.evaluate(teacher(jurisdiction, "2024-12-20", commissioner_type=ctype, employer_type=employer,
                                  employer_is_public_institution=False))
    assert d.outputs["eligible"] is eligible


def test_review_03_check_reports_the_delegation_as_information_with_both_citations(policies):
    found = [d for d in diagnostics(policies, "PE059") if "nm.commissioner.source-unit" in d.message]
    assert sorted(d.message.split("'")[1] for d in found) == ["bt.commissioner.st-service", "bt.commissioner.type-source"]
    for d in found:
        assert d.severity.value == "info" and "第二条" in d.message and "四(" in d.message
        assert d.related and "第二条" in d.related[0].message
    assert not [d for d in diagnostics(policies, "PE052") if "source-unit" in d.message]


# --- 4. a finding dated after as_of (reading 2) ----------------------------------------------------

@pytest.mark.parametrize("jurisdiction", ["cn/nm", "cn/nm/baotou/imust"])
def test_review_04_a_finding_after_as_of_has_no_consequence_yet(policies, jurisdiction):
    later = policies.evaluate(teacher(jurisdiction, "2024-06-01", false_information_found="2024-06-02")).outputs
    assert later["eligible"] is True and later["banned_until"] is None and later["funds_recovered"] is False
    same_day = policies.evaluate(teacher(jurisdiction, "2024-06-01", false_information_found="2024-06-01")).outputs
    assert same_day["eligible"] is False and same_day["banned_until"] == _dt.date(2027, 6, 1)
    assert same_day["funds_recovered"] is True


# --- 5. restatements compared with every binding provision on the path -------------------------------

def test_review_05_imust_restatement_is_compared_with_baotou_as_well(policies):
    # against the region's 第七条(二) alone IMUST's 第三条(二) is no looser (it adds the experience), but Baotou's
    # 四(一) binds on its path too (bachelor or intermediate), and that one it restates more loosely
    found = [d for d in diagnostics(policies, "PE051") if "'imust.measures.qualification'" in d.message]
    (bt,) = [d for d in found if "bt.commissioner.technical-qualification" in d.message]
    assert "differently" in bt.message and "education = junior_college" in bt.message  # 大专 passes IMUST, not Baotou
    assert any("四(一)" in r.message for r in bt.related)


def test_review_05_the_restatement_is_said_in_the_officers_words(policies):
    """Both languages, values as the explanation shows them; the provision's scope in words, not
    as an expression (``commissioner_type == "technical_service"``)."""
    (bt,) = [d for d in diagnostics(policies, "PE051")
             if "'imust.measures.qualification'" in d.message and "bt.commissioner.technical-qualification" in d.message]
    zh, en = bt.zh, bt.message
    assert "只适用于 commissioner_type 为 technical_service（技术服务型） 的情形" in zh and "==" not in zh
    assert "例如 education = junior_college（大专）、full_time_education = 是" in zh
    assert "时，符合 'imust.measures.qualification'，却不符合 'bt.commissioner.technical-qualification'" in zh
    assert "passes" not in zh and "true" not in zh
    assert "e.g. education = junior_college, full_time_education = yes" in en and "passes 'imust.measures" in en


# --- 6. an annual plan binds its year (reading 5) ------------------------------------------------

def test_review_06_dongsheng_2024_duties_do_not_reach_2025(policies):
    facts = dict(year=2025, dispatch_start="2024-09-01", policy_briefings=0, projects_assisted=0, monthly_reports_on_time=0)
    d = policies.evaluate(teacher("cn/nm/ordos/dongsheng", "2025-12-20", **facts))
    assert d.outputs["compliant"] is True
    assert d.outputs["min_policy_briefings_per_year"] is None and d.outputs["monthly_report_due_day"] is None
    in_2024 = policies.evaluate(teacher("cn/nm/ordos/dongsheng", "2025-12-20", **dict(facts, year=2024)))
    assert in_2024.outputs["compliant"] is False and in_2024.outputs["min_policy_briefings_per_year"] == 2
    assert any("dongsheng.commissioner.policy-briefings" in d.message and "Reading 5" in d.message
               for d in diagnostics(policies, "PE058"))


# --- 7. every numeric target encoded; one reading of 择优 (reading 6) --------------------------------

def test_review_07_targets_and_post_subsidies_are_decided(policies):
    opinion = load_file(ROOT / "policies" / "baotou" / "innovation_opinion_2023_1.yaml").data["coverage"]
    for article in ("三1", "三3", "三4", "三6", "三(四)序", "一(二)其余", "三1后补助"):
        assert isinstance(opinion[article], list), article
    short = {"new_innovation_platforms": 19}
    facts = {f: 10 ** 6 for f in ("new_high_tech_enterprises", "new_leading_enterprises", "new_st_service_institutions",
                                  "tech_brokers_trained", "new_innovation_demo_enterprises", "new_specialised_enterprises",
                                  "new_little_giants", "high_tech_output_100m_cny", "new_innovation_platforms", "new_transfer_bases",
                                  "new_incubators", "key_technology_projects", "transfer_projects", "talents_attracted",
                                  "new_academician_stations", "young_talents_trained", "overseas_talent_projects",
                                  "industrial_workers_gathered")}
    facts.update(rd_input_growth_percent=20, existing_industrial_rd_share_percent=41, new_industrial_rd_share_percent=61,
                 emerging_value_added_growth_percent=20, emerging_output_share_percent=40)
    facts.update(INDUSTRY)  # 三7-三15, 四17: reached, the 2025 milestones included
    case = {"subject": "jurisdiction", "jurisdiction": "cn/nm/baotou", "as_of": "2023-12-31", "facts": facts}
    assert policies.evaluate(case).outputs["innovation_targets_met"] is True
    assert policies.evaluate(dict(case, facts=dict(facts, **short))).outputs["innovation_targets_met"] is False
    ent = {"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01",
           "facts": {"registered_in_region": True, "newly_recognised_leading_enterprise": True}}
    assert policies.evaluate(ent).outputs["leading_enterprise_post_subsidy"] is True
    # 择优 at IMUST 六(五): excellent in the assessed year, as for the region's workstations (第十七条)
    excellent = dict(rd_enterprises=4, achievements_adopted=7, achievements_transferred=6, planning_enterprises=11,
                     policy_service_enterprises=30, rd_institutions=11, talents=6, high_tech_approved=0)
    assert policies.evaluate(teacher("cn/nm/baotou/imust", "2024-03-01", **excellent)).outputs["post_subsidy_candidate"] is True
    assert policies.evaluate(teacher("cn/nm/baotou/imust", "2024-03-01")).outputs["post_subsidy_candidate"] is False


# --- 8. a target is pending before its deadline (reading 6) -----------------------------------------

def test_review_08_baotou_targets_are_pending_before_their_deadlines(policies):
    facts = {"commissioners": 150, "technical_workstations": 5, "service_workstations": 10, "tech_specialists": 0,
             "high_tech_enterprises": 300, "tech_smes": 400}
    case = {"subject": "jurisdiction", "jurisdiction": "cn/nm/baotou", "as_of": "2023-08-01", "facts": facts}
    d = policies.evaluate(case)
    assert d.outputs["targets_met"] is None
    pending = {r.id for r in explained(d, "targets_met").deciding if r.status == "pending"}
    assert pending == {"bt.target.commissioners-2023", "bt.target.commissioners-2025", "bt.target.specialists-2025"}
    assert "2023-12-31" in explained(d, "targets_met").text
    assert policies.evaluate(dict(case, as_of="2023-12-30")).outputs["targets_met"] is None
    assert policies.evaluate(dict(case, as_of="2023-12-31")).outputs["targets_met"] is False


# --- 9. the five-year retention runs from the first dispatch (reading 7) -----------------------------

def test_review_09_retention_counts_from_the_first_dispatch(policies):
    renewed = policies.evaluate(teacher("cn/nm", "2024-12-20", dispatch_start="2024-03-15", first_dispatch_start="2020-03-15"))
    assert renewed.outputs["retention_until"] == _dt.date(2025, 3, 15)
    assert "首次派驻" in explained(renewed, "retention_until").text
    alone = policies.evaluate(teacher("cn/nm", "2024-12-20", dispatch_start="2024-03-15"))
    assert alone.outputs["retention_until"] == _dt.date(2029, 3, 15)
    assert "本次派驻" in explained(alone, "retention_until").text


# --- 10. listing rewards go to enterprises registered in the region (reading 8) ----------------------

def test_review_10_no_listing_reward_outside_the_region(policies):
    case = {"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01",
            "facts": {"registered_in_region": False, "listed_exchange": "domestic"}}
    assert policies.evaluate(case).outputs["listing_reward_cny"] is None
    case["facts"]["registered_in_region"] = True
    assert policies.evaluate(case).outputs["listing_reward_cny"] == 23_000_000


# --- 11. assumed dates: the latest defensible, and reported (reading 9) ------------------------------

def test_review_11_assumed_dates_are_late_and_reported(policies):
    docs = {p.stem: load_file(p).data["document"] for p in (ROOT / "policies").rglob("*.yaml")
            if "tests" not in p.parts}
    eff = {k: d["effective"] for k, d in docs.items()}
    assert eff["commissioner_measures"] == _dt.date(2023, 7, 6)
    assert eff["notice_first_hundred_teachers"] == _dt.date(2023, 7, 6)
    assert eff["innovation_opinion_2023_1"] == _dt.date(2023, 7, 7)
    assert eff["commissioner_plan"] >= eff["innovation_opinion_2023_1"]  # the plan implements the opinion
    assert eff["ekefa_2024_26"] == _dt.date(2024, 7, 2)
    dated = [d for d in diagnostics(policies, "PE058") if "assumed date of effect" in d.message]
    assumed = {d["id"]: d["effective"] for d in docs.values() if d.get("dates_assumed")}
    assert len(dated) == len(assumed) == 5
    for doc_id, day in assumed.items():
        assert any(f"'{doc_id}'" in d.message and day.isoformat() in d.message for d in dated), doc_id
    # warnings, each reviewed: acknowledged in its rule file with the reason (check --notes shows it)
    assert all(d.name == "assumption" and "acknowledged: " in d.related[-1].message and "dates_assumed" in d.related[-1].message
               for d in dated)


def test_every_reading_is_reported_by_check(policies):
    readings = []
    for p in (ROOT / "policies").rglob("*.yaml"):
        data = load_file(p).data
        if data.get("kind") != "policy-document":
            continue
        readings += [r["id"] for r in data.get("rules", ()) if r.get("reading")]
        readings += [n for n, v in (data.get("parameters") or {}).items() if v.get("reading")]
        readings += [n for n, v in (data.get("definitions") or {}).items() if v.get("reading")]
    reported = [d.message for d in diagnostics(policies, "PE058") if "reading" in d.message]
    assert len(readings) >= 30
    for r in readings:
        assert any(f"'{r}'" in m for m in reported), r
    for n in range(1, 10):  # each of the nine readings is recorded somewhere and reported
        assert any(f"Reading {n} settled" in m or f"reading {n} settled" in m for m in
                   reported + [d.message for d in diagnostics(policies, "PE058")]), n


# --- the language: in_force_on with the more favourable exception -------------------------------------

_OLD = """kind: policy-document
version: 1
document: {id: r.old, title: 旧办法, issuer: 自治区科技厅, jurisdiction: cn, effective: 2020-01-01}
jurisdictions: [{id: cn, name: 全国, level: national}]
facts:
  commissioner:
    false_information_found: {type: date, nullable: true, label: 认定日期}
outputs:
  banned_until: {type: date, subjects: [commissioner], label: 不予受理截止日}
parameters:
  ban_years: {value: 3, FAVOURABLE label: 年限, citation: 第十五条}
rules:
  - id: r.ban
    kind: sanction
    subject: commissioner
    output: banned_until
    label: 三年内不再受理
    citation: 第十五条
    value: years_after(false_information_found, in_force_on(false_information_found, ban_years))
"""
_NEW = """kind: policy-document
version: 1
document: {id: r.new, title: 新办法, issuer: 自治区科技厅, jurisdiction: cn, effective: 2024-01-01, supersedes: [r.old]}
parameters:
  ban_years: {value: YEARS, FAVOURABLE label: 年限, citation: 第十五条}
"""


@pytest.mark.parametrize("favourable,later,found,until", [
    ("favourable: lower,", 2, "2023-05-10", "2025-05-10"),   # a later, shorter ban is more favourable: it applies
    ("", 2, "2023-05-10", "2026-05-10"),                      # no direction declared: the rule of the day stands
    ("favourable: lower,", 4, "2023-05-10", "2026-05-10"),   # a later, longer ban never reaches back
    ("favourable: lower,", 4, "2024-05-10", "2028-05-10"),   # a finding under the new rule takes the new rule
    ("favourable: lower,", 2, "2019-05-10", None),           # no ban in force that day: none, the most favourable
    ("", 2, "2019-05-10", "2022-05-10"),                      # no rule that day, no direction: the first after it (3)
])
def test_in_force_on_takes_the_rule_of_the_event_day_unless_a_later_one_is_kinder(tmp_path, favourable, later, found, until):
    (tmp_path / "old.yaml").write_text(_OLD.replace("FAVOURABLE ", favourable + " " if favourable else ""), encoding="utf-8")
    (tmp_path / "new.yaml").write_text(_NEW.replace("YEARS", str(later)).replace("FAVOURABLE ", favourable + " " if favourable else ""),
                                       encoding="utf-8")
    ps = Policies.load(tmp_path)
    case = {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-06-01", "facts": {"false_information_found": found}}
    assert ps.evaluate(case).outputs["banned_until"] == (until and _dt.date.fromisoformat(until))


def test_in_force_on_needs_a_parameter(tmp_path):
    from policyengine import PolicyError
    bad = _OLD.replace("FAVOURABLE ", "").replace("in_force_on(false_information_found, ban_years)",
                                                  "in_force_on(false_information_found, 3)")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        Policies.load(tmp_path)
    assert any(d.code == "PE023" and "must name a parameter" in d.message for d in e.value.diagnostics)


# the same parameter's history with a gap: 3 from 2020, none from 2022 (the old rules end), 2 from 2024
_GAP_PARAMS = """kind: policy-document
version: 1
document: {id: g.DOC, title: DOC, issuer: 自治区科技厅, jurisdiction: cn, DATES}
parameters:
  p_lower: {value: V, favourable: lower, label: 负担, citation: 一}
  p_higher: {value: V, favourable: higher, label: 待遇, citation: 二}
  p_none: {value: V, label: 期限, citation: 三}
"""
_GAP = {
    "old.yaml": _GAP_PARAMS.replace("DOC", "old").replace("DATES", "effective: 2020-01-01, effective_until: 2021-12-31")
                           .replace("value: V", "value: 3"),
    "new.yaml": _GAP_PARAMS.replace("DOC", "new").replace("DATES", "effective: 2024-01-01").replace("value: V", "value: 2"),
    "rules.yaml": """kind: policy-document
version: 1
document: {id: g.rules, title: 规则, issuer: 自治区科技厅, jurisdiction: cn, effective: 2019-01-01}
jurisdictions: [{id: cn, name: 全国, level: national}]
facts:
  commissioner:
    event: {type: date, nullable: true, label: 事件日期}
outputs:
  until_lower: {type: date, subjects: [commissioner], label: 负担}
  until_higher: {type: date, subjects: [commissioner], label: 待遇}
  until_none: {type: date, subjects: [commissioner], label: 期限}
rules:
  - {id: g.lower, kind: sanction, subject: commissioner, output: until_lower, label: 负担, citation: 一,
     value: "years_after(event, in_force_on(event, p_lower))"}
  - {id: g.higher, kind: entitlement, subject: commissioner, output: until_higher, label: 待遇, citation: 二,
     value: "years_after(event, in_force_on(event, p_higher))"}
  - {id: g.none, kind: sanction, subject: commissioner, output: until_none, label: 期限, citation: 三,
     value: "years_after(event, in_force_on(event, p_none))"}
""",
}


@pytest.mark.parametrize("event,as_of,lower,higher,none", [
    ("2021-05-10", "2023-06-01", None, "2024-05-10", "2024-05-10"),  # the rule gone at as_of: the day's stands, a burden is lifted
    ("2019-05-10", "2021-06-01", None, "2022-05-10", "2022-05-10"),  # before every rule: no burden; the first rule after it otherwise
    ("2019-05-10", "2023-06-01", None, "2022-05-10", "2022-05-10"),  # ... and so while the rule is gone
    ("2019-05-10", "2024-06-01", None, "2022-05-10", "2022-05-10"),  # ... the later 2 not kinder to a benefit
    ("2022-06-01", "2024-06-01", None, "2024-06-01", "2024-06-01"),  # an event in the gap: the first rule after it, no burden
    ("2021-05-10", "2024-06-01", "2023-05-10", "2024-05-10", "2024-05-10"),  # a later, shorter burden is kinder
])
def test_in_force_on_over_a_history_with_a_gap_alike_in_python_and_sql(tmp_path, event, as_of, lower, higher, none):
    """A burden (favourable: lower) never attaches where no rule was in force on the event's day, and is lifted
    where the rule is gone at as_of; a benefit and a term keep the rule of the day.  The SQL translation
    (batch) gives the same answers as the library."""
    import duckdb
    import pyarrow as pa

    from policyengine.batch.sql import translate

    for name, text in _GAP.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    ps = Policies.load(tmp_path)
    case = {"subject": "commissioner", "jurisdiction": "cn", "as_of": as_of, "facts": {"event": event}}
    want = {o: v and _dt.date.fromisoformat(v) for o, v in (("until_lower", lower), ("until_higher", higher), ("until_none", none))}
    assert {o: ps.evaluate(case).outputs[o] for o in want} == want
    day = _dt.date.fromisoformat(as_of)
    prog = ps.program("cn", day, "commissioner")
    for q in (translate(prog), translate(prog, as_of=day)):  # the date a column, and a literal
        (v, m), = [(v, m) for fact, v, m in q.facts]
        con = duckdb.connect()
        con.register("batch_rows", pa.table({"row_id": pa.array([0], pa.int64()), "as_of": pa.array([day], pa.date32()),
                                             v: pa.array([_dt.date.fromisoformat(event)], pa.date32()), m: pa.array([False])}))
        rec = con.execute(q.sql).fetchone()
        assert {o: rec[1 + list(q.outputs).index(o)] for o in want} == want
