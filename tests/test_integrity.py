"""Issue 13: what a hostile rule file or tree cannot do that tests/hostile/ cannot show as one command.

* ``diff git:A git:B`` reads the trees as committed: the compared tree's ``.gitattributes``
  (``export-ignore``, ``export-subst``) changes nothing, and a committed symbolic link is
  refused (PE071) rather than crashing the extraction;
* the step budget of an evaluation covers aggregates at every depth, through the library too;
* the confusable-name skeletons fold the look-alikes that matter and nothing in plain ASCII;
* the table analysis is a sweep over the tier ends: the same findings as a walk over every
  value, whatever the size of the numbers.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from policyengine import Policies, PolicyError
from policyengine.api import load_rule_files
from policyengine.confusables import skeleton
from policyengine.diff import run_diff

HOSTILE = Path(__file__).resolve().parent / "hostile"
RULE_BASE = (HOSTILE / "rule_base_accepted.yaml").read_text(encoding="utf-8")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    r = tmp_path / "repo"
    (r / "policies").mkdir(parents=True)
    _git(r, "init", "-q")
    (r / "policies" / "base.yaml").write_text(RULE_BASE, encoding="utf-8")
    _git(r, "add", "-A")
    _git(r, "commit", "-qm", "base")
    _git(r, "tag", "A")
    monkeypatch.chdir(r)
    return r


def _second_document(doc_id: str, label: str) -> str:
    return (RULE_BASE.replace("id: hostile.test", f"id: {doc_id}").replace("id: hostile.rule", f"id: {doc_id}.rule")
            .replace("label: 测试规则", f"label: {label}").replace("service_days >= 30", "service_days >= 60"))


def test_diff_git_ignores_export_ignore_of_the_compared_tree(repo: Path, capsys):
    # a new rule file that the compared tree marks export-ignore: `git archive` left it out, so
    # the auditor read "No difference." while `check` (and evaluation) load it
    (repo / "policies" / "hidden.yaml").write_text(_second_document("hostile.hidden", "隐藏的规则"), encoding="utf-8")
    (repo / ".gitattributes").write_text("policies/hidden.yaml export-ignore\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "hidden rule")
    assert len(load_rule_files([repo / "policies"]).documents) == 2
    rc = run_diff("git:A", "git:HEAD", as_of="2024-03-01", lang="en")
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "hostile.hidden" in out and "No difference." not in out


def test_diff_git_ignores_export_subst_of_the_compared_tree(repo: Path, capsys):
    # export-subst would rewrite $Format:…$ in the archive: the auditor must see what is committed
    (repo / "policies" / "base.yaml").write_text(RULE_BASE.replace("label: 测试规则", "label: 规则$Format:%H$"),
                                                 encoding="utf-8")
    (repo / ".gitattributes").write_text("policies/base.yaml export-subst\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "subst")
    rc = run_diff("git:A", "git:HEAD", as_of="2024-03-01", fmt="json")
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "规则$Format:%H$" in out


def test_diff_git_refuses_a_committed_link_out_of_the_tree(repo: Path, capsys):
    # `git archive` + tarfile's data filter raised LinkOutsideDestinationError: exit 3 before
    os.symlink("/etc/passwd", repo / "policies" / "env.yaml")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "link")
    rc = run_diff("git:A", "git:HEAD", as_of="2024-03-01", lang="en")
    err = capsys.readouterr().err
    assert rc == 2
    assert "PE071" in err and "env.yaml" in err and "root:" not in err


def test_diff_git_same_tree_is_no_difference(repo: Path, capsys):
    assert run_diff("git:A", "git:A", as_of="2024-03-01", lang="en") == 0
    assert "No difference." in capsys.readouterr().out


# --- evaluation budget, through the library --------------------------------------------------


def test_nested_aggregates_stop_with_pe080_through_the_library():
    pol = Policies.load(HOSTILE / "rule_nested_aggregates.yaml")
    case = {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01",
            "facts": {"service_days": 40, "good_conduct": True}}
    with pytest.raises(PolicyError) as e:
        pol.evaluate(case)
    assert [d.code for d in e.value.diagnostics] == ["PE080"]
    assert "steps" in e.value.diagnostics[0].message
    with pytest.raises(PolicyError):  # the budget is per evaluation: the next one is refused the same way
        pol.evaluate(case, explain=False)


def test_output_function_aggregates_are_bounded_too():
    # a single outcome computed on its own (as the benchmarks and tools do) has the same bound
    import datetime as _dt

    from policyengine.runtime import EvalLimit

    pol = Policies.load(HOSTILE / "rule_nested_aggregates.yaml")
    fn = pol.program("cn", _dt.date(2024, 3, 1), "commissioner").output_function("hits")
    with pytest.raises(EvalLimit):
        fn({"service_days": 40, "good_conduct": True}, _dt.date(2024, 3, 1))


def test_a_long_history_list_is_within_the_budget():
    # one level over the longest list a case may hold is far below the budget
    pol = Policies.load()
    history = [{"year": 1000 + i, "grade": "qualified"} for i in range(9_000)]
    d = pol.evaluate({"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01",
                      "facts": {"evaluation_history": history, "year": 2023}})
    assert d.outputs is not None


# --- confusable skeletons ----------------------------------------------------------------------


@pytest.mark.parametrize("lookalike", ["g\u043e\u043ed_conduct", "g\u03bfod_conduct", "\uff47ood_conduct",
                                       "go\u200bod_conduct", "\u0261ood_conduct"])
def test_skeleton_folds_lookalikes(lookalike):
    assert skeleton(lookalike) == "good_conduct"


def test_skeleton_keeps_ascii_and_chinese_apart():
    assert skeleton("good_conduct") == "good_conduct"
    assert skeleton("goad_conduct") != skeleton("good_conduct")
    assert skeleton("服务天数") == "服务天数"
    assert skeleton("rn") != skeleton("m")  # two ASCII names are never confusable with each other


# --- tables: a sweep gives what the walk over every value gave ----------------------------------


def test_table_sweep_matches_a_walk_over_every_value():
    from policyengine.check import _sweep
    from policyengine.policy import Tier

    import random

    rng = random.Random(13)
    for _ in range(300):
        tiers = []
        for _ in range(rng.randint(0, 6)):
            lo = rng.choice([None, rng.randint(0, 30)])
            hi = rng.choice([None, rng.randint(0, 30)])
            tiers.append(Tier(lo, hi, rng.randint(0, 10), None))
        top = 31
        rank = lambda k: (-tiers[k].points, -(tiers[k].min or 0), k)  # noqa: E731
        runs = _sweep(tiers, top, rank)
        assert runs[0][0] == 0 and runs[-1][1] == top
        for (a, b, first, second, win) in runs:
            for v in range(a, b + 1):
                cov = [k for k, t in enumerate(tiers) if t.covers(v)]
                assert first == (cov[0] if cov else None)
                assert second == (cov[1] if len(cov) > 1 else None)
                assert win == (max(cov, key=lambda k: (tiers[k].points, tiers[k].min or 0)) if cov else None)


# --- did-you-mean within a budget ------------------------------------------------------------


def test_unknown_facts_of_a_case_get_suggestions_within_a_budget(tmp_path: Path):
    # 3,000 unknown facts against 3,000 declared ones: compared each with each, 9 million
    # comparisons (about a minute); within the budget the first get a suggestion, the rest none
    facts = "".join(f"    fact_number_{i}: {{type: int, label: x}}\n" for i in range(3000))
    rules = RULE_BASE.replace("    good_conduct: {type: bool, label: 品行良好}\n",
                              "    good_conduct: {type: bool, label: 品行良好}\n" + facts)
    (tmp_path / "many_facts.yaml").write_text(rules, encoding="utf-8")
    pol = Policies.load(tmp_path / "many_facts.yaml")
    case = {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01",
            "facts": {f"fact_numbr_{i}": 1 for i in range(3000)}}
    import time

    start = time.process_time()
    with pytest.raises(PolicyError) as e:
        pol.case(case)
    assert time.process_time() - start < 30  # a guard against the quadratic walk, not a benchmark
    diags = e.value.diagnostics
    assert len(diags) == 3000 and {d.code for d in diags} == {"PE061"}
    hinted = [d for d in diags if d.hint and "did you mean" in d.hint]
    assert 0 < len(hinted) < 3000
