"""Case files: a subject at a jurisdiction on a date, with its facts.

A case is read with the same safe loader as rule files, then checked against
the facts the layers on its path declare: unknown or misspelt facts (with a
did-you-mean), wrong types, fractional or negative counts, impossible dates,
unknown enum values (listing the allowed ones).  Every problem is a located
diagnostic; all of them are reported at once.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, PolicyError, Span, Text, as_written, str_of
from .load import DEFAULT_LIMITS, Limits, Loaded, load_file, load_text
from .records import SUBJECTS, number_with_unit, written_date
from .policy import PolicySet
from .types import T, did_you_mean, suggest

__all__ = ["Case", "load_case", "case_from_dict", "case_in_file", "validate_facts"]

_CASE_FIELDS = ("subject", "jurisdiction", "as_of", "facts", "expect", "name", "description")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


@dataclass(frozen=True)
class Case:
    subject: str
    jurisdiction: str
    as_of: _dt.date
    facts: dict[str, Any]
    path: str = "<case>"
    expect: dict[str, Any] | None = None
    name: str | None = None
    loaded: Loaded | None = field(default=None, compare=False, repr=False)
    # the facts the engine filled in with their defaults (name -> fingerprint of the default), kept by pickling and
    # dataclasses.replace: a jurisdiction override revalidates what the case gave, not the defaults beside it
    defaulted: dict | None = field(default=None, compare=False, repr=False)
    # (the policy set that validated it, a fingerprint of its facts then): a Case built by hand, changed since
    # (its facts are a dict), or validated by other policies is validated again when decided
    _valid: Any = field(default=None, init=False, compare=False, repr=False)

    def valid_for(self, ps: PolicySet) -> bool:
        """Whether ``ps`` validated this case and its facts are still, type for type, those it validated."""
        v = self._valid
        if v is None or v[0] is not ps:
            return False
        try:
            return _fingerprint(self.facts) == v[1]
        except Exception:  # (a value of the caller's own that cannot be looked at: validated again, said there)
            return False

    def given_facts(self) -> dict[str, Any]:
        """The facts as the case gave them: without the defaults the engine filled in (where still unchanged)."""
        if not isinstance(self.facts, dict):
            return self.facts  # (not a mapping: the validation says so)
        filled = self.defaulted or {}
        return {k: v for k, v in self.facts.items() if k not in filled or _fingerprint(v) != filled[k]}

    def __getstate__(self) -> dict:  # (a pickled case does not carry the policy set that validated it)
        return {**self.__dict__, "_valid": None}

    def __copy__(self) -> "Case":  # a copy in this process stays validated (its fingerprint is of values)
        c = object.__new__(Case)
        c.__dict__.update(self.__dict__)
        return c

    def __deepcopy__(self, memo: dict) -> "Case":
        c = object.__new__(Case)
        c.__dict__.update({k: v if k in ("_valid", "loaded") else copy.deepcopy(v, memo)
                           for k, v in self.__dict__.items()})
        return c


def _fingerprint(v: Any) -> Any:
    """A value with the type of every part beside it, so that 1 and True, or 2023 and 2023.0, differ, and a
    comparison stops at a type before it reaches a value of the caller's own (whose == might do anything)."""
    t = type(v)
    if t is dict:
        return t, tuple((type(k), k, type(x), x if type(x) in _ATOMS else _fingerprint(x)) for k, x in v.items())
    if t is list or t is tuple:
        return t, tuple((type(x), x if type(x) in _ATOMS else _fingerprint(x)) for x in v)
    return t, v


_ATOMS = frozenset((str, int, bool, type(None), Decimal, _dt.date))  # compared as they are, beside their type


