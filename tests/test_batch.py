"""``policyengine batch`` (CONTRACT, "Batch evaluation"): every engine, every format, against
``Policies.evaluate``.

The population: every pack test case (at its own subject, jurisdiction and date) and generated
IMUST and Baotou cases that reach every tier boundary of 附件3, every grade boundary, and facts
left out; plus malformed rows, which must fill ``error`` (naming the field) while every other
row is still decided.  Each engine writes each format; every output row must hold exactly the
outcomes ``Policies.evaluate`` gives for that row's case, and the carried ``id``.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policyengine import Policies, PolicyError
from policyengine.batch import ENGINES, outcome_columns, run_batch
from policyengine.batch.io import json_of
from policyengine.load import load_file

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("jsonl", "csv", "parquet")


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


def pack_cases() -> list[dict]:
    out = []
    for p in sorted((ROOT / "policies").rglob("tests/*.yaml")):
        for c in load_file(p).data.get("cases", ()):
            out.append({k: c[k] for k in ("subject", "jurisdiction", "as_of", "facts") if k in c})
    return out


def generated_cases(n: int, seed: int = 20240301) -> list[dict]:
    """IMUST teachers and Baotou score cases: tier ends and one past them, grades at 69/70 and 84/85,
    and each fact left out in turn."""
    from benchmarks.cases import decision_cases, score_cases

    rng = random.Random(seed)
    out = [dict(c, as_of=c["as_of"]) for c in decision_cases(rng, n, as_of=dt.date(2024, 3, 1))]
    out += [{"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01", "facts": f}
            for f in score_cases(rng, n)]
    names = sorted(out[0]["facts"])
    for i, c in enumerate(out[:n]):  # each fact left out in turn
        facts = dict(c["facts"])
        facts.pop(names[i % len(names)], None)
        out.append(dict(c, facts=facts))
    return out


BAD_ROWS = [  # (case, a field the error must name)
    ({"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01",
      "facts": {"service_days": -4, "year": 2024}}, "facts.service_days"),
    ({"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-02-30",
      "facts": {"year": 2024}}, "as_of"),
    ({"subject": "commissioner", "jurisdiction": "cn/nm/nowhere", "as_of": "2024-03-01", "facts": {}}, "jurisdiction"),
    ({"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01",
      "facts": {"education": "phd"}}, "facts.education"),
]


def row_of(case: dict, i: int) -> dict:
    row = {"id": i, "subject": case.get("subject"), "jurisdiction": case.get("jurisdiction"),
           "as_of": json_of(case.get("as_of"))}
    for k, v in (case.get("facts") or {}).items():
        row[k] = json_of(v) if isinstance(v, dt.date) else v
    return row


def write_input(path: Path, rows: list[dict]) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    if path.suffix == ".jsonl":
        # (a Decimal as a JSON number with its digits: the reader takes it back as that Decimal)
        path.write_text("".join(json.dumps(r, ensure_ascii=False, default=float) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for r in rows:
                w.writerow(["" if c not in r else "null" if r[c] is None else
                            json.dumps(r[c]) if isinstance(r[c], (list, dict)) else
                            ("true" if r[c] else "false") if isinstance(r[c], bool) else str(r[c]) for c in cols])
    else:
        def typed(c, v):
            if c in DATE_FACTS:  # (as_of stays text: the population has an impossible one)
                return dt.date.fromisoformat(v) if isinstance(v, str) else v
            return v
        table = pa.Table.from_pylist([{c: typed(c, r.get(c)) for c in cols} for r in rows])
        pq.write_table(table, path)


DATE_FACTS = {"dispatch_start", "dispatch_end", "first_dispatch_start", "false_information_found"}


def read_output(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(fh)]
    return pq.read_table(path).to_pylist()


def as_text(v: Any, fmt: str) -> Any:
    """An outcome as the output format holds it."""
    if fmt == "csv":
        if v is None:
            return None
        return "true" if v is True else "false" if v is False else v.isoformat() if isinstance(v, dt.date) else str(v)
    if fmt == "jsonl":
        return json_of(v)
    return v


def expected(policies: Policies, case: dict) -> dict | str:
    """Outcomes from the public API (the case exactly as a row gives it), or the error text."""
    try:
        return policies.evaluate(case, explain=False).outputs
    except PolicyError as e:
        return " ".join(d.message for d in e.diagnostics)


@pytest.fixture(scope="module")
def population(policies) -> list[dict]:
    cases = pack_cases() + generated_cases(150)
    return cases + [c for c, _ in BAD_ROWS]


def _row_case(policies: Policies, row: dict, fmt: str, columns: list[str]) -> dict:
    """The case a row stands for (policyengine/batch/rows.py): in JSON Lines and CSV the facts the
    row gives, null included; in Parquet, where every column has a cell, a null cell is null for a
    fact that may be null and leaves any other fact out."""
    facts = {}
    for k in columns:
        if k in ("id", "subject", "jurisdiction", "as_of"):
            continue
        if fmt != "parquet":
            if k in row:
                facts[k] = row[k]
            continue
        v = row.get(k)
        f = policies.policy_set.facts.get((row["subject"], k))
        if v is not None or (f is not None and (f.nullable or f.type.nullable)):
            facts[k] = v
    return {"subject": row["subject"], "jurisdiction": row["jurisdiction"], "as_of": row["as_of"], "facts": facts}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fmt_in", FORMATS)
def test_every_engine_agrees_with_evaluate(policies, population, tmp_path, engine, fmt_in, monkeypatch):
    from policyengine.batch import native

    # DuckDB reads Parquet and CSV itself, one query per program, however few its rows; JSON Lines is the python engine's
    monkeypatch.setattr(native, "MIN_ROWS_PER_PROGRAM", 0)
    rows = [row_of(c, i) for i, c in enumerate(population)]
    src = tmp_path / f"in.{fmt_in}"
    write_input(src, rows)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    outcomes = outcome_columns(policies.policy_set, None)
    for fmt_out in FORMATS:
        dst = tmp_path / f"out.{fmt_out}"
        # several chunks, one not full, for the first output; then chunks of the default size
        res = run_batch(policies, src, dst, engine=engine, chunk_rows=37 if fmt_out == FORMATS[0] else 10_000)
        assert res.rows == len(rows)
        assert engine != "duckdb" or (res.notes == [] and res.engine == "duckdb") == (fmt_in != "jsonl"), res.notes
        got = read_output(dst)
        assert len(got) == len(rows)
        assert list(got[0]) == ["id"] + outcomes + ["error"]
        for row, out in zip(rows, got):
            assert str(out["id"]) == str(row["id"])  # carried (CSV: as text)
            want = expected(policies, _row_case(policies, row, fmt_in, columns))
            if isinstance(want, str):
                assert out["error"], f"row {row['id']}: malformed, but no error"
                assert all(out[o] is None for o in outcomes)
                continue
            assert out["error"] is None, f"row {row['id']}: {out['error']}"
            for o in outcomes:
                assert out[o] == as_text(want.get(o), fmt_out), f"row {row['id']} ({engine}, {fmt_in}->{fmt_out}): {o}"


def test_malformed_rows_name_the_field_and_do_not_stop_the_others(policies, tmp_path):
    good = pack_cases()[:3]
    cases = [good[0]] + [c for c, _ in BAD_ROWS] + good[1:]
    src = tmp_path / "in.jsonl"
    write_input(src, [row_of(c, i) for i, c in enumerate(cases)])
    n = len(cases)
    (tmp_path / "in.jsonl").write_text(src.read_text() + 'not json\n[1, 2]\n\ufeff{"id": 1}\n{"id": NaN}\n'
                                       '{"id": 1, "id": 2}\n{"id": 1, "note": "\\ud800"}\n', encoding="utf-8")
    for engine in ENGINES:
        dst = tmp_path / f"out-{engine}.jsonl"
        res = run_batch(policies, src, dst, engine=engine, lang="en")
        got = read_output(dst)
        assert res.rows == n + 6 and res.errors == len(BAD_ROWS) + 6
        assert got[0]["error"] is None and got[n - 1]["error"] is None
        for out, (_, field) in zip(got[1:], BAD_ROWS):
            assert field in out["error"], out["error"]
        assert [r["error"] for r in got[n:]] == [
            f"line {n + 1}: not JSON (Expecting value: line 1 column 1 (char 0))",
            f"line {n + 2}: a row is a JSON object, not list",
            f"line {n + 3}: not JSON (Expecting value: line 1 column 1 (char 0))",  # (a BOM is read on line 1 only)
            f"line {n + 4}: not JSON (NaN is not a number)",
            f'line {n + 5}: the key "id" is given twice',  # (as a case file refuses it)
            f"line {n + 6}: a text holds a lone \\ud800-\\udfff escape, which is no character"]  # (it stopped the writer)
    res = run_batch(policies, src, tmp_path / "out-zh.jsonl")  # the error column in the language asked (default zh)
    got = read_output(tmp_path / "out-zh.jsonl")
    assert got[n]["error"] == f"第 {n + 1} 行：不是 JSON（第 1 列：这里应当是一个值（数字、\"文字\"、true、false、null、[…] 或 {{…}}））"
    assert got[n + 4]["error"] == f'第 {n + 5} 行：键 "id" 写了两次'
    said = [got[i]["error"] for i in range(1, len(BAD_ROWS) + 1)]
    assert all(re.search("[\u4e00-\u9fff]", e) and field in e for e, (_, field) in zip(said, BAD_ROWS)), said


def test_flags_supply_the_case_columns_and_explain_adds_the_explanation(policies, tmp_path):
    case = pack_cases()[0]
    row = {"id": "a-1", **{k: json_of(v) for k, v in case["facts"].items()}}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    run_batch(policies, src, dst, subject=case["subject"], jurisdiction=case["jurisdiction"],
              as_of=str(json_of(case["as_of"])), engine="python", explain=True)
    out = read_output(dst)[0]
    d = policies.evaluate(case)
    assert out["id"] == "a-1" and out["error"] is None
    assert json.loads(out["explanation"]) == json.loads(json.dumps(d.to_dict()["explanation"]))
    assert list(out)[-2:] == ["error", "explanation"]
    assert set(out) - {"id", "error", "explanation"} == set(outcome_columns(policies.policy_set, case["subject"]))


def test_left_out_and_null_in_each_format(policies, tmp_path, native_always):
    """CSV: an empty cell leaves the fact out, the text null is null; JSON Lines: a key not in the
    row leaves it out, null is null; Parquet: a null cell is null for a fact that may be null
    (false_information_found) and leaves any other fact (service_days) out."""
    base = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01"}
    want = policies.evaluate({**base, "facts": {"false_information_found": None}}, explain=False).outputs
    unknown = policies.evaluate({**base, "facts": {}}, explain=False).outputs
    assert want != unknown  # null and left out decide differently: the test can tell them apart
    (tmp_path / "a.csv").write_text("id,subject,jurisdiction,as_of,false_information_found,service_days\n"
                                    "1,commissioner,cn/nm/baotou/imust,2024-03-01,null,\n"
                                    "2,commissioner,cn/nm/baotou/imust,2024-03-01,,\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": 1, **base, "false_information_found": None}) + "\n"
                                      + json.dumps({"id": 2, **base}) + "\n", encoding="utf-8")
    pq.write_table(pa.table({"id": [1], "subject": [base["subject"]], "jurisdiction": [base["jurisdiction"]],
                             "as_of": [dt.date(2024, 3, 1)], "false_information_found": pa.array([None], pa.date32()),
                             "service_days": pa.array([None], pa.int64())}), tmp_path / "a.parquet")
    for engine in ENGINES:
        for fmt in FORMATS:
            dst = tmp_path / f"out-{engine}-{fmt}.jsonl"
            res = run_batch(policies, tmp_path / f"a.{fmt}", dst, engine=engine)
            assert engine != "duckdb" or fmt == "jsonl" or res.notes == [], res.notes  # read by DuckDB itself
            got = read_output(dst)
            for out, expect in zip(got, (want, unknown)):
                assert out["error"] is None
                assert {o: out[o] for o in expect} == {o: json_of(v) for o, v in expect.items()}, (engine, fmt, out["id"])


def test_bad_usage_is_a_located_error_not_a_traceback(policies, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "score": 3}\n', encoding="utf-8")
    for args, needle in [((src, tmp_path / "o.txt"), ".parquet, .csv or .jsonl"),
                         ((tmp_path / "missing.csv", tmp_path / "o.csv"), "no such file"),
                         ((src, tmp_path / "o.csv"), "'score'")]:
        with pytest.raises(PolicyError) as e:
            run_batch(policies, *args, engine="python")
        d = e.value.diagnostics[0]
        assert needle in d.text("en") and d.code == "PE091"
        assert any("\u4e00" <= c <= "\u9fff" for c in d.text("zh")) and d.help("zh"), d.text("zh")
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(tmp_path / "o.txt")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "PE091" in r.stderr and "Traceback" not in r.stderr
    assert "批量文件必须是 .parquet、.csv 或 .jsonl" in r.stderr, r.stderr  # Chinese by default


def test_cli_batch_writes_parquet(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [row_of(c, i) for i, c in enumerate(generated_cases(5))]
    write_input(src, rows)
    dst = tmp_path / "out.parquet"
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(dst),
                        "--engine", "python"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    t = pq.read_table(dst)
    assert t.num_rows == len(rows)
    assert t.schema.field("score").type == pa.int64() and t.schema.field("eligible").type == pa.bool_()
    assert t.schema.field("banned_until").type == pa.date32()


def test_core_import_does_not_load_duckdb_or_pyarrow():
    code = "import sys, policyengine; print(sorted(m for m in ('duckdb', 'pyarrow', 'sqlglot') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_translation_reports_what_it_cannot_express_by_name(policies, tmp_path):
    """The aggregates over evaluation_history at IMUST are SQL now (list lambdas); what is still not —
    eligible of a workstation reads the decimal fact years_service_experience — is reported by name,
    and its rows get the public API's values (the tests above and below)."""
    from policyengine.batch import native
    from policyengine.batch.sql import translate

    q = translate(policies.program("cn/nm/baotou/imust", dt.date(2024, 3, 1), "commissioner"))
    assert q.row_wise == {}
    assert {"score", "eligible", "compliant", "filing_revoked", "blacklisted"} <= set(q.outputs)
    q = translate(policies.program("cn/nm", dt.date(2024, 3, 1), "workstation"))
    assert set(q.row_wise) == {"eligible"} and "decimal fact 'years_service_experience'" in q.row_wise["eligible"]
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "subject": "workstation", "jurisdiction": "cn/nm", "as_of": "2024-03-01",
                               "years_service_experience": 2.5}) + "\n", encoding="utf-8")
    par = tmp_path / "in.parquet"
    n = native.MIN_ROWS_PER_PROGRAM  # (fewer are the python engine's: planning would take longer than deciding)
    pq.write_table(pa.table({"id": list(range(n)), "subject": ["workstation"] * n, "jurisdiction": ["cn/nm"] * n,
                             "as_of": [dt.date(2024, 3, 1)] * n, "year": [2024] * n}), par)
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(par), "--out", str(tmp_path / "o.csv"),
                        "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "cannot express" in r.stderr and "eligible of workstation at cn/nm" in r.stderr, r.stderr
    assert f"{n} row(s) decided by duckdb, 0 with an error" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(par), "--out", str(tmp_path / "o.csv"),
                        "--lang", "zh"], capture_output=True, text=True, cwd=ROOT)
    assert "说明：SQL 翻译无法表达" in r.stderr and "行，其中 0 行有错误" in r.stderr, r.stderr
    # JSON Lines is read by Python, and rows read by Python are the python engine's: no translation to report
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(tmp_path / "o.csv"),
                        "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "cannot express" not in r.stderr, r.stderr
    assert ("note: DuckDB does not read this input itself (jsonl input): the python engine reads and decides the "
            "rows, a chunk at a time") in r.stderr and "1 row(s) decided by python, 0 with an error" in r.stderr, r.stderr


