"""`policyengine batch` on the files real data comes in (a review fed it so): the output never destroys the input
nor replaces a complete result with a partial one; a row that cannot be read (bytes not UTF-8, a long cell, a key
written twice, a lone surrogate, a stray CR) is that row's error in the language asked, and every engine reads it
alike; file-level problems are located errors, never a traceback."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policyengine import Policies, PolicyError
from policyengine.batch import ENGINES, run_batch

ROOT = Path(__file__).resolve().parent.parent
CASE = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01"}
FACTS = {"year": "2023", "service_days": "42", "education": "master", "good_conduct": "true"}


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


@pytest.fixture()
def native_always(monkeypatch):
    """DuckDB decides however few rows there are (below its threshold a file goes to the python engine)."""
    from policyengine.batch import native

    monkeypatch.setattr(native, "MIN_ROWS_PER_PROGRAM", 0)


def _csv_rows(n: int, extra: dict | None = None) -> list[dict]:
    return [{"id": str(i), **CASE, **FACTS, **(extra or {})} for i in range(n)]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _read(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".jsonl":
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_the_output_is_never_the_input(tmp_path, fmt):
    src = tmp_path / f"in.{fmt}"
    rows = _csv_rows(3)
    if fmt == "csv":
        _write_csv(src, rows)
    elif fmt == "jsonl":
        src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(rows), src)
    before = src.read_bytes()
    for engine in ENGINES:
        r = cli(str(src), "--out", str(src), "--engine", engine, "--lang", "en")
        assert r.returncode == 2 and "is the input file" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert src.read_bytes() == before
    link = tmp_path / f"link.{fmt}"
    link.symlink_to(src)
    r = cli(str(src), "--out", str(link))
    assert r.returncode == 2 and "就是输入文件" in r.stderr and src.read_bytes() == before


def test_an_output_that_cannot_be_written_is_said_so(tmp_path):
    src = tmp_path / "in.csv"
    _write_csv(src, _csv_rows(2))
    (tmp_path / "adir.csv").mkdir()
    for out, says in ((tmp_path / "no" / "such" / "x.csv", "its folder does not exist"),
                      (tmp_path / "adir.csv", "is a folder")):
        r = cli(str(src), "--out", str(out), "--lang", "en")
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_run_that_fails_leaves_the_earlier_output_whole(policies, tmp_path, monkeypatch):
    from policyengine.batch import PythonEngine

    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(src, _csv_rows(30))
    run_batch(policies, src, out, engine="python", chunk_rows=10)
    complete = out.read_bytes()
    calls = []

    def failing(self, chunk):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stopped (Ctrl-C) after the first chunk was written
        return [self.row(r) for r in chunk]

    monkeypatch.setattr(PythonEngine, "__call__", failing)
    with pytest.raises(KeyboardInterrupt):
        run_batch(policies, src, out, engine="python", chunk_rows=10)
    assert out.read_bytes() == complete and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


@pytest.mark.parametrize("engine", ENGINES)
def test_bytes_not_utf8_are_their_rows_error_and_the_rest_is_decided(policies, tmp_path, engine, native_always):
    """One row pasted from a GBK file stopped the reader: 1,025 rows of 3,000 were lost, the line named wrong."""
    src, out = tmp_path / "in.csv", tmp_path / f"out-{engine}.csv"
    _write_csv(src, _csv_rows(3000))
    lines = src.read_bytes().split(b"\n")
    lines[2001] = lines[2001].replace(b"master", "张三".encode("gbk"))  # data row 2000, on line 2002
    src.write_bytes(b"\n".join(lines))
    res = run_batch(policies, src, out, engine=engine, lang="en")
    got = _read(out)
    assert res.rows == 3000 and res.errors == 1 and len(got) == 3000
    assert [r["error"] for r in got if r["error"]] == ["line 2002: the column(s) 'education' hold text that is not UTF-8 "
                                                       "(pasted from a file in another encoding?); save the file as UTF-8"]
    same = lambda r: {k: v for k, v in r.items() if k != "id"}  # noqa: E731 (every other row is the same case)
    assert got[-1]["id"] == "2999" and same(got[1999]) == same(got[2001]) == same(got[0])
    assert got[0]["min_service_days_per_year"] == "30" and got[0]["error"] == ""


def gbk_name_csv(path: Path) -> None:
    """Three rows, the second's carried ``name`` saved in GBK (张三), not UTF-8."""
    rows = _csv_rows(3, {"name": "ok"})
    _write_csv(path, rows)
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",ok", b"," + "张三".encode("gbk"))
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_carried_cell_not_utf8_keeps_the_rows_id_and_names_the_column(policies, tmp_path, native_always, lang):
    """A carried column (a name) holding GBK bytes made its row's output lose its id too: the error did not
    say which column, nor whose row.  Now the row keeps its readable carried cells, its error names the
    line and the column and says how to fix the file, and every engine writes the same file."""
    src = tmp_path / "in.csv"
    gbk_name_csv(src)
    want = {"en": "line 3: the column(s) 'name' hold text that is not UTF-8 (pasted from a file in another encoding?); "
                  "save the file as UTF-8",
            "zh": "第 3 行：列 'name' 的文字不是 UTF-8 编码（也许是从 GBK 等编码的文件里粘贴来的）；请把文件另存为 UTF-8 编码"}
    for fmt in ("csv", "jsonl", "parquet"):
        outs = {}
        for engine in ENGINES:
            out = tmp_path / f"out-{engine}.{fmt}"
            res = run_batch(policies, src, out, engine=engine, lang=lang)
            assert res.rows == 3 and res.errors == 1, (engine, fmt)
            got = _read(out)
            assert [r["id"] for r in got] == ["0", "1", "2"] and got[1]["name"] in (None, ""), (engine, fmt, got[1])
            assert got[1]["error"] == want[lang] and got[0]["name"] == "ok" and not got[0]["error"], (engine, fmt)
            outs[engine] = pq.read_table(out) if fmt == "parquet" else out.read_bytes()
        assert outs["duckdb"] == outs["python"] if fmt != "parquet" else outs["duckdb"].equals(outs["python"]), fmt


