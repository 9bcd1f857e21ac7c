"""Stage 3 — check: validated rule files to a checked :class:`PolicySet`.

Runs in named steps, each collecting diagnostics rather than stopping:

1. schema      — each file against the rule-file model (missing/unknown fields, types):
                 read as records (records.py), with pydantic's errors when it is wrong
2. declare     — jurisdictions, enums, facts, parameters, outputs; collisions and conflicts
3. expressions — parse and type-check every expression in its layer's scope
4. structure   — duplicate ids, references, citations, dates, definition cycles
5. tables      — scoring-table tiers, bonus and grade bands
6. layering    — loosening attempts, restatements, replacements (see :mod:`merge`)

A file that fails step 1 is left out of the later steps; everything else
goes on so that one run reports every problem.
"""
from __future__ import annotations

import re
import typing
from collections import ChainMap
from decimal import Decimal
from typing import Any

from . import ast as A
from . import records
from .diagnostics import Diagnostic, Related, Text, as_written, sort_key
from .acknowledge import acknowledge
from .lint import coverage_references, fullwidth_list, layers_above_known, lint
from .load import DEFAULT_LIMITS, TEST_KINDS, Limits, Loaded, place
from .parse import ExprError, parse_expression
from .policy import (Band, Bonus, Definition, Document, Expr, Fact, Item, Jurisdiction, Output, Param, PolicySet, Rule,
                     Table, Tier, topological_order)
from .records import KEYS_ZH, SUBJECTS, is_iso_date, number_with_unit, text_of
from .confusables import skeleton
from .types import (AGGREGATES, ANY, BOOL, DATE, DECIMAL, FUNCTIONS, INT, STRING, EnumType, Env, T, list_of, record_of,
                    suggest, suggestion_budget, type_of_value, typecheck)

if typing.TYPE_CHECKING:  # the files are records with the fields of these models (see records.py)
    from .model import RuleFile

__all__ = ["check_files", "validate_file"]


# --- step 1: schema --------------------------------------------------------------------


def _model_fields_at(model: Any, loc: tuple) -> list[str]:
    """Field names of the model that sits at ``loc`` inside ``model`` (for did-you-mean)."""
    from pydantic import BaseModel

    cur: Any = model
    for part in loc:
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            f = cur.model_fields.get(part)
            if f is None:
                return list(cur.model_fields)
            cur = f.annotation
        while True:
            origin = typing.get_origin(cur)
            if origin in (list, tuple):
                cur = typing.get_args(cur)[0]
                if isinstance(part, int):
                    break
            elif origin is dict:
                cur = typing.get_args(cur)[1]
                break
            elif origin is typing.Union or str(origin) == "types.UnionType":
                models = [a for a in typing.get_args(cur) if isinstance(a, type) and issubclass(a, BaseModel)]
                cur = models[0] if models else None
            else:
                break
    return list(cur.model_fields) if isinstance(cur, type) and issubclass(cur, BaseModel) else []


def validate_file(loaded: Loaded) -> tuple[Any, list[Diagnostic]]:
    """A rule file's structure: a RuleFile record, or the diagnostics of what is wrong.  A valid
    file is read through the shapes compiled from model.py; otherwise pydantic validates it,
    and its errors — the authority on what is wrong — become the diagnostics."""
    data = loaded.data
    if not isinstance(data, dict):
        return None, [loaded.diag("PE012", Text("规则文件必须是 YAML 映射（一行一个“键: 值”）",
                                               "the file must be a YAML mapping (key: value lines)"), (),
                                  hint=Text("第一行写 'kind: policy-document'", "start with 'kind: policy-document'"))]
    kind, version = data.get("kind"), data.get("version")
    if kind != records.KIND:
        near = suggest(str(kind), [records.KIND, *TEST_KINDS]) if isinstance(kind, str) else None
        return None, [loaded.diag("PE013", Text(f"不认识的文件类型 kind {_show(kind)}", f"unknown kind {_show(kind)}") if kind is not None
                                  else Text("文件没有写 'kind'", "the file has no 'kind'"),
                                  ("kind",) if "kind" in data else (), key=False,
                                  hint=Text(f"是不是 '{near}'？规则文件写 'kind: policy-document'，测试文件写 'kind: policy-test'",
                                            f"did you mean '{near}'? A rule file has 'kind: policy-document', a test file "
                                            "'kind: policy-test'") if near else
                                  Text("规则文件以 'kind: policy-document' 和 'version: 1' 开头",
                                       "a rule file starts with 'kind: policy-document' and 'version: 1'"))]
    if version != records.VERSION:
        return None, [loaded.diag("PE013", Text(f"不支持的版本 version {_show(version)}", f"unsupported version {_show(version)}"),
                                  ("version",) if "version" in data else (),
                                  hint=Text("请写 version: 1", "this engine reads version: 1"))]
    rf = records.from_data(data)
    if rf is not None:
        return rf, []
    return _pydantic_validate(loaded, data)


def _pydantic_validate(loaded: Loaded, data: dict) -> tuple[Any, list[Diagnostic]]:
    from pydantic import ValidationError

    from .model import RuleFile

    try:
        # the shapes refused what the models accept: the models decide (test_records keeps them in step)
        return records.from_model(RuleFile.model_validate(data)), []
    except ValidationError as e:
        diags = []
        errors = [(tuple(x for x in err["loc"] if not (isinstance(x, str) and ("[" in x or x in ("str", "Text", "function-after")))),
                   err) for err in e.errors()]
        # '{zh：每人…, en: …}': a key written with a full-width colon is read as one unknown key holding it all;
        # said once, at that key, as the colon (and the key it hides is not reported missing)
        colons = {}
        for loc, err in errors:
            if err["type"] == "extra_forbidden" and "：" in str(loc[-1]):
                head = str(loc[-1]).split("：")[0].strip()
                if head in ("zh", "en") or head in _model_fields_at(RuleFile, loc[:-1]):
                    colons[loc] = head
        empty: set[tuple] = set()  # 'value:' with nothing after it: once, not once per form the field may take
        for loc, err in errors:
            t = err["type"]
            # (an unknown field, such as the text after a comma inside { }, is said below as one: PE011)
            blank = _blank_at(data, loc) if err.get("input") is None and t not in ("missing", "extra_forbidden") \
                and loc not in colons else None
            if blank is not None:
                if blank not in empty:
                    empty.add(blank)
                    where = _where(data, blank)
                    diags.append(loaded.diag("PE010", Text(f"{where.zh} 后面没有写内容", f"{where.en} is empty"), blank,
                                             key=True, hint=Text(f"在 '{blank[-1]}:' 后面写上它的值（冒号后加一个空格再写）",
                                                                 f"write its value after '{blank[-1]}:' (a space after the colon)")))
                continue
            if loc in colons:
                head = colons[loc]
                diags.append(loaded.diag("PE011", Text(f"“{head}”后面是全角冒号“：”，YAML 要用半角冒号“:”",
                                                       f"a full-width colon '：' after '{head}': YAML needs an ASCII colon"), loc,
                                         key=True, hint=Text(f"改为半角冒号加一个空格：{head}: …", f"write an ASCII colon and a space: {head}: …")))
                continue
            if t == "missing" and (loc[:-1], loc[-1]) in {(k[:-1], h) for k, h in colons.items()}:
                continue
            if t == "missing":
                diags.append(loaded.diag("PE010", Text(f"缺少 '{loc[-1]}'", f"'{loc[-1]}' is missing"), loc[:-1], key=True,
                                         hint=Text(f"在这里加上 '{loc[-1]}:'", f"add '{loc[-1]}:' here")))
            elif t == "extra_forbidden":
                s = suggest(str(loc[-1]), _model_fields_at(RuleFile, loc[:-1]))
                if err.get("input") is None and " " in str(loc[-1]).strip():
                    hint = Text("花括号 { } 里的逗号会开始一个新字段：含逗号的文字请加引号",
                                "a comma inside { } starts a new entry: put text that contains a comma in quotes")
                else:
                    hint = (Text(f"是不是 '{s}'？", f"did you mean '{s}'?") if s else
                            Text("删掉它，或检查缩进", "remove it, or check the indentation"))
                diags.append(loaded.diag("PE011", Text(f"不认识的字段 '{loc[-1]}'", f"unknown field '{loc[-1]}'"), loc,
                                         key=True, hint=hint))
            else:
                where = _where(data, loc)
                diags.append(loaded.diag("PE012", Text(f"{where.zh}：{_ZH_ERRORS.get(t, '值不符合要求')}（写的是 {_show(err.get('input'))}）",
                                                       f"{where.en}: {err['msg']} (got {_show(err.get('input'))})"), loc,
                                         hint=_allowed(err) if t == "literal_error" else _hint_for(t, err.get("input"))))
        # a value that may be text or {zh, en}: when the mapping form has a problem, the
        # "should be a valid string" message of the other form only adds noise
        specific = {d.span for d in diags if d.code in ("PE010", "PE011")}
        diags = [d for d in diags if not (d.code == "PE012" and "valid string" in d.message
                                          and any(s.file == d.span.file and s.line == d.span.line for s in specific))]
        uniq = {(d.code, d.span, d.message): d for d in diags}
        return None, list(uniq.values())


def _ends_before(effective, until) -> Text:
    return Text(f"失效日期 effective_until（{until.isoformat()}）早于生效日期 effective（{effective.isoformat()}）",
                f"effective_until ({until.isoformat()}) is before effective ({effective.isoformat()})")


def _ends_before_hint(zh: str, en: str, effective) -> Text:
    return Text(f"{zh}不能在生效之前就失效：把 effective_until 改为 {effective.isoformat()} 之后的日期，或改正 effective",
                f"{en} cannot end before it starts: make effective_until a date after {effective.isoformat()}, "
                "or correct effective")


def _blank_at(data: dict, loc: tuple) -> tuple | None:
    """The place along ``loc`` of a key written with nothing after it (``value:``), if there is one."""
    x: Any = data
    for i, k in enumerate(loc):
        if isinstance(x, dict) and k in x:
            x = x[k]
        elif isinstance(x, list) and isinstance(k, int) and 0 <= k < len(x):
            x = x[k]
        else:
            return None
        if x is None:
            return loc[: i + 1] if isinstance(k, str) else None
    return None


def _where(data: dict, loc: tuple) -> Text:
    """The place of a schema error in words — 'rule bt.x: kind', not 'rules.0.kind'."""
    def ident(section: str, index: int) -> Any:
        try:
            return data[section][index].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    return place(loc, ident)


_WORDS = {"更高": "higher", "较高": "higher", "高": "higher", "越高越严": "higher",
          "更低": "lower", "较低": "lower", "低": "lower", "越低越严": "lower"}  # 'stricter'/'favourable' in Chinese


