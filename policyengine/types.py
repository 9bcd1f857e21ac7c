"""Types of the expression language and the type checker.

Types are small frozen values.  ``typecheck`` walks an AST in a name
environment and returns the expression's type, collecting problems as
:class:`TypeProblem` (offset in the expression, code, message, hint); the
caller locates them in the file.
"""
from __future__ import annotations

import datetime as _dt
from collections import ChainMap
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

from . import ast as A
from .diagnostics import Text
from .records import is_iso_date

__all__ = ["T", "EnumType", "BOOL", "INT", "DECIMAL", "DATE", "STRING", "NULL", "ANY", "list_of", "record_of",
           "TypeProblem", "Env", "typecheck", "FUNCTIONS", "suggest"]


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    ordered: bool
    # each value's label as (zh, en), where the pack gives one: for messages only (an officer writes 大专)
    labels: tuple[tuple[str, str] | None, ...] = field(default=(), compare=False, repr=False)

    def rank(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.values)}

    def value_labelled(self, text: str) -> str | None:
        """The value whose label is ``text`` (大专 → junior_college), or the one value whose label holds it or
        is held in it (博士 → doctorate, labelled 博士研究生), if any."""
        text = text.strip()
        labelled = [(v, lab) for v, lab in zip(self.values, self.labels) if lab is not None]
        for v, lab in labelled:
            if text in lab:
                return v
        near = [v for v, lab in labelled if len(text) >= 2 and any(text in x or x in text for x in lab if x)]
        return near[0] if len(near) == 1 else None

    def nearest(self, v, spelled: str | None = None) -> str | None:
        """The value meant by ``v``: the one its label names (博士), else the nearest to its spelling
        (``spelled``: ``v`` as text, where str() of it may not be safe)."""
        return ((self.value_labelled(v) if isinstance(v, str) else None)
                or suggest(str(v) if spelled is None else spelled, self.values))

    def choices(self, v, spelled: str | None = None) -> Text:
        """'did you mean …? allowed: each value with its label', for a value ``v`` that is none of them."""
        s = self.nearest(v, spelled)
        return Text((f"是不是想写“{s}”？" if s else "") + "允许的取值：" + self.listing("zh"),
                    (f"did you mean '{s}'? " if s else "") + "allowed: " + self.listing("en"))

    def listing(self, lang: str) -> str:
        """The values, each with its label: 'junior_college（大专）、bachelor（本科）…'."""
        labels = self.labels or (None,) * len(self.values)
        if lang == "zh":
            return "、".join(f"{v}（{lab[0]}）" if lab else v for v, lab in zip(self.values, labels))
        return ", ".join(f"{v} ({lab[1]})" if lab and lab[1] != v else v for v, lab in zip(self.values, labels))


@dataclass(frozen=True)
class T:
    kind: str  # bool int decimal date string enum list record null any
    enum: EnumType | None = None
    elem: "T | None" = None
    fields: tuple[tuple[str, "T"], ...] = ()
    nullable: bool = False

    def __str__(self) -> str:
        if self.kind == "enum" and self.enum:
            s = f"{self.enum.name}"
        elif self.kind == "list":
            s = f"list of {self.elem}"
        elif self.kind == "record":
            s = "record{" + ", ".join(n for n, _ in self.fields) + "}"
        else:
            s = self.kind
        return s

    @property
    def zh(self) -> str:
        """The type in the words of a policy officer."""
        if self.kind == "enum" and self.enum:
            return self.enum.name
        if self.kind == "list":
            return f"{self.elem.zh if self.elem else '任意值'}的列表"
        if self.kind == "record":
            return "记录{" + "、".join(n for n, _ in self.fields) + "}"
        return _KIND_ZH.get(self.kind, self.kind)

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal")

    def field(self, name: str) -> "T | None":
        for n, t in self.fields:
            if n == name:
                return t
        return None

    def with_null(self) -> "T":
        return T(self.kind, self.enum, self.elem, self.fields, True)


