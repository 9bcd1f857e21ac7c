"""Invalid rule files: one fixture (at least) per diagnostic code, each located exactly.

Every fixture in ``tests/invalid/`` carries its expectation:

* a single file ``PE0NN_short-name.yaml`` starts with ``# expect: PE0NN at LINE:COLUMN``
  (more ``# expect:`` lines may follow directly where one mistake is reported twice);
* a folder ``PE0NN_short-name/`` (layering, duplicate document ids — problems that need
  two files) holds an ``expect.txt`` with ``PE0NN at FILE:LINE:COLUMN``.

The checker is run through the library exactly as ``policyengine check`` runs it, and a
diagnostic with that code, file, line and column must be among its findings.  A fixture
holds one intended problem, so nothing else may be reported (notes aside).  A code added
to ``CODES`` without a fixture fails ``test_every_rule_file_code_has_a_fixture``.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from policyengine.api import load_rule_files
from policyengine.cli import main
from policyengine.diagnostics import CODES, Severity
from policyengine.load import load_file

INVALID = Path(__file__).resolve().parent / "invalid"
ROOT = INVALID.parent.parent

# Codes a rule file cannot raise by its content.  Everything else in CODES needs a fixture.
NOT_FROM_RULE_FILES = {
    "PE060": "case files: a case that is not a valid case",
    "PE061": "case files: a fact no rule file declares",
    "PE062": "case files: a fact of the wrong type",
    "PE063": "case files: a fact outside its declared range",
    "PE070": "a path that does not exist is not a file that could be committed as a fixture",
    "PE071": "a symbolic link out of the folder is made by tests/test_hostile.py in tmp_path, not committed",
    "PE080": "evaluation limits are reached by cases, not by checking rule files",
    "PE053": "retired: an assumed date of effect is reported as PE058 (a warning, shown by default)",
    "PE090": "arguments of the library and the command (tests/test_api_promises.py has one test each)",
    "PE091": "batch files and options (policyengine batch), not rule files (tests/test_batch.py)",
}

_FILE_EXPECT = re.compile(r"# expect: (PE\d{3}) at (\d+):(\d+)\s*\Z")
_DIR_EXPECT = re.compile(r"(PE\d{3}) at ([^\s:]+):(\d+):(\d+)\s*\Z")


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests pin the English wording; tests/test_messages.py pins the Chinese."""
    monkeypatch.setenv("POLICYENGINE_LANG", "en")


@dataclass(frozen=True)
class Expect:
    code: str
    file: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.code} at {self.file.relative_to(INVALID)}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Fixture:
    path: Path
    expects: tuple[Expect, ...]

    @property
    def id(self) -> str:
        return self.path.name


def _file_expects(path: Path) -> tuple[Expect, ...]:
    out = []
    # read bytes: a fixture may be deliberately not UTF-8 (PE006); the expect lines are ASCII
    for raw in path.read_bytes().split(b"\n"):
        line = raw.decode("ascii", "replace").rstrip("\r")
        if not line.startswith("# expect:"):
            break
        m = _FILE_EXPECT.match(line)
        assert m, f"{path.name}: malformed expectation {line!r} (want '# expect: PE0NN at LINE:COLUMN')"
        out.append(Expect(m.group(1), path, int(m.group(2)), int(m.group(3))))
    assert out, f"{path.name}: the first line must be '# expect: PE0NN at LINE:COLUMN'"
    return tuple(out)


def _dir_expects(path: Path) -> tuple[Expect, ...]:
    spec = path / "expect.txt"
    assert spec.is_file(), f"{path.name}/: a two-file fixture needs an expect.txt"
    out = []
    for line in spec.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _DIR_EXPECT.match(line)
        assert m, f"{path.name}/expect.txt: malformed line {line!r} (want 'PE0NN at FILE:LINE:COLUMN')"
        target = path / m.group(2)
        assert target.is_file(), f"{path.name}/expect.txt names {m.group(2)}, which is not in the folder"
        out.append(Expect(m.group(1), target, int(m.group(3)), int(m.group(4))))
    assert out, f"{path.name}/expect.txt expects nothing"
    return tuple(out)


def discover() -> list[Fixture]:
    found = []
    for p in sorted(INVALID.iterdir()):
        if not p.name.startswith("PE"):
            continue
        if p.is_dir():
            found.append(Fixture(p, _dir_expects(p)))
        elif p.suffix in (".yaml", ".yml"):
            found.append(Fixture(p, _file_expects(p)))
    return found


FIXTURES = discover()


def _show(diags) -> str:
    return "\n".join(f"  {d.code} at {d.span}: {d.message}" for d in diags) or "  (nothing)"


