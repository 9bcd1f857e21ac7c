"""Every CONTRACT outcome is produced for its subject at every jurisdiction where a document
defines it, and absent where none does; given every CONTRACT fact, none is undetermined."""
from __future__ import annotations

from pathlib import Path

import pytest

from policyengine import Policies
from policyengine.load import load_file

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_OUTCOMES = {
    "eligible", "min_service_days_per_year", "min_dispatch_months", "min_policy_briefings_per_year",
    "min_projects_assisted_per_year", "monthly_report_due_day", "compliant", "score", "grade", "filing_revoked",
    "rectification_required", "blacklisted", "banned_until", "retention_until", "may_take_part_time_pay",
    "counts_as_secondment", "listing_reward_cny", "targets_met",
}
NM = {"eligible", "min_service_days_per_year", "min_dispatch_months", "compliant", "banned_until", "retention_until"}
BAOTOU = NM | {"score", "grade", "filing_revoked", "blacklisted", "may_take_part_time_pay"}
EXPECTED = {
    "commissioner": {
        "cn": {"retention_until"},  # 国办发〔2016〕32号 (七)
        "cn/nm": NM,
        "cn/nm/ordos": NM,  # the empty layer
        "cn/nm/baotou": BAOTOU,
        "cn/nm/baotou/imust": BAOTOU | {"counts_as_secondment", "rectification_required"},
        "cn/nm/ordos/dongsheng": NM | {"min_policy_briefings_per_year", "min_projects_assisted_per_year",
                                       "monthly_report_due_day"},
    },
    "workstation": {
        "cn": set(),
        "cn/nm": {"eligible", "rectification_required"},
        "cn/nm/ordos": {"eligible", "rectification_required"},
        "cn/nm/ordos/dongsheng": {"eligible", "rectification_required"},
        "cn/nm/baotou": {"eligible", "rectification_required", "score", "grade", "filing_revoked", "compliant"},
        "cn/nm/baotou/imust": {"eligible", "rectification_required", "score", "grade", "filing_revoked", "compliant"},
    },
    "enterprise": {
        "cn": set(),
        "cn/nm": {"eligible", "banned_until", "compliant"},
        "cn/nm/ordos": {"eligible", "banned_until", "compliant"},
        "cn/nm/ordos/dongsheng": {"eligible", "banned_until", "compliant"},
        "cn/nm/baotou": {"eligible", "banned_until", "compliant", "listing_reward_cny"},
        "cn/nm/baotou/imust": {"eligible", "banned_until", "compliant", "listing_reward_cny"},
    },
    "jurisdiction": {  # targets bind only the jurisdiction that set them (as of 2024-12-20)
        "cn": set(), "cn/nm": set(), "cn/nm/ordos": set(),
        "cn/nm/baotou": {"targets_met"}, "cn/nm/baotou/imust": {"targets_met"},
        "cn/nm/ordos/dongsheng": {"targets_met"},
    },
}
# outcomes the packs extend beyond the CONTRACT's subjects (rectification for IMUST commissioners,
# compliance of enterprises and workstations) are listed above as they are produced
FACTS = {
    "commissioner": load_file(ROOT / "examples" / "imust_teacher_annual_evaluation.yaml").data["facts"],
    "workstation": load_file(ROOT / "examples" / "baotou_workstation_score.yaml").data["facts"],
    "enterprise": {k: v for k, v in load_file(ROOT / "examples" / "enterprise_eligibility.yaml").data["facts"].items()
                   if k != "allowance_paid_on_time"},
    "jurisdiction": {k: v for k, v in load_file(ROOT / "examples" / "baotou_targets_2023.yaml").data["facts"].items()},
}


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


@pytest.mark.parametrize("subject,jurisdiction", [(s, j) for s in EXPECTED for j in EXPECTED[s]])
def test_contract_outcomes_in_force(policies, subject, jurisdiction):
    d = policies.evaluate({"subject": subject, "jurisdiction": jurisdiction, "as_of": "2024-12-20",
                           "facts": FACTS[subject]})
    produced = set(d.outputs) & CONTRACT_OUTCOMES
    assert produced == EXPECTED[subject][jurisdiction]
    undetermined = [e.output for e in d.explanation if e.output in CONTRACT_OUTCOMES and e.status == "undetermined"]
    # the enterprise's allowance (an outcome of the packs' own reading of 第二十条) is left out on purpose
    assert undetermined == ([] if subject != "enterprise" or jurisdiction == "cn" else ["compliant"])
