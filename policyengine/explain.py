"""Stage 7 — explain: the rule results of one evaluation, in words.

The explanation of each outcome is read from what the evaluation recorded
(:class:`~policyengine.evaluate.RuleOutcome`): the deciding rule, its layer,
document and article, the facts it read with their values, and for a
condition that failed, what it needs.  Labels come from the rule files, in
Chinese by default or English with ``lang="en"``.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from . import ast as A
from .runtime import MISSING, _in_force_on
from .evaluate import Program, RuleOutcome, in_force_on_calls, pick_tier
from .merge import MergedParam
from .diagnostics import printable
from .records import text_of as _text_of
from .policy import PolicySet

__all__ = ["RuleExplanation", "OutcomeExplanation", "Decision", "to_json_value", "dumps", "show_value"]


def text_of(label: Any, lang: str = "zh") -> str:
    """A label, title or citation from a rule file, safe to print on one line (see printable)."""
    return printable(_text_of(label, lang))


def to_json_value(v: Any) -> Any:
    t = type(v)
    if t is str or t is bool or t is int or v is None:  # most values: as they are
        return v
    if v is MISSING:
        return None
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    if isinstance(v, (list, tuple)):
        return [to_json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json_value(x) for k, x in sorted(v.items())}
    return v


def show_value(v: Any, lang: str = "zh", type_: Any = None, labels: dict | None = None, fact: bool = False) -> str:
    """A value in the officer's words: yes/no (是/否), a fact given as null "not given" (未提供), an
    outcome without a value "none" (无), dates as written, an enum value (of type ``type_``) with its
    Chinese label where the vocabulary (``labels``, the policy set's ``enums["labels"]``) has one.
    The explanation, ``policyengine test`` and ``policyengine diff`` all show values through this."""
    w = _WORDS["en" if lang == "en" else "zh"]
    if v is MISSING:
        return "?"
    if v is True:
        return w["true"]
    if v is False:
        return w["false"]
    if v is None:
        return w["not_given" if fact else "null"]
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(show_value(x, lang) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {show_value(x, lang)}" for k, x in sorted(v.items())) + "}"
    if isinstance(v, str) and lang != "en" and type_ is not None and type_.kind == "enum":
        lab = (labels or {}).get(type_.enum.name, {}).get(v)
        if lab:
            return printable(f"{v}（{_text_of(lab, lang)}）")
    return printable(str(v))


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Deterministic JSON: sorted keys, no floats, UTF-8 text kept as is; ``indent=None`` is
    compact (one line, and Python's fast encoder)."""
    if indent is None:
        try:  # orjson writes the same bytes as json below, ten times as fast
            raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # what it refuses (an integer past 64 bits, a lone surrogate): json's own answer
            text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        else:
            text = raw.decode("utf-8")
            # the characters below are all U+0080–U+009F, U+061C or U+2000–U+206F: without their
            # UTF-8 lead bytes (each a memchr) there is none to escape
            if b"\xc2" not in raw and b"\xd8" not in raw and b"\xe2" not in raw:
                return text
    else:
        text = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=indent)
    # C1 controls, bidirectional controls and line separators may stand raw in JSON, but a
    # terminal acts on them: written as \u escapes, the value read back is the same
    return text if text.isascii() else _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_JSON_UNSAFE = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


_WORDS = {
    "zh": {"holds": "满足", "fails": "不满足", "unknown": "无法判断", "not_applicable": "不适用", "not_checkable": "无法依事实核查",
           "value": "取值", "needs": "要求", "missing": "缺少事实", "true": "是", "false": "否", "null": "无",
           "replaced": "替代了", "ignored": "未采纳下级的放宽", "kept_over": "下级试图替换，未生效", "undetermined": "待定",
           "score": "得分", "bonus": "加分", "cap": "封顶", "points": "分", "no_tier": "无对应档次，计0分", "set_by": "由",
           "restates": "重申", "in_force": "现行取值", "on_day": "{fact} 之日（{day}）适用 {name} = {value}", "pending": "未到期限，待定；期限", "not_given": "未提供",
           "actual": "实际", "as_of": "截至", "decision": "决定", "layers": "适用层级",
           "semi": "；", "colon": "：", "comma": "，", "list": "、", "open": "（", "close": "）"},
    "en": {"holds": "holds", "fails": "fails", "unknown": "cannot be decided", "not_applicable": "does not apply",
           "not_checkable": "cannot be checked from the facts", "value": "value", "needs": "needs", "missing": "missing facts",
           "true": "yes", "false": "no", "null": "none", "replaced": "replaced", "ignored": "kept over a looser lower value",
           "kept_over": "a lower layer tried to replace it, without effect", "undetermined": "undetermined",
           "score": "score", "bonus": "bonus", "cap": "cap", "points": "points", "no_tier": "no tier covers it: 0 points",
           "set_by": "set by", "restates": "restates", "in_force": "value in force:", "on_day": "on the day of {fact} ({day}): {name} = {value}", "pending": "pending until its deadline",
           "not_given": "not given", "actual": "actual", "as_of": "as of", "decision": "Decision", "layers": "Layers",
           "semi": "; ", "colon": ": ", "comma": ", ", "list": ", ", "open": " (", "close": ")"},
}