def test_an_aggregate_escapes_only_where_its_list_is_given_and_a_name_it_reads_is_not(policies):
    """An aggregate over a list fact reading a name from outside (Baotou: ``… for h in evaluation_history
    where h.year == year - 1``): with the list left out it is undetermined, whatever ``year`` is, so SQL
    decides the row; with the list given and ``year`` left out, the row is decided row-wise (the
    escape) — never a guess."""
    from benchmarks.cases import score_cases

    from policyengine.batch.screen import duckdb_screen

    history = [{"year": 2023, "grade": "unqualified"}]
    score = score_cases(random.Random(3), 30)[:30]
    facts = score + [{**score[0], "year": 2024}, {**score[1], "evaluation_history": history, "year": 2024},
                     {**score[2], "evaluation_history": history}, {**score[3], "evaluation_history": []}]
    accepted = [policies._accept({"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01",
                                  "facts": f}, "en") for f in facts]
    prog = accepted[0][1][1]
    rows = [(a[0], a[1][3]) for a in accepted]
    screen = duckdb_screen()
    try:
        got = screen.outcomes(prog, rows)
    finally:
        screen.close()
    assert all(g is not None for g in got[:-2]) and got[-2:] == [None, None]
    for (f, day), g in zip(rows, got):
        if g is not None:
            want = prog.decide(f, day)
            assert g == {o: want.get(o) for o in g}, f
    assert len({g["score"] for g in got[:30]}) > 5  # (the score table decided in SQL)