def _allowed(err: dict) -> Text | None:
    """The values a field allows, and the nearest to what was written."""
    values = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
    if not values:
        return None
    near = suggest(str(err.get("input")), values) or _WORDS.get(str(err.get("input")).strip())
    near = near if near in values else None
    zh, en = "可以写的值：" + "、".join(values), "allowed: " + ", ".join(values)
    return Text(f"是不是 '{near}'？{zh}", f"did you mean '{near}'? {en}") if near else Text(zh, en)


def _chain(names: list[str], most: int = 12) -> str:
    """A cycle as 'a → b → a'; a long one is shortened so that the message stays readable."""
    if len(names) <= most:
        return " → ".join(names)
    return " → ".join(names[: most - 2]) + f" → … ({len(names) - 1} in all) → " + " → ".join(names[-2:])


def _show(v: Any) -> str:
    return as_written(v, 59)  # (true, null, "text": as the file is written, not Python's repr)


_ZH_ERRORS = {  # pydantic's error types, said in Chinese (its English message is kept for English)
    "int_type": "应为整数", "int_parsing": "应为整数", "string_type": "应为文字", "bool_type": "应为 true 或 false",
    "date_type": "应为日期", "date_from_datetime_parsing": "应为日期", "string_pattern_mismatch": "格式不对",
    "list_type": "应为列表", "dict_type": "应为“键: 值”的映射", "literal_error": "不是允许的值之一",
    "model_type": "应为“键: 值”的映射", "decimal_type": "应为数字", "union_tag_invalid": "不是允许的写法",
}


def _hint_for(t: str, got: Any = None) -> Text | None:
    written = fullwidth_list(got) if t == "list_type" else None
    if written is not None:  # 'subjects: ［commissioner］': YAML reads full-width brackets as text
        fixed = f"[{', '.join(written)}]"
        return Text(f"“{got.strip()[0]}”是全角方括号，不会被当作列表：改为半角方括号 {fixed}",
                    f"'{got.strip()[0]}' is a full-width bracket, not read as a list: write the ASCII brackets {fixed}")
    if t == "date_type" and is_iso_date(got):  # 'effective: "2023-07-06"': a date in quotes is text
        return Text(f"去掉引号，写 {got.strip()}：引号里的日期是文字", f"remove the quotes, write {got.strip()}: a date in quotes is text")
    return {
        "int_type": Text("写不带引号的整数", "write a whole number without quotes"),
        "string_type": Text("这里写文字", "write text here"),
        "bool_type": Text("写 true 或 false", "write true or false"),
        "date_type": Text("日期写成 YYYY-MM-DD", "write a date as YYYY-MM-DD"),
        "string_pattern_mismatch": Text("编号只用小写字母、数字、'_'、'.'、'-'", "ids use lower-case letters, digits, '_', '.', '-'"),
        "list_type": Text("写成列表，每行一个 '- 项'", "write a list, one '- item' per line"),
        "dict_type": Text("写成一行一个“键: 值”", "write a mapping of 'key: value' lines"),
    }.get(t)


# --- the checker -------------------------------------------------------------------------