_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}
_FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}
# an expression shown as the requirement (where a rule gives none in words): its operators in Chinese
_ZH_WORDS = [(re.compile(r"\band\b"), "且"), (re.compile(r"\bor\b"), "或"), (re.compile(r"\bnot\b"), "非"),
             (re.compile(r"\btrue\b"), "是"), (re.compile(r"\bfalse\b"), "否"), (re.compile(r"\bnull\b"), "无"),
             (re.compile(r">="), "≥"), (re.compile(r"<="), "≤"), (re.compile(r"!="), "≠"), (re.compile(r"=="), "＝")]


def _in_words(requirement: str, lang: str) -> str:
    """A requirement as said to the officer: an expression's operators in Chinese (``且``, ``≥``)
    outside quoted text; the words of a rule's ``requirement`` as written."""
    if lang == "en":
        return requirement
    pieces = re.split(r"('[^']*'|\"[^\"]*\")", requirement)
    for i in range(0, len(pieces), 2):
        for pat, word in _ZH_WORDS:
            pieces[i] = pat.sub(word, pieces[i])
    return "".join(pieces)


_AS_IS = frozenset((str, bool, int, type(None)))  # values that are their own JSON (to_json_value's first test)


def _grades_score(detail: Any) -> bool:
    """The detail of a score table's grade: it reads the score (``{"score": …}``), so the compact
    JSON leaves out the counts behind it, which the score's own entry shows."""
    return type(detail) is dict and detail.keys() == {"score"}


@dataclass(frozen=True)
class RuleExplanation:
    """One rule's (or parameter's) part in an outcome."""

    id: str
    kind: str
    status: str
    value: Any
    jurisdiction: str
    document: dict
    article: str
    label: str
    facts: dict
    missing: tuple[str, ...]
    text: str
    replaced: tuple[dict, ...] = ()
    ignored: tuple[dict, ...] = ()
    detail: Any = None
    needs: str | None = None  # what a failed condition requires, in words
    params: tuple[dict, ...] = ()  # the parameters it read: value in force, document, article, layer

    def to_dict(self, full: bool = True) -> dict:
        """The rule's part as JSON.  The document is named by its id (the decision's ``documents``
        map says which it is); ``full=False`` leaves out what can be read from the rest: the
        value of a condition (its status says it), the kind, the layer, the rendered text, and
        the facts of a grade (the score it reads is in ``detail``; its facts are the score's)."""
        d = {"id": self.id, "status": self.status, "document": self.document["id"], "article": self.article,
             "label": self.label}
        if full or self.status not in ("holds", "fails"):
            d["value"] = to_json_value(self.value)
        if full or (self.facts and not _grades_score(self.detail)):
            d["facts"] = to_json_value(self.facts)
        if full or self.missing:
            d["missing"] = list(self.missing)
        if full:
            d.update(kind=self.kind, jurisdiction=self.jurisdiction, text=self.text)
        if self.needs is not None:
            d["needs"] = self.needs
        if self.params:
            # (the layer that set it is the document's: the decision's documents map says which)
            d["in_force"] = {x["name"]: {"value": x["value"], "document": x["doc"]["id"], "article": x["article"]}
                             for x in self.params}
        if self.replaced:  # (copies: changing the JSON changes neither this explanation nor a later one)
            d["replaced"] = [_copied(x) for x in self.replaced]
        if self.ignored:
            d["ignored"] = [_copied(x) for x in self.ignored]
        if self.detail is not None:
            d["detail"] = _copied(self.detail)
        return d


@dataclass(frozen=True)
class OutcomeExplanation:
    output: str
    label: str
    value: Any
    status: str  # decided / undetermined / null
    deciding: tuple[RuleExplanation, ...]
    rules: tuple[RuleExplanation, ...]
    missing: tuple[str, ...]
    text: str

    def to_dict(self, full: bool = True) -> dict:
        """The outcome's explanation as JSON: ``deciding`` holds the rules that decided it; with
        ``full=True``, ``others`` holds the rest of the rules that were looked at, and ``text`` the
        outcome's explanation in words."""
        d = {"output": self.output, "label": self.label, "value": to_json_value(self.value), "status": self.status,
             "deciding": [r.to_dict(full) for r in self.deciding]}
        if full or self.missing:
            d["missing_facts"] = list(self.missing)
        if full:
            deciding = {id(r) for r in self.deciding}
            d["others"] = [r.to_dict(True) for r in self.rules if id(r) not in deciding]
            d["text"] = self.text
        return d


