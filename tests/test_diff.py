"""The auditor's diff: exact differences between two policy versions, the cases they change,
exit codes, the three formats, git revisions, and layout-only changes giving nothing."""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine.api import Policies, load_rule_files
from policyengine.cli import main
from policyengine.diff import CaseImpact, Change, OutputChange, _case_lines, _row, diff_policies, find_cases, impacted_cases
from policyengine.load import load_file

DATA = Path(__file__).parent / "data" / "diff_base"
SHIPPED = Path(__file__).resolve().parent.parent / "policies"
AS_OF = _dt.date(2024, 6, 1)
REGION, CITY = "cn.nm.measures", "cn.nm.baotou.plan"


@pytest.fixture
def versions(tmp_path):
    """Two copies of the purpose-built pack (national + region + city): old, and new to mutate."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(DATA / "policies", old)
    shutil.copytree(DATA / "policies", new)
    return old, new


def edit(path: Path, before: str, after: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(before) == 1, f"{before!r} should occur once in {path.name}"
    path.write_text(text.replace(before, after), encoding="utf-8")


def diff(old: Path, new: Path) -> list[Change]:
    po, pn = load_rule_files([old]), load_rule_files([new])
    assert not po.errors and not pn.errors, [d.message for d in po.errors + pn.errors]
    return diff_policies(po, pn, AS_OF, lang="en")


def impacts(old: Path, new: Path) -> list[CaseImpact]:
    return impacted_cases(Policies.load(old), Policies.load(new), find_cases(DATA / "cases"), lang="en")


def case(name: str, jurisdiction: str, *outputs: OutputChange) -> CaseImpact:
    return CaseImpact(str(DATA / "cases" / name), "commissioner", jurisdiction, "2024-06-01", outputs)


def in_force(jid: str, what: str, ident: str, old, new, document: str, detail: str, change: str = "changed") -> Change:
    return Change("in-force", ident, change, document, jid, what, old, new, detail)


from policyengine import __version__  # noqa: E402

ENGINE_EN = f"both versions decided by this engine ({__version__}): changes of the engine itself are not compared"
ENGINE_ZH = f"两个版本都由本引擎（{__version__}）判定：引擎本身的变化不在比较之列"
DAYS = OutputChange("min_service_days_per_year", 30, 40, ("min_service_days",), ("min_service_days",))


# --- the exact differences of each kind of change ---------------------------------------------------


def test_an_identical_copy_has_no_difference(versions):
    old, new = versions
    assert diff(old, new) == []
    assert impacts(old, new) == []


def test_threshold_raised(versions):
    old, new = versions
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    setter = "set by cn.nm.measures 第七条(五)"
    assert diff(old, new) == [
        Change("parameter", "min_service_days", "changed", REGION, "cn/nm", "value", 30, 40, "30 → 40"),
        in_force("cn/nm", "parameter", "min_service_days", 30, 40, REGION, setter),
        in_force("cn/nm/baotou", "parameter", "min_service_days", 30, 40, REGION, setter),
    ]
    assert impacts(old, new) == [
        case("a_baotou_35_days.yaml", "cn/nm/baotou",
             OutputChange("compliant", True, False, ("cn.nm.service-days",), ("cn.nm.service-days",)), DAYS),
        case("b_baotou_45_days.yaml", "cn/nm/baotou", DAYS),
        case("c_region_part_time.json", "cn/nm", DAYS),
        case("d_baotou_part_time.yml", "cn/nm/baotou", DAYS),
    ]


CITY_DAYS = """
parameters:
  min_service_days:
    value: 30
    stricter: higher
    label: {zh: 每年服务不少于（天）, en: Days a year (at least)}
    citation: 第五条
"""


def test_a_tightening_in_the_region_now_binds_the_city(versions):
    old, new = versions
    for v in versions:  # the city restates the region's 30 days in both versions
        (v / "city.yaml").write_text((v / "city.yaml").read_text(encoding="utf-8") + CITY_DAYS, encoding="utf-8")
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    assert diff(old, new) == [
        Change("parameter", "min_service_days", "changed", REGION, "cn/nm", "value", 30, 40, "30 → 40"),
        Change("check", "PE050", "added", CITY, "cn/nm/baotou", "warning", None,
               "'min_service_days' = 30 here would loosen 40 set above; the stricter 40 keeps applying"),
        in_force("cn/nm", "parameter", "min_service_days", 30, 40, REGION, "set by cn.nm.measures 第七条(五)"),
        in_force("cn/nm/baotou", "parameter", "min_service_days", 30, 40, REGION,
                 "set by cn.nm.measures 第七条(五); was set by cn.nm.baotou.plan 第五条"),
    ]
    assert [Path(i.path).name for i in impacts(old, new)] == [
        "a_baotou_35_days.yaml", "b_baotou_45_days.yaml", "c_region_part_time.json", "d_baotou_part_time.yml"]


def test_tier_bound_moved(versions):
    old, new = versions
    edit(new / "region.yaml", "{min: 5, max: 9, points: 30}", "{min: 5, max: 7, points: 30}")
    edit(new / "region.yaml", "{min: 10, points: 60}", "{min: 8, points: 60}")
    assert diff(old, new) == [
        Change("rule", "cn.nm.score", "changed", REGION, "cn/nm", "items.rd.tiers",
               ["0-4: 0", "5-9: 30", "10+: 60"], ["0-4: 0", "5-7: 30", "8+: 60"],
               "tier 2: 5-9 → 5-7 (30 points); tier 3: 10+ → 8+ (60 points)"),
        in_force("cn/nm", "rule", "cn.nm.score", "Annual performance evaluation", "Annual performance evaluation", REGION,
                 "items.rd.tiers changed; set by cn.nm.measures 第十二条"),
        in_force("cn/nm/baotou", "rule", "cn.nm.score", "Annual performance evaluation", "Annual performance evaluation",
                 REGION, "items.rd.tiers changed; set by cn.nm.measures 第十二条"),
    ]
    score = ("cn.nm.score",)
    assert impacts(old, new) == [  # 8 enterprises: 30 points before, 60 now
        case("a_baotou_35_days.yaml", "cn/nm/baotou", OutputChange("grade", "qualified", "excellent", score, score),
             OutputChange("score", 70, 100, score, score)),
    ]


def test_condition_added_at_the_city(versions):
    old, new = versions
    edit(new / "city.yaml", 'condition: education >= "bachelor"',
         'condition: education >= "bachelor" and full_time_education')
    label = "A bachelor's degree or higher"
    assert diff(old, new) == [
        Change("rule", "cn.nm.baotou.education", "changed", CITY, "cn/nm/baotou", "condition",
               'education >= "bachelor"', 'education >= "bachelor" and full_time_education',
               "adds `and full_time_education`"),
        in_force("cn/nm/baotou", "rule", "cn.nm.baotou.education", label, label, CITY,
                 "condition changed; set by cn.nm.baotou.plan 第二条"),
    ]
    assert impacts(old, new) == [
        case("d_baotou_part_time.yml", "cn/nm/baotou",
             OutputChange("eligible", True, False, ("cn.conduct", "cn.nm.employer", "cn.nm.baotou.education"),
                          ("cn.nm.baotou.education",))),
    ]


SUPERSEDING = """\
kind: policy-document
version: 1
document:
  id: cn.nm.measures-2024
  title: {zh: 自治区科技特派员管理办法（2024年修订）, en: Regional measures (2024 revision)}
  issuer: {zh: 自治区科学技术厅, en: Regional Department of Science and Technology}
  number: 内科发〔2024〕3号
  jurisdiction: cn/nm
  extends: cn
  effective: 2024-01-01
  supersedes: [cn.nm.measures]
