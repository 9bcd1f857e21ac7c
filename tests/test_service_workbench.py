"""`policyengine serve` serves the workbench at / beside the API, and a decision made on the
workbench's /try is logged like any other: it is listed, verified and replayed."""
from __future__ import annotations

import http.cookies
import json
import re
import shutil
import urllib.parse
from decimal import Decimal

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


def test_a_draft_shows_the_logged_decisions_it_would_change(served, tmp_path):
    from pathlib import Path

    server, _ = served
    c = server.client()
    cases = [("domestic", 23000000), ("none", 0)]
    for exchange, _reward in cases:  # two logged decisions: one a change of the reward touches, one not
        body = json.dumps({"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10",
                           "facts": {"registered_in_region": True, "listed_exchange": exchange}}).encode()
        assert c.request("POST", "/v1/decisions?explain=false", body)[0] == 201
    status, body, headers = c.request("GET", "/draft")
    token = http.cookies.SimpleCookie(headers["set-cookie"])["pe_csrf"].value
    source = (Path(__file__).resolve().parent.parent / "policies" / "baotou" / "innovation_opinion_2023_1.yaml")
    draft = source.read_text(encoding="utf-8").replace("value: 23000000", "value: 25000000", 1)
    form = {"csrf_token": token, "file": "baotou/innovation_opinion_2023_1.yaml", "text": draft}
    status, body, _ = c.request("POST", "/draft", urllib.parse.urlencode(form).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"pe_csrf={token}"})
    page = body.decode("utf-8")
    assert status == 200, page[:3000]
    section = re.search(r'<section id="logged-impacts" data-checked="(\d+)" data-changed="(\d+)">(.*?)</section>',
                        page, re.S)
    assert section and section.group(1) == "2" and section.group(2) == "1", page[-3000:]
    assert 'data-output="listing_reward_cny"' in section.group(3)
    assert "23000000" in section.group(3) and "25000000" in section.group(3)
    c.close()


def test_the_diff_page_reads_the_history_of_the_folder_served(tmp_path):
    """`serve FOLDER`: /diff compared git revisions of the shipped packs instead of FOLDER's (30 → 40 where the
    folder's last change was 50 → 40, and 'no difference' for a revision the folder does not have)."""
    from _webserver import packs_in_git

    folder = packs_in_git(tmp_path / "repo", [("value: 30", "value: 50"), ("value: 50", "value: 40")])
    server = Server(f"sqlite:///{tmp_path / 'log.db'}", tmp_path, str(folder))
    try:
        c = server.client()
        status, body, _ = c.request("GET", "/diff?old=HEAD~1&new=served&lang=en")
        row = re.search(r'<tr[^>]*data-scope="parameter"[^>]*data-id="min_service_days"[^>]*>(.*?)</tr>', body.decode(), re.S)
        assert status == 200 and row and "50" in row.group(1) and "40" in row.group(1) and "30" not in row.group(1)
        status, body, _ = c.request("GET", "/diff?old=HEAD&new=served&lang=en")
        assert status == 200 and 'id="no-difference"' in body.decode()
        status, body, _ = c.request("GET", "/diff?old=HEAD~3&new=served&lang=en")
        assert status == 422 and "unknown git revision" in body.decode()
        c.close()
    finally:
        server.stop()
    plain = tmp_path / "plain"  # a copy outside git: only the served version can be compared
    shutil.copytree(folder, plain)
    server = Server(f"sqlite:///{tmp_path / 'log2.db'}", tmp_path, str(plain))
    try:
        c = server.client()
        status, body, _ = c.request("GET", "/diff?old=HEAD&new=served")
        assert status == 422 and "当前提供的规则不在 git 管理的文件夹中" in body.decode()
        c.close()
    finally:
        server.stop()


def test_a_mistyped_address_is_a_page_for_a_browser_and_json_for_the_api(served):
    server, _ = served
    c = server.client()
    html = {"Accept": "text/html,application/xhtml+xml"}
    for path in ("/documents/", "/nonexistent", "/documents/x/y"):
        status, body, headers = c.request("GET", path, None, html)
        assert status == 404 and headers["content-type"].startswith("text/html"), path
        assert "未找到" in body.decode() and '"errors"' not in body.decode()
    for path, accept in (("/v1/nonexistent", html), ("/nonexistent", {"Accept": "application/json"})):
        status, body, headers = c.request("GET", path, None, accept)
        assert status == 404 and json.loads(body)["errors"][0]["code"] == "not-found", path
    for method, path in (("POST", "/v1/decisoins"), ("DELETE", "/whatever"), ("POST", "/nope"), ("PUT", "/v1")):
        status, body, headers = c.request(method, path, b"{}", html)  # 404 for every method, not 405 'GET only'
        assert status == 404 and json.loads(body)["errors"][0]["code"] == "not-found", (method, path)
    c.close()


@pytest.mark.parametrize("years", ["2.50", "0.12345678901234567890123", "0.0000001"])
def test_a_decimal_given_on_the_workbench_is_logged_as_written_and_replays(served, tmp_path, years):
    """The case of a /try decision is logged with the decimal as given: a float logged 2.50 as 2.5 (the
    explanation, which shows 2.50, then no longer reproduced) and a long decimal as text (refused on
    replay); replay exited 1 on a log nobody had touched."""
    server, db = served
    c = server.client()
    _, _, headers = c.request("GET", "/try?subject=workstation&jurisdiction=cn/nm/baotou&as_of=2024-03-01")
    token = http.cookies.SimpleCookie(headers["set-cookie"])["pe_csrf"].value
    form = {"subject": "workstation", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01", "csrf_token": token,
            "registered_in_region": "true", "independent_legal_person": "true",
            "organization_type": "tech_service_enterprise", "stable_team": "true", "service_capability": "true",
            "years_service_experience": years, "year": "2023", "commissioners_filed": "12"}
    status, body, _ = c.request("POST", "/try", urllib.parse.urlencode(form).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"pe_csrf={token}"})
    assert status == 200, body[:2000]
    status, listing = c.json("GET", "/v1/decisions")
    assert status == 200 and len(listing["decisions"]) == 1, listing
    shown = str(Decimal(years))  # (0.0000001 is shown 1E-7, as evaluate shows it)
    assert f'"years_service_experience":"{shown}"' in json.dumps(listing["decisions"][0], separators=(",", ":")), \
        "the explanation shows the decimal as given"
    c.close()
    server.stop()
    assert cli("log", "verify", "--db", db, cwd=tmp_path).returncode == 0
    replay = cli("replay", "--db", db, cwd=tmp_path)
    assert replay.returncode == 0, replay.stdout + replay.stderr
