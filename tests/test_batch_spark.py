"""``policyengine batch --engine spark`` (CONTRACT, "Batch evaluation"): Apache Spark in local mode on
small files, against ``Policies.evaluate`` through the python engine, byte for byte.

One SparkSession for the module (starting the JVM takes tens of seconds); every run_batch call
reuses it.  Under CI a missing pyspark or Java fails the module: .ci/run installs Java 17
(.ci/java.sh) and the test extra pulls in pyspark.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_batch import (BAD_ROWS, generated_cases, hostile_rows, many_dates_file, pack_cases, row_of,  # noqa: I001
                        typed_hostile_rows, write_input)

try:
    import pyspark  # noqa: F401
    HAVE_SPARK = bool(shutil.which("java") or os.environ.get("JAVA_HOME"))
except ImportError:
    HAVE_SPARK = False
if not HAVE_SPARK:
    if os.environ.get("CI"):
        raise RuntimeError("CI: the Spark tests need pyspark (the test extra) and Java 17 (.ci/java.sh)")
    pytest.skip("pyspark or Java is not installed", allow_module_level=True)

from policyengine import Policies  # noqa: E402
from policyengine.batch import run_batch  # noqa: E402
from policyengine.batch.spark import spark_sql  # noqa: E402


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


@pytest.fixture(scope="module")
def spark():
    from policyengine.batch.spark import session

    s = session("local[2]")
    s.sparkContext.setLogLevel("ERROR")
    s.conf.set("spark.sql.shuffle.partitions", "2")  # (small files: two partitions, not two hundred)
    s.conf.set("spark.sql.codegen.wholeStage", "false")  # (a few hundred rows: compiling would take longer)
    yield s
    s.stop()


@pytest.fixture
def every_program(monkeypatch):
    """Every program's rows decided in Spark SQL, however few (policyengine/batch/spark.py)."""
    from policyengine.batch import spark

    monkeypatch.setattr(spark, "MIN_ROWS_PER_PROGRAM", 0)


def same_as_python(policies, src, tmp_path, out: str, name: str, **kw):
    """Runs both engines on ``src``; the Spark engine's output must be the python engine's, byte for byte."""
    py, sp = tmp_path / f"{name}-py.{out}", tmp_path / f"{name}-spark.{out}"
    a = run_batch(policies, src, py, engine="python", lang="en", **kw)
    b = run_batch(policies, src, sp, engine="spark", lang="en", **kw)
    assert b.engine == "spark", b.notes
    assert (a.rows, a.errors) == (b.rows, b.errors)
    assert py.read_bytes() == sp.read_bytes(), f"{src.name} -> {out}"
    return b