parameters:
  min_service_days:
    value: 25
    stricter: higher
    output: min_service_days_per_year
    subject: commissioner
    label: {zh: 每年在派驻企业工作时间累计不少于（天）, en: Days a year at the host enterprise (at least)}
    citation: 第七条(五)
"""


def test_document_superseded(versions):
    old, new = versions
    (new / "region_2024.yaml").write_text(SUPERSEDING, encoding="utf-8")
    later, title = "cn.nm.measures-2024", "Regional measures (2024 revision)"
    setter = "set by cn.nm.measures-2024 第七条(五); was set by cn.nm.measures 第七条(五)"
    assert diff(old, new) == [
        Change("document", later, "added", later, "cn/nm", new=title),
        Change("document", REGION, "superseded", REGION, "cn/nm", "superseded_by", None, later, f"superseded by {later}"),
        Change("parameter", "min_service_days", "added", later, "cn/nm", new=25),
        in_force("cn/nm", "document", later, None, title, later, "", "added"),
        in_force("cn/nm", "parameter", "min_service_days", 30, 25, later, setter),
        in_force("cn/nm/baotou", "document", later, None, title, later, "", "added"),
        in_force("cn/nm/baotou", "parameter", "min_service_days", 30, 25, later, setter),
    ]
    days = OutputChange("min_service_days_per_year", 30, 25, ("min_service_days",), ("min_service_days",))
    assert impacts(old, new) == [
        case("a_baotou_35_days.yaml", "cn/nm/baotou", days), case("b_baotou_45_days.yaml", "cn/nm/baotou", days),
        case("c_region_part_time.json", "cn/nm", days), case("d_baotou_part_time.yml", "cn/nm/baotou", days),
    ]
    # before the revision takes effect, nothing in force differs
    po, pn = load_rule_files([old]), load_rule_files([new])
    assert [c for c in diff_policies(po, pn, _dt.date(2023, 12, 31), "en") if c.scope == "in-force"] == []


ORDOS = """\
kind: policy-document
version: 1
document:
  id: cn.nm.ordos.plan
  title: {zh: 鄂尔多斯市科技特派员工作方案, en: Ordos work plan}
  issuer: {zh: 鄂尔多斯市科学技术局, en: Ordos Science and Technology Bureau}
  number: 鄂科发〔2024〕26号
  jurisdiction: cn/nm/ordos
  extends: cn/nm
  effective: 2024-03-01
jurisdictions:
  - {id: cn/nm/ordos, name: {zh: 鄂尔多斯市, en: Ordos}, level: city, parent: cn/nm}
rules:
  - id: cn.nm.ordos.title
    kind: eligibility
    subject: commissioner
    label: {zh: 中级及以上职称, en: Intermediate title or higher}
    citation: 第三条
    condition: title >= "intermediate"
"""


def test_new_jurisdiction_layer(versions):
    old, new = versions
    (new / "ordos").mkdir()
    (new / "ordos" / "plan.yaml").write_text(ORDOS, encoding="utf-8")
    doc, rule = "cn.nm.ordos.plan", "cn.nm.ordos.title"
    assert diff(old, new) == [
        Change("document", doc, "added", doc, "cn/nm/ordos", new="Ordos work plan"),
        Change("jurisdiction", "cn/nm/ordos", "added", "", "cn/nm/ordos", new="Ordos"),
        Change("rule", rule, "added", doc, "cn/nm/ordos", new="Intermediate title or higher",
               detail='condition: title >= "intermediate"'),  # (what it decides, beside its label)
        in_force("cn/nm/ordos", "jurisdiction", "cn/nm/ordos", None, None, "",
                 "compared with what applied at cn/nm in the old version", "added"),
        in_force("cn/nm/ordos", "document", doc, None, "Ordos work plan", doc, "", "added"),
        in_force("cn/nm/ordos", "rule", rule, None, "Intermediate title or higher", doc, "set by cn.nm.ordos.plan 第三条",
                 "added"),
    ]
    assert impacts(old, new) == []  # no case is at Ordos


def test_enum_set_widened_literal_and_operator_inside_an_expression(versions):
    old, new = versions
    edit(new / "region.yaml", '["university", "research_institute"]', '["university", "research_institute", "vocational_school"]')
    edit(new / "city.yaml", 'education >= "bachelor"', 'education >= "master"')
    edit(new / "region.yaml", "check: service_days >= min_service_days", "check: service_days > min_service_days")
    got = [c for c in diff(old, new) if c.scope == "rule"]
    assert [(c.id, c.field, c.detail) for c in got] == [
        ("cn.nm.employer", "condition", 'set widened: + "vocational_school"'),
        ("cn.nm.service-days", "condition", "operator >= → >"),
        ("cn.nm.baotou.education", "condition", '"bachelor" → "master"'),
    ]
    assert [(i.path.rsplit("/", 1)[1], [(o.output, o.old, o.new, o.new_rules) for o in i.outputs]) for i in impacts(old, new)] == [
        ("c_region_part_time.json", [("eligible", False, True, ("cn.conduct", "cn.nm.employer"))]),
        ("d_baotou_part_time.yml", [("eligible", True, False, ("cn.nm.baotou.education",))]),
    ]


def test_document_metadata_cap_and_grade_bands(versions):
    old, new = versions
    region = new / "region.yaml"
    edit(region, "effective: 2020-01-01", "effective: 2020-02-01")
    edit(region, "number: 内科发〔2020〕1号", "number: 内科发〔2020〕2号")
    edit(region, "en: Regional measures}", "en: Regional management measures}")
    edit(region, "cap: 100", "cap: 90")
    edit(region, "{min: 85, grade: excellent}", "{min: 80, grade: excellent}")
    edit(region, "{min: 60, max: 84, grade: qualified}", "{min: 60, max: 79, grade: qualified}")
    edit(region, "citation: 第六条", "citation: 第六条(一)")
    # a whole coverage table: one that left out a rule of the document would be reported by check (PE102)
    region.write_text(region.read_text(encoding="utf-8") + "coverage:\n  第六条(一): [cn.nm.employer]\n"
                      "  第七条(五): [min_service_days, cn.nm.service-days]\n  第十二条: [cn.nm.score]\n", encoding="utf-8")
    got = [c for c in diff(old, new) if c.scope != "in-force"]
    assert got == [
        Change("document", REGION, "changed", REGION, "cn/nm", "title", "Regional measures", "Regional management measures",
               "Regional measures → Regional management measures"),
        Change("document", REGION, "changed", REGION, "cn/nm", "number", "内科发〔2020〕1号", "内科发〔2020〕2号",
               "内科发〔2020〕1号 → 内科发〔2020〕2号"),
        Change("document", REGION, "changed", REGION, "cn/nm", "effective", "2020-01-01", "2020-02-01",
               "2020-01-01 → 2020-02-01"),
        Change("document", REGION, "changed", REGION, "cn/nm", "coverage", {},
               {"第六条(一)": ["cn.nm.employer"], "第七条(五)": ["min_service_days", "cn.nm.service-days"],
                "第十二条": ["cn.nm.score"]}, "differs for: 第七条(五), 第六条(一), 第十二条"),
        Change("rule", "cn.nm.employer", "changed", REGION, "cn/nm", "citation", "第六条", "第六条(一)", "第六条 → 第六条(一)"),
        Change("rule", "cn.nm.score", "changed", REGION, "cn/nm", "cap", 100, 90, "100 → 90"),
        Change("rule", "cn.nm.score", "changed", REGION, "cn/nm", "bands",
               ["85+: excellent", "60-84: qualified", "≤59: unqualified"],
               ["80+: excellent", "60-79: qualified", "≤59: unqualified"],
               "band 1: 85+ → 80+ (excellent); band 2: 60-84 → 60-79 (qualified)"),
        Change("check", "PE043", "added", REGION, "cn/nm", "warning", None, "items add up to 100, more than the cap of 90"),
    ]
    score = ("cn.nm.score",)
    assert impacts(old, new) == [case("b_baotou_45_days.yaml", "cn/nm/baotou", OutputChange("score", 100, 90, score, score))]


# --- the command: exit codes and formats ------------------------------------------------------------


def run(capsys, *argv: str, lang: str = "en") -> tuple[int, str, str]:
    code = main(["diff", "--lang", lang, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exit_codes(versions, capsys, tmp_path):
    old, new = versions
    assert run(capsys, str(old), str(new), "--as-of", "2024-06-01")[:2] == (0, f"policyengine diff {old} → {new}\n"
                                                                                f"in force on 2024-06-01\n{ENGINE_EN}\n\nNo difference.\n")
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    assert run(capsys, str(old), str(new), "--as-of", "2024-06-01")[0] == 1
    code, out, err = run(capsys, str(old), str(tmp_path / "nowhere"))
    assert (code, out) == (2, "") and "nowhere" in err and "neither a policy folder nor git:REV" in err
    code, out, err = run(capsys, str(old), str(new), "--as-of", "2024-13-01")
    assert (code, out) == (2, "") and "--as-of" in err
    code, out, err = run(capsys, str(old), str(new), "--cases", str(tmp_path / "no-cases"))
    assert (code, out) == (2, "") and "cases folder" in err
    edit(new / "city.yaml", 'condition: education >= "bachelor"', 'condition: educaton >= "bachelor"')
    code, out, err = run(capsys, str(old), str(new))
    assert (code, out) == (2, "")
    assert f"error: {new} has errors in its rule files" in err
    assert "city.yaml" in err and "PE022" in err and "educaton" in err


def test_text_markdown_and_json(versions, capsys):
    old, new = versions
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    args = (str(old), str(new), "--cases", str(DATA / "cases"), "--as-of", "2024-06-01", "--lang", "en")
    code, text, _ = run(capsys, *args)
    assert code == 1
    assert text == f"""\
