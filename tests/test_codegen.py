"""The generated decision functions compute each value once.

Layers restate rules and rules share conditions; the generator assigns an
expression that was already computed to nothing new (its variable is used),
and a Kleene all/any does not list a value twice.  Checked on the generated
code of every shipped program; that the decisions stay right is the business
of the differential, golden and pack tests.
"""
from __future__ import annotations

import ast
import datetime as dt
import re

import pytest

from policyengine import Policies

POLICIES = Policies.load()
SUBJECTS = ("commissioner", "enterprise", "workstation", "jurisdiction")
PROGRAMS = [(j, s) for j in sorted(POLICIES.policy_set.jurisdictions) for s in SUBJECTS]


def _canonical(node: ast.AST) -> str:
    temps: dict[str, str] = {}
    return re.sub(r"\b_t[0-9]+\b", lambda m: temps.setdefault(m.group(), f"_t{len(temps)}"), ast.unparse(node))


@pytest.mark.parametrize("jurisdiction, subject", PROGRAMS)
def test_each_value_is_computed_once(jurisdiction, subject):
    prog = POLICIES.program(jurisdiction, dt.date(2024, 3, 1), subject)
    fn = ast.parse(prog._run.__source__).body[0]
    seen: dict[str, str] = {}
    for st in fn.body:
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)):
            continue
        target = st.targets[0].id
        if not re.fullmatch(r"v[0-9]+([wb][0-9]+)?", target):
            continue  # scoring-table working variables and fact loads
        code = _canonical(st.value)
        assert code not in seen, f"{target} computes again what {seen.get(code)} holds: {code}"
        seen[code] = target
        for call in ast.walk(st.value):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("_all", "_any"):
                items = [ast.unparse(x) for x in call.args[0].elts]
                assert len(items) == len(set(items)), f"{target}: a value listed twice in {call.func.id}"


def test_restated_rules_share_their_values_in_the_imust_program():
    """At IMUST the region's and the city's duties are restated: in the record of the rules of
    an outcome, one variable stands for several rules."""
    prog = POLICIES.program("cn/nm/baotou/imust", dt.date(2024, 3, 1), "commissioner")
    shared = 0
    for line in prog._run.__source__.splitlines():
        m = re.match(r"\s*if T is not None: T\[c[0-9]+\] = \((.*)\)$", line)
        if m:
            held = re.findall(r"\(True, (v[0-9]+b[0-9]+)\)", m.group(1))
            shared += len(held) - len(set(held))
    assert shared > 0
