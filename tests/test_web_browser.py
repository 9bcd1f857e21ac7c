"""The workbench in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by Selenium against the real server.

Without chromium or chromedriver these tests skip — unless ``CI`` is set, where they fail:
``.ci/run`` installs both (``.ci/chromium.sh``).  Screenshots of every page at 360 and 1280
pixels wide go to ``$POLICYENGINE_SCREENSHOTS`` or, when it is unset, a folder under
pytest's temporary directory; the folder is printed."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import pytest

from policyengine import Policies
from policyengine.load import load_file

from _webserver import Server, packs_in_git, policies, server  # noqa: F401 (the fixtures)

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (360, 1280)


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        message = "headless Chromium is needed: apt-get install -y chromium chromium-driver (.ci/chromium.sh)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    try:
        import selenium  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("selenium is not installed (pip install -e '.[test]')", pytrace=False)
        pytest.skip("selenium is not installed")
    return chromium, driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("POLICYENGINE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nworkbench screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser():
    chromium, driver_path = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="policyengine-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,900", "--lang=zh-CN"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _assert_no_other_host(drv, base: str) -> None:
    refs = drv.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href],[action]'))"
        ".map(e => e.src || e.href || e.action).filter(Boolean);")
    here = urlparse(base).netloc
    for r in refs:
        u = urlparse(r)
        assert u.scheme in ("http", "https", "") and u.netloc in ("", here), f"{drv.current_url} references {r}"
    loaded = drv.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert all(urlparse(r).netloc == here for r in loaded), loaded


def _shoot(drv, shots: Path, name: str) -> None:
    """The page as it is, at each width (the height of the whole page, up to 6000 px)."""
    for width in WIDTHS:
        drv.set_window_size(width, 900)
        height = min(6000, drv.execute_script("return document.documentElement.scrollHeight;") + 40)
        drv.set_window_size(width, max(600, height))
        overflow = drv.execute_script("return document.documentElement.scrollWidth - window.innerWidth;")
        assert overflow <= 1, f"{name} is wider than {width} px by {overflow} px"
        path = shots / f"{name}-{width}.png"
        drv.save_screenshot(str(path))
        assert path.stat().st_size > 1000
    drv.set_window_size(1280, 900)


def _submit(drv, how: str, what: str) -> None:
    """Click a button or link and wait for the next page to replace this one."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from selenium.common.exceptions import WebDriverException

    old = drv.find_element("tag name", "html")
    drv.find_element(how, what).click()

    def replaced(d) -> bool:
        # Selenium 4.18 (the oldest allowed) may see Chromium's "node does not belong to the
        # document" for an element of the page just left, where newer releases say stale
        try:
            return ec.staleness_of(old)(d)
        except WebDriverException as e:
            return "does not belong to the document" in str(e)

    WebDriverWait(drv, 30).until(replaced)
    WebDriverWait(drv, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _open(drv, server, path: str):
    drv.get(server.base + path)
    body = drv.find_element("tag name", "body").text
    assert "Traceback" not in body
    _assert_no_other_host(drv, server.base)
    return body


# --- pack test cases -----------------------------------------------------------------------------


def _pack_cases() -> list[dict]:
    out = []
    for f in sorted((ROOT / "policies").glob("*/tests/*.yaml")):
        data = load_file(f).data
        for c in data.get("cases", []):
            out.append({"file": f"{f.parent.parent.name}/{f.name}", **c})
    return out


def _chosen_cases() -> list[dict]:
    """At least ten cases: every subject and every jurisdiction the packs' tests use, the rest
    spread over the files, each with facts (a case of no facts tests nothing of the form)."""
    cases = [c for c in _pack_cases() if c.get("facts")]
    chosen: list[dict] = []
    seen_s, seen_j, seen_f = set(), set(), set()
    for c in cases:
        if c["subject"] not in seen_s or c["jurisdiction"] not in seen_j:
            chosen.append(c)
        seen_s.add(c["subject"]), seen_j.add(c["jurisdiction"])
    for c in cases:
        if len(chosen) >= 14:
            break
        if c["file"] not in seen_f and c not in chosen:
            chosen.append(c)
        seen_f.add(c["file"])
    return chosen


def _fill(drv, name: str, value) -> None:
    from selenium.webdriver.support.ui import Select
    from policyengine.web.forms import form_text

    el = drv.find_element("css selector", f'[name="{name}"]:not([type=hidden])')
    text = form_text(value)
    if el.tag_name == "select":
        Select(el).select_by_value(text)
    elif el.get_attribute("type") == "date":
        if value is None:
            drv.find_element("css selector", f'[name="{name}__null"]').click()
        else:
            drv.execute_script("arguments[0].value = arguments[1];", el, text)
    else:
        el.clear()
        el.send_keys(text)


def _decide(drv, server, case: dict) -> dict[str, str]:
    q = urlencode({"subject": case["subject"], "jurisdiction": case["jurisdiction"], "as_of": str(case["as_of"])})
    _open(drv, server, "/try?" + q)
    for name, value in case["facts"].items():
        _fill(drv, name, value)
    _submit(drv, "id", "decide")
    problems = [e.text for e in drv.find_elements("css selector", "[data-error-for], #errors")]
    assert not problems and drv.find_elements("id", "decision"), (case["name"], problems)
    return {e.get_attribute("data-outcome"): e.get_attribute("textContent")
            for e in drv.find_elements("css selector", "[data-outcome]")}


def test_try_decides_every_chosen_pack_case_as_the_library_does(browser, server, policies, shots):
    from policyengine.web.forms import show_value

    cases = _chosen_cases()
    assert len(cases) >= 10
    assert {c["subject"] for c in cases} == {"commissioner", "enterprise", "workstation", "jurisdiction"}
    assert len({c["jurisdiction"] for c in cases}) >= 5
    for i, case in enumerate(cases):
        shown = _decide(browser, server, case)
        want = policies.evaluate({k: case[k] for k in ("subject", "jurisdiction", "as_of", "facts")})
        assert shown == {k: show_value(v) for k, v in want.outputs.items()}, case["name"]
        for name, value in case.get("expect", {}).items():  # and the pack's own expectation
            assert shown[name] == show_value(value), (case["name"], name)
        explained = browser.find_elements("css selector", "[data-explanation]")
        assert len(explained) == len(shown) and all(e.get_attribute("textContent").strip() for e in explained)
        if i == 0:
            _shoot(browser, shots, "try-decision")


def test_what_if_marks_the_outcomes_one_changed_fact_changes(browser, server, policies, shots):
    from selenium.webdriver.support.ui import Select

    case = next(c for c in _pack_cases() if c["subject"] == "commissioner" and c["jurisdiction"] == "cn/nm/baotou"
                and c.get("expect", {}).get("eligible") is True)
    before = _decide(browser, server, case)
    Select(browser.find_element("name", "good_conduct")).select_by_value("false")
    _submit(browser, "id", "decide")
    changed = {e.get_attribute("data-changed") for e in browser.find_elements("css selector", "[data-changed]")}
    after = {e.get_attribute("data-outcome"): e.get_attribute("textContent")
             for e in browser.find_elements("css selector", "[data-outcome]")}
    assert before["eligible"] == "true" and after["eligible"] == "false"
    assert changed == {k for k in after if after[k] != before[k]} and "eligible" in changed
    _shoot(browser, shots, "try-what-if")


def test_a_malformed_fact_is_answered_beside_its_field(browser, server, shots):
    _open(browser, server, "/try?subject=commissioner&jurisdiction=cn/nm/baotou&as_of=2024-03-01")
    _fill(browser, "rd_enterprises", "three")
    browser.find_element("name", "evaluation_history").send_keys("[{not json")
    _submit(browser, "id", "decide")
    field = browser.find_element("css selector", '[data-field="evaluation_history"]')
    assert "不是有效的 JSON" in field.find_element("css selector", "[data-error-for]").text
    browser.find_element("name", "evaluation_history").clear()
    _submit(browser, "id", "decide")
    field = browser.find_element("css selector", '[data-field="rd_enterprises"]')
    message = field.find_element("css selector", '[data-error-for="rd_enterprises"]').text
    assert "rd_enterprises" in message and "three" in message
    assert browser.find_element("name", "rd_enterprises").get_attribute("value") == "three"  # kept to correct
    assert not browser.find_elements("css selector", "[data-outcome]")
    _shoot(browser, shots, "try-malformed")


def test_choosing_another_date_keeps_the_facts_decided(browser, server):
    _open(browser, server, "/try?subject=commissioner&jurisdiction=cn/nm/baotou&as_of=2024-03-01")
    _fill(browser, "rd_enterprises", 3)
    _submit(browser, "id", "decide")
    date = browser.find_element("css selector", '#choose input[name="as_of"]')
    browser.execute_script("arguments[0].value = arguments[1];", date, "2024-06-01")
    _submit(browser, "css selector", "#choose button[type=submit]")
    assert browser.find_element("css selector", '#facts [name="rd_enterprises"]').get_attribute("value") == "3"
    assert browser.find_element("css selector", '#facts [name="as_of"]').get_attribute("value") == "2024-06-01"


def test_every_document_page_opens(browser, server, policies, shots):
    ps = policies.policy_set
    for doc_id in sorted(ps.documents):
        _open(browser, server, "/documents/" + quote(doc_id))
        assert browser.find_element("id", "document-title").text == ps.documents[doc_id].title.zh
        rows = browser.find_elements("css selector", "[data-article]")
        assert len(rows) == len(ps.coverage[doc_id])
        for row in rows:  # each article: the rules that encode it, or why it decides nothing
            assert row.find_elements("css selector", "[data-rule]") or \
                row.find_elements("css selector", "[data-decides-nothing]")
        _shoot(browser, shots, "document-" + doc_id.replace(".", "_"))


def test_home_shows_the_tree_and_switches_language(browser, server, policies, shots):
    ps = policies.policy_set
    _open(browser, server, "/")
    assert browser.find_element("tag name", "html").get_attribute("lang") == "zh-CN"
    layers = [e.get_attribute("data-jurisdiction") for e in browser.find_elements("css selector", "[data-jurisdiction]")]
    assert sorted(layers) == sorted(ps.jurisdictions)
    assert ps.jurisdictions["cn/nm"].name.zh in browser.find_element("tag name", "body").text
    _shoot(browser, shots, "home")
    _submit(browser, "id", "lang-switch")
    assert "lang=en" in browser.current_url
    assert browser.find_element("tag name", "html").get_attribute("lang") == "en"
    body = browser.find_element("tag name", "body").text
    assert ps.jurisdictions["cn/nm"].name.en in body and ps.jurisdictions["cn/nm"].name.zh not in body
    _shoot(browser, shots, "home-en")
    _submit(browser, "css selector", "[data-document]")  # links keep the language
    assert "lang=en" in browser.current_url
    _submit(browser, "id", "lang-switch")
    assert "lang=en" not in browser.current_url
    assert browser.find_element("tag name", "html").get_attribute("lang") == "zh-CN"


def _nm_file() -> Path:
    return ROOT / "policies" / "inner_mongolia" / "commissioner_measures.yaml"


def test_a_draft_with_a_mistake_shows_the_diagnostic_at_its_line(browser, server, shots):
    text = _nm_file().read_text(encoding="utf-8")
    lines = text.splitlines()
    n = next(i for i, l in enumerate(lines, 1) if l.strip() == "condition: good_conduct")
    lines[n - 1] = lines[n - 1].replace("good_conduct", "good_condcut")
    _open(browser, server, "/draft")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "draft-file")).select_by_value("inner_mongolia/commissioner_measures.yaml")
    browser.execute_script("arguments[0].value = arguments[1];", browser.find_element("id", "draft-text"),
                           "\n".join(lines) + "\n")
    _submit(browser, "id", "check")
    found = browser.find_elements("css selector", f'[data-diagnostic="PE022"][data-line="{n}"]')
    assert found and "good_condcut" in found[0].text and "good_conduct" in found[0].text  # did you mean
    at = browser.find_element("css selector", f'[data-diagnostic-at="{n}"]')
    assert "PE022" in at.text and at.find_element("xpath", "..").get_attribute("id") == f"L{n}"
    assert browser.find_element("id", "draft-result").text.count("draft: inner_mongolia/commissioner_measures.yaml")
    _shoot(browser, shots, "draft-mistake")
    # a correct draft that changes a threshold: no diagnostic of its own, and the diff against the version in force
    changed = text.replace("  min_service_days:\n    value: 30", "  min_service_days:\n    value: 40")
    assert changed != text
    browser.execute_script("arguments[0].value = arguments[1];", browser.find_element("id", "draft-text"), changed)
    Select(browser.find_element("id", "draft-file")).select_by_value("inner_mongolia/commissioner_measures.yaml")
    _submit(browser, "id", "check")
    assert not browser.find_elements("css selector", '[data-diagnostic].error')
    row = browser.find_element("css selector", '[data-scope="parameter"][data-id="min_service_days"]')
    assert "30" in row.text and "40" in row.text
    _shoot(browser, shots, "draft-diff")


