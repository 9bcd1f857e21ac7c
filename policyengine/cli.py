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
import functools
import os
import re
import signal
import sys

from .cases import _as_date as as_date
from .diagnostics import CODES, Diagnostic, PolicyError, Severity, Text, _display_width, as_written, printable, render_all, resolve_lang, sort_key
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
    from .testing import check_test_files

    # the test files among the paths: loaded, and checked against the outcomes and facts of the set
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
        _list_readings([d for d in acked if d.code in ("PE054", "PE058")], a.lang)
    if ps.errors or any(d.is_error for d in tests):
        return 1
    return 1 if a.strict and any(d.severity is Severity.WARNING for d in shown) else 0


def _list_readings(readings, lang: str, width: int = 160) -> None:
    """Each reading of the documents and each assumed date of effect, one line apiece: the CONTRACT
    has ``check`` report every one as something an officer may revisit, acknowledged or not
    (``--notes`` gives each in full with the reason it was acknowledged)."""
    if not readings:
        return
    print(f"对原文的解读和假定的生效日期（{len(readings)} 条，可随时复核）：" if lang == "zh" else
          f"Readings of the documents and assumed dates of effect ({len(readings)}, an officer may revisit them):")
    for d in sorted(readings, key=sort_key):
        head = printable(f"  {d.span}: [{d.code}] " if d.span else f"  [{d.code}] ")
        print(head + _cut(printable(d.text(lang)), width - _display_width(head)))


def _cut(text: str, room: int) -> str:
    """``text`` in at most ``room`` terminal columns (a Chinese character takes two), with … when cut."""
    if _display_width(text) <= room:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += _display_width(ch)
        if used > room - 1:
            return text[:i] + "…"
    return text


def _policies(a):
    from .api import Policies

    return Policies.load(*(a.policies or [_default()]))


def cmd_evaluate(a) -> int:
    pol = _policies(a)
    if a.as_of and as_date(a.as_of) is None:  # read as the case reads as_of; a diagnostic, so JSON with --format json
        raise PolicyError(Diagnostic("PE060", Text(f"--as-of {as_written(a.as_of)} 不是 年-月-日（YYYY-MM-DD）格式的真实日期",
                                                   f"--as-of {as_written(a.as_of)} is not a real date YYYY-MM-DD"), None,
                                     hint=Text("例如 --as-of 2024-03-01", "e.g. --as-of 2024-03-01")))
    case = pol.case(a.case, jurisdiction=a.jurisdiction, as_of=a.as_of or None)
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
    # no path: the tests of the rules tested (--policies, else the shipped packs)
    return run_tests(a.paths or a.policies or [_default()], lang=a.lang, policies=a.policies, verbose=a.verbose,
                     update=a.update, yes=a.yes, ask=ask)


