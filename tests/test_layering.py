"""Precedence, one rule at a time, on small purpose-built layers (CONTRACT.md, "Semantics users rely on")."""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from policyengine import PolicyError, Policies
from policyengine.api import load_rule_files

HEAD = """\
kind: policy-document
version: 1
"""

ROOT = HEAD + """\
document: {id: root, title: 国家文件, issuer: 国务院, jurisdiction: cn, effective: 2020-01-01}
jurisdictions:
  - {id: cn, name: 全国, level: national}
  - {id: cn/r, name: 某区, level: region, parent: cn}
  - {id: cn/r/c, name: 某市, level: city, parent: cn/r}
  - {id: cn/r/e, name: 空层, level: city, parent: cn/r}
enums:
  education: {ordered: true, values: [none, junior_college, bachelor, master]}
facts:
  commissioner:
    service_days: {type: int, min: 0, label: 服务天数}
    education: {type: enum, enum: education, label: 学历}
    good_conduct: {type: bool, label: 品行}
    registered: {type: bool, label: 已注册}
  jurisdiction:
    commissioners: {type: int, min: 0, label: 人数}
outputs:
  eligible: {type: bool, combine: all, subjects: [commissioner], label: 符合条件}
  compliant: {type: bool, combine: all, subjects: [commissioner], label: 合规}
  min_days: {type: int, subjects: [commissioner], label: 最少天数}
  term_months: {type: int, subjects: [commissioner], label: 期限}
  targets_met: {type: bool, combine: all, subjects: [jurisdiction], label: 目标}
"""

REGION = HEAD + """\
document: {id: region, title: 区办法, issuer: 区科技厅, jurisdiction: cn/r, extends: cn, effective: 2021-01-01}
parameters:
  days: {value: 30, stricter: higher, output: min_days, subject: commissioner, label: 天数, citation: 第七条}
  term: {value: 12, default: true, stricter: higher, output: term_months, subject: commissioner, label: 期限, citation: 第十一条}
rules:
  - id: r.conduct
    kind: eligibility
    subject: commissioner
    label: 品行良好
    citation: 第七条(一)
    condition: good_conduct
  - id: r.education
    kind: eligibility
    subject: commissioner
    label: 大专以上
    citation: 第七条(二)
    condition: education >= "junior_college"
  - id: r.days
    kind: obligation
    subject: commissioner
    label: 服务天数
    citation: 第七条(五)
    check: service_days >= days
  - id: r.target
    kind: target
    subject: jurisdiction
    label: 区目标
    citation: 三
    condition: commissioners >= 100
"""

EMPTY = HEAD + """\
document: {id: empty, title: 空文件, issuer: 某市, jurisdiction: cn/r/e, extends: cn/r, effective: 2021-01-01}
"""


def city(body: str, doc_id: str = "city", effective: str = "2022-01-01", extra: str = "") -> str:
    return HEAD + f"document: {{id: {doc_id}, title: 市方案{doc_id}, issuer: 市科技局, jurisdiction: cn/r/c, extends: cn/r, effective: {effective}{extra}}}\n" + textwrap.dedent(body)


def build(tmp_path, *cities: str) -> Policies:
    (tmp_path / "root.yaml").write_text(ROOT, encoding="utf-8")
    (tmp_path / "region.yaml").write_text(REGION, encoding="utf-8")
    (tmp_path / "empty.yaml").write_text(EMPTY, encoding="utf-8")
    for i, text in enumerate(cities):
        (tmp_path / f"city{i}.yaml").write_text(text, encoding="utf-8")
    return Policies.load(tmp_path)


GOOD = {"service_days": 35, "education": "bachelor", "good_conduct": True, "registered": True}


def decide(pol: Policies, jurisdiction: str, facts: dict, as_of: str = "2023-06-01", subject: str = "commissioner"):
    return pol.evaluate({"subject": subject, "jurisdiction": jurisdiction, "as_of": as_of, "facts": facts})


def test_add_a_condition_below(tmp_path):
    pol = build(tmp_path, city("""
        rules:
          - id: c.registered
            kind: eligibility
            subject: commissioner
            label: 已注册
            citation: 六(一)
            condition: registered
        """))
    facts = dict(GOOD, registered=False)
    assert decide(pol, "cn/r", facts).outputs["eligible"] is True
    d = decide(pol, "cn/r/c", facts)
    assert d.outputs["eligible"] is False
    (e,) = [e for e in d.explanation if e.output == "eligible"]
    assert [r.id for r in e.deciding] == ["c.registered"]
    assert e.deciding[0].article == "六(一)" and e.deciding[0].document["id"] == "city"