def test_the_query_renders_for_other_dialects_and_runs_the_same_in_duckdb(policies):
    """One query built once; SQLGlot renders it for Spark and PostgreSQL, and the DuckDB rendering
    of SQLGlot's own reading gives the same rows as the query as built."""
    import duckdb

    from policyengine.batch.sql import render, translate

    prog = policies.program("cn/nm/baotou/imust", dt.date(2024, 3, 1), "commissioner")
    q = translate(prog)
    assert render(q.sql, "spark") and render(q.sql, "postgres")
    rng = random.Random(7)
    from benchmarks.cases import decision_cases

    cases = [policies.case(c) for c in decision_cases(rng, 40, as_of=dt.date(2024, 3, 1))]
    cols = {"row_id": pa.array(range(len(cases)), pa.int64()), "as_of": pa.array([c.as_of for c in cases], pa.date32())}
    kinds = {"bool": pa.bool_(), "int": pa.int64(), "date": pa.date32(), "enum": pa.string(), "string": pa.string()}
    history = pa.list_(pa.struct([("year", pa.int64()), ("grade", pa.string())]))
    for fact, v, m in q.facts:
        kind = prog.facts[fact].type.kind
        cols[v] = pa.array([c.facts.get(fact) for c in cases], history if kind == "list" else kinds[kind])
        cols[m] = pa.array([fact not in c.facts for c in cases], pa.bool_())
    con = duckdb.connect()
    con.register("batch_rows", pa.table(cols))
    assert con.execute(q.sql).fetchall() == con.execute(render(q.sql, "duckdb")).fetchall()
    decided = 0
    for case, rec in zip(cases, con.execute(q.sql).fetchall()):
        if rec[-1]:
            continue  # escaped: decided row-wise by the engine
        decided += 1
        want = prog.decide(case.facts, case.as_of)
        assert {o: rec[k + 1] for k, o in enumerate(q.outputs)} == {o: want[o] for o in q.outputs}
    assert decided == len(cases)  # (these cases give every fact an aggregate reads: nothing escapes)


def test_engines_agree_on_a_larger_generated_population(policies, tmp_path, native_always):
    """Thousands of generated IMUST and Baotou cases (tier ends, grade boundaries, facts left out),
    Parquet in: the DuckDB engine's output is byte for byte the python engine's."""
    rows = [row_of(c, i) for i, c in enumerate(generated_cases(1500, seed=11))]
    src = tmp_path / "in.parquet"
    write_input(src, rows)
    for fmt in ("jsonl", "csv"):
        run_batch(policies, src, tmp_path / f"py.{fmt}", engine="python", chunk_rows=1000)
        r = run_batch(policies, src, tmp_path / f"duck.{fmt}", engine="duckdb", chunk_rows=1000)
        assert r.engine == "duckdb" and r.notes == [], r.notes
        assert (tmp_path / f"py.{fmt}").read_bytes() == (tmp_path / f"duck.{fmt}").read_bytes()
    want = [expected(policies, _row_case(policies, r, "parquet", list(rows[0]))) for r in rows[:200]]
    got = read_output(tmp_path / "duck.jsonl")[:200]
    assert all(g["score"] == json_of(w.get("score")) for g, w in zip(got, want))


HOSTILE = [  # facts of an IMUST commissioner that the validation refuses or the fast path does not take
    {"service_days": -4}, {"service_days": 10 ** 15}, {"year": 1899}, {"education": "phd"},
    {"education": ""}, {"dispatch_start": "2024-02-30"}, {"dispatch_start": "2024-3-1"},
    {"false_information_found": "2021-02-29"}, {"talents": "3"}, {"negative_impact": "yes"},
    {"evaluation_history": [{"year": 2023, "grade": "great"}]},
    {"evaluation_history": [{"year": -1, "grade": "good"}]},
    {"workstations_filed": 3},  # a fact of another subject
]


