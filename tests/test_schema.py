"""The JSON Schemas printed by ``policyengine schema`` are valid and describe what ships.

* ``policyengine schema`` (rule files), ``--case`` and ``--decision`` print valid Draft
  2020-12 schemas;
* every shipped rule file of kind ``policy-document`` under ``policies/`` validates
  against the rule-file schema (read with the engine's own safe loader, dates as ISO
  text and Decimals as JSON numbers);
* every example case (``examples/*.yaml`` and ``*.json``, whatever exists when the
  tests run) and the two small cases of ``tests/data/cases/`` validate against the
  case schema;
* ``policyengine evaluate CASE --format json`` of each of those cases validates
  against the decision schema, and a second run — in a fresh process with another
  hash seed — prints the same bytes;
* the schemas are not vacuous: broken copies of a rule file, a case and a decision
  are rejected.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from policyengine.cli import main
from policyengine.load import load_file

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
EXAMPLES = ROOT / "examples"
OWN_CASES = Path(__file__).resolve().parent / "data" / "cases"
V = jsonschema.Draft202012Validator


def _cli_json(capsys, *argv: str):
    capsys.readouterr()  # start from an empty capture
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert rc == 0, f"policyengine {' '.join(argv)} exited {rc}: {err}"
    assert out.endswith("\n")
    return json.loads(out), out


@pytest.fixture(scope="module")
def schemas():
    """The three schemas, printed once per module (capsys is per test, so stdout is redirected here)."""
    out = {}
    for key, argv in (("rule", ["schema"]), ("case", ["schema", "--case"]), ("decision", ["schema", "--decision"])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(argv) == 0
        out[key] = json.loads(buf.getvalue())
    return out


def to_json(v):
    """A loaded YAML value as JSON would carry it: dates as ISO text, Decimals as numbers."""
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and v.as_tuple().exponent >= 0 else float(v)
    return v


def _errors(schema: dict, instance) -> list[str]:
    val = V(schema, format_checker=V.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in sorted(val.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]


def _rule_files() -> list[Path]:
    out = []
    for p in sorted(POLICIES.rglob("*.yaml")):
        data = load_file(p).data
        if isinstance(data, dict) and data.get("kind") == "policy-document":
            out.append(p)
    return out


def _case_files() -> list[Path]:
    found = []
    if EXAMPLES.is_dir():
        found += sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    found += sorted(OWN_CASES.glob("*.yaml"))
    return found


RULE_FILES = _rule_files()
CASE_FILES = _case_files()


def _id(p: Path) -> str:
    return str(p.relative_to(ROOT))


# --- the schemas themselves -------------------------------------------------------------


@pytest.mark.parametrize("argv", [["schema"], ["schema", "--case"], ["schema", "--decision"]], ids=" ".join)
def test_schema_command_prints_a_valid_json_schema(capsys, argv):
    schema, text = _cli_json(capsys, *argv)
    V.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("$id") and schema.get("title")
    again, text2 = _cli_json(capsys, *argv)
    assert text2 == text  # deterministic


def test_there_is_something_to_validate():
    assert RULE_FILES, "no policy-document rule files found under policies/"
    assert len(CASE_FILES) >= 2


# --- rule files -------------------------------------------------------------------------


@pytest.mark.parametrize("path", RULE_FILES, ids=_id)
def test_shipped_rule_file_validates(schemas, path):
    data = to_json(load_file(path).data)
    errors = _errors(schemas["rule"], data)
    assert not errors, f"{_id(path)} does not match `policyengine schema`:\n" + "\n".join(errors)


def test_rule_schema_rejects_broken_rule_files(schemas):
    good = to_json(load_file(RULE_FILES[0]).data)
    assert not _errors(schemas["rule"], good)
    broken = []
    b = copy.deepcopy(good)
    b["kind"] = "policy-doc"
    broken.append(b)
    b = copy.deepcopy(good)
    b["extra_section"] = {}
    broken.append(b)
    b = copy.deepcopy(good)
    del b["document"]
    broken.append(b)
    b = copy.deepcopy(good)
    b["version"] = 2
    broken.append(b)
    b = copy.deepcopy(good)
    b["document"]["effective"] = "2024-02-30"
    broken.append(b)
    if good.get("rules"):
        b = copy.deepcopy(good)
        b["rules"][0]["kind"] = "wish"
        broken.append(b)
        b = copy.deepcopy(good)
        b["rules"][0]["condtion"] = "true"  # misspelt field
        broken.append(b)
    for b in broken:
        assert _errors(schemas["rule"], b), b


# --- cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CASE_FILES, ids=_id)
def test_case_file_validates(schemas, path):
    data = to_json(load_file(path).data)
    errors = _errors(schemas["case"], data)
    assert not errors, f"{_id(path)} does not match `policyengine schema --case`:\n" + "\n".join(errors)


def test_case_schema_rejects_broken_cases(schemas):
    good = to_json(load_file(OWN_CASES / "cn_commissioner_public_welfare.yaml").data)
    assert not _errors(schemas["case"], good)
    edits = [
        lambda c: c.update(subject="citizen"),
        lambda c: c.update(jurisdiction="cn/nowhere"),
        lambda c: c.update(as_of="2024-13-01"),
        lambda c: c.pop("as_of"),
        lambda c: c.update(unexpected=1),
        lambda c: c["facts"].update(servce_days=30),  # misspelt fact
        lambda c: c["facts"].update(employer_type="palace"),  # not a value of the enum
        lambda c: c["facts"].update(employer_is_public_institution="yes"),  # text, not a boolean
        lambda c: c["facts"].update(service_days=30.5),  # a count is whole
        lambda c: c["facts"].update(dispatch_start="2024-02-30"),
        lambda c: c["facts"].update(evaluation_history=[{"year": 2023}]),  # grade missing
        lambda c: c["facts"].update(evaluation_history=[{"year": -1, "grade": "qualified"}]),  # a year below 0
        lambda c: c["facts"].update(registered_in_region=True),  # a workstation's fact, not a commissioner's
    ]
    for edit in edits:
        bad = copy.deepcopy(good)
        edit(bad)
        assert _errors(schemas["case"], bad), bad


# --- the evaluate output ----------------------------------------------------------------


@pytest.mark.parametrize("path", CASE_FILES, ids=_id)
def test_evaluate_json_validates_and_is_reproducible(schemas, capsys, path):
    decision, text = _cli_json(capsys, "evaluate", str(path), "--format", "json")
    errors = _errors(schemas["decision"], decision)
    assert not errors, f"evaluate {_id(path)} does not match `policyengine schema --decision`:\n" + "\n".join(errors)
    case = load_file(path).data
    assert decision["subject"] == case["subject"] and decision["jurisdiction"] == case["jurisdiction"]
    assert decision["as_of"] == to_json(case["as_of"])
    # the same bytes again in this process, and in a fresh one with another hash seed
    _, text2 = _cli_json(capsys, "evaluate", str(path), "--format", "json")
    assert text2 == text
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "policyengine.cli", "evaluate", str(path), "--format", "json"],
                          capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout.decode("utf-8") == text


def test_own_case_outcome(capsys):
    """5 years from 2024-02-29 end on 2029-02-28 (民法典 第二百零三条), through the command line."""
    decision, _ = _cli_json(capsys, "evaluate", str(OWN_CASES / "cn_commissioner_public_welfare.yaml"), "--format", "json")
    assert decision["outputs"]["retention_until"] == "2029-02-28"
    decision, _ = _cli_json(capsys, "evaluate", str(OWN_CASES / "cn_commissioner_entrepreneur_unknown_start.yaml"),
                            "--format", "json")
    assert decision["outputs"]["retention_until"] is None
    (expl,) = [x for x in decision["explanation"] if x["output"] == "retention_until"]
    assert expl["missing_facts"] == ["dispatch_start"] and expl["status"] == "undetermined"


def test_decision_schema_rejects_broken_output(schemas, capsys):
    decision, _ = _cli_json(capsys, "evaluate", str(CASE_FILES[0]), "--format", "json")
    assert not _errors(schemas["decision"], decision)
    for edit in (lambda d: d.pop("outputs"), lambda d: d.update(subject="citizen"), lambda d: d.update(extra=1),
                 lambda d: d["explanation"][0].update(status="maybe") if d["explanation"] else d.pop("as_of"),
                 lambda d: d["outputs"].update(x=1.5)):
        bad = copy.deepcopy(decision)
        edit(bad)
        assert _errors(schemas["decision"], bad), bad
