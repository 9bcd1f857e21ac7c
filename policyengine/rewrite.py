"""Rewriting values of a YAML file in place: ``policyengine test --update``.

A test file is the officer's own text — comments, key order, quoting and layout are theirs —
so it is never re-dumped.  Only the characters of each value being replaced are rewritten,
found by the positions the loader recorded (:class:`policyengine.load.Loaded`), from the end
of the text backwards so that earlier positions stay valid.  The result is loaded again and
must hold exactly the old values with the new ones put in, else nothing is written.

Writing is atomic: a temporary file in the same folder, flushed to disk, then renamed over
the file — and only when the file still holds the bytes that were read (:class:`Changed`).
"""
from __future__ import annotations

import copy
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

from .explain import to_json_value
from .load import DEFAULT_LIMITS, Loaded, _resolve_plain, load_text

__all__ = ["Changed", "NotRewritable", "yaml_value", "rewrite", "write_atomic"]


class Changed(Exception):
    """The file on disk is no longer the one that was read."""


class NotRewritable(Exception):
    """The value cannot be rewritten in place without touching more than itself."""


_PLAIN = re.compile(r"[^\W\d][\w.\-/]*\Z")  # a name, an enum value, a jurisdiction id: safe unquoted anywhere


def yaml_value(v: Any) -> str:
    """``v`` as YAML flow text that reads back as the same value (the test file's own spelling:
    ``true``, ``null``, ``2024-06-01``, ``30``; text quoted only where it must be)."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, str):
        return v if _PLAIN.match(v) and _resolve_plain(v, DEFAULT_LIMITS) == v else _quoted(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{yaml_value(str(k))}: {yaml_value(x)}" for k, x in sorted(v.items())) + "}"
    return str(to_json_value(v))  # int, Decimal, date: plain, as the loader reads them


def _quoted(s: str) -> str:
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif not c.isprintable() or c in "\u2028\u2029":
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" if ord(c) < 0x10000
                       else f"\\U{ord(c):08x}")
        else:
            out.append(c)
    return "".join(out) + '"'


def _at(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


def rewrite(lf: Loaded, updates: dict[tuple, Any]) -> str:
    """The text of ``lf`` with the scalar value at each path of ``updates`` replaced by the new value,
    every other character kept.  :class:`NotRewritable` when a value is not a scalar of its own
    or the result would not read back as exactly the intended data."""
    text = lf.source.text
    spots = []
    for path, new in updates.items():
        p = lf.positions.get(tuple(path))
        old = _at(lf.data, path)
        if p is None or isinstance(old, (dict, list)) or p.style in ("|", ">"):
            raise NotRewritable(".".join(map(str, path)))
        spots.append((p.start, p.end, yaml_value(new)))
    spots.sort(reverse=True)
    for (start, end, _), nxt in zip(spots, spots[1:] + [None]):
        if nxt is not None and nxt[1] > start:  # overlapping extents: cannot be
            raise NotRewritable("overlapping values")
    for start, end, new_text in spots:
        text = text[:start] + new_text + text[end:]
    want = copy.deepcopy(lf.data)
    for path, new in updates.items():
        parent = _at(want, path[:-1])
        parent[path[-1]] = new
    try:
        got = load_text(text, lf.path).data
    except Exception:  # the loader's PolicyError, or anything else: never write what does not load
        raise NotRewritable("the rewritten file does not load") from None
    if to_json_value(got) != to_json_value(want):
        raise NotRewritable("the rewritten file does not read back as intended")
    return text


def write_atomic(path: str | Path, before: bytes, text: str) -> None:
    """Replace the file at ``path`` by ``text`` (UTF-8, with the byte-order mark ``before`` had)
    through a temporary file in the same folder and a rename; :class:`Changed` when the file no
    longer holds ``before``.  The file's permissions are kept; a symbolic link is kept and its
    target rewritten."""
    target = Path(path).resolve()
    data = (b"\xef\xbb\xbf" if before.startswith(b"\xef\xbb\xbf") else b"") + text.encode("utf-8")
    if target.read_bytes() != before:
        raise Changed(str(path))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        if target.read_bytes() != before:  # a last look: an editor may have saved meanwhile
            raise Changed(str(path))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