policyengine diff {old} → {new}
in force on 2024-06-01
{ENGINE_EN}

Parameters
  ~ min_service_days [cn.nm.measures · cn/nm]: value: 30 → 40

In force at cn/nm
  ~ parameter min_service_days: 30 → 40 (set by cn.nm.measures 第七条(五))

In force at cn/nm/baotou
  ~ parameter min_service_days: 30 → 40 (set by cn.nm.measures 第七条(五))

Cases whose outcomes change: 4 of 4
  {DATA}/cases/a_baotou_35_days.yaml (commissioner @ cn/nm/baotou, as of 2024-06-01)
    compliant: true → false (new: cn.nm.service-days (Regional measures 第七条(五)); old: cn.nm.service-days (Regional measures 第七条(五)))
    min_service_days_per_year: 30 → 40 (new: min_service_days (Regional measures 第七条(五)); old: min_service_days (Regional measures 第七条(五)))
  {DATA}/cases/b_baotou_45_days.yaml (commissioner @ cn/nm/baotou, as of 2024-06-01)
    min_service_days_per_year: 30 → 40 (new: min_service_days (Regional measures 第七条(五)); old: min_service_days (Regional measures 第七条(五)))
  {DATA}/cases/c_region_part_time.json (commissioner @ cn/nm, as of 2024-06-01)
    min_service_days_per_year: 30 → 40 (new: min_service_days (Regional measures 第七条(五)); old: min_service_days (Regional measures 第七条(五)))
  {DATA}/cases/d_baotou_part_time.yml (commissioner @ cn/nm/baotou, as of 2024-06-01)
    min_service_days_per_year: 30 → 40 (new: min_service_days (Regional measures 第七条(五)); old: min_service_days (Regional measures 第七条(五)))

