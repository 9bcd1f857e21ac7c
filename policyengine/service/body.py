"""A request body to a case: the engine's safe reader, with a fast path for plain JSON.

Every body could go through the safe reader of case files (``load_text``: YAML events,
positions for every value); for a decision without explanation that reader is close to
half the server's time.  Most bodies are plain JSON that the standard ``json`` module
reads forty times faster — so a body is first read by ``json`` under rules strictly
narrower than the safe reader's, and *anything* outside them goes to the safe reader,
which then decides (and locates every problem):

* no character the YAML reader treats otherwise or refuses (control characters, C1
  controls, U+0085/U+2028/U+2029 line breaks, BOM, non-characters) and no backslash
  escape at all;
* no duplicate key, no NaN/Infinity, integers within the digit limit, decimals written
  ``-?D+.D+`` within its length and exponent limits (exact ``Decimal``, never float);
* nesting, collection sizes and text lengths within the limits; every mapping key an
  identifier.

What passes gives the same values the safe reader gives (a test checks this on random
documents).  A case the engine refuses is always read again by the safe reader, so a
``422`` names the same fields at the same lines and columns as ``policyengine evaluate``.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
from decimal import Decimal

from .. import Diagnostic, Policies, PolicyError, Span
from ..cases import json_problem
from ..diagnostics import Text
from ..fast import CASE_KEYS

__all__ = ["fast_json", "decide", "not_json"]

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\\\\\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DECIMAL = re.compile(r"-?\d+\.\d+\Z")


_NOTES = frozenset(("name", "description", "expect"))  # what a case file may say beside the case (cases.py)


class _Refuse(Exception):
    pass


def _pairs(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):  # a duplicate key
        raise _Refuse
    for k in out:  # an ASCII identifier: what _KEY matches, without a regex call per key
        if not (k.isascii() and k.isidentifier()):
            raise _Refuse
    return out


def _constant(_):
    raise _Refuse


def fast_json(text: str, limits) -> dict | None:
    """The body's value when it is plain JSON within the narrow rules above; None otherwise."""
    if len(text) > limits.max_file_bytes or _UNSAFE.search(text):
        return None
    int_digits = limits.max_int_digits
    if _long_digits(int_digits).search(text):  # (digits in a text too: then the safe reader decides)
        return None

    def _dec(s: str) -> Decimal:
        if not _DECIMAL.match(s) or len(s) > int_digits + 10:
            raise _Refuse
        d = Decimal(s)
        if abs(d.adjusted()) > 40:
            raise _Refuse
        return d

    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_float=_dec, parse_constant=_constant)
    except (_Refuse, ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    # A text no longer than the limit holds no longer text; a collection of n items takes 2n+1
    # characters at least: a body of that size needs only its nesting measured.
    sizes = len(text) > limits.max_scalar_chars or len(text) > 2 * limits.max_collection_items
    if not _within(value, limits, 1, sizes):
        return None
    if len(text) > 2 * limits.max_values and _values(value) > limits.max_values:  # (n values take 2n characters)
        return None
    return value


def _values(v) -> int:
    """How many values ``v`` holds, itself included (as the safe reader counts them against max_values)."""
    n, stack = 0, [v]
    while stack:
        x = stack.pop()
        n += 1
        t = type(x)
        if t is dict:
            stack.extend(x.values())
        elif t is list:
            stack.extend(x)
    return n


@functools.lru_cache(maxsize=4)
def _long_digits(n: int) -> re.Pattern:
    """More digits in a row than an integer may have."""
    return re.compile(r"\d{%d}" % (n + 1))


def _within(v, limits, depth: int, sizes: bool = True) -> bool:
    """Nesting (and, with ``sizes``, text lengths and collection sizes) within the limits."""
    t = type(v)
    if t is dict or t is list:
        if depth > limits.max_depth - 1 or (sizes and len(v) > limits.max_collection_items):
            return False
        for x in (v.values() if t is dict else v):
            tx = type(x)
            if (tx is dict or tx is list or (sizes and tx is str)) and not _within(x, limits, depth + 1, sizes):
                return False
        return True
    return not sizes or t is not str or len(v) <= limits.max_scalar_chars


# values in one request body: a case (the longest history, 10,000 entries, is 30,001 values); a body of a
# million tiny values took about 325 MB to read, and up to forty are read at once
REQUEST_VALUES = 50_000


@functools.lru_cache(maxsize=4)
def _request_limits(limits):
    return dataclasses.replace(limits, max_values=min(limits.max_values, REQUEST_VALUES))


def decide(policies: Policies, text: str, path: str, explain: bool, lang: str):
    """The decision on a request body.  A body that :func:`fast_json` reads goes to the engine as
    a dict, whose facts the engine checks exactly as the reference validation does (fast.py), in
    a fraction of its time; whatever it refuses — and any other body — is read by the safe
    reader, so that every problem is located in the body."""
    limits = _request_limits(policies.limits)
    if path.endswith(".json"):
        data = fast_json(text, limits)
        if data is not None:
            if not data.keys() <= CASE_KEYS and data.keys() - CASE_KEYS <= _NOTES and type(data.get("expect", {})) is dict:
                # a case file's name, description and expectations decide nothing (the reference reads
                # no more of them than this): the engine's fast path takes the case without them
                data = {k: v for k, v in data.items() if k in CASE_KEYS}
            try:
                return policies.evaluate(data, explain=explain, lang=lang)
            except PolicyError:
                pass  # read again below, so that every problem is located in the body
    from ..cases import case_from_text

    if path.endswith(".json"):  # sent as application/json: JSON, though the case reader reads YAML too
        bad = not_json(text, path)  # (a trailing comma, single quotes, a comment were taken; fast_json read
        if bad is not None:         # what it took as JSON already)
            raise PolicyError(bad)
    return policies.evaluate(case_from_text(text, policies.policy_set, path, limits), explain=explain, lang=lang)


def not_json(text: str, path: str) -> Diagnostic | None:
    """What makes a body sent as application/json not JSON (the standard's, RFC 8259: no trailing comma, no
    comment, no single quotes), located; None where it is JSON.  (NaN, which the json module reads, the case
    reader refuses at its place.  Logged bodies are read back by the case reader, which reads YAML too: replay
    of a log made before this check is unchanged.)"""
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return Diagnostic("PE001", Text(json_problem(text, e, "zh"), json_problem(text, e, "en")), Span(path, e.lineno, e.colno),
                          hint=Text("以 application/json 发送的案例须是标准 JSON；也可以改用 application/yaml 发送 YAML",
                                    "a case sent as application/json is standard JSON; send YAML as application/yaml"))
    except RecursionError:  # (nested past Python's reach: the case reader bounds the depth and says so)
        return None
    return None

