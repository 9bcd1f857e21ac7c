"""The packs' own YAML test cases (``policyengine test policies/``), one pytest item per case."""
from __future__ import annotations

from pathlib import Path

import pytest

from policyengine import Policies
from policyengine.testing import collect, run_case

ROOT = Path(__file__).resolve().parent.parent
FILES = collect([ROOT / "policies"])
CASES = [(p, i, c) for p, lf in FILES for i, c in enumerate(lf.data.get("cases") or [])]


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load(ROOT / "policies")


def test_every_pack_has_tests():
    packs = {p.parent.parent.name for p, _ in FILES}
    assert packs >= {"national", "inner_mongolia", "baotou", "imust", "ordos", "dongsheng"}


@pytest.mark.parametrize("path,index,case", CASES,
                         ids=[f"{p.parent.parent.name}/{p.stem}#{i}:{c.get('name', '')}" for p, i, c in CASES])
def test_pack_case(policies, path, index, case):
    r = run_case(policies, str(path), index, case)
    assert r.ok, r.message


def test_policyengine_test_command(capsys):
    from policyengine.cli import main

    assert main(["test", "--lang", "en", str(ROOT / "policies")]) == 0
    assert " passed, 0 failed" in capsys.readouterr().out
    assert main(["test", str(ROOT / "policies")]) == 0  # Chinese by default
    assert capsys.readouterr().out.endswith("个，失败 0 个\n")


def test_a_test_file_that_does_not_load_fails_alone_and_the_others_run(tmp_path, capsys):
    """One indentation slip in one test file stopped every test (no summary, none of ~600 cases run)."""
    import shutil

    from policyengine.cli import main

    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    f = tmp_path / "policies" / "ordos" / "tests" / "ordos.yaml"
    text = f.read_text(encoding="utf-8")
    # (the second breaks before its kind can be read: with the rule files it is one of theirs to the check that
    # comes first, so it is tested among the test files alone, against the shipped packs)
    for broken, where in ((text.replace("    expect:", "     expect:", 1), tmp_path / "policies"),
                          (text.replace("kind: policy-test", "kind：policy-test", 1), tmp_path / "policies" / "ordos" / "tests")):
        f.write_text(broken, encoding="utf-8")
        assert main(["test", "--lang", "en", str(where), str(tmp_path / "policies" / "dongsheng" / "tests")]) == 1
        out = capsys.readouterr().out
        assert "FAIL" in out and "ordos.yaml" in out and "(the test file)" in out and "PE001" in out, out
        assert " passed, 1 failed" in out and int(out.rsplit(" passed", 1)[0].split()[-1]) > 0, out


def test_a_number_expected_in_quotes_is_shown_as_text_beside_the_number(tmp_path, capsys):
    """'expect: {min_policy_briefings_per_year: "2"}' failed as '应为 2，实际为 2'."""
    from policyengine.cli import main

    t = tmp_path / "t.yaml"
    t.write_text("kind: policy-test\nversion: 1\ncases:\n  - subject: commissioner\n    jurisdiction: cn/nm/ordos/dongsheng\n"
                 "    as_of: 2024-08-01\n    facts: {year: 2024}\n    expect: {min_policy_briefings_per_year: \"2\"}\n",
                 encoding="utf-8")
    assert main(["test", str(t)]) == 1
    out = capsys.readouterr().out
    assert "min_policy_briefings_per_year：应为 “2”（文字），实际为 2（写 2：不加引号或单位）" in out, out
    # a date expected in quotes, as every test file writes one, is a date (it was called text on both sides)
    t.write_text(t.read_text(encoding="utf-8").replace('{min_policy_briefings_per_year: "2"}', "{retention_until: '2029-03-01'}"),
                 encoding="utf-8")
    assert main(["test", str(t)]) == 1
    out = capsys.readouterr().out
    assert "retention_until：应为 2029-03-01，实际为" in out and "（文字）" not in out, out


def test_the_shipped_packs_check_with_only_the_expected_warnings():
    from policyengine.api import load_rule_files

    from policyengine.diagnostics import CODES, Severity

    ps = load_rule_files([ROOT / "policies"])
    assert not ps.errors
    # every warning is reviewed: acknowledged in its rule file (a note carrying the reason), none left open
    assert [d for d in ps.diagnostics if d.severity is Severity.WARNING] == []
    acked = [d for d in ps.diagnostics if d.severity is Severity.INFO and CODES[d.code][0] is Severity.WARNING]
    assert all(d.related and d.related[-1].message.startswith("acknowledged: ") and len(d.related[-1].message) > 40
               and d.related[-1].zh.startswith("已确认：") for d in acked)
    warnings = sorted((d.code, Path(d.span.file).name, d.span.line) for d in acked)
    by_code = {}
    for code, _, _ in warnings:
        by_code[code] = by_code.get(code, 0) + 1
    # the Baotou tables: overlaps at 30 (附件3 item 5, 附件2 item 1), at 60 (附件2 items 5, 6), the gap at 0
    # (附件2 item 1), and '70分以下' against '70-84分' in both tables
    assert by_code["PE040"] == 4 and by_code["PE041"] == 1 and by_code["PE044"] == 2
    assert by_code["PE051"] >= 1 and by_code["PE050"] >= 7 and by_code["PE054"] >= 5
