"""Every message exists in Chinese (the default) and in English (issue 12).

Two corpora of diagnostics are collected and held to the same rule — the Chinese message (and
hint, and related notes) contains Chinese characters and is not the English one:

* the whole pipeline: every fixture in tests/invalid/, every committed input of
  tests/hostile/ run as its manifest line runs it, malformed case files, and the check of
  the shipped packs — every code, whichever stage makes it;
* the stages that are bilingual already, called directly (loading, expressions, types,
  cases, the library's arguments, evaluation limits, batch files): every diagnostic they
  make, whatever its code — so a code shared with another stage (PE012, PE023 …) is checked
  where these stages make it.

The English wording is pinned by the other tests (tests/test_invalid.py, the hostile
manifest …, which set ``POLICYENGINE_LANG=en``); a few Chinese messages are pinned here.
"""
from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path

import pytest
import yaml

from policyengine import Policies, PolicyError
from policyengine.api import check_in_context, load_rule_files
from policyengine.cli import main
from policyengine.diagnostics import Diagnostic, Span, render
from policyengine.load import Limits, load_text
from policyengine.parse import ExprError, parse_expression
from policyengine.types import BOOL, DATE, INT, STRING, EnumType, Env, T, list_of, record_of, typecheck

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
INVALID = TESTS / "invalid"
HOSTILE = TESTS / "hostile"
NATIONAL = ROOT / "policies" / "national"

# Codes whose diagnostics may still be English only in the whole pipeline, with the file that
# makes them.  Each entry is work left; the set only shrinks.

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _chinese(zh: str | None, en: str | None, what: str) -> str | None:
    """Why ``zh`` is not a Chinese rendering of ``en`` (None when it is)."""
    if en is None:
        return None
    if zh is None:
        return f"{what} has no Chinese"
    if not _CJK.search(zh):
        return f"{what} in Chinese has no Chinese characters: {zh!r}"
    if zh == en or (len(re.findall(r"\b[a-z]{2,}\b", en)) >= 3 and en in zh):  # (an English sentence in it)
        return f"{what} in Chinese repeats the English: {zh!r}"
    return None


def problems_of(d: Diagnostic) -> list[str]:
    out = [_chinese(d.zh, d.message, "the message"), _chinese(d.hint_zh, d.hint, "the hint")]
    out += [_chinese(r.zh, r.message, "a related note") for r in d.related]
    shown = render(d, "zh").split("\n")
    if re.search(r"(^|: )(error|warning|info)\[", shown[0]) or any(x.startswith(("  help:", "  note:")) for x in shown):
        out.append("render(d, 'zh') uses English labels")
    return [f"{d.code} {d.span}: {p}" for p in out if p]


# --- the whole pipeline ------------------------------------------------------------------


def _invalid() -> list[Diagnostic]:
    out = []
    for p in sorted(INVALID.iterdir()):
        if p.name.startswith("PE") and (p.is_dir() or p.suffix in (".yaml", ".yml")):
            out += load_rule_files([p]).diagnostics
    return out


def _collect(fn, *args, **kw):
    try:
        return fn(*args, **kw), []
    except PolicyError as e:
        return None, list(e.diagnostics)


def _hostile() -> list[Diagnostic]:
    """The committed hostile inputs, read as their manifest line reads them (through the library)."""
    manifest = yaml.safe_load((HOSTILE / "manifest.yaml").read_text(encoding="utf-8"))
    loaded: dict[str, tuple] = {}

    def policies(path) -> tuple:
        if str(path) not in loaded:
            loaded[str(path)] = _collect(Policies.load, path)
        return loaded[str(path)]

    out = []
    for e in manifest:
        if "input" not in e:
            continue  # the very large generated inputs are run by tests/test_hostile.py only
        path = HOSTILE / e["input"]
        argv = [a.replace("{input}", str(path)).replace("{hostile}", str(HOSTILE)) for a in shlex.split(e["command"])]
        opts = {argv[i]: argv[i + 1] for i in range(1, len(argv) - 1) if argv[i].startswith("--")}
        if argv[0] in ("check", "coverage"):
            out += load_rule_files([argv[1]]).diagnostics
        elif argv[0] in ("test", "facts"):
            out += load_rule_files([opts["--policies"]]).diagnostics
        elif argv[0] == "evaluate":
            pol, diags = policies(opts.get("--policies", NATIONAL))
            out += diags
            if pol is None:
                continue
            as_of = opts.get("--as-of")
            try:
                as_of = dt.date.fromisoformat(as_of) if as_of else None
            except ValueError:
                continue  # the command refuses it itself (tests/test_cli_defaults.py)
            case, diags = _collect(pol.case, argv[1], jurisdiction=opts.get("--jurisdiction"), as_of=as_of)
            out += diags
            if case is not None:
                out += _collect(pol.evaluate, case)[1]
    return out


