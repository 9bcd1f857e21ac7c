"""Stage 3a — a rule file's structure, checked fast, as plain frozen records.

:mod:`policyengine.model` (pydantic) defines the rule-file format and stays its
authority: it publishes the JSON Schema, and when a file is wrong it is pydantic
that says what is wrong (check.py turns its errors into diagnostics).  But
importing pydantic and building its validators costs about 110 ms, a third of a
cold start, and a valid file needs none of it.  So the models are compiled ahead
of time, like the parser's tables, into *shapes*: plain literals in
``_model_tables.py`` (regenerate with ``python -m policyengine.records``; a test
fails when they are stale).  :func:`from_data` checks a file against the shapes
and builds records — frozen objects with the models' field names and
``model_fields_set`` — or answers ``None``, and then pydantic decides.

The shapes are never more lenient than the models: strict types (``True`` is not
an int, ``"30"`` is not a number), unknown fields refused, anchored patterns
matched in full.  Where the compiler meets a construct it does not know, it
refuses to compile rather than guess.  If the shipped tables do not belong to
this ``model.py`` (an edited checkout), the shapes are compiled from the models
when first needed.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

__all__ = ["SUBJECTS", "RULE_KINDS", "KEYS_ZH", "KIND", "VERSION", "Label", "Record", "from_data", "from_model", "is_text",
           "text_of", "coverage_text", "expression_text", "compile_models", "write_tables"]

KIND = "policy-document"
VERSION = 1
SUBJECTS = ("commissioner", "enterprise", "workstation", "jurisdiction")
RULE_KINDS = ("eligibility", "obligation", "scoring", "entitlement", "sanction", "target")

# The keys of a rule file (model.py), and the parts the diff compares under names of their own (policy.py:
# is_default, table, bands, labels), in Chinese: the words of docs/rule-files.md (§2 a document's, §3-§8 the
# declarations', §9.1 a rule's, §9.4 a scoring table's) and of the explanation (取值, 要求, 期限).  One table for
# every place that names a key to a Chinese reader — the diff's rows and its summaries of what changed, check's
# messages — so that one key is never called two things.  A key that means something else inside one part is
# written with that part first: ``fact.document`` (where a fact is declared), ``items.max`` (an item's full marks).
KEYS_ZH = {
    # the file and its sections
    "kind": "规则种类", "version": "格式版本", "document": "文件信息", "jurisdictions": "层级", "enums": "枚举",
    "facts": "事实", "parameters": "参数", "definitions": "定义", "outputs": "结论", "rules": "规则",
    "coverage": "覆盖表", "acknowledged": "已复核的警告", "zh": "中文", "en": "英文",
    # a document (§2)
    "id": "编号", "title": "标题", "issuer": "发文机关", "number": "文号", "jurisdiction": "层级", "extends": "上一级层级",
    "issued": "发文日期", "effective": "生效日期", "effective_until": "失效日期", "supersedes": "取代的文件",
    "dates_assumed": "日期推定", "source": "原文位置", "notes": "备注",
    # a jurisdiction, an enum, a fact (§3-§5)
    "name": "名称", "level": "级别", "parent": "上级", "cites": "引用的文件",
    "ordered": "有先后顺序", "values": "可选值", "labels": "取值名称",
    "type": "类型", "enum": "枚举名", "min": "最小值", "max": "最大值", "nullable": "可为“无”", "default": "默认值",
    "fields": "记录字段", "fact.document": "所属文件",
    # a parameter, a definition, an outcome (§6-§8)
    "value": "取值", "stricter": "从严方向", "favourable": "有利方向", "output": "结论", "subject": "对象",
    "expr": "表达式", "combine": "合并方式", "subjects": "对象",
    # a rule (§9.1), and as the diff names two of its keys: default → is_default, the scoring keys → table
    "when": "适用条件", "condition": "条件", "check": "核查条件", "requirement": "要求", "restates": "重申的规则",
    "replaces": "替换的规则", "binding": "约束力", "is_default": "默认标志", "deadline": "期限", "label": "名称",
    "citation": "条款", "reading": "解读", "ambiguity": "原文不清楚之处", "delegates": "交由下级规定", "note": "说明",
    "table": "评分表",
    # a scoring table (§9.4): grades → bands
    "cap": "封顶分", "score_output": "得分结论", "grade_output": "等次结论", "items": "评分项", "bonus": "加分项",
    "grades": "等级区间", "bands": "等级区间", "tiers": "档次", "points": "分值", "grade": "等次",
    "items.max": "满分", "bonus.max": "最高加分",
    # an acknowledged warning (§14)
    "code": "代码", "at": "位置", "about": "所指内容", "reason": "理由",
}


# A field of a model, compiled: (name, shape, default, expression_before).  ``default`` is
# ("required",), ("value", v), ("list",) or ("dict",) — the last two a fresh empty container.
# Shapes: ("str", pattern|None) ("int",) ("bool",) ("decimal",) ("date",) ("any",) ("none",)
# ("literal", values) ("list", shape) ("dict", key, value) ("union", shapes) ("model", name).
SHAPES_VERSION = 1  # bump when the meaning of a shape changes: the tables are then stale


def expression_text(v: Any) -> Any:
    """`value: false` or `points: 10` is an expression too: YAML reads it as a bool or a number."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return str(v)
    return v


