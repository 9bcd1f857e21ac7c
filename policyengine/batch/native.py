"""The DuckDB engine over the whole file: DuckDB reads the input, checks it and writes the output.

Python never holds the rows.  DuckDB reads the file itself (``read_parquet``; ``read_csv`` with every
column as text, as the python engine reads CSV), and one query — planned once — does the rest:

* the case columns of each row name a program: the distinct (subject, jurisdiction, as_of) of the
  file are few, each is checked and compiled once in Python and becomes a program number;
* the validation of every fact is SQL: each cell must be exactly what the fast path of
  ``Policies.evaluate`` accepts (its type, an allowed value of its enum, inside its bounds, a real
  date; a list of records with exactly the declared fields), else the row is *row-wise*;
* each program's outcomes are :func:`.sql.translate`'s columns, every program's in one chain over the
  file: what two programs compute alike (the same fact read alike, the same condition) is one column,
  and a row takes the outcomes of its own program;
* ``COPY ... TO`` writes Parquet, CSV or JSON Lines — in the same pass over the file, which stops
  (DuckDB's ``error()``, this engine's only) at the first row SQL does not decide; only then are
  those rows looked for (a second pass) and the output written again with them in place.

A row-wise row — malformed, odd, of a program with an outcome the translation cannot express, or
where the translation escapes (a name an aggregate reads is undetermined) — is read back and decided
by the public API (the python engine), which also writes the error naming the field; DuckDB then
puts it in its place.  Memory is DuckDB's ``memory_limit`` (it spills to disk past it), not the input.
A file DuckDB cannot read as the python engine reads it raises :class:`NotNative`: the caller uses
the python engine instead.
"""
from __future__ import annotations

import datetime as _dt
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..diagnostics import Diagnostic, PolicyError, Span, Text
from .sql import INT_BOUND, Query, _lit, _records_of, chain, translate
from .sql import SQL_TYPES as _SQL_TYPES

__all__ = ["NotNative", "run_native", "MAX_KEYS", "MAX_ARMS", "Arm", "program_arms", "Dialect", "DUCKDB"]

MAX_KEYS = 100_000  # distinct (subject, jurisdiction, as_of) of a file looked up in Python; past it, the python engine
MAX_ARMS = 256  # ranges of them a query names inline (program_arms); past it, the python engine
# Planning one program's query takes DuckDB a few tenths of a second: a file with fewer rows than this per
# program is decided sooner by the python engine
MIN_ROWS_PER_PROGRAM = 2_000
# what the query raises at the first row SQL does not decide: the output is then written in two passes
_ROW_WISE = "policyengine: a row decided row-wise"
_EARLY, _LATE = _dt.date(1000, 1, 1), _dt.date(9000, 1, 1)
_INT_RE, _DATE_RE = "-?[0-9]{1,15}", "[0-9]{4}-[0-9]{2}-[0-9]{2}"
# the names the queries give their own columns and their list lambdas' variables (``it``, ``it_h``: SQL tells
# names apart without case): a file's column named so would be read in place of the query's (a wrong answer,
# or DuckDB's binder error shown as the note)
_OWN_NAME = re.compile(r"row_id|pe_.*|p[0-9].*|it|it_.*", re.IGNORECASE | re.DOTALL)
# carried columns of these DuckDB types are written as the python engine writes them, in every output
# format (a DECIMAL, a TIMESTAMP, a DOUBLE, a MAP … are written otherwise: the python engine takes the file)
_INTS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")  # a whole-number fact is read from these (a UBIGINT may pass BIGINT)
_CARRIED_AS_PYTHON = frozenset({*_INTS, "UBIGINT", "VARCHAR", "BOOLEAN", "DATE"})
# DuckDB's rewrites that would give the rows out of the file's order: ``in_clause`` makes a long IN list (an
# enum's allowed values) a join, and a join's output is in no order, whatever preserve_insertion_order says
_OPTIMIZERS_OFF = "in_clause"


class NotNative(Exception):
    """The input cannot be read by DuckDB exactly as the python engine reads it."""


_PLAIN_DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Arm:
    """The rows of one program: subject ``s``, jurisdiction ``j`` and an as_of from ``lo`` to ``hi`` (the
    case columns' text, as the file's keys give them); decided on ``day``, or None: each row on its own
    as_of (then every key of the arm is a plain date ``YYYY-MM-DD``, which SQL casts to that date)."""
    s: str
    j: str
    lo: str
    hi: str
    k: int
    day: _dt.date | None


