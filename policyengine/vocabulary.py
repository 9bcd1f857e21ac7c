"""The fact vocabulary: which facts a subject takes, of what type, with which values.

``policyengine facts [--subject S] [--jurisdiction J]`` prints it; ``docs/facts.md``
is the same table for the shipped packs (regenerate with ``python -m
policyengine.vocabulary``; a test fails when it is stale).
"""
from __future__ import annotations

import json
from typing import Any

from .diagnostics import printable
from .explain import dumps, to_json_value
from .policy import Fact, PolicySet
from .records import text_of
from .types import T

__all__ = ["fact_rows", "render_facts"]


def _type_text(t: T, lang: str = "en") -> str:
    """The type as the listing shows it: English in the data (JSON, docs/facts.md), and in the
    officer's words in a Chinese listing."""
    zh = lang == "zh"
    if t.kind == "list" and t.elem is not None:
        return f"{_type_text(t.elem, lang)}的列表" if zh else f"list of {_type_text(t.elem)}"
    if t.kind == "record":
        return ("记录{" if zh else "record{") + ", ".join(f"{n}: {_type_text(ft, lang)}" for n, ft in t.fields) + "}"
    if t.kind == "enum" and t.enum is not None:
        if zh:
            return f"枚举 {t.enum.name}" + ("（有先后顺序）" if t.enum.ordered else "")
        return f"enum {t.enum.name}" + (" (ordered)" if t.enum.ordered else "")
    return t.zh if zh else t.kind


def _values(ps: PolicySet, f: Fact) -> list[dict]:
    t = f.type
    if t.kind != "enum" or t.enum is None:
        return []
    labels = ps.enums.get("labels", {}).get(t.enum.name, {})
    return [{"value": v, "zh": text_of(labels[v], "zh") if v in labels else None,
             "en": text_of(labels[v], "en") if v in labels else None} for v in t.enum.values]


def fact_rows(ps: PolicySet, subject: str | None = None, jurisdiction: str | None = None) -> list[dict[str, Any]]:
    """One row per fact, ordered by subject and name.  With ``jurisdiction``, only the facts
    that the documents on the path to it declare."""
    if jurisdiction is not None:
        subjects = [subject] if subject else sorted({s for s, _ in ps.facts})
        facts = [f for s in subjects for f in ps.declared_facts(s, jurisdiction).values()]
    else:
        facts = [f for (s, _), f in ps.facts.items() if subject is None or s == subject]
    rows = []
    for f in sorted(facts, key=lambda f: (f.subject, f.name)):
        doc = ps.documents[f.document]
        rows.append({
            "subject": f.subject, "name": f.name, "type": _type_text(f.type), "type_zh": _type_text(f.type, "zh"),
            "nullable": f.nullable or f.type.nullable,
            "values": _values(ps, f),
            "min": to_json_value(f.min), "max": to_json_value(f.max),
            "default": to_json_value(f.default) if f.has_default else None, "has_default": f.has_default,
            "label": {"zh": text_of(f.label, "zh"), "en": text_of(f.label, "en")},
            "document": doc.id, "jurisdiction": doc.jurisdiction,
        })
    return rows


def _allowed(row: dict, lang: str) -> str:
    parts = []
    if row["values"]:
        parts.append(", ".join(v["value"] + (f" ({v[lang]})" if v.get(lang) and v[lang] != v["value"] else "")
                               for v in row["values"]))
    if row["min"] is not None or row["max"] is not None:
        lo = "" if row["min"] is None else str(row["min"])
        hi = "" if row["max"] is None else str(row["max"])
        parts.append(f"{lo}…{hi}")
    if row["nullable"]:
        parts.append("null")
    if row["has_default"]:
        parts.append(("默认 " if lang == "zh" else "default ") + dumps_inline(row["default"]))
    return "; ".join(parts)


def dumps_inline(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def _md_cell(s: str) -> str:
    return printable(s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " "))


def render_facts(rows: list[dict], fmt: str = "text", lang: str = "zh") -> str:
    if fmt == "json":
        return dumps({"facts": rows}) + "\n"
    other = "en" if lang == "zh" else "zh"
    if fmt == "md":
        out = []
        for subject in sorted({r["subject"] for r in rows}):
            out += [f"## {subject}", "",
                    "| 事实 fact | 类型 type | 取值 allowed values | 含义 meaning | 声明于 declared in |",
                    "|---|---|---|---|---|"]
            out += ["| " + " | ".join(_md_cell(c) for c in (
                f"`{r['name']}`", r["type"], _allowed(r, lang), f"{r['label'][lang]} / {r['label'][other]}",
                f"{r['document']} ({r['jurisdiction']})")) + " |" for r in rows if r["subject"] == subject]
            out.append("")
        return "\n".join(out)
    out = []
    for r in rows:
        # labels come from rule files: one line each, no control or bidi character (see printable)
        t = r["type_zh"] if lang == "zh" else r["type"]
        out.append(printable(f"{r['subject']}.{r['name']}: {t} — {r['label'][lang]} ({r['label'][other]})"))
        allowed = _allowed(r, lang)
        if allowed:
            out.append(f"    {printable(allowed)}")
    return "\n".join(out) + ("\n" if out else "")


DOC_HEAD = """# 事实一览 / The facts

<!-- generated from the shipped packs by `python -m policyengine.vocabulary`; do not edit by hand -->

每个主体（subject）可以填写的事实：名称、类型、允许的取值和含义。案例文件的 `facts:`
只能写这里列出的名称；不知道的事实不写。某个层级适用哪些事实，用
`policyengine facts --subject S --jurisdiction J` 查看（只列出从 `cn` 到该层级的文件声明的事实）。

The facts each subject takes: name, type, allowed values and meaning.  A case file's
`facts:` may only use these names; leave out what is not known.  For the facts in force at
one jurisdiction (declared by the documents on the path from `cn` to it), run
`policyengine facts --subject S --jurisdiction J`.

"""


def facts_doc(ps: PolicySet) -> str:
    """docs/facts.md for a policy set."""
    return DOC_HEAD + render_facts(fact_rows(ps), "md")


if __name__ == "__main__":  # pragma: no cover - the test compares the file with facts_doc()
    import sys
    from pathlib import Path

    from .api import Policies

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "facts.md"
    target.write_text(facts_doc(Policies.load().policy_set), encoding="utf-8")
    print(f"wrote {target}")
