#!/usr/bin/env python3
"""policyengine benchmarks: speed against hand-written Python and other rule engines,
cold start and memory.  Not part of the test suite.

    pip install -e '.[bench]'
    python benchmarks/run.py [--quick] [--json PATH] [--strict] [--profile]

a. the 附件3 score table (score only): hand-written Python, policyengine's
   ``output_function("score")`` from the shipped YAML, rule-engine, simpleeval
   (pre-parsed) and zen-engine (a JDM decision-table graph built here) — all
   checked to agree on every case first;
b. the full decision for an IMUST teacher: ``benchmarks/oracle.py`` against the
   compiled program with the explanation off and on, ``Policies.evaluate`` and
   ``.to_dict()`` — checked to agree on every case first; a million decisions kept
   in one list against a thousand (several pairs, the median ratio and its spread);
e. ``policyengine batch`` over 10 million IMUST rows, Parquet in and out, DuckDB under
   ``--memory-limit 1GB``, in a fresh process (wall, CPU and peak memory of the
   process), after the duckdb and python engines are checked to agree on 100,000;
c. cold start: import, load, check and compile a program for every jurisdiction
   and subject in a fresh process;
d. peak memory (tracemalloc) of loading and compiling the same.

Timing: every implementation runs over the same cases (seed 20240301), several
rounds, in batches of about 0.5 ms timed with ``time.perf_counter_ns`` (and the
process's CPU time beside it); a batch gives a per-call time (batch time / calls)
and the figure is the median over all batches.  The implementations take turns
batch by batch.  Every implementation runs once over all cases (the agreement
check) before it is timed.  See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_EXTRA = (("rule_engine", "rule-engine"), ("simpleeval", "simpleeval"), ("zen", "zen-engine"),
               ("duckdb", "duckdb"), ("pyarrow", "pyarrow"))  # (the last two: the batch extra, which bench pulls in)

TARGETS = {  # name: (limit, unit shown)
    "score_table_vs_python": (2.0, "×"),
    "full_decision_vs_python": (4.0, "×"),
    "explain_vs_plain": (3.0, "×"),
    "evaluate_no_explain_vs_python": (5.0, "×"),  # the public call, validation included
    "public_score_vs_simpleeval": (1 / 3, "×"),  # at least 3× faster than simpleeval, through the public call
    "explained_json_vs_plain": (15.0, "×"),  # evaluate(case).to_json() / evaluate(case, explain=False)
    "explained_json_kib": (16.0, " KiB"),  # the largest explained decision's JSON of the cases
    "keep_million_vs_thousand": (1.10, "×"),  # per decision, kept in a list; 10% for the machine's noise
    "batch_10m_s": (30.0, " s"),  # policyengine batch over 10 million rows (duckdb), wall time of the process
    "batch_duckdb_vs_api": (1 / 50, "×"),  # per row, against the per-case public call: at least 50× faster
    "cold_start_ms": (300.0, " ms"),
    "memory_mb": (50.0, " MB"),
}

AS_OF = _dt.date(2024, 3, 1)
SUBJECTS = ("commissioner", "enterprise", "workstation", "jurisdiction")

# 附件3 (policies/baotou/commissioner_plan.yaml, bt.commissioner.score), rows as (min, max, points) in the
# table's order: the first row that covers a value applies, so a shared end takes the higher tier
ANNEX3 = (
    ("rd_enterprises", ((4, None, 10), (2, 3, 6), (1, 1, 3), (0, 0, 0))),
    ("achievements_adopted", ((7, None, 10), (4, 6, 6), (1, 3, 3), (0, 0, 0))),
    ("achievements_transferred", ((6, None, 20), (3, 5, 12), (1, 2, 6), (0, 0, 0))),
    ("planning_enterprises", ((11, None, 10), (7, 10, 6), (4, 6, 3), (1, 3, 1), (0, 0, 0))),
    ("policy_service_enterprises", ((30, None, 20), (21, 30, 15), (11, 20, 10), (1, 10, 5), (0, 0, 0))),
    ("rd_institutions", ((11, None, 15), (6, 10, 10), (1, 5, 5), (0, 0, 0))),
    ("talents", ((11, None, 15), (6, 10, 10), (1, 5, 5), (0, 0, 0))),
)
BONUS = ("high_tech_approved", 2, 10)  # fact, points each, at most
CAP = 100


def fail(msg: str, code: int = 2) -> None:
    """Print a message (no traceback) and exit."""
    print(f"benchmarks/run.py: {msg}", file=sys.stderr)
    sys.exit(code)


def require_extra(profile: bool) -> None:
    needed = BENCH_EXTRA + ((("pyinstrument", "pyinstrument"),) if profile else ())
    missing = []
    for mod, dist in needed:
        try:
            importlib.import_module(mod)
        except ImportError:
            missing.append(dist)
    if missing:
        fail("the 'bench' extra is not installed (missing: " + ", ".join(missing) + ").\n"
             "Install it from the repository root with:  pip install -e '.[bench]'")
    for mod, what in (("policyengine", "the package (pip install -e .)"), ("yaml", "pyyaml")):
        try:
            importlib.import_module(mod)
        except ImportError:
            fail(f"cannot import {mod}: install {what}")


# --------------------------------------------------------------------------------------- timing

BATCH_NS = 500_000  # aim for batches of about 0.5 ms: short enough that most are not preempted


def median_per_call_ns(entries: list, rounds: int, batch_ns: int = BATCH_NS):
    """For each (key, fn, args): ``rounds`` passes over ``args`` in batches, each batch timed with
    ``perf_counter_ns`` (wall clock, the figure reported) and ``process_time_ns`` (this process's CPU
    time, less disturbed by other processes on a busy machine); the per-call time of a batch is its time
    divided by its calls, and the result is the median over all batches.

    Each implementation's batch holds as many calls as take about ``batch_ns`` (from a short
    calibration), so that a batch is rarely cut by the scheduler, and the implementations take turns
    batch by batch, in a rotating order, so that a change in the machine's load falls on all alike.
    Returns (wall medians, CPU medians, batch sizes)."""
    plans = []
    for key, fn, args in entries:
        one = []
        for a in args[:21]:
            c0 = time.perf_counter_ns()
            fn(*a)
            one.append(time.perf_counter_ns() - c0)
        per = statistics.median(one)
        plans.append({"key": key, "fn": fn, "args": args, "size": max(1, min(len(args), int(batch_ns / max(per, 1.0)))),
                      "done": 0, "total": rounds * len(args), "wall": [], "cpu": []})
    gc.collect()
    turn = 0
    while any(p["done"] < p["total"] for p in plans):
        turn += 1
        k = turn % len(plans)
        for p in plans[k:] + plans[:k]:
            if p["done"] >= p["total"]:
                continue
            start = p["done"] % len(p["args"])
            chunk = p["args"][start:start + p["size"]]
            fn = p["fn"]
            c0 = time.process_time_ns()
            t0 = time.perf_counter_ns()
            for a in chunk:
                fn(*a)
            t1 = time.perf_counter_ns()
            c1 = time.process_time_ns()
            p["wall"].append((t1 - t0) / len(chunk))
            p["cpu"].append((c1 - c0) / len(chunk))
            p["done"] += len(chunk)
    return ({p["key"]: statistics.median(p["wall"]) for p in plans},
            {p["key"]: statistics.median(p["cpu"]) for p in plans},
            {p["key"]: p["size"] for p in plans})


# ----------------------------------------------------------------------------- the score table

def _cond_ternary(v: str, lo, hi) -> str:
    parts = [f"{v} >= {lo}"] if lo is not None else []
    if hi is not None:
        parts.append(f"{v} <= {hi}")
    return " and ".join(parts) or "true"


def rule_engine_expr() -> str:
    items = []
    for field, rows in ANNEX3:
        e = "0"  # a value no row covers scores 0
        for lo, hi, pts in reversed(rows):
            e = f"({_cond_ternary(field, lo, hi)} ? {pts} : {e})"
        items.append(e)
    fact, each, most = BONUS
    items.append(f"$min([{each} * {fact}, {most}])")
    return f"$min([{' + '.join(items)}, {CAP}])"


def simpleeval_expr() -> str:
    items = []
    for field, rows in ANNEX3:
        e = "0"
        for lo, hi, pts in reversed(rows):
            e = f"({pts} if {_cond_ternary(field, lo, hi).replace('true', 'True')} else {e})"
        items.append(e)
    fact, each, most = BONUS
    items.append(f"min({each} * {fact}, {most})")
    return f"min({' + '.join(items)}, {CAP})"


def zen_graph() -> dict:
    """A JDM graph: one first-hit decision table per item (pass-through), then an expression node."""
    def cell(lo, hi):
        if hi is None:
            return f">= {lo}"
        return str(lo) if lo == hi else f"[{lo}..{hi}]"

    pos = {"x": 0, "y": 0}
    nodes = [{"id": "request", "type": "inputNode", "name": "request", "position": pos, "content": {}}]
    edges = []
    prev = "request"
    outs = []
    for k, (field, rows) in enumerate(ANNEX3):
        nid, out = f"item{k + 1}", f"p{k + 1}"
        rules = [{"_id": f"{nid}r{j}", "in": cell(lo, hi), "out": str(pts)} for j, (lo, hi, pts) in enumerate(rows)]
        rules.append({"_id": f"{nid}rest", "in": "", "out": "0"})  # a value no row covers scores 0
        nodes.append({"id": nid, "type": "decisionTableNode", "name": f"附件3 第{k + 1}项", "position": pos,
                      "content": {"hitPolicy": "first", "passThrough": True, "inputField": None, "outputPath": None,
                                  "executionMode": "single",
                                  "inputs": [{"id": "in", "name": field, "field": field}],
                                  "outputs": [{"id": "out", "name": out, "field": out}],
                                  "rules": rules}})
        edges.append({"id": f"e{k}", "type": "edge", "sourceId": prev, "targetId": nid})
        prev = nid
        outs.append(out)
    fact, each, most = BONUS
    total = " + ".join(outs) + f" + min([{each} * {fact}, {most}])"
    nodes.append({"id": "total", "type": "expressionNode", "name": "total", "position": pos,
                  "content": {"passThrough": False, "inputField": None, "outputPath": None, "executionMode": "single",
                              "expressions": [{"id": "score", "key": "score", "value": f"min([{total}, {CAP}])"}]}})
    edges.append({"id": "e_total", "type": "edge", "sourceId": prev, "targetId": "total"})
    nodes.append({"id": "response", "type": "outputNode", "name": "response", "position": pos, "content": {}})
    edges.append({"id": "e_out", "type": "edge", "sourceId": "total", "targetId": "response"})
    return {"nodes": nodes, "edges": edges}


def score_implementations(policies):
    import rule_engine
    import simpleeval
    import zen

    from benchmarks.oracle import baotou_score

    engine_fn = policies.program("cn/nm/baotou", AS_OF, "commissioner").output_function("score")

    rule = rule_engine.Rule(rule_engine_expr())

    se_text = simpleeval_expr()
    se = simpleeval.SimpleEval(functions={"min": min})
    se_parsed = se.parse(se_text)

    def simpleeval_score(f, _se=se, _text=se_text, _parsed=se_parsed):
        _se.names = f
        return _se.eval(_text, previously_parsed=_parsed)

    decision = zen.ZenEngine().create_decision(json.dumps(zen_graph()))

    def public_score(case, _evaluate=policies.evaluate):
        return _evaluate(case, explain=False).outputs["score"]

    def score_case(f):
        return ({"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": AS_OF.isoformat(), "facts": f},)

    # name, label, timed callable, args of one case, result -> score
    return [
        ("python", "hand-written Python (oracle.baotou_score)", baotou_score, lambda f: (f,), int),
        ("policyengine", 'policyengine output_function("score")', engine_fn, lambda f: (f, AS_OF), lambda r: r),
        ("public", "policies.evaluate(case, explain=False)", public_score, score_case, lambda r: r),
        ("rule_engine", "rule-engine Rule.evaluate", rule.evaluate, lambda f: (f,), int),
        ("simpleeval", "simpleeval (pre-parsed AST)", simpleeval_score, lambda f: (f,), int),
        ("zen_engine", "zen-engine decision tables", decision.evaluate, lambda f: (f,),
         lambda r: int(r["result"]["score"])),
    ]


def check_scores(impls, cases) -> None:
    bad = []
    for f in cases:
        got = {name: conv(fn(*mk(f))) for name, _, fn, mk, conv in impls}
        if len(set(got.values())) != 1:
            bad.append((f, got))
    if bad:
        lines = [f"  {f}\n    -> {got}" for f, got in bad[:5]]
        fail(f"the score implementations disagree on {len(bad)} of {len(cases)} cases, e.g.\n"
             + "\n".join(lines) + "\nno timing is reported for implementations that give different answers", 1)


# --------------------------------------------------------------------------------- full decision

def _jsonish(v):
    return v.isoformat() if isinstance(v, _dt.date) else v


def check_decisions(policies, prog, items, rendered_too: int) -> None:
    """The engine's outcomes (compiled program, traced or not, the library call) against the oracle on
    every case; the ``.to_dict()`` rendering on the first ``rendered_too`` cases."""
    from benchmarks.oracle import UNDETERMINED, imust_decision
    from policyengine.runtime import MISSING

    bad = []
    for i, (raw, facts, as_of) in enumerate(items):
        want = imust_decision(facts, as_of)
        # an outcome the facts leave open: MISSING inside the program, null through the API
        inside = {k: MISSING if v == UNDETERMINED else v for k, v in want.items()}
        public = {k: None if v == UNDETERMINED else v for k, v in want.items()}
        got = {"prog.run(trace=False)": (prog.run(facts, as_of, trace=False)[0], inside),
               "prog.run(trace=True)": (prog.run(facts, as_of, trace=True)[0], inside),
               "policies.evaluate(case).outputs": (policies.evaluate(raw).outputs, public)}
        want = public
        for how, (out, expected) in got.items():
            if out != expected:
                diff = {k: (expected.get(k), out.get(k)) for k in sorted(set(expected) | set(out))
                        if expected.get(k) != out.get(k)}
                bad.append((how, raw, diff))
        if i >= rendered_too:
            continue
        rendered = policies.evaluate(raw).to_dict()["outputs"]
        want_json = {k: _jsonish(v) for k, v in want.items()}
        if rendered != want_json:
            diff = {k: (want_json.get(k), rendered.get(k)) for k in sorted(set(want_json) | set(rendered))
                    if want_json.get(k) != rendered.get(k)}
            bad.append(("to_dict()", raw, diff))
    if bad:
        lines = [f"  {how}: facts {raw['facts']}\n    differs (oracle, engine): {diff}" for how, raw, diff in bad[:5]]
        fail(f"the engine and benchmarks/oracle.py disagree ({len(bad)} results), e.g.\n" + "\n".join(lines), 1)


# ---------------------------------------------------------------------------------------- batch

# DuckDB's memory_limit for the batch row: memory bounded by the setting, not the input (DuckDB's GB is 10^9 bytes)
BATCH_MEMORY_LIMIT, BATCH_MEMORY_LIMIT_BYTES = "1GB", 10**9
BATCH_ROWS = 10_000_000  # issue 17's population: decided by the command, in a fresh process, in full and quick runs
BATCH_CHECK_ROWS = 100_000  # the agreement check, duckdb against python (python at 10 million: ~10 minutes)
BATCH_BLOCK_ROWS = 1_000_000  # rows per Parquet write (a row group each): the input is written block by block
BATCH_OTHER_PLACE = "cn/nm/baotou"  # every other row's jurisdiction in the run of two programs


def batch_table(cases):
    """The decision cases as one Arrow table, one row each, an ``id`` column first: the block the batch
    input repeats.  One dict per case (not per row of the input)."""
    import pyarrow as pa

    rows = [{"id": i, "subject": c["subject"], "jurisdiction": c["jurisdiction"],
             "as_of": _dt.date.fromisoformat(c["as_of"]) if isinstance(c["as_of"], str) else c["as_of"],
             **c["facts"]} for i, c in enumerate(cases)]
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])


def two_places(base):
    """``base`` with every other row (by position) at ``BATCH_OTHER_PLACE``: rows of two programs."""
    import pyarrow as pa

    where = base.schema.get_field_index("jurisdiction")
    places = pa.array([BATCH_OTHER_PLACE if i % 2 else j for i, j in enumerate(base.column(where).to_pylist())])
    return base.set_column(where, "jurisdiction", places)


def write_repeated(base, n: int, path: Path) -> None:
    """Write ``n`` rows to the Parquet file ``path``: row ``i`` is the case ``base[i % len(base)]`` with
    ``id`` ``i``.  The block is ``base`` repeated (``pa.concat_tables``) and written again and again with
    its ids shifted, so 10 million rows take about ten seconds and no Python object per row."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    k = len(base)
    size = min(n, k * max(1, BATCH_BLOCK_ROWS // k))
    block = pa.concat_tables([base] * -(-size // k)).slice(0, size).combine_chunks()
    where = block.schema.get_field_index("id")
    ids = pa.array(range(size), block.schema.field("id").type)  # the block's own ids, 0 … size - 1
    with pq.ParquetWriter(path, block.schema) as w:
        for off in range(0, n, size):
            m = min(size, n - off)
            w.write_table(block.slice(0, m).set_column(where, "id", pc.add(ids.slice(0, m), pa.scalar(off, ids.type))))


_BATCH_SUMMARY = re.compile(r"^(\d+) row\(s\) decided by (\w+), (\d+) with an error; wrote ", re.M)


def batch_command(src: Path, dst: Path, n: int) -> dict:
    """``policyengine batch SRC --out DST --memory-limit 1GB`` in a fresh process, as a user runs it
    (``python -m policyengine.cli``): wall time around the process; CPU time (user + system) and peak
    resident memory of the child from ``os.wait4``.  The command's own summary must say ``n`` rows decided
    by duckdb, none with an error."""
    cmd = [sys.executable, "-m", "policyengine.cli", "batch", str(src), "--out", str(dst),
           "--memory-limit", BATCH_MEMORY_LIMIT, "--lang", "en"]
    t0 = time.perf_counter_ns()
    with subprocess.Popen(cmd, cwd=str(ROOT), env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as p:
        err = p.stderr.read().decode("utf-8", "replace")
        _, status, use = os.wait4(p.pid, 0)  # this child's own rusage, which Popen does not give
        wall = time.perf_counter_ns() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen, which would wait again
    summary = _BATCH_SUMMARY.search(err)
    if p.returncode != 0 or not summary or summary.groups() != (str(n), "duckdb", "0"):
        fail(f"`{' '.join(cmd[1:])}` did not decide {n:,} rows with duckdb without errors "
             f"(exit {p.returncode}):\n{err.strip()[-2000:]}", 1)
    in_order(dst, n)
    return {"wall_ns": wall, "cpu_ns": (use.ru_utime + use.ru_stime) * 1e9,
            "peak_rss_mib": use.ru_maxrss / 1024,  # KiB on Linux
            "notes": [x for x in err.splitlines() if x and not _BATCH_SUMMARY.match(x)]}


def in_order(dst: Path, n: int) -> None:
    """The output's ``id`` column must be 0 … n - 1 in order, as ``write_repeated`` numbered the input's rows:
    every row written, none twice, in the input's order (the agreement check compares the first rows only)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    off = 0
    for b in pq.ParquetFile(dst).iter_batches(batch_size=BATCH_BLOCK_ROWS, columns=["id"]):
        ids = b.column(0)
        want = pa.array(range(off, off + len(ids)), ids.type)
        if not pc.all(pc.equal(ids, want)).as_py():
            first = pc.index(pc.equal(ids, want), False).as_py()
            fail(f"policyengine batch wrote the row of id {ids[first]} at row {off + first:,}: not the input's order", 1)
        off += len(ids)
    if off != n:
        fail(f"policyengine batch wrote {off:,} rows for {n:,}", 1)


def batch_floor(src: Path, dst: Path) -> dict:
    """What DuckDB alone takes to read every column of ``src`` and write one column per column read (whether
    it is null), in the file's order, under the batch row's memory limit, in this process: the least any
    query deciding these rows could take (no rule computed, no interpreter started, no policy loaded)."""
    import duckdb

    src_sql, dst_sql = (str(p).replace("'", "''") for p in (src, dst))
    con = duckdb.connect(":memory:", config={"preserve_insertion_order": True, "memory_limit": BATCH_MEMORY_LIMIT})
    try:
        cols = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet('{src_sql}'))").fetchall()]
        tests = ", ".join('"{}" IS NULL AS t{}'.format(c.replace('"', '""'), i) for i, c in enumerate(cols))
        c0, t0 = time.process_time_ns(), time.perf_counter_ns()
        con.execute(f"COPY (SELECT {tests} FROM read_parquet('{src_sql}')) TO '{dst_sql}' (FORMAT PARQUET)")
        wall, cpu = time.perf_counter_ns() - t0, time.process_time_ns() - c0
    finally:
        con.close()
    return {"wall_ns": wall, "cpu_ns": cpu, "columns": len(cols)}


def batch_cost(policies, cases, chunk_rows: int) -> dict:
    """Row e.  The command, ``policyengine batch`` with DuckDB, over ``BATCH_ROWS`` IMUST rows from
    Parquet to Parquet, outcomes only, under ``BATCH_MEMORY_LIMIT``, in a fresh process (interpreter
    start, import and loading the packs included).  Before it, the agreement check: ``run_batch`` with
    each engine over the first ``BATCH_CHECK_ROWS`` rows, outputs compared (schema included), the python
    engine's per-row time taken from that run; then the command's output must begin with those rows.  Last,
    the command again over the same rows with every other one at ``BATCH_OTHER_PLACE`` (two programs)."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from policyengine.batch import run_batch

    # imported before the clock starts, as policyengine is for the per-case call it is compared with: the
    # engine's first import (a few tenths of a second, once per process) is not a cost per row
    importlib.import_module("duckdb")
    base = batch_table(cases)
    out = {"batch_rows": BATCH_ROWS, "batch_check_rows": BATCH_CHECK_ROWS, "batch_chunk_rows": chunk_rows,
           "batch_memory_limit": BATCH_MEMORY_LIMIT, "batch_memory_limit_mib": BATCH_MEMORY_LIMIT_BYTES / 2**20}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        write_repeated(base, BATCH_CHECK_ROWS, d / "check.parquet")
        for engine in ("duckdb", "python"):
            gc.collect()
            c0, t0 = time.process_time_ns(), time.perf_counter_ns()
            res = run_batch(policies, d / "check.parquet", d / f"check-{engine}.parquet", engine=engine,
                            chunk_rows=chunk_rows, memory_limit=BATCH_MEMORY_LIMIT if engine == "duckdb" else None)
            t1, c1 = time.perf_counter_ns(), time.process_time_ns()
            out[f"batch_check_{engine}_ns_per_row"] = (t1 - t0) / BATCH_CHECK_ROWS
            out[f"batch_check_{engine}_cpu_ns_per_row"] = (c1 - c0) / BATCH_CHECK_ROWS
            if engine == "duckdb":
                out["batch_row_wise"] = list(res.row_wise)
                out["batch_notes"] = list(res.notes)
        checked = pq.read_table(d / "check-duckdb.parquet")
        if not checked.equals(pq.read_table(d / "check-python.parquet")):
            fail("policyengine batch: the duckdb and python engines wrote different outputs", 1)
        out["batch_python_ns_per_row"] = out.pop("batch_check_python_ns_per_row")
        out["batch_python_cpu_ns_per_row"] = out.pop("batch_check_python_cpu_ns_per_row")

        src, dst = d / "in.parquet", d / "out.parquet"
        t0 = time.perf_counter_ns()
        write_repeated(base, BATCH_ROWS, src)
        out["batch_write_input_s"] = (time.perf_counter_ns() - t0) / 1e9
        out["batch_input_mb"] = src.stat().st_size / 1e6
        gc.collect()
        run = batch_command(src, dst, BATCH_ROWS)
        written = pq.ParquetFile(dst)
        if written.metadata.num_rows != BATCH_ROWS or written.schema_arrow != checked.schema:
            fail(f"policyengine batch wrote {written.metadata.num_rows:,} rows of schema\n{written.schema_arrow}\n"
                 f"for {BATCH_ROWS:,} rows of input; the checked run wrote the schema\n{checked.schema}", 1)
        head, got = [], 0
        for b in written.iter_batches(batch_size=BATCH_CHECK_ROWS):
            head.append(b)
            got += b.num_rows
            if got >= BATCH_CHECK_ROWS:
                break
        if not checked.equals(pa.Table.from_batches(head).slice(0, BATCH_CHECK_ROWS)):
            fail(f"policyengine batch: the first {BATCH_CHECK_ROWS:,} rows of the {BATCH_ROWS:,}-row output differ "
                 "from the checked output of the same rows", 1)
        out["batch_floor"] = batch_floor(src, d / "floor.parquet")
        # the same rows, every other one at Baotou: two programs in one query, each row taking its own program's
        # outcomes (a population of several jurisdictions or dates of rule changes)
        src.unlink()
        write_repeated(two_places(base), BATCH_ROWS, src)
        gc.collect()
        two = batch_command(src, dst, BATCH_ROWS)
    out.update({"batch_duckdb_ns_per_row": run["wall_ns"] / BATCH_ROWS,
                "batch_duckdb_cpu_ns_per_row": run["cpu_ns"] / BATCH_ROWS,
                "batch_10m_s": run["wall_ns"] / 1e9,  # the whole command's wall time: BATCH_ROWS is 10 million
                "batch_duckdb_cpu_s": run["cpu_ns"] / 1e9,
                "batch_duckdb_peak_rss_mib": run["peak_rss_mib"], "batch_command_notes": run["notes"],
                "batch_two_programs_s": two["wall_ns"] / 1e9, "batch_two_programs_cpu_s": two["cpu_ns"] / 1e9,
                "batch_two_programs_peak_rss_mib": two["peak_rss_mib"]})
    return out


# ------------------------------------------------------------------------------ keeping decisions

def keep_cost(policies, cases, big: int, pairs: int, hand=None) -> dict:
    """Per decision, the time to decide ``evaluate(case, explain=False)`` and keep every decision in a
    list: a thousand against ``big`` (one list), with Python's cyclic garbage collector on, as a program
    has it.  A decision that gave the collector more to walk would cost more per decision the more are
    kept.

    One figure from one long run moves with the machine's load, so the measure is repeated: ``pairs``
    pairs, each a run of ``big`` between lists of a thousand (half before it, half after, so that the
    thousands see the same stretch of the machine's load); a pair's ratio is the ``big`` run against the
    median of its thousands, and the figure is the median of the pairs' ratios, with their spread.  The
    collector's work during each run is counted through ``gc.callbacks`` (collections per generation,
    time inside them) — counted alike in the lists of a thousand, so both pay the same small cost.

    ``hand`` — ``(decide, args)``, the hand-written decision and its argument tuples — is kept the same way
    in each pair, beside the engine's: what CPython itself charges for keeping a million results (a
    dict each), the floor any engine in Python stands on."""
    evaluate = policies.evaluate
    k = len(cases)
    clock = time.perf_counter_ns

    def one(n, of=None):
        gc.collect()
        counts, spent, began = [0, 0, 0], [0], [0]

        def watch(phase, info):
            if phase == "start":
                began[0] = clock()
            else:
                counts[info["generation"]] += 1
                spent[0] += clock() - began[0]

        kept = []
        keep = kept.append
        gc.callbacks.append(watch)
        try:
            c0, t0 = time.process_time_ns(), clock()
            if of is None:
                for i in range(n):
                    keep(evaluate(cases[i % k], explain=False))
            else:
                decide, args = of
                for i in range(n):
                    keep(decide(*args[i % len(args)]))
            t1, c1 = clock(), time.process_time_ns()
        finally:
            gc.callbacks.remove(watch)
        del kept, keep
        return {"wall": (t1 - t0) / n, "cpu": (c1 - c0) / n, "gc_collections": counts, "gc_ns": spent[0] / n}

    lists = max(20, big // 20_000)  # lists of a thousand per pair
    runs = []
    for _ in range(pairs):
        small = [one(1000) for _ in range(lists // 2)]
        large = one(big)
        small += [one(1000) for _ in range(lists - lists // 2)]
        wall, cpu = statistics.median(s["wall"] for s in small), statistics.median(s["cpu"] for s in small)
        if hand is not None:
            h_small = [one(1000, hand) for _ in range(lists // 2)]
            h_large = one(big, hand)
            h_small += [one(1000, hand) for _ in range(lists - lists // 2)]
            h_wall = statistics.median(s["wall"] for s in h_small)
        runs.append({"thousand_ns": wall, "thousand_cpu_ns": cpu, "million_ns": large["wall"], "million_cpu_ns": large["cpu"],
                     "ratio": large["wall"] / wall, "ratio_cpu": large["cpu"] / cpu,
                     "gc_collections": large["gc_collections"], "gc_ns_per_decision": large["gc_ns"],
                     "thousand_gc_ns_per_decision": statistics.median(s["gc_ns"] for s in small)})
        if hand is not None:
            runs[-1].update({"hand_thousand_ns": h_wall, "hand_million_ns": h_large["wall"],
                             "hand_ratio": h_large["wall"] / h_wall, "hand_gc_ns_per_decision": h_large["gc_ns"]})
    gc.collect()
    ratios = [r["ratio"] for r in runs]
    return {"keep_thousand_ns": statistics.median(r["thousand_ns"] for r in runs),
            "keep_million_ns": statistics.median(r["million_ns"] for r in runs), "keep_n": big,
            "keep_pairs": runs, "keep_million_vs_thousand": statistics.median(ratios),
            "keep_million_vs_thousand_cpu": statistics.median(r["ratio_cpu"] for r in runs),
            "keep_ratio_min": min(ratios), "keep_ratio_max": max(ratios)}


# --------------------------------------------------------------------------- cold start, memory

_COLD = r"""
import time
t0, c0 = time.perf_counter_ns(), time.process_time_ns()
import datetime
from policyengine import Policies
p = Policies.load()
d = datetime.date(2024, 3, 1)
n = 0
for j in sorted(p.policy_set.jurisdictions):
    for s in SUBJECTS:
        p.program(j, d, s)
        n += 1
t1, c1 = time.perf_counter_ns(), time.process_time_ns()
print("RESULT", (t1 - t0) / 1e6, n, (c1 - c0) / 1e6)
"""

_MEMORY = r"""
import datetime, gc, tracemalloc
from policyengine import Policies
gc.collect()
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
p = Policies.load()
d = datetime.date(2024, 3, 1)
for j in sorted(p.policy_set.jurisdictions):
    for s in SUBJECTS:
        p.program(j, d, s)
gc.collect()
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print("RESULT", (peak - base) / 2**20, (current - base) / 2**20)
"""


def _child_env() -> dict:
    """The environment of a fresh process as an installed package starts: pip writes bytecode when it
    installs, so the child may read and write __pycache__ even where the caller's environment forbids it."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _child(code: str) -> tuple[list[str], float]:
    src = f"SUBJECTS = {SUBJECTS!r}\n" + code
    t0 = time.perf_counter_ns()
    r = subprocess.run([sys.executable, "-c", src], cwd=str(ROOT), capture_output=True, text=True, env=_child_env())
    wall = (time.perf_counter_ns() - t0) / 1e6
    if r.returncode != 0:
        fail(f"the child process failed (exit {r.returncode}):\n{r.stderr.strip()[-2000:]}", 1)
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return line.split()[1:], wall


def cold_start(runs: int) -> dict:
    ms, cpu, walls, n = [], [], [], 0
    _child(_COLD)  # the first start after installing writes the bytecode cache; it is not timed
    for _ in range(runs):
        vals, wall = _child(_COLD)
        ms.append(float(vals[0]))
        n = int(vals[1])
        cpu.append(float(vals[2]))
        walls.append(wall)
    return {"cold_start_ms": statistics.median(ms), "cold_start_runs_ms": ms,
            "cold_start_cpu_ms": statistics.median(cpu), "cold_start_process_ms": statistics.median(walls),
            "programs_compiled": n}


def memory() -> dict:
    vals, _ = _child(_MEMORY)
    return {"memory_mb": float(vals[0]), "memory_retained_mb": float(vals[1])}


# ---------------------------------------------------------------------------------------- report

def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "unknown"
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu": model, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def fmt_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:8.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:8.2f} µs"
    return f"{ns:8.0f} ns"


def verdict(key: str, value: float) -> str:
    limit, unit = TARGETS[key]
    shown = f"{limit:g}{unit}"
    return f"target ≤ {shown:<8} {'PASS' if value <= limit else 'FAIL'}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer cases and rounds, one keep pair (about 90 s on 2 cores)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--profile", action="store_true", help="also profile the engine's parts with pyinstrument")
    args = ap.parse_args(argv)
    require_extra(args.profile)

    from benchmarks.cases import SEED, decision_cases, score_cases
    from benchmarks.oracle import imust_decision
    from policyengine import Policies
    from policyengine.diagnostics import PolicyError

    if args.quick:
        n_score, n_decision, n_library, rounds, cold_runs, n_keep, keep_pairs = 2000, 1000, 200, 3, 3, 1_000_000, 1
    else:
        n_score, n_decision, n_library, rounds, cold_runs, n_keep, keep_pairs = 5000, 3000, 600, 7, 7, 1_000_000, 3

    started = time.time()
    mach = machine()
    print(f"policyengine benchmarks — {_dt.date.today().isoformat()}, Python {mach['python']}, "
          f"{mach['nproc']} CPU(s): {mach['cpu']}{' (quick)' if args.quick else ''}")
    try:
        policies = Policies.load()
    except PolicyError as e:
        fail(f"the shipped policies do not load:\n{e}", 1)

    rng = random.Random(SEED)
    scases = score_cases(rng, n_score)
    dcases = decision_cases(rng, n_decision, as_of=AS_OF)
    prog = policies.program("cn/nm/baotou/imust", AS_OF, "commissioner")
    items = []
    for c in dcases:
        case = policies.case(c)
        items.append((c, case.facts, case.as_of))
    lib = items[:n_library]
    print(f"cases: {len(scases)} score cases, {len(items)} decision cases, the first {len(lib)} of them "
          f"also for the library call (seed {SEED}); {rounds} rounds in batches of ~{BATCH_NS / 1e6:g} ms")

    # a. ----------------------------------------------------------------------------------------
    impls = score_implementations(policies)
    check_scores(impls, scases)
    med: dict[str, float] = {}
    cpu: dict[str, float] = {}
    sizes: dict[str, int] = {}
    got, got_cpu, got_size = median_per_call_ns([(name, fn, [mk(f) for f in scases]) for name, _, fn, mk, _ in impls], rounds)
    med.update({f"score.{k}": v for k, v in got.items()})
    cpu.update({f"score.{k}": v for k, v in got_cpu.items()})
    sizes.update({f"score.{k}": v for k, v in got_size.items()})

    # b. ----------------------------------------------------------------------------------------
    check_decisions(policies, prog, items, rendered_too=len(lib))

    def evaluate_no_explain(c):
        return policies.evaluate(c, explain=False)

    def evaluate_to_dict(c):
        return policies.evaluate(c).to_dict()

    def evaluate_to_json(c):
        return policies.evaluate(c).to_json()

    got, got_cpu, got_size = median_per_call_ns([
        ("python", imust_decision, [(f, d) for _, f, d in items]),
        ("run_plain", prog.run, [(f, d, False) for _, f, d in items]),
        ("run_trace", prog.run, [(f, d, True) for _, f, d in items]),
    ], rounds)
    med.update({f"decision.{k}": v for k, v in got.items()})
    cpu.update({f"decision.{k}": v for k, v in got_cpu.items()})
    sizes.update({f"decision.{k}": v for k, v in got_size.items()})
    got, got_cpu, got_size = median_per_call_ns([
        ("python", imust_decision, [(f, d) for _, f, d in lib]),
        ("evaluate", policies.evaluate, [(c,) for c, _, _ in lib]),
        ("evaluate_no_explain", evaluate_no_explain, [(c,) for c, _, _ in lib]),
        ("evaluate_to_dict", evaluate_to_dict, [(c,) for c, _, _ in lib]),
        ("evaluate_to_json", evaluate_to_json, [(c,) for c, _, _ in lib]),
    ], rounds)
    med.update({f"library.{k}": v for k, v in got.items()})
    cpu.update({f"library.{k}": v for k, v in got_cpu.items()})
    sizes.update({f"library.{k}": v for k, v in got_size.items()})

    json_kib = max(len(policies.evaluate(c).to_json().encode("utf-8")) for c, _, _ in lib) / 1024
    keep = keep_cost(policies, [c for c, _, _ in lib], big=n_keep, pairs=keep_pairs,
                     hand=(imust_decision, [(f, d) for _, f, d in lib]))
    batch = batch_cost(policies, [c for c, _, _ in items], 10_000)
    batch["batch_duckdb_vs_api"] = batch["batch_duckdb_ns_per_row"] / med["library.evaluate_no_explain"]
    batch["batch_python_vs_api"] = batch["batch_python_ns_per_row"] / med["library.evaluate_no_explain"]

    # c., d. -------------------------------------------------------------------------------------
    cold = cold_start(cold_runs)
    mem = memory()

    py, dpy, lpy = med["score.python"], med["decision.python"], med["library.python"]
    res = {
        "score_table_vs_python": med["score.policyengine"] / py,
        "rule_engine_vs_python": med["score.rule_engine"] / py,
        "simpleeval_vs_python": med["score.simpleeval"] / py,
        "zen_engine_vs_python": med["score.zen_engine"] / py,
        "full_decision_vs_python": med["decision.run_plain"] / dpy,
        "explain_vs_plain": med["decision.run_trace"] / med["decision.run_plain"],
        "explain_vs_python": med["decision.run_trace"] / dpy,
        "evaluate_vs_python": med["library.evaluate"] / lpy,
        "evaluate_no_explain_vs_python": med["library.evaluate_no_explain"] / lpy,
        "evaluate_to_dict_vs_python": med["library.evaluate_to_dict"] / lpy,
        "public_score_vs_simpleeval": med["score.public"] / med["score.simpleeval"],
        "public_score_vs_python": med["score.public"] / py,
        "explained_json_vs_plain": med["library.evaluate_to_json"] / med["library.evaluate_no_explain"],
        "explained_json_kib": json_kib,
        **keep, **batch,
        **cold, **mem,
    }

    w = 46
    print()
    print(f"{'':<{w}} {'wall/call':>11} {'× Python':>9} {'CPU/call':>11} {'× Python':>9}")

    def row(label, key, base, target=None):
        line = (f"   {label:<{w - 3}} {fmt_time(med[key])} {med[key] / med[base]:8.2f}× "
                f"{fmt_time(cpu[key])} {cpu[key] / cpu[base]:8.2f}×")
        print(line + ("   " + verdict(target, res[target]) if target else ""))

    print("a. 附件3 score table, score only")
    for name, label, *_ in impls:
        row(label, f"score.{name}", "score.python", "score_table_vs_python" if name == "policyengine" else None)
    print(f"   {'policies.evaluate / simpleeval':<{w - 3}} {'':>11} {res['public_score_vs_simpleeval']:8.2f}× "
          f"{'':>11} {cpu['score.public'] / cpu['score.simpleeval']:8.2f}×   "
          + verdict("public_score_vs_simpleeval", res["public_score_vs_simpleeval"]))
    print("b. full decision, IMUST teacher (15 outcomes)")
    row("hand-written Python (oracle.imust_decision)", "decision.python", "decision.python")
    row("prog.run(trace=False)  explanation off", "decision.run_plain", "decision.python", "full_decision_vs_python")
    row("prog.run(trace=True)   explanation on", "decision.run_trace", "decision.python")
    row(f"hand-written Python, first {len(lib)} cases", "library.python", "library.python")
    row("policies.evaluate(case)", "library.evaluate", "library.python")
    row("policies.evaluate(case, explain=False)", "library.evaluate_no_explain", "library.python",
        "evaluate_no_explain_vs_python")
    row("policies.evaluate(case).to_dict()", "library.evaluate_to_dict", "library.python")
    row("policies.evaluate(case).to_json()", "library.evaluate_to_json", "library.python")
    print(f"   {'explained JSON / plain decision':<{w - 3}} {'':>11} {res['explained_json_vs_plain']:8.2f}× "
          f"{'':>11} {cpu['library.evaluate_to_json'] / cpu['library.evaluate_no_explain']:8.2f}×   "
          + verdict("explained_json_vs_plain", res["explained_json_vs_plain"]))
    print(f"   {'largest explained JSON of these cases':<{w - 3}} {res['explained_json_kib']:8.1f} KiB {'':>21}   "
          + verdict("explained_json_kib", res["explained_json_kib"]))
    print(f"   {'keeping decisions: evaluate(explain=False)':<{w - 3}} {fmt_time(res['keep_thousand_ns'])} "
          f"per decision, 1,000 kept; {fmt_time(res['keep_million_ns'])} per decision, {res['keep_n']:,} kept "
          + ("(1 pair)" if len(res["keep_pairs"]) == 1 else f"(medians of {len(res['keep_pairs'])} pairs)"))
    print(f"   {'  kept {:,} / kept 1,000, per decision'.format(res['keep_n']):<{w - 3}} {'':>11} "
          f"{res['keep_million_vs_thousand']:8.2f}× {'':>11} {res['keep_million_vs_thousand_cpu']:8.2f}×   "
          + verdict("keep_million_vs_thousand", res["keep_million_vs_thousand"]))
    print(f"     median of the pairs' ratios; spread {res['keep_ratio_min']:.2f}×–{res['keep_ratio_max']:.2f}×"
          + (" (one pair in --quick: no spread; without --quick, 3 pairs)" if len(res["keep_pairs"]) == 1 else ""))
    for i, p in enumerate(res["keep_pairs"], 1):
        print(f"     pair {i}: {p['ratio']:.2f}× (CPU {p['ratio_cpu']:.2f}×); the collector during the {res['keep_n']:,}: "
              f"{' / '.join(f'{c:,}' for c in p['gc_collections'])} collections of generations 0 / 1 / 2, "
              f"{fmt_time(p['gc_ns_per_decision']).strip()} per decision inside them "
              f"({fmt_time(p['thousand_gc_ns_per_decision']).strip()} with 1,000 kept)")
        if "hand_ratio" in p:
            print(f"       kept beyond deciding, per decision: policyengine {fmt_time(p['million_ns'] - p['thousand_ns']).strip()}, "
                  f"the hand-written decision's dict {fmt_time(p['hand_million_ns'] - p['hand_thousand_ns']).strip()} "
                  f"({p['hand_ratio']:.2f}× its thousand; {fmt_time(p['hand_gc_ns_per_decision']).strip()} "
                  "per decision in the collector)")
    print(f"   {'explanation on / off':<{w - 3}} {'':>11} {res['explain_vs_plain']:8.2f}× {'':>11} "
          f"{cpu['decision.run_trace'] / cpu['decision.run_plain']:8.2f}×   "
          + verdict("explain_vs_plain", res["explain_vs_plain"]))
    print(f"{'e. policyengine batch, Parquet in and out':<{w}} {res['batch_rows']:,} IMUST rows "
          f"({res['batch_input_mb']:.0f} MB of Parquet, written in {res['batch_write_input_s']:.1f} s, untimed), "
          "outcomes only")
    print(f"   {'the command, a fresh process, duckdb':<{w - 3}} {fmt_time(res['batch_duckdb_ns_per_row'])} "
          f"{'per row':>9} {fmt_time(res['batch_duckdb_cpu_ns_per_row'])}")
    print(f"     policyengine batch IN.parquet --out OUT.parquet --memory-limit {res['batch_memory_limit']}")
    print(f"   {'duckdb per row / per-case public call':<{w - 3}} {'':>11} {res['batch_duckdb_vs_api']:8.3f}× "
          f"{'':>21}   " + verdict("batch_duckdb_vs_api", res["batch_duckdb_vs_api"]))
    print(f"   {'{:,} rows, the whole command'.format(res['batch_rows']):<{w - 3}} {res['batch_10m_s']:8.1f} s wall, "
          f"{res['batch_duckdb_cpu_s']:.1f} s CPU {'':>14}   " + verdict("batch_10m_s", res["batch_10m_s"]))
    print(f"   {'peak resident memory of the process':<{w - 3}} {res['batch_duckdb_peak_rss_mib']:8.1f} MiB, "
          f"against --memory-limit {res['batch_memory_limit']} ({res['batch_memory_limit_mib']:.1f} MiB)")
    fl = res["batch_floor"]
    print(f"   {'DuckDB alone: read, write; no rule':<{w - 3}} {fmt_time(fl['wall_ns'] / res['batch_rows'])} "
          f"{'per row':>9} {fmt_time(fl['cpu_ns'] / res['batch_rows'])}   "
          f"{fl['wall_ns'] / res['batch_rows'] / med['library.evaluate_no_explain']:.3f}× the per-case call")
    print(f"     every one of the input's {fl['columns']} columns read and tested for null, in this process: "
          "the least a query deciding these rows could take")
    print(f"   {'the same rows, every other one at ' + BATCH_OTHER_PLACE:<{w - 3}} {res['batch_two_programs_s']:8.1f} s wall, "
          f"{res['batch_two_programs_cpu_s']:.1f} s CPU; two programs, peak {res['batch_two_programs_peak_rss_mib']:.0f} MiB")
    print(f"   agreement check: run_batch over the first {res['batch_check_rows']:,} rows, duckdb and python "
          f"outputs equal; the command's first {res['batch_check_rows']:,} rows equal to them")
    for e, key in (("duckdb", "batch_check_duckdb"), ("python", "batch_python")):
        label = f"  --engine {e}, those {res['batch_check_rows']:,} rows"
        print(f"   {label:<{w - 3}} "
              f"{fmt_time(res[f'{key}_ns_per_row'])} {'per row':>9} {fmt_time(res[f'{key}_cpu_ns_per_row'])}   "
              f"{res[f'{key}_ns_per_row'] / med['library.evaluate_no_explain']:.2f}× the per-case call")
    if res["batch_row_wise"]:
        print("   decided row-wise (the SQL translation cannot express them): " + "; ".join(res["batch_row_wise"]))
    for note in res.get("batch_notes", ()):
        print("   note: " + note)
    for note in res.get("batch_command_notes", ()):
        print("   the command said: " + note)
    print(f"{'c. cold start (import, load, check, compile)':<{w}} {res['cold_start_ms']:8.1f} ms {'':>9} "
          f"{res['cold_start_cpu_ms']:8.1f} ms {'':>9}   " + verdict("cold_start_ms", res["cold_start_ms"]))
    print(f"   median of {cold_runs} fresh processes, {res['programs_compiled']} programs "
          f"({len(policies.policy_set.jurisdictions)} jurisdictions × {len(SUBJECTS)} subjects)")
    print(f"   whole process, interpreter start included: {res['cold_start_process_ms']:.0f} ms")
    print(f"{'d. peak memory, load + compile (tracemalloc)':<{w}} {res['memory_mb']:8.1f} MB {'':>9} "
          f"{'':>11} {'':>9}   " + verdict("memory_mb", res["memory_mb"]))
    print(f"   retained after compiling: {res['memory_retained_mb']:.1f} MB")
    passed = {k: res[k] <= TARGETS[k][0] for k in TARGETS}
    elapsed = time.time() - started
    print(f"\n{sum(passed.values())}/{len(passed)} targets met; {elapsed:.0f} s")

    if args.profile:
        profile(policies, prog, scases, items, impls)

    if args.json:
        out = {"date": _dt.date.today().isoformat(), "machine": mach, "quick": args.quick, "seed": SEED,
               "cases": {"score": len(scases), "decision": len(items), "library": len(lib), "rounds": rounds,
                         "batch_target_ns": BATCH_NS, "batch_sizes": sizes},
               **res, "medians_ns": med, "cpu_medians_ns": cpu,
               "cpu_ratios": {"score_table_vs_python": cpu["score.policyengine"] / cpu["score.python"],
                              "rule_engine_vs_python": cpu["score.rule_engine"] / cpu["score.python"],
                              "simpleeval_vs_python": cpu["score.simpleeval"] / cpu["score.python"],
                              "zen_engine_vs_python": cpu["score.zen_engine"] / cpu["score.python"],
                              "full_decision_vs_python": cpu["decision.run_plain"] / cpu["decision.python"],
                              "explain_vs_plain": cpu["decision.run_trace"] / cpu["decision.run_plain"]},
               "memory_unit": "MiB (2**20 bytes)",
               "targets": {k: v[0] for k, v in TARGETS.items()}, "pass": passed}
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 1 if args.strict and not all(passed.values()) else 0


def profile(policies, prog, scases, items, impls) -> None:
    from pyinstrument import Profiler

    from policyengine import Policies

    engine_fn = [fn for name, _, fn, _, _ in impls if name == "policyengine"][0]

    def load_and_compile():
        p = Policies.load()
        for j in sorted(p.policy_set.jurisdictions):
            for s in SUBJECTS:
                p.program(j, AS_OF, s)
    jobs = [
        ("score table: output_function('score') over the score cases",
         lambda: [engine_fn(f, AS_OF) for f in scases * 5]),
        ("full decision: prog.run(trace=True) over the decision cases",
         lambda: [prog.run(f, d, trace=True) for _, f, d in items * 3]),
        ("library call: policies.evaluate(case).to_dict()",
         lambda: [policies.evaluate(c).to_dict() for c, _, _ in items[:300]]),
        ("load and compile (in this process; imports already done)", load_and_compile),
    ]
    for title, job in jobs:
        p = Profiler(interval=0.0005)
        p.start()
        job()
        p.stop()
        print(f"\n=== profile: {title}")
        print(p.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
