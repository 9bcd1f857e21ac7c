"""Helpers of the decision-service tests: the real server (uvicorn, a subprocess, a free
127.0.0.1 port), a plain HTTP client, fresh SQLite and PostgreSQL logs, and a TCP proxy
that can cut the server off from PostgreSQL."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_ENV = "POLICYENGINE_TEST_PG_URL"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The command, speaking English (the tests pin its English lines; tests/test_service_log.py the Chinese)."""
    return subprocess.run([sys.executable, "-m", "policyengine.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "POLICYENGINE_LANG": "en"})


def example_cases() -> list[tuple[str, bytes]]:
    """The shipped example cases as JSON bodies (dates as strings, as a client sends them)."""
    out = []
    for p in sorted(EXAMPLES.iterdir()):
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        out.append((p.name, json.dumps(data, default=str, ensure_ascii=False).encode("utf-8")))
    return out


class Client:
    """One keep-alive connection (one per thread)."""

    def __init__(self, port: int, key: str | None = None, timeout: float = 30):
        self.port, self.key, self.timeout = port, key, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        h = {"Content-Type": "application/json"} if body is not None else {}
        if self.key:
            h["Authorization"] = f"Bearer {self.key}"
        h.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        return r.status, data, {k.lower(): v for k, v in r.getheaders()}

    def json(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        status, data, _ = self.request(method, path, body, headers)
        return status, json.loads(data)

    def close(self) -> None:
        self.conn.close()


class Server:
    """``policyengine serve`` in a subprocess; ``kill()`` is SIGKILL, ``stop()`` a clean stop."""

    def __init__(self, db: str, cwd: Path, *args: str, port: int | None = None):
        self.db, self.cwd, self.args = db, cwd, args
        self.port = port or free_port()
        self.stderr = cwd / f"server-{self.port}-{time.monotonic_ns()}.log"
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "policyengine.cli", "serve", "--db", db,
                                          "--port", str(self.port), *args], cwd=cwd, stdout=err, stderr=err)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server ended ({self.proc.returncode}): {self.stderr.read_text()}")
            try:
                c = Client(self.port, timeout=5)
                status, _, _ = c.request("GET", "/healthz")
                c.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not come up: {self.stderr.read_text()}")

    def client(self, key: str | None = None) -> Client:
        return Client(self.port, key)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


# --- databases ----------------------------------------------------------------------------------


def pg_admin_url() -> str:
    """The throwaway cluster of .ci/postgres.sh; with CI set, its absence is a failure, never a skip."""
    url = os.environ.get(PG_ENV)
    why = f"{PG_ENV} is not set (source .ci/postgres.sh)" if not url else None
    if url:
        try:
            import psycopg

            with psycopg.connect(url, connect_timeout=5) as c:
                c.execute("select 1")
        except Exception as e:  # noqa: BLE001
            why = f"PostgreSQL at {url} is unreachable: {e}"
    if why:
        if os.environ.get("CI"):
            pytest.fail(why + " — CI is set, so the PostgreSQL tests fail instead of skipping")
        pytest.skip(why)
    return url


def new_pg_database(admin_url: str) -> tuple[str, callable]:
    """A fresh database on the cluster: (its URL, a function that drops it)."""
    import psycopg

    name = "pe_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    url = f"{base}/{name}"

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty log URL for each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    url, drop = new_pg_database(pg_admin_url())
    yield url
    drop()


# --- a TCP proxy that can be cut ----------------------------------------------------------------


class Proxy:
    """127.0.0.1:port → target.  ``down()`` closes every connection and refuses new ones; ``up()`` restores."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.up()

    def up(self) -> None:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self._listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def down(self) -> None:
        ls, self._listener = self._listener, None
        if ls is not None:
            try:
                ls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            ls.close()
        with self._lock:
            for c in self._conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self._conns.clear()

    def _accept(self, ls: socket.socket) -> None:
        while True:
            try:
                a, _ = ls.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(self.target, timeout=5)
                b.settimeout(None)
            except OSError:
                a.close()
                continue
            with self._lock:
                self._conns += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass
