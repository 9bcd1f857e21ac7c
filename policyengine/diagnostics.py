"""Diagnostics: located, coded messages, collected rather than raised.

Every problem the engine finds in a rule file or a case file becomes a
:class:`Diagnostic` value with a stable code, a severity, a location
(file, line, column — 1-based) and a hint.  Stages collect them; the CLI
sorts and renders them.  Callers of the library see a single exception type,
:class:`PolicyError`, which carries the diagnostics.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import os
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Iterable, NamedTuple, Sequence

__all__ = ["Severity", "Span", "Related", "Diagnostic", "PolicyError", "CODES", "render", "render_all", "sort_key",
           "printable", "md_cell", "Text", "LANGS", "resolve_lang"]

LANGS = ("zh", "en")


def resolve_lang(lang: str | None = None) -> str:
    """The language to speak: ``lang`` when given, else ``$POLICYENGINE_LANG``, else Chinese."""
    if lang in LANGS:
        return lang  # type: ignore[return-value]
    env = os.environ.get("POLICYENGINE_LANG", "").strip().lower()[:2]
    return env if env in LANGS else "zh"


class Text(NamedTuple):
    """A message in both languages.  Wherever a diagnostic takes a message, a hint or a note,
    it takes a ``Text``; a plain ``str`` is English only (and a test finds it)."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en

    def get(self, lang: str | None = None) -> str:
        return self.en if resolve_lang(lang) == "en" else self.zh


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Span:
    """A place in a source file: 1-based line and column, with an optional end column."""

    file: str
    line: int
    column: int
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Related:
    """A second location that belongs to a diagnostic (the other citation of a conflict)."""

    span: Span | None
    message: str
    zh: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.message, Text):
            object.__setattr__(self, "zh", self.message.zh)
            object.__setattr__(self, "message", self.message.en)

    def text(self, lang: str | None = None) -> str:
        return self.zh if self.zh is not None and resolve_lang(lang) == "zh" else self.message


