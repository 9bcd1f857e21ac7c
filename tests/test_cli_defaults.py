"""The command as a new user meets it: every subcommand that reads policies defaults to the
shipped packs, --debug works anywhere, every non-zero exit says why, the facts table, and
a repository that points at nothing outside itself."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from policyengine import Policies
from policyengine.cli import main
from policyengine.vocabulary import facts_doc

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "enterprise_eligibility.yaml"


def test_check_and_coverage_default_to_the_shipped_packs(capsys):
    assert main(["check"]) == 0
    assert "0 个错误" in capsys.readouterr().out
    assert main(["coverage"]) == 0
    assert "国办发〔2016〕32号" in capsys.readouterr().out


def test_test_defaults_to_the_shipped_packs(capsys, monkeypatch):
    monkeypatch.delenv("POLICYENGINE_POLICIES", raising=False)
    assert main(["test", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert " passed, 0 failed" in out and not out.startswith("0 passed")


@pytest.mark.parametrize("argv", [
    ["--debug", "evaluate", str(EXAMPLE)],
    ["evaluate", str(EXAMPLE), "--debug"],
    ["evaluate", "--debug", str(EXAMPLE), "--format", "json"],
])
def test_debug_is_accepted_in_any_position(argv, capsys):
    assert main(argv) == 0
    assert capsys.readouterr().out


def test_coverage_of_files_with_errors_says_what_is_wrong(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("kind: policy-document\nversion: 1\ndocument: {id: x}\n", encoding="utf-8")
    assert main(["coverage", "--lang", "en", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "error[" in err and "fix them first" in err


def test_test_of_an_edited_copy_tests_the_copy(tmp_path, capsys, monkeypatch):
    """An officer copies the packs, raises Dongsheng's briefings a year from 2 to 5 and runs the tests of
    the copy: the copy's rules are tested (as check reads them), not the shipped ones; the copy's tests
    given alone run against the default rules, and say so first."""
    import shutil

    monkeypatch.delenv("POLICYENGINE_POLICIES", raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "policies", "policies")
    plan = Path("policies/dongsheng/plan_2024_17.yaml")
    text = plan.read_text(encoding="utf-8")
    before = "  min_policy_briefings:\n    value: 2\n"
    assert before in text
    plan.write_text(text.replace(before, "  min_policy_briefings:\n    value: 5\n"), encoding="utf-8")
    for args in (["policies"], ["--policies", "policies"]):
        assert main(["test", "--lang", "en", *args]) == 1, args
        out = capsys.readouterr().out
        assert "min_policy_briefings_per_year: expected 2, got 5" in out and "note:" not in out
    assert main(["test", "--lang", "en", "policies/dongsheng/tests"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"note: these tests ran against the default rules ({ROOT / 'policies'}). ")
    assert main(["test", "policies/dongsheng/tests", "--policies", "policies"]) == 1
    out = capsys.readouterr().out
    assert "注意" not in out and "min_policy_briefings_per_year：应为 2，实际为 5" in out
    assert main(["test", str(ROOT / "policies" / "dongsheng" / "tests")]) == 0  # the shipped tests: no note
    assert "注意" not in capsys.readouterr().out


def test_test_of_a_folder_without_tests_says_why_it_fails(capsys):
    assert main(["test", "--lang", "en", str(ROOT / "examples")]) == 1
    out = capsys.readouterr().out
    assert "no test cases found in" in out and "kind: policy-test" in out
    assert main(["test", str(ROOT / "examples")]) == 1
    out = capsys.readouterr().out
    assert "没有找到测试个案" in out and "kind: policy-test" in out


def test_a_bad_jurisdiction_argument_is_reported_as_the_argument(capsys):
    assert main(["evaluate", str(EXAMPLE), "--jurisdiction", "cn/nm/hohhot", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert 'unknown jurisdiction "cn/nm/hohhot"' in err and "given as an argument" in err
    assert "^" not in err  # no caret under the file's own value, which is not what is wrong
    assert main(["evaluate", str(EXAMPLE), "--jurisdiction", "cn/nm/hohhot", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert '不认识的地区（jurisdiction）"cn/nm/hohhot"' in err and "这个值来自命令参数" in err, err
    assert "是不是想写“cn/nm/ordos”？" in err and "unknown" not in err


def test_diff_cases_takes_a_file_and_says_when_it_does_not_exist(capsys):
    assert main(["diff", "--lang", "en", str(ROOT / "policies"), str(ROOT / "policies"), "--cases", str(EXAMPLE)]) == 0
    assert "0 of 1" in capsys.readouterr().out
    assert main(["diff", "--lang", "en", str(ROOT / "policies"), "--cases", str(ROOT / "no-such-cases")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "folder" in err
    assert main(["diff", str(ROOT / "policies"), "--cases", str(ROOT / "no-such-cases")]) == 2
    assert "个案文件夹或文件" in capsys.readouterr().err


def test_diff_new_defaults_to_the_shipped_packs(capsys):
    assert main(["diff", "--lang", "en", str(ROOT / "policies")]) == 0
    assert "No difference." in capsys.readouterr().out
    assert main(["diff", str(ROOT / "policies")]) == 0
    assert "没有不同。" in capsys.readouterr().out


def test_facts_lists_type_values_and_labels(capsys):
    assert main(["facts", "--subject", "commissioner", "--jurisdiction", "cn/nm/baotou/imust",
                 "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["facts"]}
    edu = rows["education"]
    assert edu["type"].startswith("enum education")
    assert [v["value"] for v in edu["values"]] == ["none", "secondary", "junior_college", "bachelor", "master",
                                                    "doctorate"]
    assert {v["value"]: v["zh"] for v in edu["values"]}["junior_college"] == "大专"
    assert edu["label"]["zh"] and edu["label"]["en"]
    assert all(r["subject"] == "commissioner" for r in rows.values())
    assert edu["type_zh"] == "枚举 education（有先后顺序）"
    assert main(["facts", "--subject", "enterprise"]) == 0
    assert "listed_exchange" in capsys.readouterr().out
    assert main(["facts", "--subject", "commissioner", "--jurisdiction", "cn/nm/baotou", "--lang", "zh"]) == 0
    assert "commissioner.dispatch_end: 日期 — 本次派驻约定的结束日期" in capsys.readouterr().out
    assert main(["facts", "--subject", "commissioner", "--jurisdiction", "cn/nm/baotou", "--lang", "en"]) == 0
    assert "commissioner.dispatch_end: date — Agreed end of the current dispatch" in capsys.readouterr().out


def test_facts_at_an_unknown_jurisdiction_says_which_exist(capsys):
    assert main(["facts", "--jurisdiction", "cn/nm/hohhot", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "cn/nm/baotou" in err and err.startswith('错误：不认识的地区 "cn/nm/hohhot"'), err
    assert main(["facts", "--jurisdiction", "cn/nm/hohhot", "--lang", "en"]) == 2
    assert capsys.readouterr().err.startswith('error: unknown jurisdiction "cn/nm/hohhot"')


def test_docs_facts_md_is_generated_from_the_packs():
    want = facts_doc(Policies.load().policy_set)
    got = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    assert got == want, "docs/facts.md is stale: regenerate it with `python -m policyengine.vocabulary`"


def test_no_file_of_the_repository_points_outside_it():
    patterns = [".." + "/shared", "seeds" + "/documents", "/" + "work/"]
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    hits = []
    for name in files.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or name.startswith(".ci/"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{name}: {p}" for p in patterns if p in text]
    assert not hits, hits


def test_a_misspelt_outcome_in_a_test_file_is_located_with_a_did_you_mean(tmp_path, capsys):
    test_file = tmp_path / "t.yaml"
    test_file.write_text("kind: policy-test\nversion: 1\ncases:\n  - name: misspelt\n    subject: enterprise\n"
                         "    jurisdiction: cn/nm/baotou\n    as_of: 2024-05-10\n    facts: {registered_in_region: true}\n"
                         "    expect:\n      eligable: null\n    expect_absent: [scor]\n", encoding="utf-8")
    assert main(["test", "--lang", "en", str(test_file)]) == 1
    out = capsys.readouterr().out
    assert "t.yaml:10:7: error[PE039" in out and "unknown outcome 'eligable'" in out and "did you mean 'eligible'?" in out
    assert "t.yaml:11:21: error[PE039" in out and "did you mean 'score'?" in out
    assert main(["test", str(test_file)]) == 1
    out = capsys.readouterr().out
    assert "t.yaml:10:7: 错误[PE039" in out and "没有名为 'eligable' 的结论" in out and "是不是 'eligible'？" in out


def test_lang_and_debug_are_taken_before_or_after_the_subcommand(monkeypatch, capsys):
    """Chinese by default; ``--lang en`` in either place or ``$POLICYENGINE_LANG`` switches;
    the explicit option wins over the environment."""
    from policyengine.cli import build_parser

    fixture = str(Path(__file__).parent / "invalid" / "PE022_misspelt-fact-plain.yaml")
    monkeypatch.delenv("POLICYENGINE_LANG", raising=False)
    for argv, words in ((["check", fixture], "1 个错误"), (["--lang", "en", "check", fixture], "1 error(s)"),
                        (["check", "--lang", "en", fixture], "1 error(s)")):
        main(argv)
        assert words in capsys.readouterr().out, argv
    monkeypatch.setenv("POLICYENGINE_LANG", "en")
    main(["check", fixture])
    assert "1 error(s)" in capsys.readouterr().out
    main(["check", "--lang", "zh", fixture])
    assert "1 个错误" in capsys.readouterr().out
    assert build_parser().parse_args(["--debug", "check"]).debug is True
    assert build_parser().parse_args(["check", "--debug"]).debug is True


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_check_refuses_an_unknown_code_to_select(flag, capsys):
    assert main(["check", flag, "PE041,XX"]) == 2
    err = capsys.readouterr().err
    assert "没有这样的诊断代码：XX" in err and "PE041" in err and "PE104" in err
    assert main(["check", flag, "pe05"]) == 0  # a prefix, in any case, is a choice


@pytest.mark.parametrize("argv, zh, en", [
    (["evaluate", "a.yaml", "b.yaml"], "错误：不认识的参数：b.yaml（去掉它们", "error: unrecognized arguments: b.yaml"),
    (["replay"], "错误：缺少必须写的参数：--db", "error: the following arguments are required: --db"),
    (["check", "--format", "xml"], "错误：参数 --format：没有 'xml' 这个选项（可以选：'text', 'json'）",
     "error: argument --format: invalid choice: 'xml'"),
    (["batch", "x", "--out", "y", "--chunk-rows", "q"], "错误：参数 --chunk-rows：'q' 不是有效的值（这里要写一个数）",
     "error: argument --chunk-rows: invalid int value: 'q'"),
])
def test_a_usage_mistake_is_refused_in_the_language_of_the_command(argv, zh, en, monkeypatch, capsys):
    """argparse's own refusals (exit 2) follow --lang / $POLICYENGINE_LANG like every other line."""
    monkeypatch.delenv("POLICYENGINE_LANG", raising=False)
    for args, words in ((argv, zh), ([*argv, "--lang", "en"], en), (["--lang=en", *argv], en)):
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 2 and words in capsys.readouterr().err, args
