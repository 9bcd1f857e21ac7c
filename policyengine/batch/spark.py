"""The Spark engine: the same evaluation as the DuckDB engine, on an Apache Spark cluster.

Spark reads the input (``spark.read``: Parquet, CSV with every column as text, JSON Lines as lines
of text) and one Spark SQL query per program does what :mod:`.native` does in DuckDB:

* the distinct (subject, jurisdiction, as_of) of the file are few: each is checked and compiled
  once on the driver and becomes a program number;
* every fact cell is checked in SQL: it must be exactly what the fast path of ``Policies.evaluate``
  accepts (its type, an allowed value of its enum, inside its bounds, a real date, a list of
  records with exactly the declared fields), else the row is *row-wise*;
* each program's outcomes are :func:`.sql.translate`'s query, built as DuckDB SQL and rendered for
  Spark SQL by :func:`spark_sql` (SQLGlot, then the fix-ups Spark needs: ``size`` of a list,
  ``add_months`` for month arithmetic, ``aggregate`` for a list's sum).

A row-wise row — malformed, odd, of a program with an outcome the translation cannot express, or
where the translation escapes — is decided by the public API (the python engine) from the very
cells Spark read, so its ``error`` is ``Policies.evaluate``'s, word for word.  JSON Lines and
``--explain`` are decided row-wise for every row (Spark reads the lines; the driver decides them):
JSON's left-out and null, and an explanation, are the public API's to give.

The output is one file, as the CLI names it: the decided rows are streamed to the driver one
partition at a time, in the input's order (``toLocalIterator``), and written by the same writer as
the python engine — byte for byte its output, with memory bounded by a partition.  A CSV Spark
does not read exactly as the python engine does (a row with another number of cells than the
header, a blank line) raises :class:`NotSpark`: the caller then uses the python engine.
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, PolicyError, Span, Text
from .io import Writer, jsonl_row
from .native import Dialect, name_clash
from .native import _Run as _NativeRun
from .sql import _lit, translate

__all__ = ["NotSpark", "run_spark", "spark_sql", "session", "MIN_ROWS_PER_PROGRAM"]

# Planning one program's query takes Spark seconds: the rows of a program with fewer rows than this
# are decided by the public API on the driver (from the cells Spark read) instead
MIN_ROWS_PER_PROGRAM = 1_000
_SQL_TYPES = {"bool": "BOOLEAN", "int": "BIGINT", "date": "DATE", "enum": "STRING", "string": "STRING"}


class NotSpark(Exception):
    """The input cannot be read by Spark exactly as the python engine reads it."""


def q(name: str) -> str:
    """A column name quoted for Spark SQL."""
    return "`" + name.replace("`", "``") + "`"


def _text(v: str) -> str:
    """A text literal of Spark SQL, where a backslash escapes (DuckDB's literals, :func:`.sql._lit`, do not)."""
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


# the checks of the fact cells (native._Run.cell) in Spark SQL
SPARK = Dialect(
    quote=q, text=_text, types=_SQL_TYPES, ints=("INT", "BIGINT"),
    csv_given=lambda col: f"({col} IS NOT NULL AND {col} <> '')",  # (Spark reads an empty cell as '' or NULL)
    full_match=lambda col, rx: f"{col} RLIKE {_text('^' + rx + chr(92) + 'z')}",  # (Java's $ also matches before a final newline)
    no_item=lambda col, cond: f"size(filter({col}, it -> {cond})) = 0",
    member=lambda x, values: f"COALESCE({x} IN ({', '.join(_text(v) for v in values)}), FALSE)" if values else "FALSE",
    null_records=lambda fields: "CAST(NULL AS ARRAY<STRUCT<" + ", ".join(f"{q(n)}: {t}" for n, t in fields.items()) + ">>)")


def _usage(zh: str, en: str, hint: Text) -> PolicyError:
    return PolicyError(Diagnostic("PE091", Text(zh, en), Span("batch", 1, 1), hint=hint))


def session(master: str | None = None):
    """The SparkSession: ``master`` (``--master``), else ``$SPARK_MASTER``, else the one spark-submit
    configured, else local mode on every core (``local[*]``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise _usage(f"--engine spark 需要安装 'spark' 附加组件（缺少 {e.name or e}）",
                     f"--engine spark needs the 'spark' extra ({e.name or e})",
                     Text("pip install 'policyengine-rules[spark]'，并安装 Java 17（Debian：openjdk-17-jre-headless）",
                          "pip install 'policyengine-rules[spark]', and Java 17 (Debian: openjdk-17-jre-headless)"))
    b = SparkSession.builder.appName("policyengine batch")
    m = master or os.environ.get("SPARK_MASTER")
    if m:
        b = b.master(m)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # (under spark-submit its --master stands)
        b = b.master("local[*]")
    try:
        spark = b.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    except Exception as e:  # no Java, or a master that cannot be reached
        raise _usage(f"无法启动 Spark（{type(e).__name__}: {str(e)[:300]}）",
                     f"Spark could not be started ({type(e).__name__}: {str(e)[:300]})",
                     Text("Spark 需要 Java 17（Debian：apt-get install openjdk-17-jre-headless，或设置 JAVA_HOME）；"
                          "请检查 --master 或 SPARK_MASTER",
                          "Spark needs Java 17 (Debian: apt-get install openjdk-17-jre-headless, or set JAVA_HOME); "
                          "check --master or SPARK_MASTER"))
    spark.conf.set("spark.sql.caseSensitive", "true")  # columns are told apart as the python engine does
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.legacy.sizeOfNull", "false")  # size(NULL) is NULL, as DuckDB's len (Spark 3.x: -1)
    # the query is a chain of SELECTs, each naming its columns once: merged into one, each expression
    # would be written out again wherever it is read
    spark.conf.set("spark.sql.optimizer.excludedRules", "org.apache.spark.sql.catalyst.optimizer.CollapseProject")
    return spark


# ------------------------------------------------------------------------------------ the query
def spark_sql(sql: str) -> str:
    """A query :func:`.sql.translate` built (DuckDB SQL) as Spark SQL: SQLGlot's rendering, with what
    it leaves DuckDB's — ``len`` of a list is ``size``, ``date + INTERVAL (n) MONTH`` is ``add_months``
    (the same 民法典 month ends: the corresponding day, or the last day of a shorter month),
    ``list_sum`` is ``aggregate``, ``greatest``/``least`` of one value is that value."""
    import sqlglot
    from sqlglot import exp

    def fix(node):
        if isinstance(node, exp.Length):
            return exp.Anonymous(this="SIZE", expressions=[node.this])
        if isinstance(node, exp.Add) and isinstance(node.expression, exp.Interval) \
                and str(node.expression.args.get("unit") or "").upper() == "MONTH":
            months = exp.Cast(this=node.expression.this, to=exp.DataType.build("INT"))
            return exp.Anonymous(this="ADD_MONTHS", expressions=[node.this, months])
        if isinstance(node, (exp.Greatest, exp.Least)) and not node.expressions:  # Spark wants two or more
            return node.this
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "list_sum":
            agg = sqlglot.parse_one("AGGREGATE(pe_list, CAST(0 AS BIGINT), (pe_a, pe_b) -> pe_a + pe_b)", read="spark")
            agg.find(exp.Column).replace(node.expressions[0])
            return agg
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(fix)
    return tree.sql(dialect="spark")


def _kind_of(t) -> str | None:
    """A Spark column type as the checks read it (a list of records written as DuckDB writes its type,
    ``STRUCT(a T, b U)[]``, which the checks parse)."""
    from pyspark.sql import types as T

    if isinstance(t, T.StringType):
        return "STRING"
    if isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return "INT" if not isinstance(t, T.LongType) else "BIGINT"
    if isinstance(t, T.BooleanType):
        return "BOOLEAN"
    if isinstance(t, T.DateType):
        return "DATE"
    if isinstance(t, T.ArrayType) and isinstance(t.elementType, T.StructType):
        return "STRUCT(" + ", ".join(f"{f.name} {_kind_of(f.dataType)}" for f in t.elementType.fields) + ")[]"
    return None


def _read_otherwise(t, *, text: bool) -> bool:
    """Whether Spark gives the values of a carried Parquet column of Arrow type ``t`` otherwise than pyarrow gives
    them to the python engine — always for a time of day (Spark cannot read one); written as text (CSV, JSON Lines),
    for a time with a zone (Spark's is UTC, without the zone), a duration (Spark's is a number), a map and a struct
    (a dict and a Row, each spelled otherwise), or a list of any of these."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_time(t):
        return True
    if not text:
        return False
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _read_otherwise(t.value_type, text=text)
    return (pa.types.is_map(t) or pa.types.is_struct(t) or pa.types.is_duration(t)
            or pa.types.is_timestamp(t) and t.tz is not None)


def run_spark(policies, src: Path, out: Path, fmt_in: str, fmt_out: str, reader, columns: list[str],
              outcomes: list[str], out_cols: list[str], out_types: dict[str, Any], *, explain: bool, lang: str,
              chunk_rows: int, master: str | None, result) -> None:
    spark = session(master)
    _Run(spark, policies, Path(src), Path(out), fmt_in, fmt_out, reader, columns, outcomes, out_cols, out_types,
         explain, lang, chunk_rows, result).run()


class _Run(_NativeRun):
    """The DuckDB engine's run (:mod:`.native`) in Spark: its program lookup and the checks of the
    fact cells are shared (written in Spark's dialect, :data:`SPARK`); reading and writing are Spark's."""

    dialect = SPARK

    def __init__(self, spark, policies, src, out, fmt_in, fmt_out, reader, columns, outcomes, out_cols, out_types,
                 explain, lang, chunk_rows, result):
        self.spark, self.policies, self.ps = spark, policies, policies.policy_set
        self.src, self.out, self.fmt_in, self.fmt_out = src, out, fmt_in, fmt_out
        self.reader, self.columns, self.outcomes = reader, columns, outcomes
        self.out_cols, self.out_types, self.explain, self.lang = out_cols, out_types, explain, lang
        self.chunk_rows, self.result = chunk_rows, result
        self.kinds = {o: self.ps.outputs[o].type.kind for o in outcomes}

    # ------------------------------------------------------------------------------------ input
    def read(self):
        """The input as a DataFrame: ``row_id`` (increasing in the file's order), the columns, and
        ``pe_src`` (the row's cells as read, for a row the python engine decides)."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        spark, path = self.spark, str(self.src)
        if self.fmt_in == "parquet":
            df = spark.read.parquet(path)
            if df.columns != self.columns:
                raise NotSpark("Spark reads other columns than the python engine")
            # a text whose bytes are not UTF-8: Spark keeps them and gives U+FFFD to Python, which would decide the row;
            # the bytes differ from the text's encoding (Spark 3.5's and 4's alike: is_valid_utf8 is 4's only)
            texts = [q(f.name) for f in df.schema.fields if isinstance(f.dataType, T.StringType)]
            bad = " OR ".join(f"encode({c}, 'UTF-8') <> CAST({c} AS BINARY)" for c in texts)
            if texts and df.filter(F.expr(bad)).limit(1).count():
                raise NotSpark("a text that is not UTF-8")
        elif self.fmt_in == "csv":
            blank = spark.read.option("lineSep", "\n").text(path).filter(F.col("value").rlike("^\r?\\z")).limit(1).count()
            schema = T.StructType([T.StructField(c, T.StringType()) for c in self.columns]
                                  + [T.StructField("pe_corrupt", T.StringType())])
            df = (spark.read.schema(schema).option("header", "true").option("multiLine", "true")
                  .option("quote", '"').option("escape", '"').option("mode", "PERMISSIVE")
                  .option("columnNameOfCorruptRecord", "pe_corrupt").option("encoding", "UTF-8").csv(path)).cache()
            self.kept.append(df)
            if blank or df.filter(F.col("pe_corrupt").isNotNull()).limit(1).count():
                raise NotSpark("a row with another number of cells than the header, or a blank line")
            # bytes that are not UTF-8 Spark reads as U+FFFD and decides the row: the python engine makes that row
            # an error naming the column (a U+FFFD written in the file sends it there needlessly, decided alike)
            if self.columns and df.filter(F.concat_ws("", *[F.col(q(c)) for c in self.columns]).contains("\ufffd")).limit(1).count():
                raise NotSpark("a text that is not UTF-8")
            df = df.drop("pe_corrupt")
        else:
            return self.lines()
        df = df.withColumn("row_id", F.monotonically_increasing_id())
        return df.withColumn("pe_src", F.struct(*[F.col(q(c)) for c in self.columns]))

    def lines(self):
        """JSON Lines: each line with its number (the python engine's errors name it)."""
        from pyspark.sql import functions as F

        df = (self.spark.read.option("lineSep", "\n").text(str(self.src))
              .select(F.spark_partition_id().alias("pe_part"), F.monotonically_increasing_id().alias("row_id"),
                      F.col("value").alias("pe_line")))
        counts = dict(df.groupBy("pe_part").count().collect())
        offsets, at = {}, 0
        for part in sorted(counts):
            offsets[part], at = at, at + counts[part]
        first = F.lit(0)
        for part, n in offsets.items():
            first = F.when(F.col("pe_part") == part, F.lit(n)).otherwise(first)
        return df.withColumn("pe_lineno", first + (F.col("row_id") - F.shiftleft(F.col("pe_part").cast("long"), 33)) + 1)

    def run(self) -> None:
        self.kept: list = []  # DataFrames cached while the run lasts
        try:
            self.decide()
        finally:
            for d in self.kept:
                d.unpersist()

    def decide(self) -> None:
        clash = name_clash(self.columns, self.outcomes)
        if clash:
            raise NotSpark(clash)
        for c in self.reader.carried:
            t = self.out_types.get(c)
            if t is not None and _read_otherwise(t, text=self.fmt_out != "parquet"):
                raise NotSpark(f"the carried column {c!r} of type {t}, which Spark writes otherwise than the python engine")
        if not self.columns and self.fmt_in != "jsonl":  # (Spark refuses a CSV or Parquet file of no columns)
            raise NotSpark("an input with no columns")
        df = self.read()
        if self.fmt_in == "jsonl":
            self.result.notes.append(Text("JSON Lines 的输入：Spark 读取各行，每一行经由公共接口计算",
                                          "JSON Lines input: Spark reads the lines, every row is decided through "
                                          "the public API"))
        if self.explain:
            self.result.notes.append(Text("--explain：每一行都经由公共接口计算，由它记录解释",
                                          "--explain: every row is decided through the public API, which records "
                                          "the explanation"))
        if self.fmt_in == "jsonl" or self.explain:
            self.write(df.orderBy("row_id"), every_row=True)
            return
        self.types = {f.name: _kind_of(f.dataType) for f in df.schema.fields if f.name in self.columns}
        self.write(self.decided(df), every_row=False)

    # ------------------------------------------------------------------------------- the programs
    def decided(self, df):
        from pyspark.sql import functions as F

        spark = self.spark
        case = self.case_columns()
        counted = df.groupBy(*[F.expr(e).alias(f"pe_c{i}") for i, e in enumerate(case)]).count().collect()
        counted = [tuple(r) for r in counted]
        rows_of: dict[int, int] = {}
        for s, j, a, n in counted:
            got = self.program(s, j, a)
            if got is not None:
                rows_of[id(got[0])] = rows_of.get(id(got[0]), 0) + n
        few = {p for p, n in rows_of.items() if n < MIN_ROWS_PER_PROGRAM}
        if few:
            self.result.notes.append(Text(
                f"{len(few)} 个程序各自少于 {MIN_ROWS_PER_PROGRAM:,} 行：为它们规划 Spark 查询比逐行计算更慢，"
                "这些行经由公共接口计算",
                f"{len(few)} program(s) with fewer than {MIN_ROWS_PER_PROGRAM:,} rows each: planning their Spark "
                "queries would take longer than deciding, their rows are decided through the public API"))
        progs, found, _, _ = self.plan(counted, frozenset(few))
        arms, dates = self.arm_cases(case, found)  # (as_of compared as text)
        prog_col = f"CASE {' '.join(arms)} ELSE -1 END" if arms else "-1"
        day_col = f"CASE {' '.join(dates)} END" if dates else "CAST(NULL AS DATE)"
        base = df.withColumn("pe_prog", F.expr(prog_col)).withColumn("pe_day", F.expr(day_col))
        base = base.drop("as_of").withColumnRenamed("pe_day", "as_of")
        base.createOrReplaceTempView("pe_base")
        carried = [q(c) for c in self.reader.carried]
        parts = []
        for k, prog, s, j in progs.values():
            inputs, gate = self.inputs(k, s, j)
            spark.sql(f"SELECT *, {', '.join(inputs + [gate + f' AS p{k}ok'])} FROM pe_base WHERE pe_prog = {k}") \
                .createOrReplaceTempView(f"p{k}in")
            names: dict[str, tuple[str, str]] = {}
            tq = translate(prog, prefix=f"p{k}", source=f"p{k}in", kinds=self.kinds,
                           inputs=lambda f, k=k, s=s, j=j: names.setdefault(f, self.fact_pair(k, s, j, f)))
            for o, why in tq.row_wise.items():
                self.result_row_wise(o, prog, why)
            # each SELECT of the chain a view of its own: Spark analyses one at a time, never the whole
            for cte in tq.ctes + [f"p{k}out AS (SELECT *, {', '.join(tq.columns + ['TRUE AS pe_true'])} FROM {tq.last})"]:
                name, body = cte.split(" AS (", 1)
                spark.sql(spark_sql(body[:-1])).createOrReplaceTempView(name)
            cols = [f"CAST({tq.outputs[o] if o in tq.outputs else 'NULL'} AS {_SQL_TYPES[self.kinds[o]]}) AS {_dq(o)}"
                    for o in self.outcomes]
            py = f"COALESCE(NOT p{k}ok OR {tq.escape} OR {'TRUE' if tq.row_wise else 'FALSE'}, TRUE)"
            sel = ", ".join(["row_id"] + [_dq(c) for c in self.reader.carried] + cols
                            + [f"{py} AS pe_py", f"CASE WHEN {py} THEN pe_src END AS pe_src"])
            parts.append(spark.sql(spark_sql(f"SELECT {sel} FROM p{k}out")))
        nulls = [f"CAST(NULL AS {_SQL_TYPES[self.kinds[o]]}) AS {q(o)}" for o in self.outcomes]
        parts.append(spark.sql(f"SELECT {', '.join(['row_id'] + carried + nulls + ['TRUE AS pe_py', 'pe_src'])} "
                               "FROM pe_base WHERE pe_prog = -1"))  # rows whose case the python engine reports
        out = parts[0]
        for p in parts[1:]:
            out = out.unionByName(p)
        # (kept once computed: sorting samples the rows first, then reads them again)
        self.kept.append(out.persist())
        return out.orderBy("row_id")

    def case_columns(self) -> tuple[str, str, str]:
        """Spark SQL for each row's subject, jurisdiction and as_of as text (a flag's value where given);
        NULL for a column of another type (its rows go to the python engine, which reports them)."""
        out = []
        for k in ("subject", "jurisdiction", "as_of"):
            flag = self.reader.flags[k]
            if flag is not None:
                out.append(_lit(flag.isoformat() if isinstance(flag, _dt.date) else flag))
            elif self.types.get(k) == "STRING" or k == "as_of" and self.types.get(k) == "DATE":
                out.append(f"CAST({q(k)} AS STRING)")
            else:
                out.append("CAST(NULL AS STRING)")
        return tuple(out)  # type: ignore[return-value]

    # --------------------------------------------------------------------------------------- out
    def write(self, df, *, every_row: bool) -> None:
        """Streams the decided rows to the driver a partition at a time, in the input's order; the rows
        SQL did not decide (``pe_py``) — every row with ``every_row`` — through the python engine."""
        from . import PythonEngine

        engine = PythonEngine(self.policies, self.reader, self.outcomes, explain=self.explain, lang=self.lang)
        carried, outcomes, res = self.reader.carried, self.outcomes, self.result
        writer = Writer(self.out, self.out_cols, self.out_types, numbers=tuple(carried) if self.fmt_in == "jsonl" else ())
        chunk: list[dict] = []
        # (a Row's cell by name is a search of its names: by position, a tenth of the time)
        py = None if every_row else df.columns.index("pe_py")
        at = [(c, df.columns.index(c)) for c in (*carried, *outcomes)] if py is not None else []
        try:
            for r in df.toLocalIterator():
                if py is None or r[py]:
                    row = self.row_of(r)
                    if row is None:
                        continue  # a blank line of JSON Lines
                    got = engine.row(row)
                    res.errors += got["error"] is not None
                else:
                    t = tuple(r)
                    got = {c: t[i] for c, i in at}
                    got["error"] = None
                chunk.append(got)
                if len(chunk) >= self.chunk_rows:
                    writer.write(chunk)
                    res.rows += len(chunk)
                    chunk = []
            writer.write(chunk)
            res.rows += len(chunk)
        finally:
            writer.close()

    def row_of(self, r) -> dict | None:
        """A row as the python engine's reader gives it, from the cells Spark read."""
        if self.fmt_in == "jsonl":
            return jsonl_row(r["pe_lineno"], r["pe_line"].encode("utf-8"))
        cells = r["pe_src"].asDict(recursive=True)
        if self.fmt_in == "csv":  # an empty cell leaves the fact out
            return {k: v for k, v in cells.items() if v is not None and v != ""}
        return cells


def _dq(name: str) -> str:
    """A column name quoted for DuckDB SQL (the translation's dialect; SQLGlot renders it for Spark)."""
    return '"' + name.replace('"', '""') + '"'
