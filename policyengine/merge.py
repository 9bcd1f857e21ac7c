"""Stage 4 — merge: the layers on the path from ``cn`` to a jurisdiction, as of a date.

A pure function of (policy set, jurisdiction, date).  Documents are taken
root first, and within a layer by effective date.  The rules of precedence
(CONTRACT.md, "Semantics users rely on"):

* a lower layer adds rules and obligations; every eligibility condition in
  force applies, so a restated condition can only add to what binds;
* a parameter may be moved by a lower layer only in its ``stricter``
  direction, unless the value was stated as a default (一般), or the later
  document supersedes the earlier one of the same issuer;
* a rule marked ``default`` may be replaced below (``replaces``); a binding
  one may not — both then apply;
* targets bind only the jurisdiction that set them.

Every parameter, definition and rule in force carries its provenance: who
set it, what it replaced, and which attempted changes were ignored.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as _dt
from dataclasses import dataclass
from itertools import product
from typing import Any

from .diagnostics import Diagnostic, Related, Text
from .records import Label, text_of
from .policy import Definition, Document, Param, PolicySet, Rule

__all__ = ["MergedParam", "MergedRule", "MergedDefinition", "Layers", "merge", "layering_diagnostics", "boundaries"]


@dataclass(frozen=True)
class MergedParam:
    param: Param  # the value in force
    replaced: tuple[Param, ...] = ()  # earlier values it replaced, highest layer first
    ignored: tuple[Param, ...] = ()  # lower values that tried to loosen it
    how: str = "set"  # set / tightened / default-replaced / superseded / restated / kept (a binding value above)


@dataclass(frozen=True)
class MergedDefinition:
    definition: Definition
    replaced: tuple[Definition, ...] = ()
    ignored: tuple[Definition, ...] = ()


@dataclass(frozen=True)
class MergedRule:
    rule: Rule
    replaced: tuple[Rule, ...] = ()
    kept_over: tuple[Rule, ...] = ()  # lower rules that tried to replace this binding rule


@dataclass(frozen=True)
class Layers:
    """What is in force at one jurisdiction on one date."""

    jurisdiction: str
    as_of: _dt.date
    path: tuple[str, ...]
    documents: tuple[Document, ...]
    params: dict[str, MergedParam]
    definitions: dict[tuple[str, str], MergedDefinition]
    rules: tuple[MergedRule, ...]

    def signature(self) -> tuple:
        """Identity of what is in force (two dates with the same signature decide alike)."""
        return (self.jurisdiction, tuple(d.id for d in self.documents),
                tuple((n, m.param.document) for n, m in sorted(self.params.items())),
                tuple((k, m.definition.document) for k, m in sorted(self.definitions.items())),
                tuple((m.rule.id, m.rule.document) for m in self.rules))


def _order(ps: PolicySet, path: list[str], as_of: _dt.date) -> list[Document]:
    docs = []
    for depth, j in enumerate(path):
        for d in ps.docs_at(j):
            if d.in_force(as_of):
                docs.append(d)
    return docs


def _stricter_or_equal(new: Any, old: Any, direction: str | None) -> bool:
    if new == old:
        return True
    if direction == "higher":
        return new > old
    if direction == "lower":
        return new < old
    return False


def _binding_floor(chain: tuple[Param, ...], doc_id: str, supersedes_) -> Param | None:
    """The strictest value of the chain that still binds: not a default, not superseded by a later value of the
    chain or by ``doc_id``'s document."""
    floor = None
    for i, q in enumerate(chain):
        if q.is_default or supersedes_(doc_id, q.document) or any(supersedes_(r.document, q.document) for r in chain[i + 1:]):
            continue
        if floor is None or _stricter_or_equal(q.value, floor.value, q.stricter) and q.value != floor.value:
            floor = q
    return floor