def program_arms(keys: list[tuple[Any, Any, Any, int | None, _dt.date | None]]) -> list[Arm]:
    """The arms that give each row its program, from the file's distinct ``(s, j, as_of, k, day)``: ``k``
    the program's number, None where the python engine decides the rows (``day`` is then unused).

    A file of many dates has few programs (rules come into force on few days), so the keys of one
    subject and jurisdiction, sorted by their as_of text, are taken in runs: consecutive keys of one
    program, each a plain date, make one arm that tests the range ``lo`` … ``hi``.  The test is exact:
    the file has no other key of that subject and jurisdiction in the range (every key is here, and
    another would have broken the run), and text compares as SQL compares it (by code point, which is
    UTF-8's byte order).  A date column compares alike: plain dates sort as their days do."""
    by: dict[tuple, list[tuple]] = {}
    for s, j, a, k, day in keys:
        if isinstance(s, str) and isinstance(j, str) and isinstance(a, str):  # (else never a program's)
            by.setdefault((s, j), []).append((a, k, day))
    arms: list[Arm] = []
    for (s, j), got in by.items():
        run: list | None = None  # [lo, hi, k, day, plain]
        for a, k, day in sorted(got, key=lambda x: x[0]):
            plain = k is not None and _PLAIN_DATE.fullmatch(a) is not None
            if run is not None and plain and run[4] and run[2] == k:
                run[1] = a
                if run[3] != day:
                    run[3] = None
                continue
            if run is not None and run[2] is not None:
                arms.append(Arm(s, j, run[0], run[1], run[2], run[3]))
            run = [a, a, k, day, plain]
        if run is not None and run[2] is not None:
            arms.append(Arm(s, j, run[0], run[1], run[2], run[3]))
    return arms


def q(name: str) -> str:
    """A column name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Dialect:
    """What the checks of the fact cells (:meth:`_Run.cell`) write differently for one SQL engine:
    DuckDB's here, Spark's in :mod:`.spark`.  Every test is two-valued: a NULL never reads as
    "accepted" (a list item with a null enum field is refused, as the fast path refuses it)."""
    quote: Callable[[str], str]  # a column or field name quoted
    text: Callable[[str], str]  # a text literal
    types: Mapping[str, str]  # a fact's kind -> its SQL type, and the type of a column read as that kind
    ints: tuple[str, ...]  # the column types a whole-number fact is read from
    csv_given: Callable[[str], str]  # a CSV cell gives its fact (an empty cell leaves it out)
    full_match: Callable[[str, str], str]  # the whole text of the cell matches the regular expression
    no_item: Callable[[str, str], str]  # no item ``it`` of the list meets the condition
    member: Callable[[str, tuple], str]  # the value is one of these: FALSE, never NULL, for NULL
    null_records: Callable[[dict], str]  # a NULL list of records of these fields (name -> SQL type)


def _enum_member(x: str, values: tuple) -> str:
    # (a cast to an ENUM looks each distinct text up once, where IN compares every row's text)
    return f"TRY_CAST({x} AS ENUM({', '.join(_lit(v) for v in values)})) IS NOT NULL" if values else "FALSE"


DUCKDB = Dialect(
    quote=q, text=_lit, types=_SQL_TYPES, ints=_INTS,
    csv_given=lambda col: f"{col} IS NOT NULL",  # (read_csv reads an empty cell as NULL)
    full_match=lambda col, rx: f"regexp_full_match({col}, {_lit(rx)})",
    no_item=lambda col, cond: f"len(list_filter({col}, lambda it: {cond})) = 0",
    member=_enum_member,
    null_records=lambda fields: "CAST(NULL AS STRUCT(" + ", ".join(f"{q(n)} {t}" for n, t in fields.items()) + ")[])")


def _plain_arrow(t) -> bool:
    """A Parquet column's Arrow type (None: a CSV column, text) whose cells Python reads as DuckDB does:
    whole numbers, text, booleans, dates (a duration, which DuckDB reads as a number, is not)."""
    if t is None:
        return True
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    return (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t)
            or pa.types.is_date32(t))


def name_clash(columns: list[str], outcomes: list[str]) -> str | None:
    """Why SQL cannot take a file of these columns as they are named, or None: a column named like one
    of the query's own, or two names (input or output) that differ only in case."""
    seen: dict[str, str] = {}
    for c in [*columns, *outcomes, "error"]:
        if c in columns and _OWN_NAME.fullmatch(c):
            return f"the column {c!r} is named like one of the engine's own columns"
        other = seen.setdefault(c.lower(), c)
        if other != c:
            return f"the column names {other!r} and {c!r} differ only in case"
    return None


