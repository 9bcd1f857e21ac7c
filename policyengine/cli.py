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
import re
import sys

from .diagnostics import CODES, PolicyError, Severity, Text, printable, render_all, resolve_lang, sort_key
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


def _say(a, label: str, text: Text) -> None:
    """One line of the command's own on stderr (``error``, ``note``), in ``a.lang``."""
    head = {"error": ("错误", "error"), "note": ("说明", "note")}[label]
    zh = a.lang == "zh"
    print(f"{head[0] if zh else head[1]}{'：' if zh else ': '}{text.get(a.lang)}", file=sys.stderr)


def _paths(a) -> list:
    return a.paths or [_default()]


def _codes(spec: list[str] | None) -> tuple[str, ...]:
    """``--select PE041,PE05`` (repeatable): codes or prefixes of codes.  They choose among the
    warnings and notes: an error is always shown, since the policy set cannot be used with it."""
    return tuple(c.strip().upper() for s in spec or () for c in s.split(",") if c.strip())


def cmd_check(a) -> int:
    from .api import check_in_context

    select, ignore = _codes(a.select), _codes(a.ignore)
    unknown = [c for c in (*select, *ignore) if not any(k.startswith(c) for k in CODES)]
    if unknown:
        chosen = ", ".join(k for k, (sev, _) in CODES.items() if sev is not Severity.ERROR)
        _say(a, "error", Text(f"没有这样的诊断代码：{', '.join(unknown)}。可以选的警告和说明代码有：{chosen}"
                              f"（也可以只写开头，如 PE05）",
                              f"no such diagnostic code: {', '.join(unknown)}; the warnings and notes to choose "
                              f"from are {chosen} (or the start of one, such as PE05)"))
        return 2
    ps, shown = check_in_context(_paths(a), a.policies)
    tests = []
    if not ps.errors:  # the test files among the paths, checked against the outcomes and facts of the set
        from .testing import check_test_files

        tests = check_test_files(_paths(a), ps)
        shown = sorted([*shown, *tests], key=sort_key)
    shown = [d for d in shown if d.is_error or ((not select or d.code.startswith(select))
                                                 and not (ignore and d.code.startswith(ignore)))]
    diags = [d for d in shown if a.notes or d.severity is not Severity.INFO]
    _print_diags(diags, a.format, lang=a.lang)
    # a warning a rule file acknowledges is a note: counted here, so that it is not forgotten
    # (the readings and assumed dates among them are what the CONTRACT has check report: named here)
    acked = [d for d in shown if d.severity is Severity.INFO and CODES[d.code][0] is Severity.WARNING]
    if acked and not a.notes and a.format == "text":
        readings = sum(d.code in ("PE054", "PE058") for d in acked)  # (named only when there are some)
        print(f"另有 {len(acked)} 条已确认的警告"
              f"{f'，其中 {readings} 条是对原文的解读和假定的生效日期，可随时复核' if readings else ''}"
              f"（check --notes 逐条列出并附确认的理由）" if a.lang == "zh" else
              f"and {len(acked)} acknowledged warning(s)"
              f"{f', {readings} of them readings of the documents and assumed dates of effect an officer may revisit' if readings else ''}"
              f" (check --notes lists each with the reason)")
    if ps.errors or any(d.is_error for d in tests):
        return 1
    return 1 if a.strict and any(d.severity is Severity.WARNING for d in shown) else 0


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
            _say(a, "error", Text(f"--as-of {a.as_of!r} 不是 年-月-日（YYYY-MM-DD）格式的日期，例如 2024-03-01",
                                  f"--as-of {a.as_of!r} is not a date YYYY-MM-DD"))
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

    try:  # someone to ask only at a terminal: a pipe or a CI job has no one to answer
        ask = input if sys.stdin is not None and sys.stdin.isatty() else None
    except (AttributeError, ValueError, OSError):
        ask = None
    return run_tests(_paths(a), lang=a.lang, policies=a.policies, verbose=a.verbose, update=a.update, yes=a.yes, ask=ask)


def cmd_coverage(a) -> int:
    from .coverage import coverage_report

    text, ps = coverage_report(_paths(a), fmt=a.format)
    if ps.errors:  # the table of files with errors would be a guess: say what is wrong instead
        _print_diags(ps.errors, "text", sys.stderr, a.lang)
        print(Text("coverage：规则文件有错误，请先改正", "coverage: the rule files have errors; fix them first").get(a.lang),
              file=sys.stderr)
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
        known = sorted(ps.jurisdictions)
        _say(a, "error", Text(f"不认识的地区 {a.jurisdiction!r}" + (f"；是不是想写 {s!r}？" if s else "")
                              + "\n  地区：" + "、".join(known),
                              f"unknown jurisdiction {a.jurisdiction!r}" + (f"; did you mean {s!r}?" if s else "")
                              + "\n  jurisdictions: " + ", ".join(known)))
        return 2
    sys.stdout.write(render_facts(fact_rows(ps, a.subject, a.jurisdiction), a.format, a.lang))
    return 0


def _default():
    from .api import default_policy_dir

    return default_policy_dir()


def cmd_diff(a) -> int:
    from .diff import run_diff

    return run_diff(a.old, a.new or str(_default()), cases=a.cases, fmt=a.format, lang=a.lang, as_of=a.as_of,
                    policies=a.policies)


