"""``policyengine batch``: decide a whole population of cases, one row each.

The CONTRACT's "Batch evaluation": INPUT and OUTPUT are Parquet, CSV or JSON Lines; one case per
row; carried columns; one column per outcome (null where undetermined or not in force); ``error``
(the message naming the field of a malformed row — the other rows are still decided); and
``explanation`` (JSON) with ``explain``.

Engines:

* ``python`` — every row through the public API, ``Policies.evaluate`` (the reference the others
  are tested against), streaming a chunk of rows at a time;
* ``duckdb`` — the compiled layers translated into one SQL query over the whole input
  (:mod:`.sql`, :mod:`.native`), DuckDB reading the file and evaluating whole columns; an outcome
  the translation cannot express is reported by name and decided row-wise by the public API
  instead, never approximated.  An input DuckDB does not read itself (JSON Lines, past its bounds)
  and ``explain`` go to the python engine, with a note saying so: rows read by Python are decided
  sooner by the public API than sent to DuckDB and back;
* ``spark`` — the same query rendered for Spark SQL, on an Apache Spark cluster (:mod:`.spark`;
  local mode ``local[*]`` when no master is configured).

Memory is bounded by ``chunk_rows`` (rows held at once), not by the input.  This subpackage
imports pyarrow and duckdb only when a Parquet file or the DuckDB engine needs them: the core
``import policyengine`` never does.
"""
from __future__ import annotations

import datetime as _dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, PolicyError, Span, Text, as_written
from ..cases import _as_date as as_date
from .io import ROW_ERROR, Writer, format_of, json_text, read_chunks
from .reasons import zh
from .rows import RowReader, error_text

__all__ = ["BatchResult", "ENGINES", "CLUSTER_ENGINES", "run_batch", "outcome_columns"]

ENGINES = ("duckdb", "python")  # in this process
CLUSTER_ENGINES = ("spark",)  # a JVM, a cluster: tests/test_batch_spark.py
DEFAULT_CHUNK_ROWS = 10_000


@dataclass
class BatchResult:
    rows: int = 0
    errors: int = 0
    engine: str = "python"
    row_wise: tuple[str, ...] = ()  # outcomes the SQL translation could not express (decided row-wise)
    notes: list[Text] = field(default_factory=list)
    row_wise_found: dict[str, str] = field(default_factory=dict)  # "outcome of subject at place" -> why


def outcome_columns(ps, subject: str | None) -> list[str]:
    """One column per outcome: those of ``subject``, or of every subject (sorted, deterministic)."""
    return sorted(o.name for o in ps.outputs.values() if subject is None or subject in o.subjects)


def arrow_kind(kind: str) -> Any:
    """The Arrow type that holds a value of this kind exactly (text for any other kind)."""
    import pyarrow as pa

    return {"bool": pa.bool_(), "int": pa.int64(), "date": pa.date32()}.get(kind, pa.string())


def arrow_types(ps, outcomes: list[str]) -> dict[str, Any]:
    return {o: arrow_kind(ps.outputs[o].type.kind) for o in outcomes}


def _python_instead(zh: str, en: str) -> Text:
    return Text(f"{zh}：改为由 python 引擎分块读取并计算各行", f"{en}: the python engine reads and decides the rows, a chunk at a time")


def _usage(message: Text, where: str = "batch", hint: Text | None = None) -> PolicyError:
    return PolicyError(Diagnostic("PE091", message, Span(where, 1, 1), hint=hint))


