"""What generated decision code uses at run time: the value of an unknown, exact
arithmetic, and the helpers that keep three-valued (Kleene) logic.

Values at run time: bool, int, Decimal, str (enum values too), date, list,
dict (records), ``None`` for null, and :data:`MISSING` for a fact the case
does not give.  Logic is three-valued: ``false and MISSING`` is false,
``true and MISSING`` is MISSING.
"""
from __future__ import annotations

import datetime as _dt
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from typing import Any

from . import dates
from .diagnostics import Text

__all__ = ["MISSING", "Unknown", "EvalLimit", "exact", "MAX_STEPS", "bounded"]


class Unknown:
    """The value of something that depends on a fact the case does not give."""

    _inst = None

    def __new__(cls):
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:  # never silently true or false
        raise TypeError("MISSING has no truth value")


MISSING = Unknown()
_CTX = Context(prec=34)  # our own context: no change to the process-wide one
# + - * (and unary minus, abs, sum) are exact: evaluation runs in this context, never the
# process-wide one (28 digits).  Division is the only rounding operation, in _CTX above.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_MAX_MAGNITUDE = 10 ** 60


def exact():
    """A fresh context manager for evaluating in :data:`_EXACT` (no '/' may run inside it)."""
    return localcontext(_EXACT)


def _in(a, b) -> Any:
    """``a in b`` where an item of ``b`` may be MISSING: not found then means unknown (Kleene)."""
    if a in b:
        return True
    return MISSING if any(x is MISSING for x in b) else False


def _unselected(func: str, w: Any, b: Any) -> Any:
    """any/all: an item whose 'where' is unknown (w) counts as (w and b) / (not w or b)."""
    neutral = func == "all"
    return neutral if b is neutral else (MISSING if w is MISSING or b is MISSING else None)


class EvalLimit(Exception):
    """An evaluation went past a bound (a number too large, a date past 9999, too many steps).
    Its one argument is a :class:`Text`; ``str()`` of it is the English."""

    @property
    def text(self) -> Text:
        a = self.args[0] if self.args else ""
        return a if isinstance(a, Text) else Text(str(a), str(a))


# The steps of one evaluation: each item an aggregate (count, sum, any, all, min, max) visits
# is a step, so aggregates nested in aggregates cost the product of their lists and are
# stopped, not waited for.  Everything else an evaluation does is bounded by the size limits
# of the expressions (Limits); a legitimate case takes a few hundred steps.
MAX_STEPS = 1_000_000
_STEPS: ContextVar = ContextVar("policyengine_steps", default=None)  # per evaluation (and per thread)


def bounded(fn, *args):
    """``fn(*args)`` as one evaluation, with its own step budget (a plain function, not a context
    manager: it runs for every decision)."""
    token = _STEPS.set([MAX_STEPS])
    try:
        return fn(*args)
    finally:
        _STEPS.reset(token)


def _too_many():
    raise EvalLimit(Text(f"计算超过了 {MAX_STEPS:,} 步（对很长的列表层层汇总）",
                         f"the evaluation took more than {MAX_STEPS:,} steps (aggregates over long lists, nested)"))


_PAST_9999 = Text("计算出的日期超过了 9999 年", "a date went past the year 9999")


def _checked(v):
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        if (v.copy_abs() if type(v) is Decimal else abs(v)) > _MAX_MAGNITUDE:  # (no context needed: see cases._bounded)
            raise EvalLimit(Text("计算中的数字超过了 10^60", "a number grew past 10^60"))
        if type(v) is Decimal and v and v.as_tuple().exponent < -_MAX_FRACTION_DIGITS:
            raise EvalLimit(Text(f"计算中的数字小数点后超过了 {_MAX_FRACTION_DIGITS} 位",
                                 f"a number has more than {_MAX_FRACTION_DIGITS} digits after the decimal point"))
    return v


_MAX_FRACTION_DIGITS = 1_000  # products of decimals add up their digits (squaring doubles them); a yuan amount needs two


def _div(a, b):
    if b == 0:
        return None
    return _checked(_CTX.divide(Decimal(a), Decimal(b)))


def _call(name: str, args: list) -> Any:
    if name == "coalesce":
        for a in args:
            if a is MISSING:
                return MISSING
            if a is not None:
                return a
        return None
    if any(a is MISSING for a in args):
        return MISSING
    if any(a is None for a in args):
        return None
    try:
        if name == "years_after":
            return dates.years_after(args[0], args[1])
        if name == "months_after":
            return dates.months_after(args[0], args[1])
        if name == "days_after":
            return dates.days_after(args[0], args[1])
    except (OverflowError, ValueError):
        raise EvalLimit(_PAST_9999)
    if name == "days_between":
        return dates.days_between(args[0], args[1])
    if name == "year_of":
        return args[0].year
    if name == "month_of":
        return args[0].month
    if name == "day_of":
        return args[0].day
    if name == "min":
        return min(args)
    if name == "max":
        return max(args)
    if name == "abs":
        return abs(args[0])
    if name == "len":
        return len(args[0])
    if name == "date":
        return _dt.date.fromisoformat(args[0])
    raise AssertionError(name)  # pragma: no cover - check rejects unknown functions


def _unk(a, b):
    return MISSING if a is MISSING or b is MISSING else None


