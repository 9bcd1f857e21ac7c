"""The README's library example runs and says what the README says it says."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXAMPLE = '''\
policies = Policies.load()                 # the shipped packs; or Policies.load("path/to/policies")
decision = policies.evaluate({
    "subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10",
    "facts": {"registered_in_region": True, "is_tech_enterprise": True, "does_rd_and_production": True,
              "operating_normally": True, "well_managed": True, "bad_credit_record": False,
              "has_research_conditions": True, "has_research_funds": True, "listed_exchange": "domestic"},
})
'''


def test_the_readme_shows_this_example():
    assert EXAMPLE in (ROOT / "README.md").read_text(encoding="utf-8")


CASE = {
    "subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10",
    "facts": {"registered_in_region": True, "is_tech_enterprise": True, "does_rd_and_production": True,
              "operating_normally": True, "well_managed": True, "bad_credit_record": False,
              "has_research_conditions": True, "has_research_funds": True, "listed_exchange": "domestic"},
}


def test_the_example_gives_what_the_readme_says():
    from policyengine import Policies

    policies = Policies.load()
    decision = policies.evaluate(CASE)
    assert decision.outputs["eligible"] is True
    assert decision.outputs["listing_reward_cny"] == 23000000
    assert decision.to_json() == policies.evaluate(CASE).to_json()  # byte-identical
    assert all(e.text for e in decision.explanation)


def test_the_api_docstring_example():
    import doctest

    import policyengine.api

    failures, tried = doctest.testmod(policyengine.api)
    assert tried > 0 and failures == 0
