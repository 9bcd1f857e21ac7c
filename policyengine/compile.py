"""Stage 5 — compile: checked expressions to Python closures.

Each AST node becomes a closure over its children's closures; operators are
chosen when the closure is built (ordered enums compare by rank, a constant
operand is captured, constant sub-expressions and parameters are folded).
Nothing from a file is ever passed to eval or exec.

Values at run time: bool, int, Decimal, str (enum values too), date, list,
dict (records), ``None`` for null, and :data:`MISSING` for a fact the case
does not give.  Logic is three-valued (Kleene): ``false and MISSING`` is
false, ``true and MISSING`` is MISSING.
"""
from __future__ import annotations

import datetime as _dt
import operator
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from typing import Any, Callable

from . import ast as A
from . import dates
from .types import Env, T, typecheck

__all__ = ["MISSING", "Unknown", "compile_expr", "compile_standalone", "EvalLimit"]


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


def _anyall(func: str, vals: list) -> Any:
    """Kleene fold of any()/all(): a deciding value wins, else MISSING, else null, else the unit."""
    decider = func == "any"
    if any(v is decider for v in vals):
        return decider
    if any(v is MISSING for v in vals):
        return MISSING
    if any(v is not True and v is not False for v in vals):
        return None
    return not decider


def _unselected(func: str, w: Any, b: Any) -> Any:
    """any/all: an item whose 'where' is unknown (w) counts as (w and b) / (not w or b)."""
    neutral = func == "all"
    return neutral if b is neutral else (MISSING if w is MISSING or b is MISSING else None)


class EvalLimit(Exception):
    """An evaluation went past a bound (a number too large, a date past 9999)."""


Fn = Callable[[dict], Any]


def _is_const(f) -> bool:
    return getattr(f, "const", False)


def _const(v: Any) -> Fn:
    def f(e):
        return v

    f.const = True
    f.value = v
    return f


def _checked(v):
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool) and abs(v) > _MAX_MAGNITUDE:
        raise EvalLimit("a number grew past 10^60")
    return v


def _div(a, b):
    if b == 0:
        return None
    return _CTX.divide(Decimal(a), Decimal(b))


_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _div}
_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


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
        raise EvalLimit("a date went past the year 9999")
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


