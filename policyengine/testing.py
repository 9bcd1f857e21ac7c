"""``policyengine test``: YAML test cases for policy packs.

A test file has ``kind: policy-test``, ``version: 1`` and ``cases``, a list of cases,
each a case (subject, jurisdiction, as_of, facts) with an optional ``name`` and
``description`` and what it must give:

* ``expect`` — a mapping of outcomes to the values the case must produce; an outcome
  expected as ``null`` must be null or absent; a yes/no outcome may be written ``true``/``false``
  or, as an officer says it, ``是``/``否``;
* ``expect_absent`` — a list of outcomes that must not be produced at all;
* ``expect_error`` — ``true``, or a diagnostic code such as ``PE061`` (or a list of
  codes): the case must be refused (with a diagnostic of that code); a case that is
  decided then fails.

A failure prints expected vs actual and the explanation of that outcome (each rule's
line names the values in force it read, with the document and layer that set them), in
Chinese or English.  A test file that is malformed (``cases`` not a list, a case that is
not a mapping, ``expect`` not a mapping, an unknown key …) is reported with located
diagnostics and counts as failed.  ``--update`` rewrites the expected values of failing
cases in place (:mod:`policyengine.update`).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dataclasses
import datetime as _dt
import re
from decimal import Decimal

from .api import Policies, default_policy_dir
from .cases import case_in_file
from .diagnostics import Diagnostic, PolicyError, Text, as_written, printable, render_all
from .explain import show_value, to_json_value
from .load import TEST_KINDS, find_files, load_file, sniff_kind
from .records import KIND, is_iso_date, number_with_unit, written_date
from .rewrite import yaml_value

__all__ = ["TestResult", "check_test_files", "collect", "run_tests"]


@dataclass(frozen=True)
class TestResult:
    file: str
    name: str
    ok: bool
    message: str
    updates: tuple = ()  # ((path of an expected value in the test file, the value the case gives), …)
    manual: bool = False  # a failure that --update cannot rewrite
    line: int = 0  # where the case starts in its file


_TOP = ("kind", "version", "cases")
_CASE_KEYS = ("subject", "jurisdiction", "as_of", "facts")
_TEST_KEYS = ("name", "description", "expect", "expect_absent", "expect_error")
_CODE = re.compile(r"PE[0-9]{3}\Z")


def collect(paths) -> list[tuple[Path, Any]]:
    """The test files under ``paths`` (their kind read from the parsed top level).  A test file that does not
    load, or a file that breaks before its kind can be read, is there with its :class:`PolicyError` (it fails,
    the others run); a rule file that does not load raises it — never passed over."""
    out = []
    for f in find_files(paths)[0]:
        try:
            lf = load_file(f)
        except PolicyError as e:
            if sniff_kind(f) in (*TEST_KINDS, None):  # (None: broken before its kind — a rule file is read first)
                out.append((f, e))
                continue
            raise
        if isinstance(lf.data, dict) and lf.data.get("kind") == "policy-test":
            out.append((f, lf))
    return out


def validate(lf) -> list[Diagnostic]:
    """What is wrong with the shape of a test file, each located."""
    data, diags = lf.data, []
    keys = ", ".join(_CASE_KEYS + _TEST_KEYS)
    if data.get("version") != 1:
        v = as_written(data.get("version"))
        diags.append(lf.diag("PE013", Text(f"不支持的版本 {v}", f"unsupported version {v}"),
                             ("version",) if "version" in data else (),
                             hint=Text("测试文件写 'version: 1'", "a test file has 'version: 1'")))
    for k in data:
        if k not in _TOP:
            s = printable(str(k))
            diags.append(lf.diag("PE011", Text(f"未知字段 '{s}'", f"unknown field '{s}'"), (k,), key=True,
                                 hint=Text("测试文件只含 kind、version、cases 三项", "a test file holds kind, version, cases")))
    cases = data.get("cases")
    if not isinstance(cases, list):
        diags.append(lf.diag("PE012", Text("cases：应是个案的列表", "cases: must be a list of cases") if "cases" in data
                             else Text("缺少 'cases'", "'cases' is missing"),
                             ("cases",) if "cases" in data else (),
                             hint=Text("每个个案写一项 '- subject: …'", "write one '- subject: …' entry per case")))
        return diags
    for i, c in enumerate(cases):
        where, n = ("cases", i), which_case(i, c)
        if not isinstance(c, dict):
            diags.append(lf.diag("PE012", Text(f"{n.zh}：个案应是映射（subject、jurisdiction、as_of、facts、expect）",
                                               f"{n.en}: a case must be a mapping (subject, jurisdiction, as_of, facts, expect)"),
                                 where))
            continue
        for k in c:
            if k not in _CASE_KEYS + _TEST_KEYS:
                s = printable(str(k))
                diags.append(lf.diag("PE011", Text(f"{n.zh}：未知字段 '{s}'", f"{n.en}: unknown field '{s}'"),
                                     where + (k,), key=True, hint=_slip_hint(lf, where + (k,), k)
                                     or Text("个案可含的字段：" + keys, "a case holds " + keys)))
        if c.get("expect") is not None and not isinstance(c["expect"], dict):
            diags.append(lf.diag("PE012", Text(f"{n.zh}的 expect：应是“结论: 值”的映射",
                                               f"{n.en}, expect: must be a mapping of outcome: value"),
                                 where + ("expect",)))
        ea = c.get("expect_absent")
        if ea is not None and not (isinstance(ea, list) and all(isinstance(x, str) for x in ea)):
            diags.append(lf.diag("PE012", Text(f"{n.zh}的 expect_absent：应是结论名称的列表",
                                               f"{n.en}, expect_absent: must be a list of outcome names"),
                                 where + ("expect_absent",)))
        ee = c.get("expect_error")
        if "expect_error" in c and not _expect_error_ok(ee):
            diags.append(lf.diag("PE012", Text(f"{n.zh}的 expect_error：应写 true（必须被拒绝），或诊断代码（如 PE061），也可以是代码列表",
                                               f"{n.en}, expect_error: must be true or a code such as PE061 "
                                               "(or a list of codes)"),
                                 where + ("expect_error",)))
        if "name" in c and not isinstance(c["name"], str):
            diags.append(lf.diag("PE012", Text(f"{n.zh}的 name：应是文字", f"{n.en}, name: must be text"),
                                 where + ("name",)))
    return diags


def _expect_error_ok(v) -> bool:
    if v is True:
        return True
    codes = v if isinstance(v, list) else [v]
    return bool(codes) and all(isinstance(x, str) and _CODE.match(x) for x in codes)


_WORDS = {
    "zh": {"case": "第 {n} 个个案", "file": "（测试文件本身）", "got": "  {k}：应为 {want}，实际为 {got}",
           "undefined": "  {k}：应为 {want}，但现行各层没有这个结论",
           "absent": "  {k}：不应产生，实际为 {got}", "error": "  应被拒绝（诊断 {codes}），实际的诊断是：",
           "refused": "  应被拒绝{codes}，实际却作出了决定", "with": "（诊断 {codes}）",
           "not_evaluated": "个案无法决定：", "fail": "失败", "ok": "通过", "summary": "通过 {p} 个，失败 {f} 个\n",
           "none": "在 {where} 中没有找到测试个案：测试文件是含 'kind: policy-test' 和 'cases:' 的 YAML 文件，"
                   "cases 是个案的列表（subject、jurisdiction、as_of、facts），每个个案用 'expect:' 写出应得的结论\n"},
    "en": {"case": "case {n}", "file": "(the test file)", "got": "  {k}: expected {want}, got {got}",
           "undefined": "  {k}: expected {want}, but the layers in force do not define it",
           "absent": "  {k}: expected absent, got {got}", "error": "  expected an error {codes}, got:",
           "refused": "  expected the case to be refused{codes}, but it was decided", "with": " with {codes}",
           "not_evaluated": "the case did not evaluate:", "fail": "FAIL", "ok": "ok  ",
           "summary": "{p} passed, {f} failed\n",
           "none": "no test cases found in {where}: a test file is a YAML file with 'kind: policy-test' and 'cases:', "
                   "a list of cases (subject, jurisdiction, as_of, facts), each with 'expect:', the outcomes it must "
                   "produce\n"},
}


_YES_NO = {"是": True, "否": False}


def _shown(v, lang: str, out, pol: Policies) -> str:
    """An expected or actual value: in Chinese in the officer's words as the explanation shows it
    (是/否, 无, an enum value with its label); in English as it is written in the test file."""
    if lang == "en":
        return printable(yaml_value(v))
    return show_value(v, lang, out.type if out is not None else None, pol.policy_set.enums.get("labels", {}))


def run_case(pol: Policies, file: str, index: int, c: dict, lang: str = "zh", lf=None) -> TestResult:
    """One case run: ``updates`` holds, for a failed expectation that ``--update`` can rewrite, the
    path of its value in the test file and the value the case now gives; ``manual`` is true when
    some failure is not an ``expect`` value (an error expected or not, an outcome expected absent)."""
    w = _WORDS[lang]
    name = str(c.get("name") or w["case"].format(n=index + 1))
    data = {k: v for k, v in c.items() if k not in _TEST_KEYS}
    ee = c.get("expect_error")
    want_codes = set() if ee in (None, True) else set(ee if isinstance(ee, list) else [ee])
    codes = ", ".join(sorted(want_codes))
    try:
        # in a test file, a problem with the case (a misspelt fact) is located at its line there
        d = pol.evaluate(data if lf is None else case_in_file(lf, ("cases", index), which_case(index, c), data,
                                                                pol.policy_set), lang=lang)
    except PolicyError as e:
        if ee is not None:
            got = {x.code for x in e.diagnostics}
            if not want_codes or want_codes & got:
                return TestResult(file, name, True, "")
            return TestResult(file, name, False, w["error"].format(codes=codes) + "\n" + render_all(e.diagnostics, lang),
                              manual=True)
        return TestResult(file, name, False, w["not_evaluated"] + "\n" + render_all(e.diagnostics, lang), manual=True)
    if ee is not None:
        return TestResult(file, name, False, w["refused"].format(codes=w["with"].format(codes=codes) if codes else ""),
                          manual=True)
    problems, updates = [], []
    actual = {k: to_json_value(v) for k, v in d.outputs.items()}
    for k, want in (c.get("expect") or {}).items():
        want = to_json_value(want)
        out = pol.policy_set.outputs.get(k)
        if out is not None and out.type.kind == "bool" and isinstance(want, str) and want in _YES_NO:  # 'compliant: 否' means false
            want = _YES_NO[want]
        got = actual.get(k)
        shown = dict(k=printable(str(k)), want=_shown(want, lang, out, pol), got=_shown(got, lang, out, pol))
        if lang == "zh" and isinstance(want, str) and out is not None and out.type.kind in ("int", "bool"):
            shown["want"] = f"“{printable(want)}”（文字）"  # ('"2"' for a number was shown 2: 应为 2，实际为 2)
        if k not in actual and want is not None:
            problems.append(w["undefined"].format(**shown))
            updates.append((("cases", index, "expect", k), None))
        elif got != want:
            # the outcome's explanation: each rule's line names the values in force it read, and the
            # document and layer that set them
            expl = next((e.text for e in d.explanation if e.output == k), "")
            fix = _never_has(out.type, c["expect"][k]) if out is not None else None  # ('"2"': expected 2, got 2)
            problems.append(w["got"].format(**shown) + (f"（{fix.zh}）" if fix and lang == "zh" else f" ({fix.en})" if fix else "")
                            + "\n    " + expl.replace("\n", "\n    "))
            updates.append((("cases", index, "expect", k), None if got is None else d.outputs[k]))
    absent = [k for k in c.get("expect_absent") or () if k in actual]
    for k in absent:
        problems.append(w["absent"].format(k=printable(str(k)), got=_shown(actual[k], lang, pol.policy_set.outputs.get(k), pol)))
    return TestResult(file, name, not problems, "\n".join(problems), tuple(updates), bool(absent))


def which_case(i: int, c) -> Text:
    """A case of a test file in words: 第 1 个个案（名称） / case 1 (name)."""
    name = printable(c["name"]) if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"] else ""
    return Text(f"第 {i + 1} 个个案" + (f"（{name}）" if name else ""), f"case {i + 1}" + (f" ({name})" if name else ""))


def _slip_hint(lf, where: tuple, key) -> Text | None:
    """An unknown key holding a full-width colon ('expect：{compliant'): the officer's slip, said as the loader says it."""
    from .slips import find_slip

    if not isinstance(key, str) or "：" not in key:
        return None
    slip = find_slip(lf.source.text, lf.span(where, key=True).line)
    return Text(f"{slip.message.zh}；{slip.hint.zh}", f"{slip.message.en}; {slip.hint.en}") if slip is not None else None