@pytest.mark.parametrize("engine", ENGINES)
def test_a_long_cell_is_read_as_every_engine_reads_it(policies, tmp_path, engine, native_always):
    src, out = tmp_path / "in.csv", tmp_path / f"out-{engine}.csv"
    rows = _csv_rows(50, {"note": "x"})
    rows[10]["note"] = "长" * 200_000  # past the csv module's 131,072-character default
    _write_csv(src, rows)
    res = run_batch(policies, src, out, engine=engine)
    got = _read(out)
    assert res.errors == 0 and len(got) == 50 and got[10]["note"] == rows[10]["note"]


def test_text_that_is_not_utf8_in_parquet_is_its_rows_error(policies, tmp_path):
    src = tmp_path / "in.parquet"
    rows = [{"id": i, **CASE} for i in range(5)]
    notes = pa.array([b"ok", b"ok", "张三".encode("gbk"), b"ok", b"ok"], type=pa.binary()).cast(pa.string(), safe=False)
    table = pa.Table.from_pylist(rows).append_column("note", notes)
    pq.write_table(table, src)
    for engine in ENGINES:
        out = tmp_path / f"out-{engine}.parquet"
        res = run_batch(policies, src, out, engine=engine, lang="en")
        got = _read(out)
        assert res.rows == 5 and res.errors == 1, engine
        assert got[2]["error"].startswith("row 3: the column(s) 'note' hold text that is not UTF-8"), got[2]["error"]
        assert got[2]["error"].endswith("save the file as UTF-8") and got[2]["id"] == 2 and got[4]["note"] == "ok"


def test_a_cell_with_a_lone_carriage_return_is_written_quoted(policies, tmp_path, native_always):
    rows = [{"id": i, **CASE, "note": note} for i, note in enumerate(["plain", "line one\rline two", "a\r\nb", "plain"])]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    written = {}
    for engine in ENGINES:
        out = tmp_path / f"out-{engine}.csv"
        run_batch(policies, src, out, engine=engine)
        got = _read(out)
        assert [r["note"] for r in got] == [r["note"] for r in rows], engine
        written[engine] = out.read_bytes()
    assert written["python"] == written["duckdb"] and b'"line one\rline two"' in written["python"]


def test_a_parquet_file_naming_a_column_twice_is_a_located_error(policies, tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table([pa.array(["1"]), pa.array(["a"]), pa.array(["b"])], names=["id", "note", "note"]), src)
    with pytest.raises(PolicyError) as e:
        run_batch(policies, src, tmp_path / "out.csv")
    assert e.value.diagnostics[0].code == "PE091" and "note" in e.value.diagnostics[0].text("en")