def merge(ps: PolicySet, jurisdiction: str, as_of: _dt.date) -> Layers:
    """The layers in force at ``jurisdiction`` on ``as_of``, with provenance."""
    path = ps.jurisdiction_path(jurisdiction)
    docs = _order(ps, path, as_of)
    supersedes = {d.id: set(d.supersedes) for d in docs}

    def supersedes_(later: str, earlier: str) -> bool:
        return earlier in supersedes.get(later, ())

    params: dict[str, MergedParam] = {}
    by_doc_params: dict[str, list[Param]] = {}
    for p in ps.params:
        by_doc_params.setdefault(p.document, []).append(p)
    definitions: dict[tuple[str, str], MergedDefinition] = {}
    by_doc_defs: dict[str, list[Definition]] = {}
    for d in ps.definitions:
        by_doc_defs.setdefault(d.document, []).append(d)
    rules: dict[str, MergedRule] = {}
    order: list[str] = []
    docs_by_id = ps.documents
    by_doc_rules: dict[str, list[Rule]] = {}
    for r in ps.rules:
        by_doc_rules.setdefault(r.document, []).append(r)

    for doc in docs:
        for p in by_doc_params.get(doc.id, ()):
            cur = params.get(p.name)
            if cur is not None and p.output is None and cur.param.output is not None:
                # a value restated below still publishes the outcome the value above published
                p = dataclasses.replace(p, output=cur.param.output, subject=cur.param.subject)
            floor = _binding_floor(cur.replaced + (cur.param,), doc.id, supersedes_) if cur is not None else None
            if cur is None:
                params[p.name] = MergedParam(p)
            elif (supersedes_(doc.id, cur.param.document) or cur.param.is_default and p.value != cur.param.value) \
                    and floor is not None and not _stricter_or_equal(p.value, floor.value, floor.stricter):
                # superseding an own earlier value, or replacing a default, never loosens a binding value above
                chain = tuple(q for q in cur.replaced + (cur.param,) if q is not floor)
                if floor.output is None and cur.param.output is not None:
                    floor = dataclasses.replace(floor, output=cur.param.output, subject=cur.param.subject)
                params[p.name] = MergedParam(floor, chain, cur.ignored + (p,), "kept")
            elif supersedes_(doc.id, cur.param.document):
                params[p.name] = MergedParam(p, cur.replaced + (cur.param,), cur.ignored, "superseded")
            elif cur.param.is_default and p.value != cur.param.value:
                params[p.name] = MergedParam(p, cur.replaced + (cur.param,), cur.ignored, "default-replaced")
            elif _stricter_or_equal(p.value, cur.param.value, cur.param.stricter):
                how = "restated" if p.value == cur.param.value else "tightened"
                params[p.name] = MergedParam(p, cur.replaced + (cur.param,), cur.ignored, how)
            else:
                params[p.name] = MergedParam(cur.param, cur.replaced, cur.ignored + (p,), cur.how)
        for d in by_doc_defs.get(doc.id, ()):
            key = (d.subject, d.name)
            cur = definitions.get(key)
            if cur is None:
                definitions[key] = MergedDefinition(d)
            elif cur.definition.is_default or supersedes_(doc.id, cur.definition.document):
                definitions[key] = MergedDefinition(d, cur.replaced + (cur.definition,), cur.ignored)
            else:
                definitions[key] = MergedDefinition(cur.definition, cur.replaced, cur.ignored + (d,))
        for r in by_doc_rules.get(doc.id, ()):
            if r.effective and as_of < r.effective or r.effective_until and as_of > r.effective_until:
                continue
            if r.kind == "target" and doc.jurisdiction != jurisdiction:
                continue  # targets bind only the jurisdiction that set them
            cur = rules.get(r.id)
            if cur is not None:  # same id: a superseding document (check allows nothing else)
                rules[r.id] = MergedRule(r, cur.replaced + (cur.rule,))
                continue
            holder = _binding_holder(ps, rules, order, r, doc, docs_by_id, supersedes_)
            if holder is not None:  # a lower rule may not override a binding value above it
                h = rules[holder]
                rules[holder] = MergedRule(h.rule, h.replaced, h.kept_over + (r,))
                continue
            if r.replaces and r.replaces in rules:
                old = rules[r.replaces]
                if old.rule.is_default or supersedes_(doc.id, old.rule.document) or delegated(ps, old.rule, doc):
                    del rules[r.replaces]
                    order.remove(r.replaces)
                    rules[r.id] = MergedRule(r, old.replaced + (old.rule,))
                    order.append(r.id)
                    continue
                rules[r.replaces] = MergedRule(old.rule, old.replaced, old.kept_over + (r,))
            rules[r.id] = MergedRule(r)
            order.append(r.id)
    return Layers(jurisdiction, as_of, tuple(path), tuple(docs), params, definitions, tuple(rules[i] for i in order))


def _on_path(ps, upper: str, lower: str) -> bool:
    """``upper`` is ``lower`` or one of the levels above it."""
    j, seen = lower, set()
    while j is not None and j not in seen:
        if j == upper:
            return True
        seen.add(j)
        known = ps.jurisdictions.get(j)
        j = known.parent if known else None
    return False


