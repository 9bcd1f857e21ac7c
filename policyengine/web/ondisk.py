"""Whether the rule files on disk are still the ones being served.  The served packs are read once, when the
service starts: a rule file edited afterwards changes nothing until a restart, and every page says so.

What each file was at the start is kept as its size and modification time (nothing is read again to compare).
The served folders are walked as the loader walks them (:func:`policyengine.api.find_rule_files`: a link
leading out of a folder is never followed), at most once a second.  A pack's test file (``policy-test``,
``policy-case``) is no rule file: changing one changes nothing served."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from ..api import find_rule_files
from ..load import TEST_KINDS, sniff_kind

__all__ = ["OnDisk"]


class OnDisk:
    def __init__(self, paths: list[Path], every: float = 1.0, clock: Callable[[], float] = time.monotonic):
        """``paths``: the folders (or files) the served policies were loaded from."""
        self.paths, self._every, self._clock = list(paths), every, clock
        self._kinds: dict[tuple, bool] = {}  # (path, size, mtime_ns) → is a rule file (its kind read once)
        self._served = self._look()
        self._looked: float | None = None
        self._changes: list[tuple[str, str]] = []

    def _look(self) -> dict[str, tuple[str, int, int, bool]]:
        """Each file under the paths now: path → (name relative to its folder, size, mtime_ns, is a rule file)."""
        out, kinds = {}, {}
        for given in self.paths:
            base = Path(given)
            for f in find_rule_files([base]):
                try:
                    st = os.stat(f)
                except OSError:  # (gone since the walk)
                    continue
                key = (str(f), st.st_size, st.st_mtime_ns)
                kinds[key] = self._kinds[key] if key in self._kinds else sniff_kind(f) not in TEST_KINDS
                name = f.relative_to(base).as_posix() if f != base else f.name
                out[str(f)] = (name, st.st_size, st.st_mtime_ns, kinds[key])
        self._kinds = kinds
        return out

    def changes(self) -> list[tuple[str, str]]:
        """The rule files that differ from those served, as (relative name, ``added``/``removed``/``changed``),
        sorted by name; looked at again when a second has passed since the last look."""
        now = self._clock()
        if self._looked is not None and now - self._looked < self._every:
            return self._changes
        self._looked = now
        current, found = self._look(), []
        for path in self._served.keys() | current.keys():
            before, after = self._served.get(path), current.get(path)
            if before is not None and after is not None and before[1:3] == after[1:3]:
                continue
            if not ((before is not None and before[3]) or (after is not None and after[3])):
                continue  # a test file
            change = "added" if before is None else "removed" if after is None else "changed"
            found.append(((after or before)[0], change))
        self._changes = sorted(found)
        return self._changes