class _Problems:
    """The diagnostics of one case.  ``given`` names the fields that an argument (``--jurisdiction``,
    ``jurisdiction=``) set over the file's own: a problem there has no place in the file."""

    def __init__(self, loaded: Loaded | None, path: str, given: Any = (), at: tuple = (), named: Text | None = None):
        self.loaded, self.path, self.given, self.items = loaded, path, given, []
        self.at, self.named = at, named  # a case inside a test file: where it is, and which case in words

    def add(self, code: str, message: Text, where: tuple, hint: Text | None = None, key: bool = False) -> None:
        field_name = ".".join(_str(p) for p in where)
        msg = Text(f"{field_name or '（文件）'}：{message.zh}", f"{field_name or '(file)'}: {message.en}")
        if self.named is not None:
            msg = Text(f"{self.named.zh}：{msg.zh}", f"{self.named.en}: {msg.en}")
        where = self.at + where
        if where and where[0] in self.given:
            self.items.append(Diagnostic(code, Text(f"{msg.zh}（这个值来自命令参数，不是 {self.path} 文件里写的）",
                                                    f"{msg.en} (given as an argument for {self.path})"), None, hint=hint))
        elif self.loaded is not None:
            self.items.append(self.loaded.diag(code, msg, where, key=key, hint=hint))
        else:
            self.items.append(Diagnostic(code, msg, Span(self.path, 1, 1), hint=hint))


def _as_date(v: Any) -> _dt.date | None:
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        # a subclass's own methods (isoformat …) never run later: the date it holds, as a plain date
        return v if type(v) is _dt.date else _dt.date.fromordinal(_dt.date.toordinal(v))
    if isinstance(v, str) and _ISO.match(v):
        try:
            return _dt.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def load_case(path: str | Path, ps: PolicySet, limits: Limits = DEFAULT_LIMITS) -> Case:
    loaded = load_file(path, limits)
    return _from_loaded(loaded, ps)


def case_from_dict(data: dict, ps: PolicySet, path: str = "<case>") -> Case:
    """A case given as a Python mapping (the library API)."""
    return _build(data, ps, _Problems(None, path), path, None)


def case_in_file(loaded: Loaded, at: tuple, named: Text, data: dict, ps: PolicySet) -> Case:
    """A case of a test file (the mapping ``data`` at ``at`` in ``loaded``, without its test keys):
    each problem located at its line in that file and naming the case (``named``)."""
    return _build(data, ps, _Problems(loaded, loaded.path, at=at, named=named), loaded.path, loaded)


def case_from_text(text: str, ps: PolicySet, path: str = "<case>", limits: Limits = DEFAULT_LIMITS) -> Case:
    return _from_loaded(load_text(text, path, limits), ps)


def _from_loaded(loaded: Loaded, ps: PolicySet) -> Case:
    return _build(loaded.data, ps, _Problems(loaded, loaded.path), loaded.path, loaded)