def test_a_row_written_as_a_case_file_is_refused_with_how_to_write_it(policies, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({**CASE, "facts": {"year": 2023}}) + "\n", encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        run_batch(policies, src, tmp_path / "out.jsonl")
    assert "'facts'" in e.value.diagnostics[0].text("en")


def test_a_json_lines_file_may_begin_with_a_bom(policies, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": 1, "name": "a", **CASE}).encode() + b"\n"
                    + json.dumps({"id": 2, **CASE}).encode() + b"\n")
    res = run_batch(policies, src, tmp_path / "out.jsonl")
    assert res.rows == 2 and res.errors == 0
    got = _read(tmp_path / "out.jsonl")  # the first line's columns are carried (the scan of the keys read it too)
    assert [(r["id"], r["name"]) for r in got] == [(1, "a"), (2, None)]


def test_a_cell_past_the_limit_stops_the_reading_and_invents_no_row(policies, tmp_path, monkeypatch):
    from policyengine.batch import io

    monkeypatch.setattr(io, "MAX_LINE_BYTES", 1000)
    limit = csv.field_size_limit(1000)
    try:
        src = tmp_path / "in.csv"
        src.write_text("id,note\n1,a\n2,\"" + "x" * 2000 + "\nsecond line of the cell, still it\"\n3,c\n", encoding="utf-8")
        res = run_batch(policies, src, tmp_path / "out.csv", engine="python", lang="en")
    finally:
        csv.field_size_limit(limit)
    got = _read(tmp_path / "out.csv")
    assert res.rows == 2 and [r["id"] for r in got] == ["1", ""], got  # no row made of the cell's second line
    assert got[1]["error"].startswith("line 3: field larger than field limit") and "rest of the file" in got[1]["error"]


def test_an_output_that_is_a_link_is_written_where_it_points_and_keeps_its_mode(policies, tmp_path):
    import os
    import stat

    src, target, link = tmp_path / "in.csv", tmp_path / "target.csv", tmp_path / "link.csv"
    _write_csv(src, _csv_rows(2))
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link.symlink_to(target)
    run_batch(policies, src, link, engine="python")
    assert link.is_symlink() and len(_read(target)) == 2 and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    long = tmp_path / ("r" * 240 + ".csv")  # a long name: the hidden file's own stays short
    run_batch(policies, src, long, engine="python")
    assert len(_read(long)) == 2 and stat.S_IMODE(os.stat(long).st_mode) == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _umask() -> int:
    import os

    old = os.umask(0)
    os.umask(old)
    return old


@pytest.mark.parametrize("as_of", ["20240301", "2024-W09-5", "2024-061"])
def test_as_of_is_a_date_written_as_a_row_writes_it(tmp_path, as_of):
    src = tmp_path / "in.csv"
    _write_csv(src, [{"id": "1", "subject": "commissioner", "jurisdiction": "cn/nm/baotou"}])
    r = cli(str(src), "--out", str(tmp_path / "out.csv"), "--as-of", as_of)
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "evaluate", str(ROOT / "examples" / sorted(
        p.name for p in (ROOT / "examples").iterdir())[0]), "--as-of", as_of], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr


def _edited_csv_by_every_engine(policies, tmp_path, edit, end: str = "\n") -> dict:
    """The 30-row CSV with its lines changed by ``edit`` (in place), decided by every engine: engine -> (output, result)."""
    src = tmp_path / "in.csv"
    _write_csv(src, _csv_rows(30))
    text = src.read_text(encoding="utf-8").splitlines()
    edit(text)
    src.write_text("\n".join(text) + end, encoding="utf-8")
    outs = {}
    for engine in ENGINES:
        out = tmp_path / f"out-{engine}.csv"
        outs[engine] = (out, run_batch(policies, src, out, engine=engine, lang="en"))
    return outs


def test_a_quoted_cell_followed_by_spaces_is_read_alike_by_every_engine(policies, tmp_path, native_always):
    """DuckDB read '"42" ' as 42 and decided the row; the python engine read '42 ' and said it is no number."""
    def edit(text):
        text[5] = text[5].replace(",42,", ',"42" ,')

    outs = _edited_csv_by_every_engine(policies, tmp_path, edit)
    assert outs["duckdb"][0].read_bytes() == outs["python"][0].read_bytes()
    assert "facts.service_days" in _read(outs["python"][0])[4]["error"]


