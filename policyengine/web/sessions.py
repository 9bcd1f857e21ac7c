"""Sessions for a workbench served with keys (``policyengine serve --keys``): a key is shown
once on /login, and the browser then holds a random session id in an ``HttpOnly``,
``SameSite=Strict`` cookie.  The key itself is never stored in the browser; sessions live
in this process's memory, expire, and are bounded in number."""
from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Callable, Iterable

COOKIE = "pe_session"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class Sessions:
    def __init__(self, roles_of: Callable[[str], Iterable[str] | None], ttl: float = 8 * 3600, most: int = 10_000):
        self.roles_of, self.ttl, self.most = roles_of, ttl, most
        self._live: dict[str, tuple[frozenset, float]] = {}
        self._lock = threading.Lock()

    def start(self, key: str) -> str | None:
        """A new session for ``key``, or None when the key is not known."""
        try:
            roles = self.roles_of(key)
        except Exception:  # noqa: BLE001 - a key the service cannot read is not a key
            roles = None
        if not roles:
            return None
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._live) >= self.most:
                self._live = {k: v for k, v in self._live.items() if v[1] > now}
                while len(self._live) >= self.most:  # the oldest go first
                    self._live.pop(next(iter(self._live)))
            self._live[sid] = (frozenset(roles), now + self.ttl)
        return sid

    def roles(self, cookies: dict) -> frozenset | None:
        sid = cookies.get(COOKIE, "")
        if not isinstance(sid, str) or not _SHAPE.match(sid):
            return None
        with self._lock:
            got = self._live.get(sid)
            if got is None or got[1] <= time.monotonic():
                self._live.pop(sid, None)
                return None
            return got[0]

    def end(self, cookies: dict) -> None:
        with self._lock:
            self._live.pop(cookies.get(COOKIE, ""), None)