def expectation_problems(lf, outcomes, only: int | None = None, values: bool = True) -> list[Diagnostic]:
    """Outcome names in ``expect`` and ``expect_absent`` that no rule file declares (a misspelt
    'eligable'), each at its line with a did-you-mean, and expected values that the outcome can never
    have ('2' quoted for a number, 'yes' for a yes/no outcome, 2次), each at the value with what to
    write (with ``values``; ``test`` says it beside the value the case gives); ``only``: of that case alone."""
    from .types import suggest

    out = []
    for i, c in enumerate(lf.data.get("cases") or ()):
        if not isinstance(c, dict) or only is not None and i != only:
            continue
        n = which_case(i, c)
        named = [(k, ("cases", i, "expect", k), True) for k in (c.get("expect") or {})]
        named += [(k, ("cases", i, "expect_absent", j), False) for j, k in enumerate(c.get("expect_absent") or ())]
        for k, where, key in named:
            if k not in outcomes:
                s, name = suggest(str(k), outcomes), printable(str(k))
                hint = Text(f"是不是 '{s}'？", f"did you mean '{s}'?") if s else Text(
                    "结论在规则文件的 'outputs:' 下声明（policyengine schema --decision 列出全部结论）",
                    "the outcomes are declared under 'outputs:' of the rule files "
                    "(policyengine schema --decision lists the JSON)")
                out.append(lf.diag("PE039", Text(f"{n.zh}：没有名为 '{name}' 的结论", f"{n.en}: unknown outcome '{name}'"),
                                   where, key=key, hint=hint))
            elif key and values:
                fix = _never_has(outcomes[k].type, c["expect"][k])
                if fix is not None:
                    v = printable(str(c["expect"][k]))
                    out.append(lf.diag("PE012", Text(f"{n.zh}：结论 '{k}' 不可能是 '{v}'", f"{n.en}: outcome '{k}' is never '{v}'"),
                                       where, hint=fix))
    return out