@pytest.fixture(scope="module")
def changed_repo(tmp_path_factory):
    """A git repository of the packs with one commit on top that raises a threshold."""
    return packs_in_git(tmp_path_factory.mktemp("repo"), [("value: 30", "value: 40")])


def test_the_diff_page_shows_a_changed_threshold(browser, changed_repo, shots):
    from policyengine.web import create_app

    with Server(create_app(Policies.load(changed_repo), folder=changed_repo)) as other:
        _open(browser, other, "/diff?old=HEAD~1&new=HEAD")
        row = browser.find_element("css selector", '[data-scope="parameter"][data-id="min_service_days"]')
        assert "30" in row.text and "40" in row.text and row.get_attribute("data-change") == "changed"
        in_force = browser.find_elements("css selector", '[data-scope="in-force"][data-id="min_service_days"]')
        assert in_force  # and where it is in force
        _shoot(browser, shots, "diff")
        _open(browser, other, "/diff?old=HEAD&new=served")
        assert browser.find_element("id", "no-difference")
        _open(browser, other, "/diff?old=no-such-rev")
        assert "no-such-rev" in browser.find_element("id", "errors").text


def test_the_remaining_pages_at_both_widths(browser, server, shots):
    for name, path in (("try-form", "/try?subject=commissioner&jurisdiction=cn/nm/baotou/imust&as_of=2024-03-01"),
                       ("try-en", "/try?subject=enterprise&jurisdiction=cn/nm&as_of=2024-03-01&lang=en"),
                       ("draft", "/draft"), ("diff-form", "/diff"), ("not-found", "/documents/nope")):
        _open(browser, server, path)
        _shoot(browser, shots, name)
