"""Stage 1 — load: bytes on disk to plain values with source positions.

Rule files and case files go through the same safe reader.  It works on the
YAML *event* stream, so nothing is ever constructed from a tag: aliases,
anchors and explicit tags are rejected before any value exists, duplicate
keys are reported, and sizes are bounded (see ``Limits``).  Scalars are
resolved with the YAML 1.2 core schema (``yes``/``no`` stay strings), numbers
become ``int`` or ``Decimal`` — never ``float`` — and ``YYYY-MM-DD`` becomes a
``datetime.date`` only when it is a real calendar date.

JSON files are read by the same code: JSON is YAML flow syntax.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import stat as _stat
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .diagnostics import Diagnostic, PolicyError, Related, Span, Text, as_written
from .slips import BANG_FOR_NOT, BANG_HINT, conflict_marker, explain_parser_message, find_slip, opened_at, unclosed_quote

__all__ = ["Limits", "Source", "Loaded", "NodePos", "load_file", "load_text", "find_files", "DEFAULT_LIMITS", "place"]


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile input harmless.  Each breach is a located PE005/PE007."""

    max_file_bytes: int = 2 * 1024 * 1024  # 2 MiB: the largest seed pack is ~40 KiB
    max_scalar_chars: int = 100_000
    max_collection_items: int = 10_000  # a history of a few hundred entries is fine
    max_values: int = 200_000  # in one file, all told (a test file of 5,000 cases; a request body has its own, 50,000)
    max_depth: int = 64
    max_int_digits: int = 30  # money in yuan fits many times over
    max_expression_chars: int = 4_000
    max_expression_depth: int = 48
    max_expression_nodes: int = 2_000
    max_expression_tree_depth: int = 48  # operators inside operators ('not not …', a chain of 'and's);
    # the generated Python nests about three brackets per level and CPython allows 200


DEFAULT_LIMITS = Limits()


@dataclass
class Source:
    path: str
    text: str
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line(self, n: int) -> str | None:
        return self.lines[n - 1] if 0 < n <= len(self.lines) else None

    def span(self, line: int, column: int, end_column: int | None = None) -> Span:
        return Span(self.path, line, column, end_column)

    def diag(self, code: str, message: Text | str, line: int, column: int, *, hint: Text | str | None = None,
             end_column: int | None = None, related: tuple[Related, ...] = ()) -> Diagnostic:
        return Diagnostic(code, message, Span(self.path, line, column, end_column), hint=hint,
                          related=related, source_line=self.line(line))


class NodePos(NamedTuple):
    """Where a YAML node starts (1-based line/column) and its raw extent in the text.
    (A tuple: one is made for every value of every file, so it must be cheap.)"""

    line: int
    column: int
    start: int
    end: int
    style: str | None


class Loaded:
    """A loaded file: its values, and where each value (and mapping key) came from."""

    def __init__(self, source: Source, data: Any, positions: dict, key_positions: dict):
        self.source = source
        self.data = data
        self.positions: dict[tuple, NodePos] = positions
        self.key_positions: dict[tuple, NodePos] = key_positions

    @property
    def path(self) -> str:
        return self.source.path

    def value(self, path: tuple) -> Any:
        """The value at ``path`` as written (None where there is none)."""
        return _get(self.data, path)

    def pos(self, path: tuple) -> NodePos | None:
        """Position of the value at ``path``, or of the nearest enclosing value."""
        path = tuple(path)
        while True:
            p = self.positions.get(path)
            if p is not None:
                return p
            if not path:
                return None
            path = path[:-1]

    def key_pos(self, path: tuple) -> NodePos | None:
        return self.key_positions.get(tuple(path)) or self.pos(path)

    def span(self, path: tuple, *, key: bool = False) -> Span:
        p = self.key_pos(path) if key else self.pos(path)
        if p is None:
            return Span(self.source.path, 1, 1)
        return Span(self.source.path, p.line, p.column)

    def diag(self, code: str, message: Text | str, path: tuple, *, key: bool = False, hint: Text | str | None = None,
             related: tuple[Related, ...] = ()) -> Diagnostic:
        s = self.span(path, key=key)
        return Diagnostic(code, message, s, hint=hint, related=related, source_line=self.source.line(s.line))

    def offset_span(self, path: tuple, offset: int, length: int = 1) -> Span:
        """The span of character ``offset`` of the string scalar at ``path``.

        The scalar may be plain, quoted, or a block; its characters are aligned
        with the raw text so the column is exact even inside ``|`` blocks.
        """
        p = self.positions.get(tuple(path))
        value = _get(self.data, path)
        if p is None or not isinstance(value, str):
            return self.span(path)
        index = _align(self.source.text, p, value, offset)
        line = self.source.text.count("\n", 0, index) + 1
        col = index - (self.source.text.rfind("\n", 0, index) + 1) + 1
        return Span(self.source.path, line, col, col + max(1, length))

    def offset_diag(self, code: str, message: Text | str, path: tuple, offset: int, length: int = 1, *,
                    hint: Text | str | None = None, related: tuple[Related, ...] = ()) -> Diagnostic:
        s = self.offset_span(path, offset, length)
        return Diagnostic(code, message, s, hint=hint, related=related, source_line=self.source.line(s.line))


