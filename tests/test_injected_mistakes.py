"""A mistake injected into any shipped rule file is reported by `policyengine check` at that file
and line, and the unmodified packs check with exit 0 (issue: the policy language, "Done when")."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from policyengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted(p for p in (ROOT / "policies").rglob("*.yaml")
                    if "tests" not in p.parts and "kind: policy-document" in p.read_text(encoding="utf-8"))
EXPR_LINE = re.compile(r"^\s*(condition|check|value|when|expr): (?!>)(.*(>=|<=|==|>|<).*)$")


def copy_packs(tmp_path: Path) -> Path:
    dst = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dst, ignore=shutil.ignore_patterns("tests"))
    return dst


def check_json(capsys, path: Path) -> tuple[int, dict]:
    import json

    code = main(["check", str(path), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def first_line(text: str, pattern: re.Pattern) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return i
    return None


def test_the_unmodified_packs_check_with_exit_0(capsys):
    code, out = check_json(capsys, ROOT / "policies")
    assert code == 0 and out["errors"] == 0


@pytest.mark.parametrize("rel", [str(p.relative_to(ROOT / "policies")) for p in RULE_FILES])
@pytest.mark.parametrize("mistake", ["broken operator", "misspelt fact", "duplicated key"])
def test_an_injected_mistake_is_reported_at_its_file_and_line(tmp_path, capsys, rel, mistake):
    packs = copy_packs(tmp_path)
    target = packs / rel
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    if mistake == "duplicated key":
        # repeat the document's id line: a duplicate key in the 'document' mapping
        n = next(i for i, l in enumerate(lines) if re.match(r"^  id: ", l))
        lines.insert(n + 1, lines[n])
        line_no = n + 2
    else:
        n = first_line("".join(lines), EXPR_LINE)
        if n is None:
            assert rel.startswith("ordos/"), f"{rel}: expected an expression line to break"
            return  # the empty Ordos layer has no expression: nothing to inject there
        line = lines[n - 1]
        if mistake == "broken operator":
            line = re.sub(r"(>=|<=|==)", lambda m: {">=": "=>", "<=": "=<", "==": "="}[m.group(1)], line, count=1)
            if line == lines[n - 1]:
                line = re.sub(r" ([<>]) ", r" \1\1 ", line, count=1)
        else:  # misspell the first name that is read
            key, expr = line.split(": ", 1)
            name = re.search(r"[a-z_]{4,}", expr).group(0)
            line = key + ": " + expr.replace(name, name[:-1] + name[-1] * 2 + "x", 1)
        assert line != lines[n - 1]
        lines[n - 1] = line
        line_no = n
    target.write_text("".join(lines), encoding="utf-8")
    code, out = check_json(capsys, packs)
    assert code == 1
    here = [d for d in out["diagnostics"] if d["severity"] == "error" and d["file"].endswith(rel) and d["line"] == line_no]
    assert here, (mistake, rel, line_no, [(d["code"], d["file"], d["line"], d["message"]) for d in out["diagnostics"]
                                          if d["severity"] == "error"][:5])
    expected = {"broken operator": {"PE020"}, "misspelt fact": {"PE022", "PE026"}, "duplicated key": {"PE002"}}[mistake]
    assert {d["code"] for d in here} & expected