# a quote followed by spaces and the cell's end ("42" ,), or spaces and then a cell's opening quote (, "42"; not
# ', ""', which inside a quoted text is an escaped quote: JSON in a cell, [{""year"": 2022, ""grade"": …}])
_QUOTE_SPACE = re.compile(rb'"[ \t]+(?:,|\r|\n|$)|(?:^|[,\r\n])[ \t]+"(?!")')


def _space_after_quote(src: Path, block: int = 1 << 24) -> bool:
    """Whether a quote is followed by spaces and then the cell's end (``"42" ,``), or spaces come before a cell's
    opening quote (``, "42"``), anywhere in the file: DuckDB reads that cell as 42, the csv module (and so the python
    engine) as '42 ' or ' "42"'.  Such a file is the python engine's, which
    then says what is wrong with the cell; a match inside a quoted text only sends a file there needlessly."""
    with src.open("rb") as f:
        tail = b""
        while chunk := f.read(block):
            if _QUOTE_SPACE.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def run_native(policies, src: Path, out: Path, fmt_in: str, fmt_out: str, reader, outcomes: list[str], *,
               lang: str, memory_limit: str | None, threads: int | None, result) -> None:
    import duckdb

    if fmt_in not in ("parquet", "csv"):
        raise NotNative(f"{fmt_in} input")
    if not reader.columns:  # (DuckDB refuses a file of no columns: a CSV of no bytes is one of no rows)
        raise NotNative("an input with no columns")
    if fmt_in == "csv" and _space_after_quote(src):
        raise NotNative("a quoted cell followed by spaces, which DuckDB drops and the python engine keeps")
    ps = policies.policy_set
    kinds = {o: ps.outputs[o].type.kind for o in outcomes}
    if any(k not in _SQL_TYPES for k in kinds.values()):
        raise NotNative("an outcome of a type SQL does not hold exactly")
    config: dict[str, Any] = {"preserve_insertion_order": True, "disabled_optimizers": _OPTIMIZERS_OFF}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as e:
        raise PolicyError(Diagnostic("PE091", Text(f"DuckDB 不接受内存上限 {memory_limit!r} 或线程数 {threads!r}：{e}",
                                                   f"DuckDB does not take the memory limit {memory_limit!r} "
                                                   f"or the threads {threads!r}: {e}"),
                                     Span("batch", 1, 1), hint=Text("内存上限写作 2GB、512MB 这样的大小；线程数为正整数",
                                                                    "write the memory limit as a size such as 2GB or "
                                                                    "512MB, the threads as a whole number above 0")))
    try:
        with tempfile.TemporaryDirectory(prefix="policyengine-batch-") as tmp:
            con.execute(f"SET temp_directory = {_lit(tmp)}")  # past memory_limit DuckDB spills here
            _Run(policies, con, src, out, fmt_in, fmt_out, reader, outcomes, kinds, lang, result).run()
    except duckdb.Error as e:
        # (its first line: the rest is DuckDB's own advice and reader settings, options this command does not have)
        raise NotNative(f"DuckDB: {(str(e).strip().splitlines() or [''])[0]}") from e
    finally:
        con.close()