class _Check:
    def __init__(self, files: list[tuple[Loaded, RuleFile]], limits: Limits):
        self.files = files
        self.limits = limits
        self.diags: list[Diagnostic] = []
        self.by_doc: dict[str, tuple[Loaded, RuleFile]] = {}
        self.documents: dict[str, Document] = {}
        self.jurisdictions: dict[str, Jurisdiction] = {}
        self.enums: dict[str, EnumType] = {}
        self.enum_labels: dict[str, dict[str, Any]] = {}
        self.facts: dict[tuple[str, str], Fact] = {}
        self.params: list[Param] = []
        self.defs: list[Definition] = []
        # declared definitions that did not check (syntax, type, cycle): still names, so that
        # a use of one is not also reported as an unknown name
        self.unchecked_defs: list[tuple[str, str, str]] = []  # (document, subject, name)
        self.outputs: dict[str, Output] = {}
        self.rules: list[Rule] = []

    def add(self, d: Diagnostic) -> None:
        self.diags.append(d)

    # step 2 -------------------------------------------------------------------------
    def declare(self) -> None:
        for loaded, rf in self.files:
            doc = rf.document
            if doc.id in self.by_doc:
                first = self.by_doc[doc.id][0]
                self.add(loaded.diag("PE030", Text(f"文件编号 '{doc.id}' 被两个规则文件使用", f"document id '{doc.id}' is used by two files"),
                                     ("document", "id"),
                                     related=(Related(first.span(("document", "id")), Text("另一处在这里", "also used here")),),
                                     hint=Text("每个文件用自己的编号", "give each document its own id")))
                continue
            self.by_doc[doc.id] = (loaded, rf)
            if doc.effective_until and doc.effective_until < doc.effective:
                self.add(loaded.diag("PE036", _ends_before(doc.effective, doc.effective_until), ("document", "effective_until"),
                                     hint=_ends_before_hint("文件", "a document", doc.effective)))
            self.documents[doc.id] = Document(
                doc.id, doc.title, doc.issuer, doc.number, doc.jurisdiction, doc.issued, doc.effective,
                doc.effective_until, tuple(doc.supersedes), loaded.path, loaded.span(("document",)), doc.dates_assumed)
            if doc.dates_assumed:  # an assumption the pack makes: reported as a warning (PE053, a note, is retired)
                self.add(loaded.diag("PE058", Text(f"假定的生效日期：'{doc.id}' 自 {doc.effective.isoformat()} 起施行 — "
                                                   f"{text_of(doc.dates_assumed)}",
                                                   f"assumed date of effect: '{doc.id}' in force from "
                                                   f"{doc.effective.isoformat()} — {text_of(doc.dates_assumed, 'en')}"),
                                     ("document", "effective"),
                                     hint=Text("原文没有写生效日期：这是一个假定，经办人可以复核",
                                               "the document states no date of effect: an assumption an officer may revisit")))
            for i, j in enumerate(rf.jurisdictions):
                prev = self.jurisdictions.get(j.id)
                if prev and (prev.parent != j.parent or prev.level != j.level):
                    self.add(loaded.diag("PE038", Text(f"层级 '{j.id}' 在两个文件中的声明不一致",
                                                       f"jurisdiction '{j.id}' is declared differently in two files"),
                                         ("jurisdictions", i), related=(Related(prev.span, Text("首次声明在这里", "first declared here")),),
                                         hint=Text("上级和级别要与首次声明一致", "the parent and the level must be those declared first")))
                    continue
                if not prev:
                    self.jurisdictions[j.id] = Jurisdiction(j.id, j.name, j.level, j.parent, tuple(j.cites),
                                                            loaded.span(("jurisdictions", i)))
            for name, e in rf.enums.items():
                values = tuple(v if isinstance(v, str) else v.id for v in e.values)
                et = EnumType(name, values, e.ordered, tuple(
                    None if isinstance(v, str) or v.label is None else (text_of(v.label), text_of(v.label, "en"))
                    for v in e.values))
                prev = self.enums.get(name)
                if prev and prev != et:
                    self.add(loaded.diag("PE038", Text(f"枚举 '{name}' 在另一个文件中的声明不同",
                                                       f"enum '{name}' is declared differently in another file"),
                                         ("enums", name), key=True,
                                         hint=Text("每个枚举只声明一次，写在最高一级", "declare each enum once, in the highest layer")))
                    continue
                self.enums[name] = et
                self.enum_labels[name] = {(v if isinstance(v, str) else v.id): (None if isinstance(v, str) else v.label)
                                          for v in e.values}
                if len(set(values)) != len(values):
                    self.add(loaded.diag("PE030", Text(f"枚举 '{name}' 的某个值写了两次", f"enum '{name}' lists a value twice"),
                                         ("enums", name, "values"), hint=Text("删掉重复的值", "remove the repeated value")))
        # jurisdiction tree and documents' places in it
        for j in self.jurisdictions.values():
            if j.parent is not None and j.parent not in self.jurisdictions:
                self.add(Diagnostic("PE033", Text(f"层级 '{j.id}' 的上级 '{j.parent}' 不存在",
                                                  f"jurisdiction '{j.id}' has unknown parent '{j.parent}'"), j.span,
                                    hint=_did_you_mean(j.parent, [k for k in self.jurisdictions if k != j.id])
                                    or Text("请和声明该上级的规则包一起检查（policyengine check 文件 --policies 文件夹）",
                                            "check it with the policy set that declares the parent "
                                            "(policyengine check FILE --policies FOLDER)")))
        self.parent_cycles()
        for doc_id, (loaded, rf) in self.by_doc.items():
            d = rf.document
            if d.jurisdiction not in self.jurisdictions:
                near = suggest(d.jurisdiction, sorted(self.jurisdictions))
                if d.extends is not None and d.jurisdiction.startswith(d.extends + "/") and near in (None, d.extends):
                    # a level below the one it extends: meant, but declared in no file checked (its file left out
                    # or deleted) — a did-you-mean would move the rules up to the level above
                    self.add(loaded.diag("PE033", Text(f"层级 '{d.jurisdiction}' 没有在任何文件的 jurisdictions: 中声明",
                                                       f"jurisdiction '{d.jurisdiction}' is declared under 'jurisdictions:' in no file"),
                                         ("document", "jurisdiction"),
                                         hint=Text(f"与声明它的文件一起检查；或在本文件的 jurisdictions: 下声明它"
                                                   f"（- id: {d.jurisdiction}，parent: {d.extends}）",
                                                   f"check this file with the one that declares it, or declare it under "
                                                   f"'jurisdictions:' here (- id: {d.jurisdiction}, parent: {d.extends})")))
                else:
                    self.add(loaded.diag("PE033", Text(f"层级 '{d.jurisdiction}' 不存在", f"unknown jurisdiction '{d.jurisdiction}'"),
                                         ("document", "jurisdiction"), hint=_did_you_mean(d.jurisdiction, self.jurisdictions)))
            elif d.extends is not None and self.jurisdictions[d.jurisdiction].parent != d.extends \
                    and self.jurisdictions[d.jurisdiction].parent in self.jurisdictions:  # (else: PE033 unknown parent)
                parent = self.jurisdictions[d.jurisdiction].parent
                self.add(loaded.diag("PE033", Text(f"'{d.jurisdiction}' 的上级是 '{parent}'，不是 '{d.extends}'",
                                                   f"'{d.jurisdiction}' extends '{parent}', not '{d.extends}'"),
                                     ("document", "extends"), hint=Text("extends 写上级层级", "extends names the parent jurisdiction")))
            for i, s in enumerate(d.supersedes):
                earlier = self.documents.get(s)
                if earlier is not None and s in self.by_doc and earlier.effective and d.effective and d.effective < earlier.effective:
                    # (the later document supersedes the earlier: the other way round, the one superseded never applies)
                    self.add(loaded.diag("PE036", Text(f"本文件自 {d.effective.isoformat()} 起施行，早于它取代的 '{s}'"
                                                       f"（{earlier.effective.isoformat()} 起施行）：只有后施行的文件才能取代先施行的",
                                                       f"this document takes effect on {d.effective.isoformat()}, before '{s}' "
                                                       f"({earlier.effective.isoformat()}), which it supersedes: only a later "
                                                       "document supersedes an earlier one"),
                                         ("document", "supersedes", i),
                                         related=(Related(self.by_doc[s][0].span(("document", "effective")),
                                                          Text("那份文件的生效日期", "that document's effective date")),),
                                         hint=Text("检查两份文件的 effective 日期", "check the effective dates of both documents")))
                if s not in self.by_doc:
                    self.add(loaded.diag("PE034", Text(f"supersedes 写的文件 '{s}' 不存在", f"supersedes unknown document '{s}'"),
                                         ("document", "supersedes", i), hint=_did_you_mean(s, self.by_doc) or Text(
                                             "写那份文件的 document.id；它在另一个文件里时，请与那个文件一起检查",
                                             "write that document's document.id; where it is in another file, check "
                                             "this one with it")))
                    continue
                other = self.by_doc[s][1].document
                if other.jurisdiction != d.jurisdiction or text_of(other.issuer) != text_of(d.issuer):
                    self.add(loaded.diag(
                        "PE055", Text(f"'{d.id}' 不能取代 '{s}'：只有同一发文机关（{text_of(other.issuer)}，{other.jurisdiction}）"
                                      "后发的文件才能取代先发的文件",
                                      f"'{d.id}' cannot supersede '{s}': only a later document of the same issuer "
                                      f"({text_of(other.issuer, 'en')}, {other.jurisdiction}) supersedes an earlier one"),
                        ("document", "supersedes", i),
                        related=(Related(self.by_doc[s][0].span(("document", "id")), Text("那个文件", "that document")),),
                        hint=Text("下级可以补充或收紧上级的规定，但不能取代它",
                                  "a lower layer adds to or tightens what is above; it does not supersede it")))
        for doc_id, (loaded, rf) in self.by_doc.items():
            self.declare_facts(doc_id, loaded, rf)
        for doc_id, (loaded, rf) in self.by_doc.items():
            for name, o in rf.outputs.items():
                t = self.type_name(o.type)
                if t is None:
                    self.add(loaded.diag("PE012", Text(f"不认识的结果类型 '{o.type}'", f"unknown output type '{o.type}'"),
                                         ("outputs", name, "type"),
                                         hint=Text("可用 bool、int、decimal、date、string 或已声明的枚举",
                                                   "bool, int, decimal, date, string, or a declared enum")))
                    t = ANY
                for i, s in enumerate(o.subjects):
                    if s not in SUBJECTS:
                        self.add(loaded.diag("PE035", _unknown_subject(s), ("outputs", name, "subjects", i),
                                             hint=_did_you_mean(s, SUBJECTS) or _subjects_hint()))
                prev = self.outputs.get(name)
                out = Output(name, t, o.combine, tuple(o.subjects), o.label, doc_id)
                if prev and (prev.type != out.type or prev.combine != out.combine):
                    self.add(loaded.diag("PE038", Text(f"结果 '{name}' 与文件 '{prev.document}' 中的声明不同（类型或合并方式）",
                                                       f"output '{name}' is declared differently in document '{prev.document}'"),
                                         ("outputs", name), key=True,
                                         hint=Text("类型和 combine 要与首次声明一致", "keep the type and combine of the first declaration")))
                    continue
                if prev:
                    out = Output(name, t, o.combine, tuple(sorted(set(prev.subjects) | set(o.subjects))), prev.label, prev.document)
                self.outputs[name] = out
        numeric = {name for _, rf in self.by_doc.values() for name, p in rf.parameters.items()
                   if isinstance(p.value, (int, Decimal)) and not isinstance(p.value, bool)}
        for doc_id, (loaded, rf) in self.by_doc.items():  # after every output is declared
            for name, p in rf.parameters.items():
                span = loaded.span(("parameters", name), key=True)
                if p.output is not None and p.output not in self.outputs and self.layers_above_known(doc_id):
                    # (layers above not loaded, PE033: the output may be theirs)
                    self.add(loaded.diag("PE039", Text(f"参数要发布的结果 '{p.output}' 没有声明",
                                                       f"parameter publishes unknown output '{p.output}'"),
                                         ("parameters", name, "output"),
                                         hint=_did_you_mean(p.output, self.outputs) or _declare_output_hint()))
                if not p.citation.strip():
                    self.add(loaded.diag("PE032", Text(f"参数 '{name}' 没有写依据条款（citation）", f"parameter '{name}' has no citation"),
                                         ("parameters", name, "citation"),
                                         hint=Text("写明依据的条款，例如 第七条(五)", "cite the article, e.g. 第七条(五)")))
                self.quoted_citation(loaded, ("parameters", name, "citation"), p.citation)
                value = p.value
                # (Chinese numerals only where a number is known to be meant: '七月', '三' may be text)
                out = self.outputs.get(p.output) if p.output else None
                publishes_number = out is not None and out.type.kind in ("int", "decimal")
                n = number_with_unit(value, chinese=name in numeric or publishes_number)
                if n is not None and (name in numeric or out is None or out.type.kind != "string"):
                    # '30天', '"2"', '30%', '１５' where a number is meant: declared a number above, or not published
                    # as text ('"12345"' published as a text outcome, '3A级' are text)
                    said = Text(f"只写数字 {n}：不加引号、单位或百分号", f"write the number alone, {n}: no quotes, unit or percent sign")
                    if "%" in value or "％" in value:
                        said = Text(said.zh + "（30% 写成 30）", said.en + " (30% is written 30)")
                    self.add(loaded.diag("PE012", Text(f"参数 '{name}' 的值 '{value}' 是文字，不是数字",
                                                       f"the value '{value}' of parameter '{name}' is text, not a number"),
                                         ("parameters", name, "value"), hint=said))
                    value = n  # (checked on as the number, so that its uses are not reported too)
                if n is None and publishes_number and (not isinstance(value, (int, Decimal)) or isinstance(value, bool)):
                    # text (or yes/no, a date) published as a number: decisions gave the text for a number outcome
                    self.add(loaded.diag("PE012", Text(f"参数 '{name}' 的值 {_show(value)} 不是数字：它发布的结果 '{p.output}' 是数字",
                                                       f"the value {_show(value)} of parameter '{name}' is not a number: the outcome "
                                                       f"'{p.output}' it publishes is one"),
                                         ("parameters", name, "value"), hint=Text("写一个数字（不加引号或单位）",
                                                                                 "write a number (no quotes or unit)")))
                if n is None and isinstance(value, Decimal) and out is not None and out.type.kind == "int":
                    # '3.0' or '2.5' published as a whole-number outcome: said at the value, not as a type error
                    # where the outcome is decided (a decimal tightening a whole number of a layer above is fine)
                    fix = (Text(f"写 {int(value)}（不写小数点）", f"write {int(value)} (no decimal point)")
                           if value == value.to_integral_value() else Text("写一个整数", "write a whole number"))
                    self.add(loaded.diag("PE012", Text(f"参数 '{name}' 的值 {value} 不是整数：它发布的结果 '{p.output}' 是整数",
                                                       f"the value {value} of parameter '{name}' is not a whole number: the "
                                                       f"outcome '{p.output}' it publishes is one"),
                                         ("parameters", name, "value"), hint=fix))
                    value = int(value) if value == value.to_integral_value() else value
                self.params.append(Param(name, value, type_of_value(value), p.label, p.citation, p.stricter,
                                         p.default, p.output, p.subject, doc_id, span, p.note, p.favourable,
                                         p.reading))

    def parent_cycles(self) -> None:
        """A jurisdiction may not be its own ancestor: each cycle is reported once, at each member.
        Linear: every jurisdiction is walked up at most once."""
        state: dict[str, int] = {}  # 1 on the current walk, 2 done
        for start in self.jurisdictions:
            walk, cur = [], start
            while cur in self.jurisdictions and state.get(cur) is None:
                state[cur] = 1
                walk.append(cur)
                cur = self.jurisdictions[cur].parent
            if cur in self.jurisdictions and state.get(cur) == 1:  # back on this walk: a cycle
                cyc = walk[walk.index(cur):]
                for k, jid in enumerate(cyc):
                    j = self.jurisdictions[jid]
                    nxt = self.jurisdictions[cyc[(k + 1) % len(cyc)]]
                    self.add(Diagnostic("PE056", Text("层级成了自己的上级（循环）：" + _chain(cyc + [cyc[0]]),
                                                      "jurisdictions are their own ancestors: " + _chain(cyc + [cyc[0]])), j.span,
                                        related=(Related(nxt.span, Text(f"上级 '{nxt.id}'", f"the parent '{nxt.id}'")),),
                                        hint=Text("每个层级的上级是它上面的一级；cn 没有上级",
                                                  "each jurisdiction's parent is the level above it; cn has none"),
                                        source_line=self._line(j.span)))
            for jid in walk:
                state[jid] = 2

    def _line(self, span) -> str | None:
        if span is None:
            return None
        for loaded, _ in self.files:
            if loaded.path == span.file:
                return loaded.source.line(span.line)
        return None

    def declare_facts(self, doc_id: str, loaded: Loaded, rf: RuleFile) -> None:
        for subject, facts in rf.facts.items():
            if subject not in SUBJECTS:
                self.add(loaded.diag("PE035", _unknown_subject(subject), ("facts", subject), key=True,
                                     hint=_did_you_mean(subject, SUBJECTS) or _subjects_hint()))
                continue
            for name, f in facts.items():
                path = ("facts", subject, name)
                t = self.fact_type(loaded, path, f)
                fact = Fact(subject, name, t, f.label, f.nullable, "default" in f.model_fields_set, f.default,
                            f.min, f.max, doc_id, loaded.span(path, key=True))
                if fact.has_default:
                    self.check_default(loaded, path, fact)
                prev = self.facts.get((subject, name))
                if prev is not None:
                    if prev.type != fact.type or prev.nullable != fact.nullable:
                        self.add(loaded.diag("PE038", Text(f"{subject} 的事实 '{name}' 在 '{prev.document}' 中声明的类型不同",
                                                           f"fact '{name}' of {subject} is declared with another type in '{prev.document}'"),
                                             path, key=True, related=(Related(prev.span, Text("首次声明在这里", "first declared here")),),
                                             hint=Text("每个事实只声明一次，写在用到它的最高一级",
                                                       "declare a fact once, in the highest layer that uses it")))
                    continue
                self.facts[(subject, name)] = fact

    def check_default(self, loaded: Loaded, path: tuple, fact: Fact) -> None:
        """A default is used as if the case had given it: it must be a valid value of the fact."""
        from .cases import _BAD, _coerce

        class _Sink:
            def __init__(self):
                self.msgs = []

            def add(self, code, message, where, hint=None, key=False):
                self.msgs.append((message, hint))

        sink = _Sink()
        if _coerce(fact.type, fact.nullable, fact.default, ("default",), sink, fact.min, fact.max) is _BAD or sink.msgs:
            msg, hint = sink.msgs[0] if sink.msgs else ("not a valid value", None)
            self.add(loaded.diag("PE012", Text(f"事实 '{fact.name}' 的默认值不符合它的类型 {fact.type}：{getattr(msg, 'zh', msg)}",
                                               f"the default of '{fact.name}' does not fit its type {fact.type}: {getattr(msg, 'en', msg)}"),
                                 path + ("default",), hint=hint))

    def type_name(self, name: str) -> T | None:
        simple = {"bool": BOOL, "int": INT, "decimal": DECIMAL, "date": DATE, "string": STRING}
        if name in simple:
            return simple[name]
        if name in self.enums:
            return T("enum", enum=self.enums[name])
        return None

    def fact_type(self, loaded: Loaded, path: tuple, f) -> T:
        if f.type == "enum":
            if f.enum is None or f.enum not in self.enums:
                self.add(loaded.diag("PE034", Text(f"枚举 '{f.enum}' 没有声明", f"unknown enum '{f.enum}'") if f.enum else
                                     Text("枚举类型的事实要写 'enum: 枚举名'", "an enum fact needs 'enum: NAME'"),
                                     path + (("enum",) if f.enum else ()),
                                     hint=_did_you_mean(f.enum or "", self.enums)
                                     or Text("在 enums 下声明它", "declare it under 'enums:'")))
                return ANY
            t = T("enum", enum=self.enums[f.enum])
        elif f.type == "list":
            if not f.fields:
                self.add(loaded.diag("PE010", Text("列表类型的事实要写 'fields'，说明每一项的字段",
                                                   "a list fact needs 'fields' describing each item"), path,
                                     hint=Text("例如 fields: {year: {type: int}}", "e.g. fields: {year: {type: int}}")))
                return list_of(ANY)
            ft = {}
            for fname, fd in f.fields.items():
                if fd.type == "enum":
                    if fd.enum not in self.enums:
                        self.add(loaded.diag("PE034", Text(f"枚举 '{fd.enum}' 没有声明", f"unknown enum '{fd.enum}'"),
                                             path + ("fields", fname),
                                             hint=_did_you_mean(fd.enum or "", self.enums)
                                             or Text("在 enums 下声明它", "declare it under 'enums:'")))
                        ft[fname] = ANY
                    else:
                        ft[fname] = T("enum", enum=self.enums[fd.enum])
                else:
                    ft[fname] = self.type_name(fd.type) or ANY
            t = list_of(record_of(ft))
        else:
            t = self.type_name(f.type) or ANY
        return t.with_null() if f.nullable else t

    # step 3 -------------------------------------------------------------------------
    def cut_off(self, doc_id: str) -> bool:
        """The document's jurisdiction, or one above it, is unknown (PE033) or its own ancestor
        (PE056): the names of the layers above cannot be known, so its expressions are not
        checked — a misspelt parent gives one error, not one per name its rules read."""
        memo = self.__dict__.setdefault("_cut_off", {})
        j = self.documents[doc_id].jurisdiction
        if j not in memo:
            seen, cur = set(), j
            while cur is not None and cur in self.jurisdictions and cur not in seen:
                seen.add(cur)
                cur = self.jurisdictions[cur].parent
            memo[j] = cur is not None
        return memo[j]

    def visible_docs(self, doc_id: str) -> frozenset[str]:
        """The documents on the path from the root to this document's jurisdiction.  The same set
        for every document of a jurisdiction, so it is made once per jurisdiction: made per
        document, 10,000 one-rule files held 10^8 ids."""
        j = self.documents[doc_id].jurisdiction
        if j not in self.jurisdictions:
            return frozenset((doc_id,))
        memo = self.__dict__.setdefault("_visible", {})
        got = memo.get(j)
        if got is None:
            if "_docs_by_j" not in self.__dict__:
                by_j: dict[str, list[str]] = {}
                for d in self.documents.values():
                    by_j.setdefault(d.jurisdiction, []).append(d.id)
                self._docs_by_j = by_j
            got = memo[j] = frozenset(x for jj in self.jurisdictions[j].path(self.jurisdictions)
                                      for x in self._docs_by_j.get(jj, ()))
        return got

    def env(self, doc_id: str, subject: str, def_types: dict) -> Env:
        # Kept per (document, subject) and extended as definitions are checked (self.defs and
        # self.unchecked_defs only grow): rebuilding it from scratch for each of thousands of
        # definitions made check quadratic.  Precedence, lowest first: outputs, unchecked
        # definitions, facts, parameters, definitions, as_of.
        j = self.documents[doc_id].jurisdiction  # (per jurisdiction: every document there sees the same names)
        key = (j if j in self.jurisdictions else doc_id, subject, id(def_types), len(self.facts), len(self.params), len(self.outputs))
        m = self._env_memo.get(key) if hasattr(self, "_env_memo") else None
        if m is None:
            vis = self.visible_docs(doc_id)
            base_n: dict[str, T] = {}
            base_k: dict[str, str] = {}
            for (s, n), f in self.facts.items():
                if s == subject and f.document in vis:
                    base_n[n], base_k[n] = f.type, "fact"
            for p in self.params:
                if p.document in vis:
                    base_n[p.name], base_k[p.name] = p.type, "parameter"
            out_n: dict[str, T] = {}
            out_k: dict[str, str] = {}
            for o in self.outputs.values():
                if subject in o.subjects:
                    out_n.setdefault(o.name, o.type)
                    out_k.setdefault(o.name, "output")
            others = {n: s for (s, n), f in self.facts.items() if s != subject and f.document in vis}
            m = {"vis": vis, "base": (base_n, base_k), "out": (out_n, out_k), "defs": ({}, {}), "unchecked": ({}, {}),
                 "seen_defs": 0, "seen_unchecked": 0, "others": (subject, others)}
            self.__dict__.setdefault("_env_memo", {})[key] = m
        vis = m["vis"]
        for d in self.defs[m["seen_defs"]:]:
            if d.subject == subject and d.document in vis:
                m["defs"][0][d.name], m["defs"][1][d.name] = def_types.get((subject, d.name), ANY), "definition"
        m["seen_defs"] = len(self.defs)
        for doc, s, n in self.unchecked_defs[m["seen_unchecked"]:]:
            if s == subject and doc in vis:
                m["unchecked"][0].setdefault(n, ANY)
                m["unchecked"][1].setdefault(n, "definition")
        m["seen_unchecked"] = len(self.unchecked_defs)
        # layered views, not copies: copying every name for each of thousands of definitions was
        # quadratic (the dicts only grow, so a view stays right)
        names = ChainMap({"as_of": DATE}, m["defs"][0], m["base"][0], m["unchecked"][0], m["out"][0])
        kinds = ChainMap({"as_of": "builtin"}, m["defs"][1], m["base"][1], m["unchecked"][1], m["out"][1])
        return Env(names, kinds, m["others"])

    def expr(self, loaded: Loaded, path: tuple, text: str, env: Env, want: T | None, what: str,
             node: A.Node | None = None) -> Expr | None:
        if node is None:  # (a definition's expression is parsed once, before the ordering)
            try:
                node = parse_expression(text, self.limits)
            except ExprError as e:
                self.add(loaded.offset_diag(e.code, e.message, path, e.offset, e.length, hint=e.hint))
                return None
        t, problems = typecheck(node, env)
        for p in problems:
            self.add(loaded.offset_diag(p.code, p.message, path, p.offset, p.length, hint=p.hint))
        if problems:
            return None
        if want is not None and not _assignable(t, want):
            hint = Text("条件要写成比较，例如 service_days >= 30",
                        "a condition is a comparison such as service_days >= 30") if want == BOOL else None
            related: tuple = ()
            if isinstance(node, A.Name) and env.kinds.get(node.name) == "parameter":
                # the value of a parameter (edited elsewhere, '3.0' for 3): where it is written, and what to write
                p = next((p for p in reversed(self.params) if p.name == node.name and p.type == t), None)
                src = self.by_doc.get(p.document) if p is not None else None
                if src is not None:
                    related = (Related(src[0].span(("parameters", p.name, "value")),
                                       Text(f"参数 '{p.name}' 的值写在这里（{p.value}）", f"the value of '{p.name}' is written here ({p.value})")),)
                    integral = want == INT and isinstance(p.value, Decimal) and p.value == p.value.to_integral_value()
                    hint = Text(f"把参数 '{p.name}' 的值写成{want.zh}" + (f"，例如 {int(p.value)}" if integral else ""),
                                f"write the value of parameter '{p.name}' as {want}" + (f", e.g. {int(p.value)}" if integral else ""))
            self.add(loaded.offset_diag("PE023", Text(f"{_what_zh(what)}应为 {want}，但这个表达式是 {t}",
                                                      f"{what} must be {want}, but this expression is {t}"), path, 0,
                                        max(1, len(text.strip())), hint=hint, related=related))
            return None
        reads = tuple(sorted({n.name for n in A.free_names(node)}))
        return Expr(text, node, t, reads, loaded.span(path))

    def definitions(self) -> dict:
        raw = []
        for doc_id, (loaded, rf) in self.by_doc.items():
            for name, d in rf.definitions.items():
                if d.subject not in SUBJECTS:
                    self.add(loaded.diag("PE035", _unknown_subject(d.subject), ("definitions", name, "subject"),
                                         hint=_did_you_mean(d.subject, SUBJECTS) or _subjects_hint()))
                    continue
                if self.cut_off(doc_id):  # its layers above are unknown: its names would all be "unknown"
                    self.unchecked_defs.append((doc_id, d.subject, name))
                    continue
                raw.append((doc_id, loaded, name, d))
        # infer types in dependency order; report cycles
        parsed = {}
        for doc_id, loaded, name, d in raw:
            try:
                node = parse_expression(d.expr, self.limits)
            except ExprError as e:
                self.add(loaded.offset_diag(e.code, e.message, ("definitions", name, "expr"), e.offset, e.length, hint=e.hint))
                self.unchecked_defs.append((doc_id, d.subject, name))
                continue
            parsed[(doc_id, name)] = (loaded, d, node)
        deps: dict[tuple[str, str], set[str]] = {}
        for (doc_id, name), (loaded, d, node) in parsed.items():
            deps.setdefault((d.subject, name), set()).update(n.name for n in A.free_names(node))
        def_types: dict[tuple[str, str], T] = {}
        cyclic: set[tuple[str, str]] = set()

        def cycle(cyc):
            cyclic.update(cyc)
            for (doc_id, name), (loaded, d, node) in parsed.items():
                if (d.subject, name) == cyc[0]:
                    chain = _chain([n for _, n in cyc])
                    self.add(loaded.diag("PE031", Text("定义之间循环引用：" + chain, "definitions refer to each other in a cycle: " + chain),
                                         ("definitions", name), key=True,
                                         hint=Text("其中一个要不依赖其他几个来算", "one of them must be computed without the others")))
                    break

        # a definition depends on the definitions of its own subject that it reads
        order = topological_order({k: {(k[0], n) for n in v} for k, v in deps.items()}, on_cycle=cycle)
        by_key: dict[tuple[str, str], list] = {}  # (not a scan of every definition for each one)
        for (doc_id, name), item in parsed.items():
            by_key.setdefault((item[1].subject, name), []).append(((doc_id, name), item))
        for key in order:
            for (doc_id, name), (loaded, d, node) in by_key.get(key, ()):
                if key in cyclic:
                    self.unchecked_defs.append((doc_id, d.subject, name))
                    continue
                e = self.expr(loaded, ("definitions", name, "expr"), d.expr, self.env(doc_id, d.subject, def_types), None,
                              "a definition", node)
                if e is None:
                    self.unchecked_defs.append((doc_id, d.subject, name))
                    continue
                def_types.setdefault(key, e.type)
                self.defs.append(Definition(d.subject, name, e, d.label, d.citation, d.default, doc_id,
                                            loaded.span(("definitions", name), key=True), d.reading))
        return def_types

    # step 4 -------------------------------------------------------------------------
    def rules_(self, def_types: dict) -> None:
        seen: dict[str, Rule] = {}
        docs = sorted(self.by_doc.items(), key=lambda kv: (self.documents[kv[0]].effective, kv[0]))
        for doc_id, (loaded, rf) in docs:  # in the order they take effect: a superseding one comes later
            if self.cut_off(doc_id):
                continue
            for i, r in enumerate(rf.rules):
                path = ("rules", i)
                if r.subject not in SUBJECTS:
                    self.add(loaded.diag("PE035", _unknown_subject(r.subject), path + ("subject",),
                                         hint=_did_you_mean(r.subject, SUBJECTS) or _subjects_hint()))
                    continue
                if not (r.citation or "").strip():
                    self.add(loaded.diag("PE032", Text(f"规则 '{r.id}' 没有写依据条款（citation）", f"rule '{r.id}' has no citation"),
                                         path + (("citation",) if r.citation is not None else ("id",)),
                                         hint=Text("每条规则都要写明它表达的条款，例如 citation: 第七条(二)",
                                                   "every rule cites the article it encodes, e.g. citation: 第七条(二)")))
                self.quoted_citation(loaded, path + ("citation",), r.citation)
                if r.effective and r.effective_until and r.effective_until < r.effective:
                    self.add(loaded.diag("PE036", _ends_before(r.effective, r.effective_until), path + ("effective_until",),
                                         hint=_ends_before_hint("规则", "a rule", r.effective)))
                doc_starts = self.documents[doc_id].effective
                if r.effective and doc_starts and r.effective < doc_starts:
                    # (the rule applies only while its document is in force: the earlier date is never used)
                    self.add(loaded.diag("PE036", Text(f"规则 '{r.id}' 的生效日期 {r.effective.isoformat()} 早于它所在文件的生效日期 "
                                                       f"{doc_starts.isoformat()}：文件施行之前，规则不会生效",
                                                       f"rule '{r.id}' takes effect on {r.effective.isoformat()}, before its "
                                                       f"document does ({doc_starts.isoformat()}): it cannot apply before its document"),
                                         path + ("effective",),
                                         hint=Text("删去规则的 effective（随文件生效），或写文件生效之后的日期",
                                                   "remove the rule's effective (it takes effect with its document), or write a "
                                                   "date after the document's")))
                env = self.env(doc_id, r.subject, def_types)
                rule = self.rule(loaded, path, r, env, doc_id)
                if rule is None:
                    continue
                prev = seen.get(r.id)
                if prev is not None and not self.supersedes(doc_id, prev.document):
                    self.add(loaded.diag("PE030", Text(f"规则编号 '{r.id}' 用了两次", f"rule id '{r.id}' is used twice"), path + ("id",),
                                         related=(Related(prev.span, Text("第一次用在这里", "first used here")),),
                                         hint=Text("规则编号不能重复；只有取代先前文件的后发文件才可以沿用它的编号",
                                                   "rule ids are unique; a later document reuses one only when it supersedes the earlier")))
                    continue
                seen[r.id] = rule
                self.rules.append(rule)
        tables = {}
        for r in self.rules:
            if r.table is not None:
                for o in (r.table.score_output, r.table.grade_output):
                    tables.setdefault((r.subject, o), r)
        for r in self.rules:
            t = tables.get((r.subject, r.output)) if r.table is None else None
            if t is not None:
                self.add(Diagnostic("PE037", Text(f"'{r.output}' 由评分表 '{t.id}' 决定，规则 '{r.id}' 不能再决定它",
                                                  f"'{r.output}' is decided by the scoring table '{t.id}'; rule '{r.id}' "
                                                  "cannot decide it too"), r.span,
                                    related=(Related(t.span, Text("评分表", "the table")),),
                                    hint=Text("给这条规则一个自己的结果", "give the rule an outcome of its own"),
                                    source_line=self._line(r.span)))
                self.add(Diagnostic("PE037", Text(f"这张评分表的 '{r.output}' 也由规则 '{r.id}' 决定",
                                                  f"'{r.output}' of this table is also decided by rule '{r.id}'"), t.span,
                                    related=(Related(r.span, Text("那条规则", "the other rule")),),
                                    hint=Text("各用自己的结果", "give each its own outcome"),
                                    source_line=self._line(t.span)))
        for p in self.params:
            for (subj, o), t in sorted(tables.items()):
                if p.output == o and (p.subject is None or p.subject == subj):
                    self.add(Diagnostic("PE037", Text(f"参数 '{p.name}' 发布的结果 '{o}' 由评分表 '{t.id}' 决定",
                                                      f"parameter '{p.name}' publishes '{o}', which the scoring table '{t.id}' "
                                                      "decides"), p.span, related=(Related(t.span, Text("评分表", "the table")),),
                                        hint=Text("让参数发布一个自己的结果", "publish the parameter as an outcome of its own"),
                                        source_line=self._line(p.span)))
        # every declared rule id, checked or not: a rule that failed to check (or was not checked, its
        # layers above unknown) has its own diagnostic, not a second one here
        ids = {r.id for _, rf in self.by_doc.values() for r in rf.rules}
        for doc_id, (loaded, rf) in self.by_doc.items():
            if not self.layers_above_known(doc_id):  # (a rule of a layer not loaded: PE033 says to load it)
                continue
            for i, r in enumerate(rf.rules):
                for k, ref in enumerate(r.restates):
                    if ref not in ids:
                        self.add(loaded.diag("PE034", Text(f"restates 写的规则 '{ref}' 不存在", f"restates unknown rule '{ref}'"),
                                             ("rules", i, "restates", k), hint=_did_you_mean(ref, ids - {r.id})))
                if r.replaces and r.replaces not in ids:
                    self.add(loaded.diag("PE034", Text(f"replaces 写的规则 '{r.replaces}' 不存在", f"replaces unknown rule '{r.replaces}'"),
                                         ("rules", i, "replaces"), hint=_did_you_mean(r.replaces, ids - {r.id})))

    def quoted_citation(self, loaded: Loaded, path: tuple, citation: str | None) -> None:
        """'citation: “三(一)”': full-width quotes are no YAML quotes — they became part of the article, shown in
        every explanation, and an article no coverage entry names."""
        text = (citation or "").strip()
        if len(text) > 1 and text[0] in "“‘「" and text[-1] in "”’」":  # (第十条“三不” is an article that quotes)
            bare = text.strip("“”‘’「」 ")
            self.add(loaded.diag("PE012", Text(f"依据条款 {text} 带着全角引号：全角引号不是 YAML 的引号，会成为条款的一部分",
                                               f"the citation {text} is in full-width quotes, which are no YAML quotes: "
                                               "they become part of the article"),
                                 path, hint=Text(f"去掉引号：citation: {bare}", f"remove the quotes: citation: {bare}")))

    def layers_above_known(self, doc_id: str) -> bool:
        """Every jurisdiction from the document's up to the root is declared in the set checked."""
        return layers_above_known(self.documents, self.jurisdictions, doc_id)

    def supersedes(self, later: str, earlier: str) -> bool:
        return earlier in self.documents[later].supersedes

    def rule(self, loaded: Loaded, path: tuple, r, env: Env, doc_id: str) -> Rule | None:
        if not self.fields_of_kind(loaded, path, r):
            return None
        when = self.expr(loaded, path + ("when",), r.when, env, BOOL, "'when'") if r.when else None
        cond = value = None
        out = r.output
        table = None
        need = {"eligibility": "condition", "target": "condition", "entitlement": "value", "sanction": "value"}.get(r.kind)
        if need and getattr(r, need) is None:
            self.add(loaded.diag("PE010", Text(f"{r.kind} 规则要写 '{need}'", f"a {r.kind} rule needs '{need}'"), path,
                                 hint=Text(f"加上 '{need}:' 和一个表达式", f"add '{need}:' with an expression")))
            return None
        if r.kind in ("eligibility", "target"):
            out = out or {"eligibility": "eligible", "target": "targets_met"}[r.kind]
            cond = self.expr(loaded, path + ("condition",), r.condition, env, BOOL, "a condition")
        elif r.kind == "obligation":
            out = out or "compliant"
            if r.check:
                cond = self.expr(loaded, path + ("check",), r.check, env, BOOL, "a compliance check")
        elif r.kind in ("entitlement", "sanction"):
            if out is None:
                self.add(loaded.diag("PE010", Text(f"{r.kind} 规则要写 'output'", f"a {r.kind} rule needs 'output'"), path,
                                     hint=Text("写明它决定的结果", "name the outcome it decides")))
                return None
        if out is not None and r.kind != "scoring":
            o = self.outputs.get(out)
            if o is None:
                self.add(loaded.diag("PE039", _unknown_output(out), path + (("output",) if r.output else ("kind",)),
                                     hint=_did_you_mean(out, self.outputs) or _declare_output_hint()))
                return None
            if r.subject not in o.subjects:
                self.add(loaded.diag("PE039", Text(f"结果 '{out}' 没有为对象 {r.subject} 声明", f"output '{out}' is not declared for {r.subject}"),
                                     path + ("subject",),
                                     hint=Text(f"它声明的对象是：{'、'.join(o.subjects)}", f"it is declared for: {', '.join(o.subjects)}")))
                return None
            if r.kind in ("entitlement", "sanction"):
                value = self.expr(loaded, path + ("value",), r.value, env, o.type, f"the value of '{out}'")
        if r.kind == "scoring" and r.when:
            self.add(loaded.diag("PE012", Text("评分规则不能写 'when'：评分表给该对象的每个个案评分",
                                               "a scoring rule cannot have 'when': a table scores every case of its subject"),
                                 path + ("when",), hint=Text("删掉 'when'，把条件写进各项的取值",
                                                             "remove 'when'; give the items' values conditions instead")))
            return None
        if r.deadline is not None and r.kind != "target":
            self.add(loaded.diag("PE012", Text("只有目标（target）才能写 'deadline'", "only a target has a 'deadline'"), path + ("deadline",),
                                 hint=Text("期限使目标在那天之前为待定；其他规则用 effective_until",
                                           "a deadline makes a target pending until that day; other rules use effective_until")))
            return None
        if r.kind == "scoring":
            table = self.table(loaded, path, r, env)
            if table is None:
                return None
        if (r.when and when is None) or (need in ("condition",) and cond is None) or (need == "value" and value is None):
            return None
        if r.kind == "obligation" and r.check and cond is None:
            return None
        return Rule(r.id, r.kind, r.subject, r.label, r.citation or "", when, cond, value, out, r.requirement,
                    tuple(r.restates), r.replaces, r.binding, r.default, r.effective, r.effective_until, doc_id,
                    loaded.span(path), table, r.ambiguity, r.note, r.reading, r.deadline, r.delegates)

    def fields_of_kind(self, loaded: Loaded, path: tuple, r) -> bool:
        """Every expression field written has something in it, and every field a rule of another kind
        reads is absent: an obligation's 'condition:' (for 'check:') or an entitlement's 'condition:'
        (for 'when:') would otherwise be read by no one, and the rule would silently mean something else."""
        raw = loaded.value(path)
        if not isinstance(raw, dict):
            return True
        ok = True
        kind = r.kind
        k_zh = f"{_KIND_ZH.get(kind, kind)}（{kind}）"
        for f in _KIND_ONLY:
            if f not in raw or f in _KIND_FIELDS.get(kind, ()):
                continue
            own = _KIND_READS.get(kind)
            if f in _TABLE_FIELDS:
                msg = Text(f"只有评分（scoring）规则有 '{f}'，这是{k_zh}规则", f"only a scoring rule has '{f}'; this is {_a(kind)} rule")
                hint = Text("删掉它，或者把 kind 改为 scoring", "remove it, or make the rule's kind scoring")
            elif kind == "scoring" and f == "output":
                msg = Text("评分（scoring）规则不读 'output'：它的两个结果写在 'score_output' 和 'grade_output'",
                           "a scoring rule does not read 'output': its two outcomes are 'score_output' and 'grade_output'")
                hint = Text("把 'output:' 改为 'score_output:'", "rename 'output:' to 'score_output:'")
            elif kind == "scoring":
                msg = Text(f"评分（scoring）规则不读 '{f}'：分数由 'items' 给出", f"a scoring rule does not read '{f}': its score comes from 'items'")
                hint = Text(f"删掉 '{f}:'", f"remove '{f}:'")
            elif f == "value":
                msg = Text(f"{k_zh}规则不读 'value'：它只判断 '{own}' 是否成立",
                           f"{_a(kind)} rule does not read 'value': it only decides whether '{own}' holds")
                hint = Text("删掉 'value:'；要给出一个值（金额、日期、是否给予），用 entitlement 规则",
                            "remove 'value:'; a rule giving a value (an amount, a date, a grant) is an entitlement")
            elif own == "value":  # 'condition' or 'check' on an entitlement or a sanction: meant 'when'
                msg = Text(f"{k_zh}规则不读 '{f}'：规则在什么情况下适用写在 'when:'，结果的值写在 'value:'",
                           f"{_a(kind)} rule does not read '{f}': where it applies is 'when:', the outcome's value is 'value:'")
                hint = Text(f"把 '{f}:' 改为 'when:'", f"rename '{f}:' to 'when:'")
            else:  # 'condition' and 'check' mixed up
                msg = Text(f"{k_zh}规则不读 '{f}'：它的{KEYS_ZH[own]}写在 '{own}:'",
                           f"{_a(kind)} rule does not read '{f}': its {_FIELD_EN[own]} is written under '{own}:'")
                hint = Text(f"把 '{f}:' 改为 '{own}:'", f"rename '{f}:' to '{own}:'")
            self.add(loaded.diag("PE012", msg, path + (f,), key=True, hint=hint))
            ok = False
        for f in ("when", "condition", "check", "value"):
            v = raw.get(f, ...)
            if v is None or (isinstance(v, str) and not v.strip()):
                self.add(loaded.diag("PE010", Text(f"'{f}' 后面没有写内容", f"'{f}' is empty"), path + (f,), key=True,
                                     hint=Text(f"在 '{f}:' 后面写一个表达式，例如 service_days >= 30；不需要就删掉这一行",
                                               f"write an expression after '{f}:', such as service_days >= 30, or remove the line")))
                ok = False
        return ok

    # step 5 -------------------------------------------------------------------------
    def table(self, loaded: Loaded, path: tuple, r, env: Env) -> Table | None:
        missing = [f for f in ("items", "cap", "grades") if getattr(r, f) is None]
        if missing:
            self.add(loaded.diag("PE010", Text(f"评分规则要写 {'、'.join(repr(m) for m in missing)}",
                                               f"a scoring rule needs {', '.join(repr(m) for m in missing)}"), path,
                                 hint=Text("评分表要有 items、cap 和 grades", "a table has items, a cap and grades")))
            return None
        for name in (r.score_output, r.grade_output):
            if name not in self.outputs:
                self.add(loaded.diag("PE039", _unknown_output(name), path, hint=_declare_output_hint()))
                return None
        # a table writes two outcomes of its own: a whole-number score and a grade, never the same one
        if r.score_output == r.grade_output:
            self.add(loaded.diag("PE037", Text(f"'{r.score_output}' 既是这张表的分数又是它的等次",
                                               f"'{r.score_output}' is both the score and the grade of this table"),
                                 path + ("grade_output",) if "grade_output" in (loaded.data["rules"][path[1]] or {}) else path,
                                 hint=Text("评分表决定两个结果：score_output（整数）和 grade_output（等次）",
                                           "a table decides two outcomes: score_output (int) and grade_output (a grade)")))
            return None
        sk, gk = self.outputs[r.score_output].type, self.outputs[r.grade_output].type
        bad = [(n, f, t, want) for n, f, t, want in ((r.score_output, "score_output", sk, "int"),
                                                     (r.grade_output, "grade_output", gk, "an enum of grades or text"))
               if (t.kind != "int" if f == "score_output" else t.kind not in ("enum", "string"))]
        for n, f, t, want in bad:
            self.add(loaded.diag("PE023", Text(f"{f} '{n}' 声明的类型是 {t}；评分表的{'分数应为整数' if f == 'score_output' else '等次应为等次枚举或文字'}",
                                               f"{f} '{n}' is declared as {t}; a table's {f.split('_')[0]} must be {want}"),
                                 path + ((f,) if f in (loaded.data["rules"][path[1]] or {}) else ()),
                                 hint=Text("为评分表声明相应的结果，例如 score: {type: int} 和 grade: {type: grade}",
                                           "declare the table's outcomes for it, e.g. score: {type: int} and grade: {type: grade}")))
        if bad:
            return None
        ok = True
        items = []
        seen_ids: dict[str, int] = {}
        for k, it in enumerate(r.items):
            ipath = path + ("items", k)
            if it.id in seen_ids:
                self.add(loaded.diag("PE030", Text(f"项目编号 '{it.id}' 在这张表中用了两次", f"item id '{it.id}' is used twice in this table"),
                                     ipath + ("id",), hint=Text("每一项用自己的编号", "give each item its own id")))
            seen_ids[it.id] = k
            if not it.citation.strip():
                self.add(loaded.diag("PE032", Text(f"项目 '{it.id}' 没有写依据（citation）", f"item '{it.id}' has no citation"),
                                     ipath + ("citation",), hint=Text("写明依据，例如 附件3 第4项", "cite it, e.g. 附件3 第4项")))
            e = self.expr(loaded, ipath + ("value",), it.value, env, INT, "an item's value")
            if e is None:
                ok = False
                continue
            tiers = tuple(Tier(t.min, t.max, t.points, t.label) for t in it.tiers)
            self.check_tiers(loaded, ipath, it, tiers)
            items.append(Item(it.id, it.label, it.citation, e, it.max, tiers))
        bonus = []
        for k, b in enumerate(r.bonus or ()):
            bpath = path + ("bonus", k)
            if not b.citation.strip():
                self.add(loaded.diag("PE032", Text(f"加分项 '{b.id}' 没有写依据（citation）", f"bonus '{b.id}' has no citation"),
                                     bpath + ("citation",), hint=Text("写明依据，例如 附件2 第10项", "cite it, e.g. 附件2 第10项")))
            e = self.expr(loaded, bpath + ("points",), b.points, env, INT, "bonus points")
            if e is None:
                ok = False
                continue
            bonus.append(Bonus(b.id, b.label, b.citation, e, b.max))
        bands = tuple(Band(g.min, g.max, g.grade, g.label) for g in r.grades)
        gtype = self.outputs[r.grade_output].type
        for k, g in enumerate(r.grades):
            if gtype.kind == "enum" and g.grade not in gtype.enum.values:
                self.add(loaded.diag("PE025", Text(f"'{g.grade}' 不是 {gtype.enum.name} 的值", f"'{g.grade}' is not a value of {gtype.enum.name}"),
                                     path + ("grades", k, "grade"),
                                     hint=_did_you_mean(g.grade, gtype.enum.values)
                                     or Text("可用的值：" + "、".join(gtype.enum.values), ", ".join(gtype.enum.values))))
                ok = False
        if not ok:
            return None
        table = Table(tuple(items), tuple(bonus), r.cap, bands, r.score_output, r.grade_output)
        self.check_bands(loaded, path, r, table)
        return table

    def check_tiers(self, loaded: Loaded, ipath: tuple, it, tiers: tuple[Tier, ...]) -> None:
        for k, t in enumerate(tiers):
            tpath = ipath + ("tiers", k)
            if t.points > it.max:
                self.add(loaded.diag("PE045", Text(f"这一档给 {t.points} 分，但这一项最多 {it.max} 分",
                                                   f"tier gives {t.points} points but the item is worth at most {it.max}"),
                                     tpath + ("points",), hint=Text("降低这一档的分数，或提高这一项的 max",
                                                                    "lower the points or raise the item's max")))
            if t.min is not None and t.max is not None and t.min > t.max:
                self.add(loaded.diag("PE042", Text(f"档位 {_range(t, 'zh')} 永远用不上：它的 min 大于 max",
                                                   f"tier {_range(t)} can never apply: its min is above its max"), tpath,
                                     hint=Text("检查 min 和 max 是否写反", "check whether min and max are swapped")))
        # values from 0 (counts are never negative) up to just past the highest bound, taken a run
        # of values at a time: within a run between two tier ends the same tiers apply, so the
        # work follows the number of tiers, not the size of the numbers (a cap of 10^9 is fine)
        bounds = [b for t in tiers for b in (t.min, t.max) if b is not None]
        hi = max(bounds, default=0) + 1
        winners = set()
        for a, b, first, second, win in _sweep(tiers, hi, lambda k: (-tiers[k].points, -(tiers[k].min or 0), k)):
            if win is not None:
                winners.add(win)
            if second is not None:
                self.add(loaded.diag(
                    "PE040", Text(f"项目 '{it.id}'：档位 {_range(tiers[first], 'zh')} 和 {_range(tiers[second], 'zh')} 都包含 {_span_text(a, b)}；"
                                  f"按较高的一档（{tiers[win].points} 分）计",
                                  f"item '{it.id}': tiers {_range(tiers[first])} and {_range(tiers[second])} both cover {_span_text(a, b)}; "
                                  f"the higher tier ({tiers[win].points} points) applies"), ipath + ("tiers", second),
                    related=(Related(loaded.span(ipath + ("tiers", first)), Text(f"另一档（{it.citation}）", f"the other tier ({it.citation})")),),
                    hint=Text(f"让相邻两档首尾相接但不重叠，例如较低的一档到 {a - 1} 为止",
                              f"make the ranges meet without sharing an end, e.g. end the lower tier at {a - 1}")))
            if first is None:
                self.add(loaded.diag("PE041", Text(f"项目 '{it.id}'：没有档位包含 {_span_text(a, b)}，这些数值得 0 分（{it.citation}）",
                                                   f"item '{it.id}': no tier covers {_span_text(a, b)}; it scores 0 points ({it.citation})"),
                                     ipath + ("tiers",), key=True,
                                     hint=Text(f"为 {_span_text(a, b)} 加一档，例如 {{min: {a}, max: {b}, points: 0}}",
                                               f"add a tier for {a}, e.g. {{min: {a}, max: {b}, points: 0}}")))
        for k, t in enumerate(tiers):
            if max(t.min or 0, 0) <= (t.max if t.max is not None else hi) and k not in winners:
                self.add(loaded.diag("PE042", Text(f"项目 '{it.id}'：档位 {_range(t, 'zh')} 永远用不上，更高的档位已包含它的全部数值",
                                                   f"item '{it.id}': tier {_range(t)} never applies; higher tiers cover all of it"),
                                     ipath + ("tiers", k), hint=Text("删掉这一档，或修改它的范围", "remove the tier or change its range")))

    def check_bands(self, loaded: Loaded, path: tuple, r, table: Table) -> None:
        bands = table.bands
        for lo, hi, a, b, win in _sweep(bands, table.cap, lambda k: (-(bands[k].min or 0), k)):
            if b is not None:
                self.add(loaded.diag(
                    "PE044", Text(f"等次 '{bands[a].grade}' 和 '{bands[b].grade}' 都包含 {_span_text(lo, hi)} 分；按较高的等次（'{bands[win].grade}'）",
                                  f"grade bands '{bands[a].grade}' and '{bands[b].grade}' both cover {_span_text(lo, hi)}; "
                                  f"the higher band ('{bands[win].grade}') applies"), path + ("grades", b),
                    related=(Related(loaded.span(path + ("grades", a)), Text("另一个等次", "the other band")),),
                    hint=Text("“以下”含本数：如果70分算合格，较低的等次应到69分为止",
                              "'以下' includes the number: if 70 is meant to pass, the lower band ends at 69")))
            if a is None:
                self.add(loaded.diag("PE046", Text(f"没有等次包含 {_span_text(lo, hi)} 分", f"no grade band covers a score of {_span_text(lo, hi)}"),
                                     path + ("grades",), key=True,
                                     hint=Text(f"为 {_span_text(lo, hi)} 分加一个等次", f"add a band for {_span_text(lo, hi)}")))
        table_min = sum(min((t.points for t in it.tiers), default=0) for it in table.items)
        for k, b in enumerate(table.bonus):
            if table_min >= table.cap or b.max == 0:
                why = (Text(f"评分表本身就达到上限 {table.cap} 分", f"the table alone reaches the cap of {table.cap}")
                       if table_min >= table.cap else Text("它最多 0 分", "it is worth at most 0"))
                self.add(loaded.diag("PE043", Text(f"加分项 '{b.id}' 不会改变得分：{why.zh}", f"bonus '{b.id}' can never change the score: {why.en}"),
                                     path + ("bonus", k), hint=Text("提高上限（cap），或删掉这个加分项", "raise the cap or drop the bonus")))
        item_max = sum(it.max for it in table.items)
        if item_max > table.cap and not table.bonus:
            self.add(loaded.diag("PE043", Text(f"各项满分合计 {item_max} 分，超过上限 {table.cap} 分",
                                               f"items add up to {item_max}, more than the cap of {table.cap}"), path + ("cap",),
                                 hint=Text("核对各项的 max 和 cap", "check the items' max against the cap")))

    def collisions(self) -> None:
        """One namespace per subject, across every layer: a name is a fact, a parameter, a
        definition or an outcome — never two of them — and never ``as_of`` or a function of
        the language.  A collision is reported at both places.  The same kind declared again
        (a lower layer tightening a parameter, replacing a definition) must keep its type.
        Names that differ only by look-alike characters are reported too (PE057).
        Linear in the declarations (grouped by name), plus a sort for the output order."""
        reserved = {"as_of": "the case's date (as_of)"} | {f: f"the function {f}()" for f in (*FUNCTIONS, *AGGREGATES)}
        sites: dict[str, list[tuple[str, tuple[str, ...], Any, str, Any]]] = {}  # name -> (kind, subjects, span, doc, type)
        every = tuple(SUBJECTS)
        for (s_, n), f in self.facts.items():
            sites.setdefault(n, []).append(("fact", (s_,), f.span, f.document, f.type))
        for doc_id, (loaded, rf) in self.by_doc.items():  # every declaration, not only the first of each
            for subject, facts in rf.facts.items():
                for n in facts:
                    span = loaded.span(("facts", subject, n), key=True)
                    if (subject, n) in self.facts and self.facts[(subject, n)].span != span:
                        sites[n].append(("fact", (subject,), span, doc_id, self.facts[(subject, n)].type))
            for n in rf.outputs:
                o = self.outputs.get(n)
                sites.setdefault(n, []).append(("outcome", tuple(o.subjects) if o else every,
                                                loaded.span(("outputs", n), key=True), doc_id, o.type if o else None))
            for n, d in rf.definitions.items():
                sites.setdefault(n, []).append(("definition", (d.subject,), loaded.span(("definitions", n), key=True), doc_id,
                                                self._def_type(d.subject, n, doc_id)))
        for p in self.params:
            sites.setdefault(p.name, []).append(("parameter", (p.subject,) if p.subject else every, p.span, p.document, p.type))
        published = {p.output for p in self.params if p.output}
        for name, group in sites.items():
            if not _IDENT.match(name):  # an expression could never read it; and it is printed in explanations
                for kind, _, span, _, _ in group:
                    self.add(Diagnostic("PE012", Text(f"{_ZH_KIND[kind]}名称 {_codepoints(name)} 不是合法的名称：只能用字母、数字和 '_'，"
                                                      "不能以数字开头",
                                                      f"{kind} name {_codepoints(name)} is not a name: use letters, digits and '_', "
                                                      "not starting with a digit"), span,
                                        hint=Text("改一个名称", "rename it"), source_line=self._line(span)))
        for name in sorted(sites):
            group = sites[name]
            if name in reserved:
                for kind, _, span, _, _ in group:
                    self.add(Diagnostic("PE037", Text(f"'{name}' 是保留的名称（{_ZH_RESERVED.get(name, '函数 ' + name + '()')}），"
                                                      f"{_ZH_KIND[kind]}不能用这个名称",
                                                      f"'{name}' is {reserved[name]}; a {kind} cannot have that name"), span,
                                        hint=Text("改一个名称", "rename it"), source_line=self._line(span)))
                continue
            kinds = {k for k, *_ in group}
            if len(kinds) > 1:
                for kind, subjects, span, _, _ in group:
                    other = next(((k, sp) for k, subj, sp, _, _ in group if k != kind and set(subj) & set(subjects)), None)
                    if other is None or (kind == "parameter" and other[0] == "outcome" and name in published) or (
                            kind == "outcome" and other[0] == "parameter" and name in published):
                        continue  # other subjects' names, or a parameter that publishes the outcome of its name
                    self.add(Diagnostic("PE037", Text(f"'{name}' 既是{_ZH_KIND[kind]}又是{_ZH_KIND[other[0]]}",
                                                      f"'{name}' is both {_a(kind)} and {_a(other[0])}"), span,
                                        related=(Related(other[1], Text(f"那个{_ZH_KIND[other[0]]}", f"the {other[0]}")),),
                                        hint=Text("一个名称只表示一样东西：改掉其中一个", "one name, one thing: rename one of them"),
                                        source_line=self._line(span)))
            for kind in ("parameter", "definition"):
                same = [x for x in group if x[0] == kind and x[4] is not None and x[4].kind != "any"]
                for x in same[1:]:
                    first = next((y for y in same if set(y[1]) & set(x[1])), None)
                    if (first is not None and first is not x and "null" not in (first[4].kind, x[4].kind)
                            and _kind_of(first[4]) != _kind_of(x[4])):
                        self.add(Diagnostic("PE038", Text(f"{_ZH_KIND[kind]} '{name}' 在这里的类型是 {x[4]}，在 '{first[3]}' 中是 {first[4]}",
                                                          f"{kind} '{name}' is declared as {x[4]} here but as {first[4]} in "
                                                          f"'{first[3]}'"), x[2],
                                            related=(Related(first[2], Text("首次声明在这里", "first declared here")),),
                                            hint=Text("下级可以改变值，不能改变类型", "a lower layer may change the value, not the type"),
                                            source_line=self._line(x[2])))
        self.confusables(sites)

    def _def_type(self, subject: str, name: str, doc_id: str):
        if getattr(self, "_def_types", None) is None or len(self._def_types) != len(self.defs):
            self._def_types = {(d.subject, d.name, d.document): d.expr.type for d in self.defs}
        return self._def_types.get((subject, name, doc_id))

    def confusables(self, sites: dict) -> None:
        """Two names that look alike (Unicode TR39 skeletons: Cyrillic о, Greek ο, full-width ｏ
        for Latin o …) are one name to a reader: an error naming both."""
        by_skel: dict[str, list[str]] = {}
        reserved = ("as_of", *FUNCTIONS, *AGGREGATES)
        for name in sites:
            skel = skeleton(name)
            if skel in reserved and name != skel:  # 'аs_of' with a Cyrillic а
                kind, _, span, _, _ = sites[name][0]
                self.add(Diagnostic("PE057", Text(f"{_ZH_KIND[kind]}名称 {_codepoints(name)} 看起来和保留名称 '{skel}' 一样，"
                                                  "但用了别的字符",
                                                  f"the {kind} name {_codepoints(name)} looks the same as the reserved name "
                                                  f"'{skel}' but is spelt with other characters"), span,
                                    hint=Text("名称只用半角拉丁字母、数字和 '_'：改一个名称",
                                              "write names in plain Latin letters, digits and '_'; rename it"),
                                    source_line=self._line(span)))
            by_skel.setdefault(skel, []).append(name)
        for skel, names in sorted(by_skel.items()):
            if len(names) < 2:
                continue
            names = sorted(names, key=lambda n: (not n.isascii(), n))
            for n in names[1:]:
                kind, _, span, _, _ = sites[n][0]
                okind, _, ospan, _, _ = sites[names[0]][0]
                self.add(Diagnostic("PE057", Text(f"{_ZH_KIND[kind]}名称 {_codepoints(n)} 看起来和{_ZH_KIND[okind]} '{names[0]}' 一样，"
                                                  "但用了别的字符",
                                                  f"the {kind} name {_codepoints(n)} looks the same as the {okind} "
                                                  f"'{names[0]}' but is spelt with other characters"), span,
                                    related=(Related(ospan, Text(f"{_ZH_KIND[okind]} '{names[0]}'", f"the {okind} '{names[0]}'")),),
                                    hint=Text("名称只用半角拉丁字母、数字和 '_'：改掉其中一个",
                                              "write names in plain Latin letters, digits and '_'; rename one of them"),
                                    source_line=self._line(span)))

    def cycles(self) -> None:
        """Outputs read definitions and other outputs; none may depend on itself."""
        graph: dict[str, set[str]] = {}
        for r in self.rules:
            reads = r.reads()
            for o in r.outputs():
                graph.setdefault(f"{r.subject}:{o}", set()).update(f"{r.subject}:{x}" for x in reads)
        for d in self.defs:
            graph.setdefault(f"{d.subject}:{d.name}", set()).update(f"{d.subject}:{x}" for x in d.expr.reads)
        def cycle(cyc: list[str]) -> None:
            n = cyc[0]
            rule = next((r for r in self.rules if f"{r.subject}:{r.outputs()[0] if r.outputs() else ''}" == n), None)
            chain = _chain([c.split(":")[1] for c in cyc])
            self.add(Diagnostic("PE031", Text("结果之间循环依赖：" + chain, "outcomes depend on each other in a cycle: " + chain),
                                rule.span if rule else None,
                                hint=Text("一个结果不能由它自己算出", "an outcome cannot be computed from itself"),
                                source_line=self._line(rule.span) if rule else None))

        topological_order(graph, on_cycle=cycle)

    def declared_ids(self) -> dict[str, set[str]]:
        """The ids each file declares, whether or not they checked (for the coverage tables)."""
        return {doc_id: {r.id for r in rf.rules} | set(rf.parameters) | set(rf.definitions)
                for doc_id, (_, rf) in self.by_doc.items()}