@pytest.mark.parametrize("where", ["cell", "header"])
def test_spaces_before_a_cells_opening_quote_are_read_alike_by_every_engine(policies, tmp_path, native_always, where):
    """DuckDB dropped the spaces before an opening quote (', "42"') and decided the row; the python engine read
    ' "42"' and said it is no number (every carried cell differed too)."""
    def edit(text):
        if where == "cell":
            text[5] = text[5].replace(",42,", ', "42",')
        else:
            cols = text[0].split(",")
            cols[1] = f' "{cols[1]}"'  # (a header written "a", "b", "c")
            text[0] = ",".join(cols)

    outs = _edited_csv_by_every_engine(policies, tmp_path, edit)
    assert outs["duckdb"][0].read_bytes() == outs["python"][0].read_bytes()
    if where == "cell":
        assert "facts.service_days" in _read(outs["python"][0])[4]["error"]


def test_a_blank_line_in_csv_is_no_row_for_any_engine(policies, tmp_path, native_always):
    """DuckDB skips a blank line; the python engine wrote an error row for it ('0 cells, the header has 9'),
    without an id: the outputs had different rows."""
    outs = _edited_csv_by_every_engine(policies, tmp_path, lambda text: text.insert(10, ""), end="\n\n")
    for engine, (_, res) in outs.items():
        assert res.rows == 30 and res.errors == 0, (engine, res)
    assert outs["duckdb"][0].read_bytes() == outs["python"][0].read_bytes()


def test_a_timestamp_with_a_zone_where_a_date_is_wanted_is_said_alike_by_every_engine(policies, tmp_path, native_always):
    import datetime as dt

    zone = dt.timezone(dt.timedelta(hours=8))
    rows = [{"id": i, **CASE, "dispatch_start": dt.datetime(2023, 3, 15, 8, 0, tzinfo=zone)} for i in range(5)]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.int64()), ("subject", pa.string()),
                                                                 ("jurisdiction", pa.string()), ("as_of", pa.string()),
                                                                 ("dispatch_start", pa.timestamp("s", tz="+08:00"))])), src)
    errors = {}
    for engine in ENGINES:
        run_batch(policies, src, tmp_path / f"out-{engine}.jsonl", engine=engine, lang="en")
        errors[engine] = [r["error"] for r in _read(tmp_path / f"out-{engine}.jsonl")]
    assert errors["duckdb"] == errors["python"] and '"2023-03-15T00:00:00+00:00"' in errors["python"][0], errors


def test_a_carried_time_in_nanoseconds_is_said_not_an_internal_error(policies, tmp_path):
    """pyarrow cannot give a Python datetime for a time with nanoseconds (pandas' and Spark's default unit):
    the python engine stopped with an internal error and exit 3, no output."""
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1, 2], "subject": ["commissioner"] * 2, "jurisdiction": ["cn/nm"] * 2,
                             "as_of": ["2024-03-01"] * 2, "year": [2023, 2023],
                             "loaded_at": pa.array([1700000000123456789, None], pa.timestamp("ns"))}), src)
    for out in ("o.parquet", "o.csv"):
        with pytest.raises(PolicyError) as e:
            run_batch(policies, src, tmp_path / out, lang="en")
        d = e.value.diagnostics[0]
        assert d.code == "PE091" and "loaded_at" in d.message and "nanoseconds" in d.message
        assert not (tmp_path / out).exists()