@pytest.fixture
def native_always(monkeypatch):
    """DuckDB reads the file itself however few rows each program has (policyengine/batch/native.py)."""
    from policyengine.batch import native

    monkeypatch.setattr(native, "MIN_ROWS_PER_PROGRAM", 0)


def hostile_rows() -> list[dict]:
    base = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01"}
    rows = []
    for i, bad in enumerate(HOSTILE):
        rows.append({"id": i, **base, "year": 2024, "service_days": 200, **bad})
    rows.append({"id": 90, **base, "as_of": "2024-02-30", "year": 2024})
    rows.append({"id": 91, **base, "jurisdiction": "cn/nm/nowhere", "year": 2024})
    rows.append({"id": 92, **base, "subject": "teacher", "year": 2024})
    rows.append({"id": 93, **base, "year": 2024, "service_days": 120})  # a good row among them
    return rows


def test_duckdb_reads_the_file_itself_and_gives_hostile_rows_the_python_engines_errors(policies, tmp_path, native_always):
    """Parquet and CSV are read by DuckDB (no note that it handed them to the python engine); the checks
    in SQL send every hostile row to the public API, so each row's error is the python engine's, word
    for word (in CSV every cell is text: the same values, typed by the declarations)."""
    rows = hostile_rows()
    for fmt in ("csv", "parquet"):
        src = tmp_path / f"h.{fmt}"
        if fmt == "csv":
            write_input(src, rows)
        else:  # the bad values of each column as text, so that one Parquet column holds them all
            cols = list(dict.fromkeys(k for r in rows for k in r))
            pq.write_table(pa.Table.from_pylist([{c: (None if c not in r else r[c] if c in ("id", "evaluation_history")
                                                      else json.dumps(r[c]) if not isinstance(r[c], str) else r[c])
                                                  for c in cols} for r in rows]), src)
        for out in ("jsonl", "csv"):
            py, duck = tmp_path / f"py-{fmt}.{out}", tmp_path / f"duck-{fmt}.{out}"
            a = run_batch(policies, src, py, engine="python", lang="en")
            b = run_batch(policies, src, duck, engine="duckdb", lang="en")
            assert b.notes == [], b.notes
            assert a.errors == b.errors and b.errors >= len(HOSTILE)
            assert py.read_bytes() == duck.read_bytes(), fmt
        got = read_output(tmp_path / f"duck-{fmt}.jsonl")
        if fmt == "csv":  # (in this Parquet file every fact is text: each row has an error)
            assert got[-1]["error"] is None and got[-1]["min_service_days_per_year"] == 30
        assert "facts.service_days" in got[0]["error"] and "facts.education" in got[3]["error"]


def typed_hostile_rows() -> list[dict]:
    """IMUST rows for typed Parquet columns: an int out of range, an enum value not allowed, a list
    item not allowed, a list item whose enum field or int field is null (SQL's IN gives NULL there:
    never read as allowed), a fact left out (five of the eight are malformed)."""
    base = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": dt.date(2024, 3, 1)}
    return [{"id": i, **base, "year": 2024, "service_days": d, "education": e, "evaluation_history": h}
            for i, (d, e, h) in enumerate([(200, "master", []), (-4, "master", None), (200, "phd", None),
                                           (365, "bachelor", [{"year": 2023, "grade": "unqualified"}]),
                                           (200, None, [{"year": 2023, "grade": "great"}]), (None, "doctorate", None),
                                           (200, "master", [{"year": 2022, "grade": "qualified"}, {"year": 2023, "grade": None}]),
                                           (200, "master", [{"year": None, "grade": "qualified"}])])]


def test_parquet_with_typed_hostile_values_matches_the_python_engine(policies, tmp_path, native_always):
    """Typed Parquet columns: ints out of range, an enum value not allowed, a list item not allowed."""
    rows = typed_hostile_rows()
    src = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    run_batch(policies, src, tmp_path / "py.jsonl", engine="python", lang="en")
    r = run_batch(policies, src, tmp_path / "duck.jsonl", engine="duckdb", lang="en", memory_limit="256MB", threads=1)
    assert r.notes == [] and r.errors == 5
    assert (tmp_path / "py.jsonl").read_bytes() == (tmp_path / "duck.jsonl").read_bytes()


def test_a_list_long_enough_for_the_step_limit_is_the_python_engines(policies, tmp_path, native_always, monkeypatch):
    """``Policies.evaluate`` stops an evaluation past ``runtime.MAX_STEPS`` aggregate steps (PE080); SQL
    has no such bound, so a row whose list comes near it (here with the limit lowered to 2,000) is
    decided by the python engine — refused, as evaluate refuses it — while a shorter list stays SQL's."""
    from policyengine import runtime

    monkeypatch.setattr(runtime, "MAX_STEPS", 2_000)
    base = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": dt.date(2024, 3, 1),
            "year": 2024, "service_days": 200, "education": "master"}
    history = [{"year": 2000 + i % 20, "grade": "qualified"} for i in range(2_000)]
    rows = [{"id": i, **base, "evaluation_history": history[:n]} for i, n in enumerate((2_000, 300, 0))]
    src = tmp_path / "long.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    run_batch(policies, src, tmp_path / "py.jsonl", engine="python", lang="en")
    r = run_batch(policies, src, tmp_path / "duck.jsonl", engine="duckdb", lang="en")
    assert r.notes == [] and r.errors == 1
    assert (tmp_path / "py.jsonl").read_bytes() == (tmp_path / "duck.jsonl").read_bytes()
    assert "PE080" in (tmp_path / "duck.jsonl").read_text(encoding="utf-8").splitlines()[0]


def test_columns_the_parquet_statistics_show_complete_agree_with_the_public_api(policies, tmp_path, native_always,
                                                                                 monkeypatch):
    """A fact read from a column that holds no NULL in any row group (by the file's statistics) is
    translated without its "left out" branch.  Complete IMUST teachers (every fact column complete
    but the nullable dates); the same with one fact left out in one row of the last row group (that
    column is then not complete); Baotou score cases: each against the python engine, byte for byte."""
    from policyengine.batch import native

    seen: list[frozenset] = []
    complete_columns = native._Run.complete_columns
    monkeypatch.setattr(native._Run, "complete_columns", lambda self: seen.append(complete_columns(self)) or seen[-1])
    cases = generated_cases(500, seed=23)
    imust = [row_of(c, i) for i, c in enumerate(cases[:500])]
    gap = dict(imust[-1])
    del gap["service_days"]
    for name, rows in (("complete", imust), ("gap", imust[:-1] + [gap]), ("baotou", [row_of(c, i) for i, c in enumerate(cases[500:1000])])):
        src = tmp_path / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in dict.fromkeys(k for r in rows for k in r)} for r in rows]),
                       src, row_group_size=150)
        run_batch(policies, src, tmp_path / f"{name}-py.csv", engine="python")
        r = run_batch(policies, src, tmp_path / f"{name}-duck.csv", engine="duckdb")
        assert r.notes == [] and r.rows == len(rows)
        assert (tmp_path / f"{name}-py.csv").read_bytes() == (tmp_path / f"{name}-duck.csv").read_bytes(), name
    complete, gapped, baotou = seen
    assert {"service_days", "education", "evaluation_history"} & complete == {"service_days", "education"}
    assert complete - gapped == {"service_days"} and "false_information_found" not in complete
    assert "rd_enterprises" in baotou


