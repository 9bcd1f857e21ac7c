"""The ``policyengine`` command: check, evaluate, batch, test, schema, coverage, diff, facts.

No Python traceback reaches the user: every failure is a located diagnostic
and an exit status (0 fine, 1 errors or a changed decision, 2 bad usage or
input), and every non-zero exit says why.  Every subcommand that reads policies
reads the shipped packs unless told otherwise (``--policies`` or
``$POLICYENGINE_POLICIES``).  ``--debug``, in any position, shows the traceback
of an unexpected failure.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys

from .diagnostics import PolicyError, Severity, render_all, resolve_lang, sort_key
from .explain import dumps

__all__ = ["main"]


def _print_diags(diags, fmt: str, out=None, lang: str | None = None) -> None:
    out = out if out is not None else sys.stdout  # looked up now, so that redirection (and capsys) works
    lang = resolve_lang(lang)
    diags = sorted(diags, key=sort_key)
    if fmt == "json":
        out.write(dumps({"diagnostics": [d.to_json(lang) for d in diags],
                         "errors": sum(d.is_error for d in diags),
                         "warnings": sum(d.severity is Severity.WARNING for d in diags)}) + "\n")
        return
    if diags:
        out.write(render_all(diags, lang) + "\n")
    e = sum(d.is_error for d in diags)
    w = sum(d.severity is Severity.WARNING for d in diags)
    i = len(diags) - e - w
    out.write(f"{e} 个错误，{w} 个警告，{i} 条说明\n" if lang == "zh" else f"{e} error(s), {w} warning(s), {i} note(s)\n")


def _paths(a) -> list:
    return a.paths or [_default()]


def cmd_check(a) -> int:
    from .api import check_in_context

    ps, shown = check_in_context(_paths(a), a.policies)
    diags = [d for d in shown if a.notes or d.severity is not Severity.INFO]
    _print_diags(diags, a.format, lang=a.lang)
    return 1 if ps.errors else 0


def _policies(a):
    from .api import Policies

    return Policies.load(*(a.policies or [_default()]))


def cmd_evaluate(a) -> int:
    pol = _policies(a)
    as_of = None
    if a.as_of:
        try:
            as_of = _dt.date.fromisoformat(a.as_of)
        except ValueError:
            print(f"error: --as-of {a.as_of!r} is not a date YYYY-MM-DD", file=sys.stderr)
            return 2
    case = pol.case(a.case, jurisdiction=a.jurisdiction, as_of=as_of)
    d = pol.evaluate(case, lang=a.lang)
    sys.stdout.write(d.to_json(indent=2) + "\n" if a.format == "json" else d.to_text())
    return 0


def cmd_schema(a) -> int:
    from .schema import case_schema, decision_schema, rule_schema

    s = case_schema() if a.case else decision_schema() if a.decision else rule_schema()
    sys.stdout.write(dumps(s) + "\n")
    return 0


def cmd_test(a) -> int:
    from .testing import run_tests

    return run_tests(_paths(a), lang=a.lang, policies=a.policies, verbose=a.verbose)


def cmd_coverage(a) -> int:
    from .coverage import coverage_report

    text, ps = coverage_report(_paths(a), fmt=a.format)
    if ps.errors:  # the table of files with errors would be a guess: say what is wrong instead
        _print_diags(ps.errors, "text", sys.stderr, a.lang)
        print("coverage: the rule files have errors; fix them first", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def cmd_facts(a) -> int:
    from .api import load_rule_files
    from .vocabulary import fact_rows, render_facts

    ps = load_rule_files(a.policies or [_default()])
    if ps.errors:
        raise PolicyError(ps.errors)
    if a.jurisdiction is not None and a.jurisdiction not in ps.jurisdictions:
        from .types import suggest

        s = suggest(a.jurisdiction, ps.jurisdictions)
        print(f"error: unknown jurisdiction {a.jurisdiction!r}" + (f"; did you mean {s!r}?" if s else "")
              + "\n  jurisdictions: " + ", ".join(sorted(ps.jurisdictions)), file=sys.stderr)
        return 2
    sys.stdout.write(render_facts(fact_rows(ps, a.subject, a.jurisdiction), a.format, a.lang))
    return 0


def _default():
    from .api import default_policy_dir

    return default_policy_dir()


def cmd_diff(a) -> int:
    from .diff import run_diff

    return run_diff(a.old, a.new or str(_default()), cases=a.cases, fmt=a.format, lang=a.lang, as_of=a.as_of)


def build_parser() -> argparse.ArgumentParser:
    from .records import SUBJECTS

    # --debug is accepted before or after the subcommand: `policyengine evaluate x --debug`
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show a traceback on unexpected failures")
    pol = argparse.ArgumentParser(add_help=False)
    pol.add_argument("--policies", action="append", metavar="PATH",
                     help="a policy folder or file (repeatable; default: $POLICYENGINE_POLICIES, else the shipped packs)")
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                      help="language of messages and explanations (default: $POLICYENGINE_LANG, else zh)")
    p = argparse.ArgumentParser(prog="policyengine", description="Declarative, layered policy rules: check, evaluate, explain.",
                                parents=[common, lang])
    # (no set_defaults for them: it would change the default of the action the subcommands share)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shipped = " (default: $POLICYENGINE_POLICIES, else the shipped packs)"

    c = sub.add_parser("check", parents=[common, pol, lang], help="check rule files and report every problem",
                       description="Check rule files as part of the policy set they belong to (--policies, "
                                   "default: the shipped packs): warnings are shown for the files given, errors "
                                   "wherever they are.")
    c.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders" + shipped)
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.add_argument("--notes", action="store_true", help="also show informational notes")
    c.set_defaults(fn=cmd_check)

    e = sub.add_parser("evaluate", parents=[common, pol, lang], help="evaluate a case file")
    e.add_argument("case")
    e.add_argument("--jurisdiction")
    e.add_argument("--as-of")
    e.add_argument("--format", choices=["json", "text"], default="text")
    e.set_defaults(fn=cmd_evaluate)

    s = sub.add_parser("schema", parents=[common, lang], help="print a JSON Schema")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--case", action="store_true", help="of case files")
    g.add_argument("--decision", action="store_true", help="of the evaluate JSON output")
    s.set_defaults(fn=cmd_schema)

    t = sub.add_parser("test", parents=[common, pol, lang], help="run the YAML test cases of policy packs")
    t.add_argument("paths", nargs="*", metavar="PATH", help="test files or folders" + shipped)
    t.add_argument("-v", "--verbose", action="store_true")
    t.set_defaults(fn=cmd_test)

    v = sub.add_parser("coverage", parents=[common, lang], help="print the coverage table of each document")
    v.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders" + shipped)
    v.add_argument("--format", choices=["text", "md", "json"], default="text")
    v.set_defaults(fn=cmd_coverage)

    b = sub.add_parser("batch", parents=[common, pol, lang],
                       help="decide every row of a Parquet, CSV or JSON Lines file (CONTRACT: Batch evaluation)")
    b.add_argument("input", help="INPUT.parquet | .csv | .jsonl: one case per row")
    b.add_argument("--out", required=True, help="OUTPUT.parquet | .csv | .jsonl")
    b.add_argument("--subject", help="the subject of every row (else the 'subject' column)")
    b.add_argument("--jurisdiction", help="the jurisdiction of every row (else the 'jurisdiction' column)")
    b.add_argument("--as-of", help="the date of every row, YYYY-MM-DD (else the 'as_of' column)")
    b.add_argument("--engine", choices=["duckdb", "python"], default="duckdb")
    b.add_argument("--explain", action="store_true", help="add an 'explanation' column (JSON)")
    b.add_argument("--chunk-rows", type=int, default=10_000, help="rows held in memory at once (default 10000)")
    b.add_argument("--memory-limit", help="duckdb: the memory the query may use, such as 2GB (past it, it spills to disk)")
    b.add_argument("--threads", type=int, help="duckdb: the threads the query may use (default: every core)")
    b.set_defaults(fn=cmd_batch)

    d = sub.add_parser("diff", parents=[common, lang], help="semantic diff of two policy versions")
    d.add_argument("old", help="a policy folder or git:REV[:PATH]")
    d.add_argument("new", nargs="?", help="the same (default: $POLICYENGINE_POLICIES, else the shipped packs)")
    d.add_argument("--cases", help="a case file, or a folder of case files, to re-evaluate under both versions")
    d.add_argument("--format", choices=["text", "md", "json"], default="text")
    d.add_argument("--as-of", help="compare what is in force on this date YYYY-MM-DD (default: today)")
    d.set_defaults(fn=cmd_diff)

    f = sub.add_parser("facts", parents=[common, pol, lang], help="list the facts a subject takes")
    f.add_argument("--subject", choices=list(SUBJECTS))
    f.add_argument("--jurisdiction", help="only the facts the documents on the path to it declare")
    f.add_argument("--format", choices=["text", "md", "json"], default="text")
    f.set_defaults(fn=cmd_facts)

    from .service.commands import register as register_service  # serve, replay, log verify (stdlib only until run)

    register_service(sub, parents=[common, lang])
    return p


def cmd_batch(a) -> int:
    try:
        from .batch import run_batch
    except ImportError as e:  # the batch extra is not installed
        print(f"error: policyengine batch needs the 'batch' extra ({e.name or e}): "
              "pip install 'policyengine-rules[batch]'", file=sys.stderr)
        return 2
    r = run_batch(_policies(a), a.input, a.out, subject=a.subject, jurisdiction=a.jurisdiction, as_of=a.as_of,
                  engine=a.engine, explain=a.explain, lang=a.lang, chunk_rows=a.chunk_rows,
                  memory_limit=a.memory_limit, threads=a.threads)
    if r.row_wise:
        print(f"note: the SQL translation cannot express {', '.join(r.row_wise)}: decided row by row",
              file=sys.stderr)
    for n in r.notes:
        print(f"note: {n}", file=sys.stderr)
    print(f"{r.rows} row(s) decided by {r.engine}, {r.errors} with an error; wrote {a.out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    a.debug = getattr(a, "debug", False)
    a.lang = resolve_lang(getattr(a, "lang", None))  # --lang in any position, else $POLICYENGINE_LANG, else zh
    try:
        return a.fn(a)
    except PolicyError as e:
        fmt = getattr(a, "format", "text")
        _print_diags(e.diagnostics, "json" if fmt == "json" else "text", sys.stderr, a.lang)
        return 2 if a.command in ("evaluate", "diff", "batch") else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `policyengine evaluate … | head`: the reader left, nothing went wrong
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as e:  # an engine bug: say so plainly, never a raw traceback unless asked
        if a.debug:
            raise
        print(f"internal error: {type(e).__name__}: {e}\n(run with --debug for details, and please report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
