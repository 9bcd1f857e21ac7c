"""``diff --cases`` and ``replay`` on the batch path (issue 17): a population screened in SQL — DuckDB,
or inside the PostgreSQL database of the log — must give exactly the report of the row-wise path
(the same changed decisions, in the same order, in the same words, text and JSON).

The population: the pack test cases of a few programs and generated IMUST and Baotou cases
(tests/test_batch.py's generators: tier ends, grade boundaries, facts left out), plus cases that only
the reference reader takes; the new version moves two tiers of the Baotou score table, so that a part
of the population changes.  Each test forces each path on the same small population.  The translation
rendered for PostgreSQL is compared with ``Program.decide`` on every pack case and on the 100,000
generated cases of the batch differential (tests/conftest.py).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import types
import uuid
from pathlib import Path

import pytest

from _service import ROOT, new_pg_database, pg_admin_url
from test_batch import generated_cases, pack_cases

from policyengine import Policies
from policyengine.batch.screen import THRESHOLD, choose, strict_json
from policyengine.diff import impacted_cases, render
from policyengine.explain import to_json_value
from policyengine.service.log import DecisionLog, Record
from policyengine.service.replay import run_replay
from policyengine.service.versions import PolicyVersion

DAY = dt.date(2024, 3, 1)
ODD = [  # only the reference reader takes these: the row-wise path decides them on every path
    '{"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01", "as_of": "2024-03-02"}',
    '{"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01", "facts": {"year": NaN}}',
    '{"subject": "commissioner", "jurisdiction": "cn/nm/nowhere", "as_of": "2024-03-01", "facts": {}}',
]


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> tuple[Path, Policies, Policies]:
    new = tmp_path_factory.mktemp("new") / "policies"
    shutil.copytree(ROOT / "policies", new)
    p = new / "baotou" / "commissioner_plan.yaml"
    text = p.read_text(encoding="utf-8")
    assert "{min: 4, max: 6, points: 6" in text
    p.write_text(text.replace("{min: 4, max: 6, points: 6", "{min: 5, max: 6, points: 6")
                 .replace("{min: 1, max: 3, points: 3", "{min: 1, max: 4, points: 3"), encoding="utf-8")
    return new, Policies.load(), Policies.load(new)


@pytest.fixture(scope="module")
def population() -> list[dict]:
    """Generated cases (two programs) and the pack cases of a few more: every program costs DuckDB
    a planning, so the report paths are compared on few (PostgreSQL's translation is compared with
    ``Program.decide`` on every pack case and 100,000 generated ones, below)."""
    some = {}
    for c in pack_cases():
        some.setdefault((c.get("subject"), c.get("jurisdiction"), c.get("as_of")), []).append(c)
    picked = [c for k in sorted(some, key=str)[:: max(1, len(some) // 6)] for c in some[k]]
    return generated_cases(6) + picked


def _json(case: dict) -> str:
    return json.dumps(case, ensure_ascii=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def test_diff_cases_batch_path_reports_exactly_what_the_row_wise_path_reports(versions, population):
    _, old, new = versions
    items = [(f"case-{i}", c) for i, c in enumerate(population)]
    reports, notes = {}, {}
    for path in ("python", "duckdb"):
        notes[path] = []
        impacts = impacted_cases(old, new, items, "en", path=path, notes=notes[path])
        reports[path] = {fmt: render("old", "new", DAY, [], impacts, len(items), fmt, lang)
                         for fmt in ("text", "json") for lang in ("en", "zh")}
        assert impacts and len(impacts) < len(items) / 2  # some cases change, most do not
    assert reports["duckdb"] == reports["python"]
    assert notes["python"] == []
    en = [n.en for n in notes["duckdb"]]
    assert en[0].startswith("batch path (DuckDB): ") and "decided by SQL under both versions" in en[0]
    assert "SQL 在新旧两个版本下计算并比较" in notes["duckdb"][0].zh
    assert any("decided row-wise: " in n and "(the decimal fact 'years_service_experience')" in n for n in en)


def test_the_screen_clears_a_case_only_when_sql_decided_the_same_outcomes(versions, population):
    """Every case the batch path leaves out is one whose outcomes ``Policies.evaluate`` gives the same."""
    from policyengine.batch.screen import open_screen, screened

    _, old, new = versions
    screen = open_screen("duckdb")
    try:
        got = list(screened(((i, (old, new), c) for i, c in enumerate(population)), screen, "en", chunk=97))
    finally:
        screen.close()
    assert [k for k, _ in got] == list(range(len(population)))  # in order, across chunks
    cleared = [k for k, must in got if not must]
    assert len(cleared) > len(population) / 3
    for k in cleared:
        a, b = old.evaluate(population[k], explain=False), new.evaluate(population[k], explain=False)
        assert {n: to_json_value(v) for n, v in a.outputs.items()} == {n: to_json_value(v) for n, v in b.outputs.items()}


def test_strict_json_leaves_to_the_reference_reader_what_json_would_read_loosely():
    assert strict_json('{"a": [1, {"b": "x"}]}') == {"a": [1, {"b": "x"}]}
    for text in ODD[:2] + ['{"a": 1.30000000000000000001}', '{"a": 1e400}', '{"a": ' + "[" * 70 + "]" * 70 + "}", '{"a": 1' + "0" * 40 + "}", "{"]:
        assert strict_json(text) is None, text


def test_auto_takes_the_batch_path_past_the_threshold():
    assert choose("auto", THRESHOLD) == "python"
    assert choose("auto", THRESHOLD + 1) == "duckdb"
    assert choose("auto", THRESHOLD + 1, "postgresql") == "postgres"
    assert choose("python", 10 ** 7, "postgresql") == "python"
    assert choose("duckdb", 1) == "duckdb"


def _fill(url: str, cases: list[str]) -> None:
    log = DecisionLog(url)
    pv = PolicyVersion.read([ROOT / "policies"])
    no = log.store_version(pv)
    records = []
    for i, text in enumerate(cases):
        case = json.loads(text.replace("NaN", "null"))
        rid = str(uuid.UUID(int=i + 1))
        records.append(Record(rid, f"2026-01-01T00:00:00.{i:06d}Z", case.get("subject", ""), case.get("jurisdiction", ""),
                              no, pv.digest, "0.1.0", False, "en", text.encode("utf-8"), b'{"logged": true}'))
    log.append(records)
    log.close()


def _replays(url: str, new: Policies, engines: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The report of each engine, text and JSON, rendered as ``replay`` renders it (the logged versions
    loaded once and shared)."""
    from policyengine.service.replay import logged_impacts

    out, olds = {}, {}
    log = DecisionLog(url, create=False)
    try:
        for engine in engines:
            checked, impacts, _ = logged_impacts(log, new, olds, path=engine)
            out[engine] = {fmt: render("log", "new", DAY, [], impacts, checked, fmt, "en") for fmt in ("text", "json")}
    finally:
        log.close()
    return out