def _field(i: int, doc: str) -> property:
    """One of what a decision is about, read from its tuple; set, the decision gets a tuple of its own
    (the shared one is never changed: the other decisions of that program and day keep theirs)."""
    def get(self):
        return self._about[i]

    def set(self, v) -> None:
        self._about = self._about[:i] + (v,) + self._about[i + 1:]

    return property(get, set, doc=doc)


class Decision:
    """The result of evaluating one case.  ``to_dict()`` is the CONTRACT JSON.

    The evaluation records every rule's result as it decides; ``explanation``
    turns that record into words the first time it is read.

    A decision is two references: its outputs, and what it is about — subject, jurisdiction,
    as_of, layers, language, and the recorded results to explain (for a decision without them, one
    tuple shared by every decision of that program and day).  It holds no closure and no reference
    cycle, and is 48 bytes: a program may keep millions of them while giving Python's cyclic garbage
    collector one small object each to walk (twice as fast to walk as one of eight slots).
    """

    __slots__ = ("_about", "outputs")

    def __init__(self, subject: str, jurisdiction: str, as_of: _dt.date, outputs: dict[str, Any], explain: Any,
                 layers: tuple[dict, ...], lang: str = "zh", explanation: tuple | None = None):
        self.outputs = outputs
        # ``explain``: a callable building the explanation from the recorded results, until read; called
        # with compact=True it gives the compact JSON's explanation and documents instead
        self._about = (subject, jurisdiction, as_of, layers, lang,
                       None if explain is None and explanation is None else [explain, explanation])

    @classmethod
    def _of(cls, about: tuple, outputs: dict[str, Any]) -> "Decision":
        """A decision without recorded results, ``about`` shared: (subject, jurisdiction, as_of, layers,
        lang, None)."""
        d = cls.__new__(cls)
        d._about, d.outputs = about, outputs
        return d

    subject = _field(0, "the case's subject")
    jurisdiction = _field(1, "the case's jurisdiction")
    as_of = _field(2, "the date the rules in force were taken at")
    layers = _field(3, "the layers in force, outermost first")
    lang = _field(4, "the language of the explanation: zh or en")

    @property
    def _explanation(self) -> tuple | None:  # (built already, or None)
        later = self._about[5]
        return None if later is None else later[1]

    @property
    def explanation(self) -> tuple[OutcomeExplanation, ...]:
        later = self._about[5]
        if later is None:
            return ()
        got = later[1]
        if got is None:  # built once; two threads reading it at once may both build it (alike), never see it empty
            build = later[0]  # (read once: another thread clears it only after it has stored what it built)
            if build is None:
                return later[1] or ()
            got = later[1] = tuple(build())
            later[0] = None
        return got

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Decision:
            return NotImplemented
        return (self.subject, self.jurisdiction, self.as_of, self.outputs, self.layers, self.lang) == (
            other.subject, other.jurisdiction, other.as_of, other.outputs, other.layers, other.lang)

    __hash__ = None  # type: ignore[assignment]  (outputs is a dict)

    def __repr__(self) -> str:
        return (f"Decision(subject={self.subject!r}, jurisdiction={self.jurisdiction!r}, as_of={self.as_of!r}, "
                f"outputs={self.outputs!r}, layers={self.layers!r}, lang={self.lang!r})")

    def __reduce__(self):
        # A decision pickles (to return it from a process pool): the explanation is put into
        # words now, and what would have done it later (the compiled program) stays behind.
        return (Decision, (self.subject, self.jurisdiction, self.as_of, self.outputs, None,
                           tuple(dict(x) for x in self.layers), self.lang, self.explanation))

    def to_dict(self, full: bool = False) -> dict:
        """The CONTRACT JSON.  Each document that the explanation cites is named once, in
        ``documents`` (id → number, title, jurisdiction), and rules refer to it by id.
        ``full=True`` adds every rule's kind, layer and rendered text, and the outcome's text."""
        return self._dict(full, shared=False)

    def _dict(self, full: bool, shared: bool) -> dict:
        """:meth:`to_dict`; with ``shared`` the compact JSON's parts worked out once per program are the
        program's own, not copies: only for JSON written at once (:meth:`to_json`), never handed out."""
        later = self._about[5]
        build = later[0] if later is not None and later[1] is None else None  # (read once: see explanation)
        if not full and build is not None:
            # the compact JSON straight from the recorded results: only the deciding rules, without
            # their sentences, and the explanation stays unread (built in full when it is read)
            shown, docs = build(compact=True, shared=shared)
        else:
            docs: dict[str, dict] = {}
            for e in self.explanation:  # the documents that what is shown cites
                for r in (e.rules if full else e.deciding):
                    docs.setdefault(r.document["id"], _cited(r.document, r.jurisdiction))
                    for x in r.params:
                        docs.setdefault(x["doc"]["id"], _cited(x["doc"], x["jurisdiction"]))
            shown = [e.to_dict(full) for e in self.explanation]
        return {"subject": self.subject, "jurisdiction": self.jurisdiction, "as_of": self.as_of.isoformat(),
                "outputs": {k: to_json_value(v) for k, v in sorted(self.outputs.items())},
                "explanation": shown, "documents": docs,
                "layers": [{k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in x.items()}
                           for x in self.layers]}

    def to_json(self, indent: int | None = None, full: bool = False) -> str:
        """:meth:`to_dict` as JSON text, byte-identical for the same input: compact by default,
        ``indent=2`` for a person."""
        return dumps(self._dict(full, shared=True), indent)

    def to_text(self) -> str:
        return render_text(self)


