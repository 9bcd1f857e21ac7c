"""`policyengine serve` serves the workbench at / beside the API, and a decision made on the
workbench's /try is logged like any other: it is listed, verified and replayed."""
from __future__ import annotations

import http.cookies
import json
import re
import urllib.parse

import pytest

from _service import Server, cli


@pytest.fixture()
def served(tmp_path):
    db = f"sqlite:///{tmp_path / 'log.db'}"
    s = Server(db, tmp_path)
    try:
        yield s, db
    finally:
        s.stop()


def test_the_workbench_is_served_and_its_decisions_are_logged(served, tmp_path):
    server, db = served
    c = server.client()
    status, body, headers = c.request("GET", "/?lang=en")
    assert status == 200 and headers["content-type"].startswith("text/html") and b"cn/nm/baotou" in body
    status, body, headers = c.request("GET", "/try?subject=enterprise&jurisdiction=cn/nm/baotou&as_of=2024-05-10")
    token = http.cookies.SimpleCookie(headers["set-cookie"])["pe_csrf"].value
    form = {"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10", "csrf_token": token,
            "registered_in_region": "true", "is_tech_enterprise": "true", "does_rd_and_production": "true",
            "operating_normally": "true", "well_managed": "true", "bad_credit_record": "false",
            "has_research_conditions": "true", "has_research_funds": "true", "listed_exchange": "domestic"}
    status, body, _ = c.request("POST", "/try", urllib.parse.urlencode(form).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"pe_csrf={token}"})
    page = body.decode("utf-8")
    assert status == 200 and re.search(r'data-outcome="eligible"[^>]*>\s*true', page), page[:2000]
    status, listing = c.json("GET", "/v1/decisions")
    assert status == 200 and len(listing["decisions"]) == 1
    logged = listing["decisions"][0]
    assert logged["outputs"]["eligible"] is True and logged["outputs"]["listing_reward_cny"] == 23000000
    status, again = c.json("GET", f"/v1/decisions/{logged['id']}")
    assert status == 200 and again == logged
    c.close()
    server.stop()
    verify = cli("log", "verify", "--db", db, cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    replay = cli("replay", "--db", db, cwd=tmp_path)
    assert replay.returncode == 0, replay.stdout + replay.stderr