def delegated(ps: PolicySet, higher: Rule, doc: Document) -> bool:
    """The higher rule leaves the provision to the level of ``doc``'s layer (``delegates``), which lies below it."""
    j = ps.jurisdictions.get(doc.jurisdiction)
    return bool(higher.delegates) and j is not None and j.level == higher.delegates \
        and ps.documents[higher.document].jurisdiction in _ancestors(ps, doc.jurisdiction)


def _overridden_outputs(ps: PolicySet, r: Rule) -> set[str]:
    """The outcomes of ``r`` where one rule's value replaces another's (combine: override)."""
    return {o for o in r.outputs() if o in ps.outputs and ps.outputs[o].combine == "override"}


def _binding_holder(ps: PolicySet, rules: dict, order: list[str], r: Rule, doc: Document, docs: dict,
                    supersedes_) -> str | None:
    """The id of a binding rule of a higher layer whose overriding outcome ``r`` would take over."""
    outs = _overridden_outputs(ps, r)
    if not outs:
        return None
    for rid in order:
        h = rules[rid].rule
        if h.subject != r.subject or not (_overridden_outputs(ps, h) & outs):
            continue
        if docs[h.document].jurisdiction == doc.jurisdiction:
            continue  # the same layer: the later document speaks last
        if h.is_default or supersedes_(doc.id, h.document):
            continue
        return rid
    return None


def boundaries(ps: PolicySet) -> list[_dt.date]:
    """Dates on which something comes into or goes out of force (for caching by period)."""
    days: set[_dt.date] = set()
    for d in ps.documents.values():
        days.add(d.effective)
        if d.effective_until and d.effective_until < _dt.date.max:  # (9999-12-31: in force to the end of the calendar)
            days.add(d.effective_until + _dt.timedelta(days=1))
    for r in ps.rules:
        if r.effective:
            days.add(r.effective)
        if r.effective_until and r.effective_until < _dt.date.max:
            days.add(r.effective_until + _dt.timedelta(days=1))
    return sorted(days)


def period_of(bounds: list[_dt.date], on: _dt.date) -> int:
    return bisect.bisect_right(bounds, on)


# --- what check reports about layering -------------------------------------------------------


def _ancestors(ps: PolicySet, jid: str) -> list[str]:
    return ps.jurisdiction_path(jid)[:-1] if jid in ps.jurisdictions else []