class _Run:
    dialect = DUCKDB  # (Spark's run, :mod:`.spark`, writes the same checks in its own SQL)
    complete: frozenset[str] = frozenset()  # columns the file's own statistics show hold no NULL

    def __init__(self, policies, con, src, out, fmt_in, fmt_out, reader, outcomes, kinds, lang, result):
        self.policies, self.ps, self.con = policies, policies.policy_set, con
        self.src, self.out, self.fmt_in, self.fmt_out = Path(src), Path(out), fmt_in, fmt_out
        self.reader, self.outcomes, self.kinds, self.lang, self.result = reader, outcomes, kinds, lang, result

    # ------------------------------------------------------------------------------------ input
    def source(self) -> str:
        path = _lit(str(self.src))
        if self.fmt_in == "parquet":
            return f"read_parquet({path})"
        return (f"read_csv({path}, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
                f"auto_detect = false, strict_mode = true, null_padding = false, columns = "
                "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in self.columns) + "})")

    def numbered(self) -> str:
        """The input with each row's number, ``row_id``, from 0 in the file's order.  Parquet's reader gives
        it (``file_row_number``) while every thread reads a part of the file; ``row_number() OVER ()`` — CSV's,
        and a Parquet file with a column of that name — numbers the rows in one thread, and with it the
        whole query runs in one (half the speed on two cores)."""
        if self.fmt_in == "parquet" and not any(c.lower() == "file_row_number" for c in self.columns):
            return (f"SELECT file_row_number AS row_id, * EXCLUDE (file_row_number) "
                    f"FROM read_parquet({_lit(str(self.src))}, file_row_number = true)")
        return f"SELECT row_number() OVER () - 1 AS row_id, * FROM {self.source()}"

    def run(self) -> None:
        from .io import read_chunks

        self.columns, self.arrow_types, _ = read_chunks(self.src, 1)  # the header / schema as the python engine reads it
        clash = name_clash(self.columns, self.outcomes)
        if clash:
            raise NotNative(clash)
        con = self.con
        con.execute(f"CREATE TEMP VIEW src AS {self.numbered()}")
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE src)").fetchall())
        if [c for c in types if c != "row_id"] != self.columns:
            raise NotNative("DuckDB reads other columns than the python engine")
        for c in self.reader.carried:
            if self.fmt_out != "parquet" and not (types[c] in _CARRIED_AS_PYTHON and _plain_arrow(self.arrow_types.get(c))):
                raise NotNative(f"the carried column {c!r} of type {types[c]}, which DuckDB writes otherwise "
                                "than the python engine")
        self.types = types
        self.complete = self.complete_columns()
        case = self.case_columns()
        counted = con.execute(f"SELECT {case[0]}, {case[1]}, {case[2]}, count(*) FROM src GROUP BY ALL "
                              f"LIMIT {MAX_KEYS + 1}").fetchall()
        if len(counted) > MAX_KEYS:
            raise NotNative(f"more than {MAX_KEYS:,} distinct subject, jurisdiction and as_of")
        progs, found, days, unknown = self.plan(counted)
        if len(found) > MAX_ARMS:
            raise NotNative(f"the rows' subject, jurisdiction and as_of name their programs in more than {MAX_ARMS} ranges")
        if sum(t[3] for t in counted) < MIN_ROWS_PER_PROGRAM * len(progs):
            raise NotNative(f"fewer than {MIN_ROWS_PER_PROGRAM:,} rows per program: planning would take longer "
                            "than deciding")
        arms, dates = self.arm_cases(case, found)
        carried = [q(c) for c in self.reader.carried]
        if len(arms) == 1 and not unknown:  # every row is of the one program: nothing to test per row
            base = f"SELECT *, 0 AS pe_prog, {self.day(case[2], found[0])} AS pe_day"
        elif arms:
            base = f"SELECT *, CASE {' '.join(arms)} ELSE -1 END AS pe_prog, CASE {' '.join(dates)} END AS pe_day"
        else:
            base = "SELECT *, -1 AS pe_prog, NULL::DATE AS pe_day"
        drop = "as_of, pe_day" if "as_of" in types else "pe_day"  # the row's date, as the program reads it
        ctes = [f"pe_day AS ({base} FROM src)", f"pe_base AS (SELECT * EXCLUDE ({drop}), pe_day AS as_of FROM pe_day)"]
        # every program's columns in one chain over the file, read once and written in its order: the inputs,
        # gates and expressions two programs write alike (the same fact read alike, the same condition over
        # them) are one column, computed once per row; a row takes the outcomes of its own program.  (A query
        # per program with its rows apart read the file once per program and then sorted every row back into
        # the file's order: on 10 million rows of three programs, the sort alone took longer than deciding.)
        inputs, named, gates = [], {}, {}  # named: an input's SQL -> its column, the first program's name for it
        rename: dict[str, str] = {}  # a program's own name of an input -> the column it shares
        for k, prog, s, j in progs.values():
            cols, gate = self.inputs(k, s, j)
            for c in cols + [f"{gate} AS p{k}ok"]:
                sql, name = c.rsplit(" AS ", 1)
                rename[name] = named.setdefault(sql, name)
                if rename[name] == name:
                    inputs.append(c)
            gates[k] = rename[f"p{k}ok"]
        ctes.append(f"pin AS (SELECT * {', '.join([''] + inputs)} FROM pe_base)")
        shared = chain("p0", "pin")
        outs: dict[int, Query] = {}  # program -> its translation
        for k, prog, s, j in progs.values():
            named_facts: dict[str, tuple[str, str]] = {}
            one_day = next(iter(days[k])) if len(days[k]) == 1 else None  # (then the date is a literal)

            def pair(f, k=k, s=s, j=j):
                return tuple(rename.get(x, x) for x in self.fact_pair(k, s, j, f))

            tq = translate(prog, shared=shared, outputs_prefix=f"p{k}", kinds=self.kinds, as_of=one_day,
                           inputs=lambda f, pair=pair, got=named_facts: got.setdefault(f, pair(f)))
            for o, why in tq.row_wise.items():
                self.result_row_wise(o, prog, why)
            outs[k] = tq
        levels, last = shared.ctes()
        ctes.extend(levels)
        columns = [c for tq in outs.values() for c in tq.columns]
        ctes.append(f"pout AS (SELECT * {', '.join([''] + columns)} FROM {last})")

        def per_program(each) -> str:  # one value per row: its program's (NULL for a row of none)
            got = {k: each(k, tq) for k, tq in outs.items()}
            if not got:
                return "NULL"
            if len(set(got.values())) == 1 and not unknown:  # (every row is of a program, all alike here)
                return next(iter(got.values()))
            return "CASE pe_prog " + " ".join(f"WHEN {k} THEN {v}" for k, v in got.items()) + " END"

        cols = [f"CAST({per_program(lambda k, tq, o=o: tq.outputs.get(o, 'NULL'))} AS {_SQL_TYPES[self.kinds[o]]}) "
                f"AS {q(o)}" for o in self.outcomes]
        py = per_program(lambda k, tq: f"COALESCE(NOT {gates[k]} OR {tq.escape} OR {'TRUE' if tq.row_wise else 'FALSE'}, TRUE)")
        self.unknown = unknown
        con.execute(f"CREATE TEMP VIEW decided AS WITH {', '.join(ctes)} "
                    f"SELECT {', '.join(['row_id'] + carried + cols + [f'COALESCE({py}, TRUE) AS pe_py'])} FROM pout")
        self.write()
        if self.fmt_out == "parquet":
            self.same_carried_types()

    def same_carried_types(self) -> None:
        """The carried columns of the Parquet written have the types the python engine writes (the input's;
        text from CSV), else :class:`NotNative` — the python engine writes the file again.  (DuckDB writes
        a large_string or a dictionary as a string, a duration as an integer.)"""
        import pyarrow as pa
        import pyarrow.parquet as pq

        written = pq.read_schema(self.out)
        for c in self.reader.carried:
            want = self.arrow_types.get(c, pa.string())
            if written.field(c).type != want:
                raise NotNative(f"the carried column {c!r} of type {want}, which DuckDB writes as {written.field(c).type}")

    def complete_columns(self) -> frozenset[str]:
        """The Parquet columns that hold no NULL in any row group, by the file's own statistics: a
        fact read from one is never left out, its "missing" flag is the constant FALSE, and what
        depends on it is translated without the undetermined branch.  A column a row group has no
        statistics for is not complete; nor is a list (its leaves are named apart: ``c, list, element``)."""
        if self.fmt_in != "parquet":
            return frozenset()
        got = self.con.execute("SELECT path_in_schema, sum(stats_null_count), bool_and(stats_null_count IS NOT NULL) "
                               f"FROM parquet_metadata({_lit(str(self.src))}) GROUP BY ALL").fetchall()
        return frozenset(c for c, nulls, known in got if known and nulls == 0 and c in self.columns)

    def arm_cases(self, case: tuple[str, str, str], found: list[Arm]) -> tuple[list[str], list[str]]:
        """The WHEN arms giving each row its program number and the day it is decided on."""
        arms, dates = [], []
        for arm in found:
            test = f"{self.equals(case[0], arm.s)} AND {self.equals(case[1], arm.j)} AND {self.within(case[2], arm)}"
            arms.append(f"WHEN {test} THEN {arm.k}")
            dates.append(f"WHEN {test} THEN {self.day(case[2], arm)}")
        return arms, dates

    def equals(self, e: str, v) -> str:
        """``e = v`` for a case column; a DATE column compared as a date (no text made per row)."""
        if v is None:
            return f"{e} IS NULL"
        if self.date_column(e):
            return f"{q('as_of')} = {_lit(_dt.date.fromisoformat(v))}"
        return f"{e} = {self.dialect.text(v)}"

    def date_column(self, e: str) -> bool:
        """``e`` is the text of the file's as_of column of type DATE (compared as a date instead; Spark's
        case columns are always compared as text)."""
        return e == f"CAST({q('as_of')} AS VARCHAR)" and self.types.get("as_of") == "DATE"

    def within(self, e: str, arm: Arm) -> str:
        """The row's as_of (``e``, its text) in the arm's range."""
        if arm.lo == arm.hi:
            return self.equals(e, arm.lo)
        if self.date_column(e):
            return (f"{q('as_of')} BETWEEN {_lit(_dt.date.fromisoformat(arm.lo))} "
                    f"AND {_lit(_dt.date.fromisoformat(arm.hi))}")
        return f"{e} BETWEEN {self.dialect.text(arm.lo)} AND {self.dialect.text(arm.hi)}"

    def day(self, e: str, arm: Arm) -> str:
        """The date the arm's rows are decided on: one day, or each row's own as_of."""
        if arm.day is not None:
            return _lit(arm.day)
        if self.date_column(e):
            return q("as_of")
        return f"CAST({e} AS DATE)"

    def case_columns(self) -> tuple[str, str, str]:
        """SQL for each row's subject, jurisdiction and as_of as text (a flag's value where given)."""
        out = []
        for k in ("subject", "jurisdiction", "as_of"):
            flag = self.reader.flags[k]
            if flag is not None:
                out.append(_lit(flag.isoformat() if isinstance(flag, _dt.date) else flag))
            elif k not in self.types:
                out.append("NULL::VARCHAR")
            elif self.types[k] == "VARCHAR" or k == "as_of" and self.types[k] == "DATE":
                out.append(f"CAST({q(k)} AS VARCHAR)")
            else:
                raise NotNative(f"a {k} column of type {self.types[k]}")
        return tuple(out)  # type: ignore[return-value]

    def plan(self, counted: list[tuple], leave_out: frozenset[int] = frozenset()):
        """From the file's distinct (subject, jurisdiction, as_of, rows): ``progs`` (id of a program ->
        its number, the program, subject, jurisdiction, in the order first met), its :func:`program_arms`,
        the days each program number decides on, and how many rows the python engine decides (and reports)
        instead — those of no program, or of a program in ``leave_out``."""
        unknown = 0
        progs: dict[int, tuple] = {}
        keys = []
        days: dict[int, set] = {}
        for s, j, a, count in sorted(counted, key=lambda t: [(x is None, x or "") for x in t[:3]]):  # (the same query for the same file)
            got = self.program(s, j, a)
            if got is None or id(got[0]) in leave_out:
                unknown += count
                keys.append((s, j, a, None, None))
                continue
            prog, on = got
            k = progs.setdefault(id(prog), (len(progs), prog, s, j))[0]
            days.setdefault(k, set()).add(on)
            keys.append((s, j, a, k, on))
        return progs, program_arms(keys), days, unknown

    def program(self, s, j, a):
        """The program and date of one (subject, jurisdiction, as_of), or None where the python engine
        must decide (and report) the rows."""
        from ..fast import iso_date

        on = iso_date(a) if isinstance(a, str) else None
        if not (isinstance(s, str) and isinstance(j, str) and on is not None and _EARLY <= on < _LATE):
            return None
        if j not in self.ps.jurisdictions or s not in {x for o in self.ps.outputs.values() for x in o.subjects}:
            return None
        from ..diagnostics import PolicyError

        try:
            return self.policies.program(j, on, s), on
        except PolicyError:
            return None

    # ----------------------------------------------------------------------- facts, checked in SQL
    def cell(self, c: str, f) -> tuple[str, str, str, str]:
        """(given, given as null, accepted, value) of column ``c`` read as fact ``f``, in this run's SQL dialect."""
        d = self.dialect
        col, t, kind = d.quote(c), self.types[c], f.type.kind
        nullable = f.nullable or f.type.nullable
        text = d.types["string"]
        if self.fmt_in == "csv":  # every cell is text: an empty cell leaves the fact out, 'null' is null
            given, null = d.csv_given(col), f"{col} = 'null'"
            if kind == "bool":
                return given, null, f"{col} IN ('true', 'false')", f"({col} = 'true')"
            if kind == "int":
                v = f"TRY_CAST({col} AS BIGINT)"
                return given, null, f"({d.full_match(col, _INT_RE)} AND {self.bounds(v, f)})", v
            if kind == "date":
                v = f"TRY_CAST({col} AS DATE)"
                return given, null, f"({d.full_match(col, _DATE_RE)} AND {self.dates(v)})", v
            if kind in ("enum", "string"):
                return given, null, self.allowed(col, f), col
            return given, null, "FALSE", null_of(d, f)  # (lists as JSON text: the python engine reads them)
        given = "TRUE" if nullable else f"{col} IS NOT NULL"
        null = f"{col} IS NULL"
        if kind == "bool" and t == "BOOLEAN":
            return given, null, "TRUE", col
        if kind in ("enum", "string") and t == text:
            return given, null, self.allowed(col, f), col
        if kind == "int" and t in d.ints:
            v = f"CAST({col} AS BIGINT)"
            return given, null, self.bounds(v, f), v
        if kind == "date" and t == "DATE":
            return given, null, self.dates(col), col
        if kind == "date" and t == text:
            v = f"TRY_CAST({col} AS DATE)"
            return given, null, f"({d.full_match(col, _DATE_RE)} AND {self.dates(v)})", v
        fields = _records_of(f.type)
        if fields is not None and _struct_fields(t) == {n: d.types[ft.kind] for n, ft in fields.items()}:
            tests = []
            for n, ft in fields.items():
                x = f"it.{d.quote(n)}"
                if ft.kind == "int":
                    tests.append(f"{x} IS NOT NULL AND {x} >= 0 AND {x} < {INT_BOUND}")
                elif ft.kind == "enum":
                    tests.append(d.member(x, ft.enum.values))
                else:
                    tests.append(f"{x} IS NOT NULL")
            return given, null, d.no_item(col, f"it IS NULL OR NOT ({' AND '.join(tests)})"), col
        return given, null, "FALSE", null_of(d, f)

    def allowed(self, col: str, f) -> str:
        if f.type.kind == "enum":
            return self.dialect.member(col, f.type.enum.values)
        return "TRUE"

    def bounds(self, v: str, f) -> str:
        lo = -INT_BOUND + 1 if f.min is None else max(-INT_BOUND + 1, f.min)
        hi = INT_BOUND - 1 if f.max is None else min(INT_BOUND - 1, f.max)
        return f"({v} BETWEEN {lo} AND {hi})"

    def dates(self, v: str) -> str:
        return f"({v} >= {_lit(_EARLY)} AND {v} < {_lit(_LATE)})"

    def inputs(self, k: int, s: str, j: str) -> tuple[list[str], str]:
        """The columns of program ``k``'s facts (value, missing) and its gate: every fact cell is one the
        fast path accepts, no cell gives a fact the program does not declare."""
        d = self.dialect
        decls = self.ps.declared_facts(s, j)
        cols, gate = [], []
        for i, c in enumerate(self.reader.fact_columns):
            f = decls.get(c)
            if f is None:  # given (as the python engine reads the row) is an unknown fact: PE061
                other = self.ps.facts.get((s, c))
                nullable = other is not None and (other.nullable or other.type.nullable)
                if self.fmt_in == "parquet":
                    gate.append("FALSE" if nullable else f"{d.quote(c)} IS NULL")
                else:
                    gate.append(f"NOT ({d.csv_given(d.quote(c))})")
                continue
            given, null, ok, value = self.cell(c, f)
            nullable = f.nullable or f.type.nullable
            if self.fmt_in == "parquet":  # given is "not null" or (nullable) TRUE: a null cell is accepted either way
                if ok != "TRUE":
                    gate.append(f"({null} OR {ok})")
            else:
                gate.append(f"(NOT ({given}) OR ({null}) AND {_lit(nullable)} OR NOT ({null}) AND ({ok}))")
            if f.has_default:
                dflt = _lit(f.default)
                cols.append(f"CASE WHEN NOT ({given}) THEN {dflt} WHEN {null} THEN NULL ELSE {value} END AS p{k}f{i}")
                cols.append(f"FALSE AS p{k}m{i}")
            elif self.fmt_in == "parquet":  # a NULL cell is a NULL value (left out or null): no CASE per row
                cols.append(f"{value} AS p{k}f{i}")
                cols.append(f"{'FALSE' if given == 'TRUE' or c in self.complete else f'{d.quote(c)} IS NULL'} AS p{k}m{i}")
            else:
                cols.append(f"CASE WHEN NOT ({given}) OR {null} THEN NULL ELSE {value} END AS p{k}f{i}")
                cols.append(f"NOT ({given}) AS p{k}m{i}")
        return cols, "COALESCE(" + (" AND ".join(gate) or "TRUE") + ", FALSE)"  # (a NULL test: not accepted)

    def fact_pair(self, k: int, s: str, j: str, fact: str) -> tuple[str, str]:
        f = self.ps.declared_facts(s, j).get(fact)
        if fact in self.reader.fact_columns:
            i = self.reader.fact_columns.index(fact)
            never = f is not None and (f.has_default or self.fmt_in == "parquet" and (
                f.nullable or f.type.nullable or fact in self.complete))  # never left out: the constant FALSE
            return f"p{k}f{i}", "FALSE" if never else f"p{k}m{i}"
        if f is not None and f.has_default:
            return _lit(f.default), "FALSE"
        return (null_of(DUCKDB, f) if f is not None else "NULL"), "TRUE"  # (typed: a date + INTERVAL must bind;
        # DuckDB's SQL, the translation's, whichever engine runs it)

    def result_row_wise(self, o: str, prog, why: str) -> None:
        self.result.row_wise_found.setdefault(f"{o} of {prog.subject} at {prog.layers.path[-1]}", why)

    # --------------------------------------------------------------------------------------- out
    def write(self) -> None:
        con, res = self.con, self.result
        ids = None if self.unknown == 0 else \
            [r for (r,) in con.execute("SELECT row_id FROM decided WHERE pe_py ORDER BY row_id").fetchall()]
        carried = [q(c) for c in self.reader.carried]
        outs = [q(o) for o in self.outcomes]
        opts = {"parquet": "FORMAT PARQUET", "csv": "FORMAT CSV, HEADER true", "jsonl": "FORMAT JSON"}[self.fmt_out]
        if self.fmt_out == "parquet":  # a column DuckDB proves has no NULL would be written "required": every
            # column may be null, as the python engine writes it
            con.execute(f"SET disabled_optimizers = '{_OPTIMIZERS_OFF}, statistics_propagation'")
        if ids is None:  # (the first try: SQL decides every row, else DuckDB stops at the first it does not)
            import duckdb

            sel = ", ".join(carried + outs + ["CAST(NULL AS VARCHAR) AS error"])
            try:
                res.rows = con.execute(f"COPY (SELECT {sel} FROM decided WHERE NOT pe_py OR error({_lit(_ROW_WISE)})) "
                                       f"TO {_lit(str(self.out))} ({opts})").fetchone()[0]
                return
            except duckdb.Error as e:
                if _ROW_WISE not in str(e):
                    raise
            ids = [r for (r,) in con.execute("SELECT row_id FROM decided WHERE pe_py ORDER BY row_id").fetchall()]
        self.decide_row_wise(ids)
        sel = ", ".join([f"d.{c}" for c in carried] + [f"CASE WHEN d.pe_py THEN p.{o} ELSE d.{o} END AS {o}" for o in outs]
                        + ["p.error AS error"])
        res.rows = con.execute(f"COPY (SELECT {sel} FROM decided d LEFT JOIN pe_rows p USING (row_id) ORDER BY d.row_id) "
                               f"TO {_lit(str(self.out))} ({opts})").fetchone()[0]

    def decide_row_wise(self, ids: list[int]) -> None:
        """The rows SQL does not decide, through the python engine, as the table ``pe_rows``."""
        import pyarrow as pa

        from . import PythonEngine, arrow_types

        con = self.con
        engine = PythonEngine(self.policies, self.reader, self.outcomes, explain=False, lang=self.lang)
        con.register("pe_ids", pa.table({"row_id": pa.array(ids, pa.int64())}))
        rel = con.sql("SELECT * EXCLUDE (row_id) FROM src WHERE row_id IN (SELECT row_id FROM pe_ids) ORDER BY row_id")
        rows = (rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()).to_pylist()
        if self.fmt_in == "csv":  # an empty cell leaves the fact out, as the python engine reads CSV
            rows = [{k: v for k, v in r.items() if v is not None} for r in rows]
        decided = [engine.row(r) for r in rows]
        types = arrow_types(self.ps, self.outcomes)
        cols = {"row_id": pa.array(ids, pa.int64())}
        for o in self.outcomes:
            cols[o] = pa.array([d[o] for d in decided], types[o])
        cols["error"] = pa.array([d["error"] for d in decided], pa.string())
        self.result.errors = sum(d["error"] is not None for d in decided)
        con.register("pe_rows", pa.table(cols))


def null_of(d: Dialect, f) -> str:
    """A NULL of the fact's SQL type in dialect ``d`` (the value of a cell only the python engine reads)."""
    fields = _records_of(f.type)
    if fields is not None:
        return d.null_records({n: d.types[ft.kind] for n, ft in fields.items()})
    return f"CAST(NULL AS {d.types.get(f.type.kind, d.types['string'])})"


def _struct_fields(t: str) -> dict[str, str] | None:
    """The fields of a DuckDB type ``STRUCT(a T, "b" U)[]`` (names of plain letters only), else None."""
    import re

    m = re.fullmatch(r"STRUCT\((.*)\)\[\]", t)
    if m is None:
        return None
    out = {}
    for part in m.group(1).split(", "):
        got = re.fullmatch(r'"?([A-Za-z_][A-Za-z0-9_]*)"? ([A-Z]+)', part)
        if got is None:
            return None
        out[got.group(1)] = got.group(2)
    return out