def test_a_hundred_thousand_generated_cases_duckdb_agrees_with_the_public_api(policies, hundred_thousand, tmp_path,
                                                                              rows_decided_row_wise):
    """The differential of issue 17: about 100,000 generated IMUST and Baotou cases (every tier end and
    one past it, every grade boundary, each fact left out in turn), Parquet in.  The python engine is
    ``Policies.evaluate`` row by row (tests/conftest.py, shared with the Spark test); the DuckDB
    engine's output must be the same, byte for byte — and SQL, not the python engine, decides most
    rows (the Baotou score cases give no ``year``: the aggregate over the history that reads it
    needs none when the history is left out too)."""
    src = hundred_thousand.src
    r = run_batch(policies, src, tmp_path / "duck.csv", engine="duckdb")
    assert r.notes == [] and r.rows == len(hundred_thousand.cases) >= 100_000
    assert (tmp_path / "duck.csv").read_bytes() == hundred_thousand.python_csv.read_bytes()
    assert rows_decided_row_wise[0] < r.rows / 20, rows_decided_row_wise


def test_memory_limit_and_threads_bound_duckdb_and_a_bad_one_is_a_located_error(policies, tmp_path, native_always):
    rows = [row_of(c, i) for i, c in enumerate(generated_cases(2000))]  # (the CLI: 3,000 rows per program, read by DuckDB)
    src = tmp_path / "in.parquet"
    write_input(src, rows)
    assert run_batch(policies, src, tmp_path / "a.csv", engine="duckdb").notes == []
    r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(tmp_path / "b.csv"),
                        "--memory-limit", "100MB", "--threads", "1"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    with pytest.raises(PolicyError) as e:
        run_batch(policies, src, tmp_path / "c.csv", engine="duckdb", memory_limit="lots")
    d = e.value.diagnostics[0]
    assert d.code == "PE091" and "'lots'" in d.message and "内存上限" in d.zh and "2GB" in d.hint


def test_duckdb_writes_the_python_engines_parquet_schema(policies, tmp_path, native_always):
    """Every output column may be null, as the python engine writes it, even one DuckDB can prove has
    no null here (a carried id, a parameter's constant)."""
    rows = [row_of(c, i) for i, c in enumerate(generated_cases(30))]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "as_of": dt.date.fromisoformat(r["as_of"])} for r in rows
                                         if r["jurisdiction"] == "cn/nm/baotou/imust"]), src)
    for engine in ENGINES:
        run_batch(policies, src, tmp_path / f"{engine}.parquet", engine=engine)
    a, b = (pq.read_table(tmp_path / f"{e}.parquet") for e in ENGINES)
    assert a.schema.field("min_service_days_per_year").nullable and a.schema.field("id").nullable
    assert a.equals(b)