def cmd_coverage(a) -> int:
    from .coverage import coverage_report

    text, ps = coverage_report(a.paths, fmt=a.format, policies=a.policies, lang=a.lang)
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
        _say(a, "error", Text(f"不认识的地区 {as_written(a.jurisdiction)}" + (f"；是不是想写 {as_written(s)}？" if s else "")
                              + "\n  地区：" + "、".join(known),
                              f"unknown jurisdiction {as_written(a.jurisdiction)}" + (f"; did you mean {as_written(s)}?" if s else "")
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
                    policies=a.policies, engine=a.engine)


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
def _usage_error(message: str, lang: str) -> str:
    """An argparse refusal in ``lang``: argparse speaks English; the officer reads Chinese."""
    if lang == "en":
        return f"error: {message}"
    for pattern, zh, hint in _USAGE_ZH:
        m = pattern.fullmatch(message)
        if m:
            return f"错误：{zh.format(*m.groups())}（{hint.format(*m.groups())}）"
    return f"错误：命令行参数有误：{message}（用 --help 查看怎么写）"


# argparse's own words in its help (its headings and the help of -h), in both languages
_ARGPARSE = {"usage": Text("用法：", "usage: "), "positional": Text("位置参数", "positional arguments"),
             "options": Text("选项", "options"), "help": Text("显示这段帮助并退出", "show this help message and exit")}


_NO_LINE_START = set("，。、：；）」』！？")  # (Chinese punctuation stays at the end of the line before)


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, a Chinese character taking two (textwrap
    counts characters, and Chinese help would run past the edge); a run of ASCII is not broken."""
    lines, line, used = [], "", 0
    for tok in re.findall(r"[!-~]+|\s+|.", " ".join(text.split())):
        w = _display_width(tok)
        if tok.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        if line and used + w > width and tok not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + tok, used + w
    return [*lines, line.rstrip()] if line.strip() else lines


class _Formatter(argparse.HelpFormatter):
    """argparse's help in the language of the parser: its ``usage:``, and Chinese lines wrapped by
    the columns they take."""

    lang = "zh"

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[override]
        super().add_usage(usage, actions, groups, _ARGPARSE["usage"].get(self.lang) if prefix is None else prefix)

    def _split_lines(self, text, width):  # type: ignore[override]
        return _wrap(text, width) if self.lang == "zh" else super()._split_lines(text, width)

    def _fill_text(self, text, width, indent):  # type: ignore[override]
        if self.lang != "zh":
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + x for x in _wrap(text, width - len(indent)))


class _Parser(argparse.ArgumentParser):
    """argparse in the language of the command (``lang``: --lang, $POLICYENGINE_LANG, zh): its
    headings, the help of -h and its refusals; the subcommands' parsers speak it too."""

    def __init__(self, *args, lang: str | None = None, **kwargs):
        self.lang = resolve_lang(lang)
        add_help, parents = kwargs.pop("add_help", True), kwargs.pop("parents", ())
        kwargs["formatter_class"] = type("_Formatter", (_Formatter,), {"lang": self.lang})
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = _ARGPARSE["positional"].get(self.lang)
        self._optionals.title = _ARGPARSE["options"].get(self.lang)
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=_ARGPARSE["help"].get(self.lang))
        for parent in parents:  # as argparse does, now that the groups have the titles the parents' have
            self._add_container_actions(parent)
            self._defaults.update(parent._defaults)

    def add_subparsers(self, **kwargs):  # type: ignore[override]
        kwargs.setdefault("parser_class", functools.partial(_Parser, lang=self.lang))
        return super().add_subparsers(**kwargs)

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {_usage_error(message, self.lang)}\n")