3 difference(s) in the policies, 4 case(s) change.
"""
    code, md, _ = run(capsys, *args, "--format", "md")
    assert code == 1
    assert md.startswith(f"# Policy diff: `{old}` → `{new}`\nIn force on 2024-06-01.\n{ENGINE_EN}.\n\n## Parameters\n\n"
                         "| | what | change |\n|---|---|---|\n"
                         "| ~ | min_service_days [cn.nm.measures · cn/nm] | value: 30 → 40 |\n")
    assert "## In force at cn/nm/baotou" in md
    assert "## Cases whose outcomes change: 4 of 4" in md and "| case | outcome: old → new (deciding rules) |" in md
    assert (f"| {DATA}/cases/a_baotou_35_days.yaml (commissioner @ cn/nm/baotou, as of 2024-06-01) | "
            "compliant: true → false (new: cn.nm.service-days (Regional measures 第七条(五)); old: cn.nm.service-days (Regional measures 第七条(五)))<br>"
            "min_service_days_per_year: 30 → 40 (new: min_service_days (Regional measures 第七条(五)); old: min_service_days (Regional measures 第七条(五))) |") in md
    code, out, _ = run(capsys, *args, "--format", "json")
    assert code == 1
    assert run(capsys, *args, "--format", "json")[1] == out  # deterministic
    got = json.loads(out)
    assert list(got) == sorted(got) and got["different"] is True and got["as_of"] == "2024-06-01"
    assert got["changes"][0] == {"scope": "parameter", "id": "min_service_days", "change": "changed",
                                 "document": REGION, "jurisdiction": "cn/nm", "field": "value", "old": 30, "new": 40,
                                 "detail": "30 → 40"}
    assert [c["jurisdiction"] for c in got["changes"] if c["scope"] == "in-force"] == ["cn/nm", "cn/nm/baotou"]
    assert got["cases"]["checked"] == 4
    # beside the ids of the deciding rules, where each is written, as the explanation cites it
    days = {"document": REGION, "title": "Regional measures", "number": "内科发〔2020〕1号", "article": "第七条(五)"}
    assert got["cases"]["changed"][0] == {
        "path": str(DATA / "cases" / "a_baotou_35_days.yaml"), "subject": "commissioner", "jurisdiction": "cn/nm/baotou",
        "as_of": "2024-06-01", "old_error": "", "new_error": "",
        "outputs": [{"output": "compliant", "old": True, "new": False, "old_rules": ["cn.nm.service-days"],
                     "new_rules": ["cn.nm.service-days"],
                     "old_citations": [{"id": "cn.nm.service-days", **days, "status": "holds"}],
                     "new_citations": [{"id": "cn.nm.service-days", **days, "status": "fails"}]},
                    {"output": "min_service_days_per_year", "old": 30, "new": 40, "old_rules": ["min_service_days"],
                     "new_rules": ["min_service_days"],
                     "old_citations": [{"id": "min_service_days", **days, "status": "value"}],
                     "new_citations": [{"id": "min_service_days", **days, "status": "value"}]}]}
    code, out, _ = run(capsys, str(old), str(old), "--format", "json", "--as-of", "2024-06-01")
    assert code == 0 and json.loads(out) == {"old": str(old), "new": str(old), "as_of": "2024-06-01", "engine_version": __version__, "different": False,
                                             "changes": [], "cases": None}


def test_a_case_that_no_longer_evaluates(versions):
    old, new = versions
    edit(new / "national.yaml", "    rd_enterprises: {type: int, min: 0, label: {zh: 指导研发的企业数, en: Enterprises whose R&D it guided}}\n", "")
    edit(new / "region.yaml", "value: rd_enterprises", "value: \"0\"")
    got = impacts(old, new)
    assert [(Path(i.path).name, i.old_error, i.new_error.startswith("facts.rd_enterprises: unknown fact")) for i in got] == [
        ("a_baotou_35_days.yaml", "", True), ("b_baotou_45_days.yaml", "", True),
        ("c_region_part_time.json", "", True), ("d_baotou_part_time.yml", "", True)]


# --- git revisions ----------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Auditor", "-c", "user.email=auditor@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True)


def test_git_revisions(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "policies", repo / "policies")
    shutil.copytree(DATA / "policies", repo / "archive" / "v1")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v1")
    edit(repo / "policies" / "region.yaml", "value: 30\n", "value: 40\n")
    git(repo, "commit", "-q", "-am", "v2: 40 days")
    (repo / "policies" / "sub").mkdir()
    monkeypatch.chdir(repo / "policies" / "sub")  # anywhere inside the repository
    code, out, _ = run(capsys, "git:HEAD~1", "git:HEAD", "--as-of", "2024-06-01")
    assert code == 1 and "~ min_service_days [cn.nm.measures · cn/nm]: value: 30 → 40" in out
    assert run(capsys, "git:HEAD", str(repo / "policies"), "--as-of", "2024-06-01")[0] == 0
    # one file at a revision, read with the rest of the set around it (alone, the region's parent is unknown)
    code, out, err = run(capsys, "git:HEAD~1:policies/region.yaml", "git:HEAD:policies/region.yaml")
    assert code == 2 and "cn/nm" in err
    code, out, err = run(capsys, "git:HEAD~1:policies/region.yaml", str(repo / "policies" / "region.yaml"),
                         "--policies", str(repo / "policies"), "--as-of", "2024-06-01")
    assert (code, err) == (1, "") and "~ min_service_days [cn.nm.measures · cn/nm]: value: 30 → 40" in out
    assert run(capsys, "git:HEAD:archive/v1", "git:HEAD~1", "--as-of", "2024-06-01")[0] == 0
    code, out, err = run(capsys, "git:no-such-rev", "git:HEAD")
    assert (code, out) == (2, "") and "unknown git revision 'no-such-rev'" in err
    code, out, err = run(capsys, "git:no-such-rev", "git:HEAD", lang="zh")
    assert (code, out) == (2, "") and "没有 git 版本 'no-such-rev'" in err and "例如 git:HEAD~1" in err
    code, out, err = run(capsys, "git:HEAD:no/such/path", "git:HEAD")
    assert (code, out) == (2, "") and "no/such/path" in err
    # errors in a revision are shown at their git path, not at a temporary folder
    edit(repo / "policies" / "city.yaml", 'condition: education >= "bachelor"', 'condition: educaton >= "bachelor"')
    git(repo, "commit", "-q", "-am", "v3: a typo")
    code, out, err = run(capsys, "git:HEAD~1", "git:HEAD")
    assert code == 2 and "git:HEAD:policies/city.yaml:" in err and "/tmp" not in err.split("rule files:")[1]


# --- layout changes give no difference ------------------------------------------------------------


def _quote(s: str, double: bool) -> str:
    if double or any(c in s for c in "\n\r\t\\") or not s.isprintable():
        return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    return "'" + s.replace("'", "''") + "'"


def _scalar(v, depth: int) -> str:
    if v is None:
        return "null" if depth % 2 else "~"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    assert isinstance(v, str), v
    return _quote(v, depth % 2 == 0)  # every string quoted: "30", "2024-01-01", "yes" stay strings


def emit(v, style: str, depth: int = 0, indent: int = 0) -> str:
    """YAML for a loaded value, keys sorted, no comments: ``block``, ``flow`` (one line), or ``mixed``
    (block at the top, flow from depth 2)."""
    flow = style == "flow" or (style == "mixed" and depth >= 2)
    if isinstance(v, dict) and v and not flow:
        return "\n".join(_entry(" " * indent + _scalar(k, depth) + ":", v[k], style, depth, indent) for k in sorted(v))
    if isinstance(v, list) and v and not flow:
        return "\n".join(_entry(" " * indent + "-", x, style, depth, indent) for x in v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_scalar(k, depth)}: {emit(v[k], style, depth + 1)}" for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(emit(x, style, depth + 1) for x in v) + "]"
    return _scalar(v, depth)


def _entry(head: str, x, style: str, depth: int, indent: int) -> str:
    nested = isinstance(x, (dict, list)) and x and not (style == "flow" or style == "mixed" and depth + 1 >= 2)
    return head + ("\n" + emit(x, style, depth + 1, indent + 2) if nested else " " + emit(x, style, depth + 1))


STYLES = ("block", "flow", "mixed")


def reformat(pack: Path, into: Path, styles: tuple[str, ...]) -> None:
    """Every YAML file of ``pack`` loaded and written again, keys sorted, comments dropped, in the
    styles given in turn; the loader must read back exactly the values it read from the original."""
    files = sorted(pack.rglob("*.y*ml"))
    assert files
    for i, f in enumerate(files):
        data = load_file(f).data
        out = into / f.relative_to(pack)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(emit(data, styles[i % len(styles)]) + "\n", encoding="utf-8")
        assert load_file(out).data == data  # the emitter keeps every value and its type
        assert out.read_text(encoding="utf-8") != f.read_text(encoding="utf-8")


def test_reformatting_every_shipped_file_gives_no_difference(tmp_path, capsys):
    """All of policies/ (rule files and their tests), the three styles taking turns from file to file."""
    original, reformatted = tmp_path / "original", tmp_path / "reformatted"
    shutil.copytree(SHIPPED, original)
    reformat(original, reformatted, STYLES)
    code, out, err = run(capsys, str(original), str(reformatted))
    assert (code, out.splitlines()[-1], err) == (0, "No difference.", "")


@pytest.mark.parametrize("style", STYLES)
def test_reformatting_the_base_pack_in_each_style_gives_no_difference(style, tmp_path, capsys):
    reformat(DATA / "policies", tmp_path / "reformatted", (style,))
    assert diff(DATA / "policies", tmp_path / "reformatted") == []
    code, out, err = run(capsys, str(DATA / "policies"), str(tmp_path / "reformatted"))
    assert (code, out.splitlines()[-1], err) == (0, "No difference.", "")


# --- one folder or file, in the context of its policy set; pack test files as cases -------------------


@pytest.fixture
def packs(tmp_path):
    """A copy of the shipped packs (the set), and an old copy of IMUST's folder before a change that
    raises its service days from 30 to 40."""
    pol, old = tmp_path / "policies", tmp_path / "old_imust"
    shutil.copytree(SHIPPED, pol)
    shutil.copytree(pol / "imust", old)
    edit(pol / "imust" / "measures_2023_45.yaml", "  min_service_days:\n    value: 30\n",
         "  min_service_days:\n    value: 40\n")
    return pol, old


def test_one_folder_is_compared_in_the_context_of_its_set(packs, capsys):
    pol, old = packs
    code, out, err = run(capsys, str(old), str(old))  # outside the set and on its own: its parents are unknown
    assert code == 2 and "unknown" in err and "cn/nm/baotou" in err
    code, out, err = run(capsys, str(old), str(pol / "imust"), "--policies", str(pol), "--as-of", "2024-06-01")
    assert (code, err) == (1, ""), err
    assert "Parameters\n  ~ min_service_days [imust.measures-2023-45 · cn/nm/baotou/imust]: value: 30 → 40\n" in out
    assert "In force at cn/nm/baotou/imust\n  ~ parameter min_service_days: 30 → 40" in out
    assert "In force at cn/nm/baotou\n" not in out  # the rest of the set is the same on both sides
    # one file the same way, and a git-less copy of the whole set compared as a whole
    (old_file := old.parent / "old_measures.yaml").write_text(
        (old / "measures_2023_45.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out2, err = run(capsys, str(old_file), str(pol / "imust" / "measures_2023_45.yaml"), "--policies", str(pol),
                          "--as-of", "2024-06-01")
    assert (code, err) == (1, "") and out2.split("\n", 1)[1] == out.split("\n", 1)[1]


def test_a_new_district_folder_finds_its_parent(packs, capsys):
    pol, _ = packs
    district = pol / "ordos" / "kangbashi"
    shutil.copytree(DATA.parent / "kangbashi", district)
    empty = pol.parent / "empty"
    empty.mkdir()
    code, out, err = run(capsys, str(empty), str(district), "--policies", str(pol), "--as-of", "2024-06-01")
    assert "unknown parent" not in err and code == 1, err
    assert "+ cn/nm/ordos/kangbashi" in out and "+ kangbashi.plan-2024" in out


def test_diff_cases_reads_the_cases_of_pack_test_files(packs, capsys):
    pol, old = packs
    tests = pol / "imust" / "tests"
    code, out, err = run(capsys, str(old), str(pol / "imust"), "--policies", str(pol), "--cases", str(tests),
                         "--as-of", "2024-06-01", "--format", "json")
    assert code == 1 and err == ""
    got = json.loads(out)["cases"]
    n = sum(len(load_file(f).data["cases"]) for f in tests.glob("*.yaml"))
    assert got["checked"] == n > 20
    first = got["changed"][0]
    path, line = first["path"].rsplit(":", 1)
    assert Path(path).parent == tests and line.isdigit() and first["name"]
    case = load_file(path).data["cases"]
    assert [c.get("name") for c in case if load_file(path).span(("cases", case.index(c))).line == int(line)] == [first["name"]]
    imust = {"id": "min_service_days", "document": "imust.measures-2023-45", "number": "内科大校发〔2023〕45号",
             "title": "IMUST Measures for Enterprise S&T Commissioners (Trial)", "article": "第三条(五)", "status": "value"}
    assert {"output": "min_service_days_per_year", "old": 30, "new": 40, "old_rules": ["min_service_days"],
            "new_rules": ["min_service_days"], "old_citations": [imust], "new_citations": [imust]} in first["outputs"]
    code, text, _ = run(capsys, str(old), str(pol / "imust"), "--policies", str(pol), "--cases", str(tests),
                        "--as-of", "2024-06-01")
    assert f"  {first['path']} {first['name']} (commissioner @ cn/nm/baotou/imust, as of " in text


def test_a_cases_folder_without_cases_is_named(tmp_path, capsys):
    (tmp_path / "notes.yaml").write_text("just: notes\n", encoding="utf-8")
    code, out, err = run(capsys, str(DATA / "policies"), str(DATA / "policies"), "--cases", str(tmp_path))
    assert code == 0 and "Cases whose outcomes change: 0 of 0" in out
    assert err == f"note: {tmp_path} holds no cases: a case file holds subject, jurisdiction, as_of and facts; " \
                  "a test file holds 'kind: policy-test' and 'cases:'\n"
    code, out, err = run(capsys, str(DATA / "policies"), str(DATA / "policies"), "--cases", str(tmp_path), lang="zh")
    assert f"注意：{tmp_path} 中没有个案" in err and "结论有变化的个案：0 个（共检查 0 个）" in out


def test_the_diff_speaks_chinese_by_default(versions, capsys):
    old, new = versions
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    code, text, _ = run(capsys, str(old), str(new), "--cases", str(DATA / "cases"), "--as-of", "2024-06-01", lang="zh")
    assert code == 1
    assert text.startswith(f"policyengine diff {old} → {new}\n现行规定的日期：2024-06-01\n{ENGINE_ZH}\n\n参数\n"
                           "  ~ min_service_days [cn.nm.measures · cn/nm]: 取值：30 → 40\n\n"
                           "cn/nm 的现行规定\n  ~ 参数 min_service_days: 30 → 40（由 cn.nm.measures 第七条(五) 规定）\n")
    assert "结论有变化的个案：4 个（共检查 4 个）" in text
    # the outcomes in the officer's words (是/否), as the explanation says them, not JSON's true/false; each deciding
    # rule with its document and article, as the explanation cites them
    assert ("    compliant：是 → 否（新：cn.nm.service-days（自治区科技特派员管理办法 第七条(五)）；"
            "旧：cn.nm.service-days（自治区科技特派员管理办法 第七条(五)））\n") in text
    assert text.endswith("\n规定有 3 处不同，4 个个案的结论有变化。\n")
    code, md, _ = run(capsys, str(old), str(new), "--as-of", "2024-06-01", "--format", "md", lang="zh")
    assert md.startswith(f"# 政策差异：`{old}` → `{new}`\n比较 2024-06-01 当日现行的规定。\n{ENGINE_ZH}。\n\n## 参数\n\n| | 内容 | 变化 |\n")
    assert run(capsys, str(old), str(old), lang="zh")[1].endswith("\n没有不同。\n")
    got = diff_policies(load_rule_files([old]), load_rule_files([new]), AS_OF, lang="zh")
    assert [c.detail for c in got if c.scope == "in-force"] == ["由 cn.nm.measures 第七条(五) 规定"] * 2


def test_the_parts_of_a_rule_in_force_that_changed_are_named_in_chinese(versions, capsys):
    """A rule or document in force that changed inside says which parts: in Chinese output in the words of
    the rule files' guide (``note, when 有改动`` told a Chinese reader nothing), joined with 、; English output,
    and JSON's ``field``, name them as the rule files write them."""
    old, new = versions
    edit(new / "city.yaml", '    condition: education >= "bachelor"',
         '    when: full_time_education\n    condition: education >= "bachelor"\n    note: {zh: 试行, en: On trial}')
    edit(new / "region.yaml", "{min: 5, max: 9, points: 30}", "{min: 5, max: 7, points: 30}")
    edit(new / "region.yaml", "number: 内科发〔2020〕1号", "number: 内科发〔2020〕2号")
    args = (str(old), str(new), "--as-of", "2024-06-01")
    code, text, _ = run(capsys, *args, lang="zh")
    assert code == 1
    assert ("cn/nm/baotou 的现行规定\n"
            "  ~ 文件 cn.nm.measures: 文号有改动\n"
            "  ~ 规则 cn.nm.baotou.education: 说明、适用条件有改动；由 cn.nm.baotou.plan 第二条 规定\n"
            "  ~ 规则 cn.nm.score: 评分项 rd 的档次有改动；由 cn.nm.measures 第十二条 规定\n") in text
    md = run(capsys, *args, "--format", "md", lang="zh")[1]
    assert "| ~ | 规则 cn.nm.baotou.education | 说明、适用条件有改动；由 cn.nm.baotou.plan 第二条 规定 |\n" in md
    got = json.loads(run(capsys, *args, "--format", "json", lang="zh")[1])["changes"]
    assert {(c["field"], c["detail"]) for c in got if c["scope"] == "in-force" and c["jurisdiction"] == "cn/nm/baotou"} == {
        ("document", "文号有改动"), ("rule", "说明、适用条件有改动；由 cn.nm.baotou.plan 第二条 规定"),
        ("rule", "评分项 rd 的档次有改动；由 cn.nm.measures 第十二条 规定")}
    assert {c["field"] for c in got if c["scope"] == "rule"} == {"when", "note", "items.rd.tiers"}  # data: as written
    text = run(capsys, *args, lang="en")[1]
    assert ("In force at cn/nm/baotou\n"
            "  ~ document cn.nm.measures: number changed\n"
            "  ~ rule cn.nm.baotou.education: note, when changed; set by cn.nm.baotou.plan 第二条\n"
            "  ~ rule cn.nm.score: items.rd.tiers changed; set by cn.nm.measures 第十二条\n") in text