def _cli_replay(capsys, url: str, new: Path, engine: str, lang: str = "en") -> tuple[int, str, str]:
    capsys.readouterr()
    code = run_replay(url, [str(new)], fmt="json", lang=lang, engine=engine)
    got = capsys.readouterr()
    return code, got.out, got.err


def test_replay_on_a_sqlite_log_batch_path_reports_exactly_what_the_row_wise_path_reports(versions, population, tmp_path,
                                                                                          capsys):
    new, _, pn = versions
    url = f"sqlite:///{tmp_path / 'log.db'}"
    logged = population[::3]
    _fill(url, [_json(c) for c in logged] + ODD)
    got = _replays(url, pn, ("python", "duckdb"))
    assert got["duckdb"] == got["python"]
    assert json.loads(got["python"]["json"])["cases"]["checked"] == len(logged) + len(ODD)
    assert 0 < len(json.loads(got["python"]["json"])["cases"]["changed"]) < len(logged) / 2
    code, out, err = _cli_replay(capsys, url, new, "postgres", "zh")  # (the command's own run: the PostgreSQL test)
    assert code == 2 and "--engine postgres 只能用于 PostgreSQL 上的决定日志" in err and out == ""


def test_diff_command_says_on_stderr_which_path_it_took(capsys):
    from policyengine.diff import run_diff

    data = Path(__file__).parent / "data" / "diff_base"
    for lang, note in (("zh", "说明：批量路径（DuckDB）："), ("en", "note: batch path (DuckDB): ")):
        err = io.StringIO()
        code = run_diff(str(data / "policies"), str(data / "policies"), cases=str(data / "cases"), fmt="json", lang=lang,
                        as_of="2024-06-01", engine="duckdb", err=err)
        assert code == 0 and json.loads(capsys.readouterr().out)["cases"] == {"checked": 4, "changed": []}
        assert err.getvalue().startswith(note), err.getvalue()


# --- inside PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url():
    url, drop = new_pg_database(pg_admin_url())
    yield url
    drop()