def test_tighten_a_threshold(tmp_path):
    pol = build(tmp_path, city("""
        parameters:
          days: {value: 40, stricter: higher, output: min_days, subject: commissioner, label: 天数, citation: 四}
        """))
    assert decide(pol, "cn/r", GOOD).outputs["min_days"] == 30
    d = decide(pol, "cn/r/c", GOOD)
    assert d.outputs["min_days"] == 40
    assert d.outputs["compliant"] is False  # 35 days no longer enough
    (e,) = [e for e in d.explanation if e.output == "min_days"]
    assert e.deciding[0].document["id"] == "city"
    assert [(r["document"], r["value"]) for r in e.deciding[0].replaced] == [("region", 30)]


def test_attempted_loosening_has_no_effect_and_is_reported(tmp_path):
    pol = build(tmp_path, city("""
        parameters:
          days: {value: 20, stricter: higher, output: min_days, subject: commissioner, label: 天数, citation: 四}
        """))
    d = decide(pol, "cn/r/c", dict(GOOD, service_days=25))
    assert d.outputs["min_days"] == 30
    assert d.outputs["compliant"] is False
    (e,) = [e for e in d.explanation if e.output == "min_days"]
    assert [(r["document"], r["value"]) for r in e.deciding[0].ignored] == [("city", 20)]
    diags = [x for x in pol.diagnostics if x.code == "PE050"]
    assert len(diags) == 1
    assert diags[0].span.file.endswith("city0.yaml")
    assert diags[0].related and diags[0].related[0].span.file.endswith("region.yaml")
    assert "第七条" in diags[0].related[0].message


def test_a_default_may_be_replaced_below(tmp_path):
    pol = build(tmp_path, city("""
        parameters:
          term: {value: 6, default: true, stricter: higher, output: term_months, subject: commissioner, label: 期限, citation: 五}
        """))
    assert decide(pol, "cn/r", GOOD).outputs["term_months"] == 12
    assert decide(pol, "cn/r/c", GOOD).outputs["term_months"] == 6
    assert not [x for x in pol.diagnostics if x.code == "PE050"]


def test_supersession_within_one_issuer_by_date(tmp_path):
    old = city("""
        parameters:
          days: {value: 40, stricter: higher, output: min_days, subject: commissioner, label: 天数, citation: 四}
        rules:
          - id: c.registered
            kind: eligibility
            subject: commissioner
            label: 已注册
            citation: 六
            condition: registered
        """, doc_id="city-old", effective="2022-01-01")
    new = city("""
        parameters:
          days: {value: 35, stricter: higher, output: min_days, subject: commissioner, label: 天数, citation: 第五条}
        """, doc_id="city-new", effective="2023-07-07", extra=", supersedes: [city-old]")
    pol = build(tmp_path, old, new)
    before = decide(pol, "cn/r/c", dict(GOOD, registered=False), as_of="2023-05-01")
    after = decide(pol, "cn/r/c", dict(GOOD, registered=False), as_of="2023-07-07")
    assert before.outputs["min_days"] == 40
    assert after.outputs["min_days"] == 35  # the later document wins where they differ...
    assert before.outputs["eligible"] is False and after.outputs["eligible"] is False  # ...the rest stays
    assert not [x for x in pol.diagnostics if x.code == "PE050"]


def test_as_of_before_and_after_a_documents_effective_date(tmp_path):
    pol = build(tmp_path, city("""
        rules:
          - id: c.registered
            kind: eligibility
            subject: commissioner
            label: 已注册
            citation: 六
            condition: registered
        """, effective="2024-01-01"))
    facts = dict(GOOD, registered=False)
    assert decide(pol, "cn/r/c", facts, as_of="2023-12-31").outputs["eligible"] is True
    assert decide(pol, "cn/r/c", facts, as_of="2024-01-01").outputs["eligible"] is False
    # before the region's own document nothing decides eligibility at all
    assert "eligible" not in decide(pol, "cn/r/c", facts, as_of="2020-06-01").outputs