def test_every_part_the_diff_can_name_has_chinese_words():
    """Each field compared (a rule's, a document's, a scoring table's and its items') has its Chinese words,
    so that none is named in English in Chinese output — a field added to the comparison must be named too."""
    from policyengine.diff import _FIELDS, _part

    parts = [f for kind in ("rule", "document", "Table") for f in _FIELDS[kind]]
    parts += [f"items.rd.{f}" for f in _FIELDS["Item"]] + [f"bonus.hi.{f}" for f in _FIELDS["Bonus"]] + ["items.rd", "bonus.hi"]
    untranslated = [p for p in parts if _part(p, "zh").replace("rd", "").replace("hi", "").isascii()]
    assert untranslated == []
    assert [_part(p, "zh") for p in ("when", "note", "deadline", "reading", "items.rd.tiers", "items.a.b.max", "bonus.hi")] == [
        "适用条件", "说明", "期限", "解读", "评分项 rd 的档次", "评分项 a.b 的满分", "加分项 hi"]
    assert all(_part(p, "en") == p for p in parts)


NEW_RULE = """\
  - id: cn.nm.baotou.senior
    kind: eligibility
    subject: commissioner
    label: {zh: 高级职称, en: A senior title}
    citation: 第三条
    when: service_days >= 30
    condition: title == "senior"
"""


