"""The input of the batch row of ``benchmarks/run.py`` (row e.).

The benchmark itself is too long for the suite (10 million rows); this checks, on a few hundred
rows, the Parquet input its figures rest on: ids 0 … n-1, row i the case i mod the number of cases,
written block by block.  (The command it then runs checks itself: its summary must say n rows decided
by duckdb without errors, its first rows must equal the engines' agreed output, and its ids must be
0 … n-1 in order.)
"""
from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks import run
from benchmarks.cases import decision_cases


def test_input_repeats_the_cases_with_their_own_ids(tmp_path, monkeypatch):
    base = run.batch_table(decision_cases(random.Random(5), 50, as_of=dt.date(2024, 3, 1)))
    monkeypatch.setattr(run, "BATCH_BLOCK_ROWS", 3 * len(base) + 7)  # a block: 3 whole repeats of the cases
    n = 4 * 3 * len(base) + 5  # four blocks and a part of one
    run.write_repeated(base, n, tmp_path / "in.parquet")
    f = pq.ParquetFile(tmp_path / "in.parquet")
    assert f.metadata.num_rows == n and f.metadata.num_row_groups == 5  # one row group a block
    t = f.read()
    assert t.schema == base.schema
    assert t.column("id").to_pylist() == list(range(n))
    rows, cases = t.drop_columns(["id"]).to_pylist(), base.drop_columns(["id"]).to_pylist()
    assert rows == [cases[i % len(cases)] for i in range(n)]


def test_the_batch_row_runs_on_a_small_population(tmp_path, monkeypatch):
    """Row e. end to end on a few thousand rows (the benchmark's own checks included: every row decided by
    duckdb, the command's first rows equal to the engines' agreed output), and its run of two programs:
    half the rows at another jurisdiction, each half enough rows for DuckDB to plan it."""
    from policyengine import Policies
    from policyengine.batch import native

    monkeypatch.setattr(run, "BATCH_ROWS", 2 * native.MIN_ROWS_PER_PROGRAM + 10)
    monkeypatch.setattr(run, "BATCH_CHECK_ROWS", 300)
    base = run.two_places(run.batch_table(decision_cases(random.Random(5), 4, as_of=dt.date(2024, 3, 1))))
    assert base.column("jurisdiction").to_pylist()[:2] == ["cn/nm/baotou/imust", run.BATCH_OTHER_PLACE]
    out = run.batch_cost(Policies.load(), decision_cases(random.Random(5), 50, as_of=dt.date(2024, 3, 1)), 100)
    assert out["batch_rows"] == run.BATCH_ROWS and out["batch_two_programs_s"] > 0 and out["batch_10m_s"] > 0
    assert not out["batch_command_notes"], out["batch_command_notes"]
    assert out["batch_floor"]["columns"] == len(base.column_names) and out["batch_floor"]["wall_ns"] > 0


def test_the_order_check_finds_a_row_out_of_place_or_missing(tmp_path, monkeypatch, capsys):
    """The command's whole output is checked, not only its first rows: ids 0 … n-1 in order."""
    monkeypatch.setattr(run, "BATCH_BLOCK_ROWS", 4)  # batches of 4: the wrong row is in a later one
    path = tmp_path / "out.parquet"
    pq.write_table(pa.table({"id": list(range(10)), "x": [1] * 10}), path)
    run.in_order(path, 10)
    for ids, n, said in (([0, 1, 2, 3, 4, 6, 5, 7], 8, "id 6 at row 5"), (list(range(9)), 10, "9 rows for 10")):
        pq.write_table(pa.table({"id": ids}), path)
        with pytest.raises(SystemExit):
            run.in_order(path, n)
        assert said in capsys.readouterr().err
