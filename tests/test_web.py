"""The workbench over HTTP (no browser): the CONTRACT's pages, no asset from another host,
CSRF, bounded bodies, escaping, and never a traceback.  The browser drives the same
server in test_web_browser.py."""
from __future__ import annotations

import http.cookies
import re
import subprocess
import sys
import urllib.parse

import pytest


from _webserver import Server, policies, server  # noqa: F401 (the fixtures)

OTHER_HOST = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)


def _pages(policies) -> list[str]:
    ps = policies.policy_set
    out = ["/", "/?lang=en", "/try", "/try?subject=commissioner&jurisdiction=cn/nm/baotou/imust&as_of=2024-03-01",
           "/draft", "/diff", "/diff?old=served&new=served", "/assets/workbench.css"]
    out += [f"/documents/{d}" for d in sorted(ps.documents)]
    return out


def test_the_core_does_not_import_the_web_stack():
    code = ("import sys, policyengine; from policyengine import Policies; Policies.load(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'jinja2', 'starlette', 'uvicorn')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_every_page_answers_and_references_no_other_host(server, policies):
    for path in _pages(policies):
        status, headers, body = server.get(path)
        assert status == 200, path
        assert not OTHER_HOST.search(body), f"{path} references another host"
        assert "Traceback" not in body and 'File "' not in body
        if path.endswith(".css"):
            assert "url(" not in body and "@import" not in body
        else:
            assert "default-src 'self'" in headers["content-security-policy"]


def test_chinese_by_default_english_with_lang(server, policies):
    nm = policies.policy_set.jurisdictions["cn/nm"].name
    _, _, zh = server.get("/")
    _, _, en = server.get("/?lang=en")
    assert '<html lang="zh-CN">' in zh and nm.zh in zh
    assert '<html lang="en">' in en and nm.en in en and nm.zh not in en


def test_every_document_page_lists_its_articles_in_order(server, policies):
    from policyengine.web.pages import citation_key

    ps = policies.policy_set
    for doc_id, doc in ps.documents.items():
        _, _, body = server.get("/documents/" + urllib.parse.quote(doc_id))
        shown = re.findall(r'<tr data-article="([^"]*)">', body)
        import html
        shown = [html.unescape(a) for a in shown]
        assert sorted(shown) == sorted(ps.coverage[doc_id]), doc_id
        assert shown == sorted(shown, key=citation_key), doc_id
        assert html.escape(doc.title.zh if hasattr(doc.title, "zh") else doc.title) in body
    assert citation_key("第二条") < citation_key("第十条") < citation_key("第十一条") < citation_key("第二十条")
    assert citation_key("七(二)") < citation_key("七(三)") < citation_key("十")


def test_a_document_page_shows_the_packs_texts_in_its_language(server):
    import html

    page = "/documents/" + urllib.parse.quote("bt.commissioner-plan")
    zh, en = (html.unescape(server.get(page + q)[2]) for q in ("", "?lang=en"))
    # an article that decides nothing: the reason alone, after the page's own words for it
    assert "不作判定: 指导思想" in zh and "Decides nothing: guiding ideology" in en
    assert "guiding ideology" not in zh and "指导思想" not in en
    # the readings and assumptions: the assumed date, an ambiguity, a reading
    for zh_text, en_text in (("原文未写日期。本方案贯彻包党发〔2023〕1号", "The plan is undated. It implements 包党发〔2023〕1号"),
                             ("方案写的是“国有大中型工业企业”", "the plan says “国有大中型工业企业” (large and"),
                             ("采用产品负责人确定的解读6", "Reading 6 settled by the product owner")):
        assert zh_text in zh and en_text not in zh
        assert en_text in en and zh_text not in en
    # the check's warnings about the document cite it by its title in the page's language
    assert "Baotou Implementation Plan for Enterprise S&amp;T Commissioners" not in en  # (unescaped above)
    assert "Baotou Implementation Plan for Enterprise S&T Commissioners 四(一)" in en


def test_an_unknown_document_is_a_page_not_a_traceback(server):
    status, _, body = server.get("/documents/%3Cscript%3Ealert(1)")
    assert status == 404 and "<script>alert(1)" not in body and "&lt;script&gt;" in body


def _token(server) -> str:
    _, headers, body = server.get("/try?subject=commissioner&jurisdiction=cn/nm/baotou&as_of=2024-03-01")
    cookie = http.cookies.SimpleCookie(headers["set-cookie"])["pe_csrf"]
    assert cookie["httponly"] and cookie["samesite"].lower() == "lax"  # (Strict: a link from elsewhere renewed it)
    assert f'name="csrf_token" value="{cookie.value}"' in body
    return cookie.value


def _post(server, path, fields: dict, token: str | None, form_token: str | None = None):
    data = dict(fields)
    if form_token is not None or token is not None:
        data["csrf_token"] = form_token if form_token is not None else token
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if token:
        headers["Cookie"] = f"pe_csrf={token}"
    return server.request("POST", path, urllib.parse.urlencode(data).encode(), headers)


CASE = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01"}


def test_a_post_without_the_csrf_token_is_refused(server):
    token = _token(server)
    assert _post(server, "/try", CASE, None)[0] == 403
    assert _post(server, "/try", CASE, token, "x" * 43)[0] == 403
    assert _post(server, "/draft", {"text": "a: 1"}, None)[0] == 403
    status, _, body = _post(server, "/try", CASE, token)
    assert status == 200 and 'data-outcome="eligible"' in body


def test_try_decides_as_the_library_does_and_escapes_what_it_echoes(server, policies):
    token = _token(server)
    facts = {"rd_enterprises": "2", "year": "2023", "education": "bachelor", "good_conduct": "true"}
    status, _, body = _post(server, "/try", {**CASE, **facts}, token)
    want = policies.evaluate({**CASE, "facts": {"rd_enterprises": 2, "year": 2023, "education": "bachelor",
                                                "good_conduct": True}})
    from policyengine.web.forms import show_value

    shown = dict(re.findall(r'data-outcome="([^"]+)" data-json="[^"]*">([^<]*)</output>', body))
    assert shown == {k: show_value(v) for k, v in want.outputs.items()}
    status, _, body = _post(server, "/try", {**CASE, "rd_enterprises": '"><script>alert(1)</script>'}, token)
    assert status == 422 and "<script>alert(1)" not in body
    assert re.search(r'data-error-for="rd_enterprises"[^>]*>facts\.rd_enterprises：这里应当是整数', body)
    status, _, body = _post(server, "/try", {**CASE, "lang": "en", "rd_enterprises": "x"}, token)
    assert re.search(r'data-error-for="rd_enterprises"[^>]*>facts\.rd_enterprises: expected a whole number', body)


def test_a_body_past_the_bound_is_refused_before_it_is_read(server):
    import socket

    token = _token(server)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall((f"POST /draft HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: pe_csrf={token}\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3145728\r\n"
                   "Connection: close\r\n\r\n").encode() + b"text=" + b"x" * 1000)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"Traceback" not in body


def test_a_draft_never_writes_to_the_served_policies(server, policies):
    import os
    from pathlib import Path

    files = sorted({d.path for d in policies.policy_set.documents.values()})
    before = {f: (os.stat(f).st_mtime_ns, Path(f).read_bytes()) for f in files}
    token = _token(server)
    name = "national/" + os.path.basename(next(f for f in files if "national" in f))
    status, _, body = _post(server, "/draft", {"file": name, "text": "kind: nonsense\n"}, token)
    assert status == 200 and 'data-diagnostic="' in body
    assert {f: (os.stat(f).st_mtime_ns, Path(f).read_bytes()) for f in files} == before
    assert str(Path(files[0]).parent) not in body  # files are named by folder and name, not by server path


def test_diff_refuses_what_is_not_a_revision(server):
    for bad in ("--output=/tmp/x", "../../etc", "HEAD;rm", "a..b"):
        status, _, body = server.get("/diff?old=" + urllib.parse.quote(bad))
        assert status == 422 and "Traceback" not in body


def test_with_keys_every_page_needs_a_session_opened_with_a_key(policies):
    from policyengine.web import create_app

    roles = {"decider-key": {"read", "decide"}, "reader-key": {"read"}}
    decided = []
    app = create_app(policies, keys=roles.get, on_decision=lambda case, d: decided.append((case, d.outputs)))
    with Server(app) as s:
        import urllib.error
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        with pytest.raises(urllib.error.HTTPError) as got:
            urllib.request.build_opener(NoRedirect).open(s.base + "/try?subject=commissioner")
        assert got.value.code == 303 and got.value.headers["Location"] == "/login?next=%2Ftry%3Fsubject%3Dcommissioner"
        status, headers, body = s.get("/login?next=/documents/x")
        cookie = http.cookies.SimpleCookie(headers["set-cookie"])["pe_csrf"].value
        assert 'name="key"' in body and 'type="password"' in body
        assert _post(s, "/try", CASE, cookie)[0] == 401  # no session
        status, _, body = _post(s, "/login", {"key": "wrong", "next": "/"}, cookie)
        assert status == 401 and 'id="login-failed"' in body

        def session(key: str) -> str:
            req = urllib.request.Request(s.base + "/login", method="POST", data=urllib.parse.urlencode(
                {"key": key, "next": "//evil.example/", "csrf_token": cookie}).encode(),
                headers={"Cookie": f"pe_csrf={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
            try:
                urllib.request.build_opener(NoRedirect).open(req)
            except urllib.error.HTTPError as e:
                assert e.code == 303 and e.headers["Location"] == "/"  # never off to another host
                jar = http.cookies.SimpleCookie(e.headers["Set-Cookie"])["pe_session"]
                assert jar["httponly"] and jar["samesite"].lower() == "strict"
                return jar.value
            raise AssertionError("no redirect after login")

        reader, decider = session("reader-key"), session("decider-key")
        both = lambda sid: {"Cookie": f"pe_csrf={cookie}; pe_session={sid}"}  # noqa: E731
        assert s.get("/", both(reader))[0] == 200
        assert s.get("/documents/cn.guobanfa-2016-32", both(reader))[0] == 200
        form = urllib.parse.urlencode({**CASE, "csrf_token": cookie}).encode()
        hdrs = lambda sid: {**both(sid), "Content-Type": "application/x-www-form-urlencoded"}  # noqa: E731
        assert s.request("POST", "/try", form, hdrs(reader))[0] == 403  # read is not decide
        assert not decided
        status, _, body = s.request("POST", "/try", form, hdrs(decider))
        assert status == 200 and 'data-outcome="eligible"' in body
        assert len(decided) == 1 and decided[0][0]["subject"] == "commissioner"  # the service logs it here


def test_a_draft_can_be_uploaded_as_a_file(server):
    token = _token(server)
    boundary = "----policyengine-test-boundary"
    draft = b"kind: policy-document\nversion: 1\ndocument: {id: x}\nrules:\n  - id: [\n"
    parts = [(b'Content-Disposition: form-data; name="csrf_token"', token.encode()),
             (b'Content-Disposition: form-data; name="file"', b""),
             (b'Content-Disposition: form-data; name="upload"; filename="mine.yaml"\r\nContent-Type: application/yaml',
              draft)]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n" for head, data in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    status, _, page = server.request("POST", "/draft", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": f"pe_csrf={token}"})
    assert status == 200
    found = re.findall(r'data-diagnostic="(PE\d+)" data-line="(\d+)"', page)
    assert ("PE001", "6") in found or ("PE001", "5") in found, found  # the YAML error, at its line
    assert "draft: draft.yaml:" in page and "id: [" in page


@pytest.mark.parametrize("lang, part", [("zh", "取值"), ("en", "value")])
def test_a_drafts_changes_name_the_part_in_the_pages_language(server, lang, part):
    """The draft page lists what the draft changes, as ``policyengine diff`` does: in Chinese the part is named
    in the guide's words (取值), not by its YAML key (value)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "policies"
    text = (root / "imust" / "measures_2023_45.yaml").read_text(encoding="utf-8")
    edited = re.sub(r"(min_service_days:\n(?:    .*\n)*?    value: )30\b", r"\g<1>40", text, count=1)
    assert edited != text
    status, _, body = _post(server, "/draft", {"file": "imust/measures_2023_45.yaml", "text": edited, "lang": lang},
                            _token(server))
    assert status == 200
    row = re.search(r'<tr data-change="changed" data-scope="parameter" data-id="min_service_days">(.*?)</tr>', body, re.S)
    assert row, body[-3000:]
    assert f"<code>min_service_days</code> · {part}" in row.group(1)
    assert (" · value" in row.group(1)) == (lang == "en")