# --- the fixtures ---------------------------------------------------------------------------


def test_fixtures_are_there():
    assert len(FIXTURES) >= 25
    for f in FIXTURES:
        assert f.path.name[:5] in {e.code for e in f.expects}, f"{f.id}: the name should start with the code it expects"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_fixture_reports_code_at_line_and_column(fixture: Fixture):
    ps = load_rule_files([fixture.path])
    diags = ps.diagnostics
    for e in fixture.expects:
        hits = [d for d in diags if d.code == e.code and d.span is not None and Path(d.span.file) == e.file
                and d.span.line == e.line and d.span.column == e.column]
        assert hits, f"expected {e}; the checker reported:\n{_show(diags)}"
        try:
            source = e.file.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:  # PE006: there is no text to show
            source = None
        for d in hits:
            assert d.severity is CODES[e.code][0], f"{e}: severity {d.severity.value}, CODES says {CODES[e.code][0].value}"
            assert d.name == CODES[e.code][1]
            if source is not None:  # the line travels with the diagnostic, so the caret can be drawn
                assert d.source_line == source[e.line - 1], f"{e}: the diagnostic does not carry its source line"
    # one intended problem: nothing else is reported (informational notes aside)
    codes = {e.code for e in fixture.expects}
    others = [d for d in diags if d.code not in codes and d.severity is not Severity.INFO]
    assert not others, f"{fixture.id} should report only {sorted(codes)}, but also:\n{_show(others)}"
    if any(CODES[c][0] is Severity.ERROR for c in codes):
        assert ps.errors
    else:
        assert not ps.errors, f"a warnings-only fixture has errors:\n{_show(ps.errors)}"


def test_every_rule_file_code_has_a_fixture():
    stale = sorted(set(NOT_FROM_RULE_FILES) - set(CODES))
    assert not stale, f"exempted codes that are not in CODES: {stale}"
    covered = {e.code for f in FIXTURES for e in f.expects}
    missing = sorted(set(CODES) - set(NOT_FROM_RULE_FILES) - covered)
    assert not missing, f"codes without a fixture in tests/invalid/: {missing}"
    unknown = sorted(covered - set(CODES))
    assert not unknown, f"fixtures expect codes that CODES does not have: {unknown}"


# --- the column is the exact character, whatever the YAML scalar style -----------------------

# fixture, path of the expression in the file, YAML scalar style (None: plain), the text at the spot
EXPRESSION_SPOTS = [
    ("PE020_fullwidth-operator-plain.yaml", ("rules", 0, "condition"), None, "≥"),
    ("PE020_unit-after-number-double-quoted.yaml", ("rules", 0, "condition"), '"', "天"),
    ("PE020_fullwidth-paren-block.yaml", ("rules", 0, "condition"), "|", "（title"),
    ("PE021_brackets-too-deep.yaml", ("rules", 0, "condition"), None, "((service_days"),
    ("PE022_misspelt-fact-plain.yaml", ("rules", 0, "condition"), None, "servce_days"),
    ("PE022_misspelt-fact-single-quoted.yaml", ("rules", 0, "condition"), "'", "eduction"),
    ("PE022_misspelt-fact-folded-block.yaml", ("rules", 0, "condition"), ">", "fulltime_education"),
    ("PE023_title-compared-with-number.yaml", ("rules", 0, "condition"), None, "title >= 2"),
    ("PE024_years-after-missing-argument.yaml", ("rules", 0, "value"), None, "years_after("),
    ("PE025_unknown-education-value.yaml", ("rules", 0, "condition"), None, '"college"'),
    ("PE026_unknown-record-field.yaml", ("rules", 0, "value"), None, "result =="),
    ("PE027_unknown-function.yaml", ("rules", 0, "check"), None, "months_between("),
]


def test_expression_spots_cover_every_scalar_style():
    assert {style for _, _, style, _ in EXPRESSION_SPOTS} >= {None, "'", '"', "|", ">"}


@pytest.mark.parametrize("name,path,style,text", EXPRESSION_SPOTS, ids=[s[0] for s in EXPRESSION_SPOTS])
def test_expression_column_is_the_offending_character(name, path, style, text):
    fixture = INVALID / name
    (expect,) = _file_expects(fixture)
    loaded = load_file(fixture)
    pos = loaded.positions[path]
    assert pos.style == style, f"the expression should be a {style or 'plain'} scalar"
    text_ = loaded.source.text
    index = sum(len(x) + 1 for x in text_.split("\n")[: expect.line - 1]) + expect.column - 1
    assert pos.start <= index < pos.end, "the spot lies inside the expression's scalar"
    source_line = loaded.source.line(expect.line)
    assert source_line[expect.column - 1:].startswith(text), \
        f"column {expect.column} of line {expect.line} is {source_line[expect.column - 1:]!r}, not {text!r}"
    # and the checker points there (the same assertion as above, kept next to the text it names)
    ps = load_rule_files([fixture])
    assert any((d.code, d.span.line, d.span.column) == (expect.code, expect.line, expect.column) for d in ps.diagnostics)