def test_every_pack_case_and_generated_cases_agree_with_the_public_api(policies, spark, tmp_path, monkeypatch):
    """Every pack test case (47 programs), a few hundred generated IMUST and Baotou cases (tier ends,
    grade boundaries, each fact left out in turn) and malformed rows: Parquet in, JSON Lines out.
    The four programs with 50 rows or more here (the generated ones; Baotou's commissioner and
    workstation, Inner Mongolia's commissioner of the packs) are decided by Spark SQL, the others
    through the public API (planning a query per program takes Spark seconds: a note says so)."""
    from policyengine.batch import spark as engine

    monkeypatch.setattr(engine, "MIN_ROWS_PER_PROGRAM", 50)
    cases = pack_cases() + generated_cases(80, seed=5) + [c for c, _ in BAD_ROWS]
    rows = [row_of(c, i) for i, c in enumerate(cases)]
    assert len(rows) > 300
    src = tmp_path / "in.parquet"
    write_input(src, rows)
    r = same_as_python(policies, src, tmp_path, "jsonl", "all")
    assert r.errors >= len(BAD_ROWS)
    assert [n.get("en").split(" program")[0] for n in r.notes] == ["43"], r.notes  # (47 - 4 in SQL)
    # the workstation's eligible reads a decimal fact: reported by name, decided row-wise
    assert any(w.startswith("eligible of workstation at cn/nm") for w in r.row_wise), r.row_wise
    got = [json.loads(x) for x in (tmp_path / "all-spark.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(g["score"] is not None for g in got) > 100  # (decided, not all undetermined)


def test_a_hundred_thousand_generated_cases_spark_agrees_with_the_public_api(policies, spark, hundred_thousand, tmp_path,
                                                                             rows_decided_row_wise):
    """The differential of issue 17 in Spark: the DuckDB test's 100,000 generated IMUST and Baotou cases
    (every tier end and one past it, every grade boundary, each fact left out in turn), Parquet in, one
    Spark run: the output is the python engine's (tests/conftest.py, computed once for both), byte for
    byte, and Spark SQL — not the public API on the driver — decides most rows."""
    r = run_batch(policies, hundred_thousand.src, tmp_path / "spark.csv", engine="spark", lang="en")
    assert r.engine == "spark" and r.notes == [] and r.rows == len(hundred_thousand.cases) >= 100_000
    assert (tmp_path / "spark.csv").read_bytes() == hundred_thousand.python_csv.read_bytes()
    assert rows_decided_row_wise[0] < r.rows / 20, rows_decided_row_wise


def test_csv_in_parquet_out_and_hostile_rows(policies, spark, tmp_path, every_program):
    """CSV read by Spark (every cell text, typed by the declarations); hostile rows get the python
    engine's error word for word; Parquet out has the python engine's schema and values."""
    rows = hostile_rows() + [row_of(c, 100 + i) for i, c in enumerate(generated_cases(20, seed=9))]
    src = tmp_path / "h.csv"
    write_input(src, rows)
    a = run_batch(policies, src, tmp_path / "py.parquet", engine="python", lang="en")
    b = run_batch(policies, src, tmp_path / "spark.parquet", engine="spark", lang="en")
    assert b.engine == "spark" and b.notes == [] and (a.rows, a.errors) == (b.rows, b.errors) and b.errors >= 13
    want, got = pq.read_table(tmp_path / "py.parquet"), pq.read_table(tmp_path / "spark.parquet")
    assert got.equals(want) and got.schema == want.schema
    errors = got.column("error").to_pylist()
    assert "facts.service_days" in errors[0] and "facts.education" in errors[3] and errors[-1] is None


def test_typed_parquet_hostile_values_and_jsonl(policies, spark, tmp_path, every_program):
    """Typed Parquet columns (ints out of range, an enum value not allowed, a list item not allowed or
    with a null field) and JSON Lines (every row through the public API, Spark reading the lines; a line that is not
    JSON names its line number)."""
    rows = typed_hostile_rows()
    src = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    assert same_as_python(policies, src, tmp_path, "jsonl", "t").errors == 5
    src = tmp_path / "h.jsonl"
    write_input(src, hostile_rows())
    src.write_text(src.read_text(encoding="utf-8") + "\nnot json\n[1, 2]\n", encoding="utf-8")
    r = same_as_python(policies, src, tmp_path, "jsonl", "j")
    assert "JSON Lines input" in r.notes[0].get("en")
    last = (tmp_path / "j-spark.jsonl").read_text(encoding="utf-8").splitlines()[-2:]
    assert "line 19: not JSON" in last[0] and "JSON object" in last[1], last


def test_explain_and_a_csv_spark_reads_otherwise(policies, spark, tmp_path):
    """--explain: every row through the public API (said in a note), the explanation column the
    python engine's.  A CSV row with another number of cells than the header: Spark would pad it,
    so the python engine reads and decides the file, and a note says so."""
    src = tmp_path / "e.jsonl"
    write_input(src, [row_of(c, i) for i, c in enumerate(generated_cases(3))])
    r = same_as_python(policies, src, tmp_path, "jsonl", "e", explain=True)
    assert any("--explain" in n.get("en") for n in r.notes)
    assert json.loads((tmp_path / "e-spark.jsonl").read_text(encoding="utf-8").splitlines()[0])["explanation"]
    bad = tmp_path / "r.csv"
    write_input(bad, [row_of(c, i) for i, c in enumerate(generated_cases(3))])
    bad.write_text(bad.read_text(encoding="utf-8") + "1,2\n", encoding="utf-8")
    b = run_batch(policies, bad, tmp_path / "r-spark.csv", engine="spark", lang="zh")
    run_batch(policies, bad, tmp_path / "r-py.csv", engine="python")
    assert b.engine == "python" and "Spark 读取这个输入的方式与 python 引擎不同" in b.notes[0].get("zh")
    assert (tmp_path / "r-spark.csv").read_bytes() == (tmp_path / "r-py.csv").read_bytes()



def test_a_column_named_like_the_queries_own_is_the_python_engines_in_spark(policies, spark, tmp_path):
    """Spark SQL reads names without case as DuckDB does: a carried 'P0O1' would stand for an outcome's
    column.  The python engine decides the file, and a note names the column."""
    src = tmp_path / "n.jsonl"
    write_input(src, [dict(row_of(c, i), P0O1=True) for i, c in enumerate(generated_cases(3))])
    b = run_batch(policies, src, tmp_path / "n-spark.jsonl", engine="spark", lang="en")
    run_batch(policies, src, tmp_path / "n-py.jsonl", engine="python")
    assert b.engine == "python" and "'P0O1' is named like one of the engine's own columns" in b.notes[0].en, b.notes
    assert (tmp_path / "n-spark.jsonl").read_bytes() == (tmp_path / "n-py.jsonl").read_bytes()

def test_the_spark_rendering_of_list_lambdas_month_ends_and_sums_matches_duckdb(spark):
    """The dialect fix-ups of spark_sql: list lambdas (filter), len of a list (size), list_sum
    (aggregate), list_min/list_max, greatest of one value, month arithmetic with the 民法典 month ends
    (31 January + 1 month = 29 February 2024; 29 February + 12 months = 28 February 2025) —
    the same rows in DuckDB and in Spark."""
    import duckdb

    sql = ("SELECT row_id, CAST(CAST(d AS DATE) + INTERVAL (n) MONTH AS DATE) AS a, "
           "CAST(CAST(d AS DATE) + INTERVAL ((n) * 12) MONTH AS DATE) AS b, CAST(len(xs) AS BIGINT) AS c, "
           "CAST(COALESCE(list_sum(list_transform(list_filter(xs, lambda it: it.g = 'good'), lambda it: it.y)), 0) "
           "AS BIGINT) AS e, list_max(list_transform(xs, lambda it: it.y)) AS f, GREATEST(n) AS g, "
           "len(list_filter(xs, lambda it: it.y > 2020 AND NOT (it.g = 'bad'))) > 0 AS h FROM t ORDER BY row_id")
    data = [(0, dt.date(2024, 1, 31), 1, [(2021, "good"), (2023, "bad")]), (1, dt.date(2024, 2, 29), 12, []),
            (2, dt.date(2023, 3, 31), -1, [(2019, "good"), (2022, "good")]), (3, dt.date(2024, 8, 31), 6, None)]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (row_id BIGINT, d DATE, n BIGINT, xs STRUCT(y BIGINT, g VARCHAR)[])")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                    [(i, d, n, None if xs is None else [{"y": y, "g": g} for y, g in xs]) for i, d, n, xs in data])
    want = con.execute(sql).fetchall()
    spark.createDataFrame(data, "row_id BIGINT, d DATE, n BIGINT, xs ARRAY<STRUCT<y: BIGINT, g: STRING>>") \
        .createOrReplaceTempView("t")
    got = [tuple(r) for r in spark.sql(spark_sql(sql)).collect()]
    assert got == want
    assert want[0][1] == dt.date(2024, 2, 29) and want[1][2] == dt.date(2036, 2, 29)  # (12 * 12 months)
    assert want[1][1] == dt.date(2025, 2, 28)


def test_the_cell_checks_read_alike_in_spark_and_duckdb(spark):
    """The checks of a fact cell (native.Dialect) in both dialects: a whole-number and a date text
    matched whole (not before a final newline), an enum value among values with a quote and a
    backslash, a NULL never accepted — the same answers in Spark as in DuckDB, and as Python reads them."""
    import duckdb

    from policyengine.batch.native import _DATE_RE, _INT_RE, DUCKDB
    from policyengine.batch.spark import SPARK

    cells = ["12", "-12", "1x", "12\n", "2024-03-01", "2024-03-01\n", "2024-3-1", "a'b", "a\\b", "ab", "", None]
    allowed = ("a'b", "a\\b", "-12")
    want = [(c is not None and c.lstrip("-").isdigit() and c == c.strip(),
             c is not None and len(c) == 10 and c[4] == c[7] == "-" and c.replace("-", "").isdigit(),
             c in allowed) for c in cells]
    for d, run in ((SPARK, lambda sql: [tuple(r)[1:] for r in spark.sql(sql).collect()]),
                   (DUCKDB, lambda sql: [r[1:] for r in duckdb.sql(sql).fetchall()])):
        rows = [f"SELECT {i} AS i, CAST({'NULL' if c is None else _literal(d, c)} AS {d.types['string']}) AS c"
                for i, c in enumerate(cells)]
        checks = (f"COALESCE({d.full_match('c', _INT_RE)}, FALSE), COALESCE({d.full_match('c', _DATE_RE)}, FALSE), "
                  f"{d.member('c', allowed)}")
        got = run(f"SELECT i, {checks} FROM ({' UNION ALL '.join(rows)}) AS t ORDER BY i")
        assert [tuple(bool(x) for x in r) for r in got] == want, d


def _literal(d, text: str) -> str:
    """A text literal in the dialect ``d``."""
    from policyengine.batch.native import DUCKDB
    from policyengine.batch.spark import _text
    from policyengine.batch.sql import _lit

    return _lit(text) if d is DUCKDB else _text(text)


@pytest.mark.parametrize("as_of_type", ["date", "text"])
def test_many_dates_find_their_programs_by_ranges_in_spark(policies, spark, tmp_path, every_program, as_of_type):
    """The DuckDB test's file of 400 days and four programs (tests/test_batch.py, many_dates_file), the
    IMUST rows only: Spark gives each row its program by a range of the file's dates (the as_of text
    between two of them, each row then decided on its own day) and writes the python engine's output."""
    src = tmp_path / "in.parquet"
    many_dates_file(src, as_of_type, n=800, packs=False)
    r = same_as_python(policies, src, tmp_path, "jsonl", f"days-{as_of_type}")
    assert r.notes == [], r.notes


SPARK_KEEPS = ("i8", "u64", "f32", "f64", "dec", "dec38", "s", "ls", "b", "d", "ts", "blob", "lst", "lsd", "dict")


def test_carried_columns_spark_reads_as_pyarrow_are_spelled_as_the_python_engine_spells_them(policies, spark, tmp_path,
                                                                                           every_program):
    """Every carried column Spark reads as pyarrow does, in one file Spark decides: each output the python engine's,
    and the JSON Lines spelling of each type the documented one (a DECIMAL the text of its digits, always)."""
    from test_batch import CARRIED, JSONL_SPELLING

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [0, 1], **{c: CARRIED[c] for c in SPARK_KEEPS}, "subject": ["commissioner"] * 2,
                             "jurisdiction": ["cn/nm/baotou/imust"] * 2, "as_of": [dt.date(2024, 3, 1)] * 2,
                             "year": [2024] * 2, "service_days": [200] * 2}), src)
    for out in ("csv", "jsonl"):
        assert same_as_python(policies, src, tmp_path, out, "keeps").notes == []
    rows = [json.loads(x) for x in (tmp_path / "keeps-spark.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {c: [r[c] for r in rows] for c in SPARK_KEEPS} == {c: JSONL_SPELLING[c] for c in SPARK_KEEPS}
    a = run_batch(policies, src, tmp_path / "keeps-spark.parquet", engine="spark")
    run_batch(policies, src, tmp_path / "keeps-py.parquet", engine="python")
    assert a.engine == "spark" and pq.read_table(tmp_path / "keeps-spark.parquet").equals(pq.read_table(tmp_path / "keeps-py.parquet"))


@pytest.mark.parametrize("column", ["tstz", "t", "dur", "durs", "st", "mp", "mpi"])
def test_a_carried_column_spark_reads_otherwise_is_the_python_engines(policies, spark, tmp_path, column):
    """Written to CSV or JSON Lines from Spark's values, a time with a zone came out as UTC without its zone
    ('2024-03-01T00:30:00' for 08:30+08:00), a duration as a number of microseconds, a map as a dict and a struct as
    a list; a time of day stopped Spark with its own error: the python engine writes such a file, with a note."""
    from test_batch import CARRIED, JSONL_SPELLING, _carried_file

    src = tmp_path / "in.parquet"
    _carried_file(src, column, CARRIED[column])
    for out in ("csv", "jsonl", "parquet"):
        b = run_batch(policies, src, tmp_path / f"o-spark.{out}", engine="spark", lang="en")
        run_batch(policies, src, tmp_path / f"o-py.{out}", engine="python")
        if out == "parquet":
            assert pq.read_table(tmp_path / "o-spark.parquet").equals(pq.read_table(tmp_path / "o-py.parquet"))
            if column != "t":
                continue
        else:
            assert (tmp_path / f"o-spark.{out}").read_bytes() == (tmp_path / f"o-py.{out}").read_bytes()
        assert b.engine == "python" and f"the carried column '{column}'" in b.notes[0].en, b.notes
    rows = [json.loads(x) for x in (tmp_path / "o-spark.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r[column] for r in rows] == JSONL_SPELLING[column]

def test_a_csv_cell_not_utf8_is_the_python_engines_row_error_in_spark(policies, spark, tmp_path, every_program):
    """Spark read the GBK bytes of a carried name as U+FFFD and decided the row; the python engine makes that row
    an error naming the column (and keeps its id): Spark hands such a file to it, with a note."""
    from test_batch_files import gbk_name_csv

    src = tmp_path / "gbk.csv"
    gbk_name_csv(src)
    for out in ("jsonl", "csv"):
        b = run_batch(policies, src, tmp_path / f"g-spark.{out}", engine="spark", lang="en")
        a = run_batch(policies, src, tmp_path / f"g-py.{out}", engine="python", lang="en")
        assert b.engine == "python" and "not UTF-8" in b.notes[0].en and (a.rows, a.errors) == (b.rows, b.errors) == (3, 1)
        assert (tmp_path / f"g-spark.{out}").read_bytes() == (tmp_path / f"g-py.{out}").read_bytes()
    row = json.loads((tmp_path / "g-spark.jsonl").read_text(encoding="utf-8").splitlines()[1])
    assert row["id"] == "1" and "the column(s) 'name' hold text that is not UTF-8" in row["error"], row
    src = tmp_path / "gbk.parquet"  # (a Parquet text of those bytes: Spark read it as U+FFFD too)
    names = pa.array([b"ok", "张三".encode("gbk"), b"ok"], pa.binary()).cast(pa.string(), safe=False)
    pq.write_table(pa.table({"id": [0, 1, 2], "name": names, "subject": ["commissioner"] * 3,
                             "jurisdiction": ["cn/nm/baotou/imust"] * 3, "as_of": [dt.date(2024, 3, 1)] * 3}), src)
    b = run_batch(policies, src, tmp_path / "p-spark.jsonl", engine="spark", lang="en")
    a = run_batch(policies, src, tmp_path / "p-py.jsonl", engine="python", lang="en")
    assert b.engine == "python" and "not UTF-8" in b.notes[0].en and (a.rows, a.errors) == (b.rows, b.errors) == (3, 1)
    assert (tmp_path / "p-spark.jsonl").read_bytes() == (tmp_path / "p-py.jsonl").read_bytes()


def test_an_input_of_no_rows_is_an_empty_output_in_spark(policies, spark, tmp_path, every_program):
    """A CSV of no bytes and a Parquet file of no columns stopped Spark with its own error (a traceback): every
    input of no rows is written as the python engine writes it."""
    from test_batch_files import empty_inputs

    for name in empty_inputs(tmp_path):
        for out in ("csv", "jsonl", "parquet"):
            b = run_batch(policies, tmp_path / name, tmp_path / f"{name}-spark.{out}", engine="spark", lang="en")
            run_batch(policies, tmp_path / name, tmp_path / f"{name}-py.{out}", engine="python", lang="en")
            assert (b.rows, b.errors) == (0, 0), name
            if out == "parquet":
                assert pq.read_table(tmp_path / f"{name}-spark.{out}").equals(pq.read_table(tmp_path / f"{name}-py.{out}"))
            else:
                assert (tmp_path / f"{name}-spark.{out}").read_bytes() == (tmp_path / f"{name}-py.{out}").read_bytes()


def test_numbers_carried_from_json_lines_are_the_numbers_they_were_in_spark(policies, spark, tmp_path):
    src = tmp_path / "n.jsonl"
    case = '"subject":"commissioner","jurisdiction":"cn/nm","as_of":"2024-03-01"'
    src.write_text('{"id":1,"amt":1.50,"w":2.0,"l":[0.5],' + case + "}\n", encoding="utf-8")
    for out in ("jsonl", "csv"):
        same_as_python(policies, src, tmp_path, out, "n")
    assert (tmp_path / "n-spark.jsonl").read_text(encoding="utf-8").startswith('{"id":1,"amt":1.50,"w":2.0,"l":[0.5],')
