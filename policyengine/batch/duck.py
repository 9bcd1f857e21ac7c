"""DuckDB over rows read in Python: :func:`run_query` decides validated ``(facts, as_of)`` rows of
one program with its translated query (:mod:`.sql`), the facts sent as Arrow columns, a value and an
"is it left out" flag per fact.  The screen of ``replay`` and ``diff --cases`` (:mod:`.screen`) uses
it; ``policyengine batch`` lets DuckDB read the file itself (:mod:`.native`).

A row reaches SQL only when the fast path of ``Policies.evaluate`` accepts its case exactly as the
reference validation would (``policyengine/fast.py``), with its integers and dates inside the range
SQL computes exactly (:func:`_in_sql_range`); the caller decides every other row through the public API.
"""
from __future__ import annotations

import datetime as _dt
from . import arrow_kind
from .sql import INT_BOUND, _records_of

__all__ = ["arrow_rows", "run_query", "query_values"]

_EARLY, _LATE = _dt.date(1000, 1, 1), _dt.date(9000, 1, 1)  # date arithmetic in SQL stays far from year 9999


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