_IDENT = re.compile(r"[^\W\d]\w*\Z")
_ZH_KIND = {"fact": "事实", "parameter": "参数", "definition": "定义", "outcome": "结果", "output": "结果"}
_ZH_RESERVED = {"as_of": "个案的日期 as_of"}


def _kind_of(t) -> str:
    """The kind a declaration fixes: nullability and int-versus-decimal widening aside."""
    k = t.kind
    return "number" if k in ("int", "decimal") else k


def _codepoints(name: str) -> str:
    """A name with its non-ASCII characters spelt out: 'gооd' → 'g\\u043e\\u043ed'."""
    return "'" + "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in name) + "'"


def _span_text(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}-{b}"


def _sweep(ranges, top: int, rank):
    """Runs of the values 0..top over which the same ``ranges`` (objects with ``min``/``max``,
    either None for open) apply: ``(first, last, lowest index, second lowest index, winner)`` —
    the indices None where fewer ranges apply; the winner is the applying range of smallest
    ``rank(k)``.  A sweep over the ends: O(n log n) in the ranges, whatever the numbers."""
    import heapq

    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for k, r in enumerate(ranges):
        lo, hi = max(r.min if r.min is not None else 0, 0), min(r.max if r.max is not None else top, top)
        if lo <= hi:
            starts.setdefault(lo, []).append(k)
            ends.setdefault(hi + 1, []).append(k)
    points = sorted({0, top + 1, *starts, *ends})
    active: set[int] = set()
    by_index: list[int] = []
    by_rank: list = []
    out = []
    for i, p in enumerate(points[:-1]):
        for k in ends.get(p, ()):
            active.discard(k)
        for k in starts.get(p, ()):
            active.add(k)
            heapq.heappush(by_index, k)
            heapq.heappush(by_rank, (rank(k), k))
        while by_index and by_index[0] not in active:
            heapq.heappop(by_index)
        while by_rank and by_rank[0][1] not in active:
            heapq.heappop(by_rank)
        first = by_index[0] if active else None
        second = None
        if len(active) > 1:
            top_ = heapq.heappop(by_index)
            while by_index and by_index[0] not in active:
                heapq.heappop(by_index)
            second = by_index[0]
            heapq.heappush(by_index, top_)
        out.append((p, points[i + 1] - 1, first, second, by_rank[0][1] if active else None))
    return out