def _cited(doc: dict, jurisdiction: str) -> dict:
    """A cited document as the decision's documents map holds it (keyed by its id)."""
    return {"title": doc["title"], "number": doc["number"], "jurisdiction": jurisdiction}


class Explainer:
    def __init__(self, ps: PolicySet, program: Program, lang: str, computed: dict, as_of: _dt.date | None = None):
        self.ps, self.p, self.lang, self.computed, self.as_of = ps, program, lang, computed, as_of
        self.w = _WORDS["en" if lang == "en" else "zh"]
        self.labels = ps.enums.get("labels", {})

    def paren(self, text: str) -> str:
        """``（…）`` in Chinese, `` (…)`` in English: each language's own punctuation."""
        return f"{self.w['open']}{text}{self.w['close']}"

    def doc(self, doc_id: str) -> dict:
        d = self.ps.documents[doc_id]
        return {"id": d.id, "title": text_of(d.title, self.lang), "number": d.number}

    def cite(self, doc_id: str, article: str) -> str:
        d = self.ps.documents[doc_id]
        return printable(f"{_text_of(d.title, self.lang)}{self.paren(d.number) if d.number else ''} {article}".strip())

    def show(self, v: Any, name: str | None = None, fact: bool = False) -> str:
        """A value in words (:func:`show_value`), an enum value of the fact or outcome ``name`` with its label."""
        f = (self.p.facts.get(name) or self.ps.outputs.get(name)) if name else None
        t = f.type if f is not None else None
        if t is None and name:  # a definition's value (assessed_grade = qualified（合格）)
            m = self.p.layers.definitions.get((self.p.subject, name))
            t = m.definition.expr.type if m is not None else None
        return show_value(v, self.lang, t, self.labels, fact)

    def comparison(self, r: Any) -> tuple[str, str, str | None] | None:
        """For a condition comparing one fact with a value in force or a number
        (``service_days >= min_service_days``): the fact and what is required, in words with
        the document, article and layer that set the value (``要求 ≥ 40（包头市…方案 六(一)，cn/nm/baotou）``)."""
        node = r.condition.node if r.condition is not None else None
        if not isinstance(node, A.Compare) or node.op not in _SYMBOLS:
            return None
        op, left, right = node.op, node.left, node.right
        if isinstance(right, A.Name) and right.name in self.p.facts:
            left, right, op = right, left, _FLIPPED[op]
        if not (isinstance(left, A.Name) and left.name in self.p.facts):
            return None
        sym = _SYMBOLS[op] if op != "==" or self.lang == "en" else "＝"
        if isinstance(right, A.Name) and right.name in self.p.params:
            x = self.in_force(right.name)
            value = self.show(self.p.params[right.name].param.value)
            where = self.cite(x["doc"]["id"], x["article"]), x["jurisdiction"]
            said = self.paren(f"{where[0]}{self.w['comma']}{where[1]}")
            return left.name, f"{self.w['needs']} {sym} {value}{said}", right.name
        if isinstance(right, A.Literal) and not isinstance(right.value, str):
            return left.name, f"{self.w['needs']} {sym} {self.show(right.value)}", None
        return None

    def static(self, o: RuleOutcome) -> tuple:
        """What a rule's explanation says whatever the case: the facts and parameters it reads, the
        values other steps compute that it reads, its label, citation and the text of its merge.
        Worked out once per rule and language and kept with the program."""
        key = (self.lang, id(o.merged))
        got = self.p.explain_memo.get(key)
        if got is None:
            r, m = o.rule, o.merged
            derived = tuple(n for n in sorted(r.reads()) if n not in self.p.facts and not n.startswith("#")
                            and n != "as_of")
            params = tuple(self.in_force(n) for n in self.p.rule_params(r))
            compare = self.comparison(r)
            said = compare[2] if compare else None  # the value in force the requirement names is not named again
            tail = "".join(
                [f"{self.w['semi']}{self.w['in_force']} {x['name']} = {self.show(self.p.params[x['name']].param.value)}"
                 + self.paren(f"{self.cite(x['doc']['id'], x['article'])}{self.w['comma']}{x['jurisdiction']}") for x in params
                 if x["name"] != said])
            semi, colon = self.w["semi"], self.w["colon"]
            merge_tail = "".join([f"{semi}{self.w['replaced']} {self.cite(x.document, x.citation)}" for x in m.replaced]
                                 + [f"{semi}{self.w['kept_over']}{colon}{self.cite(x.document, x.citation)}" for x in m.kept_over])
            replaced = tuple({"id": x.id, "document": x.document, "article": x.citation} for x in m.replaced)
            ignored = tuple({"id": x.id, "document": x.document, "article": x.citation} for x in m.kept_over)
            need = (text_of(r.requirement, self.lang) if r.requirement else
                    (printable(r.condition.text.strip()) if r.condition else ""))
            got = self.p.explain_memo[key] = (
                self.p.rule_facts(r), derived, params, tail, merge_tail, replaced, ignored, text_of(r.label, self.lang),
                f" — {self.cite(r.document, r.citation)}", self.doc(r.document), self.ps.documents[r.document].jurisdiction,
                need, compare)
        return got

    def missing(self, o: RuleOutcome, facts: dict) -> tuple[str, ...]:
        """The facts a rule would have needed and the case does not give (where they left it open)."""
        if o.status == "unknown" or o.value is MISSING:
            return tuple(n for n in self.static(o)[0] if n not in facts)
        return ()

    def rule(self, o: RuleOutcome, facts: dict, output: str) -> RuleExplanation:
        r = o.rule
        (names, derived_names, params, params_text, merge_text, replaced, ignored, label, cite, doc, jurisdiction,
         requirement, compare) = self.static(o)
        shown = {n: facts.get(n, MISSING) for n in names}
        missing = self.missing(o, facts)
        if compare is not None and o.status not in ("holds", "fails", "unknown"):
            compare = None  # (not applicable, pending: the values read say why)
        parts = [f"{'✓' if o.status == 'holds' else '✗' if o.status == 'fails' else '·'} {label}", cite]
        detail = need = None
        if r.table is not None and o.detail is not None:
            detail, table_text = self.table(o, output)
            parts.append(self.w["colon"] + table_text)
        else:
            if compare is not None:  # what is required, and what the case has
                given = shown.get(compare[0], MISSING)
                actual = self.w["not_given"] if given is MISSING else self.show(given, compare[0], True)
                parts.append(f"{self.w['colon']}{compare[1]}{self.w['comma']}{self.w['actual']} {compare[0]} = {actual}")
            semi = self.w["semi"]
            vals = semi.join(f"{n} = {self.show(shown[n], n, True)}" for n in names
                             if shown[n] is not MISSING and (compare is None or n != compare[0]))
            derived = [n for n in derived_names if n in self.computed]
            if derived:  # values the rule reads that were computed (outcomes, definitions)
                vals = semi.join(filter(None, [vals, semi.join(f"{n} = {self.show(self.computed[n], n)}"
                                                               for n in derived)]))
            if vals:
                parts.append((semi if compare is not None else self.w["colon"]) + vals)
            if o.status == "fails":
                need = requirement
                if compare is None:
                    parts.append(f"{semi}{self.w['needs']} {need if r.requirement else _in_words(need, self.lang)}")
            elif o.status in ("not_applicable", "not_checkable"):
                parts.append(self.paren(self.w[o.status]))
            elif o.status == "pending":
                parts.append(self.paren(f"{self.w['pending']} {r.deadline.isoformat()}"))
            elif o.status == "value":
                parts.append(f" → {self.show(o.value, output)}")
        parts.append(params_text)
        parts.append(self.on_event_day(r, facts))
        if missing:
            parts.append(f"{self.w['semi']}{self.w['missing']}{self.w['colon']}{self.w['list'].join(missing)}")
        parts.append(merge_text)
        # (what static() keeps with the program is copied: a caller changing one decision's explanation
        # changes no other decision's)
        return RuleExplanation(r.id, r.kind, o.status, o.value, jurisdiction, dict(doc), r.citation, label, shown, missing,
                               "".join(parts), _copied(replaced), _copied(ignored), detail, need,
                               tuple({**x, "doc": dict(x["doc"])} for x in params))

    def on_event_day(self, r: Any, facts: dict) -> str:
        """Where the rule reads a parameter as in force on an event's day (``in_force_on(fact, parameter)``) and
        that day's value is not the one in force at as_of: the day's value, as the decision used it — e.g. no
        ban where none was in force on the day of the finding (runtime._in_force_on, the same function)."""
        key = ("#in_force_on", id(r))
        calls = self.p.explain_memo.get(key)
        if calls is None:
            body = r.condition if r.condition is not None else r.value
            calls = self.p.explain_memo[key] = tuple(dict.fromkeys(
                (day.name, name) for day, name in (in_force_on_calls(body.node) if body is not None else ())
                if isinstance(day, A.Name) and day.name in self.p.facts))
        if not calls or self.as_of is None:
            return ""
        out = []
        for fact, name in calls:
            day, h, cur = facts.get(fact), self.p.steps.consts.get("#history:" + name), self.p.params.get(name)
            if not isinstance(day, _dt.date) or h is None:
                continue
            then = _in_force_on(day, h, self.as_of)
            if then is MISSING or cur is not None and then == cur.param.value:
                continue
            out.append(self.w["on_day"].format(fact=fact, day=day.isoformat(), name=name, value=self.show(then)))
        return "".join(self.w["semi"] + x for x in out)

    def compact_static(self, o: RuleOutcome) -> tuple:
        """What a rule's entry in the compact JSON says whatever the case (as
        :meth:`RuleExplanation.to_dict` writes it), and the documents it cites, with their entries of
        the decision's documents map."""
        key = (self.lang, id(o.merged), "compact")
        got = self.p.explain_memo.get(key)
        if got is None:
            names, _, params, _, _, replaced, ignored, label, _, doc, jurisdiction, requirement, _ = self.static(o)
            r = o.rule
            base = {"id": r.id, "document": doc["id"], "article": r.citation, "label": label}
            if params:
                base["in_force"] = {x["name"]: {"value": x["value"], "document": x["doc"]["id"], "article": x["article"]}
                                    for x in params}
            if replaced:
                base["replaced"] = list(replaced)
            if ignored:
                base["ignored"] = list(ignored)
            cited = {doc["id"]: _cited(doc, jurisdiction)}
            for x in params:
                cited.setdefault(x["doc"]["id"], _cited(x["doc"], x["jurisdiction"]))
            got = self.p.explain_memo[key] = (base, names, requirement, tuple(cited.items()))
        return got

    def rule_json(self, o: RuleOutcome, facts: dict, output: str, docs: dict, shown: dict | None = None) -> dict:
        """A deciding rule's entry in the compact JSON, straight from its recorded result: what
        ``self.rule(o, facts, output).to_dict(full=False)`` gives, without the sentence (a test
        holds the two equal).  The documents it cites are added to ``docs``.  ``shown`` (for
        :func:`compact` ``shared``): the facts this decision has shown as JSON so far, by name."""
        base, names, requirement, cited = self.compact_static(o)
        # (kept with the program: copied, unless shared, so that a caller changing one decision's JSON changes
        # no other; the entry itself is this decision's own, its values in force the program's)
        d = _copied(base) if shown is None else dict(base)
        status = d["status"] = o.status
        if status != "holds" and status != "fails":
            d["value"] = to_json_value(o.value)
        elif status == "fails":
            d["needs"] = requirement
        detail = self.table(o, output, False)[0] if o.rule.table is not None and o.detail is not None else None
        if names:
            if detail is None or not _grades_score(detail):
                if shown is None:
                    d["facts"] = {n: v if type(v) in _AS_IS else to_json_value(v)
                                  for n in names for v in (facts.get(n, MISSING),)}
                else:  # (each fact converted once for all the rules that show it: a date, a list of records)
                    d["facts"] = {n: shown[n] if n in shown else shown.setdefault(n, to_json_value(facts.get(n, MISSING)))
                                  for n in names}
            if status == "unknown" or o.value is MISSING:  # (self.missing, without the call for every rule)
                missing = [n for n in names if n not in facts]
                if missing:
                    d["missing"] = missing
        if detail is not None:
            d["detail"] = detail
        for k, v in cited:
            if k not in docs:
                docs[k] = dict(v) if shown is None else v
        return d

    def in_force(self, name: str) -> dict:
        """A parameter's value in force, with the document, article and layer that set it."""
        p = self.p.params[name].param
        return {"name": name, "value": to_json_value(p.value), "doc": self.doc(p.document), "article": p.citation,
                "jurisdiction": self.ps.documents[p.document].jurisdiction}

    def table(self, o: RuleOutcome, output: str, words: bool = True) -> tuple[dict, str]:
        """A score table's detail (per item: value, tier, points) and, with ``words``, its sentence."""
        t = o.rule.table
        if output == t.grade_output:  # the grade, read from the score
            return {"score": to_json_value(o.detail)}, (
                f"{self.w['score']} {self.show(o.detail)} → {self.show(o.value, output)}" if words else "")
        vals, pts, table_total = o.detail
        rows, texts = [], []
        for k, (it, v, p) in enumerate(zip(t.items + t.bonus, vals, pts)):
            is_bonus = k >= len(t.items)
            tier = pick_tier(it.tiers, v) if not is_bonus and isinstance(v, int) else None
            row = {"item": it.id, "value": to_json_value(v), "points": p, "article": it.citation}
            if tier is not None and tier.label:
                key = (self.lang, id(tier))  # (the tier lives as long as the program and its memo)
                label = self.p.explain_memo.get(key)
                if label is None:
                    label = self.p.explain_memo[key] = text_of(tier.label, self.lang)
                row["tier"] = label
            if is_bonus:
                row["bonus"] = True
            rows.append(row)
            if not words:
                continue
            if p is None:
                texts.append(f"{it.id} = ?")
            elif is_bonus:
                texts.append(f"{self.w['bonus']} {it.id} +{p}")
            elif tier is None:
                texts.append(f"{it.id} = {self.show(v)}{self.paren(self.w['no_tier'])}")
            else:
                texts.append(f"{it.id} = {self.show(v)} → {p}")
        detail = {"items": rows, "table_total": table_total, "cap": t.cap}
        return detail, self.w["comma"].join(texts) + f"{self.w['semi']}{self.w['cap']} {t.cap} → {self.show(o.value)}"

    def param(self, output: str, m: MergedParam) -> RuleExplanation:
        p = m.param
        label = text_of(p.label, self.lang)
        text = f"{label} = {self.show(p.value)} — {self.cite(p.document, p.citation)}"
        replaced = tuple({"document": x.document, "article": x.citation, "value": to_json_value(x.value)} for x in m.replaced)
        ignored = tuple({"document": x.document, "article": x.citation, "value": to_json_value(x.value)} for x in m.ignored)
        for x in m.replaced:
            if x.value != p.value:
                text += f"{self.w['semi']}{self.w['replaced']} {self.show(x.value)}{self.paren(self.cite(x.document, x.citation))}"
        for x in m.ignored:
            text += f"{self.w['semi']}{self.w['ignored']} {self.show(x.value)}{self.paren(self.cite(x.document, x.citation))}"
        return RuleExplanation(p.name, "parameter", "value", p.value, self.ps.documents[p.document].jurisdiction,
                               self.doc(p.document), p.citation, label, {}, (), text, replaced, ignored)