# Stable codes.  A code never changes meaning; new codes are appended.
CODES: dict[str, tuple[Severity, str]] = {
    # loading
    "PE001": (Severity.ERROR, "yaml-syntax"),
    "PE002": (Severity.ERROR, "duplicate-key"),
    "PE003": (Severity.ERROR, "yaml-alias"),
    "PE004": (Severity.ERROR, "yaml-tag"),
    "PE005": (Severity.ERROR, "input-too-large"),
    "PE006": (Severity.ERROR, "encoding"),
    "PE007": (Severity.ERROR, "nesting-too-deep"),
    "PE008": (Severity.ERROR, "bad-scalar"),
    # schema
    "PE010": (Severity.ERROR, "missing-field"),
    "PE011": (Severity.ERROR, "unknown-field"),
    "PE012": (Severity.ERROR, "invalid-value"),
    "PE013": (Severity.ERROR, "unknown-kind"),
    # expressions
    "PE020": (Severity.ERROR, "expression-syntax"),
    "PE021": (Severity.ERROR, "expression-too-complex"),
    "PE022": (Severity.ERROR, "unknown-name"),
    "PE023": (Severity.ERROR, "type-error"),
    "PE024": (Severity.ERROR, "arity"),
    "PE025": (Severity.ERROR, "unknown-enum-value"),
    "PE026": (Severity.ERROR, "unknown-record-field"),
    "PE027": (Severity.ERROR, "unknown-function"),
    # structure
    "PE030": (Severity.ERROR, "duplicate-id"),
    "PE031": (Severity.ERROR, "definition-cycle"),
    "PE032": (Severity.ERROR, "missing-citation"),
    "PE033": (Severity.ERROR, "unknown-jurisdiction"),
    "PE034": (Severity.ERROR, "unknown-reference"),
    "PE035": (Severity.ERROR, "unknown-subject"),
    "PE036": (Severity.ERROR, "bad-date-range"),
    "PE037": (Severity.ERROR, "name-collision"),
    "PE038": (Severity.ERROR, "conflicting-declaration"),
    "PE039": (Severity.ERROR, "unknown-output"),
    # scoring tables
    "PE040": (Severity.WARNING, "tier-overlap"),
    "PE041": (Severity.WARNING, "tier-gap"),
    "PE042": (Severity.WARNING, "tier-unreachable"),
    "PE043": (Severity.WARNING, "bonus-useless"),
    "PE044": (Severity.WARNING, "grade-band-overlap"),
    "PE045": (Severity.ERROR, "tier-exceeds-item-max"),
    "PE046": (Severity.WARNING, "grade-band-gap"),
    # layering
    "PE050": (Severity.WARNING, "loosening-ignored"),
    "PE051": (Severity.WARNING, "restated-differently"),
    "PE052": (Severity.WARNING, "binding-not-replaceable"),
    "PE053": (Severity.INFO, "assumed-date"),
    "PE054": (Severity.WARNING, "ambiguous-provision"),
    "PE055": (Severity.ERROR, "supersedes-another-issuer"),
    "PE056": (Severity.ERROR, "jurisdiction-cycle"),
    "PE057": (Severity.ERROR, "confusable-name"),
    "PE058": (Severity.WARNING, "assumption"),
    "PE059": (Severity.INFO, "delegated-replacement"),
    # case files
    "PE060": (Severity.ERROR, "case-invalid"),
    "PE061": (Severity.ERROR, "unknown-fact"),
    "PE062": (Severity.ERROR, "fact-type"),
    "PE063": (Severity.ERROR, "fact-out-of-range"),
    # files
    "PE070": (Severity.ERROR, "file-not-found"),
    "PE071": (Severity.ERROR, "link-outside-folder"),
    # evaluation
    "PE080": (Severity.ERROR, "evaluation-limit"),
    # the library's and the command's own arguments
    "PE090": (Severity.ERROR, "bad-argument"),
    # batch evaluation
    "PE091": (Severity.ERROR, "batch-input"),
    # what checks as valid but does nothing; reviewed warnings (check --strict, acknowledged:)
    "PE100": (Severity.WARNING, "unused-parameter"),
    "PE101": (Severity.WARNING, "unused-definition"),
    "PE102": (Severity.WARNING, "not-in-coverage"),
    "PE103": (Severity.WARNING, "cited-article-not-decisional"),
    "PE104": (Severity.WARNING, "stale-acknowledgement"),
}


@dataclass(frozen=True)
class Diagnostic:
    """One finding.  ``span`` is None only for problems that have no place in a file.

    ``message`` and ``hint`` are English; ``zh`` and ``hint_zh`` the same in Chinese.  Pass a
    :class:`Text` as ``message`` or ``hint`` and both are set.  ``text(lang)`` and
    ``help(lang)`` give the one to show."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity | None = None
    related: tuple[Related, ...] = ()
    source_line: str | None = None
    zh: str | None = None
    hint_zh: str | None = None

    def __post_init__(self) -> None:
        if self.severity is None:
            object.__setattr__(self, "severity", CODES[self.code][0])
        if isinstance(self.message, Text):
            object.__setattr__(self, "zh", self.message.zh)
            object.__setattr__(self, "message", self.message.en)
        if isinstance(self.hint, Text):
            object.__setattr__(self, "hint_zh", self.hint.zh)
            object.__setattr__(self, "hint", self.hint.en)

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: ``$POLICYENGINE_LANG``, else Chinese)."""
        return self.zh if self.zh is not None and resolve_lang(lang) == "zh" else self.message

    def help(self, lang: str | None = None) -> str | None:
        """The hint in ``lang``."""
        if self.hint is None:
            return None
        return self.hint_zh if self.hint_zh is not None and resolve_lang(lang) == "zh" else self.hint

    @property
    def name(self) -> str:
        return CODES[self.code][1]

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self, lang: str | None = None) -> dict:
        out: dict = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.text(lang),
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "hint": self.help(lang),
        }
        if self.related:
            out["related"] = [
                {
                    "file": r.span.file if r.span else None,
                    "line": r.span.line if r.span else None,
                    "column": r.span.column if r.span else None,
                    "message": r.text(lang),
                }
                for r in self.related
            ]
        return out


