"""`policyengine check FILE|DIR` checks what it is given against the rest of the policy set it
belongs to: an edited file alone, or a new district's folder, is not flooded with errors
about the layers it builds on."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from policyengine.api import check_in_context
from policyengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "policies" / "baotou" / "commissioner_plan.yaml"
DISTRICT = """kind: policy-document
version: 1
document:
  id: kangbashi.plan
  title: 康巴什区企业科技特派员工作方案
  issuer: 康巴什区
  jurisdiction: cn/nm/ordos/kangbashi
  effective: 2024-08-01
jurisdictions:
  - {id: cn/nm/ordos/kangbashi, name: 康巴什区, level: district, parent: cn/nm/ordos}
"""


def test_a_valid_file_checked_alone_gives_no_error_and_only_its_own_warnings(capsys):
    assert main(["check", str(PLAN), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 0 warning(s), 0 note(s)\nand 27 acknowledged warning(s)" in out
    ps, shown = check_in_context([PLAN])
    assert not ps.errors and shown
    assert {Path(d.span.file).resolve() for d in shown} == {PLAN.resolve()}
    assert len(shown) < len(ps.diagnostics)  # the other files' warnings are not shown


def test_a_new_district_folder_resolves_its_parent(tmp_path, capsys):
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    (policies / "kangbashi").mkdir()
    (policies / "kangbashi" / "plan.yaml").write_text(DISTRICT, encoding="utf-8")
    assert main(["check", str(policies / "kangbashi"), "--policies", str(policies), "--lang", "en"]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_alone_an_unknown_parent_never_suggests_the_jurisdiction_itself(tmp_path, capsys):
    (tmp_path / "plan.yaml").write_text(DISTRICT, encoding="utf-8")
    assert main(["check", str(tmp_path), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "unknown parent 'cn/nm/ordos'" in out
    assert "did you mean 'cn/nm/ordos/kangbashi'" not in out and "--policies" in out


def test_a_draft_outside_the_set_stands_in_for_its_document(tmp_path, capsys):
    draft = tmp_path / "commissioner_plan.yaml"
    draft.write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", str(draft), "--policies", str(ROOT / "policies"), "--lang", "en", "--notes"]) == 0
    out = capsys.readouterr().out  # (no duplicate document id)
    assert "0 error(s)" in out and str(draft) in out  # its own acknowledged warnings, at the draft's lines
    broken = tmp_path / "broken.yaml"
    broken.write_text(PLAN.read_text(encoding="utf-8").replace("parent: cn/nm}", "parent: cn/nm/nowhere}", 1),
                      encoding="utf-8")
    assert main(["check", str(broken), "--policies", str(ROOT / "policies"), "--lang", "en"]) == 1
    assert "unknown parent 'cn/nm/nowhere'" in capsys.readouterr().out


def _broken_copy(tmp_path, monkeypatch, old: str, new: str) -> Path:
    """A copy of the shipped packs, the default policies, with ``old`` replaced in the Baotou plan."""
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    plan = policies / "baotou" / "commissioner_plan.yaml"
    text = plan.read_text(encoding="utf-8")
    assert old in text
    plan.write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setenv("POLICYENGINE_POLICIES", str(policies))
    monkeypatch.chdir(tmp_path)
    return plan


def test_a_file_that_fails_to_load_gives_one_error_not_its_consequences(tmp_path, monkeypatch, capsys):
    _broken_copy(tmp_path, monkeypatch, "  extends: cn/nm\n", "  extends：cn/nm\n")
    for argv in (["check", "policies/baotou/commissioner_plan.yaml"], ["check"]):
        assert main([*argv, "--lang", "en", "--format", "json"]) == 1
        diags = json.loads(capsys.readouterr().out)["diagnostics"]
        assert [d["code"] for d in diags] == ["PE001"], diags


def test_errors_in_other_files_are_shown_relative_like_the_given_file(tmp_path, monkeypatch, capsys):
    _broken_copy(tmp_path, monkeypatch, "id: bt.commissioner.platform-registration", "id: bt.commissioner.platform-registrations")
    assert main(["check", "policies/baotou/commissioner_plan.yaml", "--lang", "en", "--format", "json"]) == 1
    files = [d["file"] for d in json.loads(capsys.readouterr().out)["diagnostics"]]
    assert any("imust" in f for f in files) and all(f.startswith("policies/") for f in files), files
    assert files == sorted(files)


KANGBASHI = DISTRICT + """parameters:
  min_policy_briefings:
    value: 3
    stricter: higher
    label: 每人每年政策宣传和解读不少于（次）
    citation: 一
