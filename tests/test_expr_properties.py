"""Property tests of the expression language, with inputs generated from its grammar.

Texts come from :func:`hypothesis.extra.lark.from_lark`, built from the package's own
``grammar.lark``.  Plain ``from_lark`` on that grammar picks alternatives uniformly, so
most draws recurse until Hypothesis gives up; the grammar is therefore *levelled* first
(:func:`levelled_grammar`): every rule is copied per depth level and a non-unit
production may only use the level below, which bounds the size of what is drawn while
keeping exactly the grammar's productions.  The ``NAME`` terminal is split by the
role it plays in a production (a variable, a function, an aggregate, a loop variable,
a field), so that names come from a fixed environment and are never keywords.

Generators:

* ``GRAMMAR_TEXT`` — the package grammar, levelled, with names drawn from the
  environment plus some unknown and keyword-like names, and keywords now and then
  run into their neighbours.  Used for robustness (property 1) and, for the part
  that type-checks, for the semantic comparison.
* ``GRAMMAR_TEXT_SEPARATED`` — the same with every word set apart: each text is in
  the language, so the LALR parser must accept it, and ``ast.to_source`` of the tree
  must parse back to the same tree.
* ``TYPED_TEXT`` — a typed sub-grammar (rules per result type, following the package
  grammar's precedence levels and using its terminals), levelled the same way.
  Random draws from the plain grammar are rarely well typed (about 3%); these mostly
  are, so the semantic comparison (property 2) sees many deep, well-typed
  expressions.  Every text it produces must parse with the package parser (asserted).

Property 2 compares the compiler — the generated code of ``compile.compile_function``,
which ``evaluate`` uses for whole decisions — with
:class:`Ref`, a small independent interpreter over our AST written from the documented
semantics (runtime.py and dates.py docstrings): Kleene logic with MISSING for unknown
facts (MISSING wins over null), null propagation, ordered enums by rank, exact
int/Decimal arithmetic (division rounded to 34 significant digits, division by zero
is null), 民法典 periods.  It uses Fractions and its own calendar arithmetic rather
than Decimal and datetime, and is eager and unbounded: it records whether any value
went past 10^60 or outside the years 1..9999, the only case in which the engine may
raise ``EvalLimit``.  Not only the whole expression is compared but every
well-typed sub-expression outside loop bodies, since an enclosing operator often
masks a wrong inner value.

Choices the documents leave open, taken as the engine takes them: ``x == null`` is
a test (true/false, never null); count/sum/min/max over items whose ``where`` is
not true/false are MISSING, and they pass over null values (sum of none is 0, min
and max of none are null); ``any``/``all`` are the Kleene folds of
``where and body`` / ``not where or body``.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from fractions import Fraction
from importlib import resources

import pytest
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from lark.lexer import PatternStr

from policyengine import ast as A
from policyengine.compile import compile_function
from policyengine.runtime import MISSING, EvalLimit
from policyengine.load import DEFAULT_LIMITS
from policyengine.dates import days_after, days_between, months_after, years_after
from policyengine.parse import ExprError, parse_expression
from policyengine.types import BOOL, DATE, DECIMAL, INT, STRING, Env, EnumType, T, TypeProblem, list_of, record_of, typecheck

# --------------------------------------------------------------------------------------
# The grammar, levelled
# --------------------------------------------------------------------------------------

GRAMMAR = resources.files("policyengine").joinpath("grammar.lark").read_text(encoding="utf-8")
PACKAGE_LARK = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)
_WORD = re.compile(r"[A-Za-z_]\w*\Z")


def _name_role(alias: str | None, position: int) -> str:
    if alias == "call":
        return "FUNC"
    if alias == "aggregate":
        return "AGG" if position == 0 else "LOOPVAR"
    if alias == "attr":
        return "FIELD"
    return "VAR"


def levelled_grammar(base: str, start: str, depth: int, *, pad_words: bool, split_names: bool) -> tuple[str, str]:
    """``base`` plus a copy of the rules reachable from ``start``, per level 0..depth.

    A unit production (one nonterminal, nothing else) stays on its level; any other
    production uses level k-1 for its nonterminals, and on level 0 only productions
    without nonterminals are kept.  Keywords become ``" if "`` when ``pad_words`` (so
    adjacent words never fuse); ``NAME`` becomes ``NAME_<role>`` when ``split_names``.
    Returns the grammar text and the name of the new start rule.
    """
    lark = Lark(base, parser="earley", start=start, maybe_placeholders=True)
    terms, rules, _ = lark.grammar.compile([start], ())
    tdefs = {t.name: t for t in terms}

    def rn(name: str, k: int) -> str:
        return "lv_" + name.strip("_").lower() + f"_{k}"

    rules_at: dict[str, list[str]] = {}
    roles: set[str] = set()
    for k in range(depth + 1):
        for r in rules:
            exp = r.expansion
            unit = len(exp) == 1 and not exp[0].is_term
            if not unit and k == 0 and any(not s.is_term for s in exp):
                continue
            parts = []
            for i, s in enumerate(exp):
                if not s.is_term:
                    parts.append(rn(s.name, k if unit else k - 1))
                elif s.name == "NAME" and split_names:
                    role = _name_role(r.alias and str(r.alias), i)
                    roles.add(role)
                    parts.append(f"NAME_{role}")
                elif isinstance(tdefs[s.name].pattern, PatternStr) and not s.name.startswith("T_"):
                    # an anonymous word or sign: written out (T_* terminals keep their names for `explicit`)
                    v = tdefs[s.name].pattern.value
                    if pad_words and _WORD.match(v):
                        v = f" {v} "
                    parts.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
                else:
                    parts.append(s.name)
            rules_at.setdefault(rn(r.origin.name, k), []).append(" ".join(parts) if parts else '""')
    # drop alternatives that use a rule with no alternatives left, to a fixed point
    while True:
        changed = False
        for name in list(rules_at):
            keep = [a for a in rules_at[name] if all(w in rules_at for w in re.findall(r"\blv_\w+", a))]
            changed |= len(keep) != len(rules_at[name])
            if keep:
                rules_at[name] = keep
            else:
                del rules_at[name]
        if not changed:
            break
    lines = [f"{n}: " + "\n    | ".join(alts) for n, alts in rules_at.items()]
    lines += [f"NAME_{role}: NAME" for role in sorted(roles)]
    return base + "\n// ---- levelled copy ----\n" + "\n".join(lines) + "\n", rn(start, depth)


# --------------------------------------------------------------------------------------
# The environment the expressions are checked and evaluated in
# --------------------------------------------------------------------------------------

EDUCATION = EnumType("education", ("none", "secondary", "junior_college", "bachelor", "master", "doctorate"), True)
GRADE = EnumType("grade", ("unqualified", "qualified", "excellent"), True)
SERVICE = EnumType("service_type", ("public_welfare", "entrepreneurship"), False)
EDU_T, GRADE_T, SERVICE_T = T("enum", enum=EDUCATION), T("enum", enum=GRADE), T("enum", enum=SERVICE)
RECORD_T = record_of({"year": INT, "grade": GRADE_T})

FACT_TYPES: dict[str, T] = {
    "service_days": INT,
    "year": INT,
    "x": INT,  # also a loop variable name: loops shadow it
    "服务天数": INT,  # names may be written in any script
    "bonus": INT.with_null(),  # nullable
    "amount": DECIMAL,
    "rate_fact": DECIMAL,
    "good_conduct": BOOL,
    "is_teacher": BOOL,
    "education": EDU_T,
    "service_type": SERVICE_T,
    "remark": STRING,
    "dispatch_start": DATE,
    "false_information_found": DATE.with_null(),  # nullable
    "as_of": DATE,
    "evaluation_history": list_of(RECORD_T),
    "e": RECORD_T,  # also a loop variable name
}
PARAMS: dict[str, tuple[T, object]] = {
    "retention_years": (INT, 5),
    "rate": (DECIMAL, Decimal("0.5")),
    "min_grade": (GRADE_T, "qualified"),
    "cutoff": (DATE, _dt.date(2024, 1, 1)),
}
ENV = Env({**FACT_TYPES, **{n: t for n, (t, _) in PARAMS.items()}},
          {**{n: "fact" for n in FACT_TYPES}, **{n: "parameter" for n in PARAMS}})
CONSTS = {n: v for n, (_, v) in PARAMS.items()}

FUNCS = ["date", "years_after", "months_after", "days_after", "days_between", "year_of", "month_of", "day_of",
         "min", "max", "abs", "coalesce", "len"]
AGGS = ["count", "sum", "min", "max", "any", "all"]
ODD_NAMES = ["foo", "servce_days", "iff", "notes", "in_x", "for学", "trueish", "nullable", "学历", "ｘ", "Education"]

# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

_STRING_RE = PACKAGE_LARK.get_terminal("STRING").pattern.to_regexp()
_quoted = st.sampled_from(
    [f'"{v}"' for v in EDUCATION.values + GRADE.values + SERVICE.values]
    + ['"2024-02-29"', '"2023-05-10"', '"2024-01-31"', '"2024-02-30"', '"2024-W01-1"', '"20240101"', "'bachelor'",
       '"bach\\"elor"', '"\\n"', '""', '"学士"'])
STRING_ANY = st.one_of(_quoted, st.from_regex(_STRING_RE, fullmatch=True))
INT_ANY = st.one_of(st.integers(0, 1000).map(str), st.integers(0, 10 ** 40).map(str), st.just("0007"))
DEC_ANY = st.one_of(st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True),
                    st.from_regex(r"[0-9]{1,30}\.[0-9]{1,30}", fullmatch=True))
# mostly separated by blanks; sometimes bare, so that words can run together ("ifx" is a name)
KEYWORD_PAD = {k: st.sampled_from([f" {k.lower()} "] * 6 + [k.lower(), f"\n{k.lower()}\t"])
               for k in ("IF", "THEN", "ELSE", "AND", "OR", "NOT", "IN", "FOR", "WHERE", "TRUE", "FALSE", "NULL")}

_g_text, _g_start = levelled_grammar(GRAMMAR, "start", 4, pad_words=False, split_names=True)
_G_LARK = Lark(_g_text, parser="earley", start=_g_start)
_G_NAMES = {
    "NAME_VAR": st.sampled_from(list(FACT_TYPES) + list(PARAMS) + ODD_NAMES + FUNCS[:3]),
    "NAME_FUNC": st.sampled_from(FUNCS + AGGS + ["foo", "Min"]),
    "NAME_AGG": st.sampled_from(AGGS + FUNCS[:4] + ["total"]),
    "NAME_LOOPVAR": st.sampled_from(["e", "x", "education", "retention_years", "学"]),
    "NAME_FIELD": st.sampled_from(["year", "grade", "yaer", "education"]),
}
# every keyword set off by blanks and comments ending in a newline: each text is in the language
GRAMMAR_TEXT_SEPARATED = from_lark(
    _G_LARK, start=_g_start,
    explicit={**_G_NAMES, "STRING": STRING_ANY, "INT": st.integers(0, 10 ** 29).map(str), "DECIMAL": DEC_ANY,
              "WS": st.sampled_from([" ", "\n", "\t"]), "COMMENT": st.just("# note\n"),
              **{k: st.just(f" {k.lower()} ") for k in KEYWORD_PAD}})
GRAMMAR_TEXT = from_lark(
    _G_LARK, start=_g_start,
    explicit={
        **_G_NAMES,
        "STRING": STRING_ANY, "INT": INT_ANY, "DECIMAL": DEC_ANY,
        "WS": st.sampled_from([" ", "\n", "\t", "  ", "\r\n"]),
        "COMMENT": st.one_of(st.sampled_from(["# note\n", "#注释 \n"]), st.from_regex(r"#[^\n]{0,8}\n", fullmatch=True)),
        **KEYWORD_PAD,
    })

# A typed sub-grammar over the package grammar's terminals.  Rules are per result type
# and follow the package grammar's precedence levels, so the package parser gives each
# text the intended structure.  b: bool, n: number, i: int, dt: date, edu/grd: ordered
# enums, lr: list of records, ln: list of numbers, rec: a record.
TYPED_RULES = r"""
typed: x_b | x_n | x_i | x_dt | x_edu | x_grd | x_lr | l_n | agg_b | agg_i | agg_grd | in_b

