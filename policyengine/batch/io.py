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
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..cases import json_hint, json_says
from ..diagnostics import Diagnostic, PolicyError, Span, Text, as_written
from ..load import DEFAULT_LIMITS

__all__ = ["FORMATS", "format_of", "read_chunks", "jsonl_row", "json_text", "Writer", "ROW_ERROR"]

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}
ROW_ERROR = "\x00row-error"  # the key under which a reader reports a row it could not read (a Text)


def _row_error(line: int, zh: str, en: str) -> dict:
    return {ROW_ERROR: Text(f"第 {line} 行：{zh}", f"line {line}: {en}")}


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as the surrogateescape handler keeps it
_SURROGATE = re.compile("[\ud800-\udfff]")  # in JSON text (\\ud800): no character; written, it would stop the writer


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

    if p.stat().st_size == 0:  # (a CSV or JSON Lines file of no bytes is one of no rows; a Parquet file of no rows
        # still holds its schema and footer, so this one was never written to its end: an export that failed)
        raise PolicyError(Diagnostic("PE091", Text("输入：文件是空的（0 个字节），不是 Parquet 文件——没有行的 Parquet 文件也写有列的结构；"
                                                   "是不是没有写完？",
                                                   "input: the file is empty (0 bytes), not a Parquet file — a Parquet "
                                                   "file of no rows still holds its columns; was it written to the end?"),
                                     Span(str(p), 1, 1), hint=Text("请重新导出这个文件（没有行的文件可以照常计算）",
                                                                   "export the file again (a file of no rows is decided as usual)")))
    try:
        f = pq.ParquetFile(p)
    except Exception as e:  # pyarrow's own errors: a file that is not Parquet
        raise PolicyError(Diagnostic("PE091", Text(f"输入：不是可以读取的 Parquet 文件（{type(e).__name__}: {e}）",
                                                   f"input: not a readable Parquet file ({type(e).__name__}: {e})"),
                                     Span(str(p), 1, 1), hint=_SUFFIX))
    cols = list(f.schema_arrow.names)

    if len(set(cols)) != len(cols):
        dup = sorted({c for c in cols if cols.count(c) > 1})
        raise PolicyError(Diagnostic("PE091", Text(f"输入：Parquet 文件里有重复的列名：{'、'.join(dup)}",
                                                   f"input: the Parquet file names a column twice: {', '.join(dup)}"),
                                     Span(str(p), 1, 1), hint=Text("每个列名只能出现一次；请删去或改名", "name each column once; remove or rename one")))
    types = {name: f.schema_arrow.field(name).type for name in cols}

    def gen():
        first = 1
        for batch in f.iter_batches(batch_size=n):
            try:
                yield batch.to_pylist()
            except UnicodeDecodeError:  # a text cell that is not UTF-8: that row is the error, the others are read
                yield [_parquet_row(batch.slice(i, 1), first + i) for i in range(batch.num_rows)]
            except ValueError:  # (pyarrow: a time in nanoseconds, which no Python datetime holds)
                fine = [c for c, t in types.items() if getattr(t, "unit", None) == "ns"]
                if not fine:
                    raise
                raise PolicyError(Diagnostic(
                    "PE091", Text(f"输入：列 {'、'.join(fine)} 的时间精确到纳秒，无法原样写出",
                                  f"input: the column(s) {', '.join(fine)} hold times in nanoseconds, which cannot be "
                                  "written out unchanged"),
                    Span(str(p), first, 1),
                    hint=Text("先把这些列转换成微秒精度（timestamp[us]）或文字，再运行",
                              "cast the columns to microseconds (timestamp[us]) or to text first")))
            first += batch.num_rows
    return cols, types, gen()


def _parquet_row(one, row: int) -> dict:
    try:
        return one.to_pylist()[0]
    except UnicodeDecodeError as e:  # the columns that read are kept (a carried id says whose row it is)
        got, bad = {}, []
        for name, col in zip(one.column_names, one.columns):
            try:
                got[name] = col.to_pylist()[0]
            except UnicodeDecodeError:
                bad.append(name)
        got[ROW_ERROR] = _columns_not_utf8(Text(f"第 {row} 行", f"row {row}"), bad, Text(says_zh(e.reason), e.reason))
        return got