def sort_key(d: Diagnostic):
    s = d.span
    return (s.file if s else "", s.line if s else 0, s.column if s else 0, d.code, d.message)


_SEVERITY_ZH = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "信息"}
_LABELS = {"zh": ("  参见", "  修改建议"), "en": ("  note", "  help")}


def render(d: Diagnostic, lang: str | None = None) -> str:
    """Render one diagnostic as a compiler would: location, message, caret, hint — in ``lang``
    (default: ``$POLICYENGINE_LANG``, else Chinese)."""
    lang = resolve_lang(lang)
    where = f"{d.span}: " if d.span else ""
    where = printable(where)
    severity = _SEVERITY_ZH[d.severity] if lang == "zh" else d.severity.value
    lines = [f"{where}{severity}[{d.code} {d.name}]: {printable(d.text(lang))}"]
    if d.span and d.source_line is not None:
        text = d.source_line.rstrip("\n")
        col = d.span.column
        if len(text) > 160:  # show a window around the spot, not a megabyte of brackets
            start = max(0, col - 60)
            text = ("…" if start else "") + text[start : start + 120] + "…"
            col = col - start + (1 if start else 0)
        gutter = f"{d.span.line:>5} | "
        lines.append(gutter + text)
        width = 1
        if d.span.end_column and d.span.end_column > d.span.column:
            width = d.span.end_column - d.span.column
        pad = _display_width(text[: col - 1])
        lines.append(" " * (len(gutter) - 2) + "| " + " " * pad + "^" * max(1, _display_width(text[col - 1 : col - 1 + width])))
    note, help_ = _LABELS[lang]
    for r in d.related:
        lines.append(printable(f"{note}: {r.span}: {r.text(lang)}" if r.span else f"{note}: {r.text(lang)}"))
    if d.hint:
        lines.append(f"{help_}: {printable(d.help(lang))}")
    # a hostile file must not drive the terminal: control characters (ESC …) from its text
    # or from a key written with YAML escapes are shown as U+FFFD, one column each
    return "\n".join(lines).translate(_CONTROL)


# bidirectional controls reorder what a terminal or a review tool shows (Trojan Source); line and
# paragraph separators break a line where no newline is seen
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROL = {c: "\ufffd" for c in (*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0), *_BIDI, 0x2028, 0x2029)}
_ESCAPES = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}")
            for c in (*range(0x00, 0x20), *range(0x7f, 0xa0), *_BIDI, 0x2028, 0x2029)}