def test_the_rows_name_the_changed_parts_in_chinese(versions, capsys):
    """A Chinese reader is told which part of a rule changed in Chinese on the element's own row too, not only in
    the summary under "现行规定": ``取值：30 → 40`` rather than ``value: 30 → 40`` (officers do not read the keys of
    the YAML as words), in the words of the one table (:data:`policyengine.records.KEYS_ZH`), with the Chinese colon
    and semicolon.  English rows, and JSON in either language, say it as before: the keys as the rule files write them."""
    old, new = versions
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    edit(new / "region.yaml", "{min: 5, max: 9, points: 30}", "{min: 5, max: 9, points: 35}")
    edit(new / "region.yaml", "max: 60\n", "max: 65\n")
    edit(new / "city.yaml", '    condition: education >= "bachelor"',
         '    when: full_time_education\n    condition: education >= "bachelor"\n    note: {zh: 试行, en: On trial}')
    (new / "city.yaml").write_text((new / "city.yaml").read_text(encoding="utf-8") + NEW_RULE, encoding="utf-8")
    args = (str(old), str(new), "--as-of", "2024-06-01")
    score, education = "~ cn.nm.score [cn.nm.measures · cn/nm]", "~ cn.nm.baotou.education [cn.nm.baotou.plan · cn/nm/baotou]"
    rows = [  # (the element, its row in Chinese, in English)
        ("~ min_service_days [cn.nm.measures · cn/nm]", "取值：30 → 40", "value: 30 → 40"),
        (score, "评分项 rd 的满分：60 → 65", "items.rd.max: 60 → 65"),
        (score, "评分项 rd 的档次：[0-4: 0, 5-9: 30, 10+: 60] → [0-4: 0, 5-9: 35, 10+: 60]（第 2 档 (5-9): 30 → 35 分）",
         "items.rd.tiers: [0-4: 0, 5-9: 30, 10+: 60] → [0-4: 0, 5-9: 35, 10+: 60] (tier 2 (5-9): 30 → 35 points)"),
        (education, "适用条件：— → full_time_education", "when: — → full_time_education"),
        (education, "说明：— → 试行", "note: — → On trial"),
        ("+ cn.nm.baotou.senior [cn.nm.baotou.plan · cn/nm/baotou]",
         '新增：高级职称（适用条件：service_days >= 30；条件：title == "senior"）',
         'added: A senior title (when: service_days >= 30; condition: title == "senior")'),
    ]
    zh, en = run(capsys, *args, lang="zh")[1], run(capsys, *args, lang="en")[1]
    for what, in_zh, in_en in rows:
        assert f"  {what}: {in_zh}\n" in zh
        assert f"  {what}: {in_en}\n" in en
    md = run(capsys, *args, "--format", "md", lang="zh")[1]
    assert "| ~ | min_service_days [cn.nm.measures · cn/nm] | 取值：30 → 40 |\n" in md
    assert "| ~ | cn.nm.baotou.education [cn.nm.baotou.plan · cn/nm/baotou] | 说明：— → 试行 |\n" in md
    assert ('| + | cn.nm.baotou.senior [cn.nm.baotou.plan · cn/nm/baotou] | '
            '新增：高级职称（适用条件：service_days >= 30；条件：title == "senior"） |\n') in md
    assert "评分项 rd 的档次：" in md and "| value: " not in md and "when:" not in md
    # JSON is the machine contract: the same fields and details in both languages, the keys as written
    for lang in ("zh", "en"):
        got = json.loads(run(capsys, *args, "--format", "json", lang=lang)[1])["changes"]
        assert [(c["id"], c["field"]) for c in got if c["scope"] in ("parameter", "rule") and c["change"] == "changed"] == [
            ("min_service_days", "value"), ("cn.nm.score", "items.rd.max"), ("cn.nm.score", "items.rd.tiers"),
            ("cn.nm.baotou.education", "when"), ("cn.nm.baotou.education", "note")]
        (added,) = [c for c in got if c["id"] == "cn.nm.baotou.senior" and c["scope"] == "rule"]
        assert added["detail"] == 'when: service_days >= 30; condition: title == "senior"' and "exprs" not in added


def test_every_key_of_the_rule_files_has_chinese_words():
    """Every key a rule file may write (model.py, walked from RuleFile) and every part the diff compares under a
    name of its own has its Chinese words in the one table; a key that means another thing in one part (a fact's
    ``max``, an item's ``max``) is told apart."""
    import typing

    from pydantic import BaseModel

    from policyengine import model as M
    from policyengine.diff import _FIELDS, _part
    from policyengine.records import KEYS_ZH

    keys, seen = set(), set()

    def walk(t):
        for a in typing.get_args(t) or ():
            walk(a)
        if isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
            seen.add(t)
            for name, f in t.model_fields.items():
                keys.add(name)
                walk(f.annotation)

    walk(M.RuleFile)
    assert {"when", "check", "tiers", "grades", "favourable", "delegates", "reason"} <= keys
    keys |= {f for fields in _FIELDS.values() for f in fields}
    assert sorted(k for k in keys if k not in KEYS_ZH or KEYS_ZH[k].isascii()) == []
    for scope in ("document", "jurisdiction", "enum", "fact", "output", "parameter", "definition", "rule"):
        assert [f for f in _FIELDS[scope] if _part(f, "zh", scope).isascii()] == [], scope
    assert (_part("max", "zh", "fact"), _part("items.rd.max", "zh", "rule"), _part("document", "zh", "fact")) == (
        "最大值", "评分项 rd 的满分", "所属文件")


def test_diff_cases_name_each_deciding_rules_document_and_article(versions, capsys):
    """An auditor reads which document and article decided, not only a rule's id: each deciding rule is followed
    by its document's title and its article, as the explanation cites them, in text and Markdown in both
    languages; JSON adds them beside the ids, which stay as they were."""
    old, new = versions
    edit(new / "city.yaml", 'condition: education >= "bachelor"', 'condition: education >= "bachelor" and full_time_education')
    args = (str(old), str(new), "--cases", str(DATA / "cases" / "d_baotou_part_time.yml"), "--as-of", "2024-06-01")
    zh = run(capsys, *args, lang="zh")[1]
    assert ("    eligible：是 → 否（新：cn.nm.baotou.education（包头市科技特派员实施方案 第二条）；"
            "旧：cn.conduct（国家科技特派员基础意见 （六））、cn.nm.employer（自治区科技特派员管理办法 第六条）、"
            "cn.nm.baotou.education（包头市科技特派员实施方案 第二条））\n") in zh
    en = run(capsys, *args)[1]
    assert ("    eligible: true → false (new: cn.nm.baotou.education (Baotou implementation plan 第二条); "
            "old: cn.conduct (National base opinions （六）), cn.nm.employer (Regional measures 第六条), "
            "cn.nm.baotou.education (Baotou implementation plan 第二条))\n") in en
    md = run(capsys, *args, "--format", "md", lang="zh")[1]
    assert ("| eligible：是 → 否（新：cn.nm.baotou.education（包头市科技特派员实施方案 第二条）；"
            "旧：cn.conduct（国家科技特派员基础意见 （六））、") in md
    (out,) = json.loads(run(capsys, *args, "--format", "json")[1])["cases"]["changed"][0]["outputs"]
    education = {"id": "cn.nm.baotou.education", "document": CITY, "title": "Baotou implementation plan",
                 "number": "包科发〔2023〕2号", "article": "第二条"}
    assert out == {
        "output": "eligible", "old": True, "new": False,
        "old_rules": ["cn.conduct", "cn.nm.employer", "cn.nm.baotou.education"], "new_rules": ["cn.nm.baotou.education"],
        "old_citations": [
            {"id": "cn.conduct", "document": "cn.base", "title": "National base opinions", "number": "国办发〔2016〕1号",
             "article": "（六）", "status": "holds"},
            {"id": "cn.nm.employer", "document": REGION, "title": "Regional measures", "number": "内科发〔2020〕1号",
             "article": "第六条", "status": "holds"},
            {**education, "status": "holds"}],
        "new_citations": [{**education, "status": "fails"}]}