CASE_HEAD = "subject: commissioner\njurisdiction: cn/nm/baotou/imust\nas_of: 2024-03-01\n"
MALFORMED_CASES = {
    "unknown fact": CASE_HEAD + "facts:\n  servce_days: 40\n",
    "fact of another subject": CASE_HEAD + "facts:\n  registered_in_region: true\n",
    "wrong types": CASE_HEAD + "facts:\n  service_days: '40'\n  full_time_education: yes\n  dispatch_start: 2024-02-30x\n"
                   "  years_service_experience: .nan\n",
    "decimal count": CASE_HEAD + "facts:\n  service_days: 40.5\n  achievements_adopted: 3.0\n",
    "negative": CASE_HEAD + "facts:\n  service_days: -1\n",
    "enum": CASE_HEAD + "facts:\n  education: college\n",
    "null": CASE_HEAD + "facts:\n  service_days: null\n",
    "list": CASE_HEAD + "facts:\n  evaluation_history: 3\n",
    "list items": CASE_HEAD + "facts:\n  evaluation_history:\n    - 3\n    - {year: 2023, grade: good, extra: 1}\n    - {}\n",
    "unknown fields": "subjet: commissioner\njurisdiction: cn/nm/baotou/imuts\nas_of: 2024-13-01\nfacts: [1]\nexpect: 3\n",
    "missing": "facts: {}\n",
    "not a mapping": "- 1\n",
    "bad subject": "subject: teacher\njurisdiction: cn\nas_of: 2024-03-01\n",
    "empty": "\n",
    "two documents": CASE_HEAD + "---\n" + CASE_HEAD,
    "anchor": CASE_HEAD + "facts: &a {service_days: 1}\n",
    "tag": CASE_HEAD + "facts:\n  service_days: !!int 3\n",
    "duplicate": CASE_HEAD + "facts:\n  service_days: 1\n  service_days: 2\n",
    "big number": CASE_HEAD + "facts:\n  service_days: " + "9" * 40 + "\n",
    "full-width colon": CASE_HEAD + "facts:\n  service_days：40\n",
    "tab": CASE_HEAD + "facts:\n\tservice_days: 40\n",
    "unclosed": CASE_HEAD + "facts:\n  x: [1, 2\n",
    "control": CASE_HEAD + "facts:\n  x: \"a\x07\"\n",
    "key is a list": CASE_HEAD + "facts:\n  ? [a]\n  : 1\n",
}


@pytest.fixture(scope="module")
def imust():
    return Policies.load(ROOT / "policies")


def _malformed_cases(pol) -> list[Diagnostic]:
    out = []
    for name, text in MALFORMED_CASES.items():
        try:
            loaded = load_text(text, f"<{name}>")
        except PolicyError as e:
            out += e.diagnostics
            continue
        out += _collect(pol.case, loaded.data)[1]
    return out


def test_the_whole_pipeline_speaks_chinese(imust):
    corpus = _invalid() + _hostile() + _malformed_cases(imust) + list(load_rule_files([ROOT / "policies"]).diagnostics)
    corpus += check_in_context([ROOT / "policies" / "baotou"])[1]
    codes = {d.code for d in corpus}
    assert len(corpus) > 300 and len(codes) >= 50, (len(corpus), sorted(codes))  # the corpus is what it should be
    bad = [p for d in corpus for p in problems_of(d)]
    assert not bad, "\n".join(bad[:40])


# --- the bilingual stages, called directly ------------------------------------------------

EXPRESSIONS = [
    "", "x >=", "a b", "x * not y", "a = 1", "a => 1", "a ≥ 1", "a ≤ 1", "a ＝ 1", "a 或 b", "a 且 b", "非 a",
    "（a）", "“x”", "a & b", "a | b", "!a", "a ≠ 1", "a ＞ 1", "a，b", "［1］", "if", "x.in", "9" * 40,
    "(" * 60 + "1" + ")" * 60, "not " * 60 + "x", "1 + " * 2100 + "1", "非(a)", "a and", "a =‹ b", "a — b",
]
EDU = EnumType("education", ("none", "bachelor", "master"), True)
KIND = EnumType("kind", ("a", "b"), False)
ENV = Env({"days": INT, "start": DATE, "ok": BOOL, "name": STRING, "edu": T("enum", EDU), "kind": T("enum", KIND),
           "hist": list_of(record_of({"year": INT})), "other": T("enum", EnumType("other", ("x",), False))},
          {"days": "fact"})
