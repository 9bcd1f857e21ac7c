"""What the library promises its callers: every failure is a PolicyError with located
diagnostics, no case shares state with another, decisions pickle, the JSON is compact and
names each document once."""
from __future__ import annotations

import collections
import dataclasses
import json
import pickle
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from policyengine import Decision, Policies, PolicyError
from policyengine.load import DEFAULT_LIMITS, Limits

ROOT = Path(__file__).resolve().parent.parent
IMUST_EXAMPLE = ROOT / "examples" / "imust_teacher_annual_evaluation.yaml"
BASE = {"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10",
        "facts": {"registered_in_region": True, "is_tech_enterprise": True, "does_rd_and_production": True,
                  "operating_normally": True, "well_managed": True, "bad_credit_record": False,
                  "has_research_conditions": True, "has_research_funds": True, "listed_exchange": "domestic"}}


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests pin the English wording of the diagnostics; tests/test_messages.py pins the Chinese."""
    monkeypatch.setenv("POLICYENGINE_LANG", "en")


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


class Text(str):
    """A caller's str subclass whose behaviour must never reach the engine."""

    def __eq__(self, other):  # pragma: no cover - must not be called
        raise AssertionError("the engine compared the caller's str subclass")

    __hash__ = str.__hash__


def _codes(e: PolicyError) -> list[str]:
    assert e.diagnostics, "a PolicyError carries diagnostics"
    return [d.code for d in e.diagnostics]


@pytest.mark.parametrize("bad", [None, [1, 2], 123, 4.5, object(), b"subject: enterprise"],
                         ids=["None", "list", "int", "float", "object", "bytes"])
def test_evaluate_refuses_what_is_not_a_case_with_a_policy_error(policies, bad):
    with pytest.raises(PolicyError) as e:
        policies.evaluate(bad)
    assert _codes(e.value) == ["PE090"]
    assert "a case is a mapping or the path of a case file" in str(e.value)


@pytest.mark.parametrize("bad", [123, None, 4.5, ["policies"]], ids=["int", "None", "float", "list"])
def test_load_refuses_paths_that_are_not_paths(bad):
    with pytest.raises(PolicyError) as e:
        Policies.load(bad)
    assert _codes(e.value) == ["PE090"]


def test_an_empty_policy_path_is_refused_not_read_as_the_working_folder(tmp_path, monkeypatch):
    """Path("") is ".": Policies.load(os.environ.get("POLICY_DIR", "")) read every YAML file under the
    working folder (the whole disk for a service started in /).  (Path("") itself is Path("."): a
    folder named, read as such.)"""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stray.yaml").write_text("kind: policy\n", encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        Policies.load("")
    assert _codes(e.value) == ["PE090"] and "empty" in e.value.diagnostics[0].message


@pytest.mark.parametrize("name", ["pol\x00icies", "x" * 300], ids=["nul", "too-long"])
def test_a_path_the_system_cannot_open_is_pe070(policies, name):
    """A name holding NUL (os.open's ValueError) or longer than the system allows (an OSError from
    is_dir) escaped as a bare exception from load, evaluate and case."""
    for call in (lambda: Policies.load(name), lambda: policies.evaluate(name), lambda: policies.case(name)):
        with pytest.raises(PolicyError) as e:
            call()
        assert _codes(e.value) == ["PE070"]


def test_load_refuses_limits_that_are_not_limits():
    with pytest.raises(PolicyError) as e:
        Policies.load(limits={"max_depth": 3})
    assert _codes(e.value) == ["PE090"]


PACK = """kind: policy-document
version: 1
document:
  id: t.pack
  title: 测试文件
  issuer: 测试
  jurisdiction: cn
  effective: 2020-01-01
jurisdictions:
  - {id: cn, name: 全国, level: national}
facts:
  commissioner:
    service_days: {type: int, min: 0, max: 366, label: 天数}
    history:
      type: list
      fields: {year: {type: int}}
      default: []
      label: 历年记录
outputs:
  eligible: {type: bool, combine: all, subjects: [commissioner], label: 符合条件}
rules:
  - id: t.days
    kind: eligibility
    subject: commissioner
    label: 天数
    citation: 第一条
    condition: CONDITION
"""


