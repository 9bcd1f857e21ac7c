"""Coverage tables: every article of every document → the rules encoding it, or why none does."""
from __future__ import annotations

from .api import default_policy_dir, load_rule_files
from .diagnostics import md_cell, printable, resolve_lang
from .explain import dumps
from .policy import PolicySet
from .records import coverage_text, text_of

__all__ = ["coverage_report"]


def coverage_report(paths=None, fmt: str = "text", lang: str | None = None) -> tuple[str, PolicySet]:
    """The coverage tables as text, and the policy set they were read from (whose ``errors``
    say whether the tables can be trusted).  Titles and the reasons an article decides nothing
    are in ``lang`` where the pack gives them in both languages."""
    lang = resolve_lang(lang)
    ps = load_rule_files(paths or [default_policy_dir()])
    if ps.errors:
        return "", ps
    docs = sorted(ps.documents.values(), key=lambda d: (len(ps.jurisdiction_path(d.jurisdiction)), d.effective, d.id))

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