class _Compiler:
    def __init__(self, env: Env, consts: dict[str, Any]):
        self.env = env
        self.consts = consts

    def type_of(self, n: A.Node, env: Env) -> T:
        return typecheck(n, env)[0]

    def rank_for(self, n: A.Compare, env: Env):
        for side in (n.left, n.right):
            t = self.type_of(side, env)
            if t.kind == "enum" and t.enum.ordered:
                return t.enum.rank()
        return None

    def c(self, n: A.Node, env: Env) -> Fn:
        f = self._c(n, env)
        if not _is_const(f) and not isinstance(n, (A.Name, A.Literal)) and _foldable(n) \
                and all(_is_const(x) for x in getattr(f, "parts", ())) and getattr(f, "parts", None):
            try:
                return _const(f({}))
            except EvalLimit:  # e.g. a date past 9999: leave it to run time, where it is a PE080
                return f
        return f

    def _c(self, n: A.Node, env: Env) -> Fn:
        if isinstance(n, A.Literal):
            return _const(n.value)
        if isinstance(n, A.Name):
            if n.name in self.consts and env.kinds.get(n.name) != "variable":
                return _const(self.consts[n.name])
            key = n.name
            return lambda e: e.get(key, MISSING)
        if isinstance(n, A.Attr):
            tgt = self.c(n.target, env)
            fld = n.field_name

            def attr(e):
                v = tgt(e)
                if v is MISSING or v is None:
                    return v
                return v.get(fld, MISSING)

            attr.parts = (tgt,)
            return attr
        if isinstance(n, A.ListLit):
            items = [self.c(i, env) for i in n.items]
            if all(_is_const(i) for i in items):
                return _const(tuple(i.value for i in items))
            return lambda e: tuple(i(e) for i in items)
        if isinstance(n, A.Unary):
            x = self.c(n.operand, env)

            def neg(e):
                v = x(e)
                return v if v is MISSING or v is None else -v

            neg.parts = (x,)
            return neg
        if isinstance(n, A.Binary):
            return self.binary(n, env)
        if isinstance(n, A.Compare):
            return self.compare(n, env)
        if isinstance(n, A.BoolOp):
            return self.boolop(n, env)
        if isinstance(n, A.Not):
            x = self.c(n.operand, env)

            def not_(e):
                v = x(e)
                return (not v) if v is True or v is False else v

            not_.parts = (x,)
            return not_
        if isinstance(n, A.In):
            item, cont = self.c(n.item, env), self.c(n.container, env)
            neg = n.negated

            def in_(e):
                a = item(e)
                if a is MISSING:
                    return MISSING
                b = cont(e)
                if b is MISSING or b is None:
                    return b
                r = _in(a, b)
                return (not r) if neg and r is not MISSING else r

            in_.parts = (item, cont)
            return in_
        if isinstance(n, A.If):
            cond, then, orelse = self.c(n.cond, env), self.c(n.then, env), self.c(n.orelse, env)

            def if_(e):
                c = cond(e)
                if c is True:
                    return then(e)
                if c is False:
                    return orelse(e)
                return c

            if_.parts = (cond, then, orelse)
            return if_
        if isinstance(n, A.Call):
            args = [self.c(a, env) for a in n.args]
            name = n.func
            if name in ("min", "max"):  # ordered enums compare by rank, not by spelling
                ets = [t for t in (self.type_of(a, env) for a in n.args) if t.kind == "enum" and t.enum and t.enum.ordered]
                if ets:
                    rank, pick = ets[0].enum.rank(), (min if name == "min" else max)

                    def call_rank(e):
                        vs = [a(e) for a in args]
                        if any(v is MISSING for v in vs):
                            return MISSING
                        if any(v is None for v in vs):
                            return None
                        return pick(vs, key=rank.__getitem__)

                    call_rank.parts = tuple(args)
                    return call_rank

            def call(e):
                return _call(name, [a(e) for a in args])

            call.parts = tuple(args)
            return call
        if isinstance(n, A.Aggregate):
            return self.aggregate(n, env)
        raise TypeError(n)  # pragma: no cover

    def binary(self, n: A.Binary, env: Env) -> Fn:
        l, r = self.c(n.left, env), self.c(n.right, env)
        op = _ARITH[n.op]

        def bin_(e):
            a = l(e)
            if a is MISSING:
                return MISSING
            b = r(e)
            if b is MISSING:
                return MISSING
            if a is None or b is None:
                return None
            return _checked(op(a, b))

        bin_.parts = (l, r)
        return bin_

    def compare(self, n: A.Compare, env: Env) -> Fn:
        l, r = self.c(n.left, env), self.c(n.right, env)
        op = _CMP[n.op]
        rank = self.rank_for(n, env) if n.op not in ("==", "!=") else None
        if rank is not None:
            if _is_const(r) and r.value is not None:  # a folded null takes the general path
                rv = rank[r.value]

                def cmp_rank_const(e):
                    a = l(e)
                    if a is MISSING or a is None:
                        return a
                    return op(rank[a], rv)

                cmp_rank_const.parts = (l, r)
                return cmp_rank_const

            def cmp_rank(e):
                a, b = l(e), r(e)
                if a is MISSING or b is MISSING:
                    return MISSING
                if a is None or b is None:
                    return None
                return op(rank[a], rank[b])

            cmp_rank.parts = (l, r)
            return cmp_rank
        equality = n.op in ("==", "!=")
        if _is_const(r) and r.value is not None:
            rv = r.value

            def cmp_const(e):
                a = l(e)
                if a is MISSING or a is None:
                    return a if not (equality and a is None) else op(a, rv)
                return op(a, rv)

            cmp_const.parts = (l, r)
            return cmp_const

        def cmp_(e):
            a, b = l(e), r(e)
            if a is MISSING or b is MISSING:
                return MISSING
            if equality:
                return op(a, b)
            if a is None or b is None:
                return None
            return op(a, b)

        cmp_.parts = (l, r)
        return cmp_

    def boolop(self, n: A.BoolOp, env: Env) -> Fn:
        l, r = self.c(n.left, env), self.c(n.right, env)
        if n.op == "and":
            def and_(e):
                a = l(e)
                if a is False:
                    return False
                b = r(e)
                if b is False:
                    return False
                if a is True and b is True:
                    return True
                return MISSING if a is MISSING or b is MISSING else None

            and_.parts = (l, r)
            return and_

        def or_(e):
            a = l(e)
            if a is True:
                return True
            b = r(e)
            if b is True:
                return True
            if a is False and b is False:
                return False
            return MISSING if a is MISSING or b is MISSING else None

        or_.parts = (l, r)
        return or_

    def aggregate(self, n: A.Aggregate, env: Env) -> Fn:
        src = self.c(n.source, env)
        st = self.type_of(n.source, env)
        inner = env.child(n.var, st.elem if st.kind == "list" and st.elem else T("any"))
        body = self.c(n.body, inner)
        where = self.c(n.where, inner) if n.where is not None else None
        var, func = n.var, n.func
        bt = self.type_of(n.body, inner)
        key = bt.enum.rank().__getitem__ if bt.kind == "enum" and bt.enum and bt.enum.ordered else None  # by rank

        def agg(e):
            items = src(e)
            if items is MISSING or items is None:
                return items
            saved = e.get(var, MISSING)
            vals, unknown = [], False
            try:
                for it in items:
                    e[var] = it
                    if where is not None:
                        w = where(e)
                        if w is False:
                            continue
                        if w is not True:
                            if func in ("any", "all"):
                                vals.append(_unselected(func, w, body(e)))
                            else:
                                unknown = True
                            continue
                    vals.append(body(e) if func != "count" else True)
            finally:
                if saved is MISSING:
                    e.pop(var, None)
                else:
                    e[var] = saved
            if func == "count":
                return MISSING if unknown else len(vals)
            if func in ("any", "all"):
                return _anyall(func, vals)
            if unknown or any(v is MISSING for v in vals):
                return MISSING
            vals = [v for v in vals if v is not None]
            if func == "sum":
                return _checked(sum(vals))
            if not vals:
                return None
            return min(vals, key=key) if func == "min" else max(vals, key=key)

        agg.parts = (src,)
        return agg


def _foldable(n: A.Node) -> bool:
    # aggregates bind variables; names are read from the case: neither folds
    return not isinstance(n, A.Aggregate)


def compile_expr(node: A.Node, env: Env, consts: dict[str, Any] | None = None) -> Fn:
    """Compile a checked expression.  ``consts`` are parameter values to fold in."""
    with exact():  # constant folding computes too
        fn = _Compiler(env, consts or {}).c(node, env)

    def run(e):
        with exact():
            return fn(e)

    return run


def compile_standalone(ps, rule) -> Callable[[dict], Any]:
    """A rule's condition as a function of facts only (used by check to compare restatements)."""
    names = {n: f.type for (s, n), f in ps.facts.items() if s == rule.subject}
    consts = {p.name: p.value for p in ps.params}
    env = Env(names, {n: "fact" for n in names})
    fn = compile_expr(rule.condition.node, env, consts)
    return lambda facts: fn(dict(facts))
