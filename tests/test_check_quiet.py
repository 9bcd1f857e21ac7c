"""A quiet, strict, honest `policyengine check` (issue 12): one mistake gives one diagnostic;
what checks as valid but does nothing is reported with a did-you-mean; a gap in a table is
reported once per range; diagnostics come in file, line, column order; a reviewed warning is
acknowledged in its rule file with the reason, `check --strict` fails on any other, `--notes`
shows the reasons, `--select`/`--ignore` filter by code."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from policyengine.api import load_rule_files
from policyengine.cli import main
from policyengine.diagnostics import CODES, Severity

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
INVALID = ROOT / "tests" / "invalid"


@pytest.fixture()
def packs(tmp_path) -> Path:
    """A copy of the shipped packs, to be edited as an officer would."""
    shutil.copytree(POLICIES, tmp_path / "policies", ignore=shutil.ignore_patterns("tests"))
    return tmp_path / "policies"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _open(ps):
    """The diagnostics that are not notes (acknowledged warnings are notes)."""
    return [d for d in ps.diagnostics if d.severity is not Severity.INFO]


# --- one mistake, one diagnostic -------------------------------------------------------------


def test_a_misspelt_fact_in_a_covered_rule_gives_one_error_not_a_coverage_error_too(packs):
    plan = packs / "dongsheng" / "plan_2024_17.yaml"
    _edit(plan, "citation: 二(一)二\n    when: year == 2024", "citation: 二(一)二\n    when: yaer == 2024")
    ps = load_rule_files([packs])
    shown = _open(ps)
    assert [d.code for d in shown] == ["PE022"], [(d.code, d.message) for d in shown]
    assert "dongsheng.commissioner.training" not in shown[0].message


def test_a_coverage_entry_naming_an_unknown_rule_suggests_one_of_its_own_document(packs):
    _edit(packs / "dongsheng" / "plan_2024_17.yaml", "二(一)二: [dongsheng.commissioner.training]",
          "二(一)二: [dongsheng.comissioner.training]")
    (d,) = _open(load_rule_files([packs]))
    assert d.code == "PE034" and d.help("en") == "did you mean 'dongsheng.commissioner.training'?"
    assert d.text("zh") == "二(一)二 的覆盖表写了不存在的规则或参数“dongsheng.comissioner.training”"
    assert d.help("zh") == "是不是“dongsheng.commissioner.training”？"


# --- mistakes that do nothing ------------------------------------------------------------------


def test_a_misspelt_lower_layer_parameter_is_reported_with_the_name_above(packs):
    _edit(packs / "baotou" / "commissioner_plan.yaml", "\nrules:\n",
          "\nparameters:\n  min_service_day:\n    value: 40\n    stricter: higher\n    label: 每年服务时间不少于（天）\n"
          "    citation: 六(一)\n\nrules:\n")
    (d,) = _open(load_rule_files([packs]))
    assert (d.code, d.name, d.severity) == ("PE100", "unused-parameter", Severity.WARNING)
    assert d.text("en") == ("parameter 'min_service_day' is read by nothing and restates nothing above, so it "
                            "changes nothing: a misspelling of 'min_service_days'?")
    assert d.text("zh") == ("参数“min_service_day”没有被任何规则使用，上级也没有同名的参数，所以它什么也没有改变；"
                            "可能是“min_service_days”写错了")
    assert "did you mean 'min_service_days'?" in d.help("en") and "是不是“min_service_days”" in d.help("zh")
    assert d.source_line.strip() == "min_service_day:"


def test_the_fixture_of_each_new_code_reads_in_both_languages():
    ps = load_rule_files([INVALID / "PE101_unused-definition.yaml"])
    (d,) = _open(ps)
    assert d.text("en") == "definition 'senior_title' is read by no rule or definition and publishes no outcome"
    assert d.text("zh") == "定义“senior_title”没有被任何规则或定义使用，也不发布结果"
    (d,) = _open(load_rule_files([INVALID / "PE102_rule-not-in-coverage.yaml"]))
    assert d.text("en") == "rule 'nm.commissioner.service-days' (第八条) is not listed in the coverage table of its document"
    assert d.text("zh") == "规则“nm.commissioner.service-days”（第八条）没有列入本文件的覆盖表（coverage）"
    assert d.help("en") == "add 'nm.commissioner.service-days' to the list of 第八条 under 'coverage:'"
    (d,) = _open(load_rule_files([INVALID / "PE103_cited-article-not-decisional.yaml"]))
    assert d.text("en") == "the coverage table marks 第七条(五) 'not decisional', but 'nm.commissioner.service-days' cites it"
    assert d.text("zh") == "覆盖表把 第七条(五) 写成“不作决定”（not decisional），但 'nm.commissioner.service-days' 引用了它"
    assert d.related[0].span.line == 29  # the rule that cites it
    (d,) = _open(load_rule_files([INVALID / "PE104_stale-acknowledgement.yaml"]))
    assert d.text("en") == "stale acknowledgement: there is no PE054 warning about 'nm.commissioner.service-day' here"
    assert d.text("zh") == "过时的确认：这里没有关于“nm.commissioner.service-day”的 PE054 警告"
    assert d.help("en") == "did you mean 'nm.commissioner.service-days'?"


def test_a_parameter_citing_a_not_decisional_article_is_reported(packs):
    plan = packs / "dongsheng" / "plan_2024_17.yaml"
    _edit(plan, "    citation: 三(一)\n  min_projects_assisted:", "    citation: 三(一)；四(一)\n  min_projects_assisted:")
    (d,) = _open(load_rule_files([packs]))
    assert d.code == "PE103" and "四(一)" in d.message and "'min_policy_briefings'" in d.message
    assert d.hint == "list what encodes 四(一) instead: [min_policy_briefings]"
    _edit(plan, "三(一)；四(一)", "三(一)；四（一）")  # full-width brackets: the same article
    (d,) = _open(load_rule_files([packs]))
    entry = plan.read_text(encoding="utf-8").splitlines().index("  四(一): {zh: 培训经费, en: spending on training}") + 1
    assert d.code == "PE103" and d.span.line == entry  # (the coverage entry, not the parameter)


def test_a_rule_added_without_its_coverage_entry_is_reported(packs):
    plan = packs / "dongsheng" / "plan_2024_17.yaml"
    _edit(plan, "\nrules:\n", "\nrules:\n  - id: dongsheng.commissioner.extra-days\n    kind: obligation\n"
                              "    subject: commissioner\n    label: 额外服务\n    citation: 三(四)\n"
                              "    check: service_days >= 35\n")
    (d,) = _open(load_rule_files([packs]))
    assert d.code == "PE102" and d.span.file.endswith("plan_2024_17.yaml")
    assert "'dongsheng.commissioner.extra-days'" in d.message


# --- tables: one warning per range -----------------------------------------------------------


def test_a_gap_is_reported_once_for_the_whole_range(tmp_path):
    text = (INVALID / "PE041_tier-gap.yaml").read_text(encoding="utf-8")
    text = text.replace("{min: 11, points: 10, label: 11家及以上}", "{min: 300, points: 10, label: 300家及以上}")
    text = text.replace("{min: 7, max: 10,", "{min: 7, max: 30,").replace("{min: 4, max: 5,", "{min: 4, max: 6,")
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    shown = _open(load_rule_files([tmp_path / "t.yaml"]))
    assert [(d.code, d.text("en").split(":")[1].strip()) for d in shown] == [("PE041", "no tier covers 31-299; it scores 0 points (附件3 第4项)")]


# --- order ---------------------------------------------------------------------------------------


def test_diagnostics_come_in_file_line_column_order_with_numbers_compared_as_numbers(capsys):
    assert main(["check", str(POLICIES), "--notes", "--format", "json"]) == 0
    ds = json.loads(capsys.readouterr().out)["diagnostics"]
    keys = [(d["file"], d["line"], d["column"]) for d in ds]
    assert all(isinstance(line, int) and isinstance(col, int) for _, line, col in keys)
    assert keys == sorted(keys)
    lines = [line for f, line, _ in keys if f.endswith("commissioner_plan.yaml")]
    assert any(a < 100 <= b for a, b in zip(lines, lines[1:]))  # 99 before 100: not compared as text
    assert main(["check", str(POLICIES), "--notes", "--lang", "en"]) == 0
    located = [ln.split(": ", 1)[0].rsplit(":", 2) for ln in capsys.readouterr().out.splitlines()
               if ln.startswith(str(POLICIES)) and "[PE" in ln]
    assert [(f, int(a), int(b)) for f, a, b in located] == keys


# --- acknowledgements, --strict, --notes, --select, --ignore -----------------------------------


def test_the_shipped_packs_pass_strict_and_notes_show_every_reason(capsys):
    assert main(["check", "--strict", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 0 warning(s), 0 note(s)" in out and "acknowledged warning(s)" in out
    # the readings and assumed dates the CONTRACT has check report are named even when not listed
    assert re.search(r"110 acknowledged warning\(s\), 93 of them readings of the documents and assumed dates", out)


def test_check_reports_each_reading_and_assumed_date_on_a_line_of_its_own(capsys):
    """The CONTRACT: check "still reports each as a reading an officer may revisit" — acknowledged
    or not, each PE054/PE058 is listed by place, one line apiece, in the language asked for."""
    from policyengine.api import check_in_context, default_policy_dir

    ps, shown = check_in_context([default_policy_dir()])
    places = sorted(str(d.span) for d in shown if d.code in ("PE054", "PE058"))
    assert len(places) > 80
    for lang, head in (("zh", "对原文的解读和假定的生效日期（"), ("en", "Readings of the documents and assumed dates of effect (")):
        assert main(["check", "--lang", lang]) == 0
        out = capsys.readouterr().out
        listed = out.split(head, 1)[1].splitlines()[1:]
        assert sorted(line.split(": [PE05", 1)[0].strip() for line in listed) == places
        assert all(line.startswith("  ") and ("[PE054]" in line or "[PE058]" in line) for line in listed)
        assert all(_width(line) <= 160 for line in listed)
        assert ("采用的解读：" if lang == "zh" else "reading: ") in out and "…" in out


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
    assert main(["check", "--notes"]) == 0
    out = capsys.readouterr().out
    assert out.count("已确认：") >= 100 and "产品负责人确定的解读6" in out
    assert main(["check", "--notes", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "acknowledged: Reading 6 settled by the product owner" in out


def test_strict_fails_on_a_new_warning_until_it_is_reviewed(packs, capsys):
    plan = packs / "baotou" / "commissioner_plan.yaml"
    _edit(plan, "{min: 30, points: 10", "{min: 300, points: 10")  # a tier boundary changed: a gap opens
    args = ["check", str(plan), "--policies", str(packs), "--lang", "en"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 1 warning(s)" in out
    # the new gap is open although the table's old gap (no tier covers 0) is acknowledged ...
    assert "warning[PE041 tier-gap]: item 'commissioners_filed': no tier covers 31-299" in out
    # ... and the overlap at 30 that was acknowledged is gone by the same edit: its stale
    # acknowledgement waits until the gap is reviewed (one edit, one warning)
    assert "PE104" not in out
    assert main(args + ["--strict"]) == 1
    capsys.readouterr()
    _edit(plan, "\nacknowledged:\n", "\nacknowledged:\n  - code: PE041\n    at: bt.workstation.score\n    about: 31-299\n"
                                     "    reason: 附件2 第1项改为300家及以上，31-299家不得分，经复核属实\n")
    assert main(args + ["--strict"]) == 1  # now the overlap's acknowledgement is stale
    assert "warning[PE104 stale-acknowledgement]" in capsys.readouterr().out
    _edit(plan, "    about: 30及以上 和 16-30 都包含 30；\n", "    about: 300及以上 和 16-30 都包含 30；\n")
    assert main(args + ["--strict"]) == 1  # (still stale: nothing is about that)
    capsys.readouterr()
    text = plan.read_text(encoding="utf-8")
    start = text.index("  - code: PE040\n    at: bt.workstation.score\n    about: 300及以上")
    plan.write_text(text[:start] + text[text.index("  - code: PE040", start + 1):], encoding="utf-8")
    assert main(args + ["--strict"]) == 0
    capsys.readouterr()
    assert main(["check", str(plan), "--policies", str(packs), "--notes"]) == 0
    out = capsys.readouterr().out
    assert "已确认：附件2 第1项改为300家及以上，31-299家不得分，经复核属实" in out


def test_an_acknowledgement_that_matches_nothing_is_a_warning_and_strict_fails(packs, capsys):
    plan = packs / "ordos" / "ekefa_2024_26.yaml"
    _edit(plan, "at: ordos.ekefa-2024-26", "at: ordos.ekefa-2024-62")
    assert main(["check", str(plan), "--policies", str(packs), "--strict", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "warning[PE104 stale-acknowledgement]" in out and "did you mean 'ordos.ekefa-2024-26'?" in out
    assert "warning[PE058 assumption]" in out  # and what it meant to acknowledge is open again


def test_an_error_cannot_be_acknowledged(tmp_path):
    text = (INVALID / "PE104_stale-acknowledgement.yaml").read_text(encoding="utf-8").replace(
        "code: PE054\n    at: nm.commissioner.service-day", "code: PE022\n    at: nm.commissioner.service-days")
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    (d,) = _open(load_rule_files([tmp_path / "f.yaml"]))
    assert d.code == "PE104" and d.text("en") == ("stale acknowledgement: PE022 is an error, not a warning: errors are "
                                                   "fixed, notes need no acknowledgement")
    assert d.text("zh") == "过时的确认：PE022 是错误，不是警告：错误要改正，说明不必确认"


def test_an_acknowledgement_needs_a_reason(tmp_path):
    text = (INVALID / "PE104_stale-acknowledgement.yaml").read_text(encoding="utf-8")
    text = text.replace("    reason: 原文“累计”读作全年合计，已复核\n", "")
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    ps = load_rule_files([tmp_path / "f.yaml"])
    assert [(d.code, d.message) for d in ps.errors] == [("PE010", "'reason' is missing")]
    text = text.rstrip("\n") + "\n    reason: '  '\n"
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    ps = load_rule_files([tmp_path / "f.yaml"])
    assert [(d.code, d.zh) for d in ps.errors] == [("PE012", "确认警告时要写明理由（reason）")]


def test_select_and_ignore_filter_warnings_by_code_or_prefix_but_never_hide_an_error(packs, capsys):
    plan = packs / "baotou" / "commissioner_plan.yaml"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text[: text.index("\n# Warnings reviewed and accepted")] + "\n", encoding="utf-8")  # all open again

    def codes(*extra) -> set[str]:
        main(["check", str(plan), "--policies", str(packs), "--format", "json", *extra])
        return {d["code"] for d in json.loads(capsys.readouterr().out)["diagnostics"]}

    assert codes() == {"PE040", "PE041", "PE044", "PE051", "PE054", "PE058"}
    assert codes("--select", "PE04") == {"PE040", "PE041", "PE044"}
    assert codes("--select", "pe040,PE058") == {"PE040", "PE058"}
    assert codes("--ignore", "PE05", "--ignore", "PE040") == {"PE041", "PE044"}
    assert main(["check", str(plan), "--policies", str(packs), "--strict", "--select", "PE04"]) == 1
    assert main(["check", str(plan), "--policies", str(packs), "--strict", "--ignore", "PE04,PE05"]) == 0
    capsys.readouterr()
    _edit(plan, "\nrules:\n", "\nrulez:\n")  # an error (and the errors it causes): shown whatever the filter
    shown = codes("--select", "PE04")
    assert "PE011" in shown and all(CODES[c][0] is Severity.ERROR for c in shown)
    assert main(["check", str(plan), "--policies", str(packs), "--ignore", "PE0"]) == 1


def test_every_new_code_is_a_warning_with_a_name():
    for code, name in (("PE100", "unused-parameter"), ("PE101", "unused-definition"), ("PE102", "not-in-coverage"),
                       ("PE103", "cited-article-not-decisional"), ("PE104", "stale-acknowledgement")):
        assert CODES[code] == (Severity.WARNING, name)


def test_the_policy_sets_diagnostics_are_in_order_for_every_reader():
    """The workbench and the diff read ``PolicySet.diagnostics`` directly: ordered at the source."""
    ds = load_rule_files([POLICIES]).diagnostics
    keys = [(d.span.file, d.span.line, d.span.column) for d in ds]
    assert len(keys) > 100 and keys == sorted(keys)


def test_acknowledgements_hold_whatever_the_layout_of_the_file(packs, capsys):
    """An acknowledgement names an entry, not a line: the same file in flow style, keys sorted
    (acknowledged first), is still fully acknowledged."""
    import yaml

    from policyengine.load import load_file

    plan = packs / "baotou" / "commissioner_plan.yaml"
    data = load_file(plan).data
    plan.write_text(yaml.safe_dump(data, allow_unicode=True, default_flow_style=True, sort_keys=True, width=100),
                    encoding="utf-8")
    assert load_file(plan).data == data
    assert main(["check", str(plan), "--policies", str(packs), "--strict", "--lang", "en"]) == 0
    assert "and 27 acknowledged warning(s)" in capsys.readouterr().out


def test_a_misspelt_parent_gives_one_error_not_one_per_name_its_rules_read(tmp_path):
    from policyengine.api import check_in_context

    broken = tmp_path / "commissioner_plan.yaml"
    broken.write_text((POLICIES / "baotou" / "commissioner_plan.yaml").read_text(encoding="utf-8")
                      .replace("parent: cn/nm}", "parent: cn/nm/nowhere}", 1), encoding="utf-8")
    ps, shown = check_in_context([broken], [POLICIES])
    assert [(d.code, d.text("en")) for d in shown if d.is_error] == [
        ("PE033", "jurisdiction 'cn/nm/baotou' has unknown parent 'cn/nm/nowhere'")]
    (d,) = [d for d in shown if d.is_error]
    assert d.text("zh") == "层级 'cn/nm/baotou' 的上级 'cn/nm/nowhere' 不存在"


def test_a_changed_overlap_is_a_new_warning_not_the_reviewed_one(packs, capsys):
    plan = packs / "baotou" / "commissioner_plan.yaml"
    _edit(plan, "{min: 21, max: 30, points: 15", "{min: 21, max: 300, points: 15")
    assert main(["check", str(plan), "--policies", str(packs), "--lang", "en", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "warning[PE040 tier-overlap]: item 'policy_service_enterprises': tiers 30 and more and 21-300" in out
    assert "0 error(s), 1 warning(s)" in out  # and its old acknowledgement, stale by that edit, is not a second


def test_an_acknowledged_overlap_must_say_which(packs, capsys):
    plan = packs / "baotou" / "commissioner_plan.yaml"
    _edit(plan, "    about: 30及以上 和 21-30 都包含 30；\n", "")
    (d,) = load_rule_files([packs]).errors
    assert (d.code, Path(d.span.file).name) == ("PE012", "commissioner_plan.yaml")
    assert d.text("zh") == "确认 PE040（计分表的档位或等次）时，要用 about 写明确认的是哪一处"
    assert plan.read_text(encoding="utf-8").splitlines()[d.span.line - 1].strip() == "- code: PE040"


def test_an_acknowledgement_of_an_unknown_code_is_located_at_the_code(tmp_path):
    text = (INVALID / "PE104_stale-acknowledgement.yaml").read_text(encoding="utf-8").replace(
        "code: PE054", "code: PE999")
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    (d,) = _open(load_rule_files([tmp_path / "f.yaml"]))
    assert d.code == "PE104" and "“PE999”不是一个警告代码" in d.text("zh")
    assert text.splitlines()[d.span.line - 1].strip() == "- code: PE999"


def test_the_summary_names_readings_only_when_there_are_some(capsys):
    assert main(["check", "--select", "PE040"]) == 0
    out = capsys.readouterr().out
    assert "另有 4 条已确认的警告（check --notes" in out and "其中" not in out
