"""`policyengine test --update`: the expectations of failing cases rewritten in place — only those
values, comments and order kept, after showing the change and asking; atomic, refused when the
file changed meanwhile, nothing written with no one to ask.  And what `test` prints: in Chinese
and English, a failing obligation naming the value in force and the document that set it."""
from __future__ import annotations

import io
import os
import shutil
import stat
from decimal import Decimal
import datetime as _dt
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine.cli import main
from policyengine.load import load_text
from policyengine.rewrite import Changed, NotRewritable, rewrite, write_atomic, yaml_value
from policyengine.testing import run_tests

ROOT = Path(__file__).resolve().parent.parent

FACTS = """\
      registered_in_region: true
      is_tech_enterprise: true
      does_rd_and_production: true
      operating_normally: true
      well_managed: true
      bad_credit_record: false
      has_research_conditions: true
      has_research_funds: true
      listed_exchange: none"""

# an enterprise at Baotou with every fact: eligible, no listing reward
TEST_FILE = f"""\
# kept: a comment at the top
kind: policy-test
version: 1
cases:
  - name: "passes, untouched"   # a passing case is never rewritten
    subject: enterprise
    jurisdiction: cn/nm/baotou
    as_of: 2024-05-10
    facts:
{FACTS}
    expect: {{eligible: true}}
  - name: fails twice
    subject: enterprise
    jurisdiction: cn/nm/baotou
    as_of: 2024-05-10
    facts:
{FACTS}
    # the officer's note on the expectation
    expect:
      listing_reward_cny: 500000    # was the reward before the change
      eligible: false               # wrong on purpose
    expect_absent: [score]
  - name: flow style
    subject: enterprise
    jurisdiction: cn/nm/baotou
    as_of: 2024-05-10
    facts:
{FACTS}
    expect: {{eligible: "false", listing_reward_cny: null}}
"""
EXPECTED = (TEST_FILE
            .replace("      listing_reward_cny: 500000    #", "      listing_reward_cny: null    #")
            .replace("      eligible: false               #", "      eligible: true               #")
            .replace('expect: {eligible: "false", listing', "expect: {eligible: true, listing"))


