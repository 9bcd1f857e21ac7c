"""The decision service through HTTP: the real server (uvicorn on a free 127.0.0.1 port)
over SQLite and PostgreSQL — the CONTRACT interface, keys, limits, every hostile case
fixture, and replay/verify of what it logged."""
from __future__ import annotations

import gzip
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal

import pytest
import yaml

from _service import ROOT, Server, cli, example_cases, free_port, new_pg_database, pg_admin_url
from policyengine import Policies, PolicyError
from policyengine.service.keys import digest_key

HOSTILE = ROOT / "tests" / "hostile"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"serve-{request.param}")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'log.db'}"
    else:
        url, drop = new_pg_database(pg_admin_url())
    srv = Server(url, tmp)
    yield srv, url
    srv.stop()
    if drop:
        drop()


@pytest.fixture(scope="module")
def sqlite_served(tmp_path_factory):
    """The request path is the same whatever the log: the hostile inputs run against one SQLite server."""
    tmp = tmp_path_factory.mktemp("serve-hostile")
    srv = Server(f"sqlite:///{tmp / 'log.db'}", tmp)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def library():
    return Policies.load()


def test_decisions_follow_the_contract(served, library):
    srv, url = served
    c = srv.client()
    status, pol = c.json("GET", "/v1/policies")
    assert status == 200 and re.fullmatch(r"sha256:[0-9a-f]{64}", pol["policy_version"])
    assert {"cn", "cn/nm/baotou/imust", "cn/nm/ordos/dongsheng"} <= {j["id"] for j in pol["jurisdictions"]}
    assert all({"id", "number", "title", "jurisdiction", "issued", "effective"} <= set(d) for d in pol["documents"])
    posted = []
    for name, body in example_cases():
        status, raw, headers = c.request("POST", "/v1/decisions", body)
        assert status == 201, (name, raw)
        got = json.loads(raw)
        want = library.evaluate(json.loads(body, parse_float=Decimal)).to_dict()
        for k in ("subject", "jurisdiction", "as_of", "outputs", "explanation", "layers"):
            assert got[k] == want[k], (name, k)
        assert got["policy_version"] == pol["policy_version"]
        assert RFC3339_UTC.match(got["decided_at"])
        assert isinstance(got["id"], str) and headers["location"] == f"/v1/decisions/{got['id']}"
        posted.append(raw)
        # the logged decision, byte for byte as answered
        status, again, _ = c.request("GET", f"/v1/decisions/{got['id']}")
        assert status == 200 and again == raw
    # explain=false: the same outputs, no explanation
    name, body = example_cases()[0]
    status, lean = c.json("POST", "/v1/decisions?explain=false", body)
    assert status == 201 and "explanation" not in lean
    assert lean["outputs"] == json.loads(posted[0])["outputs"]
    posted.append(json.dumps(lean, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    # paging: oldest first, 'next' until null, every decision once
    seen, cursor, pages = [], None, 0
    while True:
        status, page = c.json("GET", "/v1/decisions?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200 and len(page["decisions"]) <= 2
        seen += page["decisions"]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    ours = [json.loads(b)["id"] for b in posted]
    ids = [d["id"] for d in seen]
    assert ids[-len(ours):] == ours and len(set(ids)) == len(ids)
    assert [d["decided_at"] for d in seen] == sorted(d["decided_at"] for d in seen)
    # filters
    status, page = c.json("GET", "/v1/decisions?subject=enterprise&limit=1000")
    assert status == 200 and page["next"] is None and page["decisions"]
    assert {d["subject"] for d in page["decisions"]} == {"enterprise"}
    status, page = c.json("GET", "/v1/decisions?jurisdiction=cn/nm/baotou/imust&limit=1000")
    assert {d["jurisdiction"] for d in page["decisions"]} == {"cn/nm/baotou/imust"}
    status, health = c.json("GET", "/healthz")
    assert status == 200
    status, api = c.json("GET", "/openapi.json")
    assert status == 200 and {"/v1/decisions", "/v1/decisions/{decision_id}", "/v1/policies", "/healthz"} <= set(api["paths"])
    assert "201" in api["paths"]["/v1/decisions"]["post"]["responses"]
    # the answers are what the document says they are, with the explanation and without it
    import jsonschema

    schema = api["paths"]["/v1/decisions"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    for explain in ("true", "false"):
        status, answer = c.json("POST", f"/v1/decisions?explain={explain}", body)
        assert status == 201 and ("explanation" in answer) == (explain == "true")
        jsonschema.validate(answer, schema)
    for path in ("/v1/decisions/{decision_id}", "/v1/decisions"):
        assert "503" in api["paths"][path]["get"]["responses"]
    # every answer of another kind too: the policies, and a 422 of a query parameter (the document described
    # FastAPI's {"detail": …}, which the service never answers, and the policies as {})
    assert "HTTPValidationError" not in json.dumps(api)
    status, policies = c.json("GET", "/v1/policies")
    jsonschema.validate(policies, api["paths"]["/v1/policies"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    status, bad = c.json("GET", "/v1/decisions?limit=0")
    assert status == 422
    jsonschema.validate(bad, api["paths"]["/v1/decisions"]["get"]["responses"]["422"]["content"]["application/json"]["schema"])
    c.close()


@pytest.mark.parametrize("path, body, status, field", [
    ("/v1/decisions", b'{"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", '
                      b'"facts": {"service_days": "many"}}', 422, "facts.service_days"),
    ("/v1/decisions", b'{"subject": "commissioner", "jurisdiction": "cn/nowhere", "as_of": "2024-03-01"}', 422,
     "jurisdiction"),
    ("/v1/decisions", b'{"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-02-30"}', 422, "as_of"),
    ("/v1/decisions", b'{"subject": "commissioner", "jurisdiction": "cn", "facts": {}}', 422, "as_of"),
    ("/v1/decisions", b'{"jurisdiction": "cn", "as_of": "2024-03-01"}', 422, "subject"),
    ("/v1/decisions", b'[1, 2]', 422, "body"),
    ("/v1/decisions", b'{"subject": ', 422, "body"),
    ("/v1/decisions", b'\xff\xfe', 422, "body"),
    ("/v1/decisions?explain=perhaps", b'{}', 422, "explain"),
    ("/v1/decisions?lang=fr", b'{}', 422, "lang"),
])
def test_malformed_requests_name_the_field_and_log_nothing(served, path, body, status, field):
    srv, _ = served
    c = srv.client()
    before = _count(c)
    got, data, headers = c.request("POST", path, body)
    assert got == status and headers["content-type"] == "application/json"
    errors = json.loads(data)["errors"]
    assert field in [e["field"] for e in errors], errors
    assert all(e["code"] and e["message"] for e in errors)
    assert b"Traceback" not in data
    assert _count(c) == before
    c.close()


@pytest.mark.parametrize("body, line, column, says", [
    (b'{"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10", "facts": {},}', 1, 94,
     "最后一项后面不要加逗号"),
    (b"{'subject': 'enterprise'}", 1, 2, "这里应当是用半角双引号"),
    (b'{"subject": "enterprise", # a comment\n "jurisdiction": "cn/nm/baotou"}', 1, 27, "这里应当是用半角双引号"),
    (b'{"subject": "enterprise", "jurisdiction": "cn/nm/baotou", "as_of": "2024-05-10", "facts": {"x": NaN}}', 1, 97,
     "请写一个普通的数字"),  # (the json module reads NaN: the case reader refuses it at its place, PE008)
])
def test_a_body_sent_as_json_is_json(served, body, line, column, says):
    """The case reader reads YAML too: a body sent as application/json with a trailing comma, single quotes or a
    comment was decided (and logged) as if it were JSON.  It is a located 422; the same text as YAML is read."""
    srv, _ = served
    c = srv.client()
    before = _count(c)
    got, data, _ = c.request("POST", "/v1/decisions", body)
    e = json.loads(data)["errors"]
    code = "PE008" if b"NaN" in body else "PE001"
    assert got == 422 and [(x["code"], x["line"], x["column"]) for x in e] == [(code, line, column)], e
    assert says in e[0]["message"] + e[0]["hint"] and _count(c) == before, e
    if b"NaN" not in body and b"#" not in body:
        got, _, _ = c.request("POST", "/v1/decisions", body, {"Content-Type": "application/yaml"})
        assert got in (201, 422)  # (read as YAML: decided, or its facts refused — never for its syntax)
    c.close()


def test_a_malformed_case_is_answered_in_the_language_asked(served):
    srv, _ = served
    c = srv.client()
    body = b'{"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", "facts": {"servce_days": 3}}'
    for lang, words, hint in (("zh", "cn 的规则里没有对象 commissioner 的事实“servce_days”", "是不是想写“service_days”？"),
                              ("en", "unknown fact 'servce_days' for commissioner at cn", "did you mean 'service_days'?")):
        got, data, _ = c.request("POST", f"/v1/decisions?lang={lang}", body)
        e = json.loads(data)["errors"][0]
        assert got == 422 and e["field"] == "facts.servce_days" and words in e["message"] and e["hint"] == hint, e
    got, data, _ = c.request("GET", "/v1/decisions/no-such-id?lang=zh")
    assert got == 404 and json.loads(data)["errors"][0]["message"] == "没有这个编号的决定"
    c.close()


def test_errors_are_json_never_tracebacks(served):
    srv, _ = served
    c = srv.client()
    for method, path, body, status in [("GET", "/v1/decisions/no-such-id", None, 404),
                                       ("GET", "/v1/decisions/" + "x" * 5000, None, 404),
                                       ("GET", "/nothing-here", None, 404),
                                       ("DELETE", "/v1/decisions", None, 405),
                                       ("GET", "/v1/decisions?limit=0", None, 422),
                                       ("GET", "/v1/decisions?limit=abc", None, 422),
                                       ("GET", "/v1/decisions?cursor=not-a-cursor", None, 422),
                                       ("POST", "/v1/decisions", b"<xml/>", 415),
                                       # a trailing slash was a 307 with an empty body; a gzip body a 422 "not UTF-8"
                                       ("POST", "/v1/decisions/", example_cases()[0][1], 404),
                                       ("POST", "/v1/decisions", gzip.compress(example_cases()[0][1]), 415)]:
        headers = {"Content-Type": "application/xml"} if body == b"<xml/>" else \
            {"Content-Encoding": "gzip"} if body and body[:2] == b"\x1f\x8b" else {}
        got, data, h = c.request(method, path, body, headers)
        assert got == status, (method, path, data)
        assert h["content-type"] == "application/json" and json.loads(data)["errors"][0]["code"]
        assert b"Traceback" not in data
    # a query parameter's problem is said in the language asked for, Chinese by default
    for path, zh, en in [("/v1/decisions?limit=0", "不能小于 1", "must be at least 1"),
                         ("/v1/decisions?limit=5000", "不能大于 1000", "must be at most 1000"),
                         ("/v1/decisions?limit=abc", "应为整数", "must be a whole number")]:
        for lang, words in (("", zh), ("&lang=en", en)):
            got, data, _ = c.request("GET", path + lang)
            assert got == 422 and json.loads(data)["errors"][0]["message"] == words, (path, lang, data)
    got, data, _ = c.request("GET", "/v1/policies?lang=fr")  # (a language not offered: the default's words)
    assert got == 422 and json.loads(data)["errors"][0]["message"] == "只能是 'zh' 或 'en'"
    # bodies are bounded: the case-file limit (2 MiB), refused before it is read
    big = b'{"subject": "commissioner", "facts": {"x": "' + b"a" * (3 << 20) + b'"}}'
    got, data, _ = c.request("POST", "/v1/decisions", big)
    assert got == 413 and json.loads(data)["errors"][0]["field"] == "body"
    c.close()


def _count(c) -> int:
    n, cursor = 0, None
    while True:
        status, page = c.json("GET", "/v1/decisions?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
        n += len(page["decisions"])
        cursor = page["next"]
        if cursor is None:
            return n


# --- every malformed case of tests/hostile, through HTTP ------------------------------------------

def _hostile_cases():
    manifest = yaml.safe_load((HOSTILE / "manifest.yaml").read_text(encoding="utf-8"))
    return [m for m in manifest if m["command"] == "evaluate {input}" and "input" in m]


@pytest.mark.parametrize("entry", _hostile_cases(), ids=lambda m: m["input"])
def test_hostile_cases_through_http(sqlite_served, library, entry):
    """Each malformed case gets, through HTTP, the diagnostics that `policyengine evaluate` gives for the file
    (code, line, column), each naming its field; the accepted ones are decided."""
    srv = sqlite_served
    path = HOSTILE / entry["input"]
    body = path.read_bytes()
    ctype = "application/json" if path.suffix == ".json" else "application/yaml"
    try:
        library.evaluate(library.case(path))
        want = None
    except PolicyError as e:
        want = sorted((d.code, d.span.line if d.span else None, d.span.column if d.span else None)
                      for d in e.diagnostics)
    c = srv.client()
    before = _count(c)
    status, data, headers = c.request("POST", "/v1/decisions", body, {"Content-Type": ctype})
    assert headers["content-type"] == "application/json"
    assert b"Traceback" not in data and b"\x1b" not in data
    text = data.decode("utf-8")
    if entry["exit"] == 0:
        assert status == 201 and want is None, text
        c.close()
        return
    assert status == 422 and want is not None, text
    errors = json.loads(data)["errors"]
    assert sorted((e["code"], e["line"], e["column"]) for e in errors) == want
    assert all(e["field"] for e in errors)
    for expected in entry["expect"]:  # the fields the manifest names
        if re.fullmatch(r"(facts|subject|jurisdiction|as_of)(\.[a-z_\[\]0-9]+)*", expected):
            assert expected in [e["field"] for e in errors], (expected, text)
    assert _count(c) == before
    c.close()


# --- keys ------------------------------------------------------------------------------------------

def test_keys_and_roles(tmp_path):
    keys = tmp_path / "keys.yaml"
    keys.write_text(yaml.safe_dump({"keys": [
        {"name": "intake", "sha256": digest_key("decide-key-1"), "roles": ["decide"]},
        {"name": "auditor", "sha256": digest_key("read-key-1"), "roles": ["read"]},
        {"name": "both", "sha256": digest_key("both-key-1"), "roles": ["decide", "read"]}]}))
    assert "read-key-1" not in keys.read_text()
    srv = Server(f"sqlite:///{tmp_path / 'log.db'}", tmp_path, "--keys", str(keys))
    try:
        _, body = example_cases()[0]
        anon, intake, auditor, both = (srv.client(k) for k in (None, "decide-key-1", "read-key-1", "both-key-1"))
        status, data, h = anon.request("POST", "/v1/decisions", body)
        assert status == 401 and h.get("www-authenticate") == "Bearer" and json.loads(data)["errors"][0]["field"] == "Authorization"
        assert srv.client("wrong-key").request("GET", "/v1/decisions")[0] == 401
        assert anon.request("GET", "/v1/policies")[0] == 401
        assert anon.request("GET", "/v1/decisions?limit=abc")[0] == 401  # nothing about the request before the key
        assert auditor.request("POST", "/v1/decisions", body)[0] == 403
        status, raw, _ = intake.request("POST", "/v1/decisions", body)
        assert status == 201
        decision_id = json.loads(raw)["id"]
        assert intake.request("GET", f"/v1/decisions/{decision_id}")[0] == 403
        assert auditor.request("GET", f"/v1/decisions/{decision_id}")[1] == raw
        assert both.request("GET", "/v1/policies")[0] == 200
        assert anon.request("GET", "/healthz")[0] == 200 and anon.request("GET", "/openapi.json")[0] == 200
    finally:
        srv.stop()


def test_no_keys_no_public_address(tmp_path):
    # refused before anything is bound (192.0.2.1 is TEST-NET-1: not an address of this machine anyway)
    r = cli("serve", "--host", "192.0.2.1", "--port", "8", "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert r.returncode == 2 and "--keys" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.db").exists()
    bad = tmp_path / "keys.yaml"
    bad.write_text("keys:\n  - name: a\n    sha256: not-hex\n    roles: [decide]\n")
    r = cli("serve", "--keys", str(bad), "--port", "0", "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert r.returncode == 2 and "sha256" in r.stderr and "Traceback" not in r.stderr



def test_an_operators_mistake_is_exit_2_with_what_is_wrong_not_an_internal_error(tmp_path):
    """A policy path that is not there, a port in use, a host name that does not resolve: each was exit 3
    ("internal error, please report it"), the last two after the banner saying it was serving."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    r = cli("serve", str(tmp_path / "no-such-folder"), "--port", "0", "--db", db, cwd=tmp_path)
    assert r.returncode == 2 and "PE070" in r.stderr and "no-such-folder" in r.stderr and "Traceback" not in r.stderr, r.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = cli("serve", "--port", str(port), "--db", db, cwd=tmp_path)
        zh = cli("serve", "--port", str(port), "--db", db, "--lang", "zh", cwd=tmp_path)
    assert r.returncode == 2 and f"cannot serve on 127.0.0.1:{port}: the port is in use" in r.stderr, r.stderr
    assert "policyengine serve:" not in r.stderr and "internal error" not in r.stderr
    assert zh.returncode == 2 and "端口已被别的程序占用" in zh.stderr and "Address already in use" not in zh.stderr, zh.stderr
    assert not (tmp_path / "x.db").exists(), "no log is created for a service that cannot start"
    keys = tmp_path / "keys.yaml"
    keys.write_text(yaml.safe_dump({"keys": [{"name": "a", "sha256": digest_key("k-1"), "roles": ["decide"]}]}))
    r = cli("serve", "--host", "no-such-host.invalid", "--keys", str(keys), "--db", db, cwd=tmp_path)
    assert r.returncode == 2 and "cannot serve on no-such-host.invalid" in r.stderr and "internal error" not in r.stderr, r.stderr


def test_a_bracketed_ipv6_loopback_is_served(tmp_path):
    """'--host [::1]' passed the loopback check, then failed to resolve (exit 3)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "policyengine.cli", "serve", "--host", "[::1]", "--port", str(port),
                             "--db", f"sqlite:///{tmp_path / 'x.db'}"], cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("::1", port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    assert s.recv(100).startswith(b"HTTP/1.1 200"), "healthy on [::1]"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode() if proc.poll() else "no answer"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize("seconds", ["0", "3601", "-5"])
def test_keep_alive_outside_its_bounds_is_refused(tmp_path, seconds):
    r = cli("serve", "--keep-alive", seconds, "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert r.returncode == 2 and f"--keep-alive {seconds} is not between 1 and 3600 seconds" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "x.db").exists()


def test_an_idle_connection_outlives_uvicorns_five_seconds(sqlite_served):
    # the default keep-alive (75 s) is longer than a load balancer's idle time (60 s) and than a stall of the process
    import time

    c = sqlite_served.client()
    assert c.request("GET", "/healthz")[0] == 200
    sock = c.conn.sock
    time.sleep(6)
    assert c.request("GET", "/healthz")[0] == 200 and c.conn.sock is sock
    c.close()

def test_keep_alive_closes_an_idle_connection_after_its_seconds(tmp_path):
    import http.client
    import time

    srv = Server(f"sqlite:///{tmp_path / 'log.db'}", tmp_path, "--keep-alive", "1")
    try:
        c = srv.client()
        assert c.request("GET", "/healthz")[0] == 200
        time.sleep(0.3)  # within the second: the same connection answers
        assert c.request("GET", "/healthz")[0] == 200
        sock = c.conn.sock
        time.sleep(2.5)  # past it: the server has closed the connection (end of file on the client's socket)
        sock.settimeout(5)
        assert sock.recv(1) == b""
        with pytest.raises((OSError, http.client.HTTPException)):
            c.request("GET", "/healthz")
        assert c.request("GET", "/healthz")[0] == 200  # a new connection
        c.close()
    finally:
        srv.stop()

# --- the log: replay and verify of what the server wrote --------------------------------------------

def test_replay_reproduces_and_reports_a_new_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    srv = Server(url, tmp_path)
    c = srv.client()
    cases = example_cases()
    for _, body in cases:
        assert c.request("POST", "/v1/decisions", body)[0] == 201
        assert c.request("POST", "/v1/decisions?explain=false&lang=en", body)[0] == 201
    c.close()
    srv.stop()
    r = cli("log", "verify", "--db", url)
    assert r.returncode == 0 and f"intact: {2 * len(cases)} decision(s)" in r.stdout, r.stdout + r.stderr
    r = cli("replay", "--db", url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{2 * len(cases)} of {2 * len(cases)} logged decision(s) reproduced exactly" in r.stdout
    # a new version that halves the listing reward: the enterprise decisions change, and are named
    new = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", new)
    opinion = new / "baotou" / "innovation_opinion_2023_1.yaml"
    text = opinion.read_text(encoding="utf-8")
    assert "value: 23000000" in text
    changed = text.replace("value: 23000000", "value: 11500000")
    assert changed != text
    opinion.write_text(changed, encoding="utf-8")
    r = cli("replay", "--db", url, str(new), "--format", "json")
    assert r.returncode == 1, r.stdout + r.stderr
    report = json.loads(r.stdout)
    hit = report["cases"]["changed"]
    assert hit and {i["subject"] for i in hit} == {"enterprise"}
    assert all(o["output"] == "listing_reward_cny" for i in hit for o in i["outputs"])
    assert report["cases"]["checked"] == 2 * len(cases)
    for fmt, mark in (("text", "listing_reward_cny"), ("md", "| case |")):
        r = cli("replay", "--db", url, str(new), "--format", fmt, "--lang", "en")
        assert r.returncode == 1 and mark in r.stdout
    # each deciding rule with its document and article, in the report's language whatever the language each
    # decision was asked in (half of them Chinese)
    r = cli("replay", "--db", url, str(new), "--lang", "en")
    cited = "bt.enterprise.listing-reward (Opinions on Innovation-Driven Development and Strategic Emerging Industries 四18)"
    assert r.stdout.count(f"    listing_reward_cny: 23000000 → 11500000 (new: {cited}; old: {cited})\n") == len(hit) == 2
    # the version that decided is in the log: the replay does not need the files on disk
    r = cli("replay", "--db", url, cwd=tmp_path)
    assert r.returncode == 0
    # a git revision as the new version: the packs of HEAD decide every logged case as logged
    r = cli("replay", "--db", url, "git:HEAD", "--lang", "en", cwd=ROOT)
    assert r.returncode == 0 and "No difference." in r.stdout, r.stdout + r.stderr


def test_log_tools_on_a_missing_log(tmp_path):
    for args in (("log", "verify"), ("replay",)):
        r = cli(*args, "--db", f"sqlite:///{tmp_path / 'none.db'}")
        assert r.returncode == 2 and "no decision log" in r.stderr and "Traceback" not in r.stderr
        assert not (tmp_path / "none.db").exists()


def test_core_import_does_not_load_the_server_stack():
    import subprocess
    import sys

    code = ("import sys, policyengine, policyengine.cli; policyengine.cli.build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'sqlalchemy', 'uvicorn', 'psycopg', 'starlette'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("url, says", [
    ("sqlite:///{tmp}/q.db?mode=ro", "takes no '?…' options"),  # was dropped with a warning, and the file written
    ("sqlite://", "in-memory SQLite log would lose every decision"),
    ("mysql://u@h/db", "only sqlite and postgresql logs are supported"),
])
def test_a_log_url_the_service_would_not_honour_is_refused(tmp_path, url, says):
    r = cli("serve", "--db", url.format(tmp=tmp_path), "--port", "0", "--lang", "en", cwd=tmp_path)
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "q.db").exists()


def test_the_service_listens_as_soon_as_it_is_bound():
    """Bound with SO_REUSEADDR before the policies and the log were opened, but not listening: a second service
    started meanwhile on the same port bound it too, printed its banner and ran without listening."""
    from policyengine.service.serve import _listen

    first = _listen("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            _listen("127.0.0.1", first.getsockname()[1]).close()
    finally:
        first.close()