def layering_diagnostics(ps: PolicySet) -> list[Diagnostic]:
    from .explain import _in_words as in_words  # (explain imports this module)

    out: list[Diagnostic] = []
    docs = ps.documents

    def loc(doc_id: str, span, message: Text, code: str, related=(), hint=None) -> Diagnostic:
        src = ps.sources.get(doc_id)
        return Diagnostic(code, message, span, hint=hint, related=related,
                          source_line=src.source.line(span.line) if src and span else None)

    def cite(doc_id: str, article: str, lang: str = "zh") -> str:
        """The document (its English title in English, where the pack gives one) and the article."""
        d = docs[doc_id]
        number = (f"（{d.number}）" if lang == "zh" else f" ({d.number})") if d.number else ""
        return f"{text_of(d.title, lang)}{number} {article}"

    def cites(doc_id: str, article: str) -> Text:
        return Text(cite(doc_id, article), cite(doc_id, article, "en"))

    def above(p_doc: str, q_doc: str) -> bool:
        """q's document is a higher layer than p's, or an earlier one of the same layer not superseded by p."""
        pj, qj = docs[p_doc].jurisdiction, docs[q_doc].jurisdiction
        if qj in _ancestors(ps, pj):
            return True
        return qj == pj and docs[q_doc].effective <= docs[p_doc].effective and q_doc != p_doc \
            and q_doc not in docs[p_doc].supersedes

    # parameters (pairs of the same name only: a file of thousands must not take minutes)
    params_named: dict[str, list] = {}
    for q in ps.params:
        params_named.setdefault(q.name, []).append(q)
    for p in ps.params:
        for q in params_named[p.name]:
            if q.name != p.name or not above(p.document, q.document) or q.is_default:
                continue
            if not _stricter_or_equal(p.value, q.value, q.stricter):
                out.append(loc(p.document, p.span,
                               Text(f"这里的 '{p.name}' = {p.value} 会放宽上级规定的 {q.value}；较严的 {q.value} 继续适用",
                                    f"'{p.name}' = {p.value} here would loosen {q.value} set above; the stricter {q.value} keeps applying"),
                               "PE050", (Related(q.span, Text(f"有约束力的值 {q.value}：{cite(q.document, q.citation)}",
                                                              f"binding value {q.value}: {cite(q.document, q.citation, 'en')}")),),
                               hint=Text("下级只能收紧有约束力的值，不能放宽", "a lower layer may only tighten a binding value")))
    # rules
    rules = {r.id: r for r in ps.rules}
    overridden = {id(r): _overridden_outputs(ps, r) for r in ps.rules}
    binding_by = {}  # (subject, outcome, jurisdiction) -> positions of binding rules that override it
    for i, h in enumerate(ps.rules):
        if not h.is_default:
            for o in overridden[id(h)]:
                binding_by.setdefault((h.subject, o, docs[h.document].jurisdiction), []).append(i)
    restated_by: dict[str, list[Rule]] = {}
    for x in ps.rules:
        for ref in x.restates:
            restated_by.setdefault(ref, []).append(x)
    for r in ps.rules:
        path_above = _ancestors(ps, docs[r.document].jurisdiction)
        compared: set[str] = set()
        for ref in r.restates:
            h = rules.get(ref)
            if h is None:
                continue
            rel = (Related(h.span, Text(f"被重述的规则：{cite(h.document, h.citation)}",
                                        f"restated rule: {cite(h.document, h.citation, 'en')}")),)
            if not r.binding and h.binding:
                out.append(loc(r.document, r.span,
                               Text(f"'{r.id}'（{cite(r.document, r.citation)}）把 '{h.id}' 写成非约束性的规定（一般/原则上）；"
                                    "上级有约束力的规则继续适用",
                                    f"'{r.id}' ({cite(r.document, r.citation, 'en')}) states '{h.id}' as a soft rule (一般/原则上); "
                                    "the binding rule above keeps applying"),
                               "PE050", rel, hint=Text("下级不能把有约束力的条件放宽为一般性规定",
                                                       "a lower layer cannot soften a binding condition")))
            # the restated rule, and every binding restatement of it on the path above (a city's own reading of
            # the region's condition binds at a university below the city too)
            for b in [h] + [x for x in restated_by.get(ref, ()) if x is not r and x.binding
                            and docs[x.document].jurisdiction in path_above]:
                if b.id in compared:
                    continue
                compared.add(b.id)
                verdict = compare_conditions(ps, b, r)
                if verdict and verdict[0] in ("looser", "different"):
                    kind, example = verdict
                    when = b.when.text.strip() if b is not h and b.when is not None else ""
                    where = f" (where '{b.id}' applies: {when})" if when else ""
                    where_zh = f"（'{b.id}' 只适用于 {_when_zh(ps, b) or in_words(when, 'zh')} 的情形）" if when else ""
                    what_zh = (repr(b.id) if b is h else
                               f"{h.id!r}（它在这条路径上以 {b.id!r} 约束，{cite(b.document, b.citation)}）")
                    out.append(loc(r.document, r.span,
                                   Text(f"'{r.id}'（{cite(r.document, r.citation)}）重述 {what_zh}，但写得"
                                        f"{'更宽' if kind == 'looser' else '不同'}{where_zh}"
                                        f"{'：' + example.zh if example else ''}；两条都适用，由较严的决定",
                                        f"'{r.id}' ({cite(r.document, r.citation, 'en')}) restates "
                                        f"{repr(b.id) if b is h else repr(h.id) + ', which binds on its path as ' + repr(b.id) + ' (' + cite(b.document, b.citation, 'en') + ')'}"
                                        f" {'more loosely' if kind == 'looser' else 'differently'}{where}"
                                        f"{': ' + example.en if example else ''}; both apply, so the stricter reading decides"),
                                   "PE051", rel if b is h else rel + (Related(b.span, Text(f"路径上有约束力的规定：{cite(b.document, b.citation)}",
                                                                                           f"binding provision on the path: {cite(b.document, b.citation, 'en')}")),),
                                   hint=Text("如果本意相同，请按上级的写法改；两条都适用，不会放宽",
                                             "if the same is meant, write it as the layer above does; both apply, nothing is loosened")))
        if r.replaces and r.replaces in rules:
            h = rules[r.replaces]
            upper, lower = docs[h.document].jurisdiction, docs[r.document].jurisdiction
            if not _on_path(ps, upper, lower):  # (another branch's rule never applies here: nothing to replace)
                out.append(loc(r.document, r.span,
                               Text(f"'{r.id}' 想替换的规则 '{h.id}' 属于 {upper}，不在 {lower} 的上级中：它在这里从不适用，"
                                    "这个替换不起作用",
                                    f"'{r.id}' replaces '{h.id}' of {upper}, which is not above {lower}: that rule never "
                                    "applies here, so nothing is replaced"),
                               "PE052", (Related(h.span, Text(f"另一分支的规则：{cite(h.document, h.citation)}",
                                                              f"a rule of another branch: {cite(h.document, h.citation, 'en')}")),),
                               hint=Text("replaces 只能写本级或上级的规则：检查编号，或删掉 replaces",
                                         "replaces names a rule of this level or above: check the id, or remove replaces")))
            elif delegated(ps, h, docs[r.document]):
                out.append(loc(r.document, r.span,
                               Text(f"'{r.id}'（{cite(r.document, r.citation)}）依上级授权替换 '{h.id}'（{cite(h.document, h.citation)}），"
                                    "在本级及以下适用：这是授权的替换，不是放宽",
                                    f"'{r.id}' ({cite(r.document, r.citation, 'en')}) replaces '{h.id}' ({cite(h.document, h.citation, 'en')}) "
                                    f"as the level above leaves it to the {h.delegates} level: a delegated replacement, not a loosening"),
                               "PE059", (Related(h.span, Text(f"作出授权的规定：{cite(h.document, h.citation)}",
                                                              f"delegating provision: {cite(h.document, h.citation, 'en')}")),)))
            elif not h.is_default and h.document not in docs[r.document].supersedes:
                out.append(loc(r.document, r.span, Text(f"'{r.id}' 想替换有约束力的规则 '{h.id}'；两条都适用",
                                                        f"'{r.id}' tries to replace binding rule '{h.id}'; both apply"),
                               "PE052", (Related(h.span, Text(f"有约束力的规则：{cite(h.document, h.citation)}",
                                                              f"binding rule: {cite(h.document, h.citation, 'en')}")),),
                               hint=Text("只有标为 'default: true' 的规则才能被下级替换",
                                         "only rules marked 'default: true' may be replaced below")))
        if r.ambiguity:
            out.append(loc(r.document, r.span, Text(f"原文不清楚：{cite(r.document, r.citation)}：{text_of(r.ambiguity)}",
                                                    f"{cite(r.document, r.citation, 'en')}: {text_of(r.ambiguity, 'en')}"), "PE054",
                           hint=Text("核对所采用的读法；复核后可在 acknowledged 中写明理由",
                                     "check the reading taken; once reviewed, acknowledge it with the reason")))
        if r.reading:
            out.append(_reading(loc, r.document, r.span, cites(r.document, r.citation), r.id, r.reading))
        above_r = _ancestors(ps, docs[r.document].jurisdiction)
        for i in sorted({i for o in overridden[id(r)] for j in above_r for i in binding_by.get((r.subject, o, j), ())}):
            h = ps.rules[i]
            shared = overridden[id(r)] & overridden[id(h)]
            if h is r or not shared or h.subject != r.subject or h.is_default \
                    or docs[h.document].jurisdiction not in above_r:
                continue
            out.append(loc(r.document, r.span,
                           Text(f"'{r.id}' 会改变上级有约束力的规则 '{h.id}' 所定的 '{'、'.join(sorted(shared))}'；上级的值继续适用",
                                f"'{r.id}' would override '{', '.join(sorted(shared))}' set by binding rule '{h.id}' above; "
                                "the value above keeps applying"), "PE052",
                           (Related(h.span, Text(f"有约束力的规则：{cite(h.document, h.citation)}",
                                                 f"binding rule: {cite(h.document, h.citation, 'en')}")),),
                           hint=Text("只有标为 'default: true' 的规则才能被下级改变",
                                     "only a rule marked 'default: true' may be overridden below")))
    # assumptions: the readings recorded on values (assumed dates are reported by check, PE058)
    for p in ps.params:
        if p.reading:
            out.append(_reading(loc, p.document, p.span, cites(p.document, p.citation), p.name, p.reading))
    for e in ps.definitions:
        if e.reading:
            out.append(_reading(loc, e.document, e.span, cites(e.document, e.citation or ""), e.name, e.reading))
    # definitions
    defs_named: dict[tuple, list] = {}
    for e in ps.definitions:
        defs_named.setdefault((e.subject, e.name), []).append(e)
    for d in ps.definitions:
        for e in defs_named[(d.subject, d.name)]:
            if (e.subject, e.name) == (d.subject, d.name) and above(d.document, e.document) and not e.is_default \
                    and e.document not in docs[d.document].supersedes:
                out.append(loc(d.document, d.span, Text(f"定义 '{d.name}' 重新定义了上级有约束力的定义；上级的定义继续适用",
                                                        f"definition '{d.name}' redefines a binding definition above; the one above applies"),
                               "PE052", (Related(e.span, Text("有约束力的定义", "binding definition")),),
                               hint=Text("如果上级的定义可以被替换，请把它标为 'default: true'",
                                         "mark the higher one 'default: true' if it may be replaced")))
    return out


