"""Reading and writing batch files — Parquet, CSV, JSON Lines — a chunk of rows at a time.

Memory stays bounded by the chunk size, never by the file: every reader yields lists of at most
``chunk_rows`` rows (dicts of column -> value), every writer takes such lists.  Numbers stay
exact: JSON numbers with a fraction are read as ``Decimal``, CSV cells as text (typed later by
the facts' declarations, :mod:`.rows`).  pyarrow is imported only for Parquet.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..diagnostics import Diagnostic, PolicyError, Span, Text
from ..load import DEFAULT_LIMITS

__all__ = ["FORMATS", "format_of", "read_chunks", "jsonl_row", "json_text", "Writer", "ROW_ERROR"]

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}
ROW_ERROR = "\x00row-error"  # the key under which a reader reports a row it could not read


def format_of(path: str | Path, role: str) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        zh = "输入" if role == "input" else "输出"
        raise PolicyError(Diagnostic("PE091", Text(f"{zh} {str(path)!r}：批量文件必须是 .parquet、.csv 或 .jsonl",
                                                   f"{role} {str(path)!r}: a batch file is .parquet, .csv or .jsonl"),
                                     Span(str(path), 1, 1), hint=Text("请用这几种后缀之一给文件命名", "name the file with one of these suffixes")))
    return fmt


_SUFFIX = Text("请检查文件的内容与后缀是否相符", "check that the file's content matches its suffix")


def read_chunks(path: str | Path, chunk_rows: int) -> tuple[list[str], dict[str, Any], Iterator[list[dict]]]:
    """The input's columns in file order, their Arrow types (Parquet only), and its rows in chunks."""
    fmt = format_of(path, "input")
    p = Path(path)
    if not p.is_file():
        raise PolicyError(Diagnostic("PE091", Text(f"输入 {str(path)!r}：文件不存在", f"input {str(path)!r}: no such file"),
                                     Span(str(path), 1, 1), hint=Text("请检查路径和文件名", "check the path")))
    if fmt == "parquet":
        return _parquet(p, chunk_rows)
    if fmt == "csv":
        return _csv(p, chunk_rows)
    return _jsonl(p, chunk_rows)


def _parquet(p: Path, n: int):
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(p)
    except Exception as e:  # pyarrow's own errors: a file that is not Parquet
        raise PolicyError(Diagnostic("PE091", Text(f"输入：不是可以读取的 Parquet 文件（{type(e).__name__}: {e}）",
                                                   f"input: not a readable Parquet file ({type(e).__name__}: {e})"),
                                     Span(str(p), 1, 1), hint=_SUFFIX))
    cols = list(f.schema_arrow.names)
    types = {name: f.schema_arrow.field(name).type for name in cols}

    def gen():
        for batch in f.iter_batches(batch_size=n):
            yield batch.to_pylist()
    return cols, types, gen()


def _csv(p: Path, n: int):
    fh = p.open("r", encoding="utf-8-sig", newline="")
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except (UnicodeDecodeError, csv.Error) as e:
        fh.close()
        raise PolicyError(Diagnostic("PE091", Text(f"输入：无法读取 CSV 的表头（{e}）", f"input: the CSV header cannot be read ({e})"),
                                     Span(str(p), 1, 1), hint=Text("请把文件另存为 UTF-8 编码的 CSV", "save the file as CSV in UTF-8")))
    if len(set(header)) != len(header):
        fh.close()
        dup = sorted({h for h in header if header.count(h) > 1})
        raise PolicyError(Diagnostic("PE091", Text(f"输入：CSV 表头里有重复的列名：{'、'.join(dup)}",
                                                   f"input: the CSV header names a column twice: {', '.join(dup)}"),
                                     Span(str(p), 1, 1), hint=Text("每个列名只能出现一次；请删去或改名", "name each column once; remove or rename one")))

    def gen():
        with fh:
            chunk: list[dict] = []
            line = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except (UnicodeDecodeError, csv.Error) as e:
                    chunk.append({ROW_ERROR: f"line {line + 1}: {e}"})
                    break  # the reader cannot go on past bytes it cannot decode
                line = reader.line_num
                if len(cells) != len(header):
                    chunk.append({ROW_ERROR: f"line {line}: {len(cells)} cells, the header has {len(header)}"})
                else:
                    chunk.append({h: c for h, c in zip(header, cells) if c != ""})  # an empty cell: left out
                if len(chunk) >= n:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
    return header, {}, gen()


def _jsonl(p: Path, n: int):
    cols: dict[str, None] = {}  # every key of every row, in the order first seen: one pass over the keys only
    with p.open("rb") as fh:
        for raw in _lines(fh):
            row = jsonl_row(0, raw)
            if row is not None and ROW_ERROR not in row:
                cols.update(dict.fromkeys(row))

    def gen():
        with p.open("rb") as fh:
            chunk: list[dict] = []
            for i, raw in enumerate(_lines(fh), 1):
                row = jsonl_row(i, raw)
                if row is None:
                    continue
                chunk.append(row)
                if len(chunk) >= n:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
    return list(cols), {}, gen()


