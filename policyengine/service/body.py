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

import json
import re
from decimal import Decimal

from .. import Policies, PolicyError

__all__ = ["read_case", "fast_json"]

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\\\\\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DECIMAL = re.compile(r"-?\d+\.\d+\Z")


class _Refuse(Exception):
    pass


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out or not _KEY.match(k):
            raise _Refuse
        out[k] = v
    return out


def _constant(_):
    raise _Refuse


def fast_json(text: str, limits) -> dict | None:
    """The body's value when it is plain JSON within the narrow rules above; None otherwise."""
    if len(text) > limits.max_file_bytes or _UNSAFE.search(text):
        return None
    int_digits = limits.max_int_digits

    def _int(s: str) -> int:
        if len(s.lstrip("-")) > int_digits:
            raise _Refuse
        return int(s)

    def _dec(s: str) -> Decimal:
        if not _DECIMAL.match(s) or len(s) > int_digits + 10:
            raise _Refuse
        d = Decimal(s)
        if abs(d.adjusted()) > 40:
            raise _Refuse
        return d

    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_dec, parse_constant=_constant)
    except (_Refuse, ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or not _within(value, limits, 1):
        return None
    return value


def _within(v, limits, depth: int) -> bool:
    if isinstance(v, str):
        return len(v) <= limits.max_scalar_chars
    if isinstance(v, (dict, list)):
        if depth > limits.max_depth - 1 or len(v) > limits.max_collection_items:
            return False
        items = v.values() if isinstance(v, dict) else v
        return all(_within(x, limits, depth + 1) for x in items)
    return True


def read_case(policies: Policies, text: str, path: str):
    """The :class:`~policyengine.Case` of a request body; :class:`PolicyError` with located diagnostics."""
    from ..cases import case_from_text

    if path.endswith(".json"):
        data = fast_json(text, policies.limits)
        if data is not None:
            try:
                return policies.case(data)
            except PolicyError:
                pass  # read again below, so that every problem is located in the body
    return case_from_text(text, policies.policy_set, path, policies.limits)