def _pack(tmp_path: Path, condition: str = "service_days >= 30 and len(history) == 0") -> Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "pack.yaml").write_text(PACK.replace("CONDITION", condition), encoding="utf-8")
    return folder


def test_relaxed_limits_end_in_a_policy_error_not_a_recursion_error(tmp_path):
    relaxed = dataclasses.replace(DEFAULT_LIMITS, max_depth=10 ** 9, max_expression_depth=10 ** 9,
                                  max_expression_tree_depth=10 ** 9, max_expression_chars=10 ** 7,
                                  max_expression_nodes=10 ** 9)
    folder = _pack(tmp_path, "not " * 5_000 + "service_days >= 30")
    with pytest.raises(PolicyError) as e:
        Policies.load(folder, limits=relaxed).evaluate(
            {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-01-01", "facts": {"service_days": 40}})
    assert set(_codes(e.value)) <= {"PE007", "PE021", "PE080"}, e.value


@pytest.mark.parametrize("wrap", [collections.UserDict, types.MappingProxyType, collections.OrderedDict],
                         ids=["UserDict", "MappingProxyType", "OrderedDict"])
def test_any_mapping_is_a_case(policies, wrap):
    d = policies.evaluate(wrap(BASE), explain=False)
    assert d.outputs == policies.evaluate(dict(BASE), explain=False).outputs
    assert d.outputs["eligible"] is True


def test_a_mapping_that_cannot_be_read_is_a_policy_error(policies):
    class Broken(collections.abc.Mapping):
        def __getitem__(self, k):
            raise KeyError(k)

        def __iter__(self):
            raise RuntimeError("no")

        def __len__(self):
            return 1

    with pytest.raises(PolicyError) as e:
        policies.evaluate(Broken())
    assert _codes(e.value) == ["PE090"]


def test_str_subclasses_are_read_as_plain_text(policies):
    case = dict(BASE, subject=Text("enterprise"), jurisdiction=Text("cn/nm/baotou"),
                facts=dict(BASE["facts"], listed_exchange=Text("domestic")))
    d = policies.evaluate(case)
    assert d.outputs == policies.evaluate(BASE).outputs
    assert type(d.subject) is str and type(d.jurisdiction) is str
    json.loads(d.to_json())


def test_an_unknown_language_is_an_error_naming_the_choices(policies):
    with pytest.raises(PolicyError) as e:
        policies.evaluate(BASE, lang="fr")
    assert _codes(e.value) == ["PE090"]
    assert '"fr"' in str(e.value) and "zh, en" in str(e.value)


def test_list_defaults_are_never_shared_between_cases(tmp_path):
    pol = Policies.load(_pack(tmp_path))
    case = {"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-01-01", "facts": {"service_days": 40}}
    c1, c2 = pol.case(case), pol.case(case)
    assert c1.facts["history"] == () == c2.facts["history"]
    declared = pol.policy_set.facts[("commissioner", "history")].default
    assert c1.facts["history"] is not declared, "the declaration's own object is handed out"
    with pytest.raises(AttributeError):
        c1.facts["history"].append({"year": 2020})  # a case holds lists as tuples: nothing to change
    assert declared == [] and pol.evaluate(case).outputs["eligible"] is True


def test_decisions_pickle_with_their_explanation(policies):
    d = policies.evaluate(IMUST_EXAMPLE)
    back = pickle.loads(pickle.dumps(d))
    assert isinstance(back, Decision)
    assert back.outputs == d.outputs
    assert back.to_json() == d.to_json()
    assert back.to_text() == d.to_text()
    quiet = pickle.loads(pickle.dumps(policies.evaluate(IMUST_EXAMPLE, explain=False)))
    assert quiet.outputs == d.outputs and quiet.explanation == ()


def _decide_in_child(path: str) -> Decision:
    return Policies.load().evaluate(path)


def test_a_process_pool_can_return_decisions(policies):
    with ProcessPoolExecutor(max_workers=1) as pool:
        got = pool.submit(_decide_in_child, str(IMUST_EXAMPLE)).result(timeout=120)
    assert got.to_json() == policies.evaluate(IMUST_EXAMPLE).to_json()


def test_to_json_is_compact_by_default_and_indented_on_request(policies):
    d = policies.evaluate(IMUST_EXAMPLE)
    compact = d.to_json()
    assert "\n" not in compact and ", " not in compact.split('"label"')[0]
    pretty = d.to_json(indent=2)
    assert pretty.startswith('{\n  "as_of"')
    assert json.loads(compact) == json.loads(pretty)


def test_the_explained_imust_decision_is_at_most_16_kib_and_names_each_document_once(policies):
    d = policies.evaluate(IMUST_EXAMPLE)
    text = d.to_json()
    assert len(text.encode("utf-8")) <= 16 * 1024, len(text.encode("utf-8"))
    data = json.loads(text)
    assert {"subject", "jurisdiction", "as_of", "outputs", "explanation"} <= set(data)  # the CONTRACT keys
    docs = data["documents"]
    for e in data["explanation"]:
        for r in e["deciding"]:
            assert r["document"] in docs and r["article"]
    for doc_id, doc in docs.items():
        assert doc["title"] and doc["jurisdiction"] and "number" in doc
        assert text.count(json.dumps(doc["title"], ensure_ascii=False)) == 1, "a title is written once"


def test_full_json_keeps_every_rule_in_detail(policies):
    d = policies.evaluate(IMUST_EXAMPLE)
    full = json.loads(d.to_json(full=True))
    compact = json.loads(d.to_json())
    for f, c in zip(full["explanation"], compact["explanation"]):
        assert [r["id"] for r in f["deciding"]] == [r["id"] for r in c["deciding"]]
        assert "others" not in c and "text" not in c
        assert {r["id"] for r in f["others"]}.isdisjoint(r["id"] for r in f["deciding"])
        assert all("text" in r and "kind" in r for r in f["deciding"] + f["others"])
    assert any(f["others"] for f in full["explanation"])


def test_an_explanation_names_the_value_in_force_and_who_set_it(tmp_path):
    # Baotou raises the region's 30 days to 40; an IMUST teacher with 35 days fails, and the
    # explanation says 40 and the Baotou document, not the region's 30 of the rule's label.
    import shutil

    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack)
    plan = pack / "baotou" / "commissioner_plan.yaml"
    text = plan.read_text(encoding="utf-8")
    text = text.replace("\ndefinitions:\n", "\nparameters:\n  min_service_days:\n    value: 40\n    stricter: higher\n"
                        "    output: min_service_days_per_year\n    subject: commissioner\n"
                        "    label: {zh: 每年服务天数, en: Days a year}\n    citation: 六(一)\n\ndefinitions:\n", 1)
    text = text.replace("coverage:\n", "coverage:\n  六(一)补: [min_service_days]\n", 1)
    plan.write_text(text, encoding="utf-8")
    pol = Policies.load(pack)
    case = pol.case(IMUST_EXAMPLE)
    facts = dict(case.facts, service_days=35)
    d = pol.evaluate({"subject": case.subject, "jurisdiction": case.jurisdiction, "as_of": case.as_of,
                      "facts": facts})
    assert d.outputs["compliant"] is False and d.outputs["min_service_days_per_year"] == 40
    compliant = next(e for e in d.explanation if e.output == "compliant")
    failed = [r for r in compliant.deciding if r.status == "fails"]
    # said as the officer reads it: what is required, where it was set, at which layer, and what the case has
    assert failed and all("要求 ≥ 40（包头市企业科技特派员实施方案 六(一)，cn/nm/baotou），实际 service_days = 35" in r.text
                          for r in failed), [r.text for r in failed]
    d_en = pol.evaluate({"subject": case.subject, "jurisdiction": case.jurisdiction, "as_of": case.as_of,
                         "facts": facts}, lang="en")
    failed_en = [r for e in d_en.explanation if e.output == "compliant" for r in e.deciding if r.status == "fails"]
    assert failed_en and all("needs ≥ 40 (" in r.text and "六(一), cn/nm/baotou" in r.text and "), actual service_days = 35" in r.text
                             for r in failed_en), [r.text for r in failed_en]
    data = json.loads(d.to_json())
    rules = next(e for e in data["explanation"] if e["output"] == "compliant")["deciding"]
    in_force = [r["in_force"]["min_service_days"] for r in rules if "in_force" in r]
    assert in_force and all(x == {"value": 40, "document": "bt.commissioner-plan", "article": "六(一)"}
                            for x in in_force)
    assert data["documents"]["bt.commissioner-plan"]["jurisdiction"] == "cn/nm/baotou"


def test_a_decisions_layers_cannot_be_changed_under_the_next_decision(policies):
    d = policies.evaluate(BASE, explain=False)
    with pytest.raises(TypeError):
        d.layers[0]["name"] = "changed"
    with pytest.raises(AttributeError):
        d.layers[0]["documents"].append("x")
    assert policies.evaluate(BASE).to_dict()["layers"] == json.loads(d.to_json())["layers"]


def _generated_cases(n: int) -> list[dict]:
    import datetime as dt
    import random

    from benchmarks.cases import decision_cases

    return decision_cases(random.Random(20240301), n, as_of=dt.date(2024, 3, 1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_compact_json_written_straight_from_the_record_is_the_one_of_the_explanation(policies, lang):
    # to_json() before the explanation is read takes the short way (explain.compact: only the
    # deciding rules, no sentences); after it is read, the JSON comes from the explanation
    # itself.  Both must be the same, byte for byte, on every kind of case.
    from policyengine.explain import dumps

    cases = _generated_cases(150) + sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".json"))
    empty = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01", "facts": {}}
    seen_missing = seen_fails = 0
    for case in cases + [empty, BASE]:
        short = policies.evaluate(case, lang=lang)
        text = short.to_json()
        assert short._explanation is None, "the compact JSON did not leave the explanation unread"
        short.explanation  # now read: the JSON comes from it
        assert short.to_json() == text
        assert policies.evaluate(case, lang=lang).to_dict() == json.loads(text)
        assert dumps(policies.evaluate(case, lang=lang).to_dict(), None) == text  # (to_json shares, to_dict copies)
        seen_missing += '"missing_facts"' in text
        seen_fails += '"needs"' in text
    assert seen_missing and seen_fails  # the cases reach undetermined outcomes and failed conditions


def test_compact_json_is_what_json_itself_writes_for_any_text(policies):
    # explain.dumps uses orjson for speed; it must write exactly what json.dumps writes, and escape
    # what a terminal acts on (C1, bidirectional controls, line separators) in both.
    from policyengine.explain import dumps

    nasty = "".join(chr(i) for i in range(0x00, 0xa0)) + "\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\u2029—“”…é"
    objs = [{"b": nasty, "a": [1, True, None, "x"], "É": {"z": 2, "\U0001F600": 1, "\uffff": 0}},
            {"big": 2 ** 64, "small": -(2 ** 63) - 1, "ok": 2 ** 63 - 1},  # past 64 bits: json's own answer
            {"lone": "\ud800"}, {"plain": "ascii only"}, {}, []]
    for obj in objs:
        expected = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        got = dumps(obj, None)
        assert json.loads(got) == json.loads(expected)
        for ch in "\u0085\u061c\u200e\u202e\u2066\u2028\u2029":
            assert ch not in got
    assert dumps(objs[3], None) == '{"plain":"ascii only"}'
    d = policies.evaluate(dict(BASE, facts=dict(BASE["facts"], listed_exchange="domestic")))
    assert d.to_json() == dumps(d.to_dict(), None)


def test_a_requirement_without_words_is_said_with_chinese_operators_and_quoted_text_kept():
    from policyengine.explain import _in_words

    expr = 'technical_workstations >= 5 and not name == "a and b" or x != false'
    assert _in_words(expr, "zh") == 'technical_workstations ≥ 5 且 非 name ＝ "a and b" 或 x ≠ 否'
    assert _in_words(expr, "en") == expr


def test_the_text_of_a_decision_speaks_the_officers_language(policies):
    zh = policies.evaluate(IMUST_EXAMPLE).to_text()
    assert zh.startswith("决定：commissioner @ cn/nm/baotou/imust，截至 2024-03-01\n适用层级：")
    assert " = 是" in zh and " = 否" in zh and "未提供" in zh and "qualified（合格）" in zh
    assert not any(f" = {w}" in zh for w in ("true", "false", "null")) and "as of" not in zh
    assert "要求 ≥ 30（内蒙古科技大学企业科技特派员管理办法（试行）（内科大校发〔2023〕45号） 第三条(五)，cn/nm/baotou/imust），实际 service_days = 42" in zh
    en = policies.evaluate(IMUST_EXAMPLE, lang="en").to_text()
    assert en.startswith("Decision: commissioner @ cn/nm/baotou/imust, as of 2024-03-01\nLayers: ")
    assert " = yes" in en and " = no" in en and "not given" in en and "), actual service_days = 42" in en
    assert not any(f" = {w}" in en for w in ("true", "false", "null", "是", "否"))


def test_a_value_in_force_shown_as_an_outcome_is_not_shared_between_decisions(policies):
    # the compact JSON of an outcome that a parameter gives is made once per program and copied
    case = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01", "facts": {}}
    first = policies.evaluate(case).to_dict()
    entry = next(e for e in first["explanation"] if e["deciding"] and e["deciding"][0].get("kind", "parameter") == "parameter"
                 and e["output"] == "min_service_days_per_year")
    before = json.dumps(policies.evaluate(case).to_dict(), sort_keys=True)
    entry["deciding"][0]["label"] = "changed"
    entry["deciding"].append({"id": "added"})
    assert json.dumps(policies.evaluate(case).to_dict(), sort_keys=True) == before
    assert '"changed"' not in before


def test_a_decision_set_by_its_caller_changes_no_other(policies):
    """Unexplained decisions of one program and day share what they are about (one tuple, for the
    collector to walk less); a caller setting an attribute of one gets a tuple of its own: the others,
    and the next decision made there, keep theirs."""
    import datetime as dt

    case = {"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10", "facts": {}}
    a, b = policies.evaluate(case, explain=False), policies.evaluate(case, explain=False)
    assert a._about is b._about
    a.lang, a.subject = "en", "someone"
    assert (a.lang, a.subject) == ("en", "someone")
    c = policies.evaluate(case, explain=False)
    for d in (b, c):
        assert (d.subject, d.jurisdiction, d.as_of, d.lang) == ("enterprise", "cn/nm/baotou", dt.date(2024, 5, 10), "zh")
    e = policies.evaluate(case)
    e.as_of = dt.date(2024, 5, 11)
    assert e.explanation and e.as_of == dt.date(2024, 5, 11)  # (the recorded results stay with it)


def _scribble(v):
    """Change every container in ``v`` in place, as a caller post-processing a decision might."""
    if type(v) is dict:
        for k in list(v):
            if type(v[k]) in (dict, list):
                _scribble(v[k])
            else:
                v[k] = "SCRIBBLED"
        v["scribbled"] = True
    elif type(v) is list:
        for x in v:
            _scribble(x)
        v.append("SCRIBBLED")


EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".json"))