def _build(data: Any, ps: PolicySet, pr: _Problems, path: str, loaded: Loaded | None, mark: bool = True) -> Case:
    """The validated case; ``mark``: remember what was validated (for a Case handed back to the caller, who may
    change it or decide it later; not for one decided at once and dropped)."""
    if not isinstance(data, dict):
        pr.add("PE060", NOT_A_CASE, (), hint=Text("文件以 'subject: commissioner' 这样的一行开头",
                                                  "start with 'subject: commissioner'"))
        raise PolicyError(pr.items)
    for k in data:
        if k not in _CASE_FIELDS:
            s = suggest(_str(k), _CASE_FIELDS)
            pr.add("PE060", _unknown_field(k), (k,), hint=did_you_mean(s) if s else
                   Text("案例可以有的项：" + "、".join(_CASE_FIELDS), "a case has: " + ", ".join(_CASE_FIELDS)), key=True)
    for k in ("subject", "jurisdiction", "as_of"):
        if k not in data:
            pr.add("PE060", _missing(k), (), hint=Text(f"请加上一行“{k}: …”", f"add '{k}:'"))
    subject = _plain(data.get("subject"))
    if "subject" in data and (not isinstance(subject, str) or subject not in SUBJECTS):
        s = suggest(_str(subject), SUBJECTS)
        pr.add("PE060", Text(f"不认识的对象类型 {_show(subject)}", f"unknown subject {_show(subject)}"), ("subject",),
               hint=_choose(s, "对象类型", "subjects", SUBJECTS))
    jur = _plain(data.get("jurisdiction"))
    if "jurisdiction" in data and (not isinstance(jur, str) or jur not in ps.jurisdictions):  # (a list is unhashable)
        s = suggest(_str(jur), ps.jurisdictions)
        pr.add("PE060", Text(f"不认识的地区（jurisdiction）{_show(jur)}", f"unknown jurisdiction {_show(jur)}"), ("jurisdiction",),
               hint=_choose(s, "地区", "jurisdictions", sorted(ps.jurisdictions)))
    as_of = _as_date(data.get("as_of"))
    if "as_of" in data and as_of is None:
        pr.add("PE060", Text(f"as_of 必须是 年-月-日（YYYY-MM-DD）格式的真实日期，这里是 {_show(data.get('as_of'))}",
                             f"as_of must be a real date YYYY-MM-DD, not {_show(data.get('as_of'))}"), ("as_of",), hint=_DATE_HINT)
    facts_in = _plain(data.get("facts", {}))
    if facts_in is None:
        facts_in = {}
    if not isinstance(facts_in, dict):
        hint = Text("每个事实写一行，例如 service_days: 40", "one fact a line, e.g. service_days: 40")
        if isinstance(facts_in, str) and "：" in facts_in:  # 'service_days：40' alone is one text to YAML
            hint = Text("这里用了全角冒号“：”，YAML 把整行当成了文字；改为半角冒号加一个空格，如 service_days: 40",
                        "a full-width colon '：' makes YAML read the line as text; write an ASCII colon and a space: "
                        "service_days: 40")
        pr.add("PE060", Text("facts 必须是“事实名: 值”的映射", "facts must be a mapping of fact names to values"), ("facts",),
               hint=hint)
        facts_in = {}
    expect = data.get("expect")
    if expect is not None and not isinstance(expect, dict):
        pr.add("PE060", Text("expect 必须是“结果名: 值”的映射", "expect must be a mapping of outcome names to values"), ("expect",),
               hint=Text("每个预期结果写一行，例如 eligible: true", "one outcome a line, e.g. eligible: true"))
        expect = None
    facts: dict[str, Any] = {}
    if pr.items:
        raise PolicyError(pr.items)
    facts = validate_facts(ps, subject, jur, facts_in, pr)
    if pr.items:
        raise PolicyError(pr.items)
    if not mark:
        return Case(subject, jur, as_of, facts, path, expect, data.get("name"), loaded)
    case = Case(subject, jur, as_of, facts, path, expect, data.get("name"), loaded,
                {k: _fingerprint(v) for k, v in facts.items() if k not in facts_in})
    object.__setattr__(case, "_valid", (ps, _fingerprint(facts)))
    return case


def validate_facts(ps: PolicySet, subject: str, jurisdiction: str, given: dict, pr: _Problems) -> dict[str, Any]:
    decls = ps.declared_facts(subject, jurisdiction)
    out: dict[str, Any] = {}
    for name, value in given.items():
        where = ("facts", name)
        f = decls.get(name)
        if f is None:
            s = suggest(_str(name), decls)
            other = [subj for (subj, n) in ps.facts if n == name and subj != subject]
            zh = f"是不是想写“{s}”？" if s else ""
            en = f"did you mean '{s}'?" if s else ""
            if other:
                zh += f"“{_str(name)}”是 {other[0]} 的事实，不是 {subject} 的"
                en = (en + " " if en else "") + f"'{_str(name)}' is a fact of {other[0]}, not of {subject}"
            if not zh:
                zh, en = ("请检查拼写；这个地区的规则没有声明这个事实", "check the spelling; the rules of this jurisdiction "
                                                                     "declare no such fact")
            pr.add("PE061", Text(f"{jurisdiction} 的规则里没有对象 {subject} 的事实“{_str(name)}”",
                                 f"unknown fact '{_str(name)}' for {subject} at {jurisdiction}"), where, hint=Text(zh, en), key=True)
            continue
        v = _coerce(f.type, f.nullable, value, where, pr, f.min, f.max)
        if v is not _BAD:
            out[name] = v
    for name, f in decls.items():
        if name not in out and f.has_default and name not in given:
            out[name] = _fresh(f.default)
    return out


def _fresh(v: Any) -> Any:
    """A default as a case holds it: lists as tuples, records as new dicts, so that no two cases
    share a mutable object (a caller changing one case's list changes no other decision)."""
    if isinstance(v, (list, tuple)):
        return tuple(_fresh(x) for x in v)
    if isinstance(v, dict):
        return {k: _fresh(x) for k, x in v.items()}
    return v


_BAD = object()


