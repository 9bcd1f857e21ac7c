"""Rule files read through the compiled shapes (records.py) exactly as the pydantic models read them.

The shapes are a compiled form of model.py, used so that a cold start does not import
pydantic.  They must never accept what the models refuse, nor build anything else
than the models would: every shipped rule file, and thousands of mutations of them
(a value of another type, a key dropped or added, text that only nearly fits a
pattern), are read both ways and compared.
"""
from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from policyengine import records
from policyengine.load import load_file
from policyengine.model import RuleFile

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted(p for p in (ROOT / "policies").glob("*/*.yaml"))
DATA = {p.relative_to(ROOT).as_posix(): load_file(p).data for p in RULE_FILES}


def _by_models(data: Any) -> Any:
    """The file as the pydantic models read it (as records), or None when they refuse it."""
    try:
        return records.from_model(RuleFile.model_validate(data))
    except ValidationError:
        return None


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (True is not 1, Decimal('1') is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, records.Record):
        return a.model_fields_set == b.model_fields_set and all(_same(getattr(a, f), getattr(b, f)) for f in a._fields)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_shipped_tables_are_those_of_model_py():
    from policyengine import _model_tables as pre

    assert pre.FINGERPRINT == records.fingerprint(), \
        "model.py changed: regenerate the shapes with `python -m policyengine.records`"
    assert pre.MODELS == records.compile_models(), \
        "records.py compiles model.py differently now: regenerate with `python -m policyengine.records`"


@pytest.mark.parametrize("name", sorted(DATA))
def test_every_shipped_file_reads_the_same_both_ways(name):
    fast = records.from_data(DATA[name])
    assert fast is not None, f"{name}: the shapes refuse a file the pack accepts"
    assert _same(fast, _by_models(DATA[name]))


# --- mutations ---------------------------------------------------------------------------

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.sampled_from([Decimal("2.5"), Decimal("0"), Decimal("-1")]),
    st.sampled_from([dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 8, 0)]),
    st.sampled_from(["", "x", "30", "true", "a_b.c-1", "Upper", "bad id", "abc\n", "\nabc", "policy-document",
                     "higher", "any", "all", "national", "int", "enum", "service_days >= 30"]),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]),
    st.just([]), st.just({}), st.just(["a", "b"]), st.just([1]), st.just({"zh": "标签"}), st.just({"zh": "标签", "en": "x"}),
    st.just({"zh": 1}), st.just({"id": "x"}), st.just((1, 2)), st.just({1: "x"}),
)


def _paths(v: Any, path: tuple = ()):
    yield path
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _paths(x, path + (i,))


def _at(v: Any, path: tuple) -> Any:
    for p in path:
        v = v[p]
    return v


def _values_by_key() -> dict[str, list]:
    """Every value written under each key name, in any shipped file: plausible replacements."""
    out: dict[str, list] = {}
    for data in DATA.values():
        for path in _paths(data):
            if path and isinstance(path[-1], str):
                out.setdefault(path[-1], []).append(_at(data, path))
    return out


BY_KEY = _values_by_key()


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(DATA)))
    data = copy.deepcopy(DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent, key = _at(data, path[:-1]), path[-1]
        what = draw(st.sampled_from(["replace", "borrow", "borrow", "drop", "add"]))
        if what == "borrow" and key in BY_KEY:  # what another field of that name holds somewhere
            parent[key] = copy.deepcopy(draw(st.sampled_from(BY_KEY[key])))
        elif what in ("replace", "borrow"):
            parent[key] = copy.deepcopy(draw(VALUES))  # st.just gives the same object every time
        elif what == "drop":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["label", "note", "extra", "zh", "min", "binding", "value", 7]))] = copy.deepcopy(draw(VALUES))
        else:
            parent.append(copy.deepcopy(draw(VALUES)))
    return data


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_files_read_the_same_both_ways(data):
    fast = records.from_data(data)
    slow = _by_models(data)
    if fast is None:
        assert slow is None, "the shapes refuse what the models accept (check.py then reads it with pydantic, slowly)"
    else:
        assert slow is not None, "the shapes accept what the models refuse"
        assert _same(fast, slow)


@pytest.mark.parametrize("value, accepted", [
    ("a_b.c-1", True), ("Upper", False), ("abc\n", False), ("", False), ("bad id", False), (7, False),
])
def test_an_id_is_matched_in_full(value, accepted):
    data = copy.deepcopy(DATA["policies/ordos/ekefa_2024_26.yaml"])
    data["document"]["id"] = value
    assert (records.from_data(data) is not None) is accepted
    assert (_by_models(data) is not None) is accepted


class _LooksLike:
    """A key that hashes and compares like a field name without being one."""

    def __init__(self, s):
        self.s = s

    def __hash__(self):
        return hash(self.s)

    def __eq__(self, other):
        return other == self.s


class _Posing(str):
    def __hash__(self):
        return hash("zh")

    def __eq__(self, other):
        return other == "zh"


ORDOS = "policies/ordos/ekefa_2024_26.yaml"


