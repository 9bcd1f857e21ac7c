"""Whether the rule files on disk are still the ones being served.  The served packs are read once, when the
service starts: a rule file edited afterwards changes nothing until a restart, and every page says so.

What each rule file was at the start is kept as its size, modification time and digest: a file whose size or
time differ is read and its digest compared (saved unchanged, or changed back, it is the file served).
The served folders are walked as the loader walks them (:func:`policyengine.load.find_files`: a link
leading out of a folder is never followed, and is listed as "refused": the next start stops at it), at most
once a second.  A pack's test file (``policy-test``,
``policy-case``) is no rule file: changing one changes nothing served."""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Callable

from ..load import TEST_KINDS, find_files, sniff_kind

__all__ = ["OnDisk"]


class OnDisk:
    def __init__(self, paths: list[Path], every: float = 1.0, clock: Callable[[], float] = time.monotonic):
        """``paths``: the folders (or files) the served policies were loaded from."""
        self.paths, self._every, self._clock = list(paths), every, clock
        self._kinds: dict[tuple, bool] = {}  # (path, size, mtime_ns) → is a rule file (its kind read once)
        self._digests: dict[tuple, str | None] = {}  # (path, size, mtime_ns) → its content's digest (read once)
        self._refused: set[str] = set()  # what the loader would refuse now (a link leading out …), by name
        self._served = self._look()
        self._served_refused = set(self._refused)  # (none, where the service started: the loader stops at one)
        self._served_digest = {p: _digest(p) for p, (_, _, _, rule) in self._served.items() if rule}
        self._looked: float | None = None
        self._changes: list[tuple[str, str]] = []

    def _look(self) -> dict[str, tuple[str, int, int, bool]]:
        """Each file under the paths now: path → (name relative to its folder, size, mtime_ns, is a rule file)."""
        out, kinds, refused = {}, {}, set()
        for given in self.paths:
            base = Path(given)
            files, diags = find_files([base])
            for d in diags:  # a link added that leads out of the folder, a loop …: the next start stops at it (PE071)
                if d.span is not None:
                    refused.add(_name(Path(d.span.file), base))
            for f in files:
                try:
                    st = os.stat(f)
                except OSError:  # (gone since the walk)
                    continue
                key = (str(f), st.st_size, st.st_mtime_ns)
                kinds[key] = self._kinds[key] if key in self._kinds else sniff_kind(f) not in TEST_KINDS
                out[str(f)] = (_name(f, base), st.st_size, st.st_mtime_ns, kinds[key])
        self._kinds, self._refused = kinds, refused
        return out

    def due(self) -> bool:
        """A second has passed since the last look: :meth:`changes` would walk the folders again."""
        return self._looked is None or self._clock() - self._looked >= self._every

    def changes(self) -> list[tuple[str, str]]:
        """The rule files that differ from those served, as (relative name, ``added``/``removed``/``changed``),
        sorted by name; looked at again when a second has passed since the last look."""
        now = self._clock()
        if not self.due():
            return self._changes
        self._looked = now
        current, found = self._look(), []
        for path in self._served.keys() | current.keys():
            before, after = self._served.get(path), current.get(path)
            if before is not None and after is not None and (before[1:3] == after[1:3] or self._same(path, after)):
                continue
            if not ((before is not None and before[3]) or (after is not None and after[3])):
                continue  # a test file
            change = "added" if before is None else "removed" if after is None else "changed"
            found.append(((after or before)[0], change))
        found.extend((name, "refused") for name in self._refused - self._served_refused)
        self._changes = sorted(found)
        return self._changes

    def _same(self, path: str, now: tuple) -> bool:
        """The file, though its size or time changed, holds what was served (its digest read once per version)."""
        served = self._served_digest.get(path)
        if served is None:
            return False
        key = (path, now[1], now[2])
        if key not in self._digests:
            if len(self._digests) > 10_000:
                self._digests.clear()
            self._digests[key] = _digest(path)
        return self._digests[key] == served


def _name(f: Path, base: Path) -> str:
    """``f`` as the banner names it: relative to the served folder ``base``; a name that is not UTF-8 with
    its bad bytes replaced (the page must still be written)."""
    try:
        name = f.relative_to(base).as_posix() if f != base else f.name
    except ValueError:
        name = f.name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _digest(path: str) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None