def test_the_engines_notes_are_said_in_the_language_asked(tmp_path):
    """A note of the DuckDB engine (here: --explain goes through the public API) follows --lang."""
    src = tmp_path / "in.jsonl"
    write_input(src, [row_of(c, i) for i, c in enumerate(generated_cases(2))])
    for lang, words in (("zh", "说明：--explain：每一行都经由公共接口计算"), ("en", "note: --explain: every row is decided")):
        r = subprocess.run([sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(tmp_path / "o.jsonl"),
                            "--explain", "--lang", lang], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0 and words in r.stderr, r.stderr


def test_tier_chains_without_settled_bounds_pick_the_tier_evaluate_picks():
    """``sql._tier_arms`` leaves out the bounds that earlier tiers settle and the trailing tiers worth
    0: on random tier tables (gaps, overlaps, open ends, equal points) the SQL CASE gives, for every
    value around every end, the points ``evaluate.pick_tier`` gives."""
    import duckdb

    from policyengine.batch.sql import _tier_arms
    from policyengine.evaluate import pick_tier
    from policyengine.policy import Tier

    rng = random.Random(5)
    con = duckdb.connect()
    for _ in range(300):
        tiers = []
        for _ in range(rng.randint(1, 5)):
            lo = rng.choice([None, rng.randint(-3, 12)])
            hi = rng.choice([None, (lo if lo is not None else rng.randint(-3, 12)) + rng.randint(0, 6)])
            tiers.append(Tier(lo, hi, rng.choice([0, 0, 1, 3, 5, 10]), None))
        values = sorted({v + d for t in tiers for v in (t.min, t.max) if v is not None for d in (-1, 0, 1)} | {-50, 50})
        arms = _tier_arms("x", tuple(tiers))
        sql = f"CASE {' '.join(arms)} ELSE 0 END" if arms else "0"
        got = dict(con.execute(f"SELECT x, {sql} FROM (SELECT unnest({values}) AS x)").fetchall())
        want = {v: (t.points if (t := pick_tier(tuple(tiers), v)) else 0) for v in values}
        assert got == want, (tiers, arms)


def test_duckdb_agrees_on_one_program_over_several_dates_with_facts_left_out(policies, tmp_path, native_always):
    """One program's rows on several days (the date a column, not a literal of the query), with each
    fact left out in turn, Parquet in: byte for byte the python engine's output."""
    from benchmarks.cases import decision_facts

    rng = random.Random(23)
    days = [dt.date(2023, 7, 6), dt.date(2023, 7, 7), dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
    cases = []
    for i in range(1200):
        d = days[i % len(days)]
        facts = decision_facts(rng, d)
        facts.pop(sorted(facts)[i % len(facts)], None)
        cases.append({"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": d.isoformat(),
                      "facts": facts})
    src = tmp_path / "in.parquet"
    write_input(src, [row_of(c, i) for i, c in enumerate(cases)])
    run_batch(policies, src, tmp_path / "py.jsonl", engine="python")
    r = run_batch(policies, src, tmp_path / "duck.jsonl", engine="duckdb")
    assert r.notes == [] and not r.row_wise and r.rows == len(cases)
    assert (tmp_path / "py.jsonl").read_bytes() == (tmp_path / "duck.jsonl").read_bytes()


def test_program_arms_take_a_files_dates_in_ranges_that_name_no_other_key():
    """Consecutive keys (by their as_of text) of one program become one range; a key of another program,
    one the python engine decides (None) and a text that is not a plain date each break the run, and a
    range of several days leaves the day to each row."""
    from policyengine.batch.native import Arm, program_arms

    d = dt.date.fromisoformat
    s, j = "commissioner", "cn/nm/baotou/imust"
    keys = [(s, j, a, k, d(a) if k is not None else None) for a, k in [
        ("2023-07-05", 2), ("2023-07-07", 0), ("2023-08-01", 0), ("2024-02-30", None), ("2024-03-01", 0),
        ("2024-06-30", 0), ("2024-07-05", 1), ("2025-01-01", 1)]]
    keys += [(s, j, "2026-01-01", 1, d("2026-01-01")), (s, j, "2026-01-01 ", 1, d("2026-01-01")),
             (s, j, "2026-02-01", 1, d("2026-02-01")), (s, j, None, None, None), (None, j, "2024-03-01", None, None),
             ("workstation", "cn/nm", "2024-03-01", 3, d("2024-03-01"))]
    assert program_arms(keys) == [
        Arm(s, j, "2023-07-05", "2023-07-05", 2, d("2023-07-05")),
        Arm(s, j, "2023-07-07", "2023-08-01", 0, None),
        Arm(s, j, "2024-03-01", "2024-06-30", 0, None),
        Arm(s, j, "2024-07-05", "2026-01-01", 1, None),
        Arm(s, j, "2026-01-01 ", "2026-01-01 ", 1, d("2026-01-01")),  # (not plain: a key of its own)
        Arm(s, j, "2026-02-01", "2026-02-01", 1, d("2026-02-01")),
        Arm("workstation", "cn/nm", "2024-03-01", "2024-03-01", 3, d("2024-03-01"))]


def many_dates_file(path: Path, as_of_type: str, n: int = 1600, packs: bool = True) -> list[dict]:
    """IMUST rows over 400 days (four programs: the rules in force change on 2023-07-06, 2023-07-07, 2024-07-02),
    a fact left out in every third, plus every pack case moved to those days (``packs``); as_of a DATE
    column, or text with odd texts — not plain dates, or not dates — among the plain ones.  Written as
    Parquet to ``path``; the rows returned."""
    from benchmarks.cases import decision_facts

    rng = random.Random(29)
    days = [dt.date(2023, 5, 1) + dt.timedelta(days=3 * i) for i in range(400)]  # 2023-05-01 … 2026-08-xx
    cases = []
    for i in range(n):
        d = days[i % len(days)]
        facts = decision_facts(rng, d)
        if i % 3 == 0:
            facts.pop(sorted(facts)[i % len(facts)], None)
        cases.append({"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": d, "facts": facts})
    for i, c in enumerate(pack_cases() if packs else ()):  # other subjects and places, moved to the file's days
        cases.append(dict(c, as_of=days[(7 * i) % len(days)]))
    rows = [dict(row_of(c, i), as_of=c["as_of"]) for i, c in enumerate(cases)]
    if as_of_type == "text":
        odd = ["2024-3-1", "2024-02-30", "2024-03-01 ", "２０２４-０３-０１", "0999-12-31", "9999-12-31", "2024-03-01T00:00", ""]
        for i, r in enumerate(rows):
            r["as_of"] = odd[i // 97 % len(odd)] if i % 97 == 5 else r["as_of"].isoformat()
    cols = list(dict.fromkeys(k for r in rows for k in r))
    pq.write_table(pa.Table.from_pylist([{c: (dt.date.fromisoformat(r[c]) if c in DATE_FACTS and isinstance(r.get(c), str)
                                              else r.get(c)) for c in cols} for r in rows]), path)
    assert pq.read_schema(path).field("as_of").type == (pa.date32() if as_of_type == "date" else pa.string())
    return rows


@pytest.mark.parametrize("as_of_type", ["date", "text"])
def test_a_file_of_many_dates_and_programs_is_decided_by_duckdb_as_evaluate_decides_it(policies, tmp_path,
                                                                                     native_always, as_of_type):
    """A population decided on its own days — a log replayed — has hundreds of dates but few programs:
    DuckDB reads it itself (no note), gives each row its program by ranges of the file's dates, decides
    each program apart and puts the rows back in the file's order, byte for byte the python engine's
    output.  Text dates that are not plain (or not dates) lie between the plain ones and must stay the
    python engine's."""
    src = tmp_path / "in.parquet"
    rows = many_dates_file(src, as_of_type)
    assert len({(r["subject"], r["jurisdiction"], r["as_of"]) for r in rows}) > 400
    run_batch(policies, src, tmp_path / "py.jsonl", engine="python")
    r = run_batch(policies, src, tmp_path / "duck.jsonl", engine="duckdb")
    assert r.notes == [] and r.rows == len(rows), r.notes
    assert (tmp_path / "py.jsonl").read_bytes() == (tmp_path / "duck.jsonl").read_bytes()


def test_duckdb_writes_the_rows_of_many_row_groups_and_programs_in_the_files_order(policies, tmp_path):
    """20,000 IMUST and Baotou rows on several dates, in row groups of 1,000, decided by four threads: the
    output is in the file's order.  (A rule that reads an enum against a list of its values is SQL's
    ``x IN (…)``; DuckDB's optimizer makes a long such list a join, whose rows come out in no order,
    whatever ``preserve_insertion_order`` says: 17,000 of these rows came out of place.)"""
    from benchmarks.cases import decision_cases
    from benchmarks.run import batch_table, two_places

    base = two_places(batch_table(decision_cases(random.Random(7), 2000)))
    n = 20_000
    table = pa.concat_tables([base] * (n // len(base) + 1)).slice(0, n).combine_chunks()
    src = tmp_path / "in.parquet"
    pq.write_table(table.set_column(0, "id", pa.array(range(n), pa.int64())), src, row_group_size=1000)
    assert len({(r["jurisdiction"], r["as_of"]) for r in base.select(["jurisdiction", "as_of"]).to_pylist()}) > 2
    r = run_batch(policies, src, tmp_path / "out.parquet", engine="duckdb", threads=4)
    assert r.rows == n and r.notes == [], r.notes
    assert pq.read_table(tmp_path / "out.parquet", columns=["id"]).column("id").to_pylist() == list(range(n))


def test_an_empty_parquet_file_is_read_by_duckdb_and_written_empty(policies, tmp_path, native_always):
    """A file of columns and no rows: DuckDB writes the python engine's empty output (no fallback)."""
    src = tmp_path / "empty.parquet"
    rows = many_dates_file(tmp_path / "some.parquet", "date", n=3, packs=False)
    pq.write_table(pq.read_table(tmp_path / "some.parquet").slice(0, 0), src)
    assert rows and pq.read_metadata(src).num_rows == 0
    for out in ("jsonl", "csv"):
        run_batch(policies, src, tmp_path / f"py.{out}", engine="python")
        r = run_batch(policies, src, tmp_path / f"duck.{out}", engine="duckdb")
        assert r.notes == [] and r.rows == 0, r.notes
        assert (tmp_path / f"py.{out}").read_bytes() == (tmp_path / f"duck.{out}").read_bytes()


# --- what the engines must write alike: carried columns of any type, names SQL would misread ----------

def _carried_file(path: Path, column: str, values: pa.Array, programs: int = 1) -> None:
    n = len(values)
    places = ["cn/nm/baotou/imust", "cn/nm/baotou"][:programs]
    pq.write_table(pa.table({"id": list(range(n)), column: values, "subject": ["commissioner"] * n,
                             "jurisdiction": [places[i % programs] for i in range(n)], "as_of": [dt.date(2024, 3, 1)] * n,
                             "year": [2024] * n, "service_days": [200] * n, "false_information_found": [None] * n}), path)


CARRIED = {  # one column of each type, as an input may carry it (an id, a name, an amount, a time …)
    "i8": pa.array([1, None], pa.int8()), "u64": pa.array([2**64 - 1, 0], pa.uint64()),
    "f32": pa.array([1.5, 0.1], pa.float32()), "f64": pa.array([0.1, 1e300], pa.float64()),
    "dec": pa.array([Decimal("1.23"), Decimal("5")], pa.decimal128(10, 2)),
    "s": pa.array(['a"b,c', "é\n"], pa.string()), "ls": pa.array(["x", None], pa.large_string()),
    "b": pa.array([True, None], pa.bool_()), "d": pa.array([dt.date(2024, 1, 2), None], pa.date32()),
    "ts": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None], pa.timestamp("us")),
    "tstz": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), None], pa.timestamp("us", "UTC")),
    "t": pa.array([dt.time(1, 2, 3), None], pa.time64("us")), "blob": pa.array([b"\x00\x01", None], pa.binary()),
    "lst": pa.array([[1, 2], None], pa.list_(pa.int64())), "st": pa.array([{"a": 1}, None], pa.struct([("a", pa.int64())])),
    "mp": pa.array([[("k", 1)], None], pa.map_(pa.string(), pa.int64())),
    "dict": pa.array(["x", "y"]).dictionary_encode(), "dur": pa.array([dt.timedelta(seconds=5), None], pa.duration("us")),
    "dec38": pa.array([Decimal("1234567890123456789012345678.0000000001"), Decimal(0)], pa.decimal128(38, 10)),
    "durs": pa.array([dt.timedelta(days=1, microseconds=500_000), dt.timedelta(microseconds=-1)], pa.duration("us")),
    "mpi": pa.array([[(1, dt.date(2024, 1, 2))], []], pa.map_(pa.int64(), pa.date32())),
    "lsd": pa.array([[Decimal("1.50")], None], pa.list_(pa.decimal128(5, 2))),
}