# --- records ---------------------------------------------------------------------------


class Record:
    """A validated part of a rule file: read-only attributes named as the model's fields, and
    ``model_fields_set``, the fields the file wrote (as on a pydantic model)."""

    __slots__ = ("model_fields_set",)
    _fields: tuple[str, ...] = ()

    def __init__(self, values: dict[str, Any], given: frozenset[str]):
        for k in self._fields:
            object.__setattr__(self, k, values[k])
        object.__setattr__(self, "model_fields_set", given)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __hash__(self):
        return hash((type(self).__name__,) + tuple(getattr(self, f) for f in self._fields))

    def __repr__(self):
        return f"{type(self).__name__}(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields) + ")"

    def __reduce__(self):  # copy, deepcopy and pickle: the classes are made at run time
        return _rebuild, (type(self).__name__, self._fields, {f: getattr(self, f) for f in self._fields},
                          self.model_fields_set)


def _rebuild(name: str, fields: tuple[str, ...], values: dict[str, Any], given: frozenset[str]) -> Record:
    return _record_type(name, fields)(values, given)


_RECORD_TYPES: dict[tuple[str, tuple[str, ...]], type] = {}


def _record_type(name: str, fields: tuple[str, ...]) -> type:
    t = _RECORD_TYPES.get((name, fields))
    if t is None:
        t = _RECORD_TYPES[(name, fields)] = type(name, (Record,), {"__slots__": fields, "_fields": fields})
    return t


def is_text(v: Any) -> bool:
    """A label written as {zh, en} (rather than as plain text)."""
    return isinstance(v, Record) and type(v).__name__ == "Text"


Label = Union[str, Record]  # plain text, or a Text record {zh, en}


# what follows a number when an officer writes a count, a share or a sum with its unit
UNITS = frozenset("天日次个人年月元项家名分份期周%％万") | {"万元", "个月", "周年", "人次", "工作日"}


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile("[零〇一二两三四五六七八九十百]{1,6}")


def _chinese_number(text: str) -> int | None:
    """'三' 3, '十五' 15, '三十' 30, '一百二十' 120, '两百' 200: a number up to 999 in Chinese numerals, else None."""
    n, digit, seen, zero = 0, None, set(), False
    for ch in text:
        if ch in "零〇" and seen and digit is None:
            zero = True  # '一百零五': the zero holds the tens' place
            continue
        if ch in _CN_DIGITS:
            if digit is not None:
                return None  # '三三': no such number
            digit = _CN_DIGITS[ch]
        else:
            place = 10 if ch == "十" else 100
            if place in seen or any(p < place for p in seen):
                return None
            seen.add(place)
            n += (1 if digit is None else digit) * place
            digit = None
    if digit is not None and seen == {100} and not zero:
        digit *= 10  # '一百一' is 110, '两百五' 250: the tens, said without 十
    return n + (digit or 0)


