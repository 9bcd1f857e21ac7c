"""Coverage tables: every article of every document → the rules encoding it, or why none does."""
from __future__ import annotations

from .api import default_policy_dir, load_rule_files
from .diagnostics import md_cell, printable
from .explain import dumps
from .policy import PolicySet
from .records import text_of

__all__ = ["coverage_report"]


def coverage_report(paths=None, fmt: str = "text") -> tuple[str, PolicySet]:
    """The coverage tables as text, and the policy set they were read from (whose ``errors``
    say whether the tables can be trusted)."""
    ps = load_rule_files(paths or [default_policy_dir()])
    if ps.errors:
        return "", ps
    docs = sorted(ps.documents.values(), key=lambda d: (len(ps.jurisdiction_path(d.jurisdiction)), d.effective, d.id))
    if fmt == "json":
        return dumps({d.id: ps.coverage.get(d.id, {}) for d in docs}) + "\n", ps
    lines = []
    for d in docs:
        cov = ps.coverage.get(d.id, {})
        title = printable(f"{text_of(d.title)}{'（' + d.number + '）' if d.number else ''} — {d.jurisdiction}")
        if fmt == "md":  # every text from a file on one line; in a table, '|' escaped too
            lines += [f"## {title}", "", "| article | encoded by |", "|---|---|"]
            lines += [f"| {md_cell(str(a))} | {md_cell(', '.join(map(str, v)) if isinstance(v, list) else str(v))} |"
                      for a, v in cov.items()]
        else:
            lines += [title] + [printable(f"  {a}: {', '.join(map(str, v)) if isinstance(v, list) else v}") for a, v in cov.items()]
        lines.append("")
    return "\n".join(lines), ps