# argparse's own refusals, put in Chinese: (its English, the Chinese, what to do)
_USAGE_ZH = (
    (re.compile(r"unrecognized arguments: (.*)"), "不认识的参数：{0}", "去掉它们；用 --help 查看这个命令能用的参数"),
    (re.compile(r"the following arguments are required: (.*)"), "缺少必须写的参数：{0}", "用 --help 查看怎么写"),
    (re.compile(r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)"), "参数 {0}：没有 {1} 这个选项",
     "可以选：{2}"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 后面要写一个值", "例如 {0} 值"),
    (re.compile(r"argument (\S+): invalid (int|float) value: (.*)"), "参数 {0}：{2} 不是有效的值", "这里要写一个数"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "参数 {0} 不能和 {1} 一起用", "只写其中一个"),
)
_parse_lang = "zh"  # the language of the arguments being parsed (main sets it before parsing)


def _usage_error(message: str, lang: str) -> str:
    """An argparse refusal in ``lang``: argparse speaks English; the officer reads Chinese."""
    if lang == "en":
        return f"error: {message}"
    for pattern, zh, hint in _USAGE_ZH:
        m = pattern.fullmatch(message)
        if m:
            return f"错误：{zh.format(*m.groups())}（{hint.format(*m.groups())}）"
    return f"错误：命令行参数有误：{message}（用 --help 查看怎么写）"


class _Parser(argparse.ArgumentParser):
    """argparse, with its refusals in the language of the command (--lang, $POLICYENGINE_LANG, zh)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {_usage_error(message, _parse_lang)}\n")


def _lang_of_argv(argv: list[str]) -> str:
    """``--lang`` as written among the arguments (before they are parsed), else the default."""
    for i, x in enumerate(argv):
        if x.startswith("--lang="):
            return resolve_lang(x[7:])
        if x == "--lang" and i + 1 < len(argv):
            return resolve_lang(argv[i + 1])
    return resolve_lang(None)


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
    p = _Parser(prog="policyengine", description="Declarative, layered policy rules: check, evaluate, explain.",
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
    c.add_argument("--notes", action="store_true",
                   help="also show notes, and the acknowledged warnings with their reasons")
    c.add_argument("--strict", action="store_true",
                   help="fail (exit 1) on any warning that no rule file acknowledges")
    c.add_argument("--select", action="append", metavar="CODES",
                   help="only these codes or prefixes, comma-separated: --select PE041,PE05")
    c.add_argument("--ignore", action="append", metavar="CODES", help="leave out these codes or prefixes")
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
    t.add_argument("--update", action="store_true",
                   help="rewrite the expected values of failing cases to what they give now, after showing the "
                        "change and asking (comments and order kept)")
    t.add_argument("--yes", action="store_true", help="with --update: rewrite without asking")
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
    b.add_argument("--engine", choices=["duckdb", "python", "spark"], default="duckdb")
    b.add_argument("--explain", action="store_true", help="add an 'explanation' column (JSON)")
    b.add_argument("--chunk-rows", type=int, default=10_000, help="rows held in memory at once (default 10000)")
    b.add_argument("--memory-limit", help="duckdb: the memory the query may use, such as 2GB (past it, it spills to disk)")
    b.add_argument("--threads", type=int, help="duckdb: the threads the query may use (default: every core)")
    b.add_argument("--master", help="spark: the cluster's master URL, such as yarn or spark://host:7077 "
                                    "(default: $SPARK_MASTER, else spark-submit's, else local[*])")
    b.set_defaults(fn=cmd_batch)

    d = sub.add_parser("diff", parents=[common, pol, lang], help="semantic diff of two policy versions",
                       description="Compare two versions of the policies.  A folder or file inside the policy set "
                                   "(--policies, default: the shipped packs), or a git revision of one, is compared "
                                   "with the rest of the set around it.")
    d.add_argument("old", help="a policy folder or file, or git:REV[:PATH]")
    d.add_argument("new", nargs="?", help="the same (default: $POLICYENGINE_POLICIES, else the shipped packs)")
    d.add_argument("--cases", help="a case file, a pack's test file, or a folder of them, to re-evaluate under both "
                                   "versions")
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
        _say(a, "error", Text(f"policyengine batch 需要安装 'batch' 附加组件（缺少 {e.name or e}）："
                              "pip install 'policyengine-rules[batch]'",
                              f"policyengine batch needs the 'batch' extra ({e.name or e}): "
                              "pip install 'policyengine-rules[batch]'"))
        return 2
    r = run_batch(_policies(a), a.input, a.out, subject=a.subject, jurisdiction=a.jurisdiction, as_of=a.as_of,
                  engine=a.engine, explain=a.explain, lang=a.lang, chunk_rows=a.chunk_rows,
                  memory_limit=a.memory_limit, threads=a.threads, master=a.master)
    if r.row_wise:
        _say(a, "note", Text(f"SQL 翻译无法表达 {'、'.join(r.row_wise)}：这些结果逐行计算",
                             f"the SQL translation cannot express {', '.join(r.row_wise)}: decided row by row"))
    for n in r.notes:
        _say(a, "note", n)
    print(Text(f"{r.engine} 计算了 {r.rows} 行，其中 {r.errors} 行有错误；已写入 {a.out}",
               f"{r.rows} row(s) decided by {r.engine}, {r.errors} with an error; wrote {a.out}").get(a.lang), file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    global _parse_lang
    parser = build_parser()
    _parse_lang = _lang_of_argv(sys.argv[1:] if argv is None else list(argv))
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
        what = printable(f"{type(e).__name__}: {e}")
        print(Text(f"内部错误（internal error）：{what}\n（这是本程序的缺陷，不是你的文件的问题；加 --debug 可看详情，请报告它）",
                   f"internal error: {what}\n(run with --debug for details, and please report it)").get(a.lang), file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