def explain(ps: PolicySet, program: Program, facts: dict, values: dict, trace: dict, lang: str,
            computed: dict | None = None, as_of: _dt.date | None = None) -> tuple[OutcomeExplanation, ...]:
    x = Explainer(ps, program, lang, computed or {}, as_of)
    out = []
    params = _param_outputs(program)
    found: dict[str, tuple] = {}
    for name in sorted(program.outputs):
        if name in trace:
            found[name] = tuple(x.rule(ro, facts, name) for ro in trace[name])
        elif name in params:
            found[name] = (x.param(name, params[name]),)
        else:
            found[name] = ()
    # missing facts matter in the headline only when they left the outcome undetermined
    missing_of = _missing_facts(x, trace, values, {n: {m for r in rules for m in r.missing} for n, rules in found.items()})
    for name in sorted(program.outputs):
        o = ps.outputs[name]
        v = values.get(name, MISSING)
        label = text_of(o.label, lang)
        rules = found[name]
        deciding = _deciding(o.combine, v, rules)
        missing = missing_of.get(name, ())
        status = "undetermined" if v is MISSING else "null" if v is None else "decided"
        head = f"{label}{x.paren(name)} = {x.show(v, name) if v is not MISSING else x.w['undetermined']}"
        if missing:
            head += f" — {x.w['missing']}{x.w['colon']}{x.w['list'].join(missing)}"
        out.append(OutcomeExplanation(name, label, v, status, deciding, rules, missing,
                                      head + "".join("\n  " + r.text for r in deciding)))
    return tuple(out)