def test_a_file_duckdb_cannot_read_is_said_in_one_line_in_the_language_asked(policies, tmp_path, native_always):
    """A ragged CSV row made DuckDB's own 25-line English report (advising options this command does not have,
    such as strict_mode=false) the run's note, in Chinese runs too."""
    src = tmp_path / "in.csv"
    src.write_text("id,subject,jurisdiction,as_of,year\n1,commissioner,cn/nm,2024-03-01,2023\n"
                   "2,commissioner,cn/nm,2024-03-01,2023,extra\n", encoding="utf-8")
    res = run_batch(policies, src, tmp_path / "o.csv", lang="zh")
    assert res.engine == "python" and res.errors == 1
    note = res.notes[-1]
    assert "DuckDB 无法按 CSV 标准读取第 3 行" in note.zh and "\n" not in note.zh + note.en
    assert "strict_mode" not in note.zh + note.en and "CSV Error on Line: 3" in note.en


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_run_stopped_by_a_signal_leaves_nothing_and_says_so(tmp_path, sig):
    """A scheduler's SIGTERM (or a closed terminal's SIGHUP) killed the run where it stood: the hidden partial
    output stayed beside OUTPUT; Ctrl-C exited 130 without a word."""
    import os
    import signal
    import time

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust",
                                       "as_of": "2024-03-01", "year": 2023, "service_days": i % 300}) + "\n"
                           for i in range(200_000)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(tmp_path / "out.csv"),
                          "--lang", "en"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         # (a suite run in the background, as .ci/run runs one, inherits SIGINT ignored: a user's
                         # terminal does not)
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".pe-*")) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert p.poll() is None, p.communicate()  # (writing: the partial output exists)
    p.send_signal(getattr(signal, sig))
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + getattr(signal, sig), err
    assert ("interrupted (Ctrl-C)" if sig == "SIGINT" else f"stopped ({sig})") in err
    assert "the output was not written or changed" in err
    assert not list(tmp_path.glob(".pe-*")) and not (tmp_path / "out.csv").exists()


def test_a_double_column_is_said_to_be_a_float_not_a_number_that_is_no_number(policies, tmp_path):
    """A Parquet DOUBLE (pandas writes an int column with a gap so) was refused on every row as
    '应当是整数，但写的是 40.0' / '应当是数字，但写的是 20.5': a number refused for not being a number."""
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1], "subject": ["commissioner"], "jurisdiction": ["cn/nm"], "as_of": ["2024-03-01"],
                             "year": [2023], "service_days": pa.array([40.0], pa.float64())}), src)
    run_batch(policies, src, tmp_path / "o.csv", lang="zh")
    error = _read(tmp_path / "o.csv")[0]["error"]
    assert "浮点数 40.0（二进制小数，不精确）" in error, error


# --- an input of no rows: never an error, an empty output of the format asked --------------------------------

def empty_inputs(tmp_path: Path) -> dict[str, list[str]]:
    """Inputs of no rows, each with the carried columns the output is to have."""
    (tmp_path / "no-bytes.csv").write_bytes(b"")  # no header either: no column is known
    (tmp_path / "header.csv").write_text("id,subject,jurisdiction,as_of,year\n", encoding="utf-8")
    (tmp_path / "no-bytes.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_text("\n\n", encoding="utf-8")
    pq.write_table(pa.table({"id": pa.array([], pa.int64()), "subject": pa.array([], pa.string()),
                             "year": pa.array([], pa.int64())}), tmp_path / "no-rows.parquet")
    pq.write_table(pa.table({}), tmp_path / "no-columns.parquet")
    return {"no-bytes.csv": [], "header.csv": ["id"], "no-bytes.jsonl": [], "blank.jsonl": [],
            "no-rows.parquet": ["id"], "no-columns.parquet": []}


def test_an_input_of_no_rows_is_an_empty_output_of_the_format_asked(policies, tmp_path, native_always):
    """An empty input was answered three ways (a header, an empty file, or PE091 with exit 2, by its format):
    whatever its format, an input of no rows is no error — 0 rows, an empty output of the format asked (a CSV
    its header, JSON Lines no line, Parquet its columns), every engine alike."""
    from policyengine.batch import outcome_columns

    outcomes = outcome_columns(policies.policy_set, None)
    for name, carried in empty_inputs(tmp_path).items():
        columns = carried + outcomes + ["error"]
        for fmt in ("csv", "jsonl", "parquet"):
            outs = {}
            for engine in ENGINES:
                out = tmp_path / f"{name}-{engine}.{fmt}"
                res = run_batch(policies, tmp_path / name, out, engine=engine, lang="en")
                assert (res.rows, res.errors) == (0, 0), (name, fmt, engine)
                assert not any("DuckDB:" in n.en for n in res.notes), res.notes  # (a reason, not DuckDB's own error)
                if fmt == "csv":
                    assert out.read_text(encoding="utf-8") == ",".join(columns) + "\n", (name, engine)
                elif fmt == "jsonl":
                    assert out.read_bytes() == b"", (name, engine)
                else:
                    assert pq.read_table(out).num_rows == 0 and pq.read_schema(out).names == columns, (name, engine)
                outs[engine] = pq.read_table(out) if fmt == "parquet" else out.read_bytes()
            assert outs["duckdb"] == outs["python"] if fmt != "parquet" else outs["duckdb"].equals(outs["python"])
    r = cli(str(tmp_path / "no-rows.parquet"), "--out", str(tmp_path / "o.jsonl"), "--lang", "en")
    assert r.returncode == 0 and "0 row(s) decided by duckdb, 0 with an error" in r.stderr + r.stdout, r


def test_a_parquet_file_of_no_bytes_is_a_located_error_not_an_empty_input(policies, tmp_path):
    """A file of no bytes is a CSV or JSON Lines file of no rows, but no Parquet file: one of no rows still holds
    its columns, so this one was never written to its end (an export that failed) — said so, not decided as empty."""
    src = tmp_path / "in.parquet"
    src.write_bytes(b"")
    for engine in ENGINES:
        with pytest.raises(PolicyError) as e:
            run_batch(policies, src, tmp_path / "o.csv", engine=engine)
        d = e.value.diagnostics[0]
        assert d.code == "PE091" and "文件是空的（0 个字节），不是 Parquet 文件" in d.text("zh"), d.text("zh")
        assert "the file is empty (0 bytes), not a Parquet file" in d.text("en")
    r = cli(str(src), "--out", str(tmp_path / "o.csv"), "--lang", "en")
    assert r.returncode == 2 and "was it written to the end?" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "o.csv").exists()