TYPE_ERRORS = [
    "dayz > 1", "edu >= \"college\"", "edu > 1", "kind > \"a\"", "edu == name", "kind == other", "ok > ok",
    "start + 1", "-name", "ok and days", "not days", "days in 3", "if days then 1 else \"a\"", "hist.year",
    "days.year", "count(h for h in hist where h.yeer > 1)", "foo(1)", "years_after(start)", "years_after(days, 1)",
    "date(days)", "date(\"2023-02-30\")", "min(ok, ok)", "in_force_on(start, days)", "avg(h.year for h in hist)",
    "sum(h for h in days)", "sum(ok for h in hist)", "max(ok for h in hist)", "days > null", "abs(name)", "len(days)",
]


def _as_diag(code, message, hint) -> Diagnostic:
    return Diagnostic(code, message, Span("<expr>", 1, 1), hint=hint)


def _stage_diagnostics(pol, tmp_path) -> list[Diagnostic]:
    out = []
    for text in EXPRESSIONS + [3]:
        try:
            parse_expression(text)
        except ExprError as e:
            out.append(_as_diag(e.code, e.message, e.hint))
    for text in TYPE_ERRORS:
        _, problems = typecheck(parse_expression(text), ENV)
        assert problems, text
        out += [_as_diag(p.code, p.message, p.hint) for p in problems]
    out += _malformed_cases(pol)
    small = Limits(max_file_bytes=50, max_scalar_chars=5, max_collection_items=2, max_depth=3)
    for text in ("a: " + "x" * 60, "a: xxxxxxxxx", "a: [1, 2, 3]", "a: {b: {c: {d: 1}}}", "a: .inf", "a: 1" + "0" * 40 + ".5"):
        out += _collect(load_text, text, "<small>", small)[1]
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "gbk.yaml").write_bytes("标签: 测试\n".encode("gbk"))
    (tmp_path / "inside").mkdir()
    (tmp_path / "inside" / "out.yaml").symlink_to(tmp_path / "gbk.yaml")
    (tmp_path / "inside" / "nothing.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "inside" / "loop").symlink_to(tmp_path / "inside", target_is_directory=True)
    for p in (tmp_path / "folder.yaml", tmp_path / "gbk.yaml", tmp_path / "no-such.yaml"):
        out += _collect(pol.case, p)[1]
    out += load_rule_files([tmp_path / "inside"]).diagnostics
    out += load_rule_files([tmp_path / "folder.yaml"]).diagnostics
    for call in (lambda: Policies.load(3), lambda: Policies.load(limits=3), lambda: pol.evaluate(None),
                 lambda: pol.evaluate({"subject": "enterprise"}, lang="fr"),
                 lambda: pol.evaluate({"subject": "commissioner", "jurisdiction": "cn/nm/baotou", "as_of": "2024-03-01",
                                       "facts": {"service_days": 3}}, jurisdiction="cn/nm/hohhot")):
        out += _collect(call)[1]
    try:
        from policyengine.batch import run_batch
    except ImportError:  # pragma: no cover - the batch extra is part of the test extra
        return out
    src = tmp_path / "in.csv"
    src.write_text("id,id\n1,1\n", encoding="utf-8")
    for args, kw in (((src, tmp_path / "o.txt"), {}), ((tmp_path / "none.csv", tmp_path / "o.csv"), {}),
                     ((src, tmp_path / "o.csv"), {}), ((src, tmp_path / "o.csv"), {"engine": "sqlite"}),
                     ((src, tmp_path / "o.csv"), {"chunk_rows": 0}), ((src, tmp_path / "o.csv"), {"as_of": "2024-02-30"}),
                     ((src, tmp_path / "o.csv"), {"subject": "teacher"}), ((src, tmp_path / "o.csv"), {"jurisdiction": "x"})):
        out += _collect(run_batch, pol, *args, engine=kw.pop("engine", "python"), **kw)[1]
    return out


def test_the_bilingual_stages_speak_chinese_whatever_the_code(imust, tmp_path):
    corpus = _stage_diagnostics(imust, tmp_path)
    codes = {d.code for d in corpus}
    want = {"PE001", "PE002", "PE003", "PE004", "PE005", "PE006", "PE007", "PE008", "PE012", "PE020", "PE021",
            "PE022", "PE023", "PE024", "PE025", "PE026", "PE027", "PE060", "PE061", "PE062", "PE063", "PE070",
            "PE071", "PE090", "PE091"}
    assert want <= codes, sorted(want - codes)
    bad = [p for d in corpus for p in problems_of(d)]
    assert not bad, "\n".join(bad[:40])


# --- a few messages, pinned in Chinese ---------------------------------------------------


def test_a_yaml_slip_in_chinese(tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_text(CASE_HEAD + "facts:\n  service_days：40\n  year: 2024\n", encoding="utf-8")
    assert main(["evaluate", str(case)]) == 2  # Chinese is the default
    err = capsys.readouterr().err
    assert "case.yaml:5:15: 错误[PE001 yaml-syntax]: YAML 格式错误：“service_days”后面是全角冒号“：”，YAML 要用半角冒号“:”" in err, err
    assert "  修改建议: 改为半角冒号加一个空格，如 service_days: …" in err
    assert "full-width" not in err


def test_a_full_width_colon_that_yaml_takes_as_text_is_named(tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_text(CASE_HEAD + "facts:\n  service_days：40\n", encoding="utf-8")  # one line: YAML reads a text
    assert main(["evaluate", str(case), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "case.yaml:5:3: 错误[PE060" in err and "全角冒号" in err, err
    assert main(["evaluate", str(case), "--lang", "en"]) == 2
    assert "full-width colon" in capsys.readouterr().err


def test_the_parser_jargon_is_said_plainly_in_both_languages(tmp_path, capsys):
    rule = tmp_path / "rule.yaml"
    rule.write_text("kind: policy-document\nlabel:\n  zh: 一\n en: one\n", encoding="utf-8")
    for lang, words in (("zh", "YAML 格式错误：缩进不一致：这一行与上面同级的行没有对齐"),
                        ("en", "YAML syntax error: the indentation does not line up with the lines above")):
        main(["check", str(rule), "--lang", lang])
        out = capsys.readouterr().out
        assert words in out and "mapping values are not allowed" not in out and "expected <block end>" not in out, out


def test_an_unknown_fact_in_a_case_in_chinese(imust):
    with pytest.raises(PolicyError) as e:
        imust.case(load_text(MALFORMED_CASES["unknown fact"], "case.yaml").data | {})
    d = e.value.diagnostics[0]
    assert d.code == "PE061"
    assert d.text("zh") == "facts.servce_days：cn/nm/baotou/imust 的规则里没有对象 commissioner 的事实“servce_days”"
    assert d.help("zh") == "是不是想写“service_days”？"
    assert d.text("en") == "facts.servce_days: unknown fact 'servce_days' for commissioner at cn/nm/baotou/imust"


def test_a_bad_argument_in_chinese(imust):
    with pytest.raises(PolicyError) as e:
        imust.evaluate({"subject": "enterprise"}, lang="fr")
    d = e.value.diagnostics[0]
    assert (d.code, d.text("zh"), d.help("zh")) == ("PE090", '不认识的语言 "fr"', "请从以下选一个：zh、en")
    assert d.text("en") == 'unknown language "fr"'


def test_a_type_error_names_the_types_in_chinese():
    _, problems = typecheck(parse_expression("start + 1"), ENV)
    assert problems[0].message.zh == "'+' 需要数字，但这里是日期"
    assert problems[0].hint.zh == "日期的加减请用 years_after、months_after、days_after"


def test_comparing_a_number_with_words_says_how_to_fix_it():
    _, problems = typecheck(parse_expression("days >= \"three\""), ENV)
    assert problems[0].message.zh == "整数不能与文字比较"
    assert "不加引号" in problems[0].hint.zh and "3, not three" in problems[0].hint.en
    _, problems = typecheck(parse_expression("start == ok"), ENV)
    assert problems[0].hint.zh.startswith("比较的两边要是同一种值")


def test_the_number_of_arguments_reads_naturally_in_chinese():
    for text, zh in (("max(days)", "max() 至少要 2 个参数，这里给了 1 个"), ("abs(days, days)", "abs() 要 1 个参数，这里给了 2 个")):
        _, problems = typecheck(parse_expression(text), ENV)
        assert (problems[0].code, problems[0].message.zh) == ("PE024", zh)