def _csv(p: Path, n: int):
    # bytes that are not UTF-8 are kept (as surrogates) and make their own row an error: a strict decoder
    # stopped the file there, and lost the rows it had read ahead of the csv reader
    fh = p.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="")
    if csv.field_size_limit() < MAX_LINE_BYTES:  # a long cell is read as DuckDB reads it (131,072 characters stopped it)
        csv.field_size_limit(MAX_LINE_BYTES)
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except (UnicodeDecodeError, csv.Error) as e:
        fh.close()
        raise PolicyError(Diagnostic("PE091", Text(f"输入：无法读取 CSV 的表头（{e}）", f"input: the CSV header cannot be read ({e})"),
                                     Span(str(p), 1, 1), hint=Text("请把文件另存为 UTF-8 编码的 CSV", "save the file as CSV in UTF-8")))
    if _NOT_UTF8.search("".join(header)):
        fh.close()
        raise PolicyError(Diagnostic("PE091", Text("输入：CSV 的表头不是 UTF-8 编码", "input: the CSV header is not UTF-8"),
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
                start = line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:  # (a cell past the limit): the reader cannot tell where its row ends, so
                    # it stops here rather than read the rest of that cell as rows that are not in the file
                    long = "field larger than field limit" in str(e)
                    chunk.append(_row_error(start, (f"单元格超过 {MAX_LINE_BYTES:,} 个字符" if long else f"CSV 格式有误（{says_zh(str(e))}）")
                                            + "；文件的其余部分没有读取", f"{e}; the rest of the file was not read"))
                    break
                line = reader.line_num
                if not cells:  # a blank line is no row (DuckDB and Spark skip it, as JSON Lines does)
                    continue
                if len(cells) != len(header):
                    chunk.append(_row_error(start, f"有 {len(cells)} 个单元格，表头有 {len(header)} 个",
                                            f"{len(cells)} cells, the header has {len(header)}"))
                elif _NOT_UTF8.search("".join(cells)):  # the row's error names the columns; its readable cells
                    chunk.append(_not_utf8(start, header, cells))  # are kept, so that its carried id still says whose
                else:
                    chunk.append({h: c for h, c in zip(header, cells) if c != ""})  # an empty cell: left out
                if len(chunk) >= n:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
    return header, {}, gen()


# what Python's UTF-8 decoder and csv reader say of a file, in Chinese (their messages are English)
_SAYS_ZH = {
    "invalid start byte": "有一个字节不能作为字符的开头",
    "invalid continuation byte": "一个字符的后续字节无效",
    "unexpected end of data": "文件在一个字符或一个带引号的单元格中间结束",
    "line contains NUL": "有空字符（NUL）",
}


def says_zh(said: str) -> str:
    """A message of the UTF-8 decoder or the csv reader (``invalid start byte``) in Chinese; another as it is."""
    for en, zh in _SAYS_ZH.items():
        if said.startswith(en):
            return zh
    return said


def _columns_not_utf8(where: Text, bad: list[str], why: Text) -> Text:
    """The error of a row (``where``: its line or row) whose columns ``bad`` hold bytes that are not UTF-8, with
    ``why`` and the fix — a CSV's row and a Parquet file's say it alike."""
    return Text(f"{where.zh}：列 {'、'.join(map(repr, bad))} 的文字不是 UTF-8 编码（{why.zh}）；请把文件另存为 UTF-8 编码",
                f"{where.en}: the column(s) {', '.join(map(repr, bad))} hold text that is not UTF-8 ({why.en}); "
                "save the file as UTF-8")


def _not_utf8(line: int, header: list[str], cells: list[str]) -> dict:
    """A CSV row holding bytes that are not UTF-8: its error names the line and the columns, and the cells
    that read as text are kept (a carried ``id`` is written with the error; a fact cell is not decided)."""
    bad = [h for h, c in zip(header, cells) if _NOT_UTF8.search(c)]
    row = {h: c for h, c in zip(header, cells) if c != "" and not _NOT_UTF8.search(c)}
    row[ROW_ERROR] = _columns_not_utf8(Text(f"第 {line} 行", f"line {line}"), bad,
                                       Text("也许是从 GBK 等编码的文件里粘贴来的", "pasted from a file in another encoding?"))
    return row


def _jsonl(p: Path, n: int):
    cols: dict[str, None] = {}  # every key of every row, in the order first seen: one pass over the keys only
    with p.open("rb") as fh:
        for i, raw in enumerate(_lines(fh), 1):
            row = jsonl_row(i, raw)  # (line 1 may begin with a BOM)
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
        return _row_error(i, f"超过 {MAX_LINE_BYTES:,} 个字节", f"longer than {MAX_LINE_BYTES:,} bytes")
    if i == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a BOM, as a CSV may have one
        raw = raw[3:]
    if not raw.strip():
        return None
    try:
        row = read_json_said(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return _row_error(i, f"不是 UTF-8 编码（{says_zh(e.reason)}）", f"not UTF-8 ({e.reason})")
    except NotJson as e:
        return _row_error(i, e.said.zh, e.said.en)
    if not isinstance(row, dict):
        return _row_error(i, "一行应当是一个 JSON 对象 {…}", f"a row is a JSON object, not {type(row).__name__}")
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper(row, MAX_DEPTH):  # (no deeper than its brackets)
        return _row_error(i, f"嵌套超过 {MAX_DEPTH} 层", f"nested more than {MAX_DEPTH} deep")
    if b"\\u" in raw and _has_surrogate(row):
        return _row_error(i, "有文字含有不成对的 \\ud800–\\udfff 转义，不是字符", "a text holds a lone \\ud800-\\udfff escape, which is no character")
    return row


def _has_surrogate(row: dict) -> bool:
    stack: list = [row]
    while stack:
        x = stack.pop()
        for k, y in (x.items() if isinstance(x, dict) else enumerate(x)):
            if (isinstance(k, str) and _SURROGATE.search(k)) or (isinstance(y, str) and _SURROGATE.search(y)):
                return True
            if isinstance(y, (dict, list)):
                stack.append(y)
    return False


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


class _Twice(ValueError):
    def __init__(self, key: str):
        super().__init__(f"the key {as_written(key)} is given twice")
        self.key = key


def _pairs(pairs: list) -> dict:
    """A JSON object whose keys are each given once (a case file refuses a key written twice: PE002)."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set = set()
        raise _Twice(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return d


# one decoder and one encoder for every row: json.loads and json.dumps build a new one on each call
# that passes an option, a tenth of the time of reading or writing a row
_decode = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_pairs).decode
_write_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
json_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def read_json(text: str) -> Any:
    """JSON text as a batch reads it: exact decimals, no NaN or infinity, no key given twice."""
    return _decode(text)


class NotJson(ValueError):
    """Text :func:`read_json_said` does not read; ``said``: what is wrong, in both languages."""

    def __init__(self, said: Text):
        super().__init__(said.en)
        self.said = said


def read_json_said(text: str) -> Any:
    """:func:`read_json`, its refusal said as the officer's words (:class:`NotJson`): a key given twice, where
    the JSON stops being JSON and why (in Chinese in Chinese), NaN, nesting too deep — a JSON Lines row and a CSV
    cell of a list say it alike."""
    text = text.rstrip("\r\n")  # (a line's own end: a text cut off in it is "not closed", not "a control character")
    try:
        return _decode(text)
    except _Twice as e:
        said = Text(f"键 {as_written(e.key)} 写了两次", f"the key {as_written(e.key)} is given twice")
    except json.JSONDecodeError as e:  # where and why, and the likely fix (as the workbench and the service say it)
        # (none where the text is not JSON from its first character: a row or a list is wanted, not a quoted word)
        zh, en = (json_hint(text, e, "zh"), json_hint(text, e, "en")) if e.pos else ("", "")
        said = Text(f"不是 JSON（第 {e.colno} 列：{json_says(e.msg)}{'；' + zh if zh else ''}）",
                    f"not JSON ({e}{'; ' + en if en else ''})")
    except ValueError as e:  # (NaN, an integer past Python's digit limit)
        said = Text(f"不是 JSON（{json_says(str(e))}）", f"not JSON ({e})")
    except RecursionError:
        said = Text("不是 JSON（嵌套太深）", "not JSON (nested too deeply)")
    raise NotJson(said)


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


def iso_duration(v: _dt.timedelta) -> str:
    """A duration as ISO 8601, in seconds only and exactly: ``PT5S``, ``PT86400.5S``, ``-PT0.000001S`` (a day is
    written as 86400 seconds: ``P1D`` would be a calendar day, which a duration is not)."""
    us = (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
    whole, frac = divmod(abs(us), 1_000_000)
    return ("-" if us < 0 else "") + f"PT{whole}" + (f".{frac:06d}".rstrip("0") if frac else "") + "S"


def spelling(t: Any) -> Any:
    """How a carried value of Arrow type ``t`` (a Parquet input's column) is written as JSON, where the type
    decides it rather than the value (None: :func:`json_of`'s): a DECIMAL always as a text of its exact digits
    and scale (``"1.23"``, ``"5.00"``, never an exponent: a JSON number is read as a double by most readers,
    which would round it, and a number of no fraction would lose the scale); a duration as ISO 8601 seconds
    (:func:`iso_duration`); a map as a JSON object, each key as text; lists and structs of them likewise."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        return spelling(t.value_type)
    if pa.types.is_decimal(t):
        return lambda v: v if v is None or not isinstance(v, Decimal) else format(v, "f")
    if pa.types.is_duration(t):
        return lambda v: v if v is None or not isinstance(v, _dt.timedelta) else iso_duration(v)
    if pa.types.is_map(t):
        key, item = spelling(t.key_type) or json_of, spelling(t.item_type) or json_of

        def as_object(v):
            if v is None:
                return None
            pairs = v.items() if isinstance(v, dict) else v  # (pyarrow gives a map as a list of pairs)
            return {_key(key(k)): item(x) for k, x in pairs}
        return as_object
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        each = spelling(t.value_type)
        return None if each is None else (lambda v: v if v is None else [each(x) for x in v])
    if pa.types.is_struct(t):
        fields = {t.field(i).name: spelling(t.field(i).type) for i in range(t.num_fields)}
        if not any(fields.values()):
            return None
        return lambda v: v if v is None else {k: (fields.get(k) or json_of)(x) for k, x in v.items()}
    return None


def _key(k: Any) -> str:
    """A map's key as a JSON object's key: text as it is, any other value as its JSON text."""
    return k if isinstance(k, str) else text_of(k) or "null"


class _RowsEndInLF:
    """A file for csv.writer, which writes each row in one call: its \r\n at the end written as \n."""

    def __init__(self, fh):
        self.fh = fh

    def write(self, line: str) -> int:
        return self.fh.write(line[:-2] + "\n" if line.endswith("\r\n") else line)


def _has_decimal(v: Any) -> bool:
    if isinstance(v, Decimal):
        return True
    if isinstance(v, list):
        return any(_has_decimal(x) for x in v)
    if isinstance(v, dict):
        return any(_has_decimal(x) for x in v.values())
    return False


def _json_number(v: Any, sort: bool = False) -> str:
    """A value read from JSON written back as JSON, an exact decimal as the number it was read from (``1.50``,
    ``2.0``, ``1E+5``: the digits, never a text, never rounded through a float); ``sort``: an object's keys sorted,
    as :data:`json_text` writes a CSV cell's."""
    if isinstance(v, Decimal):
        return str(v)  # (Decimal writes a JSON number: 1.50, -0.0, 1E+5, 1.5E-7)
    if isinstance(v, list):
        return "[" + ",".join(_json_number(x, sort) for x in v) + "]"
    if isinstance(v, dict):
        items = sorted(v.items()) if sort else v.items()
        return "{" + ",".join(_write_json(str(k)) + ":" + _json_number(x, sort) for k, x in items) + "}"
    return _write_json(json_of(v))


def _number_text(v: Any) -> str | None:
    """A CSV cell of a column carried from JSON Lines: a list or a record holding numbers as their JSON."""
    return _json_number(v, sort=True) if isinstance(v, (list, dict)) and _has_decimal(v) else text_of(v)


def _text_of_json(j: Any) -> str | None:
    """A JSON value as one CSV cell: a text as it is, null empty, anything else its JSON text."""
    return j if j is None or isinstance(j, str) else json_text(j)


class Writer:
    """Writes the output rows chunk by chunk.  ``types`` maps a column to an Arrow type for Parquet
    (a column absent from it is written as text)."""

    def __init__(self, path: str | Path, columns: list[str], types: dict[str, Any], numbers: tuple[str, ...] = ()):
        self.fmt = format_of(path, "output")
        self.path, self.columns, self.types = Path(path), columns, types
        # columns carried from a JSON Lines input: a number read as an exact decimal is written back as that number
        # (in Parquet, where such a column is text, a list or record holding one is the JSON text a CSV cell holds)
        self.numbers = tuple(c for c in numbers if c in columns and c not in types)
        self.rows = 0
        if self.fmt != "parquet":  # a value whose spelling its column's type decides (spelling): in CSV its text
            spelled = {c: f for c in columns if c in types and (f := spelling(types[c])) is not None}
            self.json = [spelled.get(c, json_of) for c in columns]
            self.text = [_number_text if c in self.numbers else text_of if c not in spelled else
                         (lambda v, f=spelled[c]: _text_of_json(f(v))) for c in columns]
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
            self.pw = pq.ParquetWriter(self.path, self.schema)
        elif self.fmt == "csv":
            # lineterminator \r\n makes the writer quote a cell holding a lone \r (with \n it wrote it bare, and the
            # file read back with more rows); each row's own \r\n is written as \n (_RowsEndInLF), as DuckDB ends them
            self.fh = self.path.open("w", encoding="utf-8", newline="")
            self.cw = csv.writer(_RowsEndInLF(self.fh), lineterminator="\r\n")
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
                if pa.types.is_string(t):  # (a JSON Lines input's list or record: its JSON text, as a CSV cell has it)
                    text = _number_text if c in self.numbers else text_of
                    vals = [v if v is None or type(v) is str else text(v) for v in vals]
                elif pa.types.is_integer(t):  # a whole Decimal (exact arithmetic) in an integer column
                    vals = [int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else v for v in vals]
                arrays.append(pa.array(vals, type=t))
            self.pw.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        elif self.fmt == "csv":
            text = list(zip(cols, self.text))
            self.cw.writerows([[f(r.get(c)) for c, f in text] for r in rows])
        else:
            spell, numbers = list(zip(cols, self.json)), self.numbers
            self.fh.write("".join((self._with_numbers(r) if numbers and any(_has_decimal(r.get(c)) for c in numbers)
                                   else _write_json({c: f(r.get(c)) for c, f in spell})) + "\n" for r in rows))

    def _with_numbers(self, r: dict) -> str:
        """A JSON Lines row whose carried JSON numbers are written with their own digits (the encoder writes no
        Decimal): each cell's JSON put together."""
        return "{" + ",".join(_write_json(c) + ":" + (_json_number(r.get(c)) if c in self.numbers else _write_json(f(r.get(c))))
                              for c, f in zip(self.columns, self.json)) + "}"

    def close(self) -> None:
        if self.fmt == "parquet":
            self.pw.close()
        else:
            self.fh.close()
