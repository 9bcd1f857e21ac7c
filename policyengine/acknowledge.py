"""Stage 3c — acknowledgements: warnings an officer has reviewed, with the reason.

A rule file may list, under ``acknowledged:``, warnings of that same file that were reviewed
and are accepted::

    acknowledged:
      - code: PE040
        at: bt.workstation.score          # what the warning is about (see below)
        about: policy_service_enterprises # optional: text its message contains
        reason: 附件3 第5项 "30家及以上" 与 "21-30家" 都写了30，按较高一档计分（CONTRACT）

``at`` names what the warning is about: a rule id, a parameter, definition, fact or outcome
name, the document id, or a coverage article — the entry of the file in which the warning
is located; a list of them shares one reason.  Each name answers for one warning: where one
entry has several warnings of the same code (three overlaps in one table), each is
acknowledged on its own, told apart by ``about``, so that a new one is not hidden by an old
review.  An acknowledged warning becomes a note
(severity info) that carries the reason: ``check`` no longer counts it, ``check --strict``
passes, ``check --notes`` shows it.  Only warnings can be acknowledged — errors are fixed.
An acknowledgement that matches no warning is reported (PE104), so stale ones are found.
"""
from __future__ import annotations

import bisect
import re
from typing import Any

from .diagnostics import CODES, Diagnostic, Related, Severity, Text
from .load import Loaded
from .records import text_of
from .types import suggest

__all__ = ["acknowledge", "entities"]

# the scoring-table warnings: their particulars (the range, the value) are what was reviewed, so their
# acknowledgement names them with ``about`` — a changed overlap is a new warning, not the reviewed one
PINNED = frozenset({"PE040", "PE041", "PE042", "PE044", "PE046"})

# the sections of a rule file whose entries an acknowledgement can name, and how each entry is named
_KEYED = ("parameters", "definitions", "outputs", "coverage", "enums")


def entities(loaded: Loaded, rf: Any) -> tuple[list[int], list[str | None], list[int]]:
    """The named entries of the file by where they start in the text (the key of a mapping entry,
    the item of a list), in order, with the starts of the sections (named None) as boundaries:
    an entry runs to the next mark.  By offset, not by line, so that a file in flow style or with
    its sections in another order is read alike.  Returns ``(starts, names, line_starts)``."""
    marks: list[tuple[int, int, str | None]] = []  # (offset, 0 for a section / 1 for an entry, name)

    def mark(path: tuple, name: str | None, key: bool) -> None:
        p = loaded.key_positions.get(path) if key else None
        p = p or loaded.positions.get(path)
        if p is not None:
            marks.append((p.start, name is not None, name))

    for section in (loaded.data if isinstance(loaded.data, dict) else ()):
        mark((section,), None, True)
    mark(("document",), rf.document.id, True)
    for section in _KEYED:
        for name in getattr(rf, section):
            mark((section, name), str(name), True)
    for subject, facts in rf.facts.items():
        for name in facts:
            mark(("facts", subject, name), name, True)
    for i, r in enumerate(rf.rules):
        mark(("rules", i), r.id, False)
    marks.sort(key=lambda m: (m[0], m[1]))  # 'document:' is a section key and the document's entry
    line_starts = [0] + [m.end() for m in re.finditer("\n", loaded.source.text)]
    return [m[0] for m in marks], [m[2] for m in marks], line_starts


def _entity_at(index: tuple, line: int, column: int) -> str | None:
    starts, names, line_starts = index
    offset = line_starts[line - 1] + column - 1 if 0 < line <= len(line_starts) else -1
    k = bisect.bisect_right(starts, offset) - 1
    return names[k] if k >= 0 else None