x_b: "if" x_b "then" x_b "else" x_b | or_b
or_b: or_b "or" and_b | and_b
and_b: and_b "and" not_b | not_b
not_b: "not" not_b | cmp_b
cmp_b: sum_n COMP_OP sum_n
     | a_dt COMP_OP a_dt
     | a_dt T_EQ "null"
     | a_edu COMP_OP T_EDU | T_EDU COMP_OP a_edu | a_edu COMP_OP a_edu
     | a_grd COMP_OP T_GRD | a_grd COMP_OP a_grd
     | a_b T_EQ a_b
     | a_rec "." "year" COMP_OP sum_i
     | a_rec "." "grade" COMP_OP T_GRD
     | in_b
     | a_b
     | agg_b
in_b: sum_n T_IN l_n
    | a_edu T_IN l_edu
    | a_grd T_IN l_grd
a_b: "true" | "false" | "null" | T_VAR_B | "(" x_b ")"
   | "coalesce" "(" x_b "," x_b ")"
   | agg_b
agg_b: T_ANYALL "(" x_b "for" "e" "in" x_lr where? ")"
     | T_ANYALL "(" x_b "for" "x" "in" l_n where? ")"
agg_i: "count" "(" x_b "for" "e" "in" x_lr where? ")"
     | "sum" "(" x_i "for" "e" "in" x_lr where? ")"
     | T_MINMAX "(" x_i "for" "e" "in" x_lr where? ")"
agg_grd: T_MINMAX "(" x_grd "for" "e" "in" x_lr where? ")"
where: "where" x_b