def _get(data: Any, path: tuple) -> Any:
    for k in path:
        try:
            data = data[k]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _align(text: str, p: NodePos, value: str, offset: int) -> int:
    """Map an offset in a scalar's value to an index in the source text."""
    i = p.start
    if p.style in ('"', "'"):
        i += 1
    elif p.style in ("|", ">"):
        nl = text.find("\n", i)  # skip the block header line
        i = nl + 1 if nl >= 0 else i
    end = max(p.end, i)
    for k, ch in enumerate(value):
        if k == offset:
            break
        if ch.isspace():
            # a run of white space in the value matches a run (maybe with a newline) in the text
            while i < end and text[i].isspace() and text[i] != ch and not (ch == " " and text[i] == "\n"):
                i += 1
            if i < end and text[i].isspace():
                i += 1
            while i < end and text[i].isspace() and (text[i] in " \t" and ch == "\n" or text[i] == " " and k + 1 < len(value) and not value[k + 1].isspace() and text[i - 1] == "\n"):
                i += 1
        else:
            while i < end and text[i] != ch:
                i += 1
            i += 1
    while i < len(text) and text[i] in " \t\r\n" and offset < len(value) and not value[offset].isspace():
        i += 1
    return min(i, len(text))


# --- scalars: the YAML 1.2 core schema, with exact numbers ------------------------------

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)\Z|\.(nan|NaN|NAN)\Z|[-+]?(inf|Infinity|NaN|nan)\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")


_CHECK_NUMBER = Text("请检查这个数字是否写对", "check that the number is written as meant")


class _ScalarError(Exception):
    def __init__(self, code: str, message: Text, hint: Text | None = None):
        self.code, self.message, self.hint = code, message, hint


def _resolve_plain(text: str, limits: Limits) -> Any:
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        digits = len(text.lstrip("+-"))
        if digits > limits.max_int_digits:
            raise _ScalarError("PE005", Text(f"这个整数有 {digits} 位，超过了上限 {limits.max_int_digits} 位",
                                             f"integer with {digits} digits is longer than the limit of {limits.max_int_digits}"),
                               Text("政策和案例里的数字是人数、天数和金额（元），请检查这个值",
                                    "numbers in policies and cases are counts, days and yuan; check the value"))
        return int(text)
    if _FLOAT.match(text):
        if len(text) > limits.max_int_digits + 10:
            raise _ScalarError("PE005", Text(f"这个数字有 {len(text)} 个字符，超过了上限",
                                             f"number with {len(text)} characters is longer than the limit"), _CHECK_NUMBER)
        try:
            d = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
            raise _ScalarError("PE008", Text(f"{as_written(text)} 不是数字", f"{as_written(text)} is not a number"))
        if abs(d.adjusted()) > 40:
            raise _ScalarError("PE005", Text(f"数字 {text} 超出了允许的范围", f"number {text} is out of range"), _CHECK_NUMBER)
        return d
    if _SPECIAL_FLOAT.match(text):
        raise _ScalarError("PE008", Text(f"{as_written(text)}（非数字或无穷大）不能使用", f"{as_written(text)} (not-a-number or infinity) is not allowed"),
                           Text("请写一个普通的数字；如果不知道这个值，就不要写这一项",
                                "write an ordinary number, or leave the fact out if it is unknown"))
    m = _DATE.match(text)
    if m:
        try:
            return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as e:
            raise _ScalarError("PE008", Text(f"{text} 不是日历上真实存在的日期", f"{text} is not a real calendar date ({e})"),
                               Text("日期写成 年-月-日（YYYY-MM-DD），而且必须真实存在，例如 2024-02-29 可以，2023-02-29 不行",
                                    "dates are YYYY-MM-DD and must exist, e.g. 2024-02-29 but not 2023-02-29"))
    return text