def _lang_of_argv(argv: list[str]) -> str:
    """``--lang`` as written among the arguments (before they are parsed), else the default."""
    for i, x in enumerate(argv):
        if x.startswith("--lang="):
            return resolve_lang(x[7:])
        if x == "--lang" and i + 1 < len(argv):
            return resolve_lang(argv[i + 1])
    return resolve_lang(None)


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The command's parser, its help in ``lang`` (default: $POLICYENGINE_LANG, else Chinese):
    each text below is written once, in both languages."""
    from .records import SUBJECTS

    lang = resolve_lang(lang)

    def t(zh: str, en: str) -> str:
        return Text(zh, en).get(lang)

    # --debug is accepted before or after the subcommand: `policyengine evaluate x --debug`
    common = _Parser(add_help=False, lang=lang)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=t("程序本身出错时显示 Python 的调用栈（报告缺陷时用）", "show a traceback on unexpected failures"))
    pol = _Parser(add_help=False, lang=lang)
    pol.add_argument("--policies", action="append", metavar="PATH",
                     help=t("政策文件夹或规则文件（可写多次；默认：$POLICYENGINE_POLICIES，否则用随附的政策包）",
                            "a policy folder or file (repeatable; default: $POLICYENGINE_POLICIES, else the shipped packs)"))
    lng = _Parser(add_help=False, lang=lang)
    lng.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                     help=t("提示、标题和解释用的语言：zh 中文，en 英文（默认：$POLICYENGINE_LANG，否则 zh）",
                            "language of messages and explanations (default: $POLICYENGINE_LANG, else zh)"))
    p = _Parser(prog="policyengine", lang=lang, parents=[common, lng],
                description=t("声明式、分层级的政策规则：检查规则文件，计算个案，解释结论。",
                              "Declarative, layered policy rules: check, evaluate, explain."))
    # (no set_defaults for them: it would change the default of the action the subcommands share)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shipped = t("（默认：$POLICYENGINE_POLICIES，否则用随附的政策包）", " (default: $POLICYENGINE_POLICIES, else the shipped packs)")
    rule_paths = t("规则文件或文件夹", "rule files or folders") + shipped

    def formats(x, *choices: str, default: str = "text") -> None:
        x.add_argument("--format", choices=list(choices), default=default,
                       help=t("输出格式：text 终端文字" + ("，md Markdown 表格" if "md" in choices else "")
                              + ("，json 供程序读取" if "json" in choices else "") + f"（默认 {default}）",
                              "output: text for the terminal" + (", md Markdown tables" if "md" in choices else "")
                              + (", json for programs" if "json" in choices else "") + f" (default {default})"))

    c = sub.add_parser("check", parents=[common, pol, lng], help=t("检查规则文件，报告每一处问题", "check rule files and report every problem"),
                       description=t("把规则文件放在所属的政策集合中检查（--policies，默认是随附的政策包）：给出的文件"
                                     "显示警告，错误无论在哪个文件都显示。",
                                     "Check rule files as part of the policy set they belong to (--policies, "
                                     "default: the shipped packs): warnings are shown for the files given, errors "
                                     "wherever they are."))
    c.add_argument("paths", nargs="*", metavar="PATH", help=rule_paths)
    formats(c, "text", "json")
    c.add_argument("--notes", action="store_true",
                   help=t("同时显示说明，以及已确认的警告和确认的理由", "also show notes, and the acknowledged warnings with their reasons"))
    c.add_argument("--strict", action="store_true",
                   help=t("只要有未经规则文件确认的警告就失败（退出码 1）", "fail (exit 1) on any warning that no rule file acknowledges"))
    c.add_argument("--select", action="append", metavar="CODES",
                   help=t("只显示这些代码（或代码开头）的警告和说明，用逗号分隔：--select PE041,PE05",
                          "only these codes or prefixes, comma-separated: --select PE041,PE05"))
    c.add_argument("--ignore", action="append", metavar="CODES",
                   help=t("不显示这些代码（或代码开头）的警告和说明", "leave out these codes or prefixes"))
    c.set_defaults(fn=cmd_check)

    jurisdiction = t("个案所在的地区，例如 cn/nm/baotou（默认：个案文件里写的 jurisdiction）",
                     "the jurisdiction of the case, such as cn/nm/baotou (default: the case file's jurisdiction)")
    e = sub.add_parser("evaluate", parents=[common, pol, lng], help=t("计算一个个案文件", "evaluate a case file"),
                       description=t("按政策计算一个个案，并解释每个结论由哪条规定得出。",
                                     "Decide a case under the policies and explain which provision gives each outcome."))
    e.add_argument("case", metavar="CASE", help=t("个案文件（YAML 或 JSON）", "the case file (YAML or JSON)"))
    e.add_argument("--jurisdiction", help=jurisdiction)
    e.add_argument("--as-of", help=t("按这一天现行的规定计算，年-月-日 YYYY-MM-DD（默认：个案文件里写的 as_of）",
                                     "decide by what is in force on this date YYYY-MM-DD (default: the case file's as_of)"))
    formats(e, "json", "text")
    e.set_defaults(fn=cmd_evaluate)

    s = sub.add_parser("schema", parents=[common, lng], help=t("输出一份 JSON Schema", "print a JSON Schema"),
                       description=t("输出规则文件的 JSON Schema（默认），或个案文件、计算结果的。",
                                     "Print the JSON Schema of rule files (default), of case files or of decisions."))
    g = s.add_mutually_exclusive_group()
    g.add_argument("--case", action="store_true", help=t("个案文件的", "of case files"))
    g.add_argument("--decision", action="store_true", help=t("evaluate 的 JSON 输出的", "of the evaluate JSON output"))
    s.set_defaults(fn=cmd_schema)

    tt = sub.add_parser("test", parents=[common, pol, lng], help=t("运行政策包的 YAML 测试个案", "run the YAML test cases of policy packs"),
                        description=t("运行测试文件（kind: policy-test）里的个案，对照期望的结论。",
                                      "Run the cases of test files (kind: policy-test) against their expected outcomes."))
    tt.add_argument("paths", nargs="*", metavar="PATH", help=t("测试文件或文件夹", "test files or folders") + shipped)
    tt.add_argument("-v", "--verbose", action="store_true",
                    help=t("每个个案都列出来，包括通过的", "list every case, the passing ones too"))
    tt.add_argument("--update", action="store_true",
                    help=t("把未通过的个案的期望值改成现在的结果：先显示改动并询问（保留注释和顺序）",
                           "rewrite the expected values of failing cases to what they give now, after showing the "
                           "change and asking (comments and order kept)"))
    tt.add_argument("--yes", action="store_true", help=t("和 --update 一起用：不询问，直接改写", "with --update: rewrite without asking"))
    tt.set_defaults(fn=cmd_test)

    v = sub.add_parser("coverage", parents=[common, pol, lng], help=t("输出每份文件的覆盖表", "print the coverage table of each document"),
                       description=t("列出每份文件的每一条款由哪些规则体现，或者为什么不作决定。给出的文件或文件夹"
                                     "和 check 一样放在所属的政策集合中读取。",
                                     "List each article of each document with the rules encoding it, or why none "
                                     "does. The files or folders given are read with their policy set, as check reads them."))
    v.add_argument("paths", nargs="*", metavar="PATH", help=rule_paths)
    formats(v, "text", "md", "json")
    v.set_defaults(fn=cmd_coverage)

    b = sub.add_parser("batch", parents=[common, pol, lng],
                       help=t("计算 Parquet、CSV 或 JSON Lines 文件的每一行（见 CONTRACT 的 Batch evaluation）",
                              "decide every row of a Parquet, CSV or JSON Lines file (CONTRACT: Batch evaluation)"),
                       description=t("批量计算：输入文件的每一行是一个个案，结论写到输出文件。",
                                     "Decide in bulk: each row of the input is a case; the outcomes go to the output."))
    b.add_argument("input", metavar="INPUT", help=t("INPUT.parquet | .csv | .jsonl：每行一个个案",
                                                     "INPUT.parquet | .csv | .jsonl: one case per row"))
    b.add_argument("--out", required=True, metavar="OUTPUT", help=t("输出文件 OUTPUT.parquet | .csv | .jsonl",
                                                                     "OUTPUT.parquet | .csv | .jsonl"))
    b.add_argument("--subject", help=t("每一行的对象（默认：subject 列）", "the subject of every row (else the 'subject' column)"))
    b.add_argument("--jurisdiction", help=t("每一行的地区（默认：jurisdiction 列）",
                                            "the jurisdiction of every row (else the 'jurisdiction' column)"))
    b.add_argument("--as-of", help=t("每一行的日期，YYYY-MM-DD（默认：as_of 列）", "the date of every row, YYYY-MM-DD (else the 'as_of' column)"))
    b.add_argument("--engine", choices=["duckdb", "python", "spark"], default="duckdb",
                   help=t("duckdb 把规则翻译成 SQL 计算（默认），python 逐行计算，spark 在 Apache Spark 上运行同一翻译",
                          "duckdb translates the rules into SQL (default); python decides row by row; spark runs "
                          "the same translation on Apache Spark"))
    b.add_argument("--explain", action="store_true", help=t("增加一列 'explanation'（JSON 格式的解释）",
                                                            "add an 'explanation' column (JSON)"))
    b.add_argument("--chunk-rows", type=int, default=10_000, help=t("同时放在内存里的行数（默认 10000）",
                                                                     "rows held in memory at once (default 10000)"))
    b.add_argument("--memory-limit", help=t("duckdb：查询可用的内存，例如 2GB（超出部分写到磁盘）",
                                            "duckdb: the memory the query may use, such as 2GB (past it, it spills to disk)"))
    b.add_argument("--threads", type=int, help=t("duckdb：查询可用的线程数（默认：全部 CPU 核）",
                                                 "duckdb: the threads the query may use (default: every core)"))
    b.add_argument("--master", help=t("spark：集群的 master 地址，例如 yarn 或 spark://host:7077"
                                      "（默认：$SPARK_MASTER，否则用 spark-submit 的设置，否则 local[*]）",
                                      "spark: the cluster's master URL, such as yarn or spark://host:7077 "
                                      "(default: $SPARK_MASTER, else spark-submit's, else local[*])"))
    b.set_defaults(fn=cmd_batch)

    d = sub.add_parser("diff", parents=[common, pol, lng], help=t("比较两个政策版本的实际差异", "semantic diff of two policy versions"),
                       description=t("比较两个版本的政策。政策集合（--policies，默认是随附的政策包）中的一个文件夹或文件，"
                                     "或者它的某个 git 版本，和集合中的其余部分一起比较。",
                                     "Compare two versions of the policies.  A folder or file inside the policy set "
                                     "(--policies, default: the shipped packs), or a git revision of one, is compared "
                                     "with the rest of the set around it."))
    d.add_argument("old", metavar="OLD", help=t("旧版本：政策文件夹或文件，或 git:版本[:路径]",
                                                "a policy folder or file, or git:REV[:PATH]"))
    d.add_argument("new", nargs="?", metavar="NEW", help=t("新版本，写法同上（默认：$POLICYENGINE_POLICIES，否则用随附的政策包）",
                                                           "the same (default: $POLICYENGINE_POLICIES, else the shipped packs)"))
    d.add_argument("--cases", metavar="PATH", help=t("个案文件、政策包的测试文件或放它们的文件夹：在两个版本下分别计算，列出结论有变化的",
                                                     "a case file, a pack's test file, or a folder of them, to re-evaluate "
                                                     "under both versions"))
    formats(d, "text", "md", "json")
    d.add_argument("--as-of", help=t("比较这一天现行的规定，YYYY-MM-DD（默认：今天）",
                                     "compare what is in force on this date YYYY-MM-DD (default: today)"))
    d.add_argument("--engine", choices=["auto", "python", "duckdb"], default="auto",
                   help=t("个案怎样重新计算：auto（超过 2000 个用 DuckDB，否则逐个计算），python（逐个计算），"
                          "duckdb（先用 SQL 筛选；报告完全相同）",
                          "how the cases are re-decided: auto (DuckDB past 2000 cases, else row by row), "
                          "python (row by row), duckdb (screened in SQL; the report is the same)"))
    d.set_defaults(fn=cmd_diff)

    f = sub.add_parser("facts", parents=[common, pol, lng], help=t("列出一类对象要填写的事实", "list the facts a subject takes"),
                       description=t("列出个案要填写的事实：名称、类型、取值和说明。",
                                     "List the facts a case gives: name, type, values and label."))
    f.add_argument("--subject", choices=list(SUBJECTS), help=t("只列这一类对象的事实", "only the facts of this subject"))
    f.add_argument("--jurisdiction", help=t("只列通往这个地区的各层文件声明的事实",
                                            "only the facts the documents on the path to it declare"))
    formats(f, "text", "md", "json")
    f.set_defaults(fn=cmd_facts)

    from .service.commands import register as register_service  # serve, replay, log verify (stdlib only until run)

    register_service(sub, parents=[common, lng], lang=lang)
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
        from .batch.reasons import zh

        _say(a, "note", Text(f"SQL 翻译无法表达 {'、'.join(zh(x) for x in r.row_wise)}：这些结果逐行计算",
                             f"the SQL translation cannot express {', '.join(r.row_wise)}: decided row by row"))
    for n in r.notes:
        _say(a, "note", n)
    print(Text(f"{r.engine} 计算了 {r.rows} 行，其中 {r.errors} 行有错误；已写入 {a.out}",
               f"{r.rows} row(s) decided by {r.engine}, {r.errors} with an error; wrote {a.out}").get(a.lang), file=sys.stderr)
    return 0


class _Stopped(BaseException):
    """A signal that ends the run: raised where Python runs next, so that what it was writing is removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum, self.name = signum, signal.Signals(signum).name


