"""``policyengine test``: YAML test cases for policy packs.

A test file has ``kind: policy-test``, ``version: 1`` and ``cases``, a list of cases,
each a case (subject, jurisdiction, as_of, facts) with an optional ``name`` and
``description`` and what it must give:

* ``expect`` — a mapping of outcomes to the values the case must produce; an outcome
  expected as ``null`` must be null or absent;
* ``expect_absent`` — a list of outcomes that must not be produced at all;
* ``expect_error`` — ``true``, or a diagnostic code such as ``PE061`` (or a list of
  codes): the case must be refused (with a diagnostic of that code); a case that is
  decided then fails.

A failure prints expected vs actual and the explanation of that outcome.  A test file
that is malformed (``cases`` not a list, a case that is not a mapping, ``expect`` not a
mapping, an unknown key …) is reported with located diagnostics and counts as failed.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re

from .api import Policies, default_policy_dir
from .diagnostics import Diagnostic, PolicyError, printable, render_all
from .explain import to_json_value
from .load import find_files, load_file

__all__ = ["TestResult", "collect", "run_tests"]


@dataclass(frozen=True)
class TestResult:
    file: str
    name: str
    ok: bool
    message: str


_TOP = ("kind", "version", "cases")
_CASE_KEYS = ("subject", "jurisdiction", "as_of", "facts")
_TEST_KEYS = ("name", "description", "expect", "expect_absent", "expect_error")
_CODE = re.compile(r"PE[0-9]{3}\Z")


def collect(paths) -> list[tuple[Path, Any]]:
    """The test files under ``paths`` (their kind read from the parsed top level)."""
    out = []
    for f in find_files(paths)[0]:
        lf = load_file(f)  # a file that does not load is reported (PolicyError), never passed over
        if isinstance(lf.data, dict) and lf.data.get("kind") == "policy-test":
            out.append((f, lf))
    return out


def validate(lf) -> list[Diagnostic]:
    """What is wrong with the shape of a test file, each located."""
    data, diags = lf.data, []
    if data.get("version") != 1:
        diags.append(lf.diag("PE013", f"unsupported version {data.get('version')!r}",
                             ("version",) if "version" in data else (), hint="a test file has 'version: 1'"))
    for k in data:
        if k not in _TOP:
            diags.append(lf.diag("PE011", f"unknown field '{k}'", (k,), key=True, hint="a test file holds kind, version, cases"))
    cases = data.get("cases")
    if not isinstance(cases, list):
        diags.append(lf.diag("PE012", "cases: must be a list of cases" if "cases" in data else "'cases' is missing",
                             ("cases",) if "cases" in data else (), hint="write one '- subject: …' entry per case"))
        return diags
    for i, c in enumerate(cases):
        where = ("cases", i)
        if not isinstance(c, dict):
            diags.append(lf.diag("PE012", f"cases.{i}: a case must be a mapping (subject, jurisdiction, as_of, facts, expect)", where))
            continue
        for k in c:
            if k not in _CASE_KEYS + _TEST_KEYS:
                diags.append(lf.diag("PE011", f"cases.{i}: unknown field '{k}'", where + (k,), key=True,
                                     hint="a case holds " + ", ".join(_CASE_KEYS + _TEST_KEYS)))
        if c.get("expect") is not None and not isinstance(c["expect"], dict):
            diags.append(lf.diag("PE012", f"cases.{i}.expect: must be a mapping of outcome: value", where + ("expect",)))
        ea = c.get("expect_absent")
        if ea is not None and not (isinstance(ea, list) and all(isinstance(x, str) for x in ea)):
            diags.append(lf.diag("PE012", f"cases.{i}.expect_absent: must be a list of outcome names", where + ("expect_absent",)))
        ee = c.get("expect_error")
        if "expect_error" in c and not _expect_error_ok(ee):
            diags.append(lf.diag("PE012", f"cases.{i}.expect_error: must be true or a code such as PE061 (or a list of codes)",
                                 where + ("expect_error",)))
        if "name" in c and not isinstance(c["name"], str):
            diags.append(lf.diag("PE012", f"cases.{i}.name: must be text", where + ("name",)))
    return diags


def _expect_error_ok(v) -> bool:
    if v is True:
        return True
    codes = v if isinstance(v, list) else [v]
    return bool(codes) and all(isinstance(x, str) and _CODE.match(x) for x in codes)


def run_case(pol: Policies, file: str, index: int, c: dict, lang: str = "zh") -> TestResult:
    name = str(c.get("name") or f"case {index + 1}")
    data = {k: v for k, v in c.items() if k not in _TEST_KEYS}
    ee = c.get("expect_error")
    want_codes = set() if ee in (None, True) else set(ee if isinstance(ee, list) else [ee])
    try:
        d = pol.evaluate(data, lang=lang)
    except PolicyError as e:
        if ee is not None:
            got = {x.code for x in e.diagnostics}
            if not want_codes or want_codes & got:
                return TestResult(file, name, True, "")
            return TestResult(file, name, False, f"  expected an error {', '.join(sorted(want_codes))}, got:\n"
                              + render_all(e.diagnostics, lang))
        return TestResult(file, name, False, "the case did not evaluate:\n" + render_all(e.diagnostics, lang))
    if ee is not None:
        return TestResult(file, name, False, "  expected the case to be refused"
                          + (f" with {', '.join(sorted(want_codes))}" if want_codes else "") + ", but it was decided")
    problems = []
    actual = {k: to_json_value(v) for k, v in d.outputs.items()}
    for k, want in (c.get("expect") or {}).items():
        want = to_json_value(want)
        got = actual.get(k)
        if k not in actual and want is not None:
            problems.append(f"  {k}: expected {want!r}, but the layers in force do not define it")
        elif got != want:
            expl = next((e.text for e in d.explanation if e.output == k), "")
            problems.append(f"  {k}: expected {want!r}, got {got!r}\n    " + expl.replace("\n", "\n    "))
    for k in c.get("expect_absent") or ():
        if k in actual:
            problems.append(f"  {k}: expected absent, got {actual[k]!r}")
    return TestResult(file, name, not problems, "\n".join(problems))


def unknown_outcomes(lf, outcomes) -> list[Diagnostic]:
    """Outcome names in ``expect`` and ``expect_absent`` that no rule file declares (a misspelt
    'eligable'), each at its line with a did-you-mean."""
    from .types import suggest

    out = []
    for i, c in enumerate(lf.data.get("cases") or ()):
        if not isinstance(c, dict):
            continue
        named = [(k, ("cases", i, "expect", k), True) for k in (c.get("expect") or {})]
        named += [(k, ("cases", i, "expect_absent", j), False) for j, k in enumerate(c.get("expect_absent") or ())]
        for k, where, key in named:
            if k not in outcomes:
                s = suggest(str(k), outcomes)
                out.append(lf.diag("PE039", f"cases.{i}: unknown outcome '{printable(str(k))}'", where, key=key,
                                   hint=f"did you mean '{s}'?" if s else "the outcomes are declared under 'outputs:' "
                                        "of the rule files (policyengine schema --decision lists the JSON)"))
    return out


def run_file(pol: Policies, path: Path, lf, lang: str = "zh") -> list[TestResult]:
    bad = validate(lf)
    if not bad:
        bad = unknown_outcomes(lf, pol.policy_set.outputs)
    if bad:
        return [TestResult(str(path), "(the test file)", False, render_all(bad, lang))]
    cases = lf.data.get("cases") or []
    return [run_case(pol, str(path), i, c, lang) for i, c in enumerate(cases)]


def run_tests(paths, lang: str = "zh", policies=None, verbose: bool = False, out=None) -> int:
    out = sys.stdout if out is None else out  # the stream at call time, not at import (capture, redirection)
    pol = Policies.load(*(policies or [default_policy_dir()]))
    results: list[TestResult] = []
    for path, lf in collect(paths):
        results.extend(run_file(pol, path, lf, lang))
    if not results:
        out.write(f"no test cases found in {', '.join(str(p) for p in paths)}: a test file is a YAML file with "
                  "'kind: policy-test' and 'cases:', a list of cases (subject, jurisdiction, as_of, facts), "
                  "each with 'expect:', the outcomes it must produce\n")
        return 1
    failed = [r for r in results if not r.ok]
    for r in results:
        if not r.ok:
            out.write(f"FAIL {printable(r.file)}: {printable(r.name)}\n{r.message}\n")
        elif verbose:
            out.write(f"ok   {printable(r.file)}: {printable(r.name)}\n")
    out.write(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    return 1 if failed else 0
