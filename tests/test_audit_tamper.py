"""An auditor's commands on a log someone edited (a review tampered with copies of a real log): `log verify`
also checks the policy versions the decisions name, and neither it nor `replay` stops with an internal
error on a column of another type or an unreadable dictionary; `replay` against a version that does not load
exits 2 (its 1 means "decisions change"); what they say is in the language asked."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from _service import Server, cli, example_cases


@pytest.fixture(scope="module")
def logged(tmp_path_factory) -> Path:
    """A SQLite log of the example cases, decided by a real `policyengine serve`."""
    tmp = tmp_path_factory.mktemp("logged")
    server = Server(f"sqlite:///{tmp / 'log.db'}", tmp)
    try:
        c = server.client()
        for _, body in example_cases():
            assert c.request("POST", "/v1/decisions", body)[0] == 201
        for _ in range(12):  # enough decisions without explanation for the log to build its compression dictionary
            for _, body in example_cases():
                assert c.request("POST", "/v1/decisions?explain=false", body)[0] == 201
        c.close()
    finally:
        server.stop()
    with sqlite3.connect(tmp / "log.db", isolation_level=None) as c:  # every decision in the file itself, to copy it
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return tmp / "log.db"


def _copy(logged: Path, tmp_path: Path, *sql: str) -> str:
    db = tmp_path / "copy.db"
    shutil.copy(logged, db)
    with sqlite3.connect(db, isolation_level=None) as c:
        for q in sql:
            c.execute(q)
    return f"sqlite:///{db}"


def test_the_untouched_log_is_intact_and_reproduced(logged, tmp_path):
    url = _copy(logged, tmp_path)
    with sqlite3.connect(url[len("sqlite:///"):]) as c:
        assert c.execute("SELECT count(*) FROM pe_decisions WHERE zdict_no IS NOT NULL").fetchone()[0] > 0
    assert cli("log", "verify", "--db", url).returncode == 0
    assert cli("replay", "--db", url).returncode == 0


@pytest.mark.parametrize("edit, says", [
    ("UPDATE pe_policy_files SET content = CAST(content AS TEXT) || ' ' WHERE rowid = 1", "stored file"),
    ("UPDATE pe_policy_versions SET manifest = 'not json'", "list of files was altered"),
])
def test_verify_checks_the_policy_versions_the_decisions_name(logged, tmp_path, edit, says):
    """An edited rule file or manifest in the log: verify said 'intact' and replay then reproduced nothing."""
    url = _copy(logged, tmp_path, edit)
    r = cli("log", "verify", "--db", url, "--lang", "en")
    assert r.returncode == 1 and "NOT intact" in r.stdout and says in r.stdout, r.stdout + r.stderr
    r = cli("replay", "--db", url, "--lang", "zh")  # each decision named, in Chinese, and no internal error
    assert r.returncode == 1 and "它的政策版本无法载入" in r.stdout and "Expecting value" not in r.stdout + r.stderr
    assert "内部错误" not in r.stderr


@pytest.mark.parametrize("edit", [
    "UPDATE pe_dictionaries SET content = 'abc'",  # text where a blob was: verify crashed (exit 3)
    "UPDATE pe_dictionaries SET content = CAST(zeroblob(length(content)) AS BLOB)",  # replay crashed decoding
    "UPDATE pe_policy_files SET content = CAST(content AS TEXT)",  # the same text, another type: replay crashed
])
def test_a_column_of_another_type_or_a_broken_dictionary_is_reported_not_a_crash(logged, tmp_path, edit):
    url = _copy(logged, tmp_path, edit)
    for args in (("log", "verify", "--db", url), ("replay", "--db", url)):
        r = cli(*args)
        assert r.returncode in (0, 1) and "内部错误" not in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_replay_against_a_version_that_does_not_load_is_an_error_not_a_change(logged, tmp_path):
    url = _copy(logged, tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("kind: policy-document\nid: [\n", encoding="utf-8")
    for new in (str(broken), str(tmp_path / "nowhere")):
        r = cli("replay", "--db", url, new)
        assert r.returncode == 2, (new, r.returncode, r.stderr)


def test_replay_of_an_altered_answer_says_what_differs_in_chinese(logged, tmp_path):
    url = _copy(logged, tmp_path)
    db = Path(url[len("sqlite:///"):])
    with sqlite3.connect(db) as c:  # an answer that no longer matches: replay names it (the chain is not re-linked)
        import zlib

        row = c.execute("SELECT seq, response, zdict_no FROM pe_decisions ORDER BY seq LIMIT 1").fetchone()
        zd = c.execute("SELECT content FROM pe_dictionaries WHERE no = ?", (row[2],)).fetchone()[0] if row[2] else None
        d = zlib.decompressobj(zdict=zd) if zd else zlib.decompressobj()
        answer = (d.decompress(row[1]) + d.flush()).decode()
        changed = answer.replace('"outputs":{', '"outputs":{"zz_added":1,', 1)
        e = zlib.compressobj(6, zdict=zd) if zd else zlib.compressobj(6)
        c.execute("UPDATE pe_decisions SET response = ? WHERE seq = ?", (e.compress(changed.encode()) + e.flush(), row[0]))
    r = cli("replay", "--db", url, "--lang", "zh")
    assert r.returncode == 1 and "没有复现：结果：zz_added：记录为 1，现在为 null" in r.stdout, r.stdout


@pytest.mark.parametrize("edit", ["DROP TABLE pe_chain_head", "ALTER TABLE pe_decisions RENAME COLUMN hash TO hush"])
def test_a_dropped_or_altered_table_is_not_intact_not_an_internal_error(logged, tmp_path, edit):
    """`log verify` said "internal error" with the SQL text (exit 3) on a log whose chain head table was dropped."""
    url = _copy(logged, tmp_path, edit)
    r = cli("log", "verify", "--db", url, "--lang", "en")
    assert r.returncode == 1 and "NOT intact" in r.stdout and "cannot be read" in r.stdout, r.stdout + r.stderr
    assert "internal error" not in r.stderr and "SELECT" not in r.stdout + r.stderr