def number_with_unit(value, chinese: bool = True) -> int | Decimal | None:
    """The number of a text that is only a number, or a number and a unit ('30', '30天', '30%', '１５',
    '5万元' — 50000 yuan, '三次' — 3, '“2”'): the number the officer meant; None for any other text
    ('3A级', '1:30', '三(一)') and any other value.  ``chinese=False``, where a number is not known to be meant:
    Chinese numerals count only with a unit of counting ('三次', '十五天'); alone or with 月, 年, 日 they are text
    ('七月' is a month, '三' may be a word)."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().strip("“”‘’「」")
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百]{1,6})\s*(\S*)\s*", text)
    if m is None or (m.group(2) and m.group(2) not in UNITS):
        return None
    if not m.group(1)[0].isdigit():
        counted = m.group(2) and m.group(2) not in ("月", "年", "日", "%", "％")
        n = _chinese_number(m.group(1)) if chinese or counted else None
        if n is None or m.group(2) in ("%", "％"):
            return None
    else:
        n = Decimal(m.group(1)) if "." in m.group(1) else int(m.group(1))
    if m.group(2) in ("万", "万元"):  # money is in yuan: 5万元 is 50000
        n = n * 10000
        n = int(n) if n == int(n) else n
    return n


_WRITTEN_DATE = re.compile(r"\s*([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*([0-9]{1,2})\s*日?\s*")


def written_date(text: Any) -> _dt.date | None:
    """The real date an officer wrote another way ('2028/3/15', '2028.3.15', '2028-3-15', '2028年3月15日',
    full-width digits): what to write instead (2028-03-15); None for anything else."""
    if not isinstance(text, str):
        return None
    m = _WRITTEN_DATE.fullmatch(unicodedata.normalize("NFKC", text))
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def is_iso_date(text: Any) -> bool:
    """``text`` is a real date written YYYY-MM-DD ('2024-07-02'): a date an officer put in quotes."""
    if not isinstance(text, str):
        return False
    try:
        return _dt.date.fromisoformat(text.strip()).isoformat() == text.strip()
    except ValueError:
        return False


def text_of(label: Any, lang: str = "zh") -> str:
    if label is None:
        return ""
    if isinstance(label, str):
        return label
    if lang == "en" and label.en:
        return label.en
    return label.zh


def coverage_text(entry: Any, lang: str = "zh") -> str | None:
    """What a coverage entry that encodes nothing says, in ``lang``: 'not decisional: why' as the
    file writes it, or the reason written {zh, en} after the words for "not decisional"
    (the English reason, or the Chinese where there is none).  None for a list of ids."""
    if isinstance(entry, str):
        return entry
    if is_text(entry):
        return f"not decisional: {entry.en or entry.zh}" if lang == "en" else f"不作决定：{entry.zh}"
    return None


# --- checking data against the shapes --------------------------------------------------


class _No(Exception):
    """The shapes do not accept the data: pydantic will say why."""


_NO = _No()
_SCALARS = {"int": int, "bool": bool, "decimal": Decimal, "date": _dt.date}


class _Validator:
    def __init__(self, models: dict[str, tuple]):
        self.models = models
        self.types = {name: _record_type(name, tuple(f[0] for f in fields)) for name, fields in models.items()}
        self.patterns: dict[str, re.Pattern] = {}

    def value(self, shape: tuple, v: Any) -> Any:
        k = shape[0]
        if k == "str":
            if type(v) is not str:
                raise _NO
            if shape[1] is not None:
                rx = self.patterns.get(shape[1])
                if rx is None:
                    rx = self.patterns[shape[1]] = re.compile(shape[1])
                if rx.fullmatch(v) is None:
                    raise _NO
            return v
        if k == "model":
            return self.model(shape[1], v)
        if k == "union":
            for s in shape[1]:
                try:
                    return self.value(s, v)
                except _No:
                    pass
            raise _NO
        if k == "list":
            if type(v) is not list:
                raise _NO
            return [self.value(shape[1], x) for x in v]
        if k == "dict":
            if type(v) is not dict:
                raise _NO
            return {self.value(shape[1], a): self.value(shape[2], b) for a, b in v.items()}
        if k == "none":
            if v is not None:
                raise _NO
            return v
        if k == "any":
            return v
        if k == "literal":
            for x in shape[1]:
                if type(x) is type(v) and x == v:
                    return v
            raise _NO
        if type(v) is not _SCALARS[k] or (k == "decimal" and not v.is_finite()):  # pydantic refuses NaN and infinities
            raise _NO
        return v

    def model(self, name: str, v: Any) -> Record:
        if type(v) is not dict:
            raise _NO
        fields = self.models[name]
        if len(v) > len(fields):
            raise _NO
        values, given = {}, 0
        for fname, shape, default, expr in fields:
            if fname in v:
                x = v[fname]
                values[fname] = self.value(shape, expression_text(x) if expr else x)
                given += 1
            elif default[0] == "value":
                values[fname] = default[1]
            elif default[0] == "list":
                values[fname] = []
            elif default[0] == "dict":
                values[fname] = {}
            else:
                raise _NO
        if given != len(v) or not all(type(k) is str for k in v):  # a key that is no field, or not plain text
            raise _NO
        return self.types[name](values, frozenset(f for f in values if f in v))


_validator: _Validator | None = None


def _shipped_models() -> dict[str, tuple] | None:
    try:
        from . import _model_tables as pre
    except ImportError:  # pragma: no cover - the file ships with the package
        return None
    return pre.MODELS if pre.FINGERPRINT == fingerprint() else None


def _get_validator() -> _Validator:
    global _validator
    if _validator is None:
        models = _shipped_models()
        _validator = _Validator(models if models is not None else compile_models())
    return _validator


def from_data(data: Any) -> Record | None:
    """The rule file ``data`` (as loaded) as a RuleFile record, or None when it does not fit
    the shapes (then ``model.RuleFile`` gives the errors)."""
    try:
        return _get_validator().model("RuleFile", data)
    except _No:
        return None


def from_model(obj: Any) -> Any:
    """A validated pydantic model (and what it holds) as records."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        fields = tuple(type(obj).model_fields)
        return _record_type(type(obj).__name__, fields)({f: from_model(getattr(obj, f)) for f in fields},
                                                        frozenset(obj.model_fields_set))
    # a container is rebuilt only where it holds models: an Any field's value is passed as it is
    if isinstance(obj, dict):
        out = {k: from_model(x) for k, x in obj.items()}
        return obj if all(out[k] is x for k, x in obj.items()) else out
    if isinstance(obj, list):
        items = [from_model(x) for x in obj]
        return obj if all(a is b for a, b in zip(items, obj)) else items
    return obj