def _unknown_output(name: str) -> Text:
    return Text(f"结果 '{name}' 没有声明", f"unknown output '{name}'")


def _what_zh(what: str) -> str:
    if what.startswith("the value of "):
        return what[len("the value of "):] + " 的值"
    return _ZH_WHAT.get(what, what)


_ZH_WHAT = {"'when'": f"'when'（{KEYS_ZH['when']}）", "a condition": KEYS_ZH["condition"],
            "a compliance check": "义务的核查（check）", "a definition": "定义",
            "an item's value": f"{KEYS_ZH['items']}的{KEYS_ZH['value']}", "bonus points": "加分"}


def _range(t, lang: str = "en") -> str:
    """A tier's range in words: '30 and more' / '30及以上'."""
    zh = lang == "zh"
    if t.min is not None and t.max is not None:
        return f"{t.min}-{t.max}" if t.min != t.max else f"{t.min}"
    if t.min is not None:
        return f"{t.min}及以上" if zh else f"{t.min} and more"
    if t.max is not None:
        return f"{t.max}及以下" if zh else f"up to {t.max}"
    return "任何数值" if zh else "any value"


# the fields only some kinds of rule read (the others are every rule's), and which kinds read them
_TABLE_FIELDS = ("items", "bonus", "cap", "grades", "score_output", "grade_output")
_KIND_ONLY = ("condition", "check", "value", "output", *_TABLE_FIELDS)  # (a deadline on a non-target: its own message)
_KIND_FIELDS = {"eligibility": ("condition", "output"), "target": ("condition", "output"),
                "obligation": ("check", "output"), "entitlement": ("value", "output"), "sanction": ("value", "output"),
                "scoring": _TABLE_FIELDS}