# --- the command -----------------------------------------------------------------------------


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def test_cli_check_error_fixture_exits_1_with_location_and_caret(capsys):
    fixture = INVALID / "PE022_misspelt-fact-plain.yaml"
    (e,) = _file_expects(fixture)
    rc = main(["check", str(fixture)])
    out = capsys.readouterr().out
    assert rc == 1
    assert f"{fixture}:{e.line}:{e.column}: error[PE022 unknown-name]: unknown name 'servce_days'" in out
    source = fixture.read_text(encoding="utf-8").splitlines()[e.line - 1]
    lines = out.splitlines()
    i = lines.index(f"{e.line:>5} | {source}")
    assert lines[i + 1] == " " * 6 + "| " + " " * _width(source[: e.column - 1]) + "^" * len("servce_days")
    assert "help: did you mean 'service_days'?" in out
    assert out.rstrip().endswith("1 error(s), 0 warning(s), 0 note(s)")


def test_cli_check_caret_under_wide_characters(capsys):
    fixture = INVALID / "PE020_unit-after-number-double-quoted.yaml"
    (e,) = _file_expects(fixture)
    assert main(["check", str(fixture)]) == 1
    lines = capsys.readouterr().out.splitlines()
    source = fixture.read_text(encoding="utf-8").splitlines()[e.line - 1]
    i = lines.index(f"{e.line:>5} | {source}")
    caret = lines[i + 1]
    assert caret == " " * 6 + "| " + " " * _width(source[: e.column - 1]) + "^^"  # '天' is two columns wide


def test_cli_check_warnings_only_fixture_exits_0(capsys):
    fixture = INVALID / "PE040_tier-overlap.yaml"
    (e,) = _file_expects(fixture)
    rc = main(["check", str(fixture)])
    out = capsys.readouterr().out
    assert rc == 0
    assert f"{fixture}:{e.line}:{e.column}: warning[PE040 tier-overlap]:" in out
    assert out.rstrip().endswith("0 error(s), 1 warning(s), 0 note(s)")


def test_cli_check_layering_folder_exits_0_and_cites_the_layer_above(capsys):
    fixture = INVALID / "PE050_parameter-loosened"
    (e,) = _dir_expects(fixture)
    assert main(["check", str(fixture)]) == 0
    out = capsys.readouterr().out
    assert f"{e.file}:{e.line}:{e.column}: warning[PE050 loosening-ignored]:" in out
    assert f"note: {fixture / '1_nm_measures.yaml'}:" in out


def test_cli_check_json(capsys):
    fixture = INVALID / "PE025_unknown-education-value.yaml"
    (e,) = _file_expects(fixture)
    rc = main(["check", "--format", "json", str(fixture)])
    data = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert data["errors"] == 1 and data["warnings"] == 0
    (d,) = data["diagnostics"]
    assert d["code"] == "PE025" and d["name"] == "unknown-enum-value" and d["severity"] == "error"
    assert (d["file"], d["line"], d["column"]) == (str(fixture), e.line, e.column)
    assert "junior_college" in d["hint"]


def test_cli_check_json_warnings_only_with_related(capsys):
    fixture = INVALID / "PE044_grade-band-overlap.yaml"
    (e,) = _file_expects(fixture)
    assert main(["check", "--format", "json", str(fixture)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 0 and data["warnings"] == 1
    (d,) = data["diagnostics"]
    assert (d["code"], d["severity"], d["line"], d["column"]) == ("PE044", "warning", e.line, e.column)
    assert d["related"][0]["file"] == str(fixture) and d["related"][0]["line"] == e.line - 1


def test_cli_check_as_a_process_exit_status():
    """The real entry point, in a fresh interpreter: exit status and stdout."""
    bad = INVALID / "PE035_unknown-subject.yaml"
    ok = INVALID / "PE054_ambiguous-provision.yaml"
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "check", str(bad)], capture_output=True,
                       text=True, encoding="utf-8", cwd=ROOT, timeout=120)
    assert r.returncode == 1, r.stderr
    (e,) = _file_expects(bad)
    assert f"{bad}:{e.line}:{e.column}: error[PE035 unknown-subject]" in r.stdout
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "check", "--format", "json", str(ok)],
                       capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [d["code"] for d in json.loads(r.stdout)["diagnostics"]] == ["PE054"]