def _missing_facts(x: "Explainer", trace: dict, values: dict, own: dict[str, set]) -> dict[str, tuple[str, ...]]:
    """For each undetermined outcome, the facts missing that left it so: its rules' own, else (an outcome that
    reads other outcomes, such as one that reads the grade) those of the undetermined outcomes it reads."""
    out: dict[str, tuple[str, ...]] = {}
    for name, mine in own.items():
        if values.get(name, MISSING) is not MISSING:
            continue
        if mine:
            out[name] = tuple(sorted(mine))
            continue
        got: set[str] = set()
        seen, stack = {name}, [name]
        while stack:  # through the outcomes it reads, and the definitions (assessed_grade) that read outcomes
            n = stack.pop()
            reads = x.p.def_deps.get(n, ()) if n not in own else (d for ro in trace.get(n, ()) for d in x.static(ro)[1])
            for d in reads:
                if d in seen or (d in own and values.get(d, MISSING) is not MISSING):
                    continue
                seen.add(d)
                if d in own:
                    got |= own[d]
                    stack.append(d)
                elif d in x.p.def_deps:
                    stack.append(d)
        if got:
            out[name] = tuple(sorted(got))
    return out


def compact(ps: PolicySet, program: Program, facts: dict, values: dict, trace: dict, lang: str,
            computed: dict | None = None, as_of: _dt.date | None = None,
            shared: bool = False) -> tuple[list[dict], dict[str, dict]]:
    """The compact JSON's ``explanation`` and ``documents`` straight from the recorded results,
    as :func:`explain` and ``OutcomeExplanation.to_dict(full=False)`` give them (a test holds the
    two equal): the deciding rules are chosen from the recorded statuses and values, as
    :func:`explain` chooses them, and only they are put into words — without their sentences.

    What is worked out once per program (a rule's document, article and values in force; a value in
    force shown as an outcome) is copied into each decision's JSON, so that a caller changing one
    decision's JSON changes no other; ``shared`` leaves it the program's own, for JSON that is
    written out at once and never handed to the caller (:meth:`Decision.to_json`)."""
    x = Explainer(ps, program, lang, computed or {}, as_of)
    out, docs = [], {}
    shown: dict | None = {} if shared else None  # (rule_json's ``shown``)
    params = None
    labels = program.explain_memo.get((lang, "#labels"))
    if labels is None:
        labels = program.explain_memo[(lang, "#labels")] = {n: text_of(ps.outputs[n].label, lang) for n in program.outputs}
    own: dict[str, set] = {}
    for name in sorted(program.outputs):
        combine = ps.outputs[name].combine
        v = values.get(name, MISSING)
        if name in trace:
            outcomes = trace[name]
            rules = [x.rule_json(ro, facts, name, docs, shown) for ro in _deciding(combine, v, outcomes)]
            missing = sorted({m for ro in outcomes for m in x.missing(ro, facts)}) if v is MISSING else ()
        else:  # a value in force shown as an outcome: the same in every decision of the program
            got = program.explain_memo.get((lang, "#param-json", name))
            if got is None or type(got[0]) is not type(v) or got[0] != v:
                params = _param_outputs(program) if params is None else params
                found = (x.param(name, params[name]),) if name in params else ()
                deciding = _deciding(combine, v, found)
                got = program.explain_memo[(lang, "#param-json", name)] = (
                    v, [r.to_dict(False) for r in deciding],
                    [(r.document["id"], _cited(r.document, r.jurisdiction)) for r in deciding],
                    sorted({m for r in found for m in r.missing}) if v is MISSING else ())
            rules = got[1] if shared else [_copied(r) for r in got[1]]
            for k, cited in got[2]:
                if k not in docs:
                    docs[k] = cited if shared else dict(cited)
            missing = got[3]
        e = {"output": name, "label": labels[name], "value": to_json_value(v),
             "status": "undetermined" if v is MISSING else "null" if v is None else "decided", "deciding": rules}
        own[name] = set(missing)
        out.append(e)
    passed = _missing_facts(x, trace, values, own) if any(e["status"] == "undetermined" for e in out) else {}
    for e in out:
        if e["output"] in passed:
            e["missing_facts"] = list(passed[e["output"]])
    return out, docs