BAD_LISTS = [  # (a CSV cell of the list fact evaluation_history, what its row's error says: en, zh)
    ('[{"year": 2022, "year": 2023}]', 'the key "year" is given twice', '键 "year" 写了两次'),
    ('[{"year": 2022', "not JSON (Expecting ',' delimiter: line 1 column 15 (char 14); a list or object is not closed: "
     "add }] at the end)", "不是 JSON（第 15 列：这里缺少半角逗号 ,；列表或对象没有闭合：结尾缺少 }]）"),
    ('[{“year”：2022}]', "not JSON (Expecting property name enclosed in double quotes: line 1 column 3 (char 2); "
     "full-width punctuation “ ” ， ： must be ASCII \" , :)", '不是 JSON（第 3 列：这里应当是用半角双引号 " 括起来的字段名；'
     '把全角符号 “ ” ， ： 改成半角的 " , :）'),
    ('[{"year": 2022},]', "not JSON (Expecting value: line 1 column 17 (char 16); no comma after the last item)",
     "不是 JSON（第 17 列：这里应当是一个值（数字、\"文字\"、true、false、null、[…] 或 {…}）；最后一项后面不要加逗号）"),
    ("[{year: 2022}]", "not JSON (Expecting property name enclosed in double quotes: line 1 column 3 (char 2))",
     '不是 JSON（第 3 列：这里应当是用半角双引号 " 括起来的字段名）'),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_list_cell_that_is_not_json_says_why_not_expected_a_list(policies, tmp_path, engine, native_always):
    """A CSV cell of a list that does not read as JSON said "expected a list, got "[{…}]"" — to an officer who
    wrote a list.  Now the row's error says what is wrong with the JSON (a key twice, where it stops and why, and
    the likely fix: close the list, half-width quotes, no comma after the last item), in the language asked,
    whichever engine runs; the good rows beside it are decided."""
    base = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01", "year": "2024"}
    rows = [dict(base, id=str(i), evaluation_history=cell) for i, (cell, _, _) in enumerate(BAD_LISTS)]
    rows.append(dict(base, id="9", evaluation_history='[{"year": 2023, "grade": "excellent"}]'))
    src = tmp_path / "in.csv"
    _write_csv(src, rows)
    for lang, k in (("en", 1), ("zh", 2)):
        out = tmp_path / f"out-{engine}-{lang}.csv"
        res = run_batch(policies, src, out, engine=engine, lang=lang)
        got = _read(out)
        assert res.errors == len(BAD_LISTS) and res.engine == engine, (got, res.notes)
        assert [r["error"] for r in got[:-1]] == [f"PE062 facts.evaluation_history{'：' if lang == 'zh' else ': '}{b[k]}"
                                                  for b in BAD_LISTS]
        assert got[-1]["error"] == "" and got[-1]["min_service_days_per_year"] == "30"
