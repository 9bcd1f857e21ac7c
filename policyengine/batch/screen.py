"""The batch path of ``diff --cases`` and ``replay``: a whole population decided under two versions
at once, and only the cases whose outcomes differ looked at one by one.

Both commands report, for each case whose outcomes differ between an old and a new version, the
outcomes that differ and the rules that decided them (:func:`policyengine.diff.compare_decisions`,
from two explained decisions).  Explaining every case of a large population is what costs: so on
the batch path each chunk of cases is first *screened* — the outcomes of every case under both
versions computed by one SQL query per program (:func:`.sql.translate`) — and only the cases the
screen cannot clear are compared row by row, through the public API, exactly as the row-wise path
compares them.  A case is cleared only when both versions' fast paths accept it (the same strictness
as the reference validation), SQL decides it under both (no escape) and every outcome is the same
(``to_json_value`` equal, the comparison ``compare_decisions`` makes); a case cleared gives no line
on the row-wise path either, so the report — text, Markdown and JSON — is the same, in the same order.
Outcomes the translation cannot express are decided for the screen by the compiled program
(``Program.decide``) and named in :attr:`Screen.row_wise`.

Where the SQL runs:

* ``duckdb`` — embedded; the facts go in as Arrow columns (a SQLite log, case files);
* ``postgres`` — inside the PostgreSQL database that holds the log: each chunk's facts are copied
  into a TEMPORARY table (the log's case blobs are zlib-compressed, so they are inflated in Python
  and sent with ``COPY``), the query is rendered for PostgreSQL (:mod:`.pg`) and compared there.

Which path: ``auto`` (the default) takes the batch path past :data:`THRESHOLD` cases — DuckDB, or
PostgreSQL for a PostgreSQL log — and the row-wise one below it; ``python`` (row by row), ``duckdb``
and ``postgres`` force one.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ..diagnostics import Text
from .duck import _in_sql_range
from .reasons import zh
from .sql import translate

__all__ = ["THRESHOLD", "PATHS", "choose", "Screen", "screened"]

# Below it the row-wise path is sooner: planning one program's query takes DuckDB a few tenths of a
# second, and the explained decisions of 2,000 cases about as long.
THRESHOLD = 2_000
PATHS = ("auto", "python", "duckdb", "postgres")
CHUNK = 20_000  # cases screened at once: the memory of a chunk, never of the population

def choose(path: str, count: int, backend: str = "") -> str:
    """The path taken for ``count`` cases (``backend``: the log's database, "postgresql" or "sqlite").
    ``auto`` stays row by row where the batch extra (DuckDB, pyarrow, SQLGlot) is not installed."""
    if path != "auto":
        return path
    if count <= THRESHOLD:
        return "python"
    from importlib.util import find_spec

    if backend == "postgresql" and find_spec("sqlglot") and find_spec("psycopg"):
        return "postgres"
    return "duckdb" if find_spec("duckdb") and find_spec("pyarrow") else "python"


def strict_json(text: str, limits=None) -> Any:
    """A case as plain JSON values, or None where only the reference reader may speak: a key given
    twice, NaN or Infinity (``json`` would quietly take one reading), a number with a fraction or an
    exponent (the reference reads it exactly, ``json`` as a float), or anything near a bound of
    ``limits`` (:class:`policyengine.load.Limits`, which the reference reader enforces)."""
    from ..load import DEFAULT_LIMITS

    lim = limits or DEFAULT_LIMITS
    if len(text) * 4 > lim.max_file_bytes:  # (UTF-8 takes at most 4 bytes a character)
        return None

    def pairs(items):
        d = dict(items)
        if len(d) != len(items):
            raise ValueError("a key given twice")
        return d

    def refuse(_):
        raise ValueError("not JSON")

    try:
        got = json.loads(text, object_pairs_hook=pairs, parse_constant=refuse, parse_float=refuse)
    except (ValueError, RecursionError):
        return None
    # a short text is inside every bound, and says so without a walk: no string or collection longer
    # than the text, no deeper than its brackets, no longer number than its longest run of digits
    short = len(text) < min(lim.max_scalar_chars, lim.max_collection_items) \
        and text.count("[") + text.count("{") < lim.max_depth - 2 \
        and re.search("[0-9]{%d}" % max(1, lim.max_int_digits - 1), text) is None
    return got if short or _within(got, lim, 0) else None


def _within(v: Any, lim, depth: int) -> bool:
    """Every value well inside the reader's bounds (a margin of two levels of depth)."""
    if depth >= lim.max_depth - 2:
        return False
    if isinstance(v, dict):
        return len(v) < lim.max_collection_items and all(
            _within(k, lim, depth + 1) and _within(x, lim, depth + 1) for k, x in v.items())
    if isinstance(v, list):
        return len(v) < lim.max_collection_items and all(_within(x, lim, depth + 1) for x in v)
    if isinstance(v, str):
        return len(v) < lim.max_scalar_chars
    if type(v) is int:
        return len(str(abs(v))) < lim.max_int_digits
    return True


@dataclass
class Screen:
    """One screening engine: its connection, the queries of each program, what it decides row-wise."""

    engine: str  # duckdb or postgres
    run: Callable  # (program, query, [(facts, as_of)]) -> [outputs or None]
    queries: dict[int, tuple[Any, Any]] = field(default_factory=dict)  # id(program) -> (program, query)
    row_wise_found: dict[str, str] = field(default_factory=dict)  # "outcome of subject at place" -> why
    screened: int = 0  # cases SQL decided under both versions (cleared, or found different)
    close: Callable = lambda: None
    refused: dict[str, str] = field(default_factory=dict)  # "subject at place" -> why the database refused its query

    def notes(self, checked: int) -> list[Text]:
        """What the batch path did, for stderr (the report itself is the row-wise path's)."""
        where = {"duckdb": ("DuckDB", "DuckDB"), "postgres": ("PostgreSQL 数据库内", "inside PostgreSQL")}[self.engine]
        out = [Text(f"批量路径（{where[0]}）：{checked} 个个案中 {self.screened} 个由 SQL 在新旧两个版本下计算并比较，"
                    f"其余的及结果不同的逐个计算",
                    f"batch path ({where[1]}): {self.screened} of {checked} case(s) decided by SQL under both "
                    "versions and compared; the others, and those whose outcomes differ, one by one")]
        if self.row_wise_found:
            shown = "; ".join(self.row_wise)
            out.append(Text(f"SQL 翻译无法表达的结果，逐行计算：{'；'.join(zh(x) for x in self.row_wise)}",
                            f"outcomes the SQL translation cannot express, decided row-wise: {shown}"))
        for k, why in sorted(self.refused.items()):
            out.append(Text(f"数据库不接受 {k} 的查询，这些个案逐个计算：{why}",
                            f"the database refused the query of {k}; its cases are compared one by one: {why}"))
        return out

    @property
    def row_wise(self) -> tuple[str, ...]:
        return tuple(f"{k} ({why})" for k, why in sorted(self.row_wise_found.items()))

    def outcomes(self, prog, rows: list[tuple[dict, _dt.date]]) -> list[dict | None]:
        got = self.queries.get(id(prog))
        if got is None:
            got = self.queries[id(prog)] = (prog, translate(prog))
        q = got[1]
        for o, why in q.row_wise.items():
            self.row_wise_found.setdefault(f"{o} of {prog.subject} at {prog.layers.path[-1]}", why)
        out = self.run(prog, q, rows)
        if q.row_wise:
            for (facts, on), values in zip(rows, out):
                if values is not None:
                    py = prog.decide(facts, on)
                    values.update({o: py.get(o) for o in q.row_wise})
        return out


def duckdb_screen() -> Screen:
    import duckdb

    from .duck import run_query

    con = duckdb.connect(":memory:")
    return Screen("duckdb", lambda prog, q, rows: run_query(con, prog, q, rows), close=con.close)


def _differ(a: dict, b: dict) -> bool:
    from ..explain import to_json_value

    return any(to_json_value(a.get(n)) != to_json_value(b.get(n)) for n in set(a) | set(b))


def screened(items: Iterable[tuple[Any, Any, Any]], screen: Screen, lang: str, chunk: int = CHUNK) \
        -> Iterator[tuple[Any, bool]]:
    """For each ``(key, (old, new), case)`` — two :class:`Policies` and a plain case dict (or None,
    for a case only the reference reader takes) — ``(key, must)``, in the order given: ``must`` is
    False only where SQL decided the case under both versions with the same outcomes, so that the
    row-wise comparison would report nothing for it."""
    buf: list[tuple[Any, Any, Any]] = []
    for item in items:
        buf.append(item)
        if len(buf) >= chunk:
            yield from _chunk(buf, screen, lang)
            buf = []
    if buf:
        yield from _chunk(buf, screen, lang)


def _chunk(buf: list, screen: Screen, lang: str) -> Iterator[tuple[Any, bool]]:
    must = [True] * len(buf)
    groups: dict[tuple[int, int], tuple[Any, Any, list[int], list, list]] = {}
    for i, (_, (old, new), case) in enumerate(buf):
        if type(case) is not dict:
            continue
        a = old._accept(case, lang)
        b = new._accept(case, lang) if a is not None else None
        if b is None or not (_in_sql_range(a[0], a[1][3]) and _in_sql_range(b[0], b[1][3])):
            continue
        po, pn = a[1][1], b[1][1]
        g = groups.setdefault((id(po), id(pn)), (po, pn, [], [], []))
        g[2].append(i)
        g[3].append((a[0], a[1][3]))
        g[4].append((b[0], b[1][3]))
    for po, pn, idx, rows_o, rows_n in groups.values():
        vo, vn = screen.outcomes(po, rows_o), screen.outcomes(pn, rows_n)
        for i, x, y in zip(idx, vo, vn):
            if x is not None and y is not None:
                screen.screened += 1
                must[i] = _differ(x, y)
    for (key, _, _), m in zip(buf, must):
        yield key, m


def open_screen(engine: str, log=None) -> Screen:
    """The screening engine ``engine``: DuckDB, or the PostgreSQL database of ``log``."""
    if engine == "postgres":
        from .pg import postgres_screen

        return postgres_screen(log)
    return duckdb_screen()
