"""The workbench's real server for tests: uvicorn in a thread on a free 127.0.0.1 port."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from policyengine import Policies

ROOT = Path(__file__).resolve().parent.parent


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


def packs_in_git(repo: Path, changes: list[tuple[str, str]]) -> Path:
    """``repo/policies``: a git repository of the shipped packs, then one commit per change of the Inner Mongolia
    threshold ``min_service_days`` (``(old, new)`` texts of its value line)."""
    shutil.copytree(ROOT / "policies", repo / "policies")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, env=env, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "packs")
    f = repo / "policies" / "inner_mongolia" / "commissioner_measures.yaml"
    for old, new in changes:
        text = f.read_text(encoding="utf-8")
        assert f"  min_service_days:\n    {old}" in text
        f.write_text(text.replace(f"  min_service_days:\n    {old}", f"  min_service_days:\n    {new}"), encoding="utf-8")
        git("commit", "-qam", f"min_service_days: {new}")
    return repo / "policies"