@pytest.mark.parametrize("full", [False, True])
def test_changing_a_decisions_json_changes_no_later_decision(policies, full):
    """Parts of the JSON are worked out once per program (documents cited, values in force, what a rule
    replaced): each decision's to_dict() holds copies.  A caller editing one decision's dict in place (its
    documents, in_force, replaced, detail …) left the edits in every later decision, another person's too."""
    before = {p: policies.evaluate(p).to_json(full=full) for p in EXAMPLES}
    for p in EXAMPLES:
        _scribble(policies.evaluate(p).to_dict(full=full))
    assert {p: policies.evaluate(p).to_json(full=full) for p in EXAMPLES} == before
    assert all("SCRIBBLED" not in j for j in before.values())


def test_changing_a_decisions_explanation_changes_no_later_decision(policies):
    """RuleExplanation is frozen, but its document, params, replaced and ignored are dicts: each decision's
    are its own.  Changing them changed (or, with a parameter's "doc" replaced by text, broke) every later
    decision's explanation."""
    before = {p: (policies.evaluate(p).to_json(full=True), policies.evaluate(p).to_text()) for p in EXAMPLES}
    for p in EXAMPLES:
        for e in policies.evaluate(p).explanation:
            for r in e.rules:
                _scribble(r.document)
                for x in (*r.params, *r.replaced, *r.ignored):
                    _scribble(x)
                for x in r.params:
                    x["doc"] = "x"
                if type(r.detail) is dict:
                    _scribble(r.detail)
    assert {p: (policies.evaluate(p).to_json(full=True), policies.evaluate(p).to_text()) for p in EXAMPLES} == before