def _reading(loc, doc_id: str, span, citation: Text, name: str, reading: Label) -> Diagnostic:
    """A settled reading the pack records (PE058), for an officer to revisit: each language's
    message cites the document and gives the reading in that language, where the pack has it."""
    return loc(doc_id, span, Text(f"采用的解读：{citation.zh} '{name}'：{text_of(reading)}",
                                  f"reading: {citation.en} '{name}': {text_of(reading, 'en')}"),
               "PE058", hint=Text("这是一种读法，经办人可以复核", "a reading an officer may revisit"))


def compare_conditions(ps: PolicySet, higher: Rule, lower: Rule) -> tuple[str, str] | None:
    """Compare two conditions on every combination of the facts they read.

    Returns ('equivalent'|'tighter'|'looser'|'different', example: the facts of a case that passes
    the lower and not the higher, in both languages, or None) or None where
    the facts cannot be enumerated (dates, free numbers without bounds in sight).
    """
    from .compile import compile_standalone
    from . import ast as A

    hc, lc = higher.condition, lower.condition
    if hc is None or lc is None or higher.subject != lower.subject:
        return None
    names = sorted(set(hc.reads) | set(lc.reads))
    domains: list[list] = []
    literals = [n.value for e in (hc, lc) for n in A.walk(e.node) if isinstance(n, A.Literal)
                and isinstance(n.value, int) and not isinstance(n.value, bool)]
    for n in names:
        f = ps.facts.get((higher.subject, n))
        if f is None:
            return None
        t = f.type
        if t.kind == "bool":
            dom = [False, True]
        elif t.kind == "enum":
            dom = list(t.enum.values)
        elif t.kind == "int":
            dom = sorted({0, *[x + d for x in literals for d in (-1, 0, 1) if x + d >= 0]})
        else:
            return None
        domains.append(dom)
    total = 1
    for d in domains:
        total *= len(d)
    if total > 50_000:
        return None
    fh, fl = compile_standalone(ps, higher), compile_standalone(ps, lower)
    looser = tighter = None
    for combo in product(*domains):
        facts = dict(zip(names, combo))
        h, l = fh(facts), fl(facts)
        if l is True and h is False and looser is None:
            looser = facts
        if h is True and l is False and tighter is None:
            tighter = facts
        if looser and tighter:
            break

    if looser and tighter:
        return "different", _example(ps, higher, lower, looser)
    if looser:
        return "looser", _example(ps, higher, lower, looser)
    if tighter:
        return "tighter", None
    return "equivalent", None


