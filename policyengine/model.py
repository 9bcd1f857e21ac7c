"""The rule-file format (``kind: policy-document``, ``version: 1``), as pydantic models.

One YAML file per issuing document.  The models are strict: unknown fields
are errors (with a did-you-mean), and nothing is coerced — a quoted "30" is
text, not a number.  ``policyengine schema`` prints the JSON Schema of
:class:`RuleFile` so that editors can complete and validate rule files.

These models are the one definition of the format.  A valid file is read
without them, through shapes compiled from them (:mod:`policyengine.records`,
``_model_tables.py``: regenerate with ``python -m policyengine.records`` after
editing this file); a file with mistakes is validated by them, and their
errors become the diagnostics.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .records import KIND, RULE_KINDS, SUBJECTS, VERSION, expression_text as _expression_text

__all__ = ["Text", "Label", "RuleFile", "DocumentMeta", "JurisdictionDecl", "EnumDecl", "FactDecl", "ParameterDecl",
           "DefinitionDecl", "OutputDecl", "RuleDecl", "ScoringItem", "Tier", "BonusItem", "GradeBand", "Acknowledgement", "CaseFile",
           "SUBJECTS", "RULE_KINDS", "KIND", "VERSION"]

ID = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$", description="lower-case letters, digits, '_', '.', '-'")


# the prose a pack writes for people (readings, ambiguities, notes, reasons) is a Label like the
# names: plain text, or {zh, en} so that each language's output shows its own
_READING = "a reading of the document settled by the product owner: reported by check; text or {zh, en}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Text(_Strict):
    """A text in Chinese with an optional English version."""

    zh: str
    en: str | None = None


Label = Union[str, Text]


class DocumentMeta(_Strict):
    id: str = ID
    title: Label
    issuer: Label
    number: str | None = Field(None, description="文号, e.g. 国办发〔2016〕32号")
    jurisdiction: str = Field(description="jurisdiction id, e.g. cn/nm/baotou")
    extends: str | None = Field(None, description="the jurisdiction whose layer this one extends (its parent)")
    issued: _dt.date | None = None
    effective: _dt.date
    effective_until: _dt.date | None = None
    supersedes: list[str] = Field(default_factory=list, description="ids of earlier documents of the same issuer")
    dates_assumed: Label | None = Field(
        None, description="why a date above is an assumption (undated source); text or {zh, en}")
    source: str | None = Field(None, description="where the text of the document is")
    notes: list[Label] = Field(default_factory=list, description="remarks, each text or {zh, en}")


class JurisdictionDecl(_Strict):
    id: str
    name: Label
    level: Literal["national", "region", "city", "university", "district"]
    parent: str | None = None
    cites: list[str] = Field(default_factory=list, description="documents of this layer cited but not encoded")


class EnumValue(_Strict):
    id: str
    label: Label | None = None


class EnumDecl(_Strict):
    ordered: bool = False
    values: list[Union[str, EnumValue]]
    label: Label | None = None


FactTypeName = Literal["bool", "int", "decimal", "date", "string", "enum", "list"]


class FieldDecl(_Strict):
    type: FactTypeName
    enum: str | None = None
    min: Union[int, Decimal, None] = None
    max: Union[int, Decimal, None] = None
    label: Label | None = None


class FactDecl(_Strict):
    type: FactTypeName
    label: Label
    enum: str | None = Field(None, description="for type enum: the name of a declared enum")
    min: Union[int, Decimal, None] = None
    max: Union[int, Decimal, None] = None
    nullable: bool = Field(False, description="null is a meaningful value (e.g. 'no false information found')")
    default: Any = Field(None, description="used when a case leaves the fact out")
    fields: dict[str, FieldDecl] | None = Field(None, description="for type list: the record fields of each item")
    citation: str | None = None


class ParameterDecl(_Strict):
    value: Union[bool, int, Decimal, str, _dt.date]
    label: Label
    citation: str
    stricter: Literal["higher", "lower"] | None = Field(
        None, description="which way is stricter: a lower layer may move the value only that way")
    default: bool = Field(False, description="the document states the value as a default (一般); lower layers may replace it")
    output: str | None = Field(None, description="publish the value as this outcome")
    subject: str | None = Field(None, description="the subject the published outcome belongs to")
    favourable: Literal["higher", "lower"] | None = Field(
        None, description="which way favours the subject: a later value that way applies to an earlier event (in_force_on)")
    reading: Label | None = Field(None, description=_READING)
    note: Label | None = Field(None, description="a remark, text or {zh, en}")


class DefinitionDecl(_Strict):
    subject: str
    expr: str
    label: Label
    citation: str | None = None
    default: bool = Field(False, description="a lower layer may replace this definition")
    reading: Label | None = Field(None, description=_READING)

    _expr = field_validator("expr", mode="before")(_expression_text)


class OutputDecl(_Strict):
    type: str = Field(description="bool, int, decimal, date, string, or an enum name")
    combine: Literal["all", "any", "override", "max", "min"] = "override"
    subjects: list[str]
    label: Label


class Tier(_Strict):
    min: int | None = None
    max: int | None = None
    points: int
    label: Label | None = None


class ScoringItem(_Strict):
    id: str = ID
    label: Label
    citation: str
    value: str = Field(description="expression giving the counted quantity")
    max: int
    tiers: list[Tier]

    _expr = field_validator("value", mode="before")(_expression_text)


class BonusItem(_Strict):
    id: str = ID
    label: Label
    citation: str
    points: str = Field(description="expression giving the bonus points")
    max: int

    _expr = field_validator("points", mode="before")(_expression_text)


class GradeBand(_Strict):
    min: int | None = None
    max: int | None = None
    grade: str
    label: Label | None = None


class RuleDecl(_Strict):
    id: str = ID
    kind: Literal["eligibility", "obligation", "scoring", "entitlement", "sanction", "target"]
    subject: str
    label: Label
    citation: str | None = None
    when: str | None = Field(None, description="the rule applies only where this holds")
    condition: str | None = Field(None, description="eligibility and target: what must hold")
    check: str | None = Field(None, description="obligation: how compliance is checked from the facts")
    value: str | None = Field(None, description="entitlement and sanction: the value of the outcome")
    output: str | None = None
    requirement: Label | None = Field(None, description="what is required, in words, for explanations")
    restates: list[str] = Field(default_factory=list, description="ids of higher-layer rules this one restates")
    replaces: str | None = Field(None, description="id of a default rule of a higher layer this one replaces")
    binding: bool = Field(True, description="false where the document softens it (一般, 原则上)")
    default: bool = Field(False, description="a lower layer may replace this rule")
    effective: _dt.date | None = None
    effective_until: _dt.date | None = None
    ambiguity: Label | None = Field(None, description="where the document is unclear: reported by check; text or {zh, en}")
    reading: Label | None = Field(None, description=_READING)
    deadline: _dt.date | None = Field(None, description="target: pending while not reached before this day; met or failed from it")
    delegates: Literal["region", "city", "university", "district"] | None = Field(
        None, description="a lower layer of this level may replace this rule (the document leaves it to that level)")
    note: Label | None = Field(None, description="a remark, text or {zh, en}")
    # scoring tables
    items: list[ScoringItem] | None = None
    bonus: list[BonusItem] | None = None
    cap: int | None = None
    grades: list[GradeBand] | None = None
    score_output: str = "score"
    grade_output: str = "grade"

    _expr = field_validator("when", "condition", "check", "value", mode="before")(_expression_text)


class Acknowledgement(_Strict):
    """A warning of this file that an officer has reviewed and accepts (``check --strict`` passes it;
    ``check --notes`` shows it with the reason).  An acknowledgement that matches no warning is
    itself a warning (PE104), so that a stale one is found."""

    code: str = Field(pattern=r"^PE[0-9]{3}$", description="the warning's code, e.g. PE058")
    at: Union[str, list[str]] = Field(
        description="what the warning is about: a rule id, a parameter, definition, fact or outcome name, the "
                    "document id, or a coverage article (one, or a list sharing the reason)")
    about: str | None = Field(None, description="text the warning's message must contain, where one place has several")
    reason: Label = Field(description="why the warning is accepted, for the next officer who reads it")


class RuleFile(_Strict):
    """One issuing document as a rule file."""

    kind: Literal["policy-document"]
    version: Literal[1]
    document: DocumentMeta
    jurisdictions: list[JurisdictionDecl] = Field(default_factory=list)
    enums: dict[str, EnumDecl] = Field(default_factory=dict)
    facts: dict[str, dict[str, FactDecl]] = Field(default_factory=dict, description="subject -> fact name -> declaration")
    parameters: dict[str, ParameterDecl] = Field(default_factory=dict)
    definitions: dict[str, DefinitionDecl] = Field(default_factory=dict)
    outputs: dict[str, OutputDecl] = Field(default_factory=dict)
    rules: list[RuleDecl] = Field(default_factory=list)
    coverage: dict[str, Union[list[str], str, Text]] = Field(
        default_factory=dict, description="article -> rule/parameter ids encoding it, or 'not decisional: why', "
                                          "or why it decides nothing in both languages as {zh, en}")
    acknowledged: list[Acknowledgement] = Field(
        default_factory=list, description="warnings of this file reviewed and accepted, each with its reason")


class CaseFile(BaseModel):
    """A case: a subject at a jurisdiction on a date, with its facts."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # used for the schema only
    subject: Literal["commissioner", "enterprise", "workstation", "jurisdiction"]
    jurisdiction: str
    as_of: _dt.date
    facts: dict[str, Any] = Field(default_factory=dict)
    expect: dict[str, Any] | None = Field(None, description="for policyengine test: expected outputs")
    name: str | None = None
    description: str | None = None