# --- the reader ---------------------------------------------------------------------------

# libyaml's parser gives the same events and marks as PyYAML's, twenty times faster; the
# pure-Python parser serves where PyYAML was built without it.  Either way only events are
# read: nothing is constructed by the YAML library.
_EVENT_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _decode(data: bytes, path: str) -> str:
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    data = data[bom:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        at = bom + e.start  # in the file as it is, counted from 0 (offset) or from 1 (the n-th byte)
        raise PolicyError(Diagnostic("PE006", Text(f"文件不是 UTF-8 编码（第 {at + 1} 个字节 0x{data[e.start]:02x} 无法读取），"
                                                   "可能是用 GBK 等其他编码保存的",
                                                   f"the file is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {at})"),
                                     Span(path, line, col), hint=Text("请在编辑器里把文件另存为 UTF-8 编码", "save the file as UTF-8")))


def load_file(path: str | Path, limits: Limits = DEFAULT_LIMITS, display: str | None = None) -> Loaded:
    """Read and load one YAML or JSON file.  Raises :class:`PolicyError` on any problem."""
    name = display or str(path)
    return load_text(_decode(_read(Path(path), name, limits), name), name, limits)


TEST_KINDS = ("policy-test", "policy-case")  # files a policy set passes over: `policyengine test` reads them


def sniff_kind(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The ``kind`` at the top level of a YAML file, read from the parser's events up to that key
    (never from the raw text: a ``kind:`` inside a block of text is no kind), or None where the
    file cannot be read that far (the full load then says what is wrong).  Cheap: a file's kind is
    its first key, and nothing after it is parsed."""
    try:
        text = _decode(_read(Path(path), str(path), limits), str(path))
        depth, is_key, key = 0, True, None
        for ev in yaml.parse(text, Loader=_EVENT_LOADER):
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if depth == 0 and not isinstance(ev, yaml.MappingStartEvent) or depth == 1 and is_key:
                    return None  # not a mapping at the top, or a key that is not a scalar
                depth += 1
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
                if depth <= 1:
                    if depth == 0:
                        return None  # the top mapping ended without a kind
                    is_key = True  # a collection value ended
            elif depth == 1 and isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent)):
                if not is_key and key == "kind":
                    return ev.value if isinstance(ev, yaml.ScalarEvent) else None
                key = ev.value if is_key and isinstance(ev, yaml.ScalarEvent) else None
                is_key = not is_key
        return None
    except (PolicyError, yaml.YAMLError, RecursionError, MemoryError):
        return None


def _read(p: Path, name: str, limits: Limits) -> bytes:
    """The bytes of a regular file, bounded by ``limits``: a PolicyError for anything else."""
    try:
        # opened without blocking and looked at before reading: a FIFO would wait for a writer
        # forever, and a device (/dev/zero, a terminal) is no rule or case file
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            st = os.fstat(fd)
            if not _stat.S_ISREG(st.st_mode):
                zh, what = (("文件夹", "a directory") if _stat.S_ISDIR(st.st_mode)
                            else ("命名管道（FIFO）", "a FIFO (named pipe)") if _stat.S_ISFIFO(st.st_mode)
                            else ("设备", "a device") if _stat.S_ISCHR(st.st_mode) or _stat.S_ISBLK(st.st_mode)
                            else ("套接字", "a socket") if _stat.S_ISSOCK(st.st_mode) else ("特殊文件", "not a regular file"))
                raise PolicyError(Diagnostic("PE070", Text(f"无法读取：这是{zh}，不是普通文件",
                                                           f"cannot read the file: it is {what}, not a regular file"),
                                             Span(name, 1, 1), hint=Text("请给出一个规则文件或案例文件", "give a rule or case file")))
            if st.st_size > limits.max_file_bytes:
                raise PolicyError(Diagnostic("PE005", Text(f"文件有 {st.st_size} 字节，超过了上限 {limits.max_file_bytes} 字节",
                                                           f"file is {st.st_size} bytes, more than the limit of {limits.max_file_bytes}"),
                                             Span(name, 1, 1), hint=_SPLIT))
            with os.fdopen(fd, "rb") as fh:  # never more than the limit, whatever stat said (a growing file)
                fd = -1
                data = fh.read(limits.max_file_bytes + 1)
        finally:
            if fd >= 0:
                os.close(fd)
        if len(data) > limits.max_file_bytes:
            raise PolicyError(Diagnostic("PE005", Text(f"文件超过了上限 {limits.max_file_bytes} 字节",
                                                       f"file is more than the limit of {limits.max_file_bytes} bytes"),
                                         Span(name, 1, 1), hint=_SPLIT))
    except PolicyError:
        raise
    except ValueError:  # (os.open's own refusal of a name holding NUL)
        raise PolicyError(Diagnostic("PE070", Text("无法读取文件：文件名中有空字符（NUL）", "cannot read the file: its name holds a NUL character"),
                                     Span(name, 1, 1), hint=Text("请检查路径和文件名是否写对", "check the path")))
    except OSError as e:
        why = "a directory" if isinstance(e, IsADirectoryError) else (e.strerror or str(e))
        raise PolicyError(Diagnostic("PE070", Text(f"无法读取文件：{_os_zh(e)}", f"cannot read the file: {why}"), Span(name, 1, 1),
                                     hint=Text("请检查路径和文件名是否写对", "check the path")))
    return data


_SPLIT = Text("请把文件拆小，或确认这是不是你要的文件", "split the file, or check that it is the file you meant")


def _os_zh(e: OSError) -> str:
    """What the operating system said, in Chinese for the common cases (its own words otherwise)."""
    if isinstance(e, IsADirectoryError):
        return "这是一个文件夹"
    if isinstance(e, FileNotFoundError):
        return "文件或文件夹不存在"
    if isinstance(e, PermissionError):
        return "没有读取权限"
    return f"系统报告“{e.strerror or e}”"


def find_files(paths, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> tuple[list[Path], list[Diagnostic]]:
    """The files with one of ``suffixes`` under each folder of ``paths`` (a file is taken as given),
    sorted, and the diagnostics of what was refused.

    A folder is walked without leaving it: a symbolic link whose target lies outside the folder
    is refused (PE071) and never opened, so nothing of the target's content can be shown; a
    link that leads back into a folder being walked (a loop) or that cannot be resolved is
    reported too.  Links that stay inside are followed once.  Work is linear in the entries.
    """
    out: list[Path] = []
    diags: list[Diagnostic] = []
    for given in paths:
        root = Path(given)
        try:
            is_dir = root.is_dir()
        except OSError:  # (a name too long for the system: reading it as a file says so, PE070)
            is_dir = False
        if not is_dir:
            out.append(root)
            continue
        try:
            real_root = root.resolve(strict=True)
        except (OSError, RuntimeError) as e:
            diags.append(Diagnostic("PE070", Text(f"无法读取文件夹：{_os_zh(e) if isinstance(e, OSError) else '路径循环'}",
                                                  f"cannot read the folder: {getattr(e, 'strerror', None) or e}"),
                                    Span(str(root), 1, 1)))
            continue
        found: list[Path] = []
        seen_dirs = {real_root}
        todo = [(root, real_root)]
        while todo:
            folder, real_folder = todo.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as e:
                diags.append(Diagnostic("PE070", Text(f"无法读取文件夹：{_os_zh(e)}", f"cannot read the folder: {e.strerror or e}"),
                                        Span(str(folder), 1, 1)))
                continue
            for entry in entries:
                p = folder / entry.name
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_link:
                    try:
                        target = p.resolve(strict=True)
                    except RuntimeError:  # (Python < 3.13 says a loop this way)
                        diags.append(_link_diag(p, _LOOP))
                        continue
                    except OSError as e:
                        loop = getattr(e, "errno", None) == 40  # ELOOP
                        if not loop and not (p.suffix in suffixes):
                            continue
                        diags.append(_link_diag(p, _LOOP if loop else Text("是指向不存在目标的符号链接", "is a symbolic link to nothing")))
                        continue
                    if target != real_root and real_root not in target.parents:
                        if target.is_dir() or p.suffix in suffixes:
                            diags.append(_link_diag(p, Text(f"是指向文件夹 {str(given)!r} 之外的符号链接，没有读取",
                                                                 "is a symbolic link that leads outside the folder "
                                                                 f"{str(given)!r}; it was not read")))
                        continue
                    if target.is_dir():
                        if target in seen_dirs:
                            diags.append(_link_diag(p, Text("是循环的符号链接：它指向一个已经读过的文件夹",
                                                            "is a symbolic link loop: it leads to a folder already read")))
                            continue
                        seen_dirs.add(target)
                        todo.append((p, target))
                        continue
                    if p.suffix in suffixes:
                        found.append(p)
                    continue
                if is_dir:
                    real = real_folder / entry.name
                    seen_dirs.add(real)
                    todo.append((p, real))
                elif p.suffix in suffixes:
                    found.append(p)  # a FIFO or device is refused when it is opened (load_file)
        out.extend(sorted(found))
    return _once(out), diags


def _once(files: list[Path]) -> list[Path]:
    """Each file once, where it was first named: a file given beside its folder (or a folder beside one
    inside it, or a link beside its target) is one file, not two clashing ones (PE030 against itself)."""
    seen: set = set()
    out = []
    for f in files:
        try:
            key = f.resolve()
        except (OSError, RuntimeError, ValueError):  # (read as given: load_file reports what is wrong)
            key = f
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


_LOOP = Text("是循环的符号链接", "is a symbolic link loop")


def _link_diag(p: Path, what: Text) -> Diagnostic:
    return Diagnostic("PE071", Text(f"{p} {what.zh}", f"{p} {what.en}"), Span(str(p), 1, 1),
                      hint=Text("规则文件和案例文件必须放在给出的文件夹里面；请把文件复制进来，不要用链接",
                                "rule and case files must be inside the folder given; copy the file in instead of linking it"))


def load_text(text: str, path: str = "<string>", limits: Limits = DEFAULT_LIMITS) -> Loaded:
    if text.startswith("\ufeff"):
        text = text[1:]
    source = Source(path, text)
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_file_bytes:
        raise PolicyError(source.diag("PE005", Text(f"输入超过了上限 {limits.max_file_bytes} 字节",
                                                    f"input is larger than the limit of {limits.max_file_bytes} bytes"), 1, 1,
                                      hint=_SPLIT))
    if not text.strip():
        raise PolicyError(source.diag("PE012", Text("文件是空的", "the file is empty"), 1, 1,
                                      hint=Text("规则文件或案例文件应当是“键: 值”的 YAML 映射",
                                                "a rule or case file is a YAML mapping")))
    return _Builder(source, limits).build()


_BRACKETS = Text("规则文件和案例文件的层次都很浅；请检查是否有多余或没闭合的括号",
                 "rule and case files are shallow; check for runaway brackets")


def _syntax(what: Text) -> Text:
    return Text(f"YAML 格式错误：{what.zh}", f"YAML syntax error: {what.en}")


# the sections of a rule file, said in words: (Chinese, English, a list of items with ids?)
_SECTIONS = {"rules": ("规则", "rule", True), "jurisdictions": ("层级", "jurisdiction", True),
             "parameters": ("参数", "parameter", False), "definitions": ("定义", "definition", False),
             "outputs": ("结论", "outcome", False), "enums": ("枚举", "enum", False), "facts": ("对象", "subject", False),
             "acknowledged": ("确认", "acknowledgement", True)}


def place(loc: tuple, ident=None) -> Text:
    """A place in a rule file in words — 'rule bt.x: kind', not 'rules.0.kind'.  ``ident(section,
    index)`` gives the id of a list item (a rule, a jurisdiction) when it is known."""
    section = _SECTIONS.get(loc[0]) if loc else None
    if section is None or len(loc) < 2:
        where = ".".join(str(x) for x in loc)
        return Text(where, where)
    zh, en, listed = section
    name, rest = loc[1], [str(x) for x in loc[2:]]
    if listed and isinstance(name, int):
        name = ident(loc[0], loc[1]) if ident else None
        label = (f"{zh} {name}", f"{en} {name}") if isinstance(name, str) else (f"第 {loc[1] + 1} 条{zh}", f"{en} {loc[1] + 1}")
    elif loc[0] == "facts" and rest:  # facts: subject -> name -> declaration
        label, rest = (f"事实 {rest[0]}（{name}）", f"fact {rest[0]} ({name})"), rest[1:]
    else:
        label = (f"{zh} {name}", f"{en} {name}")
    if not rest:
        return Text(*label)
    return Text(f"{label[0]} 的 {'.'.join(rest)}", f"{label[1]}: {'.'.join(rest)}")


def _at(message: Text, path: tuple) -> Text:
    """``message`` — what is wrong, first — then the field it is about (the line and column are
    shown already)."""
    where = ".".join(str(x) for x in path)
    return Text(f"{message.zh}（位置：{where}）", f"{message.en} (at {where})")


class _Builder:
    def __init__(self, source: Source, limits: Limits):
        self.source = source
        self.limits = limits
        self.positions: dict[tuple, NodePos] = {}
        self.key_positions: dict[tuple, NodePos] = {}
        self.diags: list[Diagnostic] = []
        self._merged: set[tuple] = set()  # list items another item's keys were read into ('- ' missing)

    @staticmethod
    def _pos(ev) -> NodePos:
        sm, em = ev.start_mark, ev.end_mark
        return NodePos(sm.line + 1, sm.column + 1, sm.index, em.index if em is not None else sm.index,
                       getattr(ev, "style", None) or None)  # plain is None, from either parser

    def _fail(self, code: str, message: Text, ev, hint: Text | None = None, path: tuple | None = None):
        m = ev.start_mark
        if path:  # what is wrong first, then the field: "… (at facts.service_days)" (a rule or a case file)
            message = _at(message, path)
        raise PolicyError(self.source.diag(code, message, m.line + 1, m.column + 1, hint=hint))

    def _too_many(self, ev, path: tuple):
        n = self.limits.max_values
        self._fail("PE005", Text(f"文件中的值超过了上限 {n} 个", f"the file holds more than {n} values"), ev, _SPLIT, path=path)

    def build(self, loader_class=_EVENT_LOADER) -> Loaded:
        # One pass over the events, dispatched on the event's class (this loop reads every
        # value of every file: it is a good part of a cold start, so it is kept lean).
        Scalar, MapStart, SeqStart = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
        MapEnd, SeqEnd, DocStart, Alias = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.DocumentStartEvent, yaml.AliasEvent
        positions, limits = self.positions, self.limits
        loader = None
        try:
            loader = loader_class(self.source.text)  # the pure-Python reader may refuse the text already
            docs = 0
            stack: list[list] = []  # frames: [container, path, pending_key, key_event]
            result = None
            while True:
                ev = loader.get_event()
                if ev is None:
                    break
                cls = ev.__class__
                if cls is Scalar or cls is MapStart or cls is SeqStart:
                    parent = stack[-1] if stack else None
                    if ev.anchor is not None:
                        self._fail("PE003", Text(f"不能使用 YAML 锚点（&{ev.anchor}）", f"YAML anchors (&{ev.anchor}) are not allowed"), ev,
                                   Text("在需要的地方把值完整写出来", "write the value out in full where it is needed"),
                                   path=self._node_path(parent))
                    if ev.tag is not None and (ev.implicit is False or ev.implicit == (False, False)):
                        if ev.tag.startswith("!") and not ev.tag.startswith(("!!", "!<")):
                            # '!(year == 2024)': a '!' written for "not", which YAML reads as a tag
                            self._fail("PE004", BANG_FOR_NOT, ev, BANG_HINT, path=self._node_path(parent))
                        self._fail("PE004", Text(f"不能使用 YAML 标签（{ev.tag}）", f"YAML tags ({ev.tag}) are not allowed"), ev,
                                   Text("请删去这个标签；值的类型由声明它的事实和规则决定",
                                        "remove the tag; values are typed by the facts and rules that declare them"),
                                   path=self._node_path(parent))
                    is_key = parent is not None and parent[2] is None and type(parent[0]) is dict
                    if cls is Scalar:
                        text = ev.value
                        if len(text) > limits.max_scalar_chars:
                            self._fail("PE005", Text(f"这段文字有 {len(text)} 个字符，超过了上限 {limits.max_scalar_chars} 个",
                                                     f"text of {len(text)} characters is longer than the limit of {limits.max_scalar_chars}"),
                                       ev, _SPLIT, path=self._node_path(parent))
                        if is_key:
                            if not text.isascii():  # one spelling per name: NFC (café written as e + U+0301 is café)
                                text = unicodedata.normalize("NFC", text)
                            parent[2] = text
                            parent[3] = ev
                            continue
                        path = self._child_path(parent)
                        if ev.implicit[0] and not ev.style:  # plain: None from PyYAML, '' from libyaml
                            try:
                                value = _resolve_plain(text, limits)
                            except _ScalarError as e:
                                self._fail(e.code, e.message, ev, e.hint, path=path)
                        else:
                            value = text
                        positions[path] = self._pos(ev)
                        if len(positions) > limits.max_values:
                            self._too_many(ev, path)
                        if parent is None:
                            result = value
                        else:
                            self._attach(parent, value, ev, path)
                        continue
                    # a mapping or list starts
                    if is_key:
                        self._fail("PE012", Text("键必须是普通文字，不能是列表或映射", "a mapping key must be plain text, not a list or mapping"),
                                   ev, Text("把键写成一个名字，后面跟“: ”", "write the key as a name followed by ': '"), path=parent[1])
                    if len(stack) >= limits.max_depth:
                        self._fail("PE007", Text(f"嵌套超过了上限 {limits.max_depth} 层", f"nesting is deeper than the limit of {limits.max_depth} levels"),
                                   ev, _BRACKETS)
                    path = self._child_path(parent)
                    positions[path] = self._pos(ev)
                    if len(positions) > limits.max_values:
                        self._too_many(ev, path)
                    stack.append([{} if cls is MapStart else [], path, None, None])
                elif cls is MapEnd or cls is SeqEnd:
                    frame = stack.pop()
                    if stack:
                        self._attach(stack[-1], frame[0], ev, frame[1])
                    else:
                        result = frame[0]
                elif cls is Alias:
                    self._fail("PE003", Text(f"不能使用 YAML 别名（*{ev.anchor}）", f"YAML aliases (*{ev.anchor}) are not allowed"), ev,
                               Text("请把值完整写出来；不接受别名，是为了不让文件无限膨胀",
                                    "write the value out in full; aliases are refused so that no file can expand without bound"),
                               path=self._node_path(stack[-1] if stack else None))
                elif cls is DocStart:
                    docs += 1
                    if docs > 1:
                        self._fail("PE001", Text("文件里有不止一个 YAML 文档", "the file holds more than one YAML document"), ev,
                                   Text("一个文件只写一个文档；请删去第二个“---”", "keep one document per file; remove the second '---'"))
                # the stream's start and end and a document's end say nothing
        except yaml.MarkedYAMLError as e:
            if loader_class is not yaml.SafeLoader and "nesting depth" in str(e.problem):
                # libyaml 0.2.6 (bundled with PyYAML 6.0.4) stops at a nesting limit of its
                # own while it scans ahead; the pure-Python parser has none, so reading the text
                # again with it reaches the engine's own limit and reports it at its own place.
                loader.dispose()
                loader = None
                self.positions.clear()
                self.key_positions.clear()
                return self.build(yaml.SafeLoader)
            mark = e.problem_mark or e.context_mark
            msg = (e.problem or str(e)).strip()
            if e.context:
                msg = f"{msg} ({e.context.strip()})"
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            # the officer's likely slip (a full-width colon, a tab …) at its own place, in plain words
            # (a quote first: a quote never closed makes the lines after it look wrong)
            slip = (conflict_marker(self.source.text) or unclosed_quote(self.source.text, line, col)
                    or find_slip(self.source.text, line))
            if slip is not None:
                raise PolicyError(self.source.diag("PE001", _syntax(slip.message), slip.line, slip.column, hint=slip.hint))
            plain = explain_parser_message(msg)
            if plain is not None:
                hint = plain[1]
                for close in "]}":  # a bracket never closed: said where it was opened, not where the next line starts
                    at = opened_at(self.source.text, line, col, close) if f"expected ',' or '{close}'" in msg else None
                    if at is not None:
                        line, col = at
                        hint = Text(f"在这一行的末尾补上“{close}”（里面的项用半角逗号分开）",
                                    f"close it with '{close}' at the end of this line (entries separated by ASCII commas)")
                raise PolicyError(self.source.diag("PE001", _syntax(plain[0]), line, col, hint=hint))
            raise PolicyError(self.source.diag("PE001", _syntax(Text(f"文件的格式写法有误（解析器报告：{msg}）", msg)), line, col,
                                               hint=Text("请检查这里附近的缩进、冒号和引号",
                                                         "check indentation, colons and quotes around this spot")))
        except yaml.reader.ReaderError as e:  # a control character: it has a position, not a mark
            i = max(0, min(int(getattr(e, "position", 0) or 0), len(self.source.text)))
            line = self.source.text.count("\n", 0, i) + 1
            col = i - (self.source.text.rfind("\n", 0, i) + 1) + 1
            what = f"character #x{e.character:04x}" if isinstance(e.character, int) else "character"
            zh = f"字符 #x{e.character:04x}" if isinstance(e.character, int) else "字符"
            raise PolicyError(self.source.diag("PE001", _syntax(Text(f"不可接受的{zh}：文件里不能有控制字符",
                                                                     f"unacceptable {what}: control characters are not allowed")),
                                               line, col, hint=Text("请删去这个字符，或在双引号里用转义写法",
                                                                    "remove the character, or write it as an escape in double quotes")))
        except yaml.YAMLError as e:
            raise PolicyError(self.source.diag("PE001", _syntax(Text(f"文件的格式写法有误（解析器报告：{e}）", str(e))), 1, 1))
        except RecursionError:
            raise PolicyError(self.source.diag("PE007", Text("嵌套太深", "nesting is too deep"), 1, 1, hint=_BRACKETS))
        finally:
            if loader is not None:
                loader.dispose()
        if self.diags:
            raise PolicyError(self.diags)
        return Loaded(self.source, result, self.positions, self.key_positions)

    def _node_path(self, parent) -> tuple:
        """The path of the node that starts now (for a mapping key: the mapping's path)."""
        if parent is not None and isinstance(parent[0], dict) and parent[2] is None:
            return parent[1]
        return self._child_path(parent)

    @staticmethod
    def _child_path(parent) -> tuple:
        if parent is None:
            return ()
        container = parent[0]
        return parent[1] + ((parent[2],) if type(container) is dict else (len(container),))

    def _attach(self, frame, value, ev, path) -> None:
        container = frame[0]
        if isinstance(container, dict):
            key, kev = frame[2], frame[3]
            frame[2] = frame[3] = None
            if key in container:
                if frame[1] in self._merged:  # (the rest of an item read into the one above: said once, below)
                    return
                first = self.key_positions.get(frame[1] + (key,))
                rel = (Related(Span(self.source.path, first.line, first.column), Text("第一次写在这里", "first written here")),) if first else ()
                if key == "id" and frame[1] and type(frame[1][-1]) is int:  # '- ' deleted before a list item's id
                    self._merged.add(frame[1])
                    rel = (Related(Span(self.source.path, first.line, first.column), Text("上一项的 id", "the id of the item above")),) \
                        if first else ()
                    line = kev.start_mark.line + 1
                    self.diags.append(self.source.diag(
                        "PE002", Text(f"第 {line} 行的“id: …”开始新的一项，但前面少了“- ”：它和下面几行被读进了上一项",
                                      f"the 'id: …' on line {line} starts a new item, but the '- ' before it is missing: "
                                      "it and the lines below were read into the item above"),
                        line, kev.start_mark.column + 1,
                        hint=Text("在这一行的 id 前写上“- ”，与上一项的“- ”对齐",
                                  "write '- ' before id on this line, lined up with the '- ' of the item above"),
                        related=rel))
                    return
                ident = (lambda section, index: container.get("id")) if len(frame[1]) == 2 else None  # a list item's own id
                owner = place(frame[1], ident) if frame[1] else None
                lines = f"第 {first.line} 行和第 {kev.start_mark.line + 1} 行" if first else "这两处"
                self.diags.append(self.source.diag(
                    "PE002", _at(Text(f"“{key}: …”写了两次", f"'{key}: …' is written twice"), frame[1] + (key,))
                    if frame[1] else Text(f"“{key}: …”写了两次", f"'{key}: …' is written twice"),
                    kev.start_mark.line + 1,
                    kev.start_mark.column + 1,
                    hint=Text(f"{owner.zh + ' 的' if owner else ''}“{key}: …”只能写一次：对照{lines}，留下要用的那一行，删去另一行",
                              f"{owner.en + ': ' if owner else ''}'{key}: …' may be written once: keep the line you mean "
                              f"and delete the other"),
                    related=rel))
                return
            if len(container) >= self.limits.max_collection_items:
                self._fail("PE005", Text(f"映射的条目超过了上限 {self.limits.max_collection_items} 个",
                                         f"mapping has more than {self.limits.max_collection_items} entries"), kev, _SPLIT, path=frame[1])
            self.key_positions[frame[1] + (key,)] = self._pos(kev)
            container[key] = value
        else:
            if len(container) >= self.limits.max_collection_items:
                self._fail("PE005", Text(f"列表的项超过了上限 {self.limits.max_collection_items} 项",
                                         f"list has more than {self.limits.max_collection_items} items"), ev, _SPLIT, path=frame[1])
            container.append(value)