def _when_zh(ps: PolicySet, rule: Rule) -> str:
    """A rule's ``when`` of the usual shape ``commissioner_type == "technical_service"`` in the
    officer's words (``commissioner_type 为 technical_service（技术服务型）``); "" for any other."""
    from . import ast as A
    from .explain import show_value

    node = rule.when.node
    if not (isinstance(node, A.Compare) and node.op == "==" and isinstance(node.left, A.Name)
            and isinstance(node.right, A.Literal)):
        return ""
    f = ps.facts.get((rule.subject, node.left.name))
    shown = show_value(node.right.value, "zh", f.type if f is not None else None, ps.enums.get("labels", {}))
    return f"{node.left.name} 为 {shown}"


def _example(ps: PolicySet, higher: Rule, lower: Rule, facts: dict) -> Text:
    """Facts that pass the lower rule and not the higher, in both languages: values as the
    explanation shows them (是/否, an enum value with its label)."""
    from .explain import show_value

    labels = ps.enums.get("labels", {})

    def show(lang: str, sep: str) -> str:
        return sep.join(f"{k} = {show_value(v, lang, ps.facts[(higher.subject, k)].type, labels)}" for k, v in facts.items())

    return Text(f"例如 {show('zh', '、')} 时，符合 '{lower.id}'，却不符合 '{higher.id}'",
                f"e.g. {show('en', ', ')} passes '{lower.id}' but not '{higher.id}'")