def _plain(v: Any) -> Any:
    """A value of one of the caller's own subclasses (a ``str`` or ``int`` subclass, a mapping that
    is not a dict) as the plain value it stands for, so that nothing of the caller's code runs later."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, int):
        return int.__index__(v)
    if isinstance(v, Decimal):
        return Decimal(v)
    if isinstance(v, Mapping):
        try:
            return dict(v.items())
        except RecursionError:
            raise
        except Exception as e:  # the caller's own mapping, failing: theirs to hear of, as a PE090
            raise PolicyError(Diagnostic("PE090", Text(f"无法读取案例中的一个映射：{type(e).__name__}",
                                                       f"a mapping in the case could not be read: {type(e).__name__}"),
                                         None, hint=Text("请传入普通的 dict", "pass plain dicts"))) from None
    return v


_PLAIN = frozenset((str, int, bool, type(None), Decimal, dict, list, tuple, _dt.date))
_PLAIN_KEYS = frozenset((str, int, bool, float, type(None), Decimal, _dt.date))


def own_copy(v: Any, depth: int = 0) -> Any:
    """The caller's case as plain data: mappings as dicts, lists and tuples as lists, ``str`` and ``int``
    subclasses as the plain values they stand for — all of the caller's own code (a mapping's items(), a key's
    __eq__, an int's __index__) runs here, once, and an exception it raises is the caller's to hear of, not
    the validation's.  Deeper than Python's own limits is a RecursionError, as for any case."""
    t = type(v)
    if t in _PLAIN_KEYS:
        return v
    if t is dict or (isinstance(v, Mapping) and not isinstance(v, (str, int))):
        out = {}
        for k, x in (v.items() if t is dict else dict(v.items()).items()):
            if type(k) not in _PLAIN_KEYS:
                k = _plain(k) if isinstance(k, (str, int)) and not isinstance(k, bool) else k
                k = k if type(k) in _PLAIN_KEYS else f"<{type(k).__name__}>"
            out[k] = x if type(x) in _PLAIN_KEYS else own_copy(x, depth + 1)
        return out
    if t is list or t is tuple or isinstance(v, (list, tuple)):
        return [x if type(x) in _PLAIN_KEYS else own_copy(x, depth + 1) for x in v]
    if isinstance(v, (str, int, Decimal)) and not isinstance(v, bool):
        return _plain(v)
    return v


def _coerce(t: T, nullable: bool, v: Any, where: tuple, pr: _Problems, lo: Any = None, hi: Any = None) -> Any:
    if type(v) not in _PLAIN:
        v = _plain(v)
    if v is None:
        if nullable or t.nullable:
            return None
        pr.add("PE062", Text("这里不能写空值（null）", "null is not allowed here"), where,
               hint=Text("如果不知道这个事实，就不要写这一项", "leave the fact out if it is not known"))
        return _BAD
    k = t.kind
    if k == "bool":
        if isinstance(v, bool):
            return v
        pr.add("PE062", _expected("true 或 false", "true or false", v), where,
               hint=Text("写 true 或 false，不加引号", "write true or false without quotes"))
        return _BAD
    if k in ("int", "decimal") and isinstance(v, float):  # (a Parquet DOUBLE, a float from the caller's code)
        pr.add("PE062", Text(f"这里应当是{'整数' if k == 'int' else '精确的数字'}，但给出的是浮点数 {_show(v)}（二进制小数，不精确）",
                             f"expected {'a whole number' if k == 'int' else 'an exact number'}, got the float {_show(v)} "
                             "(binary, inexact)"), where,
               hint=Text("Parquet 中请用 INT64、DECIMAL 或文字列；程序中请传入 int、Decimal 或文字，如 Decimal(\"20.5\")",
                         "in Parquet use an INT64, DECIMAL or text column; from code pass an int, a Decimal or text, "
                         "such as Decimal(\"20.5\")"))
        return _BAD
    if k == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():  # (sNaN would raise)
                whole = f"{int(v)}" if v.is_zero() or v.adjusted() < _MAX_DIGITS else ""  # (the number meant, where it is in range)
                e = v.as_tuple().exponent  # how it was written: 1E+2, 100.0, or Decimal("100") from code
                zh_how, en_how = (("不要用指数写法", "without the exponent") if e > 0 else
                                  ("请去掉小数点", "without the decimal point") if e < 0 else ("请传入整数（int）", "as an int"))
                if not whole or lo is not None and int(v) < lo or hi is not None and int(v) > hi:
                    # (the number meant is out of range: say the range, not "write 4000" or a number of a million digits)
                    zh, en = _range_words(lo, hi) if lo is not None or hi is not None else \
                        (f"不超过 {_MAX_DIGITS} 位", f"of at most {_MAX_DIGITS} digits")
                    hint = Text(f"{zh_how}，写一个{zh}的整数", f"write a whole number {en}, {en_how}")
                else:
                    hint = Text(f"{zh_how}，写 {whole}", f"write it {en_how}: {whole}")
            elif isinstance(v, Decimal):
                hint = Text("人数、天数等计数是整数", "a count is a whole number")
            else:
                hint = _number_hint(v, Text("写一个整数，不加引号", "write a whole number without quotes"))
            pr.add("PE062", _expected("整数", "a whole number", v), where, hint=hint)
            return _BAD
        return _bounded(v, where, pr, lo, hi)
    if k == "decimal":
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            pr.add("PE062", _expected("数字", "a number", v), where,
                   hint=_number_hint(v, Text("写一个数字，不加引号", "write a number without quotes")))
            return _BAD
        if isinstance(v, Decimal) and not v.is_finite():
            pr.add("PE062", Text("不能是非数字（NaN）或无穷大", "not-a-number and infinity are not allowed"), where,
                   hint=Text("请写一个普通的数字", "write an ordinary number"))
            return _BAD
        return _bounded(Decimal(v), where, pr, lo, hi)
    if k == "date":
        d = _as_date(v)
        if d is None:
            none = isinstance(v, str) and v.strip() in _NONE_WORDS
            meant = written_date(v)
            pr.add("PE062", _expected("年-月-日（YYYY-MM-DD）格式的真实日期", "a real date YYYY-MM-DD", v), where,
                   hint=_NO_DATE if none else Text(f"写 {meant.isoformat()}", f"write {meant.isoformat()}") if meant
                   else _DATE_HINT)
            return _BAD
        return d
    if k == "string":
        if isinstance(v, str):
            return v
        pr.add("PE062", _expected("文字", "text", v), where, hint=Text("把值写成文字，必要时加引号", "write the value as text, quoted if need be"))
        return _BAD
    if k == "enum":
        if isinstance(v, str) and v in t.enum.values:
            return v
        pr.add("PE062", Text(f"{_show(v)} 不是允许的取值", f"{_show(v)} is not one of the allowed values"), where,
               hint=t.enum.choices(v, _str(v)))
        return _BAD
    if k == "list":
        if not isinstance(v, (list, tuple)):  # a tuple, as Case.facts holds lists, is a list too
            pr.add("PE062", _expected("列表", "a list", v), where,
                   hint=Text("写成列表：YAML 中每一项另起一行，以“- ”开头；JSON 中写成 [ … ]",
                             "write a list: in YAML one item a line, each starting with '- '; in JSON [ … ]"))
            return _BAD
        rec = t.elem
        out = []
        wrong = 0  # items found wrong so far: a list of 200,000 wrong records gave 200,000 diagnostics (14 s)
        for i, item in enumerate(v):
            if wrong >= MAX_WRONG_ITEMS:
                rest = len(v) - i
                pr.add("PE062", Text(f"前 {wrong} 项有错，其余 {rest:,} 项没有检查", f"{wrong} items are wrong; the other "
                                     f"{rest:,} were not checked"), where,
                       hint=Text("请先改正上面列出的各项，再检查其余各项", "fix the items above, then check the rest again"))
                return _BAD
            before = len(pr.items)
            iw = where + (i,)
            item = _plain(item)
            if not isinstance(item, dict):
                pr.add("PE062", Text(f"这一项应当是含有 {'、'.join(n for n, _ in rec.fields)} 的映射",
                                     f"expected a mapping with {', '.join(n for n, _ in rec.fields)}"), iw,
                       hint=Text("每一项写成“字段: 值”（JSON 中写成 {\"字段\": 值}）", "write each item as 'field: value' pairs (in JSON {\"field\": value})"))
                wrong += 1
                continue
            r = {}
            for fname, ftype in rec.fields:
                if fname not in item:
                    pr.add("PE062", _missing(fname), iw, hint=Text(f"请给这一项加上“{fname}: …”", f"add '{fname}:' to the item"))
                    continue
                x = _coerce(ftype, False, item[fname], iw + (fname,), pr, 0 if ftype.kind == "int" else None)
                if x is not _BAD:
                    r[fname] = x
            for extra in item:
                if rec.field(extra) is None:
                    s = suggest(_str(extra), [n for n, _ in rec.fields])
                    pr.add("PE062", _unknown_field(extra), iw + (extra,),
                           hint=_choose(s, "字段", "fields", [n for n, _ in rec.fields]), key=True)
            wrong += len(pr.items) > before
            out.append(r)
        return tuple(out)
    return v


_MAX_DIGITS = DEFAULT_LIMITS.max_int_digits


MAX_WRONG_ITEMS = 20  # a list's items reported wrong before the rest are left unchecked (one diagnostic says so)


def _range_words(lo, hi) -> tuple[str, str]:
    """The allowed range of a number, in Chinese and English (either bound may be absent)."""
    if lo is not None and hi is not None:
        return f" {lo} 到 {hi} 之间", f"from {lo} to {hi}"
    if lo is not None:
        return f"不小于 {lo} ", f"of at least {lo}"
    return f"不大于 {hi} ", f"of at most {hi}"


def _bounded(v, where, pr, lo, hi):
    # (copy_abs and comparisons need no decimal context: the caller's, with Inexact trapped or a precision of
    # 1, never reaches a case's numbers, and 1E+1000000 overflows nothing)
    if (v.copy_abs() if type(v) is Decimal else abs(v)) >= 10 ** _MAX_DIGITS:  # what the loader refuses in a file, refused from the API too
        pr.add("PE063", Text(f"超过 {_MAX_DIGITS} 位的数字超出了范围", f"a number of more than {_MAX_DIGITS} digits is out of range"), where,
               hint=Text("人数、天数和金额（元）都远小于此，请检查这个值", "counts, days and yuan are far smaller; check the value"))
        return _BAD
    if lo is not None and v < lo:
        pr.add("PE063", Text(f"{v} 小于允许的最小值 {lo}", f"{v} is below the smallest allowed value {lo}"), where,
               hint=Text("人数和天数不能是负数", "counts and days cannot be negative") if lo == 0 else _CHECK_VALUE)
        return _BAD
    if hi is not None and v > hi:
        pr.add("PE063", Text(f"{v} 大于允许的最大值 {hi}", f"{v} is above the largest allowed value {hi}"), where, hint=_CHECK_VALUE)
        return _BAD
    return v


NOT_A_CASE = Text("案例文件必须是一个映射，包含 subject、jurisdiction、as_of 和 facts",
                  "a case file must be a mapping with subject, jurisdiction, as_of and facts")
_DATE_HINT = Text("例如 2024-03-01；日期必须在日历上真实存在", "e.g. 2024-03-01; the date must exist in the calendar")
_NONE_WORDS = frozenset({"无", "没有", "暂无", "否", "不适用", "-", "—", "none", "None", "无日期"})
_NO_DATE = Text("没有这个日期时，删去这一行（不填写这个事实）", "where there is no such date, remove the line (leave the fact out)")
_CHECK_VALUE = Text("请对照规则文件里的范围检查这个值", "check the value against the range the rule files declare")


def _number_hint(v: Any, otherwise: Text) -> Text:
    """'40天', '４０', '"40"': the number to write; else ``otherwise`` (or, for other text, a number alone)."""
    n = number_with_unit(v)
    if n is not None:
        return Text(f"写 {n}：不加引号或单位，用半角数字", f"write {n}: no quotes or unit, in ASCII digits")
    if isinstance(v, str):
        return Text("只写一个数字：不加引号、单位或分隔符", "write one number alone: no quotes, unit or separator")
    return otherwise


def _choose(s: str | None, zh: str, en: str, names) -> Text:
    """'did you mean …? subjects: a, b, c' in both languages."""
    return Text((f"是不是想写“{s}”？" if s else "") + f"{zh}：" + "、".join(names),
                (f"did you mean '{s}'? " if s else "") + f"{en}: " + ", ".join(names))


def _unknown_field(k: Any) -> Text:
    return Text(f"不认识的项“{_str(k)}”", f"unknown field '{_str(k)}'")


def _missing(k: str) -> Text:
    return Text(f"缺少“{k}”", f"'{k}' is missing")


def _expected(zh: str, en: str, v: Any) -> Text:
    return Text(f"这里应当是{zh}，但写的是 {_show(v)}", f"expected {en}, got {_show(v)}")


_str = str_of  # (names: unknown fact 'x'; a value is shown as_written)
_show = as_written


# what the json module says, in the officer's words (its messages are English and name no fix); every
# message of the json module, or of our own JSON readers, that reaches a Chinese message goes through json_says
_JSON_SAYS = {
    "Expecting property name enclosed in double quotes": "这里应当是用半角双引号 \" 括起来的字段名",
    "Expecting value": "这里应当是一个值（数字、\"文字\"、true、false、null、[…] 或 {…}）",
    "Expecting ',' delimiter": "这里缺少半角逗号 ,",
    "Expecting ':' delimiter": "这里缺少半角冒号 :",
    "Extra data": "JSON 已经结束，后面还有多余的内容",
    "Unterminated string starting at": "这个引号没有闭合",
    "Invalid control character at": "引号里有换行或控制字符",
    "Invalid \\escape": "反斜杠 \\ 后面的转义无效",
    "Invalid \\uXXXX escape": "\\u 后面应当是 4 位十六进制数字",
    # (Python 3.13 and later)
    "Illegal trailing comma before end of object": "} 前面多了一个逗号",
    "Illegal trailing comma before end of array": "] 前面多了一个逗号",
}
# the messages with a part of their own: the pure-Python decoder's, and those of the readers in batch/io.py
_JSON_SHAPES = [(re.compile(p + r"\Z", re.S), t) for p, t in [
    (r"Invalid control character (.*) at", "引号里有换行或控制字符"),
    (r"Invalid \\escape: (.*)", "反斜杠 \\ 后面的转义无效"),
    (r"(-?Infinity|NaN) is not a number", "{0} 不是数字，JSON 里不能写非数字和无穷大"),
    (r"Exceeds the limit \((\d+) digits\) for integer string conversion.*", "整数超过 {0} 位"),
]]


def json_says(msg: str) -> str:
    """What the json module (or one of our JSON readers) says, in Chinese; a message not in the tables as it is."""
    said = _JSON_SAYS.get(msg)
    if said is not None:
        return said
    for pattern, zh in _JSON_SHAPES:
        m = pattern.match(msg)
        if m:
            return zh.format(*m.groups())
    return msg


_FULL_WIDTH = "“”‘’，：［］｛｝"


def json_hint(text: str, e: json.JSONDecodeError, lang: str) -> str:
    """The likely fix of JSON text that does not parse, in ``lang`` ("" where none is likely): full-width
    punctuation, a comma after the last item, text without quotes, a list or object not closed."""
    zh = lang == "zh"
    word = re.match(r"[^\W\d]\w*", text[e.pos:])
    if any(c in text for c in _FULL_WIDTH):
        return "把全角符号 “ ” ， ： 改成半角的 \" , :" if zh else "full-width punctuation “ ” ， ： must be ASCII \" , :"
    if text[:e.pos].rstrip().endswith(",") and e.msg.startswith("Expecting"):
        return "最后一项后面不要加逗号" if zh else "no comma after the last item"
    if word and e.msg == "Expecting value":
        return f"文字要加半角双引号：\"{word.group()}\"" if zh else f"text is quoted: \"{word.group()}\""
    if e.pos >= len(text.rstrip()) and e.msg.startswith("Expecting"):  # the text ends before its brackets close
        stack: list[str] = []  # the brackets still open (a bracket inside a text is counted too: a hint)
        for c in text:
            if c in "[{":
                stack.append(c)
            elif c in "]}" and stack:
                stack.pop()
        if stack:
            close = "".join("]" if c == "[" else "}" for c in reversed(stack))
            return f"列表或对象没有闭合：结尾缺少 {close}" if zh else f"a list or object is not closed: add {close} at the end"
    return ""


def json_problem(text: str, e: json.JSONDecodeError, lang: str) -> str:
    """JSON text that does not parse (a workbench field, a request body): where (line and column), what is
    wrong, and the likely fix, in ``lang``."""
    zh = lang == "zh"
    hint = json_hint(text, e, lang)
    if not zh:
        return f"not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}" + (f" ({hint})" if hint else "")
    return f"不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列，{json_says(e.msg)}" + (f"（{hint}）" if hint else "")