def _agg(func: str, items, where, body, rank=None):
    """An aggregate with aggregates inside it: outside an evaluation's budget, it and those inside
    it share one budget of their own (else each would have its own, as :func:`_aggf` has)."""
    if items is MISSING or items is None:
        return items
    if _STEPS.get() is None:
        token = _STEPS.set([MAX_STEPS])
        try:
            return _aggf(func, items, where, body, rank)
        finally:
            _STEPS.reset(token)
    return _aggf(func, items, where, body, rank)


def _aggf(func: str, items, where, body, rank=None):
    """:func:`_agg` for an aggregate with no aggregate inside it, in one pass: the same values, the
    same steps spent (from the evaluation's budget, or from a budget of its own outside one, as
    :func:`_agg` sets) and every item's ``where`` and body evaluated as there, so that the same
    item stops the evaluation (a date past 9999)."""
    if items is MISSING or items is None:
        return items
    left = _STEPS.get()
    if left is None:
        if len(items) + 1 > MAX_STEPS:
            _too_many()
    else:
        left[0] -= len(items) + 1
        if left[0] < 0:
            _too_many()
    if func == "count":
        n, unknown = 0, False
        if where is None:
            return len(items)
        for it in items:
            w = where(it)
            if w is True:
                n += 1
            elif w is not False:
                unknown = True
        return MISSING if unknown else n
    if func == "any" or func == "all":
        decider = func == "any"
        hit = missing = null = False
        for it in items:
            if where is not None:
                w = where(it)
                if w is False:
                    continue
                v = body(it) if w is True else _unselected(func, w, body(it))
            else:
                v = body(it)
            if v is decider:
                hit = True
            elif v is MISSING:
                missing = True
            elif v is not True and v is not False:
                null = True
        return decider if hit else MISSING if missing else None if null else not decider
    vals, unknown = [], False
    for it in items:
        if where is not None:
            w = where(it)
            if w is False:
                continue
            if w is not True:
                unknown = True
                continue
        vals.append(body(it))
    if unknown or any(v is MISSING for v in vals):
        return MISSING
    vals = [v for v in vals if v is not None]
    if func == "sum":
        return _checked(sum(vals))
    if not vals:
        return None
    key = rank.__getitem__ if rank is not None else None  # ordered enums compare by rank, not by spelling
    return min(vals, key=key) if func == "min" else max(vals, key=key)


def _minmax_rank(func: str, rank: dict, args):
    if any(a is MISSING for a in args):
        return MISSING
    if any(a is None for a in args):
        return None
    return (min if func == "min" else max)(args, key=rank.__getitem__)


def _days_after(d, days):
    try:
        return dates.days_after(d, days)
    except (OverflowError, ValueError):
        raise EvalLimit(_PAST_9999)


def _months_after(d, months):
    try:
        return dates.months_after(d, months)
    except (OverflowError, ValueError):
        raise EvalLimit(_PAST_9999)


@dataclass(frozen=True)
class ParamHistory:
    """A parameter's values at one jurisdiction, each from the day it came into force (for in_force_on)."""

    name: str
    since: tuple  # ((first day, value or None), ...), oldest first
    favourable: str | None  # higher / lower: which way a later value favours the subject
    # (day, as_of) -> what in_force_on answers: a decision asks the same few days again and again
    memo: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def at(self, day: _dt.date) -> Any:
        v = None
        for start, value in self.since:
            if start > day:
                break
            v = value
        return v


def _in_force_on(day, h, as_of) -> Any:
    """The value in force on ``day`` (an event's date); a later one (in force at ``as_of``) only where more
    favourable to the subject.  Where no value was in force that day, the first that came into force after it
    governs — except for a parameter ``favourable: lower`` (a burden such as the years of a ban): none, the
    most favourable, stays (None; a later burden is never retroactive).  Where the parameter is gone at ``as_of``
    (its rules repealed), the day's value stands, and a burden is lifted.  An event dated after ``as_of`` has not
    happened: the value in force at ``as_of`` is the one known."""
    if day is MISSING or h is MISSING:
        return MISSING
    if day is None or not isinstance(h, ParamHistory):
        return None if day is None else h
    memo, key = h.memo, (day, as_of)
    got = memo.get(key, memo)  # (the dict itself: nothing in it)
    if got is memo:
        got = _value_on(day, h, as_of)
        if len(memo) >= 4096:
            memo.clear()
        memo[key] = got
    return got


def _value_on(day, h: ParamHistory, as_of) -> Any:
    now = then = None  # h.at(as_of), h.at(min(day, as_of)) in one pass over the values, oldest first
    for start, value in h.since:
        if start > as_of:
            break
        now = value
        if start <= day:
            then = value
    if then is None:  # no rule was in force on the day: the first that came into force after it governs,
        if h.favourable == "lower":  # but no burden attaches to an event of before it (none is more favourable)
            return None
        then = next((v for start, v in h.since if day < start <= as_of and v is not None), None)
    if then is None:
        return now
    if now is None:  # no value at as_of (the rule is gone): the day's stands, but a burden lifted is lifted
        return None if h.favourable == "lower" else then
    if h.favourable == "higher" and now > then or h.favourable == "lower" and now < then:
        return now
    return then


RUNTIME = {"M": MISSING, "_unk": _unk, "_agg": _agg, "_aggf": _aggf, "_minmax_rank": _minmax_rank, "_call": _call, "_chk": _checked, "_div": _div,
            "_in": _in, "_exact": exact,
            "_months_after": _months_after, "_days_after": _days_after, "_in_force_on": _in_force_on}
