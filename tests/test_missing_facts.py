"""The CONTRACT: "An outcome that cannot be decided because facts are missing is null and the explanation names
the missing facts" — also an outcome that is undetermined because an outcome it reads is (the grade of a score
left open): a review found 372 such outcomes naming none."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policyengine import Policies

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").iterdir())


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_undetermined_outcome_names_the_facts_left_out(policies, example):
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    valid = policies.case(example)  # (its facts as the engine reads them: 4.5 a Decimal)
    case = {"subject": valid.subject, "jurisdiction": valid.jurisdiction, "as_of": valid.as_of,
            "facts": {k: valid.facts[k] for k in raw["facts"]}}
    checked = 0
    for left_out in sorted(case["facts"]):
        facts = {k: v for k, v in case["facts"].items() if k != left_out}
        d = policies.evaluate({**case, "facts": facts})
        compact = {e["output"]: e for e in d.to_dict()["explanation"]}
        full = {e["output"]: e for e in d.to_dict(full=True)["explanation"]}
        for name, e in compact.items():
            if e["status"] != "undetermined":
                continue
            checked += 1
            named = e.get("missing_facts", [])
            assert named and not set(named) & set(facts), (left_out, name, named)
            assert named == full[name].get("missing_facts", []), (left_out, name)
            assert all(n in full[name]["text"] for n in named), (left_out, name)  # (the headline says them too)
    assert checked or example.stem.startswith("jurisdiction"), "no fact left out left an outcome undetermined"