def test_targets_bind_only_the_jurisdiction_that_set_them(tmp_path):
    pol = build(tmp_path, city("""
        rules:
          - id: c.target
            kind: target
            subject: jurisdiction
            label: 市目标
            citation: 三(一)
            condition: commissioners >= 20
        """))
    assert decide(pol, "cn/r", {"commissioners": 50}, subject="jurisdiction").outputs["targets_met"] is False
    d = decide(pol, "cn/r/c", {"commissioners": 50}, subject="jurisdiction")
    assert d.outputs["targets_met"] is True
    (e,) = [e for e in d.explanation if e.output == "targets_met"]
    assert [r.id for r in e.rules] == ["c.target"]  # the region's target is not in force here


def test_a_layer_without_rules_changes_nothing(tmp_path):
    pol = build(tmp_path)
    for facts in (GOOD, dict(GOOD, service_days=3), dict(GOOD, education="none")):
        a = decide(pol, "cn/r", facts).to_dict()
        b = decide(pol, "cn/r/e", facts).to_dict()
        assert a["outputs"] == b["outputs"]
        assert [l["documents"] for l in b["layers"]] == [["root"], ["region"], ["empty"]]


def test_replacing_a_binding_rule_keeps_both(tmp_path):
    pol = build(tmp_path, city("""
        rules:
          - id: c.education
            kind: eligibility
            subject: commissioner
            label: 无学历要求
            citation: 四
            replaces: r.education
            condition: education >= "none"
        """))
    assert decide(pol, "cn/r/c", dict(GOOD, education="none")).outputs["eligible"] is False
    assert [x.code for x in pol.diagnostics if x.code == "PE052"] == ["PE052"]


def test_restating_more_loosely_is_reported_with_an_example(tmp_path):
    pol = build(tmp_path, city("""
        rules:
          - id: c.education
            kind: eligibility
            subject: commissioner
            label: 学历
            citation: 四(一)
            restates: [r.education]
            condition: education >= "none"
        """))
    (w,) = [x for x in pol.diagnostics if x.code == "PE051"]
    assert "education = none" in w.message and "more loosely" in w.message
    assert decide(pol, "cn/r/c", dict(GOOD, education="none")).outputs["eligible"] is False


def test_missing_facts_make_an_outcome_undetermined_and_are_named(tmp_path):
    pol = build(tmp_path)
    d = decide(pol, "cn/r", {"good_conduct": True})
    assert d.outputs["eligible"] is None
    (e,) = [e for e in d.explanation if e.output == "eligible"]
    assert e.status == "undetermined" and e.missing == ("education",)
    assert d.outputs["compliant"] is None


def test_known_failure_decides_even_when_facts_are_missing(tmp_path):
    pol = build(tmp_path)
    d = decide(pol, "cn/r", {"good_conduct": False})
    assert d.outputs["eligible"] is False
    (e,) = [e for e in d.explanation if e.output == "eligible"]
    assert e.status == "decided" and e.missing == ()


def test_merge_is_pure_and_records_provenance(tmp_path):
    from policyengine.merge import merge

    build(tmp_path, city("""
        parameters:
          days: {value: 45, stricter: higher, output: min_days, subject: commissioner, label: 天数, citation: 四}
        """))
    ps = load_rule_files([tmp_path])
    a = merge(ps, "cn/r/c", dt.date(2023, 1, 1))
    b = merge(ps, "cn/r/c", dt.date(2023, 1, 1))
    assert a == b
    m = a.params["days"]
    assert (m.param.document, m.param.value, m.how) == ("city", 45, "tightened")
    assert [(p.document, p.value) for p in m.replaced] == [("region", 30)]