_KIND_READS = {"eligibility": "condition", "target": "condition", "obligation": "check", "entitlement": "value",
               "sanction": "value"}
_KIND_ZH = {"eligibility": "条件", "obligation": "义务", "scoring": "评分", "entitlement": "待遇", "sanction": "处理",
            "target": "目标"}
_FIELD_EN = {"condition": "condition", "check": "compliance check"}


def _a(kind: str) -> str:
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _did_you_mean(name: str, candidates) -> Text | None:
    s = suggest(name, list(candidates))
    return Text(f"是不是 '{s}'？", f"did you mean '{s}'?") if s else None


def _unknown_subject(s: str) -> Text:
    return Text(f"不认识的对象 '{s}'", f"unknown subject '{s}'")


def _subjects_hint() -> Text:
    return Text("对象只能是：" + "、".join(SUBJECTS), "subjects: " + ", ".join(SUBJECTS))


def _declare_output_hint() -> Text:
    return Text("在 outputs 下声明它", "declare it under 'outputs:'")


def _assignable(t: T, want: T) -> bool:
    if t.kind in ("any",) or want.kind == "any":
        return True
    if t.kind == "null":
        return True
    if want.numeric and t.numeric:
        return want.kind == "decimal" or t.kind == "int"
    if want.kind == "enum":
        return t.kind == "enum" and t.enum == want.enum or t.kind == "string"
    return t.kind == want.kind


