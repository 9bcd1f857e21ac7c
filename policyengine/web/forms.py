"""The /try form: one field per fact of the vocabulary, and the facts read back from it.

A field left empty is an unknown fact (left out of the case).  The text of a field is
turned into the value the case wants only where the form's own widget says what it is
(a select, a whole number, a date, a JSON list); everything else goes to the engine as
typed, so that the engine's own message (expected a whole number, got "abc") is shown
beside the field.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yaml.reader import Reader

from ..cases import json_problem, json_says
from ..explain import to_json_value
from ..load import DEFAULT_LIMITS

# ASCII digits only, as the engine reads a case ('３' is its to explain); of any length: a number too large is the
# engine's to say (past _LONGEST_NUMBER characters, the form's), never "write 999…" as if it were not a number
_INT = re.compile(r"^[+-]?[0-9]+$")
_DEC = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_FIELD_OF = re.compile(r"^facts\.([A-Za-z_][A-Za-z0-9_]*)")
MAX_FIELD_CHARS = 100_000
# what a case file refuses, refused here too: a decision made on the page is logged as a case file replay reads
_UNPRINTABLE = Reader.NON_PRINTABLE  # (the case reader's own test: YAML's printable set)
_LONGEST_NUMBER = DEFAULT_LIMITS.max_int_digits + 10  # a number's characters, as the case reader bounds them


@dataclass
class Field:
    name: str
    label: str
    widget: str  # bool / enum / int / decimal / date / json / text
    nullable: bool
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) for bool and enum
    type_text: str = ""  # the type as the engine names it (which widget)
    type_shown: str = ""  # the same in the page's language
    example: str = ""
    value: str = ""  # what the form shows
    error: str = ""
    null_ticked: bool = False  # "none" ticked beside a value typed (an error: the tick stays for the officer to see)


def _widget(type_text: str) -> str:
    if type_text.startswith(("list", "record")):
        return "json"
    head = type_text.split(" ", 1)[0]
    return head if head in ("bool", "enum", "int", "decimal", "date") else "text"


def _example(row: dict) -> str:
    if not row["type"].startswith("list of record{"):
        return "[]"
    inner = row["type"][len("list of record{"):-1]
    parts = []
    for piece in inner.split(", "):
        name, _, t = piece.partition(": ")
        parts.append(f'"{name}": ' + ("2023" if t.startswith("int") else '"…"'))
    return "[{" + ", ".join(parts) + "}]"


def fields_for(rows: list[dict], lang: str, words: dict) -> list[Field]:
    out = []
    for r in rows:
        w = _widget(r["type"])
        f = Field(r["name"], r["label"].get(lang) or r["label"].get("zh") or r["name"], w, bool(r["nullable"]),
                  type_text=r["type"], type_shown=r["type_zh"] if lang == "zh" else r["type"])
        if w == "bool":
            f.options = [("true", words["yes"]), ("false", words["no"])]
        elif w == "enum":
            f.options = [(v["value"], v.get(lang) or v.get("zh") or v["value"]) for v in r["values"]]
        elif w == "json":
            f.example = _example(r)
        out.append(f)
    return out


def read_facts(fields: list[Field], form: dict[str, str], lang: str = "zh") -> dict[str, Any]:
    """The facts the form gives (unknown ones left out); each field keeps what was typed.  A JSON
    field that does not parse gets its message here; the rest are the engine's to judge."""
    facts: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f.name, "")
        raw = raw if isinstance(raw, str) else ""
        f.value = raw[:MAX_FIELD_CHARS]
        text = raw.strip()
        if f.nullable and form.get(f.name + "__null") == "on":
            if text not in ("", "null"):  # (which one was meant cannot be known: neither is dropped silently)
                f.null_ticked = True
                f.error = "填了值又勾选了“无”，请二选一" if lang == "zh" else "a value is given and 'none' is ticked: choose one"
                continue
            f.value = "null"
            facts[f.name] = None
            continue
        if text == "":
            continue
        if len(raw) > MAX_FIELD_CHARS:
            f.error = (f"太长：最多 {MAX_FIELD_CHARS} 个字符" if lang == "zh"
                       else f"too long: at most {MAX_FIELD_CHARS} characters")
            continue
        odd = _UNPRINTABLE.search(text)
        if odd:  # (decided, it would be logged as no case file can hold it: replay could not read it back)
            f.error = _unprintable_error(odd.group(), lang)
            continue
        if text == "null" and f.nullable:
            facts[f.name] = None
        elif f.widget in ("int", "decimal") and _DEC.match(text) and len(text) > _LONGEST_NUMBER:
            f.error = (f"这个数字有 {len(text)} 个字符，超过了上限 {_LONGEST_NUMBER} 个" if lang == "zh"
                       else f"a number of {len(text)} characters is longer than the limit of {_LONGEST_NUMBER}")
        elif f.widget == "bool" and text in ("true", "false"):
            facts[f.name] = text == "true"
        elif f.widget == "int" and _INT.match(text):
            facts[f.name] = int(text)
        elif f.widget in ("int", "decimal") and _DEC.match(text):
            # a decimal where a whole number is wanted ('40.0') is the engine's to answer as it answers a case
            # file: "remove the decimal point, write 40" (as text it would say "write 40.0")
            facts[f.name] = Decimal(text)
        elif f.widget == "json":
            try:
                value = json.loads(text, parse_float=Decimal)
                odd = _unprintable_in(value)
                if odd is not None:  # ('\u007f' in the JSON: the same character as typed)
                    f.error = _unprintable_error(odd, lang)
                else:
                    facts[f.name] = value
            except json.JSONDecodeError as e:
                f.error = json_problem(text, e, lang)
            except RecursionError:
                f.error = "不是有效的 JSON：嵌套太深" if lang == "zh" else "not valid JSON: too deeply nested"
            except ValueError as e:  # (an integer past Python's 4,300 digits: not a nesting)
                f.error = f"不是有效的 JSON：{json_says(str(e))}" if lang == "zh" else f"not valid JSON: {e}"
        else:
            facts[f.name] = text
    return facts


def _unprintable_error(ch: str, lang: str) -> str:
    return (f"含有不能使用的控制字符 #x{ord(ch):04x}：请删去它" if lang == "zh"
            else f"holds the control character #x{ord(ch):04x}, which a case cannot hold: remove it")


def _unprintable_in(value: Any) -> str | None:
    """The first character a case file cannot hold in the texts (keys included) of a decoded JSON value."""
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            m = _UNPRINTABLE.search(x)
            if m:
                return m.group()
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return None


def field_of(message: str) -> str | None:
    """The fact a case diagnostic is about (``facts.NAME…: …``), if any."""
    m = _FIELD_OF.match(message)
    return m.group(1) if m else None


def show_value(v: Any) -> str:
    """An outcome's value as the page's ``data-outcome`` text: ``null``, ``true``, a number, or the text."""
    j = to_json_value(v)
    if isinstance(j, str):
        return j
    return json.dumps(j, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def json_value(v: Any) -> str:
    return json.dumps(to_json_value(v), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def form_text(v: Any) -> str:
    """A fact's value as the text its form field holds (for pre-filling the form)."""
    j = to_json_value(v)
    if j is None:
        return "null"
    if isinstance(j, bool):
        return "true" if j else "false"
    if isinstance(j, (list, dict)):
        return json.dumps(j, ensure_ascii=False, sort_keys=True)
    return str(j)
