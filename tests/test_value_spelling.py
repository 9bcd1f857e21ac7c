"""Values in messages are spelled as the officer writes them in a case file (YAML or JSON): ``true``,
``null``, ``"text"``, ``{"a": 1}`` — never Python's ``True``, ``None``, ``'text'``, ``{'a': 1}``."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from policyengine import Policies, PolicyError
from policyengine.batch import run_batch
from policyengine.diagnostics import as_written

WHERE = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01"}
PYTHON = re.compile(r"\b(True|False|None)\b|'")  # Python's spelling of a value


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


def refused(policies: Policies, case: dict, lang: str) -> str:
    with pytest.raises(PolicyError) as e:
        policies.evaluate(case, lang=lang)
    return "\n".join(d.text(lang) for d in e.value.diagnostics)


# (facts or case fields, what the English and the Chinese message say of the value)
WRONG = [
    ({"facts": {"service_days": True}}, "expected a whole number, got true", "但写的是 true"),
    ({"facts": {"good_conduct": "yes"}}, 'expected true or false, got "yes"', '但写的是 "yes"'),
    ({"facts": {"service_days": {"a": 1}}}, 'expected a whole number, got {"a": 1}', '但写的是 {"a": 1}'),
    ({"facts": {"service_days": [None, False, "x", 4]}}, 'got [null, false, "x", …]', '[null, false, "x", …]'),
    ({"facts": {"education": "bachelors"}}, '"bachelors" is not one of the allowed values', '"bachelors" 不是允许的取值'),
    ({"as_of": None}, "as_of must be a real date YYYY-MM-DD, not null", "这里是 null"),
    ({"facts": {"service_days": Decimal("1E+2")}}, "expected a whole number, got 1E+2", "但写的是 1E+2"),
    ({"facts": {"good_conduct": dt.date(2024, 3, 1)}}, 'got "2024-03-01"', '但写的是 "2024-03-01"'),
]


@pytest.mark.parametrize("change, en, zh", WRONG, ids=[w[1] for w in WRONG])
def test_the_library_spells_a_wrong_value_as_the_case_file_does(policies, change, en, zh):
    case = dict(WHERE, facts={"year": 2024}, **{k: v for k, v in change.items() if k != "facts"})
    case["facts"] = dict(case["facts"], **change.get("facts", {}))
    said_en, said_zh = refused(policies, case, "en"), refused(policies, case, "zh")
    assert en in said_en and zh in said_zh, (said_en, said_zh)
    shown = [m.group() for m in re.finditer(r"(got|not) .*", said_en)]
    assert not any(PYTHON.search(s) for s in shown), said_en


def test_a_batch_row_error_spells_the_value_as_the_row_does(policies, tmp_path):
    rows = [dict(WHERE, id=0, service_days=True, year=2024), dict(WHERE, id=1, education="bachelors", year=2024),
            dict(WHERE, id=2, service_days={"a": 1}, year=2024), dict(WHERE, id=3, as_of=None, year=2024),
            dict(WHERE, id=4, good_conduct=None, year=2024)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for lang in ("en", "zh"):
        dst = tmp_path / f"out-{lang}.jsonl"
        run_batch(policies, src, dst, engine="python", lang=lang)
        got = [json.loads(x)["error"] for x in dst.read_text(encoding="utf-8").splitlines()]
        assert ("got true" if lang == "en" else "但写的是 true") in got[0], got[0]
        assert '"bachelors"' in got[1] and "'bachelors'" not in got[1], got[1]
        assert '{"a": 1}' in got[2], got[2]
        assert ("not null" if lang == "en" else "这里是 null") in got[3], got[3]
        assert "null" in got[4], got[4]
        assert not any(re.search(r"\b(True|None)\b|'bachelors'|\{'a'", e) for e in got), got


@pytest.mark.parametrize("v, shown", [
    (True, "true"), (False, "false"), (None, "null"), ("abc", '"abc"'), ("it's", '"it\'s"'), ('say "hi"', r'"say \"hi\""'),
    ({"year": 2022}, '{"year": 2022}'), ([1, "a", None], '[1, "a", null]'), (("a",), '["a"]'),
    (Decimal("2.50"), "2.50"), (Decimal("1E+2"), "1E+2"), (Decimal("-0.001"), "-0.001"), (Decimal("NaN"), "NaN"),
    (2.5, "2.5"), (float("nan"), "NaN"), (float("-inf"), "-Infinity"), (dt.date(2024, 3, 1), '"2024-03-01"'),
    (dt.datetime(2024, 3, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))), '"2024-03-01T00:00:00+00:00"'),
    ("a\nb\tc\\", r'"a\nb\tc\\"'), ("\x1b[31m", r'"\u001b[31m"'), ("\u202eabc", r'"\u202eabc"'), ("\u3000", r'"\u3000"'),
    ("\U000e0001", r'"\udb40\udc01"'), ("\ud800", r'"\ud800"'), ("东胜区", '"东胜区"'),
])
def test_as_written_spells_values_as_json(v, shown):
    assert as_written(v) == shown


def test_as_written_is_bounded_and_cuts_between_escapes():
    assert as_written(list(range(200_000))) == "[0, 1, 2, …]"
    assert as_written({str(i): i for i in range(200_000)}) == '{"0": 0, "1": 1, "2": 2, …}'
    assert as_written([[[1]]]) == "[[[…]]]"
    assert as_written(10 ** 5000) == "<integer of about 5001 digits>"
    assert as_written(Decimal("1E+1000000")) == "1E+1000000"
    long = as_written("x" * 1_000_000)
    assert long == '"' + "x" * 36 + "..." and len(long) == 40
    for s in ("\x1b" * 100, "a\x1b" * 50, "\n" * 30, "东" * 100):
        w = as_written(s)
        assert len(w) <= 40 and w.endswith("...") and w.isprintable(), w
        body = w[1:-3]
        assert re.fullmatch(r"(\\u[0-9a-f]{4}|\\n|a|东)*", body), w  # (never half an escape)
    assert len(as_written("é" * 500, 100)) == 100


@pytest.mark.parametrize("value, zh, en", [
    (Decimal("1E+2"), "不要用指数写法，写 100", "write it without the exponent: 100"),
    (Decimal("100.0"), "请去掉小数点，写 100", "write it without the decimal point: 100"),
    (Decimal("100"), "请传入整数（int），写 100", "write it as an int: 100"),
    (Decimal("1E+1000000"), "不要用指数写法，写一个 0 到 366 之间的整数", "write a whole number from 0 to 366, without the exponent"),
])
def test_the_hint_for_a_whole_decimal_says_how_it_was_written(policies, value, zh, en):
    """1e2 for a count was told "write it without the decimal point" (it has none); 1E+1000000 was told that
    with no number and no range.  The hint follows how the number was written, and a number out of range says
    the range."""
    for lang, want in (("zh", zh), ("en", en)):
        with pytest.raises(PolicyError) as e:
            policies.evaluate(dict(WHERE, facts={"service_days": value}), lang=lang)
        assert [d.hint_zh if lang == "zh" else d.hint for d in e.value.diagnostics] == [want]


@pytest.mark.parametrize("items", [[{"grade": "good", "year": 2023}] * 200_000, ["x"] * 200_000])
def test_a_long_list_of_wrong_items_is_reported_by_its_first_twenty(policies, items):
    """A list of 200,000 wrong records gave 200,000 diagnostics and took 14 s: the first 20 wrong items are said,
    and one diagnostic more says how many were not checked (the case is refused either way)."""
    from policyengine.cases import MAX_WRONG_ITEMS

    for lang, said in (("en", "facts.evaluation_history: 20 items are wrong; the other 199,980 were not checked"),
                       ("zh", "facts.evaluation_history：前 20 项有错，其余 199,980 项没有检查")):
        with pytest.raises(PolicyError) as e:
            policies.evaluate(dict(WHERE, facts={"evaluation_history": items}), lang=lang)
        ds = e.value.diagnostics
        assert len(ds) == MAX_WRONG_ITEMS + 1 == 21 and ds[-1].text(lang) == said
        assert {d.text("en").split(":")[0] for d in ds[:-1]} == {f"facts.evaluation_history.{i}" + x
                                                               for i in range(20) for x in ([".grade"] if items[0] != "x" else [""])}