_KIND_ZH = {"bool": "是非值（true/false）", "int": "整数", "decimal": "数字", "date": "日期", "string": "文字",
            "null": "空值（null）", "any": "任意值"}

BOOL, INT, DECIMAL, DATE, STRING, NULL, ANY = (T(k) for k in ("bool", "int", "decimal", "date", "string", "null", "any"))


def list_of(t: T) -> T:
    return T("list", elem=t)


def record_of(fields: dict[str, T]) -> T:
    return T("record", fields=tuple(sorted(fields.items())))


@dataclass(frozen=True)
class TypeProblem:
    code: str
    message: Text
    offset: int
    length: int = 1
    hint: Text | None = None


def type_of_value(v) -> T:
    """The type of a literal value (None is null)."""
    if v is None:
        return NULL
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, int):
        return INT
    if isinstance(v, Decimal):
        return DECIMAL
    if isinstance(v, _dt.date):
        return DATE
    since = getattr(v, "since", None)  # a parameter's history, folded into in_force_on() by the compiler
    if since is not None:
        return next((type_of_value(x) for _, x in since if x is not None), NULL).with_null()
    return STRING


# Did-you-mean compares a name with every candidate: with thousands of unknown names against
# thousands of declared ones that is quadratic.  Within suggestion_budget() (check runs in one)
# the comparisons are counted and, once SUGGESTION_BUDGET is spent, the remaining unknown names
# get no suggestion: the work stays linear in the input.
SUGGESTION_BUDGET = 100_000
_SUGGESTIONS: ContextVar = ContextVar("policyengine_suggestions", default=None)


@contextmanager
def suggestion_budget(comparisons: int = SUGGESTION_BUDGET):
    token = _SUGGESTIONS.set([comparisons])
    try:
        yield
    finally:
        _SUGGESTIONS.reset(token)


def suggest(name: str, candidates) -> str | None:
    candidates = list(candidates)
    left = _SUGGESTIONS.get()
    if left is not None:
        if left[0] < len(candidates):
            return None
        left[0] -= len(candidates)
    import difflib  # (only for a name that is not known)

    m = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return m[0] if m else None


@dataclass
class Env:
    """Names visible to an expression, with their types.  ``kinds`` says what each name is."""

    names: dict[str, T]
    kinds: dict[str, str] = field(default_factory=dict)  # name -> fact/parameter/definition/output
    # (the subject read, {name: subject} of the facts of other subjects): for the message on reading one
    others: tuple[str, dict[str, str]] = ("", {})

    def child(self, var: str, t: T) -> "Env":
        # a view over the outer names, not a copy of them (an aggregate in each of thousands of
        # expressions would copy every name each time)
        return Env(ChainMap({var: t}, self.names), ChainMap({var: "variable"}, self.kinds), self.others)


