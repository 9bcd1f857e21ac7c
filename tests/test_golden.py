"""Golden outputs: the text an officer reads and the JSON a program reads.

The same commissioner is decided at four jurisdictions; each example case is
decided as shipped.  Regenerate after an intended change with
``UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from policyengine import Policies
from policyengine.load import load_file

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.*"))
JURISDICTIONS = ["cn/nm", "cn/nm/baotou", "cn/nm/baotou/imust", "cn/nm/ordos/dongsheng"]


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def teacher_case(jurisdiction: str) -> dict:
    data = load_file(ROOT / "examples" / "imust_teacher_annual_evaluation.yaml").data
    return {"subject": data["subject"], "jurisdiction": jurisdiction, "as_of": "2024-12-20", "facts": data["facts"]}


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_same_case_at_four_jurisdictions(policies, jurisdiction):
    slug = jurisdiction.replace("/", "_")
    d = policies.evaluate(teacher_case(jurisdiction))
    check(f"teacher@{slug}.zh.txt", d.to_text())
    check(f"teacher@{slug}.json", d.to_json(indent=2) + "\n")
    check(f"teacher@{slug}.en.txt", policies.evaluate(teacher_case(jurisdiction), lang="en").to_text())


def test_the_layers_give_the_answers_the_documents_give(policies):
    out = {j: policies.evaluate(teacher_case(j)).outputs for j in JURISDICTIONS}
    # 附件3 applies in Baotou and at IMUST (内科大校发〔2023〕45号 第十三条), never in Dongsheng
    assert out["cn/nm/baotou"]["score"] == out["cn/nm/baotou/imust"]["score"] == 74
    assert "score" not in out["cn/nm"] and "score" not in out["cn/nm/ordos/dongsheng"]
    # the region's one-year term is a default; IMUST's measures replace it with six months for dispatches begun
    # from 2023-07-07 — this one began 2023-03-15 and keeps the 12 months of the first rules that governed it
    assert [out[j]["min_dispatch_months"] for j in JURISDICTIONS] == [12, 12, 12, 12]
    later = dict(teacher_case("cn/nm/baotou/imust"), facts=dict(teacher_case("cn/nm")["facts"], dispatch_start="2023-09-01"))
    assert policies.evaluate(later).outputs["min_dispatch_months"] == 6
    # Dongsheng's 2024 plan binds 2024 only: for the assessed year 2023 it sets no number
    assert out["cn/nm/ordos/dongsheng"]["min_policy_briefings_per_year"] is None
    assert out["cn/nm/ordos/dongsheng"]["monthly_report_due_day"] is None
    # the assessed year is 2023, before Dongsheng's plan took effect: no monthly report was due then
    assert out["cn/nm/ordos/dongsheng"]["compliant"] is True
    # in 2024 (Dongsheng's plan in force from 2024-07-02) a commissioner who reported no month on time
    late_facts = dict(teacher_case("cn/nm")["facts"], year=2024, dispatch_start="2024-01-10", monthly_reports_on_time=0)
    late = {j: policies.evaluate(dict(teacher_case(j), facts=late_facts)) for j in ("cn/nm", "cn/nm/ordos/dongsheng")}
    assert late["cn/nm"].outputs["compliant"] is True  # the region asks for no monthly reports
    assert late["cn/nm/ordos/dongsheng"].outputs["compliant"] is False
    # for 2024 Dongsheng adds two briefings, one project and monthly reports by the 15th
    assert late["cn/nm/ordos/dongsheng"].outputs["min_policy_briefings_per_year"] == 2
    assert late["cn/nm/ordos/dongsheng"].outputs["monthly_report_due_day"] == 15
    (e,) = [e for e in late["cn/nm/ordos/dongsheng"].explanation if e.output == "compliant"]
    assert [r.id for r in e.deciding] == ["dongsheng.commissioner.monthly-reports"]
    assert out["cn/nm/baotou/imust"]["counts_as_secondment"] is True
    assert "counts_as_secondment" not in out["cn/nm/baotou"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples(policies, path):
    d = policies.evaluate(path)
    check(f"example.{path.stem}.zh.txt", d.to_text())
    first = d.to_json(indent=2)
    assert policies.evaluate(path).to_json(indent=2) == first  # deterministic
    assert json.loads(d.to_json()) == json.loads(first)  # compact and indented say the same
    check(f"example.{path.stem}.json", first + "\n")


def test_cli_text_and_json_match_the_library(policies, capsys):
    from policyengine.cli import main

    path = ROOT / "examples" / "baotou_workstation_score.yaml"
    assert main(["evaluate", str(path), "--format", "json"]) == 0
    assert capsys.readouterr().out == policies.evaluate(path).to_json(indent=2) + "\n"  # readable for a person
    assert main(["evaluate", str(path), "--lang", "en"]) == 0
    assert capsys.readouterr().out == policies.evaluate(path, lang="en").to_text()


# --- the auditor's diff of a proposed change -------------------------------------------------------

# a value, a note, a when, an item of a scoring table, and a rule added: the parts an auditor reads named on each
# row — in Chinese in the officers' words (取值：30 → 40), in English and JSON as the rule files write them
PROPOSED = [
    ("imust/measures_2023_45.yaml", "  min_service_days:\n    value: 30\n", "  min_service_days:\n    value: 40\n"),
    ("imust/measures_2023_45.yaml", "    when: year >= 2023\n    check: service_days >= min_service_days\n",
     "    when: year >= 2024\n    check: service_days >= min_service_days\n"),
    ("imust/measures_2023_45.yaml", "      zh: 第三条对每一项都写“一般应满足”", "      zh: 第三条对每一项都写“一般都应满足”"),
    ("baotou/commissioner_plan.yaml", "        max: 10\n        tiers:\n          - {min: 4, points: 10, label: A. 4家及以上}\n"
     "          - {min: 2, max: 3, points: 6,", "        max: 12\n        tiers:\n          - {min: 4, points: 10, label: A. 4家及以上}\n"
     "          - {min: 2, max: 3, points: 7,"),
    ("imust/measures_2023_45.yaml", "    restates: [nm.commissioner.conduct]\n",
     "    restates: [nm.commissioner.conduct]\n  - id: imust.measures.trial\n    kind: eligibility\n    subject: commissioner\n"
     "    label: {zh: 试行新增的条件, en: A condition added on trial}\n    citation: 第三条(一)\n"
     "    when: year >= 2024\n    condition: good_conduct\n"),
]
DIFF_FORMATS = [("zh", "text", "txt"), ("zh", "md", "md"), ("en", "text", "txt"), ("en", "md", "md"),
                ("zh", "json", "json"), ("en", "json", "json")]


@pytest.fixture(scope="module")
def proposed(tmp_path_factory):
    import shutil

    new = tmp_path_factory.mktemp("proposed") / "policies"
    shutil.copytree(ROOT / "policies", new)
    for name, before, after in PROPOSED:
        text = (new / name).read_text(encoding="utf-8")
        assert text.count(before) == 1, (name, before)
        (new / name).write_text(text.replace(before, after), encoding="utf-8")
    return new


@pytest.mark.parametrize("lang,fmt,ext", DIFF_FORMATS, ids=[f"{a}-{b}" for a, b, _ in DIFF_FORMATS])
def test_diff_of_a_proposed_change(proposed, lang, fmt, ext):
    import datetime as _dt

    from policyengine import __version__
    from policyengine.api import load_rule_files
    from policyengine.diff import diff_policies, render

    old, new = load_rule_files([ROOT / "policies"]), load_rule_files([proposed])
    assert not old.errors and not new.errors
    day = _dt.date(2024, 6, 1)
    text = render("policies", "proposed", day, diff_policies(old, new, day, lang), None, 0, fmt, lang, new)
    check(f"diff.proposed.{lang}.{ext}", text.replace(__version__, "{version}"))
