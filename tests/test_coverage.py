"""Every article and clause of the seven documents is accounted for in its coverage table.

The lists below were made by reading the documents (the seven source documents);
a clause is covered when a coverage key names it (or a finer part of it) and
the entry gives rule ids that exist or says why it decides nothing.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policyengine.api import load_rule_files
from policyengine.records import is_text

ROOT = Path(__file__).resolve().parent.parent


def cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def articles(n: int) -> list[str]:
    return [f"第{cn(i)}条" for i in range(1, n + 1)]


def clauses(prefix: str, n: int, start: int = 1) -> list[str]:
    return [f"{prefix}({cn(i)})" for i in range(start, start + n)]


REQUIRED = {
    "cn.guobanfa-2016-32": ["序言"] + clauses("一", 2) + clauses("二", 3, 3) + clauses("三", 3, 6) + clauses("四", 3, 9),
    "nm.commissioner-measures": [a for a in articles(22) if a not in ("第六条", "第七条", "第八条", "第九条")]
    + ["第六条(一)1", "第六条(一)2", "第六条(一)3", "第六条(二)"] + clauses("第七条", 6) + clauses("第八条", 3) + clauses("第九条", 5),
    "bt.innovation-opinion-2023-1": ["一(一)", "一(二)", "二"] + [f"三{i}" for i in range(1, 16)]
    + [f"四{i}" for i in range(16, 23)] + clauses("五", 4),
    "bt.commissioner-plan": ["一"] + clauses("二", 4) + clauses("三", 2) + clauses("四", 2) + clauses("五", 3)
    + clauses("六", 4) + clauses("七", 4) + [f"附件1 {a}" for a in articles(6)] + ["附件2", "附件3"],
    "imust.notice-first-hundred": clauses("一", 4) + clauses("二", 3) + clauses("三", 6) + clauses("四", 3)
    + clauses("五", 5) + clauses("六", 5),
    "imust.measures-2023-45": articles(14),
    "dongsheng.plan-2024-17": ["一", "二(一)一", "二(一)二", "二(一)三", "二(一)四"] + clauses("三", 5) + clauses("四", 4)
    + ["五1", "五2"],
    "ordos.ekefa-2024-26": ["全文"],
}


def norm(s: str) -> str:
    return s.replace("（", "(").replace("）", ")").replace(" ", "")


@pytest.fixture(scope="module")
def policy_set():
    return load_rule_files([ROOT / "policies"])


def test_the_seven_documents_and_the_empty_layer_have_tables(policy_set):
    assert set(policy_set.coverage) == set(REQUIRED)


@pytest.mark.parametrize("doc", sorted(REQUIRED))
def test_every_clause_is_accounted_for(policy_set, doc):
    keys = [norm(k) for k in policy_set.coverage[doc]]
    missing = [c for c in REQUIRED[doc] if not any(k == norm(c) or k.startswith(norm(c)) for k in keys)]
    assert not missing, f"{doc}: no coverage entry for {missing}"


@pytest.mark.parametrize("doc", sorted(REQUIRED))
def test_every_entry_names_rules_or_says_why_not(policy_set, doc):
    known = {r.id for r in policy_set.rules} | {p.name for p in policy_set.params} | {d.name for d in policy_set.definitions}
    for article, entry in policy_set.coverage[doc].items():
        if isinstance(entry, str):
            assert entry.startswith("not decisional") and len(entry) > len("not decisional: ") + 5, (article, entry)
        elif is_text(entry):  # why it decides nothing, in both languages
            assert len(entry.zh) >= 2 and len(entry.en or "") >= 5, (article, entry)
        else:
            assert entry and set(entry) <= known, (article, set(entry) - known)


def test_coverage_command_lists_every_document(capsys):
    from policyengine.cli import main

    assert main(["coverage", str(ROOT / "policies"), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.count("## ") == len(REQUIRED)
    assert "| 第七条(二) | nm.commissioner.qualification, nm.commissioner.experience |" in out



def test_coverage_of_one_folder_or_file_reads_it_in_its_policy_set(tmp_path, capsys):
    """``coverage FILE|DIR`` reads what it is given with the rest of its policy set, as ``check`` does:
    a new district's folder finds its parent, and only the tables of the files given are shown."""
    from policyengine.cli import main

    shutil.copytree(ROOT / "policies", pol := tmp_path / "policies")
    shutil.copytree(Path(__file__).parent / "data" / "kangbashi", district := pol / "ordos" / "kangbashi")
    assert main(["coverage", str(district), "--policies", str(pol)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "康巴什区企业科技特派员工作方案 — cn/nm/ordos/kangbashi\n  三(一): min_service_days\n"
    assert main(["coverage", str(ROOT / "policies" / "imust" / "measures_2023_45.yaml"), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.count("## ") == 1 and out.startswith("## 内蒙古科技大学") and "| 第一条 |" in out