# name -> (min args, max args or None, result type function)
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "date": (1, 1, "a date written as text: date(\"2024-03-01\")"),
    "years_after": (2, 2, "years_after(date, years): the day a period of N years from date ends (民法典 第二百零一至二百零三条)"),
    "months_after": (2, 2, "months_after(date, months): the day a period of N months from date ends"),
    "days_after": (2, 2, "days_after(date, days): date plus N days"),
    "days_between": (2, 2, "days_between(earlier, later): days from one date to the other"),
    "year_of": (1, 1, "year_of(date)"),
    "month_of": (1, 1, "month_of(date)"),
    "day_of": (1, 1, "day_of(date)"),
    "min": (2, None, "min(a, b, ...)"),
    "max": (2, None, "max(a, b, ...)"),
    "abs": (1, 1, "abs(number)"),
    "coalesce": (2, None, "coalesce(a, b, ...): the first value that is not null"),
    "len": (1, 1, "len(list)"),
    "in_force_on": (2, 2, "in_force_on(date, parameter): the parameter's value in force on that date (立法法 第一百零四条); "
                          "a later value applies only where the parameter says it is 'favourable' that way"),
}
# the same, for the officer (shown as the hint of a wrong call)
FUNCTIONS_ZH: dict[str, str] = {
    "date": "写成文字的日期：date(\"2024-03-01\")",
    "years_after": "years_after(日期, 年数)：从该日期起 N 年期满的那一天（民法典 第二百零一至二百零三条）",
    "months_after": "months_after(日期, 月数)：从该日期起 N 个月期满的那一天",
    "days_after": "days_after(日期, 天数)：日期加 N 天",
    "days_between": "days_between(较早的日期, 较晚的日期)：两个日期之间相差的天数",
    "year_of": "year_of(日期)：日期的年份",
    "month_of": "month_of(日期)：日期的月份",
    "day_of": "day_of(日期)：日期是当月的第几天",
    "min": "min(a, b, ...)：最小的一个",
    "max": "max(a, b, ...)：最大的一个",
    "abs": "abs(数字)：绝对值",
    "coalesce": "coalesce(a, b, ...)：第一个不是空值（null）的值",
    "len": "len(列表)：列表的项数",
    "in_force_on": "in_force_on(日期, 参数)：该日期有效的参数值（立法法 第一百零四条）；"
                   "只有参数写明“有利”的方向上，后来的值才适用",
}
AGGREGATES = ("count", "sum", "min", "max", "any", "all")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _span_len(n: A.Node) -> tuple[int, int]:
    s, e = n.span
    return s, max(1, e - s)


_WHAT_ZH = {"a date": "日期", "a whole number": "整数", "a number": "数字", "a list": "列表"}


def did_you_mean(s: str) -> Text:
    """'did you mean …?' in both languages."""
    return Text(f"是不是想写“{s}”？", f"did you mean '{s}'?")


def _no_order(zh_name: str, en_name: str | None = None) -> Text:
    return Text(f"{zh_name}没有大小先后之分，只能用 == 和 != 比较", f"{en_name or zh_name} has no order; only == and != apply")


def _iso_literal(node: A.Node) -> bool:
    """A text literal that reads as a date ("2024-07-02")."""
    return isinstance(node, A.Literal) and is_iso_date(node.value)