_ESCAPES.update({0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t"})


def printable(text: str) -> str:
    """``text`` from a file or a case, safe to put on one line of a terminal, a table or Markdown:
    control characters (ESC, CR, LF, tab …), bidirectional controls and line separators are shown
    as escapes (``\\n``, ``\\x1b``, ``\\u202e``), so data can neither drive the terminal nor
    forge or hide a line of the output."""
    return text.translate(_ESCAPES) if not text.isprintable() else text


def as_written(v, width: int = 40) -> str:
    """A value of a case or a file as a message shows it: spelled as the officer writes it in JSON or YAML
    (``true``, ``null``, ``"text"`` in double quotes with JSON's escapes, ``{"year": 2022, …}``, a date
    ``"2024-03-01"`` as JSON holds it, a decimal as its digits), never as Python's repr (``True``, ``None``,
    ``'text'``).  Bounded: at most ``width`` characters however large the value (a text of a million
    characters, an int of 5,000 digits, a list of 200,000 items: its first 3 items and "…"); nothing in it
    a terminal acts on (a control or bidirectional character, a line separator) — such a character is
    written as its JSON escape, ``\\n``, ``\\u001b``, ``\\u202e``.  One function for every message."""
    if isinstance(v, str):
        return _quoted(v, width)
    s = _brief(v, 0) if isinstance(v, (dict, list, tuple)) else _scalar(v)
    return s if len(s) <= width else s[:width - 3] + "..."


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escaped(c: str) -> str:
    """One character inside a JSON text as a message writes it: as it is where printable, else escaped."""
    e = _JSON_ESCAPES.get(c)
    if e is not None:
        return e
    if c.isprintable():
        return c
    n = ord(c)
    if n > 0xFFFF:  # (JSON escapes a character past U+FFFF as its UTF-16 pair)
        n -= 0x10000
        return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"
    return f"\\u{n:04x}"


def _quoted(s: str, width: int) -> str:
    """``s`` in double quotes, its first characters only where it is long (cut between two escapes, never
    inside one, and without the closing quote, so that the cut shows)."""
    parts = [_escaped(c) for c in itertools.islice(s, width)]
    if len(s) <= width and sum(map(len, parts)) + 2 <= width:
        return '"' + "".join(parts) + '"'
    out, n = ['"'], 1
    for p in parts:
        if n + len(p) > width - 3:
            break
        out.append(p)
        n += len(p)
    return "".join(out) + "..."


def json_constant(v) -> str | None:
    """``null``, ``true`` or ``false`` for None, True, False (as JSON, YAML and the expression language write
    them); None for any other value."""
    return "null" if v is None else "true" if v is True else "false" if v is False else None


def _scalar(v) -> str:
    c = json_constant(v)
    if c is not None:
        return c
    if isinstance(v, Decimal):  # as written (JSON's spelling too): 2.50, 1E+2 — "expected a whole number, got
        return str(v)  # 100" would not say what is wrong with 1E+2
    if isinstance(v, float):
        return repr(v) if v == v and v not in (float("inf"), float("-inf")) else \
            "NaN" if v != v else "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, _dt.date):  # (a datetime too, in UTC): as a JSON case and a batch's output hold it, a text
        if isinstance(v, _dt.datetime) and v.utcoffset() is not None:
            v = v.astimezone(_dt.timezone.utc)
        return '"' + v.isoformat() + '"'
    s = str_of(v)
    return s if s.isprintable() else "".join(map(_escaped, s))


def _brief(v, depth: int = 0) -> str:
    """A mapping or list as a few of its first items (a hostile one may hold 200,000)."""
    if isinstance(v, dict):
        if depth > 1:
            return "{…}"
        items = [f"{_brief(k, 2)}: {_brief(x, depth + 1)}" for k, x in itertools.islice(v.items(), 3)]
        return "{" + ", ".join(items + (["…"] if len(v) > 3 else [])) + "}"
    if isinstance(v, (list, tuple)):
        if depth > 1:
            return "[…]"
        items = [_brief(x, depth + 1) for x in itertools.islice(v, 3)]
        return "[" + ", ".join(items + (["…"] if len(v) > 3 else [])) + "]"
    return as_written(v)


def str_of(v) -> str:
    """str() that cannot fail (a caller of the API may pass anything: a 5,000-digit int, an odd object)."""
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10 ** 100:
        return f"<integer of about {v.bit_length() * 30103 // 100000 + 1} digits>"
    if isinstance(v, _dt.datetime) and v.utcoffset() is not None:  # one instant, one text: in UTC (a Parquet
        v = v.astimezone(_dt.timezone.utc)  # column's zone is kept by pyarrow, DuckDB gives its session's)
    try:
        return str(v)
    except Exception:
        return f"<{type(v).__name__}>"


def md_cell(text: str) -> str:
    """``text`` as one cell of a Markdown table: :func:`printable`, and ``|`` escaped."""
    return printable(text).replace("|", "\\|")


def _display_width(s: str) -> int:
    # Chinese characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def render_all(diags: Iterable[Diagnostic], lang: str | None = None) -> str:
    return "\n".join(render(d, lang) for d in sorted(diags, key=sort_key))


class PolicyError(Exception):
    """The one exception type the library raises.  It carries the diagnostics."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=sort_key))
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(render(first) if first else "policy error")

    def __str__(self) -> str:  # all of them, not only the first
        return render_all(self.diagnostics)