@pytest.fixture
def test_file(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(TEST_FILE, encoding="utf-8")
    return f


def run(f, lang="en", **kw):
    out = io.StringIO()
    code = run_tests([f], lang=lang, out=out, **kw)
    return code, out.getvalue()


def test_update_rewrites_only_the_failing_values_keeping_comments_and_order(test_file):
    code, out = run(test_file)
    assert code == 1 and "1 passed, 2 failed" in out
    code, out = run(test_file, update=True, yes=True)
    assert code == 0
    assert test_file.read_text(encoding="utf-8") == EXPECTED  # every other character as it was
    assert f"rewrote 3 expected value(s) in {test_file}\n" in out
    assert "-      eligible: false               # wrong on purpose" in out  # the change was shown
    assert "+      eligible: true               # wrong on purpose" in out
    code, out = run(test_file)
    # (a test file outside the packs is run against the default rules, and is told so)
    assert code == 0 and out.startswith("note: these tests ran against the default rules (") and out.endswith(
        ". To test other rules, give their folder too (policyengine test FOLDER), or --policies FOLDER\n3 passed, 0 failed\n")
    assert [p.name for p in test_file.parent.iterdir()] == ["t.yaml"]  # no temporary file left behind


def test_update_asks_and_writes_only_on_yes(test_file):
    asked = []

    def no(question):
        asked.append(question)
        return "n"

    code, out = run(test_file, update=True, ask=no)
    assert code == 1 and test_file.read_text(encoding="utf-8") == TEST_FILE
    assert asked == [f"rewrite 3 expected value(s) in {test_file}? [y/N] "] and "not rewritten" in out
    code, out = run(test_file, lang="zh", update=True, ask=lambda q: asked.append(q) or "是")
    assert asked[-1] == f"重写 {test_file} 中的 3 个期望值？[y/N] "
    assert code == 0 and test_file.read_text(encoding="utf-8") == EXPECTED and f"已重写 {test_file} 中的 3 个期望值" in out


def test_update_without_a_terminal_and_without_yes_writes_nothing(test_file, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # a pipe: no one to ask, whatever it holds
    assert main(["test", "--update", "--lang", "en", str(test_file)]) == 1
    out = capsys.readouterr().out
    assert test_file.read_text(encoding="utf-8") == TEST_FILE
    assert "not rewritten: no terminal to ask" in out and "--yes" in out and "+      eligible: true" in out
    assert main(["test", "--update", str(test_file)]) == 1
    assert "没有终端可以询问" in capsys.readouterr().out
    assert main(["test", "--update", "--yes", str(test_file)]) == 0
    assert test_file.read_text(encoding="utf-8") == EXPECTED


def test_update_refuses_a_file_changed_meanwhile(test_file):
    edited = TEST_FILE.replace("# kept: a comment at the top", "# the officer saved meanwhile")

    def save_then_agree(question):  # the file is saved in an editor while the question waits
        test_file.write_text(edited, encoding="utf-8")
        return "y"

    code, out = run(test_file, update=True, ask=save_then_agree)
    assert code == 1 and "the file changed after the tests read it" in out
    assert test_file.read_text(encoding="utf-8") == edited  # the officer's save is kept
    with pytest.raises(Changed):
        write_atomic(test_file, TEST_FILE.encode(), "anything")
    assert test_file.read_text(encoding="utf-8") == edited


def test_the_write_is_a_rename_in_the_same_folder_keeping_permissions(tmp_path, monkeypatch):
    f = tmp_path / "t.yaml"
    f.write_bytes(b"\xef\xbb\xbfkind: policy-test\r\nx: 1\r\n")
    f.chmod(0o640)
    renamed = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: renamed.append((Path(a), Path(b))) or real(a, b))
    write_atomic(f, f.read_bytes(), "kind: policy-test\r\nx: 2\r\n")
    assert f.read_bytes() == b"\xef\xbb\xbfkind: policy-test\r\nx: 2\r\n"  # the byte-order mark and CRLF kept
    assert stat.S_IMODE(f.stat().st_mode) == 0o640
    [(src, dst)] = renamed
    assert src.parent == dst.parent == tmp_path and dst == f.resolve() and not src.exists()


def test_failures_update_cannot_rewrite_are_named_for_the_officer(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(TEST_FILE.replace("    expect: {eligible: true}\n", "    expect_error: PE061\n")
                 .replace("expect_absent: [score]", "expect_absent: [eligible]"), encoding="utf-8")
    code, out = run(f, update=True, yes=True)
    assert code == 1
    assert "these failures cannot be updated; edit them by hand:\n" in out
    assert f"  {f}:5: passes, untouched\n" in out and f"  {f}:20: fails twice\n" in out  # each at its line
    text = f.read_text(encoding="utf-8")
    assert "expect_error: PE061" in text and "expect_absent: [eligible]" in text  # left as they were
    assert "listing_reward_cny: null    #" in text  # the expected values of the same case are rewritten


@pytest.mark.parametrize("value", [True, False, None, 0, -3, 40, Decimal("1.5"), _dt.date(2025, 1, 1), "qualified",
                                   "cn/nm/baotou", "true", "null", "30", "1.5", "2024-01-01", "a: b", "x # y", "", " x",
                                   '"q"', "back\\slash", "合格", "line\nbreak", "\u202e", "[x]", "{x}", "- x", "@x"])
def test_a_written_value_reads_back_as_itself(value):
    lf = load_text("expect:\n  k: 1  # note\n")
    text = rewrite(lf, {("expect", "k"): value})
    assert text == f"expect:\n  k: {yaml_value(value)}  # note\n"
    assert load_text(text).data == {"expect": {"k": value}}


def test_a_value_that_is_not_a_plain_scalar_is_not_rewritten():
    with pytest.raises(NotRewritable):
        rewrite(load_text("expect:\n  k: |\n    text\n  j: 1\n"), {("expect", "k"): "other"})
    with pytest.raises(NotRewritable):
        rewrite(load_text("expect:\n  k: [1, 2]\n"), {("expect", "k"): 3})


# --- what `test` prints --------------------------------------------------------------------------------


def test_the_output_is_chinese_by_default_and_english_on_request(test_file):
    code, zh = run(test_file, lang="zh")
    assert code == 1
    assert f"失败 {test_file}:20: fails twice\n" in zh  # the case's line and "  eligible：应为 否，实际为 是\n" in zh  # not JSON's false/true
    assert "  listing_reward_cny：应为 500000，但现行各层没有这个结论" in zh or \
        "  listing_reward_cny：应为 500000，实际为 无" in zh
    assert zh.endswith("通过 1 个，失败 2 个\n")
    code, en = run(test_file, lang="en")
    assert f"FAIL {test_file}:20: fails twice\n" in en and "  eligible: expected false, got true\n" in en
    assert en.endswith("1 passed, 2 failed\n")


IMUST_CASE = """\
kind: policy-test
version: 1
cases:
  - name: 35 days at IMUST
    subject: commissioner
    jurisdiction: cn/nm/baotou/imust
    as_of: 2024-06-01
    facts: {FACTS}
    expect: {compliant: true}
"""


@pytest.mark.parametrize("days,expect,mark", [(35, "true", "✗"), (45, "false", "✓")], ids=["failing", "passing"])
def test_an_obligation_names_the_value_in_force_and_the_document_that_set_it(tmp_path, days, expect, mark):
    """The issue's case: a lower layer raises a threshold to 40; a case with 35 days fails, one with
    45 holds, and the obligation's line in `test` names 40 and the document, article and layer that
    set it — in Chinese and in English."""
    pol = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pol, ignore=shutil.ignore_patterns("tests"))
    measures = pol / "imust" / "measures_2023_45.yaml"
    text = measures.read_text(encoding="utf-8")
    assert text.count("  min_service_days:\n    value: 30\n") == 1
    measures.write_text(text.replace("  min_service_days:\n    value: 30\n", "  min_service_days:\n    value: 40\n"),
                        encoding="utf-8")
    facts = load_text((ROOT / "policies" / "imust" / "tests" / "imust.yaml").read_text(encoding="utf-8")).data
    case = dict(next(c for c in facts["cases"] if c.get("expect", {}).get("compliant") is True
                     and c["jurisdiction"] == "cn/nm/baotou/imust" and c["as_of"].year == 2024)["facts"])
    case.update(service_days=days, work_records_uploaded=True, year=2024)
    flow = "{" + ", ".join(f"{k}: {yaml_value(v)}" for k, v in case.items()) + "}"
    f = tmp_path / "t.yaml"
    f.write_text(IMUST_CASE.replace("{FACTS}", flow).replace("{compliant: true}", f"{{compliant: {expect}}}"),
                 encoding="utf-8")
    for lang, title in (("zh", "内蒙古科技大学企业科技特派员管理办法"), ("en", "IMUST Measures for Enterprise S&T Commissioners")):
        code, out = run(f, lang=lang, policies=[pol])
        assert code == 1, out  # the expectation is wrong on purpose: the outcome's explanation is shown
        lines = [x for x in out.splitlines() if x.strip().startswith(mark) and f"service_days = {days}" in x]
        assert len(lines) == 2, out  # the region's obligation, and IMUST's restating it
        for line in lines:  # the value in force, the document, article and layer that set it
            assert "40" in line and title in line and "第三条(五)" in line and "cn/nm/baotou/imust" in line, line


def test_a_file_with_a_byte_order_mark_crlf_and_chinese_is_rewritten_in_place(tmp_path):
    f = tmp_path / "t.yaml"
    text = TEST_FILE.replace("# kept: a comment at the top", "# 包头：上市奖励（注释保留）").replace("\n", "\r\n")
    f.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert run(f, update=True, yes=True)[0] == 0
    want = EXPECTED.replace("# kept: a comment at the top", "# 包头：上市奖励（注释保留）").replace("\n", "\r\n")
    assert f.read_bytes() == b"\xef\xbb\xbf" + want.encode("utf-8")


def test_a_malformed_test_file_is_reported_in_both_languages(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("kind: policy-test\nversion: 2\ncases:\n  - subject: enterprise\n    expext: {eligible: true}\n",
                 encoding="utf-8")
    code, zh = run(f, lang="zh", update=True, yes=True)
    assert code == 1 and f"失败 {f}: （测试文件本身）" in zh
    assert "t.yaml:2:10: 错误[PE013" in zh and "不支持的版本 2" in zh and "测试文件写 'version: 1'" in zh
    assert "t.yaml:5:5: 错误[PE011" in zh and "第 1 个个案：未知字段 'expext'" in zh and "个案可含的字段：" in zh
    assert "以下失败不能自动更新，请手工修改：" in zh
    code, en = run(f, lang="en")
    assert code == 1 and "unsupported version 2" in en and "case 1: unknown field 'expext'" in en


def test_at_a_terminal_the_command_asks_and_writes_on_yes(test_file):
    """The command itself: stdin a terminal (a pseudo-terminal here), the question asked, 'y' answered."""
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "policyengine.cli", "test", "--update", "--lang", "en",
                              str(test_file)], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.write(master, b"y\n")
        out, err = p.communicate(timeout=300)
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode == 0, err.decode()
    assert f"rewrite 3 expected value(s) in {test_file}? [y/N] ".encode() in out
    assert test_file.read_text(encoding="utf-8") == EXPECTED


def enterprise_case(name: str, expect: str, facts: str = FACTS) -> str:
    """One case of an enterprise at Baotou, as an entry of a test file's cases."""
    return (f"  - name: {name}\n    subject: enterprise\n    jurisdiction: cn/nm/baotou\n    as_of: 2024-05-10\n"
            f"    facts:\n{facts}\n    expect: {expect}\n")


def written(tmp_path, *cases: str) -> Path:
    f = tmp_path / "t.yaml"
    f.write_text("kind: policy-test\nversion: 1\ncases:\n" + "".join(cases), encoding="utf-8")
    return f


CHINESE_VALUES = (enterprise_case("是 for a yes/no outcome", "{eligible: 是}"),
                  enterprise_case("否 for a yes/no outcome", "{eligible: 否}"))


def test_a_yes_no_outcome_may_be_expected_as_shi_or_fou_and_is_shown_so(tmp_path):
    """An officer writes 是/否 for a yes/no outcome: read as true/false, and a failure says 应为 否，实际为 是."""
    f = written(tmp_path, *CHINESE_VALUES)
    code, zh = run(f, lang="zh")
    assert code == 1 and zh.endswith("通过 1 个，失败 1 个\n")
    assert "  eligible：应为 否，实际为 是\n" in zh and "应为 否，实际为 false" not in zh


LOCATED = (enterprise_case("misspelt fact", "{eligible: true}", "      registerd_in_region: true"),
           enterprise_case("unknown outcome", "{eligable: true}"), enterprise_case("still runs", "{eligible: true}"))


def test_a_case_problem_is_located_in_the_test_file_and_the_other_cases_still_run(tmp_path):
    f = written(tmp_path, *LOCATED)
    code, zh = run(f, lang="zh")
    assert code == 1 and zh.endswith("通过 1 个，失败 2 个\n")  # the unknown outcome fails its case alone
    assert f"失败 {f}:4: misspelt fact\n" in zh and f"失败 {f}:11: unknown outcome\n" in zh
    assert f"{f}:9:7: 错误[PE061" in zh and "第 1 个个案（misspelt fact）：facts.registerd_in_region" in zh
    assert "<case>" not in zh
    assert f"{f}:25:14: 错误[PE039" in zh and "第 2 个个案（unknown outcome）：没有名为 'eligable' 的结论" in zh
    code, en = run(f, lang="en")
    assert "case 1 (misspelt fact): facts.registerd_in_region" in en and en.endswith("1 passed, 2 failed\n")


def test_a_full_width_colon_after_expect_is_named(tmp_path):
    f = written(tmp_path, CHINESE_VALUES[0].replace("expect: {eligible: 是}", "expect：{eligible: 是}"))
    code, zh = run(f, lang="zh")
    assert code == 1 and "未知字段 'expect：{eligible'" in zh and "全角冒号" in zh


def test_an_enum_value_is_shown_with_its_chinese_label(tmp_path):
    """As the explanation shows it: qualified（合格）, not the bare value."""
    import json

    from policyengine.load import load_file

    case = dict(load_file(ROOT / "examples" / "baotou_workstation_score.yaml").data, expect={"grade": "excellent"})
    f = tmp_path / "t.yaml"
    f.write_text("kind: policy-test\nversion: 1\ncases:\n  - " + json.dumps(case, ensure_ascii=False, default=_plain_json) + "\n",
                 encoding="utf-8")
    code, zh = run(f, lang="zh")
    assert code == 1 and "  grade：应为 excellent（优秀），实际为 qualified（合格）\n" in zh
    assert "  grade: expected excellent, got qualified\n" in run(f, lang="en")[1]


def _plain_json(v):
    """A value the loader gave (a number as Decimal, a date) as JSON, which YAML reads back the same."""
    return float(v) if isinstance(v, Decimal) else str(v)


def test_an_expected_value_its_outcome_never_has_is_located_by_check_and_fails_its_case(tmp_path, capsys):
    """'"0"' quoted for a number, 'yes' for a yes/no outcome: check says where and what to write (it said
    nothing); test, which printed 'expected 2, got 2', says what to write beside it (and --update can
    rewrite it)."""
    f = written(tmp_path, enterprise_case("mistyped", '{listing_reward_cny: "0", eligible: yes}'),
                enterprise_case("right", "{eligible: 是, listing_reward_cny: null}"))
    assert main(["check", str(f), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "t.yaml:18:34: error[PE012 invalid-value]: case 1 (mistyped): outcome 'listing_reward_cny' is never '0'" in out
    assert "help: write 0: no quotes or unit" in out
    assert "t.yaml:18:49: error[PE012 invalid-value]: case 1 (mistyped): outcome 'eligible' is never 'yes'" in out
    assert "help: write true or false (or 是 or 否)" in out and "2 error(s)" in out
    assert main(["test", str(f), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert '  listing_reward_cny: expected "0", got null (write 0: no quotes or unit)' in out
    assert "  eligible: expected yes, got true (write true or false (or 是 or 否))" in out
    assert out.endswith("1 passed, 1 failed\n")


def test_expected_values_test_accepts_are_accepted_by_check(tmp_path, capsys):
    """What test passes, check does not refuse: an int outcome expected as 2.0, a decimal as its text; and a
    list where a yes/no is expected is reported, not a crash (TypeError: unhashable type)."""
    f = written(tmp_path, enterprise_case("yes and no", "{eligible: true, listing_reward_cny: null}"),
                enterprise_case("a list for a yes/no", "{eligible: [true]}"))
    assert main(["check", str(f), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "outcome 'eligible' is never '[True]'" in out and "1 error(s)" in out
    assert main(["test", str(f), "--lang", "en"]) == 1
    assert capsys.readouterr().out.endswith("1 passed, 1 failed\n")
    from decimal import Decimal

    from policyengine.testing import _never_has
    from policyengine.types import DECIMAL, INT

    assert _never_has(INT, Decimal("2.0")) is None and _never_has(DECIMAL, "46.5") is None
    assert _never_has(INT, Decimal("2.5")) is not None and _never_has(DECIMAL, "46.5元") is not None
