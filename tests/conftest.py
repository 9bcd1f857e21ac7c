"""Fixtures shared by several test modules.

``hundred_thousand``: the differential population of issue 17 — about 100,000 generated IMUST and
Baotou cases (tests/test_batch.py's ``generated_cases``: every tier end and one past it, every grade
boundary, each fact left out in turn) as a Parquet file, and the python engine's output for it
(``Policies.evaluate`` row by row, as CSV).  Built once per test session: the reference takes the
python engine seconds, and the DuckDB, Spark and PostgreSQL tests all compare against it.
"""
from __future__ import annotations

import types

import pytest


@pytest.fixture(scope="session")
def hundred_thousand(tmp_path_factory) -> types.SimpleNamespace:
    """``cases`` (plain case dicts), ``src`` (them as Parquet rows, ``id`` their index) and ``python_csv``
    (the python engine's output for ``src``)."""
    from test_batch import generated_cases, row_of, write_input

    from policyengine import Policies
    from policyengine.batch import run_batch

    cases = generated_cases(33_400, seed=17)
    d = tmp_path_factory.mktemp("hundred-thousand")
    src, out = d / "in.parquet", d / "python.csv"
    write_input(src, [row_of(c, i) for i, c in enumerate(cases)])
    r = run_batch(Policies.load(), src, out, engine="python")
    assert r.rows == len(cases) >= 100_000
    return types.SimpleNamespace(cases=cases, src=src, python_csv=out)


@pytest.fixture
def rows_decided_row_wise(monkeypatch) -> list[int]:
    """A counter (its one item) of the rows an SQL engine hands to the python engine (a malformed row,
    an outcome the translation cannot express, a row where the translation escapes)."""
    from policyengine.batch import PythonEngine

    count = [0]
    row = PythonEngine.row

    def counted(self, r):
        count[0] += 1
        return row(self, r)

    monkeypatch.setattr(PythonEngine, "row", counted)
    return count