def _never_has(t, v) -> Text | None:
    """How to write ``v`` as a value of type ``t``, where an outcome of that type can never equal it as
    written (None: it can, or null: any outcome may be undetermined)."""
    if v is None:
        return None
    k = t.kind
    if k == "bool":
        return None if type(v) is bool or (isinstance(v, str) and v in _YES_NO) else Text(
            "写 true 或 false（也可以写 是 或 否）", "write true or false (or 是 or 否)")
    if k in ("int", "decimal"):
        # as test compares them: 2.0 is the int 2, and a decimal is shown (and may be expected) as its text "46.5"
        if type(v) is int or (isinstance(v, Decimal) and (k == "decimal" or (v.is_finite() and v == v.to_integral_value()))):
            return None
        if k == "decimal" and isinstance(v, str) and re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", v):
            return None
        number = number_with_unit(v)
        if number is not None:
            return Text(f"写 {number}：不加引号或单位", f"write {number}: no quotes or unit")
        return Text("写一个整数" if k == "int" else "写一个数", "write a whole number" if k == "int" else "write a number")
    if k == "date":
        ok = isinstance(v, _dt.date) or is_iso_date(v)
        meant = None if ok else written_date(v)
        return None if ok else Text(f"写 {meant.isoformat()}", f"write {meant.isoformat()}") if meant else \
            Text("日期写成 YYYY-MM-DD，例如 2026-05-10", "write the date as YYYY-MM-DD, e.g. 2026-05-10")
    if k == "enum" and t.enum is not None:
        if isinstance(v, str) and v in t.enum.values:
            return None
        return t.enum.choices(v)
    if k == "string":
        return None if isinstance(v, str) else Text("写成文字，必要时加引号", "write it as text, quoted if need be")
    return None