def test_an_error_in_a_rule_file_stops_loading(tmp_path):
    (tmp_path / "root.yaml").write_text(ROOT.replace("good_conduct: {type: bool", "good_conduct: {type: boolean"), encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        Policies.load(tmp_path)
    assert any(d.code == "PE012" and d.span.line > 1 for d in e.value.diagnostics)


OVERRIDE_OUTPUT = """\
  part_time_pay: {type: bool, subjects: [commissioner], label: 兼职取酬}
"""


def build_with_region_rule(tmp_path, region_rule: str, *cities: str) -> Policies:
    (tmp_path / "root.yaml").write_text(ROOT + OVERRIDE_OUTPUT, encoding="utf-8")
    (tmp_path / "region.yaml").write_text(REGION + textwrap.indent(textwrap.dedent(region_rule), "  "), encoding="utf-8")
    (tmp_path / "empty.yaml").write_text(EMPTY, encoding="utf-8")
    for i, text in enumerate(cities):
        (tmp_path / f"city{i}.yaml").write_text(text, encoding="utf-8")
    return Policies.load(tmp_path)


REGION_PAY = """\
- id: r.pay
  kind: entitlement
  subject: commissioner
  output: part_time_pay
  label: 不得兼职取酬
  citation: 第十二条
  value: false
"""

CITY_PAY = """
    rules:
      - id: c.pay
        kind: entitlement
        subject: commissioner
        output: part_time_pay
        label: 可兼职取酬
        citation: 七(二)
        value: registered
    """


def test_a_lower_rule_cannot_override_a_binding_value(tmp_path):
    pol = build_with_region_rule(tmp_path, REGION_PAY, city(CITY_PAY))
    d = decide(pol, "cn/r/c", GOOD)
    assert d.outputs["part_time_pay"] is False
    (e,) = [e for e in d.explanation if e.output == "part_time_pay"]
    assert [r.id for r in e.deciding] == ["r.pay"]
    assert [x["id"] for x in e.deciding[0].ignored] == ["c.pay"]
    (w,) = [x for x in pol.diagnostics if x.code == "PE052"]
    assert "c.pay" in w.message and w.related[0].span.file.endswith("region.yaml")


def test_a_default_value_may_be_overridden_below(tmp_path):
    pol = build_with_region_rule(tmp_path, REGION_PAY + "  default: true\n", city(CITY_PAY))
    assert decide(pol, "cn/r/c", GOOD).outputs["part_time_pay"] is True
    assert decide(pol, "cn/r", GOOD).outputs["part_time_pay"] is False
    assert not [x for x in pol.diagnostics if x.code == "PE052"]


def test_a_value_restated_below_keeps_publishing_its_outcome(tmp_path):
    pol = build(tmp_path, city("""
        parameters:
          term: {value: 6, default: true, stricter: higher, label: 期限, citation: 五}
        """))
    assert decide(pol, "cn/r/c", GOOD).outputs["term_months"] == 6


def test_supersession_does_not_depend_on_file_names(tmp_path):
    # the superseding document sorts first by file name; ids reused by it are not duplicates
    new = city("""
        rules:
          - id: c.registered
            kind: eligibility
            subject: commissioner
            label: 已注册（新）
            citation: 第五条
            condition: registered or good_conduct
        """, doc_id="city-new", effective="2023-07-07", extra=", supersedes: [city-old]")
    old = city("""
        rules:
          - id: c.registered
            kind: eligibility
            subject: commissioner
            label: 已注册
            citation: 六
            condition: registered
        """, doc_id="city-old", effective="2022-01-01")
    pol = build(tmp_path, new, old)  # city0.yaml is the new one
    assert not [x for x in pol.diagnostics if x.code == "PE030"]
    facts = dict(GOOD, registered=False)
    assert decide(pol, "cn/r/c", facts, as_of="2023-01-01").outputs["eligible"] is False
    assert decide(pol, "cn/r/c", facts, as_of="2023-08-01").outputs["eligible"] is True


@pytest.mark.parametrize("body,code,needle", [
    ("facts:\n  commissioner:\n    extra: {type: int, min: 0, label: 额外, default: \"none\"}\n", "PE012", "default of 'extra'"),
    ("""rules:
  - id: c.table
    kind: scoring
    subject: commissioner
    label: 表
    citation: 附件
    when: registered
    cap: 10
    items: [{id: a, label: a, citation: 附件1, value: service_days, max: 10, tiers: [{min: 0, points: 10}]}]
    grades: [{min: 0, grade: x}]
""", "PE012", "scoring rule cannot have 'when'"),
])
def test_mistakes_that_used_to_pass_silently(tmp_path, body, code, needle):
    (tmp_path / "root.yaml").write_text(ROOT, encoding="utf-8")
    (tmp_path / "region.yaml").write_text(REGION, encoding="utf-8")
    (tmp_path / "city.yaml").write_text(city(body), encoding="utf-8")
    ps = load_rule_files([tmp_path])
    assert any(d.code == code and needle in d.message for d in ps.diagnostics), [d.message for d in ps.diagnostics]