def test_an_outcome_that_no_rule_in_force_gives_any_more_says_so(versions, capsys):
    """The scoring rule is no longer in force on the case's day: the case has no score in the new version, and
    the line said ``new: —``; it says that no rule in force decides it (JSON: no rule, no citation)."""
    old, new = versions
    edit(new / "region.yaml", "    citation: 第十二条\n", "    citation: 第十二条\n    effective_until: 2023-12-31\n")
    args = (str(old), str(new), "--cases", str(DATA / "cases" / "a_baotou_35_days.yaml"), "--as-of", "2024-06-01")
    zh = run(capsys, *args, lang="zh")[1]
    assert "    score：70 → 无（新：没有生效的规则决定这一结论；旧：cn.nm.score（自治区科技特派员管理办法 第十二条））\n" in zh
    assert "    score: 70 → — (new: no rule in force decides it; old: cn.nm.score (Regional measures 第十二条))\n" in \
        run(capsys, *args)[1]
    outputs = json.loads(run(capsys, *args, "--format", "json")[1])["cases"]["changed"][0]["outputs"]
    assert [(o["output"], o["new"], o["new_rules"], o["new_citations"]) for o in outputs] == [
        ("grade", None, [], []), ("score", None, [], [])]
    # the other way round (a rule new in force): the old side says it
    assert "    score：无 → 70（新：cn.nm.score（自治区科技特派员管理办法 第十二条）；旧：没有生效的规则决定这一结论）\n" in \
        run(capsys, str(new), str(old), *args[2:], lang="zh")[1]


ALLOWANCE_OUTPUT = """\
  allowance: {type: int, combine: max, subjects: [commissioner], label: {zh: 生活补贴, en: Allowance}}
"""
ALLOWANCE = """\
  - id: cn.nm.baotou.allowance
    kind: entitlement
    subject: commissioner
    output: allowance
    label: {zh: 服务满30天的生活补贴, en: Allowance for 30 days served}
    citation: 第三条
    when: service_days >= 30
    value: 1000
"""


def test_rules_whose_when_no_longer_holds_are_named_as_not_applying(versions, capsys):
    """Where the new explanation's rules do not apply to the case (their ``when`` no longer holds), the line
    names them as not applying — where the explanation lists none as deciding (``new: —`` before) and where
    it lists as deciding one that does not apply (an outcome that no rule gives a value)."""
    old, new = versions
    for v in versions:
        edit(v / "national.yaml", "\nrules:\n", "\n" + ALLOWANCE_OUTPUT + "\nrules:\n")
        (v / "city.yaml").write_text((v / "city.yaml").read_text(encoding="utf-8") + ALLOWANCE, encoding="utf-8")
    edit(new / "national.yaml", "    condition: good_conduct", '    when: title == "senior"\n    condition: good_conduct')
    edit(new / "region.yaml", "    condition: employer_type in", '    when: title == "senior"\n    condition: employer_type in')
    edit(new / "city.yaml", "    when: service_days >= 30", "    when: service_days >= 50")
    args = (str(old), str(new), "--cases", str(DATA / "cases"), "--as-of", "2024-06-01")
    zh = run(capsys, *args, lang="zh")[1]
    conduct, employer = "cn.conduct（国家科技特派员基础意见 （六））", "cn.nm.employer（自治区科技特派员管理办法 第六条）"
    assert f"    eligible：否 → 是（新：{conduct}不适用、{employer}不适用；旧：{employer}）\n" in zh
    allowance = "cn.nm.baotou.allowance（包头市科技特派员实施方案 第三条）"
    assert f"    allowance：1000 → 无（新：{allowance}不适用；旧：{allowance}）\n" in zh
    en = run(capsys, *args)[1]
    conduct, employer = "cn.conduct (National base opinions （六）)", "cn.nm.employer (Regional measures 第六条)"
    assert f"    eligible: false → true (new: {conduct} does not apply, {employer} does not apply; old: {employer})\n" in en
    allowance = "cn.nm.baotou.allowance (Baotou implementation plan 第三条)"
    assert f"    allowance: 1000 → — (new: {allowance} does not apply; old: {allowance})\n" in en
    md = run(capsys, *args, "--format", "md", lang="zh")[1]
    assert " | allowance：1000 → 无（新：cn.nm.baotou.allowance（包头市科技特派员实施方案 第三条）不适用；" in md
    changed = json.loads(run(capsys, *args, "--format", "json")[1])["cases"]["changed"]
    got = {(Path(i["path"]).name, o["output"]): (o["new_rules"], [(c["id"], c["status"]) for c in o["new_citations"]])
           for i in changed for o in i["outputs"]}
    assert got[("c_region_part_time.json", "eligible")] == (
        [], [("cn.conduct", "not_applicable"), ("cn.nm.employer", "not_applicable")])
    assert got[("a_baotou_35_days.yaml", "allowance")] == (
        ["cn.nm.baotou.allowance"], [("cn.nm.baotou.allowance", "not_applicable")])