def run_file(pol: Policies, path: Path, lf, lang: str = "zh") -> list[TestResult]:
    """A malformed file fails as a whole; a case that expects an outcome no rule file declares fails
    alone, and the other cases still run (a value its outcome never has is said beside its failure)."""
    bad = validate(lf)
    if bad:
        return [TestResult(str(path), _WORDS[lang]["file"], False, render_all(bad, lang), manual=True)]
    out = []
    for i, c in enumerate(lf.data.get("cases") or []):
        unknown = expectation_problems(lf, pol.policy_set.outputs, only=i, values=False)
        r = (TestResult(str(path), "", False, render_all(unknown, lang), manual=True) if unknown
             else run_case(pol, str(path), i, c, lang, lf))
        name = str(c.get("name") or _WORDS[lang]["case"].format(n=i + 1))
        out.append(dataclasses.replace(r, name=name, line=lf.span(("cases", i)).line))
    return out


def check_test_files(paths, ps) -> list[Diagnostic]:
    """``policyengine check`` of a test file, or of a folder holding some: what ``test`` would
    refuse, located — a malformed file, an outcome no rule file declares (PE039), a case's fact
    that its jurisdiction does not declare or of the wrong type (cases that expect to be refused
    aside).  A test file that does not load is reported here (a policy set passes over its test
    files once their kind is read); any other file that does not load, by the check of the rule
    files.  With errors in the rule files, only the test files' own loading is checked."""
    out: list[Diagnostic] = []
    for f in find_files(paths)[0]:
        test_file = sniff_kind(f) in TEST_KINDS
        try:
            lf = load_file(f)
        except PolicyError as e:
            if test_file:
                out.extend(e.diagnostics)
            continue
        if ps.errors or not (isinstance(lf.data, dict) and lf.data.get("kind") == "policy-test"):
            continue
        bad = validate(lf) or expectation_problems(lf, ps.outputs)
        if not bad:
            for i, c in enumerate(lf.data.get("cases") or ()):
                if "expect_error" in c:
                    continue
                try:
                    case_in_file(lf, ("cases", i), which_case(i, c), {k: v for k, v in c.items() if k not in _TEST_KEYS}, ps)
                except PolicyError as e:
                    bad.extend(e.diagnostics)
        out.extend(bad)
    return out


