"""Stage 2 — parse: expression text to the typed AST (:mod:`policyengine.ast`).

Lark (LALR) does the parsing; the Lark tree is turned into our own frozen
nodes right here and never leaves this module.  Syntax errors become
:class:`ExprError` with the offset of the offending character and a hint in
plain words; the caller turns the offset into file:line:column.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ast as A
from .load import DEFAULT_LIMITS, Limits

__all__ = ["ExprError", "parse_expression"]


class ExprError(Exception):
    """A problem at ``offset`` of an expression.  ``code`` is a diagnostic code."""

    def __init__(self, code: str, message: str, offset: int, length: int = 1, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.offset, self.length, self.hint = code, message, offset, length, hint


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("policyengine").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _span(meta) -> tuple[int, int]:
    return (meta.start_pos, meta.end_pos) if not getattr(meta, "empty", False) else (0, 0)


def _tspan(t: Token) -> tuple[int, int]:
    return (t.start_pos, t.end_pos)


def _unescape(s: str) -> str:
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@v_args(meta=True)
class _ToAst(Transformer):
    def int_lit(self, meta, c):
        return A.Literal(int(c[0]), span=_tspan(c[0]))

    def dec_lit(self, meta, c):
        return A.Literal(Decimal(str(c[0])), span=_tspan(c[0]))

    def str_lit(self, meta, c):
        return A.Literal(_unescape(str(c[0])), span=_tspan(c[0]))

    def true_lit(self, meta, c):
        return A.Literal(True, span=_span(meta))

    def false_lit(self, meta, c):
        return A.Literal(False, span=_span(meta))

    def null_lit(self, meta, c):
        return A.Literal(None, span=_span(meta))

    def name(self, meta, c):
        return A.Name(str(c[0]), span=_tspan(c[0]))

    def attr(self, meta, c):
        return A.Attr(c[0], str(c[1]), span=_span(meta))

    def list_lit(self, meta, c):
        return A.ListLit(tuple(x for x in c if x is not None), span=_span(meta))

    def call(self, meta, c):
        fn = c[0]
        return A.Call(str(fn), tuple(x for x in c[1:] if x is not None), func_span=_tspan(fn), span=_span(meta))

    def aggregate(self, meta, c):
        fn, body, var, source, where = c
        return A.Aggregate(str(fn), body, str(var), source, where, func_span=_tspan(fn), span=_span(meta))

    def if_expr(self, meta, c):
        return A.If(c[0], c[1], c[2], span=_span(meta))

    def or_(self, meta, c):
        return A.BoolOp("or", c[0], c[1], span=_span(meta))

    def and_(self, meta, c):
        return A.BoolOp("and", c[0], c[1], span=_span(meta))

    def not_(self, meta, c):
        return A.Not(c[0], span=_span(meta))

    def compare(self, meta, c):
        return A.Compare(str(c[1]), c[0], c[2], span=_span(meta))

    def in_(self, meta, c):
        return A.In(c[0], c[1], False, span=_span(meta))

    def not_in(self, meta, c):
        return A.In(c[0], c[1], True, span=_span(meta))

    def binary(self, meta, c):
        return A.Binary(str(c[1]), c[0], c[2], span=_span(meta))

    def neg(self, meta, c):
        return A.Unary("-", c[0], span=_span(meta))


_FRIENDLY = {
    "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "COMMA": "','", "NAME": "a name",
    "INT": "a number", "DECIMAL": "a number", "STRING": "a quoted text", "COMP_OP": "a comparison",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*' or '/'", "MINUS": "'-'", "DOT": "'.'", "$END": "the end",
    "IF": "'if'", "THEN": "'then'", "ELSE": "'else'", "AND": "'and'", "OR": "'or'", "NOT": "'not'",
    "IN": "'in'", "FOR": "'for'", "WHERE": "'where'", "TRUE": "'true'", "FALSE": "'false'", "NULL": "'null'",
}

# Mistakes policy officers make often, with the fix.
_LOOKALIKES = {
    "=": "write '==' to compare for equality",
    "&": "write 'and'",
    "|": "write 'or'",
    "!": "write 'not', or '!=' for 'not equal'",
    "≥": "write '>='", "≤": "write '<='", "≠": "write '!='",
    "（": "use the ASCII '(' instead of the full-width '（'", "）": "use the ASCII ')' instead of the full-width '）'",
    "“": "use straight quotes \"...\"", "”": "use straight quotes \"...\"",
    "‘": "use straight quotes '...'", "’": "use straight quotes '...'",
    "，": "use the ASCII ',' instead of the full-width '，'",
}


def _expected(tokens) -> str:
    names = sorted({_FRIENDLY.get(t, t) for t in tokens if not t.startswith("__")})
    if len(names) > 6:
        names = names[:6] + ["…"]
    return ", ".join(names)


def _check_nesting(text: str, limits: Limits) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
            if depth > limits.max_expression_depth:
                raise ExprError("PE021", f"brackets are nested more than {limits.max_expression_depth} deep", i,
                                hint="split the expression into named definitions")
        elif ch in ")]":
            depth -= 1


def _check_tree_depth(tree, limits: Limits) -> None:
    """Operators nested in operators ('not not not …', '- - - x', a long chain of 'and's) make
    a deep tree without any bracket; every later stage recurses over it, so bound it here."""
    stack = [(tree, 1)]
    while stack:
        t, d = stack.pop()
        if d > limits.max_expression_tree_depth:
            raise ExprError("PE021", f"operators are nested more than {limits.max_expression_tree_depth} deep",
                            getattr(t.meta, "start_pos", 0) or 0,
                            hint="split the expression into named definitions")
        stack.extend((c, d + 1) for c in t.children if isinstance(c, Tree))


def parse_expression(text: str, limits: Limits = DEFAULT_LIMITS) -> A.Node:
    """Parse one expression.  Raises :class:`ExprError` (never a Lark or Python error)."""
    if not isinstance(text, str):
        raise ExprError("PE012", "an expression must be text", 0)
    if len(text) > limits.max_expression_chars:
        raise ExprError("PE021", f"expression of {len(text)} characters is longer than the limit of {limits.max_expression_chars}", 0,
                        hint="split it into named definitions")
    if not text.strip():
        raise ExprError("PE020", "the expression is empty", 0, hint="write a condition such as: service_days >= 30")
    _check_nesting(text, limits)
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        hint = _LOOKALIKES.get(ch)
        if ch == "=" and e.pos_in_stream + 1 < len(text) and text[e.pos_in_stream + 1] == "=":
            hint = None
        raise ExprError("PE020", f"unexpected character {ch!r}", e.pos_in_stream,
                        hint=hint or f"expected {_expected(e.allowed)}")
    except UnexpectedEOF as e:
        raise ExprError("PE020", "the expression ends too early", len(text),
                        hint=f"expected {_expected(e.expected)}")
    except UnexpectedToken as e:
        tok = e.token
        if tok.type == "$END":
            raise ExprError("PE020", "the expression ends too early", len(text.rstrip()),
                            hint=f"expected {_expected(e.accepts or e.expected)}")
        pos = tok.start_pos if tok.start_pos is not None else 0
        raise ExprError("PE020", f"unexpected {str(tok)!r}", pos, max(1, len(str(tok))),
                        hint=f"expected {_expected(e.accepts or e.expected)}")
    except UnexpectedInput as e:  # pragma: no cover - the three above are exhaustive for LALR
        raise ExprError("PE020", "syntax error", getattr(e, "pos_in_stream", 0) or 0)
    except RecursionError:  # pragma: no cover - guarded by _check_nesting
        raise ExprError("PE021", "expression is nested too deeply", 0)
    _check_tree_depth(tree, limits)
    node = _ToAst().transform(tree)
    count = 0
    for x in A.walk(node):
        count += 1
        if isinstance(x, A.Literal) and isinstance(x.value, (int, Decimal)) and not isinstance(x.value, bool) \
                and len(str(x.value).lstrip("-").replace(".", "")) > limits.max_int_digits:
            raise ExprError("PE005", f"number with more than {limits.max_int_digits} digits", x.span[0],
                            max(1, x.span[1] - x.span[0]), hint="numbers in policies are counts, days and yuan; check the value")
        if count > limits.max_expression_nodes:
            raise ExprError("PE021", f"expression has more than {limits.max_expression_nodes} parts", 0,
                            hint="split it into named definitions")
    return node
