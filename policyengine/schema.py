"""JSON Schemas: of rule files, of case files, and of the evaluate output."""
from __future__ import annotations

from typing import Any

from .model import SUBJECTS, CaseFile, RuleFile

__all__ = ["rule_schema", "case_schema", "decision_schema"]

_ID = "https://policyengine.invalid/schema"


def rule_schema() -> dict:
    s = RuleFile.model_json_schema()
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = f"{_ID}/rule-file.json"
    s["title"] = "policyengine rule file (kind: policy-document, version: 1)"
    return s


def _fact_schema(f) -> dict:
    t = f.type
    base: dict[str, Any]
    if t.kind == "bool":
        base = {"type": "boolean"}
    elif t.kind == "int":
        base = {"type": "integer"}
        if f.min is not None:
            base["minimum"] = int(f.min)
        if f.max is not None:
            base["maximum"] = int(f.max)
    elif t.kind == "decimal":
        base = {"type": "number"}
    elif t.kind == "date":
        base = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    elif t.kind == "enum":
        base = {"enum": list(t.enum.values)}
    elif t.kind == "list":
        props = {}
        for n, ft in t.elem.fields:
            props[n] = {"enum": list(ft.enum.values)} if ft.kind == "enum" else \
                {"type": {"int": "integer", "bool": "boolean", "decimal": "number"}.get(ft.kind, "string")}
            if ft.kind == "int":  # (a record's whole numbers are counts and years: a case refuses one below 0)
                props[n]["minimum"] = 0
        base = {"type": "array", "items": {"type": "object", "properties": props, "required": sorted(props),
                                           "additionalProperties": False}}
    else:
        base = {"type": "string"}
    from .records import text_of

    base["description"] = text_of(f.label)
    if f.nullable:
        return {"anyOf": [base, {"type": "null"}], "description": base["description"]}
    return base


def case_schema(policies=None) -> dict:
    """The case-file schema; with the shipped packs, the facts of each subject are spelt out."""
    s = CaseFile.model_json_schema()
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = f"{_ID}/case-file.json"
    s["title"] = "policyengine case file"
    s["properties"]["as_of"] = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    try:
        if policies is None:
            from .api import Policies

            policies = Policies.load()
    except Exception:  # schema without the packs is still useful
        return s
    ps = policies.policy_set
    s["properties"]["jurisdiction"] = {"enum": sorted(ps.jurisdictions)}
    branches = []
    for subj in SUBJECTS:
        facts = {n: _fact_schema(f) for (sj, n), f in sorted(ps.facts.items()) if sj == subj}
        branches.append({"if": {"properties": {"subject": {"const": subj}}},
                         "then": {"properties": {"facts": {"type": "object", "properties": facts,
                                                           "additionalProperties": False}}}})
    s["allOf"] = branches
    return s


def decision_schema() -> dict:
    """The schema of ``policyengine evaluate --format json`` and ``Decision.to_json()`` (compact,
    the default) — and with ``full=True``, where every rule and outcome also carries its kind,
    layer and rendered text."""
    value = {"type": ["boolean", "integer", "string", "null", "array", "object"]}
    rule = {
        "type": "object",
        "required": ["id", "status", "document", "article", "label"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["eligibility", "obligation", "scoring", "entitlement", "sanction", "target", "parameter"]},
            "status": {"enum": ["holds", "fails", "unknown", "pending", "not_applicable", "not_checkable", "value"]},
            "value": value,
            "jurisdiction": {"type": "string"},
            "document": {"type": "string", "description": "a key of the decision's documents"},
            "article": {"type": "string"},
            "label": {"type": "string"},
            "facts": {"type": "object"},
            "missing": {"type": "array", "items": {"type": "string"}},
            "needs": {"type": "string", "description": "what a failed condition requires"},
            "in_force": {"type": "object", "description": "parameter -> the value in force, with the document "
                         "(a key of the decision's documents) and article that set it",
                         "additionalProperties": {"type": "object", "required": ["value", "document", "article"]}},
            "text": {"type": "string"},
            "replaced": {"type": "array"},
            "ignored": {"type": "array"},
            "detail": {"type": "object"},
        },
        "additionalProperties": False,
    }
    ids = {"type": "array", "items": {"type": "string"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_ID}/decision.json",
        "title": "policyengine evaluate output",
        "type": "object",
        "required": ["subject", "jurisdiction", "as_of", "outputs", "explanation"],
        "properties": {
            "subject": {"enum": list(SUBJECTS)},
            "jurisdiction": {"type": "string"},
            "as_of": {"type": "string", "format": "date"},
            "outputs": {"type": "object", "additionalProperties": value},
            "explanation": {"type": "array", "items": {
                "type": "object",
                "required": ["output", "label", "value", "status", "deciding"],
                "properties": {
                    "output": {"type": "string"}, "label": {"type": "string"}, "value": value,
                    "status": {"enum": ["decided", "undetermined", "null"]},
                    "deciding": {"type": "array", "items": rule},
                    "others": {"type": "array", "items": rule,
                               "description": "full=True: the rules looked at that did not decide"},
                    "missing_facts": ids, "text": {"type": "string"},
                },
                "additionalProperties": False}},
            "documents": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["title", "number", "jurisdiction"],
                "properties": {"title": {"type": "string"}, "number": {"type": ["string", "null"]},
                               "jurisdiction": {"type": "string"}},
                "additionalProperties": False}},
            "layers": {"type": "array", "items": {"type": "object", "required": ["jurisdiction", "name", "documents"]}},
        },
        "additionalProperties": False,
    }