def check_files(files: list[Loaded], limits: Limits = DEFAULT_LIMITS, pre: list[Diagnostic] | None = None) -> PolicySet:
    """Check loaded rule files and return the policy set with every diagnostic found."""
    with suggestion_budget():  # did-you-mean stays linear however many names are unknown
        return _check_files(files, limits, pre)


def _check_files(files: list[Loaded], limits: Limits, pre: list[Diagnostic] | None) -> PolicySet:
    diags: list[Diagnostic] = list(pre or [])
    valid: list[tuple[Loaded, Any]] = []
    # the files that could not be read (or failed their schema): what they declare is missing
    failed = {d.span.file for d in diags if d.is_error and d.span is not None}
    for f in files:
        rf, ds = validate_file(f)
        diags.extend(ds)
        if rf is not None:
            valid.append((f, rf))
        else:
            failed.add(f.path)
    c = _Check(valid, limits)
    c.declare()
    def_types = c.definitions()
    c.rules_(def_types)
    c.collisions()
    c.cycles()
    coverage = {doc_id: dict(rf.coverage) for doc_id, (_, rf) in c.by_doc.items()}
    ps = PolicySet(c.documents, c.jurisdictions, {"types": c.enums, "labels": c.enum_labels}, c.facts, tuple(c.params),
                   tuple(c.defs), c.outputs, tuple(c.rules), coverage, (), {d: l for d, (l, _) in c.by_doc.items()})
    from .merge import layering_diagnostics  # step 6 lives with the merge it explains

    diags.extend(c.diags)
    complete = not failed and not any(d.is_error for d in c.diags)
    if complete:
        diags.extend(layering_diagnostics(ps))
        diags.extend(lint(ps))
    diags.extend(coverage_references(ps, c.declared_ids()))
    if failed:  # one mistake, one diagnostic: the names the failed file declares are missing elsewhere
        diags = [d for d in diags if d.code not in _CONSEQUENCES or d.span is None or d.span.file in failed]
    return PolicySet(ps.documents, ps.jurisdictions, ps.enums, ps.facts, ps.params, ps.definitions, ps.outputs, ps.rules,
                     ps.coverage, tuple(sorted(acknowledge(c.files, list(_dedupe(diags)), complete), key=sort_key)), ps.sources)


# What another file reports when a file it relies on could not be read: an unknown jurisdiction,
# rule, parameter, name, enum, subject or output, and a declaration it differs from.
_CONSEQUENCES = frozenset({"PE022", "PE025", "PE026", "PE033", "PE034", "PE035", "PE038", "PE039"})


def _dedupe(diags):
    seen = set()
    for d in diags:
        k = (d.code, d.span, d.message)
        if k not in seen:
            seen.add(k)
            yield d