@pytest.mark.parametrize("change", [
    lambda d: d.update(parameters={"p": {"value": Decimal("NaN"), "label": "l", "citation": "c"}}),
    lambda d: d.update(facts={"s": {"f": {"type": "int", "label": "l", "min": Decimal("Infinity")}}}),
    lambda d: d["document"].update(title={_LooksLike("zh"): "标题"}),
    lambda d: d["document"].update(title={_Posing("bogus"): "标题"}),
    lambda d: d.update({_LooksLike("notes"): []}),
], ids=["nan-value", "infinite-min", "key-that-is-no-text", "text-posing-as-a-field", "extra-key-that-is-no-text"])
def test_values_no_file_could_hold_are_refused_as_the_models_refuse_them(change):
    data = copy.deepcopy(DATA[ORDOS])
    change(data)
    assert records.from_data(data) is None and _by_models(data) is None


def test_a_free_default_is_kept_as_written():
    import collections

    data = copy.deepcopy(DATA[ORDOS])
    data["facts"] = {"commissioner": {"f": {"type": "int", "label": "l", "default": collections.OrderedDict(a=1)}}}
    assert _same(records.from_data(data), _by_models(data))


# --- records -----------------------------------------------------------------------------


def _sample():
    return records.from_data(DATA["policies/baotou/commissioner_plan.yaml"])


def test_records_are_read_only_and_compare_by_value():
    rf = _sample()
    with pytest.raises(AttributeError):
        rf.kind = "other"
    with pytest.raises(AttributeError):
        del rf.kind
    again = records.from_data(copy.deepcopy(DATA["policies/baotou/commissioner_plan.yaml"]))
    assert rf == again and rf is not again
    assert rf.document != _sample().rules[0]
    text = rf.document.title if records.is_text(rf.document.title) else records.from_data(
        {**DATA["policies/ordos/ekefa_2024_26.yaml"], "document": {**DATA["policies/ordos/ekefa_2024_26.yaml"]["document"],
                                                                   "title": {"zh": "标题", "en": "Title"}}}).document.title
    assert records.is_text(text) and not records.is_text("标题")
    assert hash(text) == hash(copy.copy(text))
    assert records.text_of(text, "en") == text.en or text.en is None
    assert repr(text).startswith("Text(zh=")


def test_records_copy_and_pickle_with_what_they_hold():
    rf = _sample()
    deep = copy.deepcopy(rf)
    assert deep == rf and deep.rules is not rf.rules
    assert pickle.loads(pickle.dumps(rf)) == rf
    assert deep.model_fields_set == rf.model_fields_set


def test_fields_the_file_leaves_out_take_the_model_defaults():
    rf = records.from_data(DATA["policies/ordos/ekefa_2024_26.yaml"])
    by_models = RuleFile.model_validate(DATA["policies/ordos/ekefa_2024_26.yaml"])
    for name in RuleFile.model_fields:
        assert _same(getattr(rf, name), records.from_model(getattr(by_models, name))), name
    assert rf.model_fields_set == by_models.model_fields_set


def test_stale_tables_are_compiled_from_the_models(monkeypatch):
    """An edited model.py without regenerated tables: the shapes come from the models themselves."""
    monkeypatch.setattr(records, "_validator", None)
    monkeypatch.setattr(records, "fingerprint", lambda: "not the shipped one")
    assert records._shipped_models() is None
    for name, data in DATA.items():
        assert _same(records.from_data(data), _by_models(data)), name
    monkeypatch.setattr(records, "_validator", None)  # the next reader starts afresh


def test_the_compiler_refuses_what_it_does_not_know(monkeypatch):
    from pydantic import Field

    from policyengine import model as M

    class Loose(M._Strict):
        n: int = Field(gt=0)

    class Holder(M._Strict):
        kind: str
        part: Loose

    monkeypatch.setattr(M, "RuleFile", Holder)
    with pytest.raises(TypeError, match="unsupported constraint"):
        records.compile_models()


def test_a_valid_file_is_read_without_importing_pydantic():
    import subprocess
    import sys

    code = ("import sys; from policyengine import Policies; p = Policies.load(); "
            "print(sorted(m for m in ('pydantic', 'pydantic_core', 'importlib.metadata') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("text, number", [
    ("30", 30), ("30天", 30), ("１５", 15), ("5万元", 50000), ("0.5", Decimal("0.5")), ("“2”", 2),
    ("三", 3), ("三次", 3), ("两次", 2), ("十五", 15), ("三十", 30), ("一百零五", 105), ("二十五天", 25), ("零", 0),
    # not a number the officer meant: text
    ("3A级", None), ("1:30", None), ("三(一)", None), ("三三", None), ("十十", None), ("十百", None), ("三%", None),
    ("第三", None), ("", None),
])
def test_number_with_unit_reads_what_an_officer_writes_for_a_number(text, number):
    from policyengine.records import number_with_unit

    assert number_with_unit(text) == number and type(number_with_unit(text)) is type(number)


@pytest.mark.parametrize("text, date", [
    ("2028/3/15", dt.date(2028, 3, 15)), ("2028.3.15", dt.date(2028, 3, 15)), ("2028-3-5", dt.date(2028, 3, 5)),
    ("2028年3月15日", dt.date(2028, 3, 15)), ("２０２８年３月１５日", dt.date(2028, 3, 15)), ("2028 / 03 / 15", dt.date(2028, 3, 15)),
    ("2023/2/29", None), ("2028/13/1", None), ("15/3/2028", None), ("2028年3月", None), ("", None),
])
def test_a_date_written_another_way_is_read_for_the_hint(text, date):
    from policyengine.records import written_date

    assert written_date(text) == date
