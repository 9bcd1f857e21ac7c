"""The reader gives the same values and positions with libyaml's parser and PyYAML's own."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policyengine import PolicyError
from policyengine import load as L

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "policies").glob("*/*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))


def _read_both(monkeypatch, text: str):
    out = []
    for loader in (getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader):
        monkeypatch.setattr(L, "_EVENT_LOADER", loader)
        try:
            got = L.load_text(text, "f.yaml")
            out.append((got.data, got.positions, got.key_positions))
        except PolicyError as e:
            out.append([(d.code, d.span.line, d.span.column) for d in e.diagnostics])
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shipped_files_read_the_same_with_either_parser(monkeypatch, path):
    fast, pure = _read_both(monkeypatch, path.read_text(encoding="utf-8"))
    assert fast == pure


@pytest.mark.parametrize("text, code", [
    ("a: \x01\n", "PE001"), ("a: &x 1\nb: *x\n", "PE003"), ("a: !!str 1\n", "PE004"), ("- [\n", "PE001"),
    ("a: 1\n---\nb: 2\n", "PE001"), ("a: 1\na: 2\n", "PE002"), ("? [1]\n: 2\n", "PE012"), ("a: 2023-02-29\n", "PE008"),
])
def test_mistakes_are_reported_alike_by_either_parser(monkeypatch, text, code):
    fast, pure = _read_both(monkeypatch, text)
    assert fast == pure and fast[0][0] == code


# --- a policy set passes over its test files once their kind is read ---------------------------

@pytest.mark.parametrize("text,kind", [
    ("kind: policy-test\nversion: 1\ncases: [", "policy-test"),  # read no further than the kind
    ("version: 1\nkind: policy-case\n", "policy-case"),
    ("kind: policy-document\n", "policy-document"),
    ("note: |\n  kind: policy-test\nkind: policy-document\n", "policy-document"),  # text inside a block is no kind
    ("meta: {kind: policy-test}\n", None),  # nor is a kind one level down
    ("- kind: policy-test\n", None),
    ("? [kind]\n: policy-test\n", None),
    ("kind: [policy-test]\n", None),
    ("kind: *a\n", None),
    ("\tkind: policy-test\n", None),
    ("", None),
])
def test_the_kind_is_read_from_the_parsers_events(tmp_path, text, kind):
    f = tmp_path / "f.yaml"
    f.write_text(text, encoding="utf-8")
    assert L.sniff_kind(f) == kind


def test_a_malformed_test_file_does_not_stop_the_policies_but_check_reports_it(tmp_path, capsys):
    import shutil

    from policyengine import Policies, default_policy_dir
    from policyengine.cli import main

    pols = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), pols)
    broken = pols / "imust" / "tests" / "imust.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + "\ncases: [oops\n", encoding="utf-8")
    Policies.load(pols)  # evaluate and serve need the rule files only
    assert main(["check", str(pols), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:" in out and "1 error(s)" in out


def test_a_file_named_beside_its_folder_is_read_once(tmp_path):
    """A file given beside the folder that holds it (or a folder beside its sub-folder, or a link beside
    its target) was read twice: PE030 "used by two rule files", pointing at itself."""
    from policyengine import Policies

    root = Path(__file__).resolve().parent.parent / "policies"
    plain = Policies.load(root)
    for extra in ([root / "national" / "guobanfa_2016_32.yaml"], [root / "national"], [str(root) + "/"]):
        got = Policies.load(root, *extra)
        assert sorted(got.policy_set.documents) == sorted(plain.policy_set.documents)
    (tmp_path / "a.yaml").write_text("kind: policy\n", encoding="utf-8")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    files, diags = L.find_files([tmp_path, tmp_path / "a.yaml"])
    assert files == [tmp_path / "a.yaml"] and not diags
