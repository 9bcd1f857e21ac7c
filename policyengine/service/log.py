"""The decision log: SQLAlchemy 2 Core over SQLite (embedded) or PostgreSQL (psycopg 3).

One schema for both.  Each decision row holds the case exactly as received, the
answer exactly as sent (both zlib-compressed), the policy version (by number; the
version's files are stored once, by digest), the engine version and the time — and
a hash chain: ``hash = SHA-256(prev_hash ‖ the row's fields ‖ SHA-256 of its bytes)``,
so ``log verify`` finds any row edited, removed, inserted or moved.

Writes go through :class:`GroupCommitter`: one thread takes every decision waiting,
appends them in one transaction (the chain head row is locked, so two servers on one
PostgreSQL log still make one chain) and only then lets the requests answer ``201``.
SQLite runs in WAL mode with ``synchronous=FULL``: a commit is on disk before the
answer, and a process killed right after it loses nothing.

The schema is versioned (``pe_meta.schema_version``); an older log is upgraded on
start by the steps in ``MIGRATIONS`` (each recorded in ``pe_meta``), a newer one is
refused, and no row is ever rewritten.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import queue
import sqlite3
import threading
import time
import zlib
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import (BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
                        Table, Text, create_engine, event, func, inspect, select, update)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoResultFound, SQLAlchemyError

from ..diagnostics import Text as Words  # (Text is SQLAlchemy's column type here)
from .versions import PolicyVersion, file_digest

__all__ = ["DecisionLog", "Record", "Row", "LogError", "LogUnavailable", "GroupCommitter", "SCHEMA_VERSION",
           "verify_chain", "ChainReport"]

SCHEMA_VERSION = 1
GENESIS = bytes(32)  # the "previous hash" of the first decision

metadata = MetaData()
pe_meta = Table("pe_meta", metadata,
                Column("key", String(64), primary_key=True),
                Column("value", Text, nullable=False))
pe_policy_files = Table("pe_policy_files", metadata,
                        Column("digest", String(71), primary_key=True),  # sha256:<64 hex>
                        Column("content", LargeBinary, nullable=False))
pe_policy_versions = Table("pe_policy_versions", metadata,
                           Column("no", Integer, primary_key=True, autoincrement=True),
                           Column("digest", String(71), nullable=False, unique=True),
                           Column("manifest", Text, nullable=False),  # JSON [[path, file digest], …]
                           Column("stored_at", String(40), nullable=False))
pe_dictionaries = Table("pe_dictionaries", metadata,  # zlib preset dictionaries: small decisions compress 5-8×
                        Column("no", Integer, primary_key=True, autoincrement=True),
                        Column("version_no", Integer, ForeignKey("pe_policy_versions.no"), nullable=False),
                        Column("content", LargeBinary, nullable=False))
pe_decisions = Table("pe_decisions", metadata,
                     # the position in the chain; INTEGER PRIMARY KEY (the rowid) on SQLite
                     Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
                     Column("id", String(36), nullable=False, unique=True),
                     Column("decided_at", String(32), nullable=False),
                     Column("subject", String(64), nullable=False),
                     Column("jurisdiction", String(255), nullable=False),
                     Column("version_no", Integer, ForeignKey("pe_policy_versions.no"), nullable=False),
                     Column("engine_version", String(32), nullable=False),
                     Column("explain", Boolean, nullable=False),
                     Column("lang", String(8), nullable=False),
                     Column("zdict_no", Integer, ForeignKey("pe_dictionaries.no"), nullable=True),
                     Column("request", LargeBinary, nullable=False),  # zlib of the body as received
                     Column("response", LargeBinary, nullable=False),  # zlib of the 201 body as sent
                     Column("prev_hash", LargeBinary, nullable=False),
                     Column("hash", LargeBinary, nullable=False))
Index("pe_decisions_subject", pe_decisions.c.subject, pe_decisions.c.seq)
Index("pe_decisions_jurisdiction", pe_decisions.c.jurisdiction, pe_decisions.c.seq)
pe_chain_head = Table("pe_chain_head", metadata,
                      Column("one", Integer, primary_key=True, autoincrement=False),
                      Column("seq", BigInteger, nullable=False),
                      Column("hash", LargeBinary, nullable=False))

# Steps from schema version N to N+1, MIGRATIONS[N-1]; each adds, none rewrites a decision.
MIGRATIONS: list[Callable[[Connection], None]] = []


class LogError(Exception):
    """The log cannot be used as it is (a bad URL, a newer schema): a message for the user, in Chinese and
    English (``text``; ``str()`` is the English)."""

    def __init__(self, message: "Words | str"):
        self.text = message if isinstance(message, Words) else Words(message, message)
        super().__init__(self.text.en)


class LogUnavailable(LogError):
    """The database cannot be reached or refused a write: nothing was logged."""


@dataclass(frozen=True)
class Record:
    """A decision to append; ``seq`` and the hashes are assigned inside the appending transaction."""

    id: str
    decided_at: str
    subject: str
    jurisdiction: str
    version_no: int
    version_digest: str
    engine_version: str
    explain: bool
    lang: str
    request: bytes  # as received
    response: bytes  # as sent


@dataclass(frozen=True)
class Row:
    seq: int
    id: str
    decided_at: str
    subject: str
    jurisdiction: str
    version_digest: str
    engine_version: str
    explain: bool
    lang: str
    request: bytes
    response: bytes
    prev_hash: bytes
    hash: bytes


_MIGRATION_LOCK = 0x706F6C656E67  # PostgreSQL advisory lock key taken while the schema is created or upgraded


def chain_hash(prev: bytes, seq: int, r: Record | Row) -> bytes:
    """The link of one decision: every field that says what was decided, and the digests of its bytes."""
    fields = [seq, r.id, r.decided_at, r.subject, r.jurisdiction, r.version_digest, r.engine_version, r.explain,
              r.lang, hashlib.sha256(r.request).hexdigest(), hashlib.sha256(r.response).hexdigest()]
    h = hashlib.sha256(b"policyengine decision log v1\n")
    h.update(prev)
    h.update(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return h.digest()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def engine_url(url: str) -> str:
    """The SQLAlchemy URL: ``postgresql://`` means psycopg 3 here (not SQLAlchemy's psycopg2 default)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def show_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def _wal(cur: sqlite3.Cursor, wait: float = 30.0) -> None:
    """Put a SQLite log in WAL mode.  The first switch of a new file needs it to itself, and SQLite answers
    "database is locked" at once, without its busy timeout, while another connection has it open — as when
    servers start together on a new log — so it is retried here for as long as the busy timeout would wait."""
    deadline = time.monotonic() + wait
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class DecisionLog:
    """One decision log.  Thread-safe: a connection pool for readers, writes through :meth:`append`."""

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False):
        """``read_only`` (verify, replay): the log is only read — a SQLite file is opened read-only, nothing is
        created or upgraded, so that the file an auditor checks stays byte for byte as it was."""
        self.url = url
        self._zdicts: dict[int, bytes] = {}  # dictionary no -> content (immutable once written)
        self._primed: dict[int, Any] = {}  # dictionary no -> a compressor that has read it (copied per row)
        self._zdict_of: dict[int, int | None] = {}  # policy version no -> the dictionary this process uses
        self._samples: dict[int, list[bytes]] = {}  # policy version no -> bodies to build it from
        try:
            u = make_url(engine_url(url))
        except ArgumentError:
            raise LogError(Words(f"--db {url!r} 不是数据库地址（sqlite:///文件 或 postgresql://用户@主机/数据库）",
                                 f"--db {url!r} is not a database URL (sqlite:///FILE or postgresql://USER@HOST/DB)"))
        self.backend = u.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise LogError(Words(f"--db {show_url(url)}：决定日志只能放在 SQLite 或 PostgreSQL 中",
                                 f"--db {show_url(url)}: only sqlite and postgresql logs are supported"))
        if self.backend == "sqlite":
            if u.database in (None, "", ":memory:"):
                raise LogError(Words("--db：内存中的 SQLite 日志会丢掉每一个决定；请写 sqlite:///文件",
                                     "--db: an in-memory SQLite log would lose every decision; give sqlite:///FILE"))
            if u.query:  # ('?mode=ro' was dropped with a warning, and the file written all the same)
                raise LogError(Words(f"--db {show_url(url)}：SQLite 日志的地址不带“?…”选项；请只写 sqlite:///文件",
                                     f"--db {show_url(url)}: a SQLite log's URL takes no '?…' options; give sqlite:///FILE"))
            if not create and not os.path.exists(u.database):
                raise LogError(Words(f"{show_url(url)}：这里没有决定日志（没有这个文件）",
                                     f"{show_url(url)}: no decision log here (no such file)"))
            if read_only:
                self.writer = self.reader = self._sqlite(u, write=False, read_only=True)
            else:
                self.writer = self._sqlite(u, write=True)
                self.reader = self._sqlite(u, write=False)
        else:
            if u.drivername != "postgresql+psycopg":
                raise LogError(Words(f"--db {show_url(url)}：PostgreSQL 通过 psycopg 3 连接（写 postgresql://…）",
                                     f"--db {show_url(url)}: PostgreSQL is reached through psycopg 3 (postgresql://…)"))
            self.writer = self.reader = create_engine(u, pool_pre_ping=True, pool_size=8, max_overflow=8,
                                                      pool_timeout=5, connect_args={"connect_timeout": 3})
        try:
            self.upgrades = self._schema_read() if read_only else self._migrate(create)
        except SQLAlchemyError as e:
            self.close()
            raise LogUnavailable(Words(f"无法打开决定日志 {show_url(url)}：{_reason(e)}",
                                       f"cannot open the decision log {show_url(url)}: {_reason(e)}"))
        except LogError:
            self.close()
            raise

    @staticmethod
    def _sqlite(u, write: bool, read_only: bool = False) -> Engine:
        if read_only:  # SQLite's own read-only mode: no journal mode set, no write lock, no file changed
            u = u.set(database=f"file:{os.path.abspath(u.database)}?mode=ro", query={"uri": "true"})
        eng = create_engine(u, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=1 if write else 8,
                            max_overflow=0 if write else 8)

        @event.listens_for(eng, "connect")
        def _connect(dbapi_conn, _rec):
            dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
            cur = dbapi_conn.cursor()
            if not read_only:
                _wal(cur)
                cur.execute("PRAGMA synchronous=FULL")  # the commit is on disk before a 201
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(eng, "begin")
        def _begin(conn):  # a writer takes the write lock first, so the chain head it reads stays the head
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return eng

    def close(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

    # --- schema -------------------------------------------------------------------------------------

    def _schema_version(self, conn: Connection) -> int:
        """The log's schema version, where this engine can read it, else a :class:`LogError`."""
        found = conn.execute(select(pe_meta.c.value).where(pe_meta.c.key == "schema_version")).scalar()
        try:
            version = int(found)
        except (TypeError, ValueError):
            raise LogError(Words(f"{show_url(self.url)}：无法读取结构版本 {found!r}",
                                 f"{show_url(self.url)}: unreadable schema version {found!r}"))
        if version > SCHEMA_VERSION:
            raise LogError(Words(f"{show_url(self.url)}：日志的结构版本是 {version}，比本程序的 {SCHEMA_VERSION} 新；请升级 policyengine 再使用它",
                                 f"{show_url(self.url)}: the log has schema version {version}, newer than this engine's "
                                 f"{SCHEMA_VERSION}; upgrade policyengine to use it"))
        return version

    def _schema_read(self) -> list[str]:
        """The schema of a log opened read-only: this engine's, else a :class:`LogError` (nothing is upgraded)."""
        with self.reader.connect() as conn:
            if not inspect(conn).has_table("pe_meta"):
                raise LogError(Words(f"{show_url(self.url)}：这里没有决定日志", f"{show_url(self.url)}: no decision log here"))
            version = self._schema_version(conn)
        if version < SCHEMA_VERSION:
            raise LogError(Words(f"{show_url(self.url)}：日志的结构版本是 {version}，比本程序的 {SCHEMA_VERSION} 旧；这个命令只读日志，"
                                 "不升级它：先用 policyengine serve --db 启动一次（会升级日志），或用旧版本的 policyengine",
                                 f"{show_url(self.url)}: the log has schema version {version}, older than this engine's "
                                 f"{SCHEMA_VERSION}; this command only reads the log and does not upgrade it: start "
                                 "policyengine serve --db on it once (which upgrades it), or use the older policyengine"))
        return []

    def _migrate(self, create: bool) -> list[str]:
        with self.writer.begin() as conn:
            if self.backend == "postgresql":  # servers starting together on one log create it once (on SQLite,
                # the writer's BEGIN IMMEDIATE serialises them already)
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            insp = inspect(conn)
            if not insp.has_table("pe_meta"):
                if insp.has_table("pe_decisions"):
                    raise LogError(Words(f"{show_url(self.url)}：这个决定日志没有记录它的结构版本；没有改动它",
                                         f"{show_url(self.url)}: a decision log without its schema version; not touched"))
                if not create:
                    raise LogError(Words(f"{show_url(self.url)}：这里没有决定日志", f"{show_url(self.url)}: no decision log here"))
                metadata.create_all(conn)
                conn.execute(pe_meta.insert(), [{"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                                {"key": "created_at", "value": _now()}])
                conn.execute(pe_chain_head.insert().values(one=1, seq=0, hash=GENESIS))
                return []
            version = self._schema_version(conn)
            notes = []
            for v in range(version, SCHEMA_VERSION):
                MIGRATIONS[v - 1](conn)
                conn.execute(pe_meta.insert().values(key=f"upgraded_to_{v + 1}", value=_now()))
                notes.append(f"decision log upgraded from schema version {v} to {v + 1}")
            if notes:
                conn.execute(update(pe_meta).where(pe_meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
            return notes

    # --- policy versions ----------------------------------------------------------------------------

    def store_version(self, pv: PolicyVersion) -> int:
        """The number of this policy version in the log, storing its files (once each) the first time."""
        try:
            return self._store_version(pv)
        except IntegrityError:  # another server stored it (or one of its files) at the same moment
            return self._store_version(pv)

    def _store_version(self, pv: PolicyVersion) -> int:
        with self.writer.begin() as conn:
            no = conn.execute(select(pe_policy_versions.c.no).where(pe_policy_versions.c.digest == pv.digest)).scalar()
            if no is not None:
                return no
            have = set(conn.execute(select(pe_policy_files.c.digest)).scalars())
            for path, data in pv.files:
                d = file_digest(data)
                if d not in have:
                    conn.execute(pe_policy_files.insert().values(digest=d, content=data))
                    have.add(d)
            manifest = json.dumps(pv.manifest(), ensure_ascii=False, separators=(",", ":"))
            return conn.execute(pe_policy_versions.insert().values(digest=pv.digest, manifest=manifest, stored_at=_now())
                                .returning(pe_policy_versions.c.no)).scalar_one()

    def version_digests(self) -> list[str]:
        """The digests of the policy versions stored, in the order they were stored."""
        with self.reader.connect() as conn:
            return [d if isinstance(d, str) else str(d) for d in
                    conn.execute(select(pe_policy_versions.c.digest).order_by(pe_policy_versions.c.no)).scalars()]

    def load_version(self, digest: str) -> PolicyVersion:
        with self.reader.connect() as conn:
            manifest = conn.execute(select(pe_policy_versions.c.manifest)
                                    .where(pe_policy_versions.c.digest == digest)).scalar()
            if manifest is None:
                raise LogError(Words(f"日志中没有存储政策版本 {digest}", f"policy version {digest} is not stored in the log"))
            try:
                entries = json.loads(manifest)
                if not (isinstance(entries, list) and all(isinstance(e, list) and len(e) == 2
                                                          and all(isinstance(x, str) for x in e) for e in entries)):
                    raise ValueError(manifest)
            except (TypeError, ValueError):  # an edited manifest: the version cannot be read back
                raise LogError(Words(f"政策版本 {digest}：存储的文件清单被改动过，无法读取",
                                     f"policy version {digest}: its stored list of files was altered and cannot be read"))
            contents = dict(conn.execute(select(pe_policy_files.c.digest, pe_policy_files.c.content)
                                         .where(pe_policy_files.c.digest.in_([d for _, d in entries]))).all())
        files = []
        for path, d in entries:
            data = None if contents.get(d) is None else _blob(contents[d])  # (an edit may leave text there)
            if data is None or file_digest(data) != d:
                raise LogError(Words(f"政策版本 {digest}：存储的文件 {path} 缺失或被改动过",
                                     f"policy version {digest}: the stored file {path} is missing or altered"))
            files.append((path, data))
        pv = PolicyVersion.of(files)
        if pv.digest != digest:
            raise LogError(Words(f"政策版本 {digest}：存储的文件得出另一个摘要 {pv.digest}",
                                 f"policy version {digest}: its stored files give another digest, {pv.digest}"))
        return pv

    # --- decisions ----------------------------------------------------------------------------------

    def append(self, records: list[Record]) -> None:
        """Append in one transaction, in order; returns after the commit.  Raises :class:`LogUnavailable`."""
        try:
            for no in {r.version_no for r in records}:
                self._prepare_zdict(no, [r for r in records if r.version_no == no])
            with self.writer.begin() as conn:
                q = select(pe_chain_head.c.seq, pe_chain_head.c.hash).where(pe_chain_head.c.one == 1)
                seq, prev = conn.execute(q.with_for_update() if self.backend == "postgresql" else q).one()
                prev = bytes(prev)
                rows = []
                for r in records:
                    seq += 1
                    h = chain_hash(prev, seq, r)
                    zno = self._zdict_of.get(r.version_no)
                    rows.append({"seq": seq, "id": r.id, "decided_at": r.decided_at, "subject": r.subject,
                                 "jurisdiction": r.jurisdiction, "version_no": r.version_no,
                                 "engine_version": r.engine_version, "explain": r.explain, "lang": r.lang,
                                 "zdict_no": zno, "request": self._deflate(r.request, zno),
                                 "response": self._deflate(r.response, zno),
                                 "prev_hash": prev, "hash": h})
                    prev = h
                conn.execute(pe_decisions.insert(), rows)
                conn.execute(update(pe_chain_head).where(pe_chain_head.c.one == 1).values(seq=seq, hash=prev))
        except SQLAlchemyError as e:
            raise LogUnavailable(Words(f"决定日志没有接收这个决定：{_reason(e)}",
                                       f"the decision log did not take the decision: {_reason(e)}"))

    def touch(self) -> None:
        """A write that changes nothing (the chain head set to itself), committed: whether the log takes a
        write now — its lock can be had and its disk holds a commit.  Raises :class:`LogUnavailable`."""
        try:
            with self.writer.begin() as conn:
                conn.execute(update(pe_chain_head).where(pe_chain_head.c.one == 1).values(seq=pe_chain_head.c.seq))
        except SQLAlchemyError as e:
            raise LogUnavailable(Words(f"决定日志不能写入：{_reason(e)}", f"the decision log takes no write: {_reason(e)}"))

    def _deflate(self, data: bytes, zno: int | None) -> bytes:
        """``_deflate(data, dictionary)``, the same bytes: a copy of a compressor that has already read the
        dictionary, since reading 32 KiB of it again took most of the writer's time per row."""
        if zno is None or not self._zdicts.get(zno):
            return _deflate(data, None)
        primed = self._primed.get(zno)
        if primed is None:
            primed = self._primed[zno] = zlib.compressobj(6, zdict=self._zdicts[zno])
        c = primed.copy()
        return c.compress(data) + c.flush()

    ZDICT_SAMPLES = 32  # decisions without explanation whose bytes make a version's dictionary
    ZDICT_MAX = 32 * 1024  # zlib's window: a longer dictionary is not used

    def _prepare_zdict(self, version_no: int, records: list[Record]) -> None:
        """Small decisions of one policy version repeat the same names and layers: once enough of them have been
        seen, their bytes become a zlib preset dictionary, stored in the log (so any reader can inflate a row),
        and later rows are compressed with it."""
        if self._zdict_of.get(version_no) is not None:
            return
        samples = self._samples.setdefault(version_no, [])
        samples += [b for r in records if not r.explain for b in (r.request, r.response)]
        if len(samples) < 2 * self.ZDICT_SAMPLES:
            return
        content = b"".join(samples)[-self.ZDICT_MAX:]
        with self.writer.begin() as conn:
            no = conn.execute(pe_dictionaries.insert().values(version_no=version_no, content=content)
                              .returning(pe_dictionaries.c.no)).scalar_one()
        self._zdicts[no] = content
        self._zdict_of[version_no] = no
        del self._samples[version_no]

    def _zdict(self, conn: Connection, no: int | None) -> bytes | None:
        if no is None:
            return None
        got = self._zdicts.get(no)
        if got is None:
            got = conn.execute(select(pe_dictionaries.c.content).where(pe_dictionaries.c.no == no)).scalar()
            got = self._zdicts[no] = _blob(got) if got is not None else b""  # (an edit may leave text there)
        return got

    def get(self, decision_id: str) -> bytes | None:
        with self.reader.connect() as conn:
            got = conn.execute(select(pe_decisions.c.response, pe_decisions.c.zdict_no)
                               .where(pe_decisions.c.id == decision_id)).first()
            return None if got is None else _inflate(got.response, self._zdict(conn, got.zdict_no))

    def page(self, *, subject: str | None, jurisdiction: str | None, after: int, limit: int) -> tuple[list[bytes], int | None]:
        """Up to ``limit`` answers after position ``after``, oldest first, and the position to continue from
        (None at the end).  Positions only grow, so a page never changes under concurrent inserts."""
        q = select(pe_decisions.c.seq, pe_decisions.c.response, pe_decisions.c.zdict_no).where(pe_decisions.c.seq > after)
        if subject is not None:
            q = q.where(pe_decisions.c.subject == subject)
        if jurisdiction is not None:
            q = q.where(pe_decisions.c.jurisdiction == jurisdiction)
        with self.reader.connect() as conn:
            rows = conn.execute(q.order_by(pe_decisions.c.seq).limit(limit + 1)).all()
            more = len(rows) > limit
            rows = rows[:limit]
            return [_inflate(r.response, self._zdict(conn, r.zdict_no)) for r in rows], (rows[-1].seq if more else None)

    def ping(self) -> bool:
        try:
            with self.reader.connect() as conn:
                conn.execute(select(pe_chain_head.c.seq).where(pe_chain_head.c.one == 1)).one()
            return True
        except (SQLAlchemyError, DBAPIError):
            return False

    def head(self) -> tuple[int, bytes]:
        with self.reader.connect() as conn:
            seq, h = conn.execute(select(pe_chain_head.c.seq, pe_chain_head.c.hash).where(pe_chain_head.c.one == 1)).one()
        return seq, _blob(h)

    def last_seq(self) -> Any:
        """The largest position in the chain of any decision stored (None in an empty log)."""
        with self.reader.connect() as conn:
            return conn.execute(select(func.max(pe_decisions.c.seq))).scalar()

    def latest(self, n: int) -> Iterator[Row]:
        """The latest ``n`` decisions, in chain order."""
        d = pe_decisions.c
        with self.reader.connect() as conn:
            first = conn.execute(select(d.seq).order_by(d.seq.desc()).limit(1).offset(max(0, n - 1))).scalar()
        if first is None:  # fewer than n: all of them
            return self.rows()
        return self.rows(after=first - 1)

    def rows(self, chunk: int = 500, after: int | None = None, until: int | None = None) -> Iterator[Row]:
        """Every decision in chain order (read in chunks, so a large log is never all in memory);
        with ``after``, those whose position in the chain is past it; with ``until``, up to it."""
        d, v = pe_decisions.c, pe_policy_versions.c
        while True:
            q = (select(d.seq, d.id, d.decided_at, d.subject, d.jurisdiction, v.digest, d.engine_version, d.explain,
                        d.lang, d.zdict_no, d.request, d.response, d.prev_hash, d.hash)
                 .select_from(pe_decisions.outerjoin(pe_policy_versions, d.version_no == v.no))
                 .order_by(d.seq).limit(chunk))
            if after is not None:
                q = q.where(d.seq > after)
            if until is not None:
                q = q.where(d.seq <= until)
            with self.reader.connect() as conn:
                got = conn.execute(q).all()
                zds = {r.zdict_no: self._zdict(conn, r.zdict_no) for r in got}
            for r in got:
                zd = zds[r.zdict_no]
                yield Row(r.seq, r.id, r.decided_at, r.subject, r.jurisdiction, r.digest or "", r.engine_version,
                          bool(r.explain), r.lang, _inflate(r.request, zd), _inflate(r.response, zd),
                          _blob(r.prev_hash), _blob(r.hash))
            if len(got) < chunk:
                return
            after = got[-1].seq


def _deflate(data: bytes, zdict: bytes | None) -> bytes:
    c = zlib.compressobj(6, zdict=zdict) if zdict else zlib.compressobj(6)
    return c.compress(data) + c.flush()


def _blob(v: Any) -> bytes:
    """A stored blob as bytes, whatever an edit of the database left there (SQLite keeps any type in any
    column): text, a number or NULL read as its bytes, which no digest matches."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    return b"\x00<not a blob>" + str(v).encode("utf-8", "surrogatepass")


def _inflate(data: Any, zdict: bytes | None = None) -> bytes:
    data = _blob(data)
    try:
        d = zlib.decompressobj(zdict=zdict) if zdict else zlib.decompressobj()
        out = d.decompress(data) + d.flush()
        if not d.eof:
            raise zlib.error("truncated")
        return out
    except zlib.error:
        return b"\x00<not zlib data>" + data  # an edited blob: its digest will not match


def _reason(e: Exception) -> str:
    orig = getattr(e, "orig", None)
    return " ".join(str(orig if orig is not None else e).split())[:300]


# --- group commit -------------------------------------------------------------------------------------


class GroupCommitter:
    """One writer thread: every decision waiting is appended in one transaction, then all are answered."""

    def __init__(self, log: DecisionLog, max_batch: int = 256):
        self.log, self.max_batch = log, max_batch
        # the last refusal of decisions (monotonic time, why), until decisions are taken again: a full disk
        # refuses them while a write that changes nothing still fits (/healthz reads both)
        self.refused: tuple[float, Words] | None = None
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="policyengine-log-writer", daemon=True)
        self._thread.start()

    def submit(self, record: Record | None) -> Future:
        """The record's future: done when it is committed.  ``None`` is a probe (``/healthz``): done when a
        write has been committed after it — the next batch's, or a write that changes nothing."""
        f: Future = Future()
        self._q.put((record, f))
        return f

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._q.put(None)
                    break
                batch.append(nxt)
            records = [r for r, _ in batch if r is not None]
            try:
                if records:
                    self.log.append(records)
                else:
                    self.log.touch()
            except BaseException as e:  # noqa: BLE001 — every waiting request must hear of it
                err = e if isinstance(e, LogUnavailable) else LogUnavailable(Words(f"决定日志出错：{e}",
                                                                                   f"the decision log failed: {e}"))
                if records:
                    self.refused = (time.monotonic(), err.text)
                for _, f in batch:
                    _settle(f, err)
            else:
                if records:
                    self.refused = None
                for _, f in batch:
                    _settle(f, None)


def _settle(f: Future, err: BaseException | None) -> None:
    """Answer one waiting future; one its waiter cancelled (a request gone) is passed over — setting it would
    raise, and stop the writer for every request after it."""
    try:
        if err is None:
            f.set_result(None)
        else:
            f.set_exception(err)
    except InvalidStateError:
        pass


# --- verification ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head: str  # sha256 hex of the last link
    problem: Words | None = None  # the first break, in Chinese and English


def verify_chain(log: DecisionLog) -> ChainReport:
    """Walk the chain from the first decision; report the first row that breaks it.  The head is read
    first and the chain up to it walked, so decisions the service adds meanwhile (each committed with
    the head it moves) are neither missed nor taken for an altered end; a decision stored past the head
    read last is one added outside the service."""
    try:
        return _walk(log)
    except SQLAlchemyError as e:  # a table dropped or altered: the log is not as the service keeps it
        return ChainReport(False, 0, GENESIS.hex(), Words(f"日志的表读不出来（{_reason(e)}）：它被改动过",
                                                          f"the log's tables cannot be read ({_reason(e)}): it was altered"))


def _walk(log: DecisionLog) -> ChainReport:
    prev, expect, last_id = GENESIS, 1, None
    count = 0

    def broken(zh: str, en: str) -> ChainReport:
        return ChainReport(False, count, prev.hex(), Words(zh, en))

    try:
        seq_h, h = log.head()
    except NoResultFound:
        return broken("链头不见了（pe_chain_head 中没有记录）", "the chain head is missing (pe_chain_head has no row)")
    for r in log.rows(until=seq_h if isinstance(seq_h, int) else None):
        zh_at, en_at = f"决定 {r.id}（第 {r.seq} 个）", f"decision {r.id} (#{r.seq})"
        if type(r.seq) is not int:
            return broken(f"{zh_at}：它在链中的位置不是数字", f"{en_at}: its position in the chain is not a number")
        if r.seq > expect:
            zh_after = f"在决定 {last_id}（第 {expect - 1} 个）之后" if last_id else "在日志开头"
            en_after = f"after decision {last_id} (#{expect - 1})" if last_id else "at the start of the log"
            return broken(f"{zh_at}：{zh_after}删去了第 {expect}…{r.seq - 1} 个决定",
                          f"{en_at}: decision(s) #{expect}…#{r.seq - 1} removed {en_after}")
        if r.seq != expect:
            zh_after = f"在决定 {last_id}（第 {expect - 1} 个）之后" if last_id else "在日志开头"
            en_after = f"after decision {last_id} (#{expect - 1})" if last_id else "at the start of the log"
            return broken(f"{zh_at}：顺序被打乱（{zh_after}）", f"{en_at}: out of order {en_after}")
        if r.prev_hash != prev:
            return broken(f"{zh_at}：接不上它前面的决定（这里插入、删去或移动过决定）",
                          f"{en_at}: does not follow the decision before it (a decision was inserted, removed or moved here)")
        try:
            same = chain_hash(prev, r.seq, r) == r.hash
        except (TypeError, ValueError):  # a field edited to a value of another type
            same = False
        if not same:
            return broken(f"{zh_at}：被改动过（内容与它的哈希不符）", f"{en_at}: altered (its content does not match its hash)")
        prev, expect, last_id = r.hash, expect + 1, r.id
        count += 1
    if seq_h != count or h != prev:
        return broken(f"日志在第 {count} 个决定{f'（{last_id}）' if last_id else ''}结束，但链头记的是第 {seq_h} 个："
                      "最后的决定被删去了，或者链头被改动过",
                      f"the log ends at #{count}{f' (decision {last_id})' if last_id else ''} but its head records "
                      f"#{seq_h}: the last decision(s) were removed or the head was altered")
    last = log.last_seq()  # (read before the head: a decision committed in between moved the head too)
    seq_now, _ = log.head()
    if last is not None and (type(last) is not int or last > seq_now):
        return broken(f"链头（第 {seq_now} 个）之后还存有决定，直到第 {last} 个：它们不是服务写入的，或者链头被改动过",
                      f"decision(s) stored past the head (#{seq_now}), up to #{last}: added outside the service, "
                      "or the head was altered")
    for digest in log.version_digests():  # the rule files each decision names by digest: replay reads them back
        try:
            log.load_version(digest)
        except LogError as e:
            return broken(f"存储的政策版本被改动过：{e.text.zh}", f"a stored policy version was altered: {e.text.en}")
    return ChainReport(True, count, prev.hex())