def test_a_case_changed_after_its_decision_leaves_that_decisions_explanation_alone(policies):
    """The explanation is put into words when first read, from the facts as they were decided: a Case
    changed afterwards for a what-if (its facts dict, a record of its history) is validated again for
    the next decision and leaves the first decision's explanation as it was."""
    src = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01",
           "facts": {"service_days": 35, "year": 2023, "false_information_found": "2024-02-29",
                     "evaluation_history": [{"year": 2022, "grade": "excellent"}]}}
    case = policies.case(src)
    d = policies.evaluate(case)
    case.facts["service_days"] = 10
    case.facts["false_information_found"] = None
    case.facts["evaluation_history"][0]["grade"] = "unqualified"
    assert d.to_json() == policies.evaluate(src).to_json()
    assert d.to_text() == policies.evaluate(src).to_text()


WORKSTATION = {"subject": "workstation", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-15", "facts": {}}


@pytest.mark.parametrize("fact, code", [("years_service_experience", "PE063"), ("service_days", "PE062")])
@pytest.mark.parametrize("explain", [True, False])
def test_a_decimal_of_a_huge_exponent_is_a_policy_error(policies, fact, code, explain):
    """Decimal("1E+1000000") (a number read from a form with Decimal(text)) overflowed the decimal context
    while its size was checked: a bare decimal.Overflow, not the PE063 a case file gets."""
    import decimal

    case = (dict(WORKSTATION, facts={fact: decimal.Decimal("1E+1000000")}) if fact == "years_service_experience"
            else {"subject": "commissioner", "jurisdiction": "cn/nm", "as_of": "2024-03-15",
                  "facts": {fact: decimal.Decimal("1E+1000000")}})
    with pytest.raises(PolicyError) as e:
        policies.evaluate(case, explain=explain)
    assert [d.code for d in e.value.diagnostics] == [code]


def test_the_callers_decimal_context_never_reaches_a_case(policies):
    """Money-handling code may trap Inexact or set a precision of 1 in its thread's context: checking a
    case's numbers used it (a bare decimal.Inexact for 4.5); deciding never did.  Same decisions either way."""
    import decimal

    cases = [dict(WORKSTATION, facts={"years_service_experience": decimal.Decimal(x)}) for x in ("4.5", "0.5", "30")]
    cases.append({"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01",
                  "facts": {"service_days": 35, "year": 2023}})
    before = [(policies.evaluate(c).to_json(), policies.evaluate(c, explain=False).outputs) for c in cases]
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.Inexact] = ctx.traps[decimal.Rounded] = True
        ctx.prec, ctx.Emax = 1, 3
        after = [(policies.evaluate(c).to_json(), policies.evaluate(c, explain=False).outputs) for c in cases]
    assert after == before


def test_a_date_of_the_callers_own_class_is_read_as_the_date_it_holds(policies):
    """str, int and Decimal subclasses are read as plain values; a date subclass was kept, and its own
    isoformat() wrote the decision's as_of (1999-01-01 for a case of 2025-01-15)."""
    import datetime as dt

    class Shifty(dt.date):
        def isoformat(self):
            return "1999-01-01"

    case = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2025-01-15",
            "facts": {"false_information_found": "2024-02-29"}}
    odd = dict(case, as_of=Shifty(2025, 1, 15), facts={"false_information_found": Shifty(2024, 2, 29)})
    for explain in (True, False):
        got = policies.evaluate(odd, explain=explain)
        assert type(got.as_of) is dt.date and got.to_json() == policies.evaluate(case, explain=explain).to_json()


def test_a_language_without_a_repr_is_still_named(policies):
    """repr() of an int past 4,300 digits raises ValueError: the message names it another way."""
    with pytest.raises(PolicyError) as e:
        policies.evaluate(BASE, lang=10 ** 5000)
    assert _codes(e.value) == ["PE090"] and "digits" in e.value.diagnostics[0].message
