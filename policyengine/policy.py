"""The checked policy set: what ``check`` produces and ``merge`` consumes.

Plain frozen records.  Every element keeps the document it came from and a
source span, so merge can record provenance and explanations can cite the
document and article.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from . import ast as A
from .diagnostics import Diagnostic, Span
from .records import Label
from .types import T

__all__ = ["topological_order", "Document", "Jurisdiction", "Expr", "Fact", "Param", "Definition", "Output", "Tier", "Item", "Bonus",
           "Band", "Table", "Rule", "PolicySet"]


def topological_order(deps: dict, on_cycle=None) -> list:
    """The keys of ``deps`` with every key after the keys it depends on (deps not in ``deps``
    are ignored).  Depth first without recursion — a chain of thousands of definitions must
    not overflow the stack — in sorted order, so the result is deterministic.  Each cycle met
    is passed to ``on_cycle`` as the path round it (first node repeated at the end)."""
    state: dict = {}
    order: list = []
    for root in sorted(deps):
        if state.get(root):
            continue
        state[root] = 1
        path, todo = [root], [iter(sorted(deps[root]))]
        while todo:
            for nxt in todo[-1]:
                if nxt not in deps or state.get(nxt) == 2:
                    continue
                if state.get(nxt) == 1:
                    if on_cycle is not None:
                        on_cycle(path[path.index(nxt):] + [nxt])
                    continue
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(sorted(deps[nxt])))
                break
            else:
                todo.pop()
                done = path.pop()
                state[done] = 2
                order.append(done)
    return order


@dataclass(frozen=True)
class Document:
    id: str
    title: Label
    issuer: Label
    number: str | None
    jurisdiction: str
    issued: _dt.date | None
    effective: _dt.date
    effective_until: _dt.date | None
    supersedes: tuple[str, ...]
    path: str
    span: Span
    dates_assumed: Label | None = None  # plain text or {zh, en}, as every text a pack writes for people

    def in_force(self, on: _dt.date) -> bool:
        return self.effective <= on and (self.effective_until is None or on <= self.effective_until)


@dataclass(frozen=True)
class Jurisdiction:
    id: str
    name: Label
    level: str
    parent: str | None
    cites: tuple[str, ...] = ()
    span: Span | None = None

    def path(self, tree: dict[str, "Jurisdiction"]) -> list[str]:
        """From the root down to this jurisdiction.  A parent cycle (an error that check reports,
        PE056) ends the walk where it would repeat itself, so nothing here can loop."""
        out, seen, cur = [], set(), self
        while cur is not None and cur.id not in seen:
            out.append(cur.id)
            seen.add(cur.id)
            cur = tree.get(cur.parent) if cur.parent else None
        return list(reversed(out))


@dataclass(frozen=True)
class Expr:
    """A checked expression: its text, AST, type, and the names it reads directly."""

    text: str
    node: A.Node
    type: T
    reads: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Fact:
    subject: str
    name: str
    type: T
    label: Label
    nullable: bool
    has_default: bool
    default: Any
    min: Any
    max: Any
    document: str
    span: Span


@dataclass(frozen=True)
class Param:
    name: str
    value: Any
    type: T
    label: Label
    citation: str
    stricter: str | None
    is_default: bool
    output: str | None
    subject: str | None
    document: str
    span: Span
    note: Label | None = None
    favourable: str | None = None  # which way favours the subject (in_force_on)
    reading: Label | None = None  # a settled reading of the document, reported by check


@dataclass(frozen=True)
class Definition:
    subject: str
    name: str
    expr: Expr
    label: Label
    citation: str | None
    is_default: bool
    document: str
    span: Span
    reading: Label | None = None


@dataclass(frozen=True)
class Output:
    name: str
    type: T
    combine: str
    subjects: tuple[str, ...]
    label: Label
    document: str


@dataclass(frozen=True)
class Tier:
    min: int | None
    max: int | None
    points: int
    label: Label | None

    def covers(self, v: int) -> bool:
        return (self.min is None or v >= self.min) and (self.max is None or v <= self.max)


@dataclass(frozen=True)
class Item:
    id: str
    label: Label
    citation: str
    value: Expr
    max: int
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class Bonus:
    id: str
    label: Label
    citation: str
    points: Expr
    max: int


@dataclass(frozen=True)
class Band:
    min: int | None
    max: int | None
    grade: str
    label: Label | None

    def covers(self, v: int) -> bool:
        return (self.min is None or v >= self.min) and (self.max is None or v <= self.max)


@dataclass(frozen=True)
class Table:
    items: tuple[Item, ...]
    bonus: tuple[Bonus, ...]
    cap: int
    bands: tuple[Band, ...]
    score_output: str
    grade_output: str


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    subject: str
    label: Label
    citation: str
    when: Expr | None
    condition: Expr | None  # eligibility / target predicate; obligation check
    value: Expr | None  # entitlement / sanction value
    output: str | None
    requirement: Label | None
    restates: tuple[str, ...]
    replaces: str | None
    binding: bool
    is_default: bool
    effective: _dt.date | None
    effective_until: _dt.date | None
    document: str
    span: Span
    table: Table | None = None
    ambiguity: Label | None = None
    note: Label | None = None
    reading: Label | None = None  # a settled reading of the document, reported by check
    deadline: _dt.date | None = None  # target: pending before this day
    delegates: str | None = None  # the level to which the document leaves this provision

    def reads(self) -> set[str]:
        """The names (facts, parameters, definitions, outcomes) this rule's expressions read."""
        out: set[str] = set()
        for e in (self.when, self.condition, self.value):
            if e is not None:
                out.update(e.reads)
        if self.table is not None:
            for it in self.table.items:
                out.update(it.value.reads)
            for b in self.table.bonus:
                out.update(b.points.reads)
        return out

    def outputs(self) -> tuple[str, ...]:
        if self.table is not None:
            return (self.table.score_output, self.table.grade_output)
        return (self.output,) if self.output else ()


@dataclass(frozen=True)
class PolicySet:
    """Everything the rule files say, checked.  ``diagnostics`` holds what check found."""

    documents: dict[str, Document]
    jurisdictions: dict[str, Jurisdiction]
    enums: dict[str, Any]
    facts: dict[tuple[str, str], Fact]
    params: tuple[Param, ...]
    definitions: tuple[Definition, ...]
    outputs: dict[str, Output]
    rules: tuple[Rule, ...]
    coverage: dict[str, dict[str, Any]]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    sources: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _memo: dict = field(default_factory=dict, compare=False, repr=False)  # derived, per query

    def declared_facts(self, subject: str, jurisdiction: str) -> dict[str, "Fact"]:
        """The facts of ``subject`` that the documents on the path to ``jurisdiction`` declare."""
        key = ("facts", subject, jurisdiction)
        got = self._memo.get(key)
        if got is None:
            path = set(self.jurisdiction_path(jurisdiction))
            got = self._memo[key] = {n: f for (s, n), f in self.facts.items()
                                     if s == subject and self.documents[f.document].jurisdiction in path}
        return got

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    def jurisdiction_path(self, jid: str) -> list[str]:
        j = self.jurisdictions.get(jid)  # an undeclared one (an error check reports) stands alone
        return j.path(self.jurisdictions) if j is not None else [jid]

    def docs_at(self, jid: str) -> list[Document]:
        return sorted((d for d in self.documents.values() if d.jurisdiction == jid), key=lambda d: (d.effective, d.id))