class _Checker:
    def __init__(self, problems: list[TypeProblem]):
        self.problems = problems

    def err(self, code: str, node: A.Node, message: Text, hint: Text | None = None, span: tuple[int, int] | None = None):
        s, e = span if span else node.span
        self.problems.append(TypeProblem(code, message, s, max(1, e - s), hint))
        return ANY

    # --- helpers -------------------------------------------------------------
    def enum_member(self, et: EnumType, lit: A.Node) -> None:
        if isinstance(lit, A.Literal) and isinstance(lit.value, str) and lit.value not in et.values:
            parts = [x.strip() for x in re.split(r"[,，、]", lit.value)]
            if len(parts) > 1 and all(x in et.values for x in parts):  # '"university, research_institute"'
                each = ", ".join(f'"{x}"' for x in parts)
                hint = Text(f"每个取值各自加引号，用逗号分开：{each}", f"quote each value on its own, with commas between: {each}")
            else:
                s = et.nearest(lit.value)
                hint = Text((f"是不是想写“{s}”？" if s else "") + f"{et.name} 只能是以下之一：{et.listing('zh')}",
                            (f"did you mean \"{s}\"? " if s else "") + f"{et.name} is one of: {et.listing('en')}")
            self.err("PE025", lit, Text(f"“{lit.value}”不是 {et.name} 的取值", f"\"{lit.value}\" is not a value of {et.name}"), hint)

    def comparable(self, node: A.Node, a: T, b: T, left: A.Node, right: A.Node, ordered: bool) -> None:
        if a.kind == "any" or b.kind == "any":
            return
        if a.kind == "null" or b.kind == "null":
            if ordered:
                self.err("PE023", node, Text("空值（null）不能用 < 或 > 比较", "null cannot be compared with < or >"),
                         Text("请用 == null 或 != null 比较", "compare with == null or != null"))
            return
        if a.numeric and b.numeric:
            return
        if a.kind == "enum" and b.kind == "string":
            self.enum_member(a.enum, right)
            if ordered and not a.enum.ordered:
                self.err("PE023", node, _no_order(a.enum.name))
            if not isinstance(right, A.Literal):
                self.err("PE023", node, Text(f"{a.enum.name} 只能与它的某个取值（写在引号里）比较",
                                             f"a {a.enum.name} can only be compared with one of its values written in quotes"),
                         Text(f"例如 == \"{a.enum.values[-1]}\"", f"e.g. == \"{a.enum.values[-1]}\"") if a.enum.values else None)
            return
        if b.kind == "enum" and a.kind == "string":
            self.comparable(node, b, a, right, left, ordered)
            return
        if a.kind == "enum" and b.kind == "enum":
            if a.enum.name != b.enum.name:
                self.err("PE023", node, Text(f"{a.enum.name} 不能与 {b.enum.name} 比较", f"cannot compare {a.enum.name} with {b.enum.name}"))
            elif ordered and not a.enum.ordered:
                self.err("PE023", node, _no_order(a.enum.name))
            return
        if a.kind == b.kind and a.kind in ("date", "bool", "string"):
            if ordered and a.kind in ("bool", "string"):
                self.err("PE023", node, _no_order(a.zh, f"{a.kind} values"))
            return
        hint = None
        if a.kind == "enum" and b.numeric or b.kind == "enum" and a.numeric:
            et = a.enum if a.kind == "enum" else b.enum
            hint = Text(f"请与写在引号里的取值比较，例如 \"{et.values[-1]}\"", f"compare with a value in quotes, e.g. \"{et.values[-1]}\"")
        elif {a.kind, b.kind} == {"date", "string"} and _iso_literal(right if b.kind == "string" else left):
            d = (right if b.kind == "string" else left).value
            hint = Text(f'日期写成 date("{d}")：引号里的是文字', f'write the date as date("{d}"): in quotes alone it is text')
        elif a.numeric and b.kind == "string" or b.numeric and a.kind == "string":
            hint = Text("数字只能和数字比较：数字不加引号（写 3，不写 \"3\"），参数的值也要写成数字（写 3，不写 three）",
                        "numbers compare with numbers: write a number without quotes (3, not \"3\"), and a parameter's "
                        "value as a number (3, not three)")
        else:
            hint = Text(f"比较的两边要是同一种值：这里一边是{a.zh}，一边是{b.zh}",
                        f"both sides of a comparison must be of one type: here one is {a}, the other {b}")
        self.err("PE023", node, Text(f"{a.zh}不能与{b.zh}比较", f"cannot compare {a} with {b}"), hint)

    def unify(self, node: A.Node, a: T, b: T) -> T:
        if a.kind == "any":
            return b
        if b.kind == "any":
            return a
        if a.kind == "null":
            return b.with_null()
        if b.kind == "null":
            return a.with_null()
        if a.numeric and b.numeric:
            return DECIMAL if "decimal" in (a.kind, b.kind) else INT
        if a.kind == b.kind and (a.kind != "enum" or a.enum == b.enum):
            return a if not b.nullable else b
        if a.kind == "enum" and b.kind == "string":
            self.enum_member(a.enum, node.orelse if isinstance(node, A.If) else node)
            return a
        if b.kind == "enum" and a.kind == "string":
            return b
        return self.err("PE023", node, Text(f"两个分支的类型不同：{a.zh}和{b.zh}", f"the two branches have different types: {a} and {b}"),
                        Text("if … then … else … 的两个分支要给出同一类的值", "both branches of if … then … else … give the same kind of value"))

    def want_bool(self, node: A.Node, t: T, what: str) -> None:
        if t.kind not in ("bool", "any", "null"):
            self.err("PE023", node, Text(f"{what} 需要是非值（true/false），但这里是{t.zh}", f"{what} needs true/false, but this is {t}"),
                     Text("请把它与某个值比较，例如 x > 0", "compare it with something, e.g. x > 0") if t.numeric else None)

    # --- the walk ------------------------------------------------------------
    def check(self, n: A.Node, env: Env) -> T:
        if isinstance(n, A.Literal):
            return type_of_value(n.value)
        if isinstance(n, A.Name):
            t = env.names.get(n.name)
            if t is None and n.name in env.others[1]:  # another subject's fact: no near name is what was meant
                mine, theirs = env.others[0], env.others[1][n.name]
                return self.err("PE022", n, Text(f"“{n.name}”是 {theirs} 的事实，这条规则的对象是 {mine}",
                                                 f"'{n.name}' is a fact of {theirs}; this rule's subject is {mine}"),
                                Text(f"规则只能读它的对象（subject）的事实：改用 {mine} 的事实，或把这条规则写给 {theirs}",
                                     f"a rule reads the facts of its own subject: use a fact of {mine}, or write the rule for {theirs}"))
            if t is None:
                s = suggest(n.name, env.names)
                return self.err("PE022", n, Text(f"不认识的名字“{n.name}”", f"unknown name '{n.name}'"),
                                did_you_mean(s) if s else Text("请检查拼写，或把它声明为事实（facts）、参数（parameters）或定义（definitions）",
                                                                "declare it as a fact, parameter or definition"))
            return t
        if isinstance(n, A.Attr):
            t = self.check(n.target, env)
            if t.kind == "any":
                return ANY
            if t.kind != "record":
                return self.err("PE023", n, Text(f"'.{n.field_name}' 只能用在记录上，但这里是{t.zh}", f"'.{n.field_name}' needs a record, but this is {t}"))
            ft = t.field(n.field_name)
            if ft is None:
                s = suggest(n.field_name, [f for f, _ in t.fields])
                return self.err("PE026", n, Text(f"这里的记录没有字段“{n.field_name}”", f"a record here has no field '{n.field_name}'"),
                                did_you_mean(s) if s else Text("它的字段有：" + "、".join(f for f, _ in t.fields),
                                                                "fields: " + ", ".join(f for f, _ in t.fields)),
                                span=(n.span[1] - len(n.field_name), n.span[1]))  # the field name ends the node
            return ft
        if isinstance(n, A.ListLit):
            et = ANY
            for i in n.items:
                et = self.unify(i, et, self.check(i, env))
            return list_of(et)
        if isinstance(n, A.Unary):
            t = self.check(n.operand, env)
            if not (t.numeric or t.kind == "any"):
                return self.err("PE023", n, Text(f"'-' 需要数字，但这里是{t.zh}", f"'-' needs a number, but this is {t}"))
            return t
        if isinstance(n, A.Binary):
            a, b = self.check(n.left, env), self.check(n.right, env)
            for side, t in ((n.left, a), (n.right, b)):
                if not (t.numeric or t.kind == "any"):
                    self.err("PE023", side, Text(f"'{n.op}' 需要数字，但这里是{t.zh}", f"'{n.op}' needs numbers, but this is {t}"),
                             Text("日期的加减请用 years_after、months_after、days_after",
                                  "use years_after/months_after/days_after for dates") if t.kind == "date" else None)
                    return ANY
            if n.op == "/" or "decimal" in (a.kind, b.kind):
                return DECIMAL
            return INT if a.kind == "int" and b.kind == "int" else (INT if "any" in (a.kind, b.kind) else DECIMAL)
        if isinstance(n, A.Compare):
            a, b = self.check(n.left, env), self.check(n.right, env)
            self.comparable(n, a, b, n.left, n.right, n.op not in ("==", "!="))
            return BOOL
        if isinstance(n, A.BoolOp):
            self.want_bool(n.left, self.check(n.left, env), f"'{n.op}'")
            self.want_bool(n.right, self.check(n.right, env), f"'{n.op}'")
            return BOOL
        if isinstance(n, A.Not):
            self.want_bool(n.operand, self.check(n.operand, env), "'not'")
            return BOOL
        if isinstance(n, A.In):
            it, ct = self.check(n.item, env), self.check(n.container, env)
            if ct.kind == "any":
                return BOOL
            if ct.kind != "list":
                return self.err("PE023", n.container, Text(f"'in' 后面需要列表，但这里是{ct.zh}", f"'in' needs a list, but this is {ct}"),
                                Text("写成列表：[\"a\", \"b\"]", "write a list: [\"a\", \"b\"]"))
            if it.kind == "enum" and isinstance(n.container, A.ListLit):
                for item in n.container.items:  # each as in `x == item` (its own problems came with the list)
                    self.comparable(n, it, _Checker([]).check(item, env), n.item, item, False)
            elif ct.elem and ct.elem.kind not in ("any",):
                self.comparable(n, it, ct.elem, n.item, n.container, False)
            return BOOL
        if isinstance(n, A.If):
            self.want_bool(n.cond, self.check(n.cond, env), "'if'")
            return self.unify(n, self.check(n.then, env), self.check(n.orelse, env))
        if isinstance(n, A.Call):
            return self.call(n, env)
        if isinstance(n, A.Aggregate):
            return self.aggregate(n, env)
        raise TypeError(n)  # pragma: no cover

    def call(self, n: A.Call, env: Env) -> T:
        spec = FUNCTIONS.get(n.func)
        if spec is None:
            s = suggest(n.func, list(FUNCTIONS) + list(AGGREGATES))
            return self.err("PE027", n, Text(f"不认识的函数“{n.func}”", f"unknown function '{n.func}'"),
                            did_you_mean(s) if s else Text("可用的函数：" + "、".join(sorted(FUNCTIONS)), "functions: " + ", ".join(sorted(FUNCTIONS))),
                            span=n.func_span)
        lo, hi, doc_en = spec
        doc = Text(FUNCTIONS_ZH[n.func], doc_en)
        if len(n.args) < lo or (hi is not None and len(n.args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            want_zh = f"要 {lo} 个" if lo == hi else f"至少要 {lo} 个" if hi is None else f"要 {lo} 到 {hi} 个"
            return self.err("PE024", n, Text(f"{n.func}() {want_zh}参数，这里给了 {len(n.args)} 个",
                                             f"{n.func}() takes {want} argument(s), not {len(n.args)}"), doc, span=n.func_span)
        ts = [self.check(a, env) for a in n.args]

        def need(i: int, kinds: tuple[str, ...], what: str) -> None:
            if ts[i].kind not in kinds + ("any",):
                self.err("PE023", n.args[i], Text(f"{n.func}() 的第 {i + 1} 个参数必须是{_WHAT_ZH[what]}，但这里是{ts[i].zh}",
                                                  f"argument {i + 1} of {n.func}() must be {what}, but this is {ts[i]}"), doc)

        f = n.func
        if f == "date":
            a = n.args[0]
            if not (isinstance(a, A.Literal) and isinstance(a.value, str)):
                return self.err("PE023", a, Text("date() 的参数是写在引号里的日期", "date() takes a date written in quotes"), doc)
            try:
                if not _ISO_DATE.match(a.value):  # fromisoformat also takes "2024-W01-1"
                    raise ValueError
                _dt.date.fromisoformat(a.value)
            except ValueError:
                return self.err("PE012", a, Text(f"“{a.value}”不是 年-月-日（YYYY-MM-DD）格式的真实日期",
                                                 f"\"{a.value}\" is not a real date in YYYY-MM-DD form"), doc)
            return DATE
        if f in ("years_after", "months_after", "days_after"):
            need(0, ("date", "null"), "a date")
            need(1, ("int",), "a whole number")
            return DATE.with_null() if ts[0].nullable or ts[0].kind == "null" else DATE
        if f == "days_between":
            need(0, ("date",), "a date")
            need(1, ("date",), "a date")
            return INT
        if f in ("year_of", "month_of", "day_of"):
            need(0, ("date",), "a date")
            return INT
        if f in ("min", "max"):
            r = ANY
            for i, t in enumerate(ts):
                if not (t.numeric or t.kind in ("date", "any") or (t.kind == "enum" and t.enum.ordered)):
                    self.err("PE023", n.args[i], Text(f"{f}() 比较的是数字、日期或有先后顺序的取值，不能是{t.zh}",
                                                      f"{f}() compares numbers, dates or ordered values, not {t}"), doc)
                r = self.unify(n, r, t)
            return r
        if f == "abs":
            need(0, ("int", "decimal"), "a number")
            return ts[0]
        if f == "coalesce":
            r = ANY
            for t in ts:
                r = self.unify(n, r, t)
            return T(r.kind, r.enum, r.elem, r.fields, ts[-1].nullable or ts[-1].kind == "null")
        if f == "len":
            need(0, ("list",), "a list")
            return INT
        if f == "in_force_on":
            need(0, ("date", "null"), "a date")
            a = n.args[1]
            if not (isinstance(a, A.Name) and env.kinds.get(a.name) == "parameter"
                    or isinstance(a, A.Literal) and hasattr(a.value, "since")):
                return self.err("PE023", a, Text("in_force_on() 的第 2 个参数必须是一个参数的名字", "argument 2 of in_force_on() must name a parameter"), doc)
            return ts[1].with_null()
        raise AssertionError(f)  # pragma: no cover

    def aggregate(self, n: A.Aggregate, env: Env) -> T:
        if n.func not in AGGREGATES:
            s = suggest(n.func, AGGREGATES)
            return self.err("PE027", n, Text(f"“{n.func}”不是汇总函数", f"'{n.func}' is not an aggregate"),
                            Text((f"是不是想写“{s}”？" if s else "") + "汇总函数有：" + "、".join(AGGREGATES),
                                 (f"did you mean '{s}'? " if s else "") + "aggregates: " + ", ".join(AGGREGATES)),
                            span=n.func_span)
        st = self.check(n.source, env)
        if st.kind not in ("list", "any"):
            return self.err("PE023", n.source, Text(f"'for … in' 后面需要列表，但这里是{st.zh}", f"'for … in' needs a list, but this is {st}"))
        inner = env.child(n.var, st.elem if st.kind == "list" and st.elem else ANY)
        if n.where is not None:
            self.want_bool(n.where, self.check(n.where, inner), "'where'")
        bt = self.check(n.body, inner)
        if n.func == "count":
            return INT
        if n.func in ("any", "all"):
            self.want_bool(n.body, bt, f"{n.func}()")
            return BOOL
        if n.func == "sum":
            if not (bt.numeric or bt.kind == "any"):
                self.err("PE023", n.body, Text(f"sum() 只能把数字相加，不能加{bt.zh}", f"sum() adds numbers, not {bt}"))
            return bt if bt.numeric else INT
        if not (bt.numeric or bt.kind in ("date", "any") or (bt.kind == "enum" and bt.enum.ordered)):
            self.err("PE023", n.body, Text(f"{n.func}() 需要数字、日期或有先后顺序的取值，不能是{bt.zh}",
                                           f"{n.func}() needs numbers, dates or ordered values, not {bt}"))
        return bt.with_null()  # empty list -> null


def typecheck(node: A.Node, env: Env) -> tuple[T, list[TypeProblem]]:
    problems: list[TypeProblem] = []
    t = _Checker(problems).check(node, env)
    return t, problems