rules:
  - id: kangbashi.commissioner.training
    kind: obligation
    subject: commissioner
    label: 参加政策培训
    citation: 二
coverage:
  一: [min_policy_briefings]
  二: [kangbashi.commissioner.training]
"""


def _kangbashi(tmp_path, old: str, new: str) -> tuple[Path, Path]:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    (district := policies / "ordos" / "kangbashi").mkdir()
    assert old in KANGBASHI
    (district / "plan.yaml").write_text(KANGBASHI.replace(old, new), encoding="utf-8")
    return policies, district


def _codes_and_files(argv, capsys) -> list[tuple[str, str]]:
    main([*argv, "--lang", "en", "--format", "json"])
    return [(d["code"], Path(d["file"]).name) for d in json.loads(capsys.readouterr().out)["diagnostics"]]


def test_a_rule_renamed_to_an_id_in_use_is_one_error_not_a_coverage_one_too(tmp_path, capsys):
    policies, district = _kangbashi(tmp_path, "- id: kangbashi.commissioner.training", "- id: dongsheng.commissioner.training")
    assert _codes_and_files(["check", str(district), "--policies", str(policies)], capsys) == [("PE030", "plan.yaml")]


def test_a_type_slip_in_a_new_district_is_reported_there_once(tmp_path, capsys):
    policies, district = _kangbashi(tmp_path, "value: 3", "value: three")
    assert _codes_and_files(["check", str(district), "--policies", str(policies)], capsys) == [("PE038", "plan.yaml")]


BAOTOU_MIN_DAYS = """
parameters:
  min_service_days:
    value: 40
    stricter: higher
    output: min_service_days_per_year
    subject: commissioner
    label: {zh: 每年为派驻企业服务时间累计不少于（天）, en: Days a year for the host enterprise (at least)}
    citation: 六(一)

definitions:
"""


def test_a_warning_elsewhere_caused_by_the_given_file_is_shown_and_counts(tmp_path, monkeypatch, capsys):
    _broken_copy(tmp_path, monkeypatch, "\ndefinitions:\n", BAOTOU_MIN_DAYS)
    whole = _codes_and_files(["check"], capsys)
    assert ("PE050", "measures_2023_45.yaml") in whole
    assert main(["check", "policies/baotou/commissioner_plan.yaml", "--strict", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    line = (ROOT / "policies/imust/measures_2023_45.yaml").read_text(encoding="utf-8").splitlines().index("  min_service_days:")
    assert f"policies/imust/measures_2023_45.yaml:{line + 1}:3: warning[PE050" in out


def test_a_new_parameter_left_out_of_its_coverage_table_is_reported(tmp_path, monkeypatch, capsys):
    _broken_copy(tmp_path, monkeypatch, "\ndefinitions:\n", BAOTOU_MIN_DAYS)
    assert ("PE102", "commissioner_plan.yaml") in _codes_and_files(["check", "policies/baotou/commissioner_plan.yaml"], capsys)

def test_check_of_a_test_file_validates_its_outcomes_and_facts(tmp_path, capsys):
    """`check` of a test file (or a folder holding tests/) reports what `test` would refuse, located."""
    assert main(["check", str(ROOT / "policies" / "baotou" / "tests" / "rules.yaml"), "--lang", "en"]) == 0
    capsys.readouterr()
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    tests = policies / "baotou" / "tests" / "rules.yaml"
    text = tests.read_text(encoding="utf-8")
    text = text.replace("expect: {eligible: true}", "expect: {eligable: true}", 1)
    text = text.replace("      good_conduct: true\n", "      good_conduct_: true\n", 1)
    tests.write_text(text, encoding="utf-8")
    for given in (tests, policies / "baotou"):
        assert main(["check", str(given), "--policies", str(policies), "--lang", "zh"]) == 1
        out = capsys.readouterr().out
        assert f"{tests}:26:14: 错误[PE039" in out and "没有名为 'eligable' 的结论" in out
        assert "是不是 'eligible'？" in out and "\n1 个错误" in out  # a case with an unknown outcome runs no further
    tests.write_text(text.replace("{eligable: true}", "{eligible: true}"), encoding="utf-8")
    assert main(["check", str(tests), "--policies", str(policies), "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert f"{tests}:18:7: 错误[PE061" in out and "第 1 个个案（四(一)" in out