def test_diff_cases_shows_enum_outcomes_with_their_labels(packs, capsys):
    """``diff --cases`` shows an enum outcome as the explanation does: ``qualified（合格）`` in Chinese,
    the value as written in English."""
    pol, _ = packs
    old = pol.parent / "old_baotou"
    shutil.copytree(pol / "baotou", old)
    plan = pol / "baotou" / "commissioner_plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("{min: 85, grade: excellent", "{min: 80, grade: excellent"),
                    encoding="utf-8")
    (case := pol.parent / "score_84.yaml").write_text(  # 75 + 9 approved: qualified, excellent from 80
        "subject: workstation\njurisdiction: cn/nm/baotou\nas_of: 2024-03-01\nfacts:\n  year: 2023\n"
        "  commissioners_filed: 30\n  rd_enterprises: 11\n  achievements_adopted: 21\n  achievements_transferred: 21\n"
        "  planning_enterprises: 60\n  policy_service_enterprises: 60\n  rd_institutions: 1\n  talents: 0\n"
        "  high_tech_approved: 9\n  materials_on_time: false\n", encoding="utf-8")
    code, zh, err = run(capsys, str(old), str(pol / "baotou"), "--policies", str(pol), "--as-of", "2024-06-01",
                        "--cases", str(case), lang="zh")
    assert (code, err) == (1, "")
    score = "bt.workstation.score（包头市企业科技特派员实施方案 附件2；附件1 第四条）"
    assert f"    grade：qualified（合格） → excellent（优秀）（新：{score}；旧：{score}）\n" in zh
    grade = CaseImpact("c.yaml", "workstation", "cn/nm/baotou", "2024-06-01",
                       (OutputChange("grade", "qualified", "excellent", ("bt.workstation.score",), ("bt.workstation.score",)),))
    assert _case_lines(grade, "en") == ["grade: qualified → excellent (new: bt.workstation.score; old: bt.workstation.score)"]


def test_a_folder_added_or_deleted_since_a_revision(tmp_path, monkeypatch, capsys):
    """``git:REV:policies/x`` where ``x`` did not exist at REV is an empty version: everything in the
    new folder is added (and a deleted folder is everything removed), with a note that says so; a path
    that exists in neither version, or a misspelt one, is still refused."""
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "policies", repo / "policies")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v1")
    (ordos := repo / "policies" / "ordos").mkdir()
    (ordos / "plan.yaml").write_text(ORDOS, encoding="utf-8")
    monkeypatch.chdir(repo)
    pol = ("--policies", str(repo / "policies"), "--as-of", "2024-06-01", "--format", "json")
    added = {("document", "cn.nm.ordos.plan"), ("jurisdiction", "cn/nm/ordos"), ("rule", "cn.nm.ordos.title")}
    code, out, err = run(capsys, "git:HEAD:policies/ordos", "policies/ordos", *pol)
    assert code == 1 and err == "note: git:HEAD:policies/ordos does not exist: compared as empty, everything in the " \
                                "other version is listed as added\n"
    changes = json.loads(out)["changes"]
    assert {(c["scope"], c["id"]) for c in changes if c["scope"] != "in-force"} == added
    assert {c["change"] for c in changes} == {"added"}
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v2: Ordos")
    shutil.rmtree(ordos)  # deleted in the working tree: everything removed
    code, out, err = run(capsys, "git:HEAD:policies/ordos", "policies/ordos", *pol, lang="zh")
    assert code == 1 and err == "注意：policies/ordos 不存在，当作空的：另一个版本中的一切都列为删除\n"
    changes = json.loads(out)["changes"]
    assert {(c["scope"], c["id"]) for c in changes if c["scope"] != "in-force"} == added
    assert {c["change"] for c in changes} == {"removed"}
    # the two revisions, the same way
    code, out, err = run(capsys, "git:HEAD~1:policies/ordos", "git:HEAD:policies/ordos", *pol)
    assert code == 1 and {c["change"] for c in json.loads(out)["changes"]} == {"added"}
    # a misspelt path, or one in neither version: refused, never "everything removed"
    for old, new in (("git:HEAD:policies/ordos", "policies/ordso"), ("git:HEAD~1:policies/ordos", "policies/ordos")):
        code, out, err = run(capsys, old, new, *pol)
        assert (code, out) == (2, "") and "PE070" in err, err
    code, out, err = run(capsys, "git:HEAD~1:policies/ordos", "policies/ordos", *pol, lang="zh")
    assert "'git:HEAD~1:policies/ordos'：git 版本 'HEAD~1' 中没有 'policies/ordos'" in err
    assert "另一边写同一个路径" in err


def test_a_documents_own_change_is_named_where_it_is_in_force(versions):
    """A document whose number changed: the lines 'in force at …' said nothing after the colon."""
    old, new = versions
    edit(new / "region.yaml", "number: 内科发〔2020〕1号", "number: 内科发〔2020〕2号")
    shown = [c for c in diff(old, new) if c.scope == "in-force" and c.field == "document"]
    assert shown and all(c.detail == "number changed" for c in shown), shown


def test_a_rule_replaced_under_a_new_id_shows_what_each_decides(versions):
    """The same label under a new id, with a stricter condition: the diff showed two identical labels and no
    condition, though cases flipped."""
    old, new = versions
    edit(new / "region.yaml", "id: cn.nm.employer\n", "id: cn.nm.employer-2025\n")
    got = {c.change: c for c in diff(old, new) if c.scope == "rule" and c.id.startswith("cn.nm.employer")}
    assert set(got) == {"added", "removed"} and got["added"].new == got["removed"].old
    assert got["added"].detail.startswith("condition: ") and got["added"].detail == got["removed"].detail


def test_a_population_file_given_as_cases_is_named_as_such(versions, capsys, tmp_path):
    old, new = versions
    for name in ("pop.csv", "pop.jsonl", "pop.parquet"):
        (tmp_path / name).write_bytes(b"id\n1\n")
        code, out, err = run(capsys, str(old), str(new), "--cases", str(tmp_path / name))
        assert code == 2 and "is a batch file" in err and "policyengine batch" in err, err


def test_a_targets_deadline_and_a_rules_reading_are_compared(tmp_path):
    """Moving a target's deadline (a decision changes) and rewording a rule's reading were shown as a rule that
    changed without saying what: neither field was compared."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(SHIPPED, old)
    shutil.copytree(SHIPPED, new)
    edit(new / "baotou" / "innovation_opinion_2023_1.yaml",
         "    condition: emerging_output_share_percent >= 40\n    deadline: 2025-12-31\n",
         "    condition: emerging_output_share_percent >= 40\n    deadline: 2026-12-31\n")
    edit(new / "inner_mongolia" / "commissioner_measures.yaml",
         "本条在认定之日尚未施行的（当日没有不再受理的规定），不追回：较晚的规定不溯及既往。\n      en: >-\n"
         "        Reading 2 settled by the product owner: a finding dated after as_of has not happened as of as_of and has\n"
         "        no consequence yet; the terms are those of the rules in force on the day of the finding; where the\n"
         "        article was not yet in force on the day of the finding (no ban in force that day), nothing is recovered:\n"
         "        a later rule is not retroactive\n  - id: nm.enterprise.ban",
         "本条在认定之日尚未施行的，不追回。\n      en: >-\n"
         "        Reading 2 settled by the product owner: a finding dated after as_of has not happened as of as_of and has\n"
         "        no consequence yet; nothing is recovered for a finding from before the article\n  - id: nm.enterprise.ban")
    changed = {(c.id, c.field) for c in diff_policies(load_rule_files([old]), load_rule_files([new]), AS_OF, lang="en")
               if c.scope != "in-force"}
    assert changed == {("bt.innovation.emerging-2025", "deadline"), ("nm.commissioner.funds-recovered", "reading")}


def test_the_report_says_both_versions_are_decided_by_this_engine(versions, capsys):
    """An engine's change (not a rule file's) changes decisions too: the report says it compares rule files only."""
    from policyengine import __version__

    old, new = versions
    edit(new / "region.yaml", "value: 30\n", "value: 40\n")
    assert main(["diff", str(old), str(new), "--lang", "en"]) == 1
    assert f"both versions decided by this engine ({__version__}): changes of the engine itself are not compared" \
        in capsys.readouterr().out
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["engine_version"] == __version__


def test_a_fact_whose_enum_gains_a_value_says_so_not_type_education_to_education(versions):
    """An enum gaining a value changes the type of every fact of that enum; the row said ``type: education →
    education``, a change that showed none.  Now it says the type is the same by name and that the enum's values
    changed, pointing at the enum's own row, in both languages."""
    old, new = versions
    edit(new / "national.yaml", "values: [none, bachelor, master, doctorate]", "values: [none, bachelor, master, doctorate, postdoc]")
    po, pn = load_rule_files([old]), load_rule_files([new])
    for lang, said in (("en", "type still education; an enum in it has other values (see Enums)"),
                       ("zh", "类型仍是 education，其中枚举的可选值有改动（见“枚举”）")):
        got = [c for c in diff_policies(po, pn, AS_OF, lang=lang) if c.scope == "fact"]
        assert [(c.id, c.field, c.old, c.new, c.detail) for c in got] == [
            ("commissioner.education", "type", "education", "education", said)], got
        enum = [(c.field, c.detail) for c in diff_policies(po, pn, AS_OF, lang=lang) if c.scope == "enum"]
        assert enum == [("values", "+ postdoc")], enum  # (and no row of labels "differs for: " naming nothing)
        assert _row(got[0], lang)[2] == said and " → " not in _row(got[0], lang)[2]