# the JSON Lines spelling of each carried column's two values, whichever engine writes it (docs/batch.md, "Carried
# columns"): a DECIMAL always the text of its exact digits and scale, a duration ISO 8601 seconds, a map an object
JSONL_SPELLING = {
    "i8": [1, None], "u64": [2**64 - 1, 0], "f32": [1.5, 0.10000000149011612], "f64": [0.1, 1e300],
    "dec": ["1.23", "5.00"], "s": ['a"b,c', "é\n"], "ls": ["x", None], "b": [True, None], "d": ["2024-01-02", None],
    "ts": ["2024-01-02T03:04:05", None], "tstz": ["2024-01-02T03:04:05+00:00", None], "t": ["01:02:03", None],
    "blob": ["0001", None], "lst": [[1, 2], None], "st": [{"a": 1}, None], "mp": [{"k": 1}, None], "dict": ["x", "y"],
    "dur": ["PT5S", None], "dec38": ["1234567890123456789012345678.0000000001", "0.0000000000"],
    "durs": ["PT86400.5S", "-PT0.000001S"], "mpi": [{"1": "2024-01-02"}, {}], "lsd": [["1.50"], None],
}


def _csv_spelling(v: Any) -> str:
    """A JSON Lines value as the CSV cell of the same column: a text as it is, null empty, else its JSON text."""
    if v is None or isinstance(v, str):
        return v or ""
    return json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("column", sorted(CARRIED))
def test_a_carried_column_of_any_type_is_written_alike_by_every_engine(policies, tmp_path, native_always, column):
    """DuckDB writes a carried column itself only where it writes it as the python engine does (whole
    numbers, text, booleans and dates in CSV and JSON Lines; Parquet of the input's own type); else the
    python engine writes the file, with a note — and never crashes on a time of day or a duration."""
    src = tmp_path / "in.parquet"
    _carried_file(src, column, CARRIED[column])
    for fmt in FORMATS:
        got = {}
        for engine in ENGINES:
            dst = tmp_path / f"out-{engine}.{fmt}"
            res = run_batch(policies, src, dst, engine=engine, lang="en")
            assert res.rows == 2 and res.errors == 0, res
            got[engine] = pq.read_table(dst) if fmt == "parquet" else dst.read_bytes()
            if engine == "duckdb" and res.notes:
                assert res.engine == "python" and f"carried column {column!r}" in res.notes[0].en, res.notes
            if fmt == "jsonl":  # one spelling per type, whatever the value (a DECIMAL was "1.23" but 5)
                assert [json.loads(x)[column] for x in dst.read_text(encoding="utf-8").splitlines()] \
                    == JSONL_SPELLING[column], engine
            elif fmt == "csv":
                with dst.open(encoding="utf-8", newline="") as fh:
                    assert [r[column] for r in csv.DictReader(fh)] == [_csv_spelling(v) for v in JSONL_SPELLING[column]]
        assert got["duckdb"] == got["python"] if fmt != "parquet" else got["duckdb"].equals(got["python"]), (fmt, got)


def test_plain_carried_columns_stay_with_duckdb(policies, tmp_path, native_always):
    for column in ("i8", "u64", "s", "b", "d"):
        _carried_file(tmp_path / "in.parquet", column, CARRIED[column])
        for fmt in FORMATS:
            res = run_batch(policies, tmp_path / "in.parquet", tmp_path / f"o.{fmt}", engine="duckdb")
            assert res.engine == "duckdb" and res.notes == [], (column, fmt, res.notes)


def test_the_python_engine_writes_floats_times_and_bytes_as_text_never_quoted_twice(policies, tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"f": pa.array([0.1, float("nan")]), "t": pa.array([dt.time(1, 2, 3), None]),
                             "u": pa.array([b"\x00\xff", None]), "subject": ["commissioner"] * 2,
                             "jurisdiction": ["cn/nm/baotou/imust"] * 2, "as_of": [dt.date(2024, 3, 1)] * 2}), src)
    run_batch(policies, src, tmp_path / "o.csv", engine="python")
    run_batch(policies, src, tmp_path / "o.jsonl", engine="python")
    rows = read_output(tmp_path / "o.csv")
    assert [(r["f"], r["t"], r["u"]) for r in rows] == [("0.1", "01:02:03", "00ff"), ("nan", None, None)]
    rows = read_output(tmp_path / "o.jsonl")
    assert [(r["f"], r["t"], r["u"]) for r in rows] == [(0.1, "01:02:03", "00ff"), ("nan", None, None)]