x_n: "if" x_b "then" x_n "else" x_n | sum_n
sum_n: sum_n ADD_OP prod_n | prod_n
prod_n: prod_n MUL_OP un_n | un_n
un_n: "-" un_n | a_n
a_n: a_i | DECIMAL | T_VAR_D | "(" x_n ")"
   | "abs" "(" x_n ")"
   | T_MINMAX "(" x_n "," x_n ")" | T_MINMAX "(" x_n "," x_n "," x_n ")"
   | "coalesce" "(" x_n "," x_n ")"
   | "sum" "(" x_n "for" "e" "in" x_lr where? ")"
   | "sum" "(" x_n "for" "x" "in" l_n where? ")"
   | T_MINMAX "(" x_n "for" "x" "in" l_n where? ")"

x_i: "if" x_b "then" x_i "else" x_i | sum_i
sum_i: sum_i ADD_OP prod_i | prod_i
prod_i: prod_i T_TIMES un_i | un_i
un_i: "-" un_i | a_i
a_i: INT | T_VAR_I | "(" x_i ")" | a_rec "." "year"
   | "days_between" "(" x_dt "," x_dt ")"
   | T_DATEPART "(" x_dt ")"
   | "len" "(" x_lr ")" | "len" "(" l_n ")"
   | agg_i
   | "abs" "(" x_i ")"
   | T_MINMAX "(" x_i "," x_i ")"
   | "coalesce" "(" x_i "," x_i ")"

x_dt: "if" x_b "then" x_dt "else" x_dt | a_dt
a_dt: T_VAR_DT | "(" x_dt ")" | "date" "(" T_DATE ")"
    | T_SHIFT "(" x_dt "," x_i ")"
    | T_MINMAX "(" x_dt "," x_dt ")"
    | "coalesce" "(" x_dt "," x_dt ")"

x_edu: "if" x_b "then" x_edu "else" x_edu | "if" x_b "then" x_edu "else" T_EDU | a_edu
a_edu: T_VAR_EDU | "(" x_edu ")" | T_MINMAX "(" x_edu "," x_edu ")" | "coalesce" "(" x_edu "," x_edu ")"

x_grd: "if" x_b "then" x_grd "else" x_grd | "if" x_b "then" T_GRD "else" x_grd | a_grd
a_grd: T_VAR_GRD | a_rec "." "grade" | "(" x_grd ")"
     | T_MINMAX "(" x_grd "," x_grd ")"
     | agg_grd
     | T_MINMAX "(" T_GRD "," x_grd ")"

x_lr: "if" x_b "then" x_lr "else" x_lr | a_lr
a_lr: T_VAR_LR | "(" x_lr ")"
a_rec: T_VAR_REC | "(" a_rec ")"
l_n: "[" "]" | "[" x_n ("," x_n)* ","? "]"
l_edu: "[" T_EDU ("," T_EDU)* "]"
l_grd: "[" T_GRD ("," T_GRD)* "]"

