"""One row of a batch file as a case, and a decision as one output row.

A row holds ``subject``, ``jurisdiction`` and ``as_of`` (each may come from a flag instead), one
column per fact and any other column, carried to the output unchanged.  A column is a fact
column when its name is a fact of some subject.  Left out (not known) and null (known to be
nothing, as ``false_information_found: null``) are told apart as each format can:

* JSON Lines: a row is the case file's JSON, flattened — a key not in the row leaves the fact
  out, ``null`` is null;
* CSV: an empty cell leaves the fact out, the text ``null`` is null;
* Parquet, which has only null: a null cell is null for a fact declared nullable and leaves
  any other fact out.

CSV cells are text, typed here by the declaration of the fact for the row's subject; a cell that
does not read as its type is passed on as text, so that the case's validation names the field
and what is wrong.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..diagnostics import Diagnostic, PolicyError, Text
from ..policy import PolicySet
from .io import NotJson, read_json_said

__all__ = ["CASE_COLUMNS", "RowReader", "error_text"]

CASE_COLUMNS = ("subject", "jurisdiction", "as_of")
_INT = re.compile(r"-?[0-9]{1,60}\Z")
_NUM = re.compile(r"-?[0-9]{1,60}(\.[0-9]{1,60})?\Z")


def error_text(e: PolicyError, lang: str = "en") -> str:
    """The row's error in ``lang``: every diagnostic, code and message (the message names the field)."""
    return ("；" if lang == "zh" else "; ").join(f"{d.code} {d.text(lang)}" for d in e.diagnostics if d.is_error) or str(e)


class RowReader:
    """Turns rows into cases for one input: which columns are facts, which are carried."""

    def __init__(self, ps: PolicySet, columns: list[str], *, subject: str | None, jurisdiction: str | None,
                 as_of: _dt.date | None, fmt: str):
        self.ps, self.text, self.keyed = ps, fmt == "csv", fmt != "parquet"
        self.columns = columns  # the input's, as read
        self.flags = {"subject": subject, "jurisdiction": jurisdiction, "as_of": as_of}
        names = {n for (_, n) in ps.facts}
        self.fact_columns = [c for c in columns if c in names and c not in CASE_COLUMNS]
        self.carried = [c for c in columns if c not in names and c not in CASE_COLUMNS]
        self.nullable = {key: f.nullable or f.type.nullable for key, f in ps.facts.items()}
        self.kinds = {key: f.type.kind for key, f in ps.facts.items()}
        self._columns: dict[str | None, list[tuple[str, bool, str | None]]] = {}

    def case(self, row: dict) -> dict:
        """The case of a row, as ``Policies.evaluate`` takes it."""
        case: dict[str, Any] = {}
        for k in CASE_COLUMNS:
            v = self.flags[k] if self.flags[k] is not None else row.get(k)
            if v is not None or k in row:
                case[k] = v
        subject = case.get("subject")
        if self.keyed and not self.text:  # JSON Lines: a key present is given (null included), one absent left out
            case["facts"] = {c: row[c] for c in self.fact_columns if c in row}
            return case
        facts: dict[str, Any] = {}
        unread: list[Diagnostic] = []  # list cells that are not JSON: said as such, not as "expected a list"
        for c, nullable, kind in self._columns_of(subject):
            if self.keyed:
                if c not in row:
                    continue  # left out
                v = row[c]
                if v is None:
                    facts[c] = None
                    continue
            else:
                v = row[c]
                if v is None:
                    if nullable:
                        facts[c] = None
                    continue
            if self.text and type(v) is str:
                if v == "null":
                    v = None
                elif kind == "list":  # (as a JSON Lines row is read: exact decimals, no NaN, no key twice)
                    try:
                        v = read_json_said(v)
                    except NotJson as e:
                        unread.append(Diagnostic("PE062", Text(f"facts.{c}：{e.said.zh}", f"facts.{c}: {e.said.en}"), None,
                                                 hint=_LIST_HINT))
                        continue
                elif kind is not None:
                    v = _typed(kind, v)
            facts[c] = v
        if unread:
            raise PolicyError(unread)
        case["facts"] = facts
        return case

    def _columns_of(self, subject: Any) -> list[tuple[str, bool, str | None]]:
        """Each fact column with, for ``subject``, whether its fact takes null and its kind (None where
        ``subject`` has no such fact, or is not a text)."""
        key = subject if isinstance(subject, str) else None
        got = self._columns.get(key)
        if got is None:
            got = [(c, bool(self.nullable.get((key, c))), self.kinds.get((key, c))) for c in self.fact_columns]
            if len(self._columns) < 64:  # a subject's column list is kept; a file of odd subjects does not grow it
                self._columns[key] = got
        return got


def _typed(kind: str, v: str) -> Any:
    """A CSV cell read as the fact's type where it reads as one; else the text itself."""
    if kind == "bool":
        return True if v == "true" else False if v == "false" else v
    if kind == "int":
        return int(v) if _INT.match(v) else v
    if kind == "decimal":
        if _NUM.match(v):
            try:
                return Decimal(v)
            except InvalidOperation:
                return v
        return v
    return v  # dates, enums, text: the validation reads them


_LIST_HINT = Text('列表的单元格写成 JSON，如 [{"year": 2023, "grade": "excellent"}]（半角双引号，每个键只写一次）',
                  'a list cell is JSON, such as [{"year": 2023, "grade": "excellent"}] (double quotes, each key once)')

