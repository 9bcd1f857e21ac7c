"""The typed, frozen AST of the expression language.

The Lark tree never leaves :mod:`policyengine.parse`; everything after it works
on these nodes.  Every node has a ``span`` — (start offset, end offset) in the
expression text — which is excluded from equality and hashing, so two
expressions that differ only in layout compare equal (the auditor's diff
relies on this).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

from .diagnostics import json_constant

__all__ = [
    "Node", "Literal", "Name", "Attr", "ListLit", "Unary", "Binary", "Compare", "BoolOp", "Not",
    "In", "If", "Call", "Aggregate", "walk", "free_names", "to_source",
]

Value = Union[None, bool, int, Decimal, str, _dt.date, tuple]
Offsets = tuple[int, int]


@dataclass(frozen=True)
class Node:
    span: Offsets = field(compare=False, hash=False, repr=False, kw_only=True, default=(0, 0))


@dataclass(frozen=True)
class Literal(Node):
    value: Value


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Attr(Node):
    target: "Expr"
    field_name: str


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple["Expr", ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-"
    operand: "Expr"


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * /
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and / or
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Not(Node):
    operand: "Expr"


@dataclass(frozen=True)
class In(Node):
    item: "Expr"
    container: "Expr"
    negated: bool = False


@dataclass(frozen=True)
class If(Node):
    cond: "Expr"
    then: "Expr"
    orelse: "Expr"


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple["Expr", ...]
    func_span: Offsets = field(compare=False, hash=False, repr=False, default=(0, 0))


@dataclass(frozen=True)
class Aggregate(Node):
    func: str  # count sum min max any all
    body: "Expr"
    var: str
    source: "Expr"
    where: "Expr | None"
    func_span: Offsets = field(compare=False, hash=False, repr=False, default=(0, 0))


Expr = Union[Literal, Name, Attr, ListLit, Unary, Binary, Compare, BoolOp, Not, In, If, Call, Aggregate]


def children(n: Node) -> tuple[Node, ...]:
    if isinstance(n, (Literal, Name)):
        return ()
    if isinstance(n, Attr):
        return (n.target,)
    if isinstance(n, ListLit):
        return n.items
    if isinstance(n, (Unary, Not)):
        return (n.operand,)
    if isinstance(n, (Binary, Compare, BoolOp)):
        return (n.left, n.right)
    if isinstance(n, In):
        return (n.item, n.container)
    if isinstance(n, If):
        return (n.cond, n.then, n.orelse)
    if isinstance(n, Call):
        return n.args
    if isinstance(n, Aggregate):
        return (n.source, n.body) + ((n.where,) if n.where is not None else ())
    raise TypeError(n)


def walk(n: Node):
    """All nodes, parents before children (iterative: depth is bounded but be safe)."""
    stack = [n]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(reversed(children(x)))


def free_names(n: Node, bound: frozenset = frozenset()) -> list[Name]:
    """Name nodes that refer to facts, parameters, definitions or outputs (not loop variables)."""
    out: list[Name] = []
    if isinstance(n, Name):
        if n.name not in bound:
            out.append(n)
        return out
    if isinstance(n, Aggregate):
        out.extend(free_names(n.source, bound))
        inner = bound | {n.var}
        out.extend(free_names(n.body, inner))
        if n.where is not None:
            out.extend(free_names(n.where, inner))
        return out
    for c in children(n):
        out.extend(free_names(c, bound))
    return out


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def to_source(n: Node, prec: int = 0) -> str:
    """Canonical text of an expression (used by diff and explanations)."""
    def wrap(s: str, p: int) -> str:
        return f"({s})" if p < prec else s

    if isinstance(n, Literal):
        v = n.value
        c = json_constant(v)
        if c is not None:
            return c
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
        if isinstance(v, _dt.date):
            return f'date("{v.isoformat()}")'
        if isinstance(v, Decimal):  # never "1E-7": only digits.digits is a number in the language
            s = format(v, "f")
            return s if "." in s else s + ".0"
        return str(v)
    if isinstance(n, Name):
        return n.name
    if isinstance(n, Attr):
        return f"{to_source(n.target, 8)}.{n.field_name}"
    if isinstance(n, ListLit):
        return "[" + ", ".join(to_source(i) for i in n.items) + "]"
    if isinstance(n, Unary):
        return wrap("-" + to_source(n.operand, 7), 7)
    if isinstance(n, Binary):
        p = _PREC[n.op]
        return wrap(f"{to_source(n.left, p)} {n.op} {to_source(n.right, p + 1)}", p)
    if isinstance(n, Compare):
        return wrap(f"{to_source(n.left, 5)} {n.op} {to_source(n.right, 5)}", 4)
    if isinstance(n, BoolOp):
        p = _PREC[n.op]
        return wrap(f"{to_source(n.left, p)} {n.op} {to_source(n.right, p + 1)}", p)
    if isinstance(n, Not):
        return wrap("not " + to_source(n.operand, 3), 3)
    if isinstance(n, In):
        op = "not in" if n.negated else "in"
        return wrap(f"{to_source(n.item, 5)} {op} {to_source(n.container, 5)}", 4)
    if isinstance(n, If):
        return wrap(f"if {to_source(n.cond)} then {to_source(n.then)} else {to_source(n.orelse)}", 0)
    if isinstance(n, Call):
        return f"{n.func}(" + ", ".join(to_source(a) for a in n.args) + ")"
    if isinstance(n, Aggregate):
        w = f" where {to_source(n.where)}" if n.where is not None else ""
        return f"{n.func}({to_source(n.body)} for {n.var} in {to_source(n.source)}{w})"
    raise TypeError(n)