T_EQ: "==" | "!="
T_TIMES: "*"
T_IN: " in " | " not in "
T_MINMAX: " min " | " max "
T_ANYALL: " any " | " all "
T_DATEPART: " year_of " | " month_of " | " day_of "
T_SHIFT: " years_after " | " months_after " | " days_after "
T_VAR_B: NAME
T_VAR_D: NAME
T_VAR_I: NAME
T_VAR_DT: NAME
T_VAR_EDU: NAME
T_VAR_GRD: NAME
T_VAR_LR: NAME
T_VAR_REC: NAME
T_EDU: STRING
T_GRD: STRING
T_DATE: STRING
"""

_t_text, _t_start = levelled_grammar(GRAMMAR + TYPED_RULES, "typed", 4, pad_words=True, split_names=False)
_TYPED_LARK = Lark(_t_text, parser="earley", start=_t_start)
_dates_text = st.dates(_dt.date(1999, 1, 1), _dt.date(2031, 12, 31)).map(lambda d: f'"{d.isoformat()}"')
TYPED_TEXT = from_lark(
    _TYPED_LARK, start=_t_start,
    explicit={
        "T_VAR_B": st.sampled_from(["good_conduct", "is_teacher"]),
        "T_VAR_D": st.sampled_from(["amount", "rate_fact", "rate"]),
        "T_VAR_I": st.sampled_from(["service_days", "year", "x", "服务天数", "bonus", "retention_years"]),
        "T_VAR_DT": st.sampled_from(["dispatch_start", "as_of", "false_information_found", "cutoff"]),
        "T_VAR_EDU": st.just("education"),
        "T_VAR_GRD": st.just("min_grade"),
        "T_VAR_LR": st.just("evaluation_history"),
        "T_VAR_REC": st.just("e"),
        "T_EDU": st.sampled_from([f'"{v}"' for v in EDUCATION.values]),
        "T_GRD": st.sampled_from([f'"{v}"' for v in GRADE.values]),
        "T_DATE": st.one_of(_dates_text, st.sampled_from(['"2024-02-29"', '"2024-01-31"', '"9999-12-31"', '"0001-01-01"'])),
        # literals stay within the parser's 30-digit bound
        "INT": st.one_of(st.integers(0, 40).map(str), st.integers(0, 10 ** 29).map(str)),
        "DECIMAL": st.one_of(st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True),
                             st.from_regex(r"[0-9]{1,10}\.[0-9]{10,20}", fullmatch=True)),
        "WS": st.just(" "),
        "COMMENT": st.just("# note\n"),
    })

_decimals = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=2),
    st.from_regex(r"-?[0-9]{1,12}\.[0-9]{10,22}", fullmatch=True).map(Decimal),
)
_dates = st.one_of(st.dates(_dt.date(2000, 1, 1), _dt.date(2030, 12, 31)),
                   st.sampled_from([_dt.date(2024, 2, 29), _dt.date(2024, 1, 31), _dt.date(9999, 12, 1), _dt.date(1, 1, 31)]))
_records = st.fixed_dictionaries({"year": st.integers(2015, 2025), "grade": st.sampled_from(GRADE.values)})
_ABSENT = object()


def _facts(**values):
    """Each fact given three times in four (else missing from the case)."""
    return st.fixed_dictionaries({k: st.one_of(v, v, v, st.just(_ABSENT)) for k, v in values.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not _ABSENT})


FACTS = _facts(**{
    "service_days": st.integers(-5, 400),
    "year": st.integers(1990, 2030),
    "x": st.integers(-3, 12),
    "服务天数": st.integers(0, 60),
    "bonus": st.one_of(st.none(), st.integers(-3, 3)),
    "amount": _decimals,
    "rate_fact": _decimals,
    "good_conduct": st.booleans(),
    "is_teacher": st.booleans(),
    "education": st.sampled_from(EDUCATION.values),
    "service_type": st.sampled_from(SERVICE.values),
    "remark": st.text(max_size=5),
    "dispatch_start": _dates,
    "false_information_found": st.one_of(st.none(), _dates),
    "as_of": _dates,
    "evaluation_history": st.lists(_records, max_size=4).map(tuple),
    "e": _records,
})

# --------------------------------------------------------------------------------------
# The reference interpreter
# --------------------------------------------------------------------------------------


class _RMissing:
    def __repr__(self) -> str:
        return "RMISSING"

    def __bool__(self):
        raise AssertionError("reference: MISSING used as a truth value")


RMISSING = _RMissing()
LIMIT = 10 ** 60


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _month_days(y: int, m: int) -> int:
    return (31, 29 if _leap(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m - 1]


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


class RDate:
    """A proleptic Gregorian date of any year (so overflow can be seen, not raised)."""

    __slots__ = ("y", "m", "d")

    def __init__(self, y: int, m: int, d: int):
        assert 1 <= m <= 12 and 1 <= d <= _month_days(y, m), (y, m, d)
        self.y, self.m, self.d = y, m, d

    @property
    def days(self) -> int:
        return _days_from_civil(self.y, self.m, self.d)

    def __eq__(self, o):
        return isinstance(o, RDate) and (self.y, self.m, self.d) == (o.y, o.m, o.d)

    def __hash__(self):
        return hash((self.y, self.m, self.d))

    def __lt__(self, o):
        return self.days < o.days

    def __le__(self, o):
        return self.days <= o.days

    def __gt__(self, o):
        return self.days > o.days

    def __ge__(self, o):
        return self.days >= o.days

    def __repr__(self):
        return f"RDate({self.y}, {self.m}, {self.d})"

    def plus_days(self, n: int) -> "RDate":
        return RDate(*_civil_from_days(self.days + n))

    def plus_months(self, n: int) -> "RDate":
        # 民法典 第二百零三条: the period ends on the corresponding day of the final month,
        # or on that month's last day where it has none (the start day is not counted).
        y, m0 = divmod(self.y * 12 + self.m - 1 + n, 12)
        return RDate(y, m0 + 1, min(self.d, _month_days(y, m0 + 1)))


def _round34(q: Fraction) -> Fraction:
    """q rounded to 34 significant digits, half to even (what a decimal128 division gives)."""
    if q == 0:
        return Fraction(0)
    a = abs(q)
    e = 0
    while a >= 10 ** (e + 1):
        e += 1
    while a < Fraction(10) ** e:
        e -= 1
    scale = Fraction(10) ** (33 - e)
    return Fraction(round(q * scale)) / scale


def _k_not(a):
    return (not a) if isinstance(a, bool) else a


def _k_and(a, b):
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return RMISSING if RMISSING in (a, b) else None


def _k_or(a, b):
    return _k_not(_k_and(_k_not(a), _k_not(b)))


def _k_fold(op, vals, unit):
    out = unit
    for v in vals:
        out = op(out, v)
    return out


_RANKS = {"education": EDUCATION.rank(), "grade": GRADE.rank()}
# static shapes for the reference: ("enum", name) | ("rec", {...}) | ("list", shape) | None
_REC_SHAPE = ("rec", {"year": None, "grade": ("enum", "grade")})
_SHAPES = {"education": ("enum", "education"), "min_grade": ("enum", "grade"), "e": _REC_SHAPE,
           "evaluation_history": ("list", _REC_SHAPE)}


class Ref:
    """The reference evaluator: eager (every sub-expression is computed), unbounded.

    ``exceeded`` records whether any arithmetic result went past 10^60 or any date
    left the years 1..9999 — the only situations in which the engine may raise
    :class:`EvalLimit`.
    """

    def __init__(self, facts: dict, consts: dict):
        self.facts = {k: self.conv(v) for k, v in facts.items()}
        self.consts = {k: self.conv(v) for k, v in consts.items()}
        self.exceeded = False

    @classmethod
    def conv(cls, v):
        if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
            return v
        if isinstance(v, Decimal):
            return Fraction(v)
        if isinstance(v, _dt.date):
            return RDate(v.year, v.month, v.day)
        if isinstance(v, (list, tuple)):
            return tuple(cls.conv(x) for x in v)
        if isinstance(v, dict):
            return {k: cls.conv(x) for k, x in v.items()}
        raise TypeError(v)

    # -- static shapes (only what is needed to know when values are ranked enums)
    def shape(self, n, scope_shapes):
        if isinstance(n, A.Name):
            return scope_shapes[n.name] if n.name in scope_shapes else _SHAPES.get(n.name)
        if isinstance(n, A.Attr):
            t = self.shape(n.target, scope_shapes)
            return t[1].get(n.field_name) if t and t[0] == "rec" else None
        if isinstance(n, A.ListLit):
            for i in n.items:
                s = self.shape(i, scope_shapes)
                if s:
                    return ("list", s)
            return None
        if isinstance(n, A.If):
            return self.shape(n.then, scope_shapes) or self.shape(n.orelse, scope_shapes)
        if isinstance(n, A.Call) and n.func in ("min", "max", "coalesce"):
            for a in n.args:
                s = self.shape(a, scope_shapes)
                if s:
                    return s
            return None
        if isinstance(n, A.Aggregate) and n.func in ("min", "max"):
            src = self.shape(n.source, scope_shapes)
            return self.shape(n.body, {**scope_shapes, n.var: src[1] if src and src[0] == "list" else None})
        return None

    def rank_key(self, shape):
        if shape and shape[0] == "enum":
            return _RANKS[shape[1]].__getitem__
        return None

    def limit(self, v):
        if isinstance(v, RDate):
            if not 1 <= v.y <= 9999:
                self.exceeded = True
        elif isinstance(v, (int, Fraction)) and not isinstance(v, bool) and abs(v) > LIMIT:
            self.exceeded = True
        return v

    # -- evaluation
    def run(self, n):
        return self.ev(n, {}, {})

    def ev(self, n, scope, shapes):
        ev = lambda m: self.ev(m, scope, shapes)  # noqa: E731
        if isinstance(n, A.Literal):
            return self.conv(n.value)
        if isinstance(n, A.Name):
            if n.name in scope:
                return scope[n.name]
            if n.name in self.consts:
                return self.consts[n.name]
            return self.facts.get(n.name, RMISSING)
        if isinstance(n, A.Attr):
            v = ev(n.target)
            if v is RMISSING or v is None:
                return v
            return v.get(n.field_name, RMISSING)
        if isinstance(n, A.ListLit):
            return tuple(ev(i) for i in n.items)
        if isinstance(n, A.Unary):
            v = ev(n.operand)
            return v if v is RMISSING or v is None else -v
        if isinstance(n, A.Binary):
            a, b = ev(n.left), ev(n.right)
            if RMISSING in (a, b):
                return RMISSING
            if a is None or b is None:
                return None
            if n.op == "/":
                if b == 0:
                    return None
                return self.limit(_round34(Fraction(a) / Fraction(b)))
            return self.limit({"+": a + b, "-": a - b, "*": a * b}[n.op])
        if isinstance(n, A.Compare):
            a, b = ev(n.left), ev(n.right)
            if RMISSING in (a, b):
                return RMISSING
            if n.op in ("==", "!="):
                eq = self.equal(a, b)
                return eq if n.op == "==" else not eq
            if a is None or b is None:
                return None
            key = self.rank_key(self.shape(n.left, shapes) or self.shape(n.right, shapes))
            if key:
                a, b = key(a), key(b)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[n.op]
        if isinstance(n, A.BoolOp):
            a, b = ev(n.left), ev(n.right)
            return _k_and(a, b) if n.op == "and" else _k_or(a, b)
        if isinstance(n, A.Not):
            return _k_not(ev(n.operand))
        if isinstance(n, A.In):
            a, c = ev(n.item), ev(n.container)
            if a is RMISSING or c is RMISSING:
                return RMISSING
            if c is None:
                return None
            found = _k_fold(_k_or, [RMISSING if x is RMISSING else self.equal(a, x) for x in c], False)
            return _k_not(found) if n.negated else found
        if isinstance(n, A.If):
            c, t, f = ev(n.cond), ev(n.then), ev(n.orelse)
            return t if c is True else f if c is False else c
        if isinstance(n, A.Call):
            return self.call(n, [ev(a) for a in n.args], shapes)
        if isinstance(n, A.Aggregate):
            return self.aggregate(n, scope, shapes)
        raise TypeError(n)

    @staticmethod
    def equal(a, b) -> bool:
        if a is None or b is None:
            return a is None and b is None
        assert type(a) is not bool or type(b) is bool, (a, b)
        return a == b

    def call(self, n, args, shapes):
        f = n.func
        if f == "coalesce":
            for a in args:
                if a is RMISSING:
                    return RMISSING
                if a is not None:
                    return a
            return None
        if RMISSING in args:
            return RMISSING
        if any(a is None for a in args):
            return None
        if f == "date":
            m = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", args[0])
            return RDate(*map(int, m.groups()))
        if f in ("years_after", "months_after"):
            return self.limit(args[0].plus_months(args[1] * (12 if f == "years_after" else 1)))
        if f == "days_after":
            return self.limit(args[0].plus_days(args[1]))
        if f == "days_between":
            return args[1].days - args[0].days
        if f in ("year_of", "month_of", "day_of"):
            return getattr(args[0], f[0])
        if f in ("min", "max"):
            key = self.rank_key(self.shape(n, shapes))
            return (min if f == "min" else max)(args, key=key)
        if f == "abs":
            return abs(args[0])
        if f == "len":
            return len(args[0])
        raise AssertionError(f)

    def aggregate(self, n, scope, shapes):
        items = self.ev(n.source, scope, shapes)
        if items is RMISSING or items is None:
            return items
        src = self.shape(n.source, shapes)
        inner_shapes = {**shapes, n.var: src[1] if src and src[0] == "list" else None}
        ws, bs = [], []
        for it in items:
            inner = {**scope, n.var: it}
            ws.append(True if n.where is None else self.ev(n.where, inner, inner_shapes))
            bs.append(self.ev(n.body, inner, inner_shapes))
        if n.func == "any":  # Kleene: (w1 and b1) or (w2 and b2) or ...
            return _k_fold(_k_or, [_k_and(w, b) for w, b in zip(ws, bs)], False)
        if n.func == "all":  # Kleene: (not w1 or b1) and ...
            return _k_fold(_k_and, [_k_or(_k_not(w), b) for w, b in zip(ws, bs)], True)
        # count/sum/min/max: an item that may or may not be selected makes the result unknown
        if any(not isinstance(w, bool) for w in ws):
            return RMISSING
        chosen = [b for w, b in zip(ws, bs) if w]
        if n.func == "count":
            return len(chosen)
        if RMISSING in chosen:
            return RMISSING
        chosen = [v for v in chosen if v is not None]  # aggregates pass over nulls
        if n.func == "sum":
            return self.limit(sum(chosen))
        if not chosen:
            return None
        key = self.rank_key(self.shape(n.body, inner_shapes))
        return (min if n.func == "min" else max)(chosen, key=key)


def canon_engine(v):
    if v is MISSING:
        return ("missing",)
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, Decimal):
        assert v.is_finite(), v
        return ("dec", Fraction(v))
    if isinstance(v, str):
        return ("str", v)
    if isinstance(v, _dt.date):
        assert not isinstance(v, _dt.datetime)
        return ("date", (v.year, v.month, v.day))
    if isinstance(v, (tuple, list)):
        return ("list", tuple(canon_engine(x) for x in v))
    if isinstance(v, dict):
        return ("rec", tuple(sorted((k, canon_engine(x)) for k, x in v.items())))
    raise AssertionError(f"the engine produced a {type(v).__name__}: {v!r}")


def canon_ref(v):
    if v is RMISSING:
        return ("missing",)
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, Fraction):
        return ("dec", v)
    if isinstance(v, str):
        return ("str", v)
    if isinstance(v, RDate):
        return ("date", (v.y, v.m, v.d))
    if isinstance(v, tuple):
        return ("list", tuple(canon_ref(x) for x in v))
    if isinstance(v, dict):
        return ("rec", tuple(sorted((k, canon_ref(x)) for k, x in v.items())))
    raise TypeError(v)


BACKENDS = {"generated code (compile.compile_function)": compile_function}


def _outer_parts(n: A.Node):
    """Sub-expressions that do not read a loop variable: everything except aggregate bodies and wheres."""
    stack = [n]
    while stack:
        x = stack.pop()
        yield x
        stack.extend([x.source] if isinstance(x, A.Aggregate) else A.children(x))


def check_against_reference(node: A.Node, facts: dict) -> None:
    """Compile a well-typed expression with each backend and compare it with the reference on ``facts``;
    the same for each of its well-typed sub-expressions (an enclosing operator often masks a wrong
    inner value: ``false and (3 in [x])``)."""
    note(f"facts: {facts!r}")
    note(f"source: {A.to_source(node)}")
    for part in _outer_parts(node):
        if part is not node and (isinstance(part, (A.Literal, A.Name)) or typecheck(part, ENV)[1]):
            continue
        ref = Ref(facts, CONSTS)
        expected = ref.run(part)
        for name, backend in BACKENDS.items():
            fn = backend(part, ENV, CONSTS)  # compiling a checked expression never raises
            _check_one(f"{name} on {A.to_source(part)}", fn, facts, ref, expected)


def _check_one(name, fn, facts, ref, expected) -> None:
    env = dict(facts)
    try:
        got = fn(env)
    except EvalLimit:
        assert ref.exceeded, f"{name}: EvalLimit, but no value in the reference goes past a bound (reference: {expected!r})"
        return
    finally:
        assert env == facts, f"{name}: evaluation changed the facts it was given"
    assert canon_engine(got) == canon_ref(expected), f"{name}: engine {got!r} != reference {expected!r}"
    # a second run over the same facts gives the same value (no state kept between calls)
    try:
        again = fn(dict(facts))
    except EvalLimit:  # pragma: no cover - the first run did not raise
        raise AssertionError(f"{name}: the second run raised EvalLimit, the first did not")
    assert canon_engine(again) == canon_engine(got)


def _typed_ok(text: str):
    node = parse_expression(text)
    _, problems = typecheck(node, ENV)
    return node, problems


# --------------------------------------------------------------------------------------
# Property 1: only the package's own errors
# --------------------------------------------------------------------------------------

ROBUST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _only_own_errors(text: str, facts: dict | None = None) -> None:
    try:
        node = parse_expression(text)
    except ExprError as e:
        assert isinstance(e.offset, int) and 0 <= e.offset <= len(text), e.offset
        assert e.code.startswith("PE") and e.message
        return
    src = A.to_source(node)  # the canonical text parses back to the same tree
    if len(src) <= DEFAULT_LIMITS.max_expression_chars:
        assert parse_expression(src) == node, src
    t, problems = typecheck(node, ENV)
    assert isinstance(t, T)
    for p in problems:
        assert isinstance(p, TypeProblem) and p.code.startswith("PE") and p.message
        assert 0 <= p.offset <= len(text) and p.length >= 1, p
    if not problems and facts is not None:
        check_against_reference(node, facts)


@ROBUST
@given(GRAMMAR_TEXT, FACTS)
@example("1+" * 1999 + "1", {})
@example("-" * 3999 + "1", {})
@example("not " * 999 + "true", {})
@example("e" + ".year" * 799, {})
@example("if true then 1 else " * 200 + "1", {})
@example("(" * 49 + "1" + ")" * 49, {})
@example('date("2024-W01-1") < as_of', {})
@example("9" * 3999, {})
@example("min(education, education)", {"education": "bachelor"})
def test_grammar_texts_only_raise_own_errors(text, facts):
    """Any text the grammar generates parses or is an ExprError; checking gives problems, not exceptions;
    where it is well typed, the compiled code agrees with the reference."""
    _only_own_errors(text, facts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(GRAMMAR_TEXT_SEPARATED)
@example('"a\\nb" == remark')
@example("0.0000000 == amount")
def test_parser_accepts_every_text_the_grammar_derives(text):
    """With words kept apart, the LALR parser accepts exactly what the grammar derives (no conflict
    silently resolved away), and the canonical text of the tree parses back to the same tree."""
    try:
        node = parse_expression(text)
    except ExprError as e:
        assert e.code in ("PE021", "PE005"), (e.code, e.message)  # only the size limits may refuse it
        return
    assert parse_expression(A.to_source(node)) == node, A.to_source(node)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(GRAMMAR_TEXT_SEPARATED)
@example("(a) or f((b), [ (c) ], sum(x for x in (xs) where (x.y)))")
@example("- (x) * (y) . z and not (w)")
def test_every_span_is_the_text_of_its_node(text):
    """A node's span is exactly its text — that text parses to the same node — brackets round a
    node belong to its parent, and a call's func_span is the function's name."""
    try:
        node = parse_expression(text)
    except ExprError:
        return
    for n in A.walk(node):
        start, end = n.span
        assert parse_expression(text[start:end]) == n, (text[start:end], n)
        assert all(start <= c.span[0] <= c.span[1] <= end for c in A.children(n))
        if isinstance(n, (A.Call, A.Aggregate)):
            assert text[n.func_span[0]:n.func_span[1]] == n.func


@ROBUST
@given(st.text(max_size=60))
@example("（a）")
@example("a = 1")
@example("x ≥ 1")
@example("“a”")
@example("'unterminated")
@example("1 +")
@example("\x00")
@example("if")
@example("a.")
@example("f(1,)")
@example("count(x for x in)")
def test_random_unicode_only_raises_expr_error(text):
    _only_own_errors(text)


_edit = st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 10 ** 6),
                  st.one_of(st.characters(), st.sampled_from(list("()[],.\"'#=<>!-+*/ 0123456789aeinotfr\u3000（）“，≥"))))


def _mutate(text: str, edits) -> str:
    for op, pos, ch in edits:
        i = pos % (len(text) + 1)
        if op == "insert":
            text = text[:i] + ch + text[i:]
        elif text:
            i = min(i, len(text) - 1)
            text = text[:i] + (ch if op == "replace" else "") + text[i + 1:]
    return text


@ROBUST
@given(st.one_of(TYPED_TEXT, GRAMMAR_TEXT), st.lists(_edit, min_size=1, max_size=4))
def test_mutated_expressions_only_raise_own_errors(text, edits):
    _only_own_errors(_mutate(text, edits))


# --------------------------------------------------------------------------------------
# Property 2: the compiled code agrees with the reference interpreter
# --------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(TYPED_TEXT, FACTS)
@example("max(e.grade for e in evaluation_history) >= \"excellent\"",
         {"evaluation_history": ({"year": 2020, "grade": "excellent"}, {"year": 2021, "grade": "qualified"})})
@example("min(education, if good_conduct then \"master\" else education)", {"education": "doctorate", "good_conduct": True})
@example("amount / 3 + 0 == amount / 3", {"amount": Decimal("1")})
@example("-(amount / 3) * -1 == amount / 3", {"amount": Decimal("1")})
@example("amount * amount", {"amount": Decimal("123456789012345.123456789012345")})
@example("3 in [x]", {})
@example("all(e.grade >= \"qualified\" for e in evaluation_history where e.year >= x)",
         {"evaluation_history": ({"year": 2020, "grade": "excellent"},)})
@example("any(bonus > 0 for e in evaluation_history)", {"evaluation_history": ({"year": 2020, "grade": "excellent"},), "bonus": None})
@example("years_after(dispatch_start, 100000000000000000000000000000 * 100000000000000000000000000000 * 1000)",
         {"dispatch_start": _dt.date(2024, 1, 1)})
@example("days_after(date(\"9999-12-31\"), 1) > as_of", {})
@example("min_grade >= (if null then min_grade else min_grade)", {})
@example("min_grade >= \"excellent\"", {})
def test_compiled_agrees_with_reference(text, facts):
    node, problems = _typed_ok(text)  # the typed grammar is a sub-language: it always parses
    assert parse_expression(A.to_source(node)) == node
    assume(not problems)
    check_against_reference(node, facts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(TYPED_TEXT, TYPED_TEXT)
@example("education", "1")
@example("education", '"bachelor"')
@example("education", '"bachelr"')
@example("education", "coalesce(\"master\", \"none\")")
@example("evaluation_history", "evaluation_history")
def test_in_a_one_item_list_types_like_equality(a, b):
    """`a in [b]` is well typed exactly when `a == b` is (it means `a == b`)."""
    def clean(text):
        try:
            return not typecheck(parse_expression(text), ENV)[1]
        except ExprError:
            return None
    eq, inn = clean(f"({a}) == ({b})"), clean(f"({a}) in [{b}]")
    assume(eq is not None and inn is not None)
    assert eq == inn, (eq, inn)


# --------------------------------------------------------------------------------------
# Plain unit tests: dates (民法典 第二百零一、二百零三条) and each operator family
# --------------------------------------------------------------------------------------


def ev(text: str, **facts):
    node = parse_expression(text)
    _, problems = typecheck(node, ENV)
    assert not problems, problems
    ref = Ref(facts, CONSTS).run(node)
    got = compile_function(node, ENV, CONSTS)(dict(facts))
    assert canon_engine(got) == canon_ref(ref), ("generated code", got, ref)
    return got


def _expr_error(text: str) -> str:
    with pytest.raises(ExprError) as ei:
        parse_expression(text)
    return ei.value.code


def problems_of(text: str) -> list[str]:
    return [p.code for p in typecheck(parse_expression(text), ENV)[1]]


D = _dt.date


@pytest.mark.parametrize("start, n, unit, end", [
    (D(2023, 5, 10), 3, "years", D(2026, 5, 10)),
    (D(2024, 2, 29), 5, "years", D(2029, 2, 28)),
    (D(2024, 2, 29), 4, "years", D(2028, 2, 29)),
    (D(2024, 1, 31), 1, "months", D(2024, 2, 29)),
    (D(2023, 1, 31), 1, "months", D(2023, 2, 28)),
    (D(2024, 3, 31), 1, "months", D(2024, 4, 30)),
    (D(2024, 8, 31), 6, "months", D(2025, 2, 28)),
    (D(2024, 11, 30), 3, "months", D(2025, 2, 28)),
    (D(2024, 12, 15), 1, "months", D(2025, 1, 15)),
    (D(2024, 1, 15), 0, "months", D(2024, 1, 15)),
    (D(2024, 3, 31), -1, "months", D(2024, 2, 29)),
])
def test_periods_in_years_and_months(start, n, unit, end):
    f = years_after if unit == "years" else months_after
    assert f(start, n) == end
    assert ev(f"{unit}_after(dispatch_start, {n})" if n >= 0 else f"{unit}_after(dispatch_start, -{-n})",
              dispatch_start=start) == end


def test_days():
    assert days_after(D(2024, 2, 28), 1) == D(2024, 2, 29)
    assert days_after(D(2023, 12, 31), 1) == D(2024, 1, 1)
    assert days_between(D(2024, 1, 1), D(2025, 1, 1)) == 366
    assert days_between(D(2025, 1, 1), D(2024, 1, 1)) == -366
    assert ev("days_between(dispatch_start, as_of)", dispatch_start=D(2023, 5, 10), as_of=D(2026, 5, 10)) == 1096
    assert ev('days_after(date("2024-02-28"), 2)') == D(2024, 3, 1)
    assert ev("year_of(as_of) * 10000 + month_of(as_of) * 100 + day_of(as_of)", as_of=D(2024, 2, 29)) == 20240229


def test_date_limits():
    with pytest.raises(EvalLimit):
        ev('years_after(date("9999-06-01"), 1)')
    with pytest.raises(EvalLimit):
        ev('days_after(date("9999-12-31"), 1)')
    with pytest.raises(EvalLimit):
        ev('months_after(date("0001-01-31"), -1)')
    assert ev('years_after(date("9998-12-31"), 1)') == D(9999, 12, 31)


def test_date_literals_must_be_iso_calendar_dates():
    assert problems_of('date("2024-02-29")') == []
    for bad in ("2024-02-30", "2023-02-29", "2024-W01-1", "20240101", "2024-1-1", "２０２４-01-01", "2024-01-01T00"):
        assert problems_of(f'date("{bad}")') == ["PE012"], bad


def test_arithmetic_is_exact_and_decimal():
    assert ev("1 + 2 * 3 - 4") == 3 and isinstance(ev("1 + 2"), int)
    assert ev("0.1 + 0.2 == 0.3") is True
    assert ev("7 / 2") == Decimal("3.5") and isinstance(ev("4 / 2"), Decimal)
    assert ev("1 / 3") == Decimal("0." + "3" * 34)
    assert ev("2 / 3") == Decimal("0." + "6" * 33 + "7")
    assert ev("amount / 3 + 0 == amount / 3", amount=Decimal(1)) is True
    assert ev("-(1 / 3) * -1 == 1 / 3") is True
    big = Decimal("123456789012345.123456789012345")
    assert Fraction(ev("amount * amount", amount=big)) == Fraction(big) ** 2
    assert ev("abs(amount)", amount=big.copy_negate()) == big
    assert ev("1 / 0") is None and ev("amount / 0.0", amount=Decimal(1)) is None
    assert ev("-service_days", service_days=3) == -3
    assert ev("bonus + 1", bonus=None) is None
    assert ev("bonus + 1") is MISSING
    assert ev("bonus * service_days", bonus=None) is MISSING  # missing wins over null
    with pytest.raises(EvalLimit):
        ev("service_days * 100000000000000000000000000000 * 100000000000000000000000000000 * 1000", service_days=1)
    assert ev("100000000000000000000000000000 * 100000000000000000000000000000 * 100") == 10 ** 60
    assert "PE005" in _expr_error("1" * 31)  # literals are bounded by the parser
    assert "PE023" in problems_of("good_conduct + 1")
    assert "PE023" in problems_of("as_of - dispatch_start")


def test_constant_overflow_is_raised_when_evaluated_not_when_compiled():
    node = parse_expression("100000000000000000000000000000 * 100000000000000000000000000000 * 1000")
    fn = compile_function(node, ENV, CONSTS)
    with pytest.raises(EvalLimit):
        fn({})
    node = parse_expression('years_after(date("9999-01-01"), 1) > as_of')
    for backend in BACKENDS.values():
        fn = backend(node, ENV, CONSTS)
        with pytest.raises(EvalLimit):
            fn({"as_of": _dt.date(2024, 1, 1)})


def test_comparisons():
    assert ev('education >= "bachelor"', education="master") is True
    assert ev('education < "bachelor"', education="master") is False
    assert ev('"doctorate" > education', education="none") is True
    assert ev('e.grade > min_grade', e={"year": 2020, "grade": "excellent"}) is True
    assert ev("e.grade > min_grade") is MISSING
    assert ev("as_of > dispatch_start", as_of=D(2024, 1, 2), dispatch_start=D(2024, 1, 1)) is True
    assert ev("1 == 1.0") is True and ev("2 > 1.5") is True
    assert ev("false_information_found == null", false_information_found=None) is True
    assert ev("false_information_found != null", false_information_found=D(2024, 1, 1)) is True
    assert ev("false_information_found == null") is MISSING
    assert ev("false_information_found < as_of", false_information_found=None, as_of=D(2024, 1, 1)) is None
    assert ev('service_type == "entrepreneurship"', service_type="entrepreneurship") is True
    assert "PE023" in problems_of('service_type < "entrepreneurship"')  # not ordered
    assert "PE025" in problems_of('education == "bachelr"')
    assert "PE023" in problems_of("education == 1")
    assert "PE023" in problems_of("good_conduct < true")
    assert "PE023" in problems_of("education < null")


def test_kleene_logic():
    values = {"true": True, "false": False, "x > 0": MISSING, "bonus > 0": None}
    for a, va in values.items():
        assert ev(f"not ({a})", bonus=None) is _k_not_engine(va)
        for b, vb in values.items():
            want_and = False if False in (va, vb) else True if (va, vb) == (True, True) else \
                MISSING if MISSING in (va, vb) else None
            want_or = True if True in (va, vb) else False if (va, vb) == (False, False) else \
                MISSING if MISSING in (va, vb) else None
            assert ev(f"({a}) and ({b})", bonus=None) is want_and, (a, b)
            assert ev(f"({a}) or ({b})", bonus=None) is want_or, (a, b)
    assert "PE023" in problems_of("service_days and true")


def _k_not_engine(v):
    return (not v) if isinstance(v, bool) else v


def test_if_then_else():
    assert ev("if good_conduct then 1 else 2", good_conduct=True) == 1
    assert ev("if good_conduct then 1 else 2", good_conduct=False) == 2
    assert ev("if good_conduct then 1 else 2") is MISSING
    assert ev("if bonus > 0 then 1 else 2", bonus=None) is None
    assert ev('if good_conduct then "master" else education', good_conduct=True) == "master"
    assert "PE023" in problems_of("if 1 then 2 else 3")
    assert "PE023" in problems_of("if true then 1 else as_of")


def test_membership():
    assert ev('education in ["master", "doctorate"]', education="master") is True
    assert ev('education not in ["master", "doctorate"]', education="master") is False
    assert ev("3 in [1, 2.0, 3]") is True and ev("3 in []") is False
    assert ev("3 in [x]") is MISSING and ev("3 not in [x]") is MISSING
    assert ev("3 in [x, 3]") is True
    assert ev("x in [1, 2]") is MISSING
    assert ev("bonus in [1, 2]", bonus=None) is False
    assert "PE025" in problems_of('education in ["master", "doctorat"]')
    assert "PE023" in problems_of("education in [1, 2]")
    assert "PE023" in problems_of("education in [service_type]")
    assert "PE023" in problems_of("service_days in 3")


def test_functions():
    assert ev("min(3, 1.5, 2)") == Decimal("1.5") and ev("max(3, 1.5)") == 3
    assert ev("max(1, 2)") == 2
    assert ev('max(education, if good_conduct then "bachelor" else education)', education="master", good_conduct=True) == "master"
    assert ev('min(education, if good_conduct then "bachelor" else education)', education="master", good_conduct=True) == "bachelor"
    assert "PE023" in problems_of('max(education, "bachelor")')  # a bare text is not an education
    assert ev("min(as_of, dispatch_start)", as_of=D(2024, 1, 2), dispatch_start=D(2024, 1, 1)) == D(2024, 1, 1)
    assert ev("min(1, x)") is MISSING and ev("min(1, bonus)", bonus=None) is None
    assert ev("abs(-2.5)") == Decimal("2.5")
    assert ev("coalesce(bonus, 7)", bonus=None) == 7
    assert ev("coalesce(bonus, 7)") is MISSING
    assert ev("coalesce(3, bonus)") == 3
    assert ev("len(evaluation_history)", evaluation_history=({"year": 1, "grade": "qualified"},)) == 1
    assert "PE027" in problems_of("lenght(evaluation_history)")
    assert "PE024" in problems_of("years_after(as_of)")
    assert "PE023" in problems_of("years_after(as_of, 1.5)")
    assert "PE023" in problems_of('min(service_type, service_type)')


HISTORY = ({"year": 2021, "grade": "excellent"}, {"year": 2022, "grade": "qualified"}, {"year": 2023, "grade": "unqualified"})


def test_aggregates():
    h = {"evaluation_history": HISTORY}
    assert ev("count(e for e in evaluation_history where e.grade >= \"qualified\")", **h) == 2
    assert ev("sum(e.year for e in evaluation_history)", **h) == 6066
    assert ev("max(e.grade for e in evaluation_history)", **h) == "excellent"
    assert ev("min(e.grade for e in evaluation_history)", **h) == "unqualified"
    assert ev("max(e.year for e in evaluation_history where e.grade == \"excellent\")", **h) == 2021
    assert ev("min(e.year for e in evaluation_history where false)", **h) is None
    assert ev("sum(e.year for e in evaluation_history where false)", **h) == 0
    assert ev("any(e.grade == \"excellent\" for e in evaluation_history)", **h) is True
    assert ev("all(e.grade >= \"qualified\" for e in evaluation_history)", **h) is False
    assert ev("all(e.grade >= \"qualified\" for e in evaluation_history where e.year < 2023)", **h) is True
    assert ev("count(e for e in evaluation_history)") is MISSING
    assert ev("count(e for e in evaluation_history where e.year > x)", **h) is MISSING
    # Kleene: an item whose `where` is unknown matters only when it could change the answer
    assert ev("all(e.grade >= \"unqualified\" for e in evaluation_history where e.year > x)", **h) is True
    assert ev("any(e.grade == \"excellent\" for e in evaluation_history where e.year > x)", **h) is MISSING
    assert ev("any(e.year > 3000 for e in evaluation_history where e.year > x)", **h) is False
    assert ev("any(e.year > 2022 and bonus > 0 for e in evaluation_history)", bonus=None, **h) is None
    assert ev("sum(x for x in [1, 2.5, x])", x=4) == Decimal("7.5")
    assert ev("sum(x for x in [1, bonus])", bonus=None) == 1
    assert ev("count(x for x in [x, x])") == 2
    assert ev("sum(x for x in [1, x])") is MISSING
    assert "PE027" in problems_of("total(e.year for e in evaluation_history)")
    assert "PE023" in problems_of("sum(e.grade for e in evaluation_history)")
    assert "PE023" in problems_of("any(e.year for e in evaluation_history)")


def test_loop_variables_shadow_and_are_restored():
    facts = {"x": 100, "evaluation_history": HISTORY}
    env = dict(facts)
    fn = compile_function(parse_expression("sum(x for x in [1, 2]) + x"), ENV, CONSTS)
    assert fn(env) == 103 and env == facts
    assert ev("sum(retention_years for retention_years in [1, 2]) + retention_years") == 8


def test_deep_expressions_are_expr_errors():
    for text in ("1+" * 1999 + "1", "-" * 3999 + "1", "not " * 999 + "true", "e" + ".year" * 799,
                 "if true then 1 else " * 200 + "1", "(" * 49 + "1" + ")" * 49):
        assert _expr_error(text) == "PE021"
    # deep but reasonable expressions still work end to end, with both backends
    n = DEFAULT_LIMITS.max_expression_tree_depth // 2
    assert ev("1+" * n + "1") == n + 1
    assert ev("not " * (2 * (n // 2)) + "true") is True
    assert ev("if good_conduct then 1 else " * n + "0", good_conduct=False) == 0
