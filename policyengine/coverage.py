"""Coverage tables: every article of every document → the rules encoding it, or why none does."""
from __future__ import annotations

from pathlib import Path

from .api import check_in_context, default_policy_dir, find_rule_files, load_rule_files
from .diagnostics import md_cell, printable, resolve_lang
from .explain import dumps
from .policy import PolicySet
from .records import coverage_text, text_of

__all__ = ["coverage_report"]


def coverage_report(paths=None, fmt: str = "text", policies=None, lang: str | None = None) -> tuple[str, PolicySet]:
    """The coverage tables of the documents in ``paths`` as text, and the policy set they were read
    from (whose ``errors`` say whether the tables can be trusted).  As ``check FILE|DIR``, the files
    given are read as part of the policy set they belong to (``policies``, default the shipped
    packs), so that a new district's folder finds the layers above it; without ``paths``, every
    document of ``policies``.  Titles and the reasons an article decides nothing are in ``lang``
    where the pack gives them in both languages."""
    lang = resolve_lang(lang)
    if paths:
        ps, _ = check_in_context(paths, policies)
        given = {f.resolve() for f in find_rule_files(paths)}
        shown = [d for d in ps.documents.values() if Path(d.path).resolve() in given]
    else:
        ps = load_rule_files(policies or [default_policy_dir()])
        shown = list(ps.documents.values())
    if ps.errors:
        return "", ps
    docs = sorted(shown, key=lambda d: (len(ps.jurisdiction_path(d.jurisdiction)), d.effective, d.id))

    def entry(v) -> str | list:
        return coverage_text(v, lang) if not isinstance(v, (list, tuple)) else [str(x) for x in v]

    if fmt == "json":
        return dumps({d.id: {a: entry(v) for a, v in ps.coverage.get(d.id, {}).items()} for d in docs}) + "\n", ps
    lines = []
    for d in docs:
        cov = {a: entry(v) for a, v in ps.coverage.get(d.id, {}).items()}
        number = (f"（{d.number}）" if lang == "zh" else f" ({d.number})") if d.number else ""
        title = printable(f"{text_of(d.title, lang)}{number} — {d.jurisdiction}")
        if fmt == "md":  # every text from a file on one line; in a table, '|' escaped too
            lines += [f"## {title}", "", "| article | encoded by |", "|---|---|"]
            lines += [f"| {md_cell(str(a))} | {md_cell(', '.join(v) if isinstance(v, list) else v)} |"
                      for a, v in cov.items()]
        else:
            lines += [title] + [printable(f"  {a}: {', '.join(v) if isinstance(v, list) else v}") for a, v in cov.items()]
        lines.append("")
    return "\n".join(lines), ps