# --- compiling the models --------------------------------------------------------------


def _model_source() -> bytes:
    return (Path(__file__).parent / "model.py").read_bytes()


def fingerprint() -> str:
    return hashlib.sha256(_model_source() + f"\nshapes {SHAPES_VERSION}".encode()).hexdigest()


def compile_models() -> dict[str, tuple]:
    """The shapes of ``model.RuleFile`` and every model it holds, in a fixed order."""
    import types
    import typing

    from pydantic import BaseModel
    from pydantic_core import PydanticUndefined

    from . import model as M

    out: dict[str, tuple] = {}

    def shape(t: Any) -> tuple:
        origin, args = typing.get_origin(t), typing.get_args(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            if t.model_config.get("strict") is not True or t.model_config.get("extra") != "forbid":
                raise TypeError(f"{t.__name__}: only strict models that forbid extra fields compile")
            if t.__name__ not in out:
                out[t.__name__] = ()  # a placeholder while its fields compile (recursion)
                out[t.__name__] = tuple(field(t, n, f) for n, f in t.model_fields.items())
            return ("model", t.__name__)
        if t is str:
            return ("str", None)
        if t is Any:
            return ("any",)
        if t is type(None):
            return ("none",)
        for name, py in _SCALARS.items():
            if t is py:
                return (name,)
        if origin is typing.Literal:
            if not all(type(a) in (str, int) for a in args):
                raise TypeError(f"unsupported literal {t!r}")
            return ("literal", tuple(args))
        if origin is list:
            return ("list", shape(args[0]))
        if origin is dict:
            return ("dict", shape(args[0]), shape(args[1]))
        if origin is Union or origin is types.UnionType:
            return ("union", tuple(shape(a) for a in args))
        raise TypeError(f"unsupported annotation {t!r}: teach records.compile_models about it")

    def field(model: type, name: str, f: Any) -> tuple:
        s = shape(f.annotation)
        for m in f.metadata:
            pattern = getattr(m, "pattern", None)
            if pattern is None or s[0] != "str" or not (pattern.startswith("^") and pattern.endswith("$")):
                raise TypeError(f"{model.__name__}.{name}: unsupported constraint {m!r}")
            s = ("str", pattern)
        if f.is_required():
            default: tuple = ("required",)
        elif f.default_factory is list:
            default = ("list",)
        elif f.default_factory is dict:
            default = ("dict",)
        elif f.default_factory is None and f.default is not PydanticUndefined and type(f.default) in (str, bool, int, type(None)):
            default = ("value", f.default)
        else:
            raise TypeError(f"{model.__name__}.{name}: unsupported default")
        expr = False
        for dec in model.__pydantic_decorators__.field_validators.values():
            if name in dec.info.fields:
                if dec.info.mode != "before" or getattr(dec.func, "__func__", dec.func) is not expression_text:
                    raise TypeError(f"{model.__name__}.{name}: unsupported validator {dec.func!r}")
                expr = True
        return (name, s, default, expr)

    shape(M.RuleFile)
    return out


def write_tables(path=None) -> str:
    """Regenerate ``_model_tables.py`` from ``model.py`` (the source of truth)."""
    import pprint
    from pathlib import Path

    text = ('"""Shapes of the rule-file models in model.py, generated by `python -m policyengine.records`: do not edit."""\n'
            f"FINGERPRINT = {fingerprint()!r}\n"
            f"MODELS = {pprint.pformat(compile_models(), width=120, sort_dicts=False)}\n")
    target = Path(path) if path else Path(__file__).with_name("_model_tables.py")
    target.write_text(text, encoding="utf-8")
    return str(target)


if __name__ == "__main__":  # pragma: no cover
    from policyengine import records as _package_module  # the validators of model.py refer to that module's functions

    print("wrote", _package_module.write_tables())