def _copied(v: Any) -> Any:
    """A fresh copy of JSON made of dicts and lists (and tuples of them, kept tuples)."""
    if type(v) is dict:
        return {k: _copied(x) for k, x in v.items()}
    if type(v) is list:
        return [_copied(x) for x in v]
    if type(v) is tuple:
        return tuple(_copied(x) for x in v)
    return v


def _param_outputs(program: Program) -> dict[str, MergedParam]:
    """Outcome -> the parameter that gives it (a value in force shown as an outcome)."""
    return {m.param.output: m for m in program.params.values() if m.param.output}


def _deciding(mode: str, v: Any, rules: tuple[RuleExplanation, ...]) -> tuple[RuleExplanation, ...]:
    if v is MISSING:
        return tuple(r for r in rules if r.status == "unknown")
    if mode == "all":
        if v is False:
            return tuple(r for r in rules if r.status == "fails")
        if v is True:
            return tuple(r for r in rules if r.status == "holds")
        return tuple(r for r in rules if r.status in ("unknown", "pending"))
    if mode == "any":
        if v is True:
            return tuple(r for r in rules if r.value is True)
        return tuple(r for r in rules if r.status not in ("not_applicable",))
    if mode == "override":
        live = [r for r in rules if r.status not in ("not_applicable", "not_checkable")]
        return tuple(live[-1:]) if live else tuple(rules[-1:])
    if v is None:  # max/min of nothing: every rule that was looked at
        return tuple(r for r in rules if r.status == "value") or rules
    return tuple(r for r in rules if r.status == "value" and r.value == v)[:1]


def render_text(d: Decision) -> str:
    w = _WORDS["en" if d.lang == "en" else "zh"]
    sep, colon = (", ", ": ") if d.lang == "en" else ("，", "：")
    lines = [f"{w['decision']}{colon}{printable(d.subject)} @ {printable(d.jurisdiction)}{sep}{w['as_of']} {d.as_of.isoformat()}"]
    layers = printable(" → ".join(f"{l['jurisdiction']}" + (f" [{', '.join(l['documents'])}]" if l["documents"] else "")
                                  for l in d.layers))
    lines.append(f"{w['layers']}{colon}{layers}")
    lines.append("")
    for e in d.explanation:
        lines.append(e.text)
    return "\n".join(lines) + "\n"
