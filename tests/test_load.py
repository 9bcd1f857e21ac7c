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
