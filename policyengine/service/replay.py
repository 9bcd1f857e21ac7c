"""``policyengine replay`` and ``policyengine log verify``: what an auditor runs against a log.

Replay without policies re-evaluates every logged decision under the policy version
that made it (its files are in the log, by digest) and compares the answer with the
one logged, byte for byte: exit 0 when all are reproduced, 1 naming each that is not.
Replay with policies (folders or ``git:REV``) re-evaluates the logged cases under that
version and lists, in the terms of ``policyengine diff --cases``, the decisions whose
outcomes it would change.
"""
from __future__ import annotations

import datetime as _dt
import json
import sys
from contextlib import ExitStack

from .. import Policies, PolicyError, __version__
from ..diagnostics import Text, md_cell, printable, resolve_lang
from .log import DecisionLog, LogError, Row, verify_chain
from .versions import PolicyVersion

__all__ = ["reproduce", "run_replay", "run_verify"]


def _compact(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _evaluate(pol: Policies, r: Row, explain: bool | None = None, lang: str | None = None):
    """The logged case decided by ``pol``: as logged (its explanation and language), or explained in ``lang``."""
    from ..cases import case_from_text
    from ..diagnostics import Diagnostic

    path = "<request>.json"
    try:
        text = r.request.decode("utf-8")
    except UnicodeDecodeError:  # an edited log (its stored request, or the dictionary it was compressed with)
        raise PolicyError(Diagnostic("PE006", Text("日志中存储的请求无法读取（被改动过？）",
                                                   "the request stored in the log cannot be read (altered?)"), None))
    case = case_from_text(text, pol.policy_set, path, pol.limits)
    return pol.evaluate(case, explain=r.explain if explain is None else explain, lang=lang or r.lang)


def reproduce(pol: Policies, r: Row) -> bytes:
    """The answer this decision gets now: the same id, version and time, the outputs computed again."""
    out = _evaluate(pol, r).to_dict()
    if not r.explain:
        out.pop("explanation", None)
    out.update(id=r.id, policy_version=r.version_digest, decided_at=r.decided_at)
    return _compact(out)


def _first_difference(a: bytes, b: bytes, lang: str = "en") -> str:
    zh = lang == "zh"
    try:
        x, y = json.loads(a), json.loads(b)
    except ValueError:
        return "记录的答复不是 JSON" if zh else "the logged answer is not JSON"
    if not isinstance(x, dict):
        return "记录的答复不是 JSON 对象" if zh else "the logged answer is not a JSON object"
    for k in sorted(set(x) | set(y)):
        if x.get(k) != y.get(k):
            if k == "outputs" and isinstance(x.get(k), dict) and isinstance(y.get(k), dict):
                names = [n for n in sorted(set(x[k]) | set(y[k])) if x[k].get(n) != y[k].get(n)]
                said = [(f"{n}：记录为 {json.dumps(x[k].get(n), ensure_ascii=False)}，现在为 {json.dumps(y[k].get(n), ensure_ascii=False)}"
                         if zh else f"{n}: {json.dumps(x[k].get(n))} logged, {json.dumps(y[k].get(n))} now") for n in names]
                return ("结果：" if zh else "outputs: ") + ("；" if zh else ", ").join(said)
            return f"{k} 不同" if zh else f"{k} differs"
    return "字节不同" if zh else "the bytes differ"


def _messages(e: PolicyError, lang: str) -> str:
    return "; ".join(d.text(lang) for d in e.diagnostics)


def _same_version(log: DecisionLog, out, lang: str = "zh", fmt: str = "text") -> int:
    """Each logged decision under its own policy version: text and Markdown list the ones that differ and why,
    JSON gives them as records (``id``, ``seq``, ``policy_version``, ``engine_version``, ``why``)."""
    zh = lang == "zh"
    versions: dict[str, Policies | str] = {}
    checked, found = 0, []  # (id, seq, policy version, engine version, why): not the rows, which hold their bodies
    for r in log.rows():
        checked += 1
        pol = versions.get(r.version_digest)
        if pol is None:
            try:
                pol = versions[r.version_digest] = log.load_version(r.version_digest).load()
            except (LogError, PolicyError, ValueError) as e:
                if isinstance(e, LogError):
                    msg = e.text.get(lang)
                else:
                    msg = _messages(e, lang) if isinstance(e, PolicyError) else str(e)
                pol = versions[r.version_digest] = (f"它的政策版本无法载入：{msg}" if zh else
                                                    f"its policy version does not load: {msg}")
        if isinstance(pol, str):
            found.append((r.id, r.seq, r.version_digest, r.engine_version, pol))
            continue
        try:
            again = reproduce(pol, r)
        except PolicyError as e:
            found.append((r.id, r.seq, r.version_digest, r.engine_version,
                          f"{'现在无法计算' if zh else 'no longer evaluates'}{'：' if zh else ': '}{_messages(e, lang)}"))
            continue
        if again != r.response:  # (the log keeps the version of the engine that decided)
            found.append((r.id, r.seq, r.version_digest, r.engine_version,
                          Text(f"在 {r.version_digest} 下没有复现", f"not reproduced under {r.version_digest}").get(lang)
                          + ("：" if zh else ": ") + _first_difference(r.response, again, lang) + _other_engine(r.engine_version, lang)))
    differ, engines = len(found), sum(x[3] != __version__ for x in found)
    summary = Text(f"{checked} 个已记录的决定中，{checked - differ} 个在各自的政策版本下完全复现"
                   + ("。" if not differ else f"；{differ} 个不同。"),
                   f"{checked - differ} of {checked} logged decision(s) reproduced exactly under their own policy version"
                   + ("." if not differ else f"; {differ} differ.")).get(lang)
    engine_note = Text(f"不同的决定中有 {engines} 个是另一版本的引擎作出的（现在的引擎是 {__version__}）：先看引擎的变化，再怀疑日志",
                       f"{engines} of the decisions that differ were made by another version of the engine (this one is "
                       f"{__version__}): look at the engine's change before suspecting the log").get(lang)
    if fmt == "json":
        out.write(_compact({"checked": checked, "reproduced": checked - differ, "engine_version": __version__,
                            "differ": [{"id": i, "seq": seq, "policy_version": pv, "engine_version": ev, "why": why}
                                       for i, seq, pv, ev, why in found]}).decode()
                  + "\n")
        return 1 if differ else 0
    md = fmt == "md"
    if md:
        out.write(("# 日志中的决定，在各自的政策版本下重新计算" if zh else "# The logged decisions, re-evaluated under their own "
                   "policy version") + "\n\n")
    for i, seq, _, _, why in found:
        line = (f"决定 {i}（#{seq}）：" if zh else f"decision {i} (#{seq}): ") + why
        out.write((f"- {md_cell(line)}" if md else line) + "\n")
    out.write(("\n" if md and found else "") + summary + "\n")
    if engines:
        out.write(engine_note + "\n")
    return 1 if differ else 0


def _other_engine(logged: str, lang: str) -> str:
    """What is said of a decision that does not reproduce and was made by another version of the engine."""
    if logged == __version__:
        return ""
    return Text(f"（作出时的引擎版本 {printable(logged)[:40]}，现在是 {__version__}）",
                f" (decided by engine {printable(logged)[:40]}, replayed with {__version__})").get(lang)


def logged_impacts(log: DecisionLog, new: Policies, olds: dict | None = None, limit: int | None = None,
                   path: str = "auto", notes: list | None = None, lang: str = "en"):
    """The logged decisions that ``new`` would decide otherwise: ``(checked, impacts, last)``, each
    impact in the policy terms of ``diff --cases`` (a decision's id in place of a case file), and
    the digest of the version that made the latest decision read.  Each logged case is decided
    again under its own version (``olds`` caches them by digest) and under ``new``; ``limit``
    reads only the latest decisions.  ``path`` chooses how (:mod:`policyengine.batch.screen`):
    row by row, or screened on the batch path (DuckDB, or inside a PostgreSQL log) with only the
    decisions whose outcomes differ compared row by row — the same impacts either way; ``notes``
    collects what the batch path says (the outcomes it decided row-wise); ``lang``, that of the errors and of
    the titles of the documents the impacts cite (whatever language each decision was asked in)."""
    from ..diff import compare_decisions

    olds = {} if olds is None else olds
    impacts, checked, last = [], 0, ""
    rows = log.rows() if limit is None else log.latest(limit)

    def old_of(r: Row) -> Policies:
        old = olds.get(r.version_digest)
        if old is None:
            old = olds[r.version_digest] = log.load_version(r.version_digest).load()
        return old

    count = log.head()[0]
    items, screen = _screened(rows, old_of, new, path, min(count, limit) if limit is not None else count, log)
    try:
        for r, must in items:
            checked += 1
            old = old_of(r)
            last = r.version_digest
            if not must:
                continue
            head = (r.id, r.subject, r.jurisdiction, "")
            try:
                do = _evaluate(old, r, explain=True, lang=lang)  # (the report's language: its rules' document titles)
                head = (r.id, do.subject, do.jurisdiction, do.as_of.isoformat())
            except PolicyError as e:
                do, eo = None, _messages(e, lang)
            else:
                eo = ""
            try:
                dn = _evaluate(new, r, explain=True, lang=lang)
            except PolicyError as e:
                dn, en = None, _messages(e, lang)
            else:
                en = ""
            impact = compare_decisions(head, do, dn, eo, en)
            if impact is not None:
                impacts.append(impact)
    finally:
        if screen is not None:
            screen.close()
    if screen is not None and notes is not None:
        notes.extend(screen.notes(checked))
    return checked, impacts, last


def _screened(rows, old_of, new: Policies, path: str, count: int, log: DecisionLog):
    """``(row, must it be compared row by row)`` for each logged decision, and the screen used (or None)."""
    from ..batch.screen import choose, open_screen, screened, strict_json

    engine = choose(path, count, log.backend)
    if engine == "python":
        return ((r, True) for r in rows), None
    screen = open_screen(engine, log)

    def items():
        for r in rows:
            old = old_of(r)
            try:
                case = strict_json(r.request.decode("utf-8"), new.limits) if old.limits == new.limits else None
            except UnicodeDecodeError:
                case = None
            yield r, (old, new), case

    return screened(items(), screen, "en"), screen


def _new_version(log: DecisionLog, spec: list[str], fmt: str, lang: str, out, engine: str = "auto") -> int:
    from ..diff import _materialise, diff_policies, render

    with ExitStack() as stack:
        paths = [stack.enter_context(_materialise(s))[0] if s.startswith("git:") else s for s in spec]
        new = Policies.load(*paths)
        new_digest = PolicyVersion.read(paths).digest
    olds: dict[str, Policies] = {}
    notes: list[Text] = []
    checked, impacts, last = logged_impacts(log, new, olds, path=engine, notes=notes, lang=resolve_lang(lang))
    for n in notes:
        print(("说明：" if resolve_lang(lang) == "zh" else "note: ") + n.get(resolve_lang(lang)), file=sys.stderr)
    # the rule changes, in policy terms, from the version that made the latest logged decision
    today = _dt.date.today()
    changes = diff_policies(olds[last].policy_set, new.policy_set, today, lang) if olds else []
    zh = resolve_lang(lang) == "zh"
    if len(olds) > 1:
        old_label = f"日志（{len(olds)} 个版本，最近的 {last}）" if zh else f"log, {len(olds)} versions, latest {last}"
    else:
        old_label = (f"日志（{last}）" if zh else f"log ({last})") if olds else ("日志" if zh else "log")
    out.write(render(old_label, f"{' '.join(spec)} ({new_digest})", today, changes, impacts, checked, fmt, lang,
                     new.policy_set))
    return 1 if impacts else 0


def _error(e: Exception, lang: str) -> None:
    text = getattr(e, "text", None)  # (a LogError says it in both languages)
    why = text.get(resolve_lang(lang)) if text is not None else str(e)
    print(("错误：" if resolve_lang(lang) == "zh" else "error: ") + why, file=sys.stderr)


def _open_log(db: str, lang: str | None = None) -> DecisionLog | None:
    """The log at ``db``, or None after saying on stderr why it cannot be opened."""
    try:
        return DecisionLog(db, create=False, read_only=True)  # (an audit changes nothing, not even the journal mode)
    except LogError as e:
        _error(e, lang)
        return None


def run_replay(db: str, policies: list[str], fmt: str = "text", lang: str = "zh", out=None, engine: str = "auto") -> int:
    out = out if out is not None else sys.stdout
    log = _open_log(db, lang)
    if log is None:
        return 2
    if engine == "postgres" and log.backend != "postgresql":
        log.close()
        _error(Text("--engine postgres 只能用于 PostgreSQL 上的决定日志（--db postgresql://…）；这个日志在 SQLite 中，"
                   "请改用 --engine duckdb 或 auto", "--engine postgres needs a decision log in PostgreSQL "
                   "(--db postgresql://…); this log is in SQLite: use --engine duckdb or auto").get(resolve_lang(lang)), lang)
        return 2
    try:
        return (_new_version(log, policies, fmt, lang, out, engine) if policies
                else _same_version(log, out, resolve_lang(lang), fmt))
    except LogError as e:
        _error(e, lang)
        return 2
    finally:
        log.close()


def run_verify(db: str, fmt: str = "text", out=None, lang: str | None = None) -> int:
    out = out if out is not None else sys.stdout
    lang = resolve_lang(lang)
    log = _open_log(db, lang)
    if log is None:
        return 2
    try:
        rep = verify_chain(log)
    finally:
        log.close()
    if fmt == "json":
        out.write(json.dumps({"intact": rep.ok, "decisions": rep.count, "head": "sha256:" + rep.head,
                              "problem": rep.problem.get(lang) if rep.problem else None}, ensure_ascii=False,
                             sort_keys=True) + "\n")
    elif rep.ok:
        out.write(Text(f"完整（intact）：{rep.count} 个决定；链头 sha256:{rep.head}",
                       f"intact: {rep.count} decision(s); head sha256:{rep.head}").get(lang) + "\n")
    else:
        out.write(Text(f"不完整（NOT intact）：{rep.problem.zh}\n（在此之前已核验 {rep.count} 个决定）",
                       f"NOT intact: {rep.problem.en}\n({rep.count} decision(s) verified before it)").get(lang) + "\n")
    return 0 if rep.ok else 1