def test_the_translation_rendered_for_postgresql_agrees_with_evaluate(pg_url, hundred_thousand):
    """Every pack test case (every program they name, each query rendered for PostgreSQL) and the
    100,000 generated cases of the batch differential (tests/conftest.py: every tier end, every grade
    boundary, each fact left out): for each case PostgreSQL decides, the outcomes ``Program.decide``
    gives.  SQL decides most of them (the others escape to the row-wise path, as in DuckDB); an outcome
    the translation cannot express is named, and the screen takes its value from ``Program.decide``."""
    from sqlalchemy import create_engine

    from policyengine.batch.pg import postgres_screen, render_pg
    from policyengine.batch.screen import CHUNK
    from policyengine.service.log import engine_url

    pol = Policies.load()
    packs = pack_cases()
    groups: dict[int, tuple] = {}
    for c in packs + hundred_thousand.cases:
        got = pol._accept(c, "en")
        if got is not None:
            groups.setdefault(id(got[1][1]), (got[1][1], []))[1].append((got[0], got[1][3]))
    named = {id(got[1][1]) for c in packs if (got := pol._accept(c, "en")) is not None}
    eng = create_engine(engine_url(pg_url))
    screen = postgres_screen(types.SimpleNamespace(reader=eng))
    decided = accepted = 0
    aggregates = False
    try:
        for prog, rows in groups.values():
            mine = 0
            for at in range(0, len(rows), CHUNK):  # (as screened() sends them: a chunk at a time)
                chunk = rows[at:at + CHUNK]
                for (facts, on), values in zip(chunk, screen.outcomes(prog, chunk)):
                    if values is None:
                        continue
                    mine += 1
                    want = prog.decide(facts, on)
                    assert {o: to_json_value(v) for o, v in values.items()} == \
                        {o: to_json_value(want.get(o)) for o in values}, (prog.subject, prog.layers.path[-1], facts)
            decided, accepted = decided + mine, accepted + len(rows)
            assert len(rows) < 1000 or mine > len(rows) * 0.95, (prog.subject, prog.layers.path[-1], mine, len(rows))
            sql = render_pg(prog, screen.queries[id(prog)][1])
            assert "lambda" not in sql.lower() and "list_" not in sql.lower()
            aggregates |= "jsonb_to_recordset" in sql.lower()
    finally:
        screen.close()
        eng.dispose()
    assert named <= set(screen.queries) and len(named) > 40  # (every program of the packs, not a sample)
    assert screen.refused == {}
    assert aggregates and accepted > 100_000 and decided > accepted * 0.95
    assert "eligible of workstation at cn/nm (the decimal fact 'years_service_experience')" in screen.row_wise
    note = screen.notes(accepted)[1]
    assert note.en.startswith("outcomes the SQL translation cannot express, decided row-wise: ") and \
        "eligible of workstation at cn/nm/baotou" in note.en and note.zh.startswith("SQL 翻译无法表达的结果，逐行计算：")


def test_replay_inside_postgresql_reports_exactly_what_the_row_wise_path_reports(versions, population, pg_url, capsys):
    new, _, pn = versions
    _fill(pg_url, [_json(c) for c in population[::3]] + ODD)
    got = _replays(pg_url, pn, ("python", "postgres"))
    assert got["postgres"] == got["python"]
    code, out, err = _cli_replay(capsys, pg_url, new, "postgres")
    assert code == 1 and json.loads(out)["cases"] == json.loads(got["python"]["json"])["cases"]
    assert "note: batch path (inside PostgreSQL): " in err


def test_replay_names_the_engine_that_made_a_decision_it_does_not_reproduce(tmp_path):
    """The log keeps the version of the engine that decided; replay never read it, so a decision changed by a new
    engine read like a log altered or a non-deterministic engine."""
    from policyengine import __version__

    url = f"sqlite:///{tmp_path / 'log.db'}"
    case = {"subject": "enterprise", "jurisdiction": "cn/nm", "as_of": "2024-06-01", "facts": {}}
    _fill(url, [json.dumps(case)])  # (logged by "0.1.0", with an answer this engine does not give)
    for lang, says in (("en", f"(decided by engine 0.1.0, replayed with {__version__})"),
                       ("zh", f"（作出时的引擎版本 0.1.0，现在是 {__version__}）")):
        out = io.StringIO()
        assert run_replay(url, [], lang=lang, out=out) == 1
        lines = out.getvalue().splitlines()
        assert lines[0].endswith(says) and len(lines) == 3, lines
        assert ("look at the engine's change before suspecting the log" if lang == "en" else "先看引擎的变化，再怀疑日志") in lines[2]


def test_replay_under_the_logged_versions_speaks_json_and_markdown(tmp_path):
    """--format json|md was ignored without a new version: tools reading the output got the terminal's text."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    _fill(url, [json.dumps({"subject": "enterprise", "jurisdiction": "cn/nm", "as_of": "2024-06-01", "facts": {}})])
    out = io.StringIO()
    assert run_replay(url, [], fmt="json", lang="en", out=out) == 1
    got = json.loads(out.getvalue())
    assert (got["checked"], got["reproduced"], len(got["differ"])) == (1, 0, 1)
    assert got["differ"][0]["engine_version"] == "0.1.0" and got["differ"][0]["seq"] == 1
    out = io.StringIO()
    assert run_replay(url, [], fmt="md", lang="zh", out=out) == 1
    assert out.getvalue().startswith("# 日志中的决定，在各自的政策版本下重新计算\n\n- 决定 ")