def _stop_on_signals() -> None:
    def stop(signum, _frame):
        raise _Stopped(signum)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            try:
                signal.signal(sig, stop)
            except ValueError:  # (not the main thread: the library's caller keeps its own handlers)
                pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(_lang_of_argv(sys.argv[1:] if argv is None else list(argv)))
    a = parser.parse_args(argv)
    a.debug = getattr(a, "debug", False)
    a.lang = resolve_lang(getattr(a, "lang", None))  # --lang in any position, else $POLICYENGINE_LANG, else zh
    if a.command == "batch":  # stopped by a scheduler (SIGTERM) or a closed terminal (SIGHUP): cleaned up as Ctrl-C is
        _stop_on_signals()
    try:
        return a.fn(a)
    except _Stopped as e:
        print(Text(f"已停止（收到信号 {e.name}）：输出文件没有写出或改动", f"stopped ({e.name}): the output was not written or changed")
              .get(a.lang), file=sys.stderr)
        return 128 + e.signum
    except PolicyError as e:
        fmt = getattr(a, "format", "text")
        _print_diags(e.diagnostics, "json" if fmt == "json" else "text", sys.stderr, a.lang)
        return 2 if a.command in ("evaluate", "diff", "batch", "replay", "serve") else 1  # (replay's 1: decisions change)
    except KeyboardInterrupt:
        print(Text("已中断（Ctrl-C）", "interrupted (Ctrl-C)").get(a.lang) + (
            Text("：输出文件没有写出或改动", ": the output was not written or changed").get(a.lang) if a.command == "batch" else ""),
            file=sys.stderr)
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
