"""The JSON fast path of the service reads exactly what the safe reader of case files reads,
or declines: on random documents, on every example case and on every hostile JSON fixture."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import PolicyError
from policyengine.load import DEFAULT_LIMITS, load_text
from policyengine.service.body import fast_json

ROOT = Path(__file__).resolve().parent.parent


def safe_reader(text: str):
    try:
        return load_text(text, "<request>.json").data
    except PolicyError:
        return PolicyError


def same(a, b) -> bool:
    """Equal values of equal types, all the way down (1 == Decimal('1.0') is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    return a == b


keys = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), st.text(max_size=6))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**35, 10**35), st.text(max_size=12),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6),
                    st.sampled_from(["2024-02-29", "2023-02-29", "yes", "NaN", "1e5", "0x1F", "~", "null", "\u2028",
                                     "a\\b", "\x85", "\t", "tab\there", "é中文"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, max_size=5), st.booleans())
def test_fast_path_reads_what_the_safe_reader_reads(doc, ascii_escapes):
    text = json.dumps(doc, ensure_ascii=ascii_escapes, default=float)
    got = fast_json(text, DEFAULT_LIMITS)
    if got is not None:  # the fast path may decline anything; what it takes must be what the safe reader gives
        want = safe_reader(text)
        assert want is not PolicyError and same(got, want), (text, got, want)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
                       st.one_of(st.integers(-10**40, 10**40), st.from_regex(r"-?[0-9]{1,45}\.[0-9]{1,45}", fullmatch=True)),
                       min_size=1, max_size=3))
def test_numbers_at_the_limits(doc):
    text = "{" + ", ".join(f'"{k}": {v}' for k, v in doc.items()) + "}"
    got = fast_json(text, DEFAULT_LIMITS)
    if got is not None:
        want = safe_reader(text)
        assert want is not PolicyError and same(got, want), (text, got, want)


plain_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFFFF,
                                    blacklist_characters="\\\"\x7f\u2028\u2029\ufeff\ufffe\uffff",
                                    blacklist_categories=("Cs", "Cc")), max_size=12)
plain = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**29, 10**29), plain_text,
                               st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6,
                                           max_value=10**6).map(lambda d: d if d != d.to_integral_value() else d + Decimal("0.01"))),
                     lambda inner: st.one_of(st.lists(inner, max_size=4),
                                             st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), inner,
                                                             max_size=4)), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), plain, max_size=5))
def test_plain_json_takes_the_fast_path(doc):
    text = json.dumps(doc, ensure_ascii=False, default=float)  # Decimals as JSON numbers
    got = fast_json(text, DEFAULT_LIMITS)
    assert got is not None, text
    assert same(got, safe_reader(text)), text


def test_examples_and_hostile_json_fixtures():
    import yaml

    taken = 0
    for p in sorted((ROOT / "examples").iterdir()):
        text = json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str, ensure_ascii=False)
        got = fast_json(text, DEFAULT_LIMITS)
        assert got is not None and same(got, safe_reader(text)), p.name
        taken += 1
    for p in sorted((ROOT / "tests" / "hostile").glob("*.json")):
        try:
            text = p.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        got = fast_json(text, DEFAULT_LIMITS)
        if got is not None:
            assert same(got, safe_reader(text)), p.name
    assert taken == 6
    # what it must decline: the safe reader refuses each, or reads it otherwise
    for text in ['{"a": 1, "a": 2}', '{"a": NaN}', '{"a": 1e400}', '{"a": "\\u0000"}', '{"a\\u0062": 1}',
                 '{"a": "x\u2028y"}', '\ufeff{"a": 1}', '{"a": ' + "9" * 31 + "}", "[1]", '{"a": ' + "[" * 70 + "]" * 70 + "}",
                 '{"a.b": 1}', '{"a": 1.5e3}']:
        assert fast_json(text, DEFAULT_LIMITS) is None, text


def test_the_values_of_a_body_are_bounded_in_both_readers():
    """A 2 MiB body of tiny values took about 325 MB to read: a request body holds at most REQUEST_VALUES
    values (a file, Limits.max_values), counted alike by the fast path (which declines) and the safe
    reader (which says where)."""
    from policyengine.service.body import REQUEST_VALUES, _request_limits

    limits = _request_limits(DEFAULT_LIMITS)
    n = limits.max_values
    assert n == REQUEST_VALUES < DEFAULT_LIMITS.max_values
    for values in (n, n + 1):  # the document itself, six lists (each within max_collection_items) and their items
        items = values - 7
        doc = {f"k{i}": [0] * min(9000, items - 9000 * i) for i in range(6)}
        assert 1 + len(doc) + sum(map(len, doc.values())) == values
        text = json.dumps(doc, separators=(",", ":"))
        assert len(text) > 2 * n  # (the fast path counts only a body this long)
        assert same(load_text(text, "<file>.json").data, doc)  # (a file may hold more)
        if values == n:
            assert same(fast_json(text, limits), doc) and same(load_text(text, "<request>.json", limits).data, doc)
        else:
            assert fast_json(text, limits) is None
            try:
                load_text(text, "<request>.json", limits)
            except PolicyError as e:
                d = e.diagnostics[0]
                assert d.code == "PE005" and str(n) in str(d.message) and "k5.4993" in str(d.message)
            else:
                raise AssertionError("read past max_values")