MAX_LINE_BYTES = 64 * 2**20  # a JSON Lines row longer than this is a row error, read past and never held


def _lines(fh) -> Iterator[bytes | None]:
    """The lines of a binary file, None for one longer than :data:`MAX_LINE_BYTES`."""
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES:
            while not raw.endswith(b"\n"):
                raw = fh.readline(MAX_LINE_BYTES)
                if not raw:
                    break
            yield None
        else:
            yield raw


def jsonl_row(i: int, raw: bytes | None) -> dict | None:
    """Line ``i`` of a JSON Lines file as a row (None for a blank line; a row error for one that is
    not a JSON object, or longer than :data:`MAX_LINE_BYTES` — ``raw`` None)."""
    if raw is None:
        return {ROW_ERROR: f"line {i}: longer than {MAX_LINE_BYTES:,} bytes"}
    if not raw.strip():
        return None
    try:
        row = _read_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return {ROW_ERROR: f"line {i}: not JSON ({e})"}
    except RecursionError:
        return {ROW_ERROR: f"line {i}: not JSON (nested too deeply)"}
    if not isinstance(row, dict):
        return {ROW_ERROR: f"line {i}: a row is a JSON object, not {type(row).__name__}"}
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper(row, MAX_DEPTH):  # (no deeper than its brackets)
        return {ROW_ERROR: f"line {i}: nested more than {MAX_DEPTH} deep"}
    return row


MAX_DEPTH = DEFAULT_LIMITS.max_depth  # as in a case file: deeper, a row would be written (or validated) by recursion


def _deeper(row: dict, limit: int) -> bool:
    """Lists and objects inside one another more than ``limit`` deep (the row itself is the first)."""
    stack = [(row, 1)]
    while stack:
        x, d = stack.pop()
        if d > limit:
            return True
        stack.extend((y, d + 1) for y in (x.values() if isinstance(x, dict) else x) if isinstance(y, (dict, list)))
    return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


# one decoder and one encoder for every row: json.loads and json.dumps build a new one on each call
# that passes an option, a tenth of the time of reading or writing a row
_decode = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant).decode
_write_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
json_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _read_json(text: str) -> Any:
    if text.startswith("\ufeff"):  # what json.loads says of it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _decode(text)


# ------------------------------------------------------------------------------------------ out

def text_of(v: Any) -> str | None:
    """A value as one CSV cell: null empty, booleans true/false, dates ISO, lists and records JSON."""
    if v is None:
        return None
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (_dt.date, str, int, Decimal)):
        return v.isoformat() if isinstance(v, _dt.date) else str(v)
    if isinstance(v, float):
        return repr(v)  # (the text Python reads the same float from: never rounded)
    j = json_of(v)
    return j if isinstance(j, str) else json_text(j)  # a list or a record as JSON text


_AS_IS = frozenset({str, int, bool, type(None)})  # what JSON writes as it is: most cells


def json_of(v: Any) -> Any:
    if type(v) in _AS_IS:
        return v
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    if isinstance(v, float):  # written as Python's repr, which reads back as the same float; never rounded
        return v if math.isfinite(v) else repr(v)  # (JSON has no NaN nor infinity: their text)
    if isinstance(v, (list, tuple)):
        return [json_of(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_of(x) for k, x in v.items()}
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (str, int)):  # (an enum of text or numbers: JSON writes its value)
        return v
    return str(v)  # a time of day, a duration, a UUID … as its text: never a crash of the writer


class Writer:
    """Writes the output rows chunk by chunk.  ``types`` maps a column to an Arrow type for Parquet
    (a column absent from it is written as text)."""

    def __init__(self, path: str | Path, columns: list[str], types: dict[str, Any]):
        self.fmt = format_of(path, "output")
        self.path, self.columns, self.types = Path(path), columns, types
        self.rows = 0
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
            self.pw = pq.ParquetWriter(self.path, self.schema)
        elif self.fmt == "csv":
            self.fh = self.path.open("w", encoding="utf-8", newline="")
            self.cw = csv.writer(self.fh, lineterminator="\n")
            self.cw.writerow(columns)
        else:
            self.fh = self.path.open("w", encoding="utf-8", newline="\n")

    def write(self, rows: list[dict]) -> None:
        self.rows += len(rows)
        cols = self.columns
        if self.fmt == "parquet":
            import pyarrow as pa

            arrays = []
            for c, t in zip(cols, self.schema.types):
                vals = [r.get(c) for r in rows]
                if pa.types.is_string(t):
                    vals = [v if v is None or type(v) is str else text_of(v) for v in vals]
                elif pa.types.is_integer(t):  # a whole Decimal (exact arithmetic) in an integer column
                    vals = [int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else v for v in vals]
                arrays.append(pa.array(vals, type=t))
            self.pw.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        elif self.fmt == "csv":
            self.cw.writerows([[text_of(r.get(c)) for c in cols] for r in rows])
        else:
            self.fh.write("".join(_write_json({c: json_of(r.get(c)) for c in cols}) + "\n" for r in rows))

    def close(self) -> None:
        if self.fmt == "parquet":
            self.pw.close()
        else:
            self.fh.close()
