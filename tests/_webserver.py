"""The workbench's real server for tests: uvicorn in a thread on a free 127.0.0.1 port."""
from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from policyengine import Policies


class Server:
    def __init__(self, app):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                   lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the workbench server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
        return self.request("GET", path, None, headers)

    def request(self, method: str, path: str, body: bytes | None, headers: dict | None = None) -> tuple[int, dict, str]:
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode("utf-8")


# the fixtures of the workbench's tests (imported by test_web.py and test_web_browser.py)
@pytest.fixture(scope="module")
def policies():
    return Policies.load()


@pytest.fixture(scope="module")
def server(policies):
    from policyengine.web import create_app

    with Server(create_app(policies)) as s:
        yield s
