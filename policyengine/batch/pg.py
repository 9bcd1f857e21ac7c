"""The SQL translation inside PostgreSQL: a program's query (:func:`.sql.translate`, built as DuckDB
SQL) rendered for PostgreSQL and run over a TEMPORARY table of validated facts.

SQLGlot renders most of the query; :func:`render_pg` rewrites, on SQLGlot's tree, what it does
not render as PostgreSQL computes it:

* DuckDB's list lambdas over a list of records (``list_filter(f, lambda it: …)``, with
  ``len``/``list_sum``/``list_min``/``list_max`` around them) have no PostgreSQL form: the list is a
  ``jsonb`` column and each aggregate a subquery over ``jsonb_to_recordset(f) AS it(field type, …)``
  — the lambda's ``it.field`` reads the same there; ``count(*)``, ``sum``, ``min``, ``max`` (text
  compared byte by byte, ``COLLATE "C"``, as DuckDB compares it);
* ``INTERVAL (n) MONTH`` with a computed ``n`` (SQLGlot drops the number): ``INTERVAL '1 MONTH' * (n)``
  — PostgreSQL, like DuckDB and the 民法典, ends on the last day of a shorter month;
* text columns are ``COLLATE "C"``, so that an ordered comparison of text is DuckDB's.

A program whose query PostgreSQL still refuses is not guessed at: its rows are compared row by row
(:class:`~policyengine.batch.screen.Screen` notes it by name).
"""
from __future__ import annotations

import datetime as _dt
import functools

from .screen import Screen
from .sql import _records_of

__all__ = ["render_pg", "postgres_screen", "pg_rows"]

_PG_TYPES = {"bool": "boolean", "int": "bigint", "date": "date", "enum": 'text COLLATE "C"', "string": 'text COLLATE "C"'}
_FIELD_TYPES = {"bool": "boolean", "int": "bigint", "enum": "text", "string": "text"}


def render_pg(prog, q) -> str:
    """``q.sql`` as PostgreSQL runs it over the table :func:`pg_rows` fills.  SQLGlot takes a second or
    two to read a program's query: each is rendered once per process (two versions of a program
    that decide alike have the same query)."""
    records = []  # (fact value column, its records' fields (name, kind))
    for fact, v, _m in q.facts:
        fields = _records_of(prog.facts[fact].type)
        if fields is not None:
            records.append((v, tuple((n, ft.kind) for n, ft in fields.items())))
    return _render(q.sql, tuple(records))


@functools.lru_cache(maxsize=256)
def _render(sql: str, record_columns: tuple) -> str:
    import sqlglot
    from sqlglot import exp

    parts = {getattr(exp, name): name.upper() for name in ("Year", "Month", "Day") if hasattr(exp, name)}

    records = {v: dict(fields) for v, fields in record_columns}

    def source_fields(src) -> dict | None:
        return records.get(src.name) if isinstance(src, exp.Column) else None

    def subquery(agg: str, src, var: str, where, body) -> exp.Expression:
        fields = source_fields(src)
        if fields is None:
            raise ValueError("an aggregate over something other than a list of records")
        cols = ", ".join(f"{n} {_FIELD_TYPES[kind]}" for n, kind in fields.items())
        what = "count(*)" if agg == "count" else f"{agg}(%s)"
        if agg != "count":
            text = isinstance(body, exp.Dot) and fields.get(body.expression.name) in ("enum", "string")
            what %= body.sql("postgres") + (' COLLATE "C"' if text else "")
        cond = where.sql("postgres") if where is not None else "TRUE"
        return sqlglot.parse_one(f"(SELECT {what} FROM jsonb_to_recordset({src.sql('postgres')}) AS {var}({cols}) "
                                 f"WHERE {cond})", read="postgres")

    def unpack(node):
        """(source, variable, filter condition or None) of ``list_filter(src, lambda v: c)`` or ``src``."""
        if isinstance(node, exp.ArrayFilter):
            lam = node.expression
            return node.this, lam.expressions[0].name, lam.this
        return node, None, None

    def rewrite(node):
        if isinstance(node, exp.Length):
            src, var, cond = unpack(node.this)
            if var is not None:
                return subquery("count", src, var, cond, None)
            if source_fields(src) is not None:
                return exp.func("jsonb_array_length", src.copy())
        if isinstance(node, (exp.ArrayMin, exp.ArrayMax)) or (
                isinstance(node, exp.Anonymous) and node.name.lower() == "list_sum"):
            t = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
            if isinstance(t, exp.Transform):
                src, var, cond = unpack(t.this)
                lam = t.expression
                body = lam.this
                if var is None:
                    var = lam.expressions[0].name
                agg = "sum" if isinstance(node, exp.Anonymous) else "min" if isinstance(node, exp.ArrayMin) else "max"
                return subquery(agg, src, var, cond, body)
        part = parts.get(type(node))  # (SQLGlot before 30.16 leaves YEAR(d), which PostgreSQL lacks)
        if part:
            return exp.Cast(this=exp.Extract(this=exp.var(part), expression=node.this.copy()),
                            to=exp.DataType.build("BIGINT"))
        if isinstance(node, exp.Interval) and node.unit is not None and node.unit.name.upper() == "MONTH":
            n = node.this
            if not (isinstance(n, exp.Literal) and n.is_string):
                return exp.Mul(this=exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="MONTH")),
                               expression=exp.Paren(this=n.copy()))
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(rewrite, copy=False)
    return tree.sql("postgres")


