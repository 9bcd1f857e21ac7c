"""``policyengine test``: YAML test cases for policy packs.

A test file has ``kind: policy-test`` and a list of cases, each a case (subject,
jurisdiction, as_of, facts) with ``expect``: the outcomes it must produce.  An
outcome expected as ``null`` must be null or absent; ``absent`` in
``expect_absent`` must not be produced at all.  A failure prints expected vs
actual and the explanation of that outcome.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api import Policies, default_policy_dir, find_rule_files
from .diagnostics import PolicyError, render_all
from .explain import to_json_value
from .load import load_file

__all__ = ["TestResult", "collect", "run_tests"]


@dataclass(frozen=True)
class TestResult:
    file: str
    name: str
    ok: bool
    message: str


def collect(paths) -> list[tuple[Path, Any]]:
    out = []
    for f in find_rule_files(paths):
        lf = load_file(f)
        if isinstance(lf.data, dict) and lf.data.get("kind") == "policy-test":
            out.append((f, lf))
    return out


def run_case(pol: Policies, file: str, index: int, c: dict, lang: str = "zh") -> TestResult:
    name = str(c.get("name") or f"case {index + 1}")
    data = {k: v for k, v in c.items() if k not in ("name", "expect", "expect_absent", "description")}
    try:
        d = pol.evaluate(data, lang=lang)
    except PolicyError as e:
        if c.get("expect_error"):
            return TestResult(file, name, True, "")
        return TestResult(file, name, False, "the case did not evaluate:\n" + render_all(e.diagnostics))
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


def run_file(pol: Policies, path: Path, lf, lang: str = "zh") -> list[TestResult]:
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
            out.write(f"FAIL {r.file}: {r.name}\n{r.message}\n")
        elif verbose:
            out.write(f"ok   {r.file}: {r.name}\n")
    out.write(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    return 1 if failed else 0