def acknowledge(files: list[tuple[Loaded, Any]], diags: list[Diagnostic], complete: bool = True) -> list[Diagnostic]:
    """``diags`` with the warnings the files acknowledge turned into notes carrying the reason,
    and a PE104 warning for each acknowledgement that matches nothing.  ``complete`` is False
    where errors stopped the later steps (layering, lint): their warnings are missing, so an
    acknowledgement of one is not stale — saying so would bury the one error under dozens."""
    by_path = {loaded.path: (loaded, rf) for loaded, rf in files if rf.acknowledged}
    if not by_path:
        return diags
    index = {p: entities(loaded, rf) for p, (loaded, rf) in by_path.items()}
    used: set[tuple[str, int, int]] = set()
    out: list[Diagnostic] = []
    for d in diags:
        hit = None
        if d.severity is Severity.WARNING and d.span is not None and d.span.file in by_path:
            loaded, rf = by_path[d.span.file]
            what = _entity_at(index[d.span.file], d.span.line, d.span.column)
            for i, a in enumerate(rf.acknowledged):
                ats = [a.at] if isinstance(a.at, str) else list(a.at)
                if a.code != d.code or not (a.about is None or a.about in d.message or a.about in (d.zh or "")):
                    continue
                # each name of an acknowledgement answers for one warning: a second warning of the same
                # code about the same thing (a new gap in a reviewed table) stays open until reviewed too
                k = next((k for k, at in enumerate(ats) if at == what and (d.span.file, i, k) not in used), None)
                if k is not None:
                    hit = (loaded, i, a)
                    used.add((d.span.file, i, k))
                    break
        if hit is None:
            out.append(d)
            continue
        loaded, i, a = hit
        note = Related(loaded.span(("acknowledged", i)), Text(f"已确认：{text_of(a.reason, 'zh')}",
                                                               f"acknowledged: {text_of(a.reason, 'en')}"))
        out.append(Diagnostic(d.code, d.message, d.span, hint=d.hint, severity=Severity.INFO,
                              related=d.related + (note,), source_line=d.source_line, zh=d.zh, hint_zh=d.hint_zh))
    # an entry with an open warning: an acknowledgement of it gone stale by the same edit is not
    # a second report of that one edit (the open warning is what to review)
    open_at = {(d.span.file, _entity_at(index[d.span.file], d.span.line, d.span.column)) for d in out
               if d.severity is Severity.WARNING and d.span is not None and d.span.file in by_path}
    for path, (loaded, rf) in by_path.items():
        names = sorted({n for n in index[path][1] if n is not None})
        for i, a in enumerate(rf.acknowledged):
            ats = [a.at] if isinstance(a.at, str) else list(a.at)
            if not text_of(a.reason).strip():
                out.append(loaded.diag("PE012", Text("确认警告时要写明理由（reason）", "an acknowledgement needs a reason"),
                                       ("acknowledged", i, "reason"),
                                       hint=Text("写明为什么可以接受这条警告，供下一位经办人查阅",
                                                 "say why the warning is accepted, for the next officer who reads it")))
            if a.code in PINNED and not (a.about or "").strip():
                out.append(loaded.diag("PE012", Text(f"确认 {a.code}（计分表的档位或等次）时，要用 about 写明确认的是哪一处",
                                                     f"an acknowledgement of {a.code} (a scoring table's tiers or bands) "
                                                     "needs 'about': which one was reviewed"),
                                       ("acknowledged", i, "code"),
                                       hint=Text("加一行 about:，照抄警告中的档位，例如 about: 30及以上 和 21-30 都包含 30。"
                                                 "档位一改，就是一条新的警告，要重新复核",
                                                 "add an 'about:' line copying the tiers from the warning, e.g. "
                                                 "about: 30 and more and 21-30 both cover 30; a changed tier is a new "
                                                 "warning to review")))
            not_a_warning = CODES.get(a.code, (None,))[0] is not Severity.WARNING  # always reported
            for k, at in enumerate(ats):
                if complete and (path, i, k) not in used and (not_a_warning or (path, at) not in open_at):
                    out.append(_stale(loaded, i, k if not isinstance(a.at, str) else None, a, at, names))
    return out


def _stale(loaded: Loaded, i: int, k: int | None, a: Any, at: str, names: list[str]) -> Diagnostic:
    where = ("acknowledged", i, "at") + ((k,) if k is not None else ())
    known = CODES.get(a.code)
    if known is None or known[0] is not Severity.WARNING:
        where = ("acknowledged", i, "code")  # the code is what is wrong
        why = (Text(f"“{a.code}”不是一个警告代码", f"'{a.code}' is not a code of a warning") if known is None else
               Text(f"{a.code} 是{'错误' if known[0] is Severity.ERROR else '说明'}，不是警告：错误要改正，说明不必确认",
                    f"{a.code} is {'an error' if known[0] is Severity.ERROR else 'a note'}, not a warning: "
                    f"errors are fixed, notes need no acknowledgement"))
        hint = Text("只有警告可以确认；请删除这一条", "only warnings can be acknowledged: remove this entry")
    else:
        why = Text(f"这里没有关于“{at}”的 {a.code} 警告{('（内容含“' + a.about + '”）') if a.about else ''}",
                   f"there is no {a.code} warning about '{at}'{(' mentioning ' + repr(a.about)) if a.about else ''} here")
        near = suggest(at, [n for n in names if n != at]) if at not in names else None
        hint = (Text(f"是不是“{near}”？", f"did you mean '{near}'?") if near else
                Text("警告已经不再出现（可能已改正）：请删除这一条确认", "the warning is gone (fixed?): remove this acknowledgement"))
    return loaded.diag("PE104", Text(f"过时的确认：{why.zh}", f"stale acknowledgement: {why.en}"), where, hint=hint)
