"""The DuckDB engine: each program's outcomes as one SQL query (:mod:`.sql`) over a chunk of rows.

A row reaches SQL only when the fast path of ``Policies.evaluate`` accepts its case exactly as
the reference validation would (``policyengine/fast.py``), with its integers and dates inside the
range SQL computes exactly; every other row — malformed, or odd — is decided by the public API
(the ``python`` engine), which also writes the error naming the field.  The validated facts go to
DuckDB as Arrow columns, a value and an "is it given" flag per fact; the query returns every
outcome it can express; an outcome it cannot (:class:`.sql.Untranslatable`) is reported by name
and decided row by row through the same compiled program.  With ``explain`` every row goes
through the public API: an explanation comes from the evaluation that decided, never a second one.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from ..diagnostics import Text
from . import PythonEngine, arrow_kind
from .io import ROW_ERROR
from .rows import RowReader
from .sql import INT_BOUND, _records_of, translate

__all__ = ["DuckEngine", "arrow_rows", "run_query", "query_values"]

_EARLY, _LATE = _dt.date(1000, 1, 1), _dt.date(9000, 1, 1)  # date arithmetic in SQL stays far from year 9999


class DuckEngine:
    def __init__(self, policies, reader: RowReader, outcomes: list[str], *, explain: bool, lang: str):
        import duckdb
        import pyarrow as pa

        self.pa = pa
        self.con = duckdb.connect(":memory:")
        self.policies, self.reader, self.outcomes, self.explain, self.lang = policies, reader, outcomes, explain, lang
        self.python = PythonEngine(policies, reader, outcomes, explain=explain, lang=lang)
        self.queries: dict[int, tuple[Any, Any, Any]] = {}  # id(program) -> (program, query, arrow types)
        self.row_wise_found: dict[str, str] = {}
        self.notes: list[Text] = []
        if explain:
            self.notes.append(Text("--explain：每一行都经由公共接口计算，由它记录解释",
                                   "--explain: every row is decided through the public API, which records the explanation"))

    @property
    def row_wise(self) -> tuple[str, ...]:
        return tuple(f"{k} ({why})" for k, why in sorted(self.row_wise_found.items()))

    def __call__(self, chunk: list[dict]) -> list[dict]:
        if self.explain:
            return self.python(chunk)
        out: list[dict | None] = [None] * len(chunk)
        groups: dict[int, list[tuple[int, dict, _dt.date, dict]]] = {}
        for i, r in enumerate(chunk):
            got = None if ROW_ERROR in r else self.policies._accept(self.reader.case(r), self.lang)
            if got is None or not _in_sql_range(got[0], got[1][3]):
                out[i] = self.python.row(r)
                continue
            facts, (_, prog, _, on, _, _) = got
            key = id(prog)
            if key not in self.queries:
                self.queries[key] = (prog, translate(prog), None)
            groups.setdefault(key, []).append((i, r, on, facts))
        for key, rows in groups.items():
            prog, q, _ = self.queries[key]
            for o, why in q.row_wise.items():
                self.row_wise_found.setdefault(f"{o} of {prog.subject} at {prog.layers.path[-1]}", why)
            values = self._run(prog, q, rows)
            for (i, r, on, facts), got in zip(rows, values):
                if got is None:  # SQL does not decide this row exactly (sql.translate's escapes)
                    out[i] = self.python.row(r)
                    continue
                if q.row_wise:
                    py = prog.decide(facts, on)
                    for o in q.row_wise:
                        got[o] = py.get(o)
                row = {c: r.get(c) for c in self.reader.carried}
                for o in self.outcomes:
                    row[o] = got.get(o)
                row["error"] = None
                out[i] = row
        return out  # type: ignore[return-value]

    def _run(self, prog, q, rows) -> list[dict | None]:
        return run_query(self.con, prog, q, [(facts, on) for _, _, on, facts in rows])


def run_query(con, prog, q, rows: list[tuple[dict, _dt.date]]) -> list[dict | None]:
    """The outputs ``q`` (:func:`.sql.translate` of ``prog``) gives each of the ``(facts, as_of)`` rows
    on the DuckDB connection ``con``; None for a row it does not decide exactly (its escapes)."""
    con.register("batch_rows", arrow_rows(prog, q, rows))
    try:
        res = con.execute(q.sql).fetchall()
    finally:
        con.unregister("batch_rows")
    return query_values(q, res)


def query_values(q, res) -> list[dict | None]:
    """Each result row of ``q`` (row_id, the outputs' columns in the order of ``q.outputs``, pe_escape)
    as its outputs, None where it escaped."""
    names = list(q.outputs)
    return [None if rec[-1] else {o: rec[k + 1] for k, o in enumerate(names)} for rec in res]


def arrow_rows(prog, q, rows: list[tuple[dict, _dt.date]]):
    """The table ``batch_rows`` that ``q`` (:func:`.sql.translate` of ``prog``) reads: ``row_id``, ``as_of``
    and a value and an "is it left out" column per fact, from validated ``(facts, as_of)`` pairs."""
    import pyarrow as pa

    cols = {"row_id": pa.array(range(len(rows)), pa.int64()), "as_of": pa.array([on for _, on in rows], pa.date32())}
    for fact, v, m in q.facts:  # (translate reads facts of plain kinds and lists of plain records only)
        t = prog.facts[fact].type
        fields = _records_of(t)
        typ = arrow_kind(t.kind) if fields is None else pa.list_(pa.struct([(n, arrow_kind(ft.kind)) for n, ft in fields.items()]))
        cols[v] = pa.array([f.get(fact) for f, _ in rows], typ)
        cols[m] = pa.array([fact not in f for f, _ in rows], pa.bool_())
    return pa.table(cols)


def _in_sql_range(facts: dict, on: _dt.date) -> bool:
    """Integers and dates SQL computes exactly, with a wide margin (sums of a few facts, months added)."""
    if not _EARLY <= on < _LATE:
        return False
    for v in facts.values():
        t = type(v)
        if t is int and not -INT_BOUND < v < INT_BOUND:
            return False
        if t is _dt.date and not _EARLY <= v < _LATE:
            return False
    return True
