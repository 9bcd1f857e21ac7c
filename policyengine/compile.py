"""Stage 5 — compile: checked expressions (and, with :mod:`evaluate`, whole decisions) to Python.

The typed AST becomes straight-line Python source, compiled once; operators
are chosen for the operand types (ordered enums compare by rank), parameters
are folded in, and literal operands need no tests.  Safety: the
generated source contains only identifiers and operators of our own — every
value that came from a file (numbers, text, dates, fact names, rank tables)
is passed in the function's namespace as an object under a generated name
(``c0``, ``c1`` …).  No text from a file is ever part of the source, so
nothing a policy officer writes can become code.

Semantics are those of :mod:`runtime` (three-valued, exact), which the
property tests check against an independent interpreter.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from . import ast as A
from .runtime import RUNTIME as _RUNTIME
from .types import Env, T, typecheck

__all__ = ["Gen", "compile_function", "compile_standalone"]



_SURE = re.compile(r"as_of|c[0-9]+|[0-9]+|True|False")  # never unknown, never null: the date of the decision, constants
_CMP = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# functions generated inline (number of arguments, the code once no argument is MISSING or null),
# as runtime._call computes them
_DIRECT = {"len": (1, "len({a})"), "abs": (1, "abs({a})"), "days_between": (2, "({b} - {a}).days"),
           "days_after": (2, "_days_after({a}, {b})")}


class Gen:
    """Builds the source of one function and the namespace its constants live in."""

    def __init__(self):
        self.ns: dict[str, Any] = dict(_RUNTIME)
        self._consts: dict[tuple, str] = {}
        self._n = 0
        self.exact = False  # set when the code does Decimal + - * (then it runs in runtime.exact())

    def tmp(self) -> str:
        self._n += 1
        return f"_t{self._n}"

    def const(self, value: Any) -> str:
        if value is None or value is True or value is False:
            return repr(value)
        if type(value) is int:
            return repr(value)  # digits only: safe, and lets Python fold
        key = (type(value).__name__, repr(value) if not isinstance(value, dict) else id(value))
        name = self._consts.get(key)
        if name is None:
            name = f"c{len(self._consts)}"
            self._consts[key] = name
            self.ns[name] = value
        return name

    def expr(self, n: A.Node, env: Env, resolve: Callable[[str], str], consts: dict | None = None) -> str:
        """Python source for ``n``; names in ``consts`` (parameters) are folded in as literals first."""
        if consts:
            n = fold(n, consts, env)
        return self._expr(n, env, resolve)

    def bind(self, x: str) -> tuple[str, str]:
        """(the code that evaluates ``x`` where it is first tested, the name that holds it after):
        a local or a constant is read again where needed; anything else is held in a temporary."""
        if x.isidentifier():
            return x, x
        a = self.tmp()
        return f"({a} := {x})", a

    def guard(self, x: str, build: Callable[[str], str], null: bool = True) -> str:
        """``build(a)`` with ``a`` the value of ``x`` where it is not unknown (nor null, with
        ``null``); else that value.  The date of the decision and a constant are never either."""
        if _SURE.fullmatch(x):
            return build(x)
        first, a = self.bind(x)
        return f"({a} if {first} is M{f' or {a} is None' if null else ''} else {build(a)})"

    def guard2(self, x: str, y: str, build: Callable[[str, str], str], null: bool = True) -> str:
        """``build(a, b)`` where neither value is unknown nor (with ``null``) null: unknown wins,
        then null; ``y`` is evaluated only where ``x`` is known."""
        def inner(a: str) -> str:
            def last(b: str) -> str:
                nulls = [v for v in (a, b) if not _SURE.fullmatch(v)] if null else []
                return f"(None if {' or '.join(v + ' is None' for v in nulls)} else {build(a, b)})" if nulls else build(a, b)
            return self.guard(y, last, null=False)
        return self.guard(x, inner, null=False)

    # --- expressions --------------------------------------------------------------------
    def _expr(self, n: A.Node, env: Env, resolve: Callable[[str], str]) -> str:
        if not self.exact and (isinstance(n, (A.Unary, A.Binary)) and n.op != "/" or isinstance(n, (A.Call, A.Aggregate))
                               and n.func in ("abs", "sum")) and typecheck(n, env)[0].kind != "int":
            self.exact = True
        if isinstance(n, A.Literal):
            return self.const(n.value)
        if isinstance(n, A.Name):
            return resolve(n.name)
        if isinstance(n, A.Attr):
            return self.guard(self._expr(n.target, env, resolve), lambda a: f"{a}.get({self.const(n.field_name)}, M)")
        if isinstance(n, A.ListLit):
            if all(isinstance(i, A.Literal) for i in n.items):
                return self.const(tuple(i.value for i in n.items))
            return "(" + "".join(self._expr(i, env, resolve) + ", " for i in n.items) + ")"
        if isinstance(n, A.Unary):
            return self.guard(self._expr(n.operand, env, resolve), lambda a: f"-{a}")
        if isinstance(n, A.Binary):
            x, y = self._expr(n.left, env, resolve), self._expr(n.right, env, resolve)
            if isinstance(n.left, A.Literal) and n.left.value is not None and n.op in "+*":
                n = A.Binary(n.op, n.right, n.left, span=n.span)  # constant on the right: one test less
                x, y = y, x
            if isinstance(n.right, A.Literal) and n.right.value is not None and n.op in "+-*":
                checked = not _bounded_product(n.left, n.right.value, env)  # every result is bounded (sums grow too)
                return self.guard(x, lambda a: f"_chk({a} {n.op} {y})" if checked else f"{a} {n.op} {y}")
            op = {"+": "_chk({a} + {b})", "-": "_chk({a} - {b})", "*": "_chk({a} * {b})", "/": "_div({a}, {b})"}[n.op]
            return self.guard2(x, y, lambda a, b: op.format(a=a, b=b))
        if isinstance(n, A.Compare):
            return self.compare(n, env, resolve)
        if isinstance(n, A.BoolOp):
            (fx, a), (fy, b) = self.bind(self._expr(n.left, env, resolve)), self.bind(self._expr(n.right, env, resolve))
            if n.op == "and":
                return f"(False if {fx} is False else (False if {fy} is False else (True if {a} is True and {b} is True else _unk({a}, {b}))))"
            return f"(True if {fx} is True else (True if {fy} is True else (False if {a} is False and {b} is False else _unk({a}, {b}))))"
        if isinstance(n, A.Not):
            fx, a = self.bind(self._expr(n.operand, env, resolve))
            return f"((not {a}) if {fx} is True or {a} is False else {a})"
        if isinstance(n, A.In):
            x, y = self._expr(n.item, env, resolve), self._expr(n.container, env, resolve)
            if isinstance(n.container, A.ListLit) and all(isinstance(i, A.Literal) for i in n.container.items):
                return self.guard(x, lambda a: f"{a} not in {y}" if n.negated else f"{a} in {y}", null=False)

            def test(a: str) -> str:
                def inner(b: str) -> str:  # an item may be M
                    if not n.negated:
                        return f"_in({a}, {b})"
                    t = self.tmp()
                    return f"(M if ({t} := _in({a}, {b})) is M else not {t})"
                return self.guard(y, inner)
            return self.guard(x, test, null=False)
        if isinstance(n, A.If):
            fc, c = self.bind(self._expr(n.cond, env, resolve))
            return (f"({self._expr(n.then, env, resolve)} if {fc} is True else "
                    f"({self._expr(n.orelse, env, resolve)} if {c} is False else {c}))")
        if isinstance(n, A.Call):
            if n.func == "in_force_on":  # the second argument is a parameter's history (see fold)
                return (f"_in_force_on({self._expr(n.args[0], env, resolve)}, {self._expr(n.args[1], env, resolve)}, "
                        f"{resolve('as_of')})")
            if n.func in ("year_of", "month_of", "day_of"):
                attr = {"year_of": "year", "month_of": "month", "day_of": "day"}[n.func]
                return self.guard(self._expr(n.args[0], env, resolve), lambda a: f"{a}.{attr}")
            if n.func in ("years_after", "months_after"):
                x, y = self._expr(n.args[0], env, resolve), self._expr(n.args[1], env, resolve)
                if isinstance(n.args[1], A.Literal) and type(n.args[1].value) is int:
                    months = 12 * n.args[1].value if n.func == "years_after" else n.args[1].value
                    return self.guard(x, lambda a: f"_months_after({a}, {months!r})")
                return self.guard2(x, y, lambda a, b: f"_months_after({a}, {'12 * ' + b if n.func == 'years_after' else b})")
            if n.func in _DIRECT and len(n.args) == _DIRECT[n.func][0]:  # without _call's dispatch, same values
                code = _DIRECT[n.func][1]
                x = self._expr(n.args[0], env, resolve)
                if len(n.args) == 1:
                    return self.guard(x, lambda a: code.format(a=a))
                # both arguments evaluated, as _call has them, before either is tested
                (fx, a), (fy, b) = self.bind(x), self.bind(self._expr(n.args[1], env, resolve))
                return f"(M if ({fx} is M) | ({fy} is M) else (None if {a} is None or {b} is None else {code.format(a=a, b=b)}))"
            args = "".join(self._expr(a, env, resolve) + ", " for a in n.args)
            if n.func in ("min", "max"):
                ranked = [t for t in (typecheck(a, env)[0] for a in n.args) if t.kind == "enum" and t.enum and t.enum.ordered]
                if ranked:
                    return f"_minmax_rank({self.const(n.func)}, {self.const(ranked[0].enum.rank())}, ({args}))"
            return f"_call({self.const(n.func)}, ({args}))"
        if isinstance(n, A.Aggregate):
            st = typecheck(n.source, env)[0]
            inner = env.child(n.var, st.elem if st.kind == "list" and st.elem else T("any"))
            var = self.tmp()

            def res(name: str) -> str:
                return var if name == n.var else resolve(name)

            where = f"lambda {var}: {self._expr(n.where, inner, res)}" if n.where is not None else "None"
            body = f"lambda {var}: {self._expr(n.body, inner, res)}"
            bt = typecheck(n.body, inner)[0]
            rank = self.const(bt.enum.rank()) if n.func in ("min", "max") and bt.kind == "enum" and bt.enum and bt.enum.ordered else "None"
            nested = any(isinstance(x, A.Aggregate) for part in (n.body, n.where) if part is not None
                         for x in A.walk(part))
            agg = "_agg" if nested else "_aggf"  # one with none inside it: one pass, no budget of its own to set
            return f"{agg}({self.const(n.func)}, {self._expr(n.source, env, resolve)}, {where}, {body}, {rank})"
        raise TypeError(n)  # pragma: no cover

    def compare(self, n: A.Compare, env: Env, resolve) -> str:
        op = _CMP[n.op]
        x, y = self._expr(n.left, env, resolve), self._expr(n.right, env, resolve)
        rank = None
        if n.op not in ("==", "!="):
            for side in (n.left, n.right):
                t = typecheck(side, env)[0]
                if t.kind == "enum" and t.enum.ordered:
                    rank = t.enum.rank()
                    break
        const_right = isinstance(n.right, A.Literal) and n.right.value is not None
        if rank is not None:
            r = self.const(rank)
            if const_right:
                return self.guard(x, lambda a: f"{r}[{a}] {op} {rank[n.right.value]!r}")
            return self.guard2(x, y, lambda a, b: f"{r}[{a}] {op} {r}[{b}]")
        if n.op in ("==", "!="):
            if isinstance(n.right, A.Literal) and n.right.value is None:
                test = "is None" if n.op == "==" else "is not None"
                return self.guard(x, lambda a: f"{a} {test}", null=False)
            if const_right:
                return self.guard(x, lambda a: f"{a} {op} {y}", null=False)
            return self.guard2(x, y, lambda a, b: f"{a} {op} {b}", null=False)
        if const_right:
            return self.guard(x, lambda a: f"{a} {op} {y}")
        return self.guard2(x, y, lambda a, b: f"{a} {op} {b}")

    def function(self, name: str, params: str, body: list[str], code_cache: dict | None = None) -> Callable:
        """Compile the function.  Identical source compiles to an identical code object, so a
        ``code_cache`` (owned by the caller) lets programs of several jurisdictions share it; each
        keeps its own namespace of constants."""
        if self.exact:  # exact Decimal + - *: the body runs in runtime.exact(), not the process-wide context
            src = f"def {name}({params}):\n    with _exact():\n" + "".join("        " + line + "\n" for line in body)
        else:
            src = f"def {name}({params}):\n" + "".join("    " + line + "\n" for line in body)
        code = code_cache.get(src) if code_cache is not None else None
        try:
            if code is None:
                code = compile(src, f"<policyengine:{name}>", "exec")
                if code_cache is not None:
                    code_cache[src] = code
        except (SyntaxError, RecursionError, MemoryError) as e:  # only past the limits check enforces
            from .diagnostics import Diagnostic, PolicyError

            from .diagnostics import Text

            raise PolicyError(Diagnostic("PE021", Text(f"表达式嵌套太深，无法编译（{type(e).__name__}）",
                                                       f"an expression is too deeply nested to compile ({type(e).__name__})"),
                                         hint=Text("把它拆成几个有名称的定义（definitions）", "split it into named definitions")))
        ns = dict(self.ns)
        exec(code, ns)  # our generated source only: constants from files are in ns, never in src
        fn = ns[name]
        fn.__source__ = src
        return fn


def _bounded_product(operand: A.Node, factor: Any, env: Env) -> bool:
    """True where ``operand * factor`` (or + or -) cannot pass the 10^60 bound, so checking it would be waste:
    an integer fact has at most Limits.max_int_digits (30) digits, and the factor is below 10^29."""
    from .load import DEFAULT_LIMITS

    return (type(factor) is int and abs(factor) < 10 ** (59 - DEFAULT_LIMITS.max_int_digits)
            and isinstance(operand, A.Name) and env.kinds.get(operand.name) == "fact"
            and env.names[operand.name].kind == "int")


def fold(n: A.Node, consts: dict[str, Any], env: Env) -> A.Node:
    """Replace parameter names by their values (loop variables shadow them)."""
    import dataclasses

    def go(x: A.Node, bound: frozenset) -> A.Node:
        if isinstance(x, A.Name):
            if x.name in consts and x.name not in bound and env.names.get(x.name, T("any")).kind != "enum":
                # (an enum stays a name, resolved to its value: its type gives comparisons their rank order)
                return A.Literal(consts[x.name], span=x.span)
            return x
        if isinstance(x, A.Literal):
            return x
        if isinstance(x, A.Call) and x.func == "in_force_on" and isinstance(x.args[1], A.Name) \
                and "#history:" + x.args[1].name in consts:  # the values over time, not the one in force at as_of
            h = A.Literal(consts["#history:" + x.args[1].name], span=x.args[1].span)
            return dataclasses.replace(x, args=(go(x.args[0], bound), h))
        if isinstance(x, A.Aggregate):
            inner = bound | {x.var}
            return dataclasses.replace(x, source=go(x.source, bound), body=go(x.body, inner),
                                       where=go(x.where, inner) if x.where is not None else None)
        changes = {}
        for f in dataclasses.fields(x):
            v = getattr(x, f.name)
            if isinstance(v, A.Node):
                changes[f.name] = go(v, bound)
            elif isinstance(v, tuple) and v and all(isinstance(i, A.Node) for i in v):
                changes[f.name] = tuple(go(i, bound) for i in v)
        return dataclasses.replace(x, **changes) if changes else x

    return go(n, frozenset())


def compile_function(node: A.Node, env: Env, consts: dict[str, Any] | None = None) -> Callable[[dict], Any]:
    """One expression as ``f(values: dict) -> value``; names are read from the dict (MISSING if absent)."""
    g = Gen()
    consts = consts or {}

    def resolve(name: str) -> str:
        return g.const(consts[name]) if name in consts else f"e.get({g.const(name)}, M)"

    return g.function("expr", "e", [f"return {g.expr(node, env, resolve, consts)}"])



def compile_standalone(ps, rule) -> Callable[[dict], Any]:
    """A rule's condition as a function of facts only (used by check to compare restatements)."""
    names = {n: f.type for (s, n), f in ps.facts.items() if s == rule.subject}
    consts = {p.name: p.value for p in ps.params}
    env = Env(names, {n: "fact" for n in names})
    fn = compile_function(rule.condition.node, env, consts)
    return lambda facts: fn(dict(facts))
