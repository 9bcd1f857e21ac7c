"""The compiled layers of one program as one SQL query over whole columns.

Each expression of the merged layers — the same steps :mod:`policyengine.evaluate` generates
Python from, in the same order — becomes a pair of SQL columns: its value, and whether it is
undetermined (the engine's MISSING).  SQL's NULL is the engine's null; an undetermined value is
NULL with its flag set, so the three-valued logic of ``and``/``or``/``not``, tiers, caps and the
combination of rules follow :mod:`policyengine.evaluate` exactly.  Every pair is a named column
computed once, in a chain of SELECTs by depth, so the query grows with the rules, never
exponentially, and every SQL engine reads it (no alias is read in the SELECT that names it).

What each row pays for is kept small (each step measured, see ``benchmarks/README.md``): the
same expression — layers restate rules, rules share conditions — is one column; a flag that is
the constant FALSE (a literal, a default, a parameter) or another column is no column of its own
and folds away in the expressions that read it; ``and``/``or`` and the ``all``/``any``
combinations are SQL's AND/OR, whose three answers are Kleene's, as the engine's; an ordered enum
compared with a written value is a membership test; tiers leave out the bounds earlier tiers
settle; where every row is decided on one day (``translate(..., as_of=day)``) the date is a
literal and a parameter's value in force on it is decided here, once.  None of these needs a
construct of DuckDB's own: they are standard SQL's ``IS [NOT] TRUE/FALSE``, ``CASE``, ``IN`` and
``AND``/``OR``.

What the translation cannot express exactly raises :class:`Untranslatable` with the reason:
aggregates over lists and record fields, decimal arithmetic and literals, division,
products that might pass the engine's bound, functions other than the date ones.  The outcome
that needs it — and every outcome that reads that one — is reported by name and decided row by
row through the public API: never a different answer.

The query is built once per program as DuckDB SQL; :func:`render` gives it in another dialect
through SQLGlot (SQLGlot is imported only there).
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

from .. import ast as A
from ..compile import _bounded_product, fold
from ..evaluate import _CONDITION_KINDS, _body_of, tier_order
from ..types import typecheck

__all__ = ["Untranslatable", "Query", "translate", "chain", "render"]

INT_BOUND = 2 ** 40  # rows whose integer facts pass it are decided row-wise: sums stay inside BIGINT


class Untranslatable(Exception):
    """A construct the SQL translation cannot express exactly."""


@dataclass
class Query:
    sql: str  # DuckDB: row_id, the outputs' columns, pe_escape
    facts: list[tuple[str, str, str]]  # (fact, value column, missing column) the query reads
    outputs: dict[str, str]  # outcome -> the column holding its public value
    row_wise: dict[str, str]  # outcome -> why the translation cannot express it
    ctes: list[str]  # the chain of SELECTs (each "name AS (SELECT *, ... FROM previous)")
    last: str  # the name of the last one (the source itself when there is none)
    columns: list[str]  # "expression AS output column", in the order of ``outputs``
    escape: str  # a column true on the rows SQL cannot decide exactly (decided row-wise), or FALSE


def _lit(v: Any) -> str:
    if v is None:
        return "NULL"
    if v is True:
        return "TRUE"
    if v is False:
        return "FALSE"
    if type(v) is int:
        if abs(v) >= INT_BOUND:
            raise Untranslatable("an integer literal past the SQL bound")
        return str(v)
    if type(v) is str:
        return "'" + v.replace("'", "''") + "'"
    if type(v) is _dt.date:
        return f"DATE '{v.isoformat()}'"
    raise Untranslatable(f"a {type(v).__name__} literal (exact decimals stay in Python)")


class _Select:
    """The pairs (value, undetermined) of one query, each named once and placed at the depth of
    the deepest pair it reads plus one: the query is a chain of SELECTs, each adding the columns
    of one depth to those of the one before, so that no expression is ever written twice.

    The same expression asked for twice (layers restate rules, rules share conditions) is the
    same column; a flag that is a constant or another column is not a column of its own: an
    expression that can never be undetermined costs one column, not two."""

    def __init__(self, prefix: str = "", source: str = "batch_rows"):
        self.levels: list[list[str]] = []
        self.depth: dict[str, int] = {}
        self.memo: dict[tuple[str, str], tuple[str, str]] = {}
        self.n = 0
        self.prefix, self.source = prefix, source

    def pair(self, v: str, m: str) -> tuple[str, str]:
        if m == "FALSE" and (v.isidentifier() or v in ("NULL", "TRUE", "FALSE")):
            return v, m
        key = (v, m)
        got = self.memo.get(key)
        if got is not None:
            return got
        self.n += 1
        name = f"{self.prefix}x{self.n}"
        level = max((self.depth[r] for r in _REF.findall(v + " " + m)), default=-1) + 1
        while len(self.levels) <= level:
            self.levels.append([])
        self.levels[level].append(f"{v} AS {name}v")
        self.depth[f"{name}v"] = level
        if not (m.isidentifier() or m in ("TRUE", "FALSE")):
            self.levels[level].append(f"{m} AS {name}m")
            self.depth[f"{name}m"] = level
            m = f"{name}m"
        self.memo[key] = got = (f"{name}v", m)
        return got

    def ctes(self) -> tuple[list[str], str]:
        ctes, src = [], self.source
        for k, cols in enumerate(self.levels):
            ctes.append(f"{self.prefix}d{k} AS (SELECT *, {', '.join(cols)} FROM {src})")
            src = f"{self.prefix}d{k}"
        return ctes, src

    def query(self, outputs: list[str]) -> str:
        ctes, src = self.ctes()
        head = f"WITH {', '.join(ctes)} " if ctes else ""
        return head + "SELECT " + ", ".join(["row_id"] + outputs) + f" FROM {src} ORDER BY row_id"


_REF = re.compile(r"\b[a-z0-9_]*x[0-9]+[vm]\b")


def _or(*flags: str) -> str:
    """The disjunction of undetermined flags, constants folded (most flags are FALSE)."""
    xs = [x for x in dict.fromkeys(flags) if x != "FALSE"]
    if "TRUE" in xs:
        return "TRUE"
    return "FALSE" if not xs else xs[0] if len(xs) == 1 else "(" + " OR ".join(xs) + ")"


def _when(test: str, then: str, orelse: str) -> str:
    """``CASE WHEN test THEN then ELSE orelse END`` for flags, folded where it can be."""
    if test == "FALSE" or then == orelse:
        return orelse
    if test == "TRUE":
        return then
    return f"CASE WHEN {test} THEN {then} ELSE {orelse} END"


def translate(prog, *, prefix: str = "", source: str = "batch_rows", inputs=None, kinds=None,
              as_of: _dt.date | None = None, shared: "_Select | None" = None, outputs_prefix: str | None = None) -> Query:
    """The program's outcomes as SQL.  ``inputs`` names the (value, missing) columns of each fact
    (``inputs(fact) -> (value column, missing column)``); by default the query reads ``f0``/``m0``, ...
    from ``source`` and lists them in ``Query.facts``.  ``prefix`` keeps the names of several
    programs' columns apart in one query; ``kinds`` (outcome -> type kind) casts each outcome to its
    SQL type.  ``as_of``, where every row the query reads is decided on that one day, makes the date
    a literal instead of the column ``as_of``: what depends on the date alone (a parameter's value in
    force) is then decided once, here, not on every row.

    ``shared`` (a :func:`chain` of several programs) takes the columns of this program into one chain
    with those of the programs translated into it before: an expression two programs share (the same
    text over the same input columns) is one column, computed once per row for both.  The outputs'
    columns are then named ``outputs_prefix`` + ``o0``…, apart from every other program's; ``Query.ctes``
    are the chain's so far (take :meth:`_Select.ctes` once every program is in)."""
    st = prog.steps
    sel = shared if shared is not None else _Select(prefix, source)
    if outputs_prefix is None:
        outputs_prefix = prefix
    facts: dict[str, tuple[str, str]] = {}
    local: dict[str, tuple[str, str] | str] = {}  # name -> pair, or the reason it is row-wise

    def resolve(name: str) -> tuple[str, str]:
        if name in st.consts:
            return _lit(st.consts[name]), "FALSE"
        if name == "as_of":
            return ("as_of" if as_of is None else _lit(as_of)), "FALSE"
        got = local.get(name)
        if isinstance(got, str):
            raise Untranslatable(got)
        if got is not None:
            return got
        if name in st.facts:
            kind = st.facts[name].type.kind
            if kind not in ("bool", "int", "date", "enum", "string") and _records_of(st.facts[name].type) is None:
                raise Untranslatable(f"the {kind} fact '{name}'")
            if name not in facts:
                i = len(facts)
                facts[name] = inputs(name) if inputs is not None else (f"f{i}", f"m{i}")
                fd = st.facts[name]
                if facts[name][1] == "FALSE" and not (fd.nullable or fd.type.nullable):
                    ex.nonnull.add(facts[name][0])  # never left out, never null: never NULL
            return facts[name]
        return "NULL", "TRUE"  # an outcome no layer in force defines: undetermined

    ex = _Expr(st.env, sel, resolve, as_of)
    ex.facts = st.facts
    done_tables: set[str] = set()
    for n in st.order:
        try:
            if n in st.tables:
                m = st.tables[n]
                if m.rule.id in done_tables:
                    continue
                done_tables.add(m.rule.id)
                try:
                    s, g = _table(ex, st, m.rule.table)
                except Untranslatable as e:
                    s = g = f"{m.rule.table.score_output}: {e}"
                local[m.rule.table.score_output], local[m.rule.table.grade_output] = s, g
                continue
            if n in st.defs and n not in st.feeds:
                local[n] = ex.expr(fold(st.defs[n].definition.expr.node, st.consts, st.env))
                continue
            if n in st.feeds:
                local[n] = _output(ex, st, n)
        except Untranslatable as e:
            local[n] = str(e)
    for o, m in st.param_outputs.items():
        if o not in local:
            try:
                local[o] = (_lit(m.param.value), "FALSE")
            except Untranslatable as e:
                local[o] = str(e)
    outputs, row_wise = {}, {}
    cols = []
    for k, o in enumerate(prog._names):
        got = local.get(o, ("NULL", "TRUE"))
        if isinstance(got, str):
            row_wise[o] = got
            continue
        v, m = got
        cast = SQL_TYPES.get(kinds.get(o, "")) if kinds else None
        val = _when(m, "NULL", v)
        cols.append(f"{f'CAST({val} AS {cast})' if cast else val} AS {outputs_prefix}o{k}")
        outputs[o] = f"{outputs_prefix}o{k}"
    if ex.aggregated:
        # Policies.evaluate spends one step per item an aggregate visits and stops past runtime.MAX_STEPS
        # (PE080); SQL has no such bound: a row with a list long enough to come near it (every aggregate
        # over its longest list, four times over) is the python engine's to decide, or to refuse
        from .. import runtime

        bound = max(0, runtime.MAX_STEPS // (4 * len(ex.aggregated)) - 1)
        ex.escapes.extend(f"COALESCE(len({v}), 0) > {bound}" for v in dict.fromkeys(ex.aggregated) if v != "NULL")
    escape = "FALSE"
    if ex.escapes:
        escape = sel.pair(" OR ".join(f"({e})" for e in ex.escapes), "FALSE")[0]
    fact_cols = [(f, v, m) for f, (v, m) in facts.items()]
    ctes, last = sel.ctes()
    return Query(sel.query(cols + [f"{escape} AS pe_escape"]), fact_cols, outputs, row_wise, ctes, last, cols, escape)


def chain(prefix: str, source: str) -> _Select:
    """An empty chain of SELECTs over ``source`` for several programs' columns (``translate(...,
    shared=...)``), its own columns named ``prefix`` + ``x1v``…"""
    return _Select(prefix, source)


SQL_TYPES = {"bool": "BOOLEAN", "int": "BIGINT", "date": "DATE", "enum": "VARCHAR", "string": "VARCHAR"}  # DuckDB's, per kind


def _records_of(t):
    """The fields of a list of records whose fields are all scalar and never null, or None."""
    if t.kind != "list" or t.elem is None or t.elem.kind != "record":
        return None
    fields = t.elem.fields
    if not all(ft.kind in ("int", "enum", "bool", "string") and not ft.nullable for _, ft in fields):
        return None
    return dict(fields)


def _output(ex: "_Expr", st, name: str) -> tuple[str, str]:
    """One outcome from its rules, as ``_Steps.output`` combines them.  Every pair keeps the
    invariant "undetermined implies NULL", so ``x IS FALSE`` is "x is False" of the engine."""
    contrib = []
    for r in (m.rule for m in st.feeds[name]):
        body = _body_of(r)
        if body is None:
            continue  # recorded for the explanation only
        w = ex.expr(fold(r.when.node, st.consts, st.env)) if r.when is not None else ("TRUE", "FALSE")
        b = ex.expr(fold(body.node, st.consts, st.env))
        if r.when is not None:  # (b if w is not False else None)
            b = ex.sel.pair(f"CASE WHEN {w[0]} IS FALSE THEN NULL ELSE {b[0]} END",
                            _when(f"{w[0]} IS FALSE", "FALSE", b[1]))
        if r.deadline is not None:  # not reached before its deadline: pending (null), as evaluate decides it
            a = ex.resolve("as_of")[0]
            passed = ex.on is not None and ex.on >= r.deadline
            if not passed:
                late = "FALSE" if ex.on is not None else f"{a} >= {_lit(r.deadline)}"
                b = ex.sel.pair(f"CASE WHEN {_or(f'{b[0]} IS TRUE', b[1], late)} THEN {b[0]} "
                                "ELSE NULL END", b[1])
        contrib.append((r.kind, w, b, r.when is not None))
    mode = st.modes[name]
    parts = []  # (value, undetermined, does-not-apply)
    for kind, (wv, wm), (bv, bm), has_when in contrib:
        if not has_when:
            parts.append((bv, bm, "FALSE"))
        elif kind in _CONDITION_KINDS:  # True if w is False else (b if w is True or b is True else _unk(w, b))
            p = ex.sel.pair(f"((NOT {wv}) OR {bv})",  # (Kleene's OR: the same three answers)
                            _when(f"{wv} IS FALSE", "FALSE", _when(f"{wv} IS TRUE OR {bv} IS TRUE", bm, _or(wm, bm))))
            parts.append((p[0], p[1], "FALSE"))
        else:  # NA if w is False else (b if w is True else _unk(w, b))
            if mode == "all":
                raise Untranslatable("a value rule with a condition inside an 'all' outcome")
            p = ex.sel.pair(f"CASE WHEN {wv} IS TRUE THEN {bv} ELSE NULL END",
                            _when(f"{wv} IS FALSE", "FALSE", _when(f"{wv} IS TRUE", bm, _or(wm, bm))))
            parts.append((p[0], p[1], f"({wv} IS FALSE)"))
    if not parts:
        return "NULL", "FALSE"
    return _combine(ex.sel, mode, parts)


def _combine(sel: _Select, mode: str, parts: list[tuple[str, str, str]]) -> tuple[str, str]:
    """``evaluate.combine`` over (value, undetermined, does-not-apply) triples."""
    if mode in ("all", "any"):
        # all: False if one is False, True if every one is True, else None — SQL's AND (Kleene's logic, as
        # the engine's); a rule that does not apply counts as True.  any: SQL's OR; a rule that does not
        # apply is left out.  Undetermined: no answer (NULL) and a rule that applies undetermined.
        if mode == "all":
            terms = [v if na == "FALSE" else f"({na} OR {v})" for v, m, na in parts]
        else:
            terms = [v if na == "FALSE" else f"(NOT {na} AND {v})" for v, m, na in parts]
        terms = list(dict.fromkeys(terms))
        v = sel.pair(terms[0] if len(terms) == 1 else "(" + (" AND " if mode == "all" else " OR ").join(terms) + ")", "FALSE")[0]
        anym = _any_undetermined(parts)
        return v, "FALSE" if anym == "FALSE" else sel.pair(f"({v} IS NULL AND {anym})", "FALSE")[0]
    if mode == "override":  # the last rule that applies
        v, m = "NULL", "FALSE"
        for pv, pm, na in parts:
            v, m = sel.pair(_when(na, v, pv), _when(na, m, pm))
        return v, m
    if mode in ("max", "min"):
        f = "GREATEST" if mode == "max" else "LEAST"
        vals = ", ".join(f"CASE WHEN {na} THEN NULL ELSE {v} END" for v, m, na in parts)
        anym = _any_undetermined(parts)
        # GREATEST/LEAST skip NULLs in DuckDB, as combine skips None; any undetermined value decides
        return sel.pair(_when(anym, "NULL", f"{f}({vals})"), anym)
    raise Untranslatable(f"the combination '{mode}'")


def _any_undetermined(parts: list[tuple[str, str, str]]) -> str:
    """Whether a rule that applies is undetermined (FALSE where no rule can be)."""
    return _or(*(m if na == "FALSE" else f"(NOT {na} AND {m})" for v, m, na in parts if m != "FALSE"))


def _tier_arms(x: str, tiers) -> list[str]:
    """The WHEN arms of a tier chain in the order tiers are tried, without the bounds that earlier
    arms settle (above ``hi``/below ``lo`` every value is taken already) nor the trailing arms that
    give the ELSE's 0 — the same answer in fewer comparisons."""
    arms: list[tuple[str, int]] = []
    hi = lo = None  # every value >= hi / <= lo is taken by an earlier arm
    for t in tier_order(tiers):
        a = t.min if t.min is None or lo is None or t.min - 1 > lo else None
        b = t.max if t.max is None or hi is None or t.max + 1 < hi else None
        cond = " AND ".join(filter(None, [f"{x} >= {a}" if a is not None else "",
                                          f"{x} <= {b}" if b is not None else ""])) or "TRUE"
        arms.append((cond, t.points))
        if t.max is None or hi is not None and t.max + 1 >= hi:  # the tier joins the values taken above
            hi = -1 if t.min is None else t.min if hi is None else min(hi, t.min)
            if t.min is None:
                break  # every value is taken
        if t.min is None or lo is not None and t.min - 1 <= lo:
            lo = 1 if t.max is None else t.max if lo is None else max(lo, t.max)
            if t.max is None:
                break
    while arms and arms[-1][1] == 0:
        arms.pop()
    return [f"WHEN {c} THEN {pts}" for c, pts in arms]


def _table(ex: "_Expr", st, t) -> tuple[tuple[str, str], tuple[str, str]]:
    pts, unknown = [], []
    for it in t.items:
        x = ex.expr(fold(it.value.node, st.consts, st.env))
        whens = _tier_arms(x[0], it.tiers)
        pts.append(f"(CASE {' '.join(whens)} ELSE 0 END)" if whens else "0")
        unknown.append(ex.isnull(x[0]))  # null or undetermined: the score is undetermined
    for b in t.bonus:
        y = ex.expr(fold(b.points.node, st.consts, st.env))
        pts.append(f"(CASE WHEN {y[0]} > {b.max} THEN {b.max} WHEN {y[0]} < 0 THEN 0 ELSE {y[0]} END)")
        unknown.append(ex.isnull(y[0]))
    u = _or(*unknown)
    total = " + ".join(pts) or "0"
    s = ex.sel.pair(_when(u, "NULL", f"LEAST({total}, {t.cap})"), u)
    chain = "NULL"
    for band in sorted(t.bands, key=lambda b: b.min or 0):
        cond = " AND ".join(filter(None, [f"{s[0]} >= {band.min}" if band.min is not None else "",
                                          f"{s[0]} <= {band.max}" if band.max is not None else ""])) or "TRUE"
        chain = f"CASE WHEN {cond} THEN {_lit(band.grade)} ELSE {chain} END"
    g = ex.sel.pair(_when(s[1], "NULL", chain), s[1])
    return s, g


class _Expr:
    def __init__(self, env, sel: _Select, resolve, on: _dt.date | None = None):
        self.env, self.sel, self.resolve, self.on = env, sel, resolve, on  # on: the rows' one date, if known
        self.facts: dict = {}
        self.escapes: list[str] = []  # conditions under which SQL does not decide a row (row-wise instead)
        # values that are NULL in no row: a fact whose "left out" flag is the constant FALSE and that is not
        # nullable (the caller knows its column complete), literals, and what is computed from them alone
        self.nonnull: set[str] = set()
        self.aggregated: list[str] = []  # the list each aggregate reads, once per aggregate

    def isnull(self, v: str) -> str:
        """``v IS NULL``, or FALSE for a value that never is."""
        if v in self.nonnull or v in ("TRUE", "FALSE") or v[:1] == "'" or v.startswith("DATE '") or v.lstrip("-").isdigit():
            return "FALSE"
        return f"{v} IS NULL"

    def kept(self, got: tuple[str, str], *operands: tuple[str, str]) -> tuple[str, str]:
        """``got``, noted as never NULL where the operands it is computed from never are (and SQL's
        operator gives NULL only for a NULL operand)."""
        if all(self.isnull(v) == "FALSE" for v, _ in operands):
            self.nonnull.add(got[0])
        return got

    def expr(self, n) -> tuple[str, str]:
        P = self.sel.pair
        if isinstance(n, A.Literal):
            return _lit(n.value), "FALSE"
        if isinstance(n, A.Name):
            return self.resolve(n.name)
        if isinstance(n, A.Unary):
            a = self.expr(n.operand)
            return self.kept(P(f"(-{a[0]})", a[1]), a)
        if isinstance(n, A.Binary):
            if n.op == "/":
                raise Untranslatable("division (exact decimals stay in Python)")
            if typecheck(n, self.env)[0].kind != "int":
                raise Untranslatable("decimal arithmetic")
            if n.op == "*":
                lit = n.right if isinstance(n.right, A.Literal) else n.left if isinstance(n.left, A.Literal) else None
                other = n.left if lit is n.right else n.right
                if lit is None or not _bounded_product(other, lit.value, self.env) or abs(lit.value) > 1000:
                    raise Untranslatable("a product that may pass the bound")
            a, b = self.expr(n.left), self.expr(n.right)
            return self.kept(P(f"({a[0]} {n.op} {b[0]})", _or(a[1], b[1])), a, b)
        if isinstance(n, A.Compare):
            return self.compare(n)
        if isinstance(n, A.BoolOp):
            a, b = self.expr(n.left), self.expr(n.right)
            # SQL's AND and OR are Kleene's, as the engine's: False and anything is False, ...; undetermined
            # where a side is and the other does not settle it
            stop = "FALSE" if n.op == "and" else "TRUE"
            m = _or(*(f"({x[1]} AND {y[0]} IS NOT {stop})" for x, y in ((a, b), (b, a)) if x[1] != "FALSE"))
            return self.kept(P(f"({a[0]} {n.op.upper()} {b[0]})", m), a, b)
        if isinstance(n, A.Not):
            a = self.expr(n.operand)
            return self.kept(P(f"(NOT {a[0]})", a[1]), a)
        if isinstance(n, A.In):
            if not (isinstance(n.container, A.ListLit) and all(isinstance(i, A.Literal) for i in n.container.items)):
                raise Untranslatable("'in' over a list that is not written out")
            a = self.expr(n.item)
            vals = [i.value for i in n.container.items]
            has_null = any(v is None for v in vals)
            items = ", ".join(_lit(v) for v in vals if v is not None) or "NULL"
            test = f"{a[0]} IN ({items})"
            null_in = (not has_null) if n.negated else has_null
            if n.negated:
                test = f"NOT ({test})"
            if self.isnull(a[0]) == "FALSE" and items != "NULL":
                return self.kept(P(_when(a[1], "NULL", test), a[1]), a)
            return P(_when(a[1], "NULL", f"CASE WHEN {a[0]} IS NULL THEN {_lit(null_in)} ELSE {test} END"), a[1])
        if isinstance(n, A.If):
            c, t, e = self.expr(n.cond), self.expr(n.then), self.expr(n.orelse)
            return P(f"CASE WHEN {c[0]} IS TRUE THEN {t[0]} WHEN {c[0]} IS FALSE THEN {e[0]} ELSE NULL END",
                     "FALSE" if t[1] == e[1] == c[1] == "FALSE" else
                     f"CASE WHEN {c[0]} IS TRUE THEN {t[1]} WHEN {c[0]} IS FALSE THEN {e[1]} ELSE {c[1]} END")
        if isinstance(n, A.Call):
            if n.func in ("year_of", "month_of", "day_of"):
                a = self.expr(n.args[0])
                part = {"year_of": "year", "month_of": "month", "day_of": "day"}[n.func]
                return self.kept(P(f"{part}({a[0]})", a[1]), a)
            if n.func in ("years_after", "months_after") and isinstance(n.args[1], A.Literal) \
                    and type(n.args[1].value) is int and abs(n.args[1].value) <= 1200:
                a = self.expr(n.args[0])
                months = n.args[1].value * (12 if n.func == "years_after" else 1)
                # 民法典: the corresponding day of the final month, or its last day (DuckDB clamps the same way)
                return P(f"CAST(CAST({a[0]} AS DATE) + INTERVAL ({months}) MONTH AS DATE)", a[1])
            if n.func in ("years_after", "months_after") and isinstance(n.args[1], A.Call) \
                    and n.args[1].func == "in_force_on" and isinstance(n.args[1].args[1], A.Literal) \
                    and all(v is None or type(v) is int and abs(v) <= 100 for _, v in n.args[1].args[1].value.since):
                # a period whose length is a parameter's value on an event's day: bounded by the history's values
                a, b = self.expr(n.args[0]), self.expr(n.args[1])
                months = f"({b[0]}) * 12" if n.func == "years_after" else f"({b[0]})"
                return P(f"CAST(CAST({a[0]} AS DATE) + INTERVAL ({months}) MONTH AS DATE)", _or(a[1], b[1]))
            if n.func == "in_force_on" and isinstance(n.args[1], A.Literal) and hasattr(n.args[1].value, "since"):
                return self.in_force_on(n.args[0], n.args[1].value)
            if n.func == "len" and isinstance(n.args[0], A.Name) and n.args[0].name in self.facts:
                a = self.expr(n.args[0])
                return P(_when(_or(a[1], self.isnull(a[0])), "NULL", f"CAST(len({a[0]}) AS BIGINT)"), a[1])
            raise Untranslatable(f"the function {n.func}()")
        if isinstance(n, A.Aggregate):
            return self.aggregate(n)
        raise Untranslatable(f"{type(n).__name__.lower()} expressions")

    def aggregate(self, n: A.Aggregate) -> tuple[str, str]:
        """``runtime._agg`` over a list of records given as a fact, as a list lambda of DuckDB.  Inside
        the lambda every value is known and not null (the records' fields never are; a row where a
        name from outside is undetermined or null is decided row-wise: ``escapes`` — unless the list
        itself is left out or null, when the aggregate is that, as ``runtime._agg`` gives it, whatever
        the name from outside)."""
        if not (isinstance(n.source, A.Name) and n.source.name in self.facts):
            raise Untranslatable("aggregate expressions over a list that is not a fact")
        fields = _records_of(self.facts[n.source.name].type)
        if fields is None:
            raise Untranslatable("aggregate expressions over a list that is not of plain records")
        src = self.expr(n.source)
        self.aggregated.append(src[0])
        outer: dict[str, tuple[str, str]] = {}  # name from outside the lambda -> its (value, undetermined)
        inner = _Lambda(self, n.var, fields, outer)
        w = inner.sql(n.where) if n.where is not None else "TRUE"
        body = inner.sql(n.body)
        absent = _or(src[1], self.isnull(src[0]))  # (a list left out or null: NULL, whatever the rest)
        for v, m in outer.values():
            esc = _or(m, self.isnull(v))
            if esc != "FALSE" and absent != "TRUE":
                self.escapes.append(esc if absent == "FALSE" else f"NOT ({absent}) AND {esc}")
        kept = f"list_filter({src[0]}, lambda {inner.var}: {w})"
        if n.func == "any":
            agg = f"len(list_filter({src[0]}, lambda {inner.var}: ({w}) AND ({body}))) > 0"
        elif n.func == "all":
            agg = f"len(list_filter({src[0]}, lambda {inner.var}: ({w}) AND NOT ({body}))) = 0"
        elif n.func == "count":
            agg = f"CAST(len({kept}) AS BIGINT)"
        elif n.func == "sum" and inner.kind(n.body) == "int":
            agg = f"CAST(COALESCE(list_sum(list_transform({kept}, lambda {inner.var}: {body})), 0) AS BIGINT)"
        elif n.func in ("min", "max"):
            t = typecheck(n.body, self.env.child(n.var, self.facts[n.source.name].type.elem))[0]
            f = "list_min" if n.func == "min" else "list_max"
            if t.kind == "enum" and t.enum.ordered:
                rank = t.enum.rank()
                ranked = "CASE " + body + " " + " ".join(f"WHEN {_lit(k)} THEN {v}" for k, v in rank.items()) + " END"
                back = " ".join(f"WHEN {v} THEN {_lit(k)}" for k, v in rank.items())
                agg = f"(CASE {f}(list_transform({kept}, lambda {inner.var}: {ranked})) {back} ELSE NULL END)"
            elif t.kind in ("int", "string", "enum", "bool"):
                agg = f"{f}(list_transform({kept}, lambda {inner.var}: {body}))"
            else:
                raise Untranslatable(f"{n.func}() over {t.kind} values")
        else:
            raise Untranslatable(f"the aggregate {n.func}()")
        return self.sel.pair(_when(_or(src[1], self.isnull(src[0])), "NULL", agg), src[1])

    def in_force_on(self, day_node, h) -> tuple[str, str]:
        """``runtime._in_force_on`` over a parameter's history: the value of the day (or of the first rule
        after it, but never for a burden: ``favourable: lower``), a later one where ``favourable`` says it is
        kinder; ``as_of``'s for a later day."""
        day = self.expr(day_node)
        a = self.resolve("as_of")[0]
        burden = h.favourable == "lower"  # no value on the day: none (no later burden attaches to the event)

        def at(x: str) -> str:
            arms = " ".join(f"WHEN {x} >= {_lit(start)} THEN {_lit(v)}" for start, v in reversed(h.since))
            return f"(CASE {arms} ELSE NULL END)" if arms else "NULL"

        if self.on is not None:  # the rows' day is known: the value in force on it, and the rules begun by then
            now = _lit(next((v for start, v in reversed(h.since) if self.on >= start), None))
            after = " ".join(f"WHEN {day[0]} < {_lit(start)} THEN {_lit(v)}"
                             for start, v in h.since if v is not None and start <= self.on)
        else:
            after = " ".join(f"WHEN {day[0]} < {_lit(start)} AND {_lit(start)} <= {a} THEN {_lit(v)}"
                             for start, v in h.since if v is not None)
            now = self.sel.pair(at(a), "FALSE")[0]
        then = self.sel.pair(f"COALESCE({at(f'LEAST({day[0]}, {a})')}, (CASE {after} ELSE NULL END))" if after and not burden
                             else at(f"LEAST({day[0]}, {a})"), "FALSE")[0]
        kinder = {"higher": f"{now} > {then}", "lower": f"{now} < {then}"}.get(h.favourable, "FALSE")
        return self.sel.pair(f"CASE WHEN {day[0]} IS NULL THEN NULL WHEN {then} IS NULL THEN {'NULL' if burden else now} "
                             f"WHEN {now} IS NULL THEN {'NULL' if burden else then} "
                             f"WHEN {kinder} THEN {now} ELSE {then} END", day[1])

    def compare(self, n: A.Compare) -> tuple[str, str]:
        P = self.sel.pair
        rank = None
        if n.op not in ("==", "!="):
            for side in (n.left, n.right):
                t = typecheck(side, self.env)[0]
                if t.kind == "enum" and t.enum.ordered:
                    rank = t.enum.rank()
                    break
        else:
            for side in (n.left, n.right):
                if typecheck(side, self.env)[0].kind not in ("bool", "int", "date", "enum", "string", "null"):
                    raise Untranslatable("comparing values other than numbers, dates and text")
        a, b = self.expr(n.left), self.expr(n.right)
        if rank is not None:
            lits = [isinstance(x, A.Literal) and x.value in rank for x in (n.right, n.left)]
            if any(lits):  # against a written-out value: membership, the ranks compared here
                side, k = (a[0], rank[n.right.value]) if lits[0] else (b[0], rank[n.left.value])
                op = n.op if lits[0] else {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[n.op]
                test = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}[op]
                kept = [x for x, r in rank.items() if test(r, k)]
                return P(f"({side} IN ({', '.join(_lit(x) for x in kept)}))" if kept else
                         f"CASE WHEN {side} IS NULL THEN NULL ELSE FALSE END", _or(a[1], b[1]))

            def ranked(x):
                return "CASE " + x + " " + " ".join(f"WHEN {_lit(k)} THEN {v}" for k, v in rank.items()) + " END"
            return P(f"({ranked(a[0])} {n.op} {ranked(b[0])})", _or(a[1], b[1]))
        if n.op in ("==", "!="):
            if isinstance(n.right, A.Literal) and n.right.value is None:
                test = "IS NULL" if n.op == "==" else "IS NOT NULL"
                return P(_when(a[1], "NULL", f"{a[0]} {test}"), a[1])
            op = "IS NOT DISTINCT FROM" if n.op == "==" else "IS DISTINCT FROM"  # None == None is true
            if self.isnull(a[0]) == self.isnull(b[0]) == "FALSE":
                op = "=" if n.op == "==" else "<>"  # (the same answer where neither side is ever NULL)
            either = _or(a[1], b[1])
            return self.kept(P(_when(either, "NULL", f"({a[0]} {op} {b[0]})"), either), a, b)
        return self.kept(P(f"({a[0]} {n.op} {b[0]})", _or(a[1], b[1])), a, b)


def render(sql: str, dialect: str) -> str:
    """The query in another SQL dialect (``spark``, ``postgres``, ...), through SQLGlot."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]


class _Lambda:
    """The body of an aggregate as plain SQL over the lambda's variable: values are never null there."""

    def __init__(self, ex: _Expr, var: str, fields: dict, outer: dict):
        self.ex, self.name, self.fields, self.outer = ex, var, fields, outer
        self.var = "it_" + re.sub(r"[^a-z0-9_]", "_", var.lower())

    def kind(self, n) -> str:
        if isinstance(n, A.Attr) and isinstance(n.target, A.Name) and n.target.name == self.name:
            return self.fields[n.field_name].kind
        return typecheck(n, self.ex.env)[0].kind

    def sql(self, n) -> str:
        if isinstance(n, A.Literal):
            if n.value is None:
                raise Untranslatable("null inside an aggregate")
            return _lit(n.value)
        if isinstance(n, A.Attr) and isinstance(n.target, A.Name) and n.target.name == self.name:
            if n.field_name not in self.fields:
                raise Untranslatable(f"the field {n.field_name!r}")
            return f"{self.var}.{n.field_name}"
        if isinstance(n, A.Name):
            if n.name == self.name:
                raise Untranslatable("a record used whole inside an aggregate")
            v, m = self.ex.resolve(n.name)
            self.outer[n.name] = (v, m)  # (the aggregate escapes where it may be undetermined or NULL: _Expr.isnull)
            return v
        if isinstance(n, A.Binary) and n.op in ("+", "-") and self.kind(n.left) == "int" == self.kind(n.right):
            return f"({self.sql(n.left)} {n.op} {self.sql(n.right)})"
        if isinstance(n, A.BoolOp):
            return f"({self.sql(n.left)} {n.op.upper()} {self.sql(n.right)})"
        if isinstance(n, A.Not):
            return f"(NOT {self.sql(n.operand)})"
        if isinstance(n, A.Compare):
            a, b = self.sql(n.left), self.sql(n.right)
            if n.op not in ("==", "!="):
                for side in (n.left, n.right):
                    if isinstance(side, A.Attr) and self.kind(side) == "enum" or \
                            not isinstance(side, A.Attr) and self.kind(side) == "enum":
                        raise Untranslatable("an ordered comparison of enums inside an aggregate")
            op = {"==": "=", "!=": "<>"}.get(n.op, n.op)
            return f"({a} {op} {b})"
        raise Untranslatable(f"{type(n).__name__.lower()} expressions inside an aggregate")