def run_batch(policies, input: str | Path, output: str | Path, **options: Any) -> BatchResult:
    """Decide every row of ``input`` and write ``output``.  Raises :class:`PolicyError` for a problem
    with the files or the options; a malformed row only fills that row's ``error``.

    Options (keywords): ``subject``, ``jurisdiction``, ``as_of`` (for rows without those columns),
    ``engine`` (``duckdb``, ``python`` or ``spark``), ``explain``, ``lang``, ``chunk_rows``; with the
    DuckDB engine, ``memory_limit`` (DuckDB's setting, such as ``"2GB"``) and ``threads`` bound what
    the query may use: past the limit DuckDB spills to a temporary folder; the size of the input never
    decides the memory.  With the Spark engine, ``master`` is the cluster's (else ``$SPARK_MASTER``,
    else spark-submit's, else ``local[*]``).

    The output is written beside ``output`` under a hidden name and renamed to it only when every row
    is written: a run that fails or is stopped leaves ``output`` as it was (never a shorter file that
    reads as complete), and ``output`` may not be the input."""
    final = Path(output)
    format_of(final, "output")
    if final.is_symlink():  # the file it points to is written, and the link stays
        final = Path(os.path.realpath(final))
    made: list[Path] = []  # (the hidden file, once made: removed whatever stops the run, a signal included)
    try:
        partial = _writable(Path(input), final, made)
        result = _run_batch(policies, input, partial, **options)
        os.replace(partial, final)
    except BaseException:
        for f in made:
            f.unlink(missing_ok=True)
        raise
    return result


def _writable(src: Path, out: Path, made: list[Path]) -> Path:
    """The hidden file beside ``out`` that the rows are written to, created; a PE091 when ``out`` cannot be written
    or is the input."""
    def refuse(zh: str, en: str, hint: Text) -> PolicyError:
        return _usage(Text(f"--out {str(out)!r}：{zh}", f"--out {str(out)!r}: {en}"), str(out), hint=hint)

    if out.is_dir():
        raise refuse("这是一个文件夹", "is a folder", Text("请写出输出文件的名字，如 结果.parquet", "name the output file, such as out.parquet"))
    if not out.parent.is_dir():
        raise refuse("所在的文件夹不存在", "its folder does not exist", Text("请先建好文件夹，或换一个路径", "create the folder first, or choose another path"))
    if out.exists() and src.exists() and os.path.samefile(src, out):
        raise refuse("就是输入文件：写出结果会毁掉输入", "is the input file: writing would destroy it",
                     Text("请给输出换一个文件名", "give the output another name"))
    try:  # a new, unique, short name (whatever the output's own length), its suffix telling the format
        fd, name = tempfile.mkstemp(prefix=".pe-", suffix=out.suffix, dir=out.parent)
        made.append(Path(name))
        os.close(fd)
        partial = Path(name)  # (mkstemp's is 0600): the mode the output had, or a new file's under the umask
        os.chmod(partial, out.stat().st_mode & 0o7777 if out.exists() else 0o666 & ~_umask())
    except OSError as e:
        raise refuse(f"无法在这里写文件（{e.strerror}）", f"cannot write a file there ({e.strerror})",
                     Text("请检查文件夹的写权限，或换一个路径", "check that the folder is writable, or choose another path"))
    return partial