def _at(r: TestResult) -> str:
    """A case's place: file:line (the file alone for a malformed file)."""
    return printable(r.file) + (f":{r.line}" if r.line else "")


def _policies_for(paths, policies) -> tuple[Policies, Text | None]:
    """The rules the tests run against: the rule files among ``paths`` read with their policy set, as
    ``check`` reads them (an edited copy of the packs is tested as edited, not the shipped packs); with
    none among them, the set of ``policies``, else the shipped packs — and then, for test files outside
    them (a copy's tests), a note saying whose rules they were run against."""
    from .api import check_in_context, find_rule_files

    found = find_rule_files(paths)
    if any(sniff_kind(f) == KIND for f in found):  # rule files among the paths
        ps, _ = check_in_context(paths, policies)
        if ps.errors:
            raise PolicyError(ps.errors)
        return Policies(ps), None
    if policies:
        return Policies.load(*policies), None
    shipped = Path(default_policy_dir())
    root = shipped.resolve()
    note = None
    if any(root != f.resolve() and root not in f.resolve().parents for f in found):
        where = printable(str(shipped))
        note = Text(f"注意：这些测试用的是默认的规则（{where}）。要测试别处的规则，把规则所在的文件夹"
                    "也写上（policyengine test 文件夹），或者用 --policies 文件夹",
                    f"note: these tests ran against the default rules ({where}). To test other rules, "
                    "give their folder too (policyengine test FOLDER), or --policies FOLDER")
    return Policies.load(shipped), note


def run_tests(paths, lang: str = "zh", policies=None, verbose: bool = False, out=None, *, update: bool = False,
              yes: bool = False, ask=None) -> int:
    """``policyengine test``: 0 when every case passes.  With ``update``, the expectations of failing
    cases are rewritten (:mod:`policyengine.update`) after showing the change and asking ``ask``
    (a function of the question giving the answer; None: no one to ask) unless ``yes``."""
    out = sys.stdout if out is None else out  # the stream at call time, not at import (capture, redirection)
    w = _WORDS[lang]
    pol, note = _policies_for(paths, policies)
    if note is not None:
        out.write(note.get(lang) + "\n")
    results: list[TestResult] = []
    files = collect(paths)
    for path, lf in files:
        if isinstance(lf, PolicyError):  # a test file that does not load fails as a whole, located
            results.append(TestResult(str(path), w["file"], False, render_all(lf.diagnostics, lang), manual=True))
        else:
            results.extend(run_file(pol, path, lf, lang))
    files = [(path, lf) for path, lf in files if not isinstance(lf, PolicyError)]
    if not results:
        out.write(w["none"].format(where=", ".join(printable(str(p)) for p in paths)))
        return 1
    failed = [r for r in results if not r.ok]
    for r in results:
        if not r.ok:
            out.write(f"{w['fail']} {_at(r)}: {printable(r.name)}\n{r.message}\n")
        elif verbose:
            out.write(f"{w['ok']} {_at(r)}: {printable(r.name)}\n")
    out.write(w["summary"].format(p=len(results) - len(failed), f=len(failed)))
    if update and failed:
        from .update import update_expectations

        return update_expectations(files, failed, lang, out, yes=yes, ask=ask)
    return 1 if failed else 0