def pg_rows(cur, prog, q, rows: list[tuple[dict, _dt.date]]) -> None:
    """The TEMPORARY table ``batch_rows`` the query reads, filled by COPY from the ``(facts, as_of)`` rows."""
    from psycopg.types.json import Jsonb

    cols, kinds = ["row_id bigint", "as_of date"], []
    for fact, v, m in q.facts:
        t = prog.facts[fact].type
        rec = _records_of(t) is not None
        cols += [f"{v} {'jsonb' if rec else _PG_TYPES[t.kind]}", f"{m} boolean"]
        kinds.append((fact, rec))
    cur.execute("DROP TABLE IF EXISTS pg_temp.batch_rows")
    cur.execute(f"CREATE TEMPORARY TABLE batch_rows ({', '.join(cols)})")
    with cur.copy("COPY batch_rows FROM STDIN") as cp:
        for i, (facts, on) in enumerate(rows):
            rec = [i, on]
            for fact, is_records in kinds:
                val = facts.get(fact)
                rec += [Jsonb(val) if is_records and val is not None else val, fact not in facts]
            cp.write_row(rec)


def postgres_screen(log) -> Screen:
    """A screen whose queries run in the PostgreSQL database of the decision log ``log``."""
    from .duck import query_values

    raw = log.reader.raw_connection()
    conn = raw.driver_connection
    with conn.cursor() as cur:  # temporary tables only: a commit need not wait for the disk
        cur.execute("SET synchronous_commit TO off")
        cur.execute("SET jit TO off")  # compiling the wide CASE expressions took longer than running them
    conn.commit()
    rendered: dict[int, str] = {}
    refused: dict[str, str] = {}

    def run(prog, q, rows):
        sql = rendered.get(id(q))
        if sql is None:
            sql = rendered[id(q)] = render_pg(prog, q)
        try:
            with conn.cursor() as cur:
                pg_rows(cur, prog, q, rows)
                cur.execute(sql)
                res = cur.fetchall()
                cur.execute("DROP TABLE pg_temp.batch_rows")
            conn.commit()
        except Exception as e:  # noqa: BLE001 — a query PostgreSQL refuses: these rows row by row, never a guess
            conn.rollback()
            refused.setdefault(f"{prog.subject} at {prog.layers.path[-1]}", " ".join(str(e).split())[:200])
            return [None] * len(rows)
        return query_values(q, res)

    def close():
        try:
            conn.rollback()
            with conn.cursor() as cur:
                cur.execute("RESET synchronous_commit")
                cur.execute("RESET jit")
            conn.commit()
        finally:
            raw.close()

    return Screen("postgres", run, close=close, refused=refused)