@pytest.mark.parametrize("name", ["p0o1", "P0O1", "p1f0", "pe_prog", "PE_PY", "row_id", "Eligible", "Error", "it", "IT_H"])
@pytest.mark.parametrize("programs", [1, 2])
def test_a_column_named_like_the_queries_own_goes_to_the_python_engine(policies, tmp_path, native_always, name, programs):
    """A carried column named like a column the queries make (p0o1 is an outcome's, pe_prog a row's
    program), or like an output but for case (SQL reads names without case), was read in place of the
    query's own: blacklisted false where evaluate says null, rows out of order.  Such a file is the python
    engine's, with a note naming the column."""
    src = tmp_path / "in.parquet"
    _carried_file(src, name, pa.array([True, False] * 3), programs)
    out = {}
    for engine in ENGINES:
        res = run_batch(policies, src, tmp_path / f"o-{engine}.jsonl", engine=engine, lang="en")
        out[engine] = (tmp_path / f"o-{engine}.jsonl").read_bytes()
    assert out["duckdb"] == out["python"]
    res = run_batch(policies, src, tmp_path / "o.jsonl", engine="duckdb", lang="en")
    assert res.engine == "python" and repr(name) in res.notes[0].en, res.notes
    assert "differ only in case" in res.notes[0].en if name in ("Eligible", "Error") else "engine's own" in res.notes[0].en


@pytest.mark.parametrize("name", ["file_row_number", "File_Row_Number"])
@pytest.mark.parametrize("programs", [1, 2])
def test_a_parquet_column_named_file_row_number_is_carried_and_the_rows_keep_their_order(
        policies, tmp_path, native_always, name, programs):
    """DuckDB numbers a Parquet file's rows as ``file_row_number`` (read in parallel); a file with a column
    of that name is numbered in one thread instead, still by DuckDB, and the column is carried as it is."""
    src = tmp_path / "in.parquet"
    n = 7
    _carried_file(src, name, pa.array([100 - i for i in range(n)], pa.int64()), programs)
    out = {}
    for engine in ENGINES:
        res = run_batch(policies, src, tmp_path / f"o-{engine}.parquet", engine=engine, lang="en")
        assert res.engine == engine and res.rows == n, res
        out[engine] = pq.read_table(tmp_path / f"o-{engine}.parquet")
    assert out["duckdb"].equals(out["python"])
    assert out["duckdb"].column(name).to_pylist() == [100 - i for i in range(n)]
    assert out["duckdb"].column("id").to_pylist() == list(range(n))


def test_json_lines_rows_too_deep_or_too_long_are_row_errors(policies, tmp_path, monkeypatch):
    from policyengine.batch import io

    base = '"subject":"commissioner","jurisdiction":"cn/nm/baotou/imust","as_of":"2024-03-01","year":2024'
    lines = ['{"id":%d,"x":%s1%s,%s}' % (d, "[" * d, "]" * d, base) for d in (5000, 100, 64, 63)]
    lines += ['{"id":7,"x":"%s",%s}' % ("y" * 30_000, base), '{"id":8,%s}' % base]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(io, "MAX_LINE_BYTES", 20_000)  # (the deepest line: about 10,000 bytes)
    for fmt in FORMATS:
        res = run_batch(policies, src, tmp_path / f"o.{fmt}", lang="en")
        rows = read_output(tmp_path / f"o.{fmt}")
        assert res.rows == 6 and res.errors == 4, res
        assert [r["error"] for r in rows] == [
            "line 1: not JSON (nested too deeply)", "line 2: nested more than 64 deep",
            "line 3: nested more than 64 deep", None, "line 5: longer than 20,000 bytes", None]
        assert str(rows[-1]["id"]) == "8" and rows[3]["x"] is not None


def test_a_flag_that_sets_aside_a_column_of_the_file_says_so(policies, tmp_path):
    """--jurisdiction given for a file with a jurisdiction column decided every row at the flag's place,
    silently (a Dongsheng row decided at Baotou): the run now says which column the flag stood in for."""
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1], "subject": ["commissioner"], "jurisdiction": ["cn/nm/ordos/dongsheng"],
                             "as_of": ["2024-03-01"]}), src)
    res = run_batch(policies, src, tmp_path / "o.parquet", jurisdiction="cn/nm/baotou", as_of="2024-05-01", lang="en")
    said = [n.en for n in res.notes]
    assert said[:2] == ["--jurisdiction cn/nm/baotou stands in for the input's jurisdiction column in every row",
                        "--as-of 2024-05-01 stands in for the input's as_of column in every row"], said
    assert "代替了输入中每一行的 jurisdiction 列" in res.notes[0].zh
    res = run_batch(policies, src, tmp_path / "o.parquet", lang="en")
    assert not any("stands in" in n.en for n in res.notes)


def test_a_column_that_names_a_fact_but_for_spaces_or_case_is_said(policies, tmp_path):
    """An export's header ' year,Service_Days' was carried as two text columns and the facts left out of every
    row, without a word: each is named with the fact it likely means."""
    src = tmp_path / "in.csv"
    src.write_text("id,subject,jurisdiction,as_of, year,Service_Days\n1,commissioner,cn/nm,2024-03-01,2023,40\n",
                   encoding="utf-8")
    res = run_batch(policies, src, tmp_path / "o.csv", lang="en")
    said = [n.en for n in res.notes]
    assert any("' year'" in x and "did you mean 'year'?" in x for x in said), said
    assert any("'Service_Days'" in x and "did you mean 'service_days'?" in x for x in said), said


def test_numbers_carried_from_json_lines_are_written_back_as_the_numbers_they_were(policies, tmp_path):
    """A JSON Lines input has no column types: a carried number with a fraction (read as an exact decimal) was
    written back as a text ("1.50") and one whose fraction is zero as a whole number (2.0 as 2) — two spellings by
    value.  Each is now the JSON number it was, with its digits, in every engine; a CSV cell is that number's text."""
    src = tmp_path / "in.jsonl"
    carried = '"id":1,"amt":1.50,"w":2.0,"e":1E+5,"l":[0.5,{"x":-0.0}],"big":12345678901234567890.123456789,"n":3'
    case = '"subject":"commissioner","jurisdiction":"cn/nm","as_of":"2024-03-01"'
    src.write_text("{" + carried + "," + case + "}\n" + '{"id":2,"amt":7,' + case + "}\n", encoding="utf-8")
    for engine in ENGINES:
        run_batch(policies, src, tmp_path / f"o-{engine}.jsonl", engine=engine)
        lines = (tmp_path / f"o-{engine}.jsonl").read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("{" + carried + ","), lines[0]
        assert json.loads(lines[0], parse_float=Decimal)["amt"] == Decimal("1.50") and json.loads(lines[1])["amt"] == 7
        run_batch(policies, src, tmp_path / f"o-{engine}.csv", engine=engine)
        row = read_output(tmp_path / f"o-{engine}.csv")[0]
        assert [row[c] for c in ("amt", "w", "e", "l", "big")] == ["1.50", "2.0", "1E+5", '[0.5,{"x":-0.0}]',
                                                                 "12345678901234567890.123456789"], row
        run_batch(policies, src, tmp_path / f"o-{engine}.parquet", engine=engine)  # (text columns: as the CSV cells)
        kept = ("id", "amt", "w", "e", "l", "big", "n")
        assert [read_output(tmp_path / f"o-{engine}.parquet")[0][c] for c in kept] == [row[c] for c in kept]