def _umask() -> int:
    """The process's umask, read without setting it (os.umask sets it, for every thread, while it reads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _run_batch(policies, input: str | Path, output: Path, *, subject: str | None = None,
               jurisdiction: str | None = None, as_of: _dt.date | str | None = None, engine: str = "duckdb",
               explain: bool = False, lang: str = "zh", chunk_rows: int = DEFAULT_CHUNK_ROWS,
               memory_limit: str | None = None, threads: int | None = None, master: str | None = None) -> BatchResult:
    engines = ENGINES + CLUSTER_ENGINES
    if engine not in engines:
        raise _usage(Text(f"不认识的计算引擎 {as_written(engine)}", f"unknown engine {as_written(engine)}"),
                     hint=Text("可用的引擎：" + "、".join(engines), "engines: " + ", ".join(engines)))
    if chunk_rows < 1:
        raise _usage(Text("chunk_rows 至少是 1", "chunk_rows must be at least 1"),
                     hint=Text("不写就用默认的 10000 行", "leave it out for the default of 10000 rows"))
    format_of(output, "output")
    if isinstance(as_of, str):
        day = as_date(as_of)  # read as a row's as_of is (fromisoformat would take 20240301 and 2024-W09-5 too)
        if day is None:
            raise _usage(Text(f"--as-of {as_written(as_of)} 不是 年-月-日（YYYY-MM-DD）格式的日期", f"--as-of {as_written(as_of)} is not a date YYYY-MM-DD"),
                         hint=Text("例如 --as-of 2024-03-01", "e.g. --as-of 2024-03-01"))
        as_of = day
    ps = policies.policy_set
    if subject is not None and subject not in {s for o in ps.outputs.values() for s in o.subjects}:
        subjects = sorted({s for o in ps.outputs.values() for s in o.subjects})
        raise _usage(Text(f"不认识的对象类型 {as_written(subject)}", f"unknown subject {as_written(subject)}"),
                     hint=Text("对象类型：" + "、".join(subjects), "subjects: " + ", ".join(subjects)))
    if jurisdiction is not None and jurisdiction not in ps.jurisdictions:
        raise _usage(Text(f"不认识的地区 {as_written(jurisdiction)}", f"unknown jurisdiction {as_written(jurisdiction)}"),
                     hint=Text("地区：" + "、".join(sorted(ps.jurisdictions)), "jurisdictions: " + ", ".join(sorted(ps.jurisdictions))))
    columns, types, chunks = read_chunks(input, chunk_rows)
    outcomes = outcome_columns(ps, subject)
    reader = RowReader(ps, columns, subject=subject, jurisdiction=jurisdiction, as_of=as_of,
                       fmt=format_of(input, "input"))
    # a flag given for a case column the file has: every row's own value is set aside (said, never silently)
    overridden = [k for k in ("subject", "jurisdiction", "as_of") if reader.flags[k] is not None and k in columns]
    said = [Text(f"--{k.replace('_', '-')} {_flag_text(reader.flags[k])} 代替了输入中每一行的 {k} 列",
                 f"--{k.replace('_', '-')} {_flag_text(reader.flags[k])} stands in for the input's {k} column in every row")
            for k in overridden]
    # a column that names a fact or case column but for spaces or case (' year', 'Service_Days': an export's
    # header) is carried, and the fact left out of every row: said, with the name meant
    known = {n.lower(): n for n in [*(n for (_, n) in ps.facts), "subject", "jurisdiction", "as_of"]}
    for c in reader.carried:
        meant = known.get(c.strip().lower())
        if meant is not None and meant != c and meant not in columns:
            said.append(Text(f"输入的列 {c!r} 不是事实名，照原样带出，各行都没有给出 {meant!r}；是不是想写 {meant!r}？",
                             f"the input column {c!r} names no fact: it is carried as it is, and no row gives "
                             f"{meant!r}; did you mean {meant!r}?"))

    def done(r: BatchResult) -> BatchResult:
        r.notes[:0] = said
        return r

    clash = [c for c in reader.carried if c in outcomes or c in ("error", "explanation")]
    if clash:
        raise _usage(Text(f"输入的列 {clash[0]!r} 与输出的列同名", f"input column {clash[0]!r} has the name of an output column"), str(input),
                     hint=Text("请给它改名：输出里每个结果一列，另有 'error' 和 'explanation'",
                               "rename it: the output has one column per outcome, 'error' and 'explanation'"))
    if "facts" in reader.carried:  # a row written as a case file is ({"facts": {...}}): nothing would be decided
        raise _usage(Text("输入有一列叫 'facts'：批量文件里每个事实单独一列，而不是个案文件那样写在 facts 下",
                          "the input has a column 'facts': a batch file gives each fact its own column, not under "
                          "'facts' as a case file does"), str(input),
                     hint=Text("把 facts 里的每一项拿出来各占一列（如 service_days、year）",
                               "move each entry of 'facts' to a column of its own (service_days, year …)"))
    out_cols = reader.carried + outcomes + ["error"] + (["explanation"] if explain else [])
    out_types = {c: types[c] for c in reader.carried if c in types}
    if format_of(output, "output") == "parquet":
        out_types.update(arrow_types(ps, outcomes))
    result = BatchResult(engine=engine)
    if engine == "spark":
        from .spark import NotSpark, run_spark

        try:
            run_spark(policies, Path(input), Path(output), format_of(input, "input"), format_of(output, "output"),
                      reader, columns, outcomes, out_cols, out_types, explain=explain, lang=lang,
                      chunk_rows=chunk_rows, master=master, result=result)
            result.row_wise = tuple(f"{k} ({why})" for k, why in sorted(result.row_wise_found.items()))
            return done(result)
        except NotSpark as e:  # read and decided by the python engine instead, a chunk at a time
            engine = "python"
            result = BatchResult(engine=engine, notes=[_python_instead(f"Spark 读取这个输入的方式与 python 引擎不同（{zh(str(e))}）",
                                                                       f"Spark does not read this input as the python "
                                                                       f"engine does ({e})")])
    if engine == "duckdb":
        if explain:
            note = Text("--explain：每一行都经由公共接口计算，由它记录解释",
                        "--explain: every row is decided through the public API, which records the explanation")
        else:
            from .native import NotNative, run_native

            try:
                run_native(policies, Path(input), Path(output), format_of(input, "input"), format_of(output, "output"),
                           reader, outcomes, lang=lang, memory_limit=memory_limit, threads=threads, result=result)
                result.row_wise = tuple(f"{k} ({why})" for k, why in sorted(result.row_wise_found.items()))
                return done(result)
            except NotNative as e:
                # rows read by Python are decided sooner by the public API than sent to DuckDB and back
                # (JSON Lines: 8-9 s against 6.4 s for 50,000 rows; Parquet past the bounds: 9 s of CPU against 5.5)
                note = _python_instead(f"DuckDB 不直接读取这个输入（{zh(str(e))}）", f"DuckDB does not read this input itself ({e})")
        engine = "python"
        result = BatchResult(engine=engine, notes=[note])
    decide = PythonEngine(policies, reader, outcomes, explain=explain, lang=lang)
    writer = Writer(output, out_cols, out_types, numbers=tuple(reader.carried) if reader.keyed and not reader.text else ())
    try:
        for chunk in chunks:
            rows = decide(chunk)
            result.rows += len(rows)
            result.errors += sum(r["error"] is not None for r in rows)
            writer.write(rows)
    finally:
        writer.close()
    return done(result)


def _flag_text(v) -> str:
    return v.isoformat() if isinstance(v, _dt.date) else str(v)


class PythonEngine:
    """Every row through ``Policies.evaluate``: the reference engine."""

    def __init__(self, policies, reader: RowReader, outcomes: list[str], *, explain: bool, lang: str):
        self.policies, self.reader, self.outcomes, self.explain, self.lang = policies, reader, outcomes, explain, lang

    def __call__(self, chunk: list[dict]) -> list[dict]:
        return [self.row(r) for r in chunk]

    def row(self, r: dict) -> dict:
        out = {c: r.get(c) for c in self.reader.carried}
        for o in self.outcomes:
            out[o] = None
        out["error"] = None
        if ROW_ERROR in r:
            out["error"] = r[ROW_ERROR].get(self.lang)
            return out
        try:
            d = self.policies.evaluate(self.reader.case(r), explain=self.explain, lang=self.lang)
        except PolicyError as e:
            out["error"] = error_text(e, self.lang)
            return out
        got = d.outputs
        for o in self.outcomes:
            out[o] = got.get(o)
        if self.explain:
            out["explanation"] = json_text(d.to_dict()["explanation"])
        return out
