"""The library API: load policies once, evaluate many cases.

>>> from policyengine import Policies
>>> policies = Policies.load()                       # the shipped packs
>>> d = policies.evaluate({"subject": "enterprise", "jurisdiction": "cn/nm", "as_of": "2024-03-01",
...                        "facts": {"registered_in_region": True}})
>>> d.outputs["eligible"] is None                    # undetermined: facts are missing
True
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable

from .cases import NOT_A_CASE, Case, _build, _Problems, _show, own_copy
from .check import check_files
from .runtime import MISSING, EvalLimit
from .diagnostics import Diagnostic, PolicyError, Severity, Span, Text, sort_key
from .evaluate import Program, build_program
from .explain import Decision, compact as _compact, explain as _explain
from .load import DEFAULT_LIMITS, TEST_KINDS, Limits, find_files, load_file, sniff_kind
from .types import suggestion_budget
from .fast import CASE_KEYS as _CASE_KEYS, FactGate, checked_loads, iso_date
from .records import SUBJECTS
from .merge import Layers, boundaries, merge, period_of
from .records import text_of
from .policy import PolicySet

__all__ = ["Policies", "default_policy_dir", "find_rule_files", "LANGUAGES"]

LANGUAGES = ("zh", "en")


def _bad_argument(message: Text, hint: Text | None = None, where: str = "<argument>") -> PolicyError:
    return PolicyError(Diagnostic("PE090", message, Span(where, 1, 1), hint=hint))


def check_lang(lang: Any) -> str:
    """``lang`` if it is a language of the explanations; else a :class:`PolicyError` naming them."""
    if isinstance(lang, str) and lang in LANGUAGES:
        return lang
    shown = _show(lang)  # (as a case file spells it, bounded: an int of 5,000 digits has no repr)
    raise _bad_argument(Text(f"不认识的语言 {shown}", f"unknown language {shown}"),
                        Text("请从以下选一个：" + "、".join(LANGUAGES), "choose one of: " + ", ".join(LANGUAGES)), "lang")


def _check_paths(paths: tuple) -> None:
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise _bad_argument(Text(f"政策路径必须是文件名或文件夹名，不能是 {type(p).__name__}",
                                     f"a policy path must be a file or folder name, not {type(p).__name__}"),
                                Text("例如 Policies.load('policies/')，或用 Policies.load() 读取随附的政策包",
                                     "e.g. Policies.load('policies/') or Policies.load() for the shipped packs"), "paths")
        if os.fspath(p) in ("", b""):  # Path("") is the working folder: every YAML file under it would be read
            raise _bad_argument(Text("政策路径是空的", "a policy path is empty"),
                                Text("写出政策文件夹的路径，例如 Policies.load('policies/')；不写路径则读取随附的政策包",
                                     "name the policy folder, e.g. Policies.load('policies/'), or give no path for the "
                                     "shipped packs"), "paths")


def _too_deep(where: str) -> PolicyError:
    return PolicyError(Diagnostic("PE080", Text("已停止：输入的嵌套层次太深，无法处理",
                                                "stopped: the input is nested more deeply than Python can follow"),
                                  Span(where, 1, 1),
                                  hint=Text("请使用默认的 Limits，或调低其中的深度设置",
                                            "keep the default Limits, or lower their depth settings")))


def default_policy_dir() -> Path:
    """The policies used when none are named: the folder ``$POLICYENGINE_POLICIES`` when it is
    set, else the shipped packs — ``policyengine/packs`` inside an installed wheel, or the
    repository's ``policies/`` folder in a source checkout (an editable install)."""
    env = os.environ.get("POLICYENGINE_POLICIES")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    installed = here / "packs"
    return installed if installed.is_dir() else here.parent / "policies"


def find_rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """The *.yaml files under ``paths`` (see :func:`policyengine.load.find_files`; what it refuses
    is reported by :func:`load_rule_files`)."""
    return find_files(paths)[0]


def load_rule_files(paths: Iterable[str | Path], limits: Limits = DEFAULT_LIMITS) -> PolicySet:
    """Load and check rule files (folders are searched for *.yaml).  Files of another kind
    (``policy-test``) are passed over; everything found is in ``diagnostics``."""
    loaded, diags = [], []
    files, refused = find_files(paths)
    diags.extend(refused)
    for f in files:
        # a pack's test file is passed over unread past its kind (`policyengine test` and `check`
        # read those): the kind is read from the parser's events, never from the raw text
        if sniff_kind(f, limits) in TEST_KINDS:
            continue
        try:
            lf = load_file(f, limits)
        except PolicyError as e:
            diags.extend(e.diagnostics)
            continue
        if isinstance(lf.data, dict) and lf.data.get("kind") in TEST_KINDS:
            continue
        loaded.append(lf)
    if not loaded and not diags:
        diags.append(Diagnostic("PE070", Text("没有找到规则文件", "no rule files found"), Span(", ".join(str(p) for p in paths) or ".", 1, 1),
                                hint=Text("请给出一个放有政策文件（policy-document）YAML 的文件夹",
                                          "give a folder with policy-document YAML files")))
    return check_files(loaded, limits, diags)


def check_in_context(paths: Iterable[str | Path], policies: Iterable[str | Path] | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> tuple[PolicySet, list[Diagnostic]]:
    """Check ``paths`` as part of the policy set they belong to, and the diagnostics that are
    theirs: ``policies`` (default: the shipped packs) supplies the rest, so that a file edited
    alone, or a new district's folder, is checked against the layers above it.  Errors are
    shown wherever they are (a change can break another file); warnings and notes only for
    the files given, and the open warnings elsewhere that a given file causes (a related
    location in it).  A given file outside the set that declares one of its documents stands
    in for that document's file (a draft).  Files outside the shipped packs, checked without
    ``policies``, are checked on their own."""
    given = find_rule_files(paths)
    bases = [Path(p) for p in (policies or [default_policy_dir()])]
    roots = [b.resolve() for b in bases]
    if given and all(sniff_kind(f, limits) in TEST_KINDS for f in given):
        # test files alone: checked against the set they test (--policies, else the default rules)
        ps = load_rule_files(bases, limits)
        return ps, [d for d in ps.diagnostics if d.is_error]

    def inside(f: Path) -> bool:
        r = f.resolve()
        return any(r == b or b in r.parents for b in roots)

    if not given or (policies is None and not all(inside(f) for f in given)):
        ps = load_rule_files(paths, limits)
        return ps, list(ps.diagnostics)
    mine = {f.resolve() for f in given}
    found, refused = find_files(bases)
    rest = [f for f in found if f.resolve() not in mine]
    if not all(f.is_absolute() for f in given):  # shown as the given files are, so that they sort together
        rest = [_from_cwd(f) for f in rest]
    drafts = {_document_id(f, limits) for f in given if not inside(f)} - {None}
    if drafts:
        rest = [f for f in rest if _document_id(f, limits) not in drafts]
    # the rest first: a clash with the given (edited or new) files is reported there, at the slip
    ps = load_rule_files([*rest, *given], limits)
    if refused:  # what the walk of the set refused (a link leaving it …) is an error of the set
        ps = dataclasses.replace(ps, diagnostics=tuple(sorted((*ps.diagnostics, *refused), key=sort_key)))

    def theirs(d: Diagnostic) -> bool:  # at a given file, or an open warning caused there (related to it)
        spans = (d.span, *(r.span for r in d.related)) if d.severity is Severity.WARNING else (d.span,)
        return any(s is not None and Path(s.file).resolve() in mine for s in spans)

    return ps, [d for d in ps.diagnostics if d.is_error or theirs(d)]


def _from_cwd(f: Path) -> Path:
    """``f`` relative to the working folder when it is inside it, else as it is."""
    try:
        return f.relative_to(Path.cwd()) if f.is_absolute() else f
    except ValueError:
        return f


def _document_id(path: Path, limits: Limits) -> str | None:
    try:
        data = load_file(path, limits).data
    except PolicyError:
        return None
    doc = data.get("document") if isinstance(data, dict) else None
    return doc.get("id") if isinstance(doc, dict) and isinstance(doc.get("id"), str) else None


class Policies:
    """A checked, ready policy set.  Immutable; evaluation is a pure function of the case."""

    def __init__(self, ps: PolicySet, limits: Limits = DEFAULT_LIMITS):
        self.policy_set = ps
        self.limits = limits
        self._bounds = boundaries(ps)
        self._layers: dict[tuple, Layers] = {}
        self._programs: dict[tuple, Program] = {}
        self._code: dict[str, Any] = {}  # generated source -> its compiled code, shared between programs
        self._gates: dict[tuple, Any] = {}  # (subject, jurisdiction) -> the fast check of its facts (fast.py)
        self._at: dict[tuple, tuple] = {}  # (jurisdiction, date, subject, lang) -> (program, layers shown)
        self._checked: dict[int, Any] = {}  # id(program) -> its decision function reading checked facts
        self._fast: dict[tuple, tuple] = {}  # (subject, jurisdiction, as_of as given, lang) -> _fast_entry

    @classmethod
    def load(cls, *paths: str | Path, limits: Limits = DEFAULT_LIMITS) -> "Policies":
        """Load rule files or folders (default: the shipped packs).  Raises :class:`PolicyError`
        when the files have errors; warnings are kept in ``diagnostics``."""
        _check_paths(paths)
        if not isinstance(limits, Limits):
            raise _bad_argument(Text(f"limits 必须是 policyengine.load.Limits，不能是 {type(limits).__name__}",
                                     f"limits must be a policyengine.load.Limits, not {type(limits).__name__}"),
                                Text("不写 limits 就用默认的限制", "leave limits out for the default bounds"), where="limits")
        for f in dataclasses.fields(limits):  # each bound a whole number above 0 (a text or None failed deep inside)
            v = getattr(limits, f.name)
            if type(v) is not int or v < 1:
                raise _bad_argument(Text(f"limits.{f.name} 必须是大于 0 的整数，不能是 {v!r}",
                                         f"limits.{f.name} must be a whole number above 0, not {v!r}"),
                                    Text("例如 Limits(max_file_bytes=4_000_000)", "e.g. Limits(max_file_bytes=4_000_000)"),
                                    where="limits")
        try:
            ps = load_rule_files(paths or (default_policy_dir(),), limits)
        except RecursionError:  # only reachable with Limits relaxed past Python's own stack
            raise _too_deep(", ".join(map(str, paths)) or str(default_policy_dir())) from None
        if ps.errors:
            raise PolicyError(ps.errors)
        return cls(ps, limits)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.policy_set.diagnostics

    def case(self, source: str | Path | Mapping[str, Any], *, jurisdiction: str | None = None, as_of: Any = None,
             subject: str | None = None) -> Case:
        """A validated case from a file path or a mapping; keyword arguments override the file.
        Anything else, or a case that is not valid, is a :class:`PolicyError`."""
        return self._case(source, jurisdiction, as_of, subject)

    def _case(self, source: Any, jurisdiction: Any = None, as_of: Any = None, subject: Any = None,
              mark: bool = True) -> Case:
        """:meth:`case`; ``mark=False`` for a case decided at once and dropped (nothing remembered to check later)."""
        if isinstance(source, Mapping):
            try:
                data = own_copy(source)  # (every bit of the caller's own code runs here, once)
            except RecursionError:
                raise _too_deep("<case>") from None
            except Exception as e:  # a mapping of the caller's own that cannot be read
                raise _bad_argument(Text(f"无法读取案例映射：{type(e).__name__}", f"the case mapping could not be read: {type(e).__name__}"),
                                    Text("请传入一个普通的 dict", "pass a plain dict"), where="<case>") from None
            path, loaded = "<case>", None
        elif not isinstance(source, (str, os.PathLike)):
            raise _bad_argument(Text(f"案例应当是映射或案例文件的路径，不能是 {type(source).__name__}",
                                     f"a case is a mapping or the path of a case file, not {type(source).__name__}"),
                                Text("例如 policies.evaluate({'subject': …, 'jurisdiction': …, 'as_of': …, 'facts': {…}})",
                                     "e.g. policies.evaluate({'subject': …, 'jurisdiction': …, 'as_of': …, 'facts': {…}})"),
                                "<case>")
        else:
            loaded = load_file(source, self.limits)
            data, path = loaded.data, loaded.path
            if not isinstance(data, dict):
                raise PolicyError(loaded.diag("PE060", NOT_A_CASE, (), hint=Text("文件以 'subject: commissioner' 这样的一行开头",
                                                                                 "start with 'subject: commissioner'")))
            data = dict(data)
        given = {k: v for k, v in (("jurisdiction", jurisdiction), ("as_of", as_of), ("subject", subject))
                 if v is not None}
        data.update(given)
        try:
            with suggestion_budget():  # did-you-mean for thousands of unknown facts stays linear
                return _build(data, self.policy_set, _Problems(loaded, path, given), path, loaded, mark)
        except RecursionError:
            raise _too_deep(path) from None

    def layers(self, jurisdiction: str, as_of: _dt.date) -> Layers:
        key = (jurisdiction, period_of(self._bounds, as_of))
        got = self._layers.get(key)
        if got is None:
            got = self._layers[key] = merge(self.policy_set, jurisdiction, as_of)
        return got

    def program(self, jurisdiction: str, as_of: _dt.date, subject: str) -> Program:
        key = (jurisdiction, period_of(self._bounds, as_of), subject)
        got = self._programs.get(key)
        if got is None:
            got = self._programs[key] = build_program(self.policy_set, self.layers(jurisdiction, as_of), subject,
                                                      self._code)
        return got

    def evaluate(self, case: Case | Mapping[str, Any] | str | Path, *, jurisdiction: str | None = None, as_of: Any = None,
                 explain: bool = True, lang: str = "zh") -> Decision:
        """Decide a case.  ``explain=False`` records no rule results (the values are the same; faster)."""
        if type(lang) is not str or (lang != "zh" and lang != "en"):  # (a plain "zh" or "en": no call)
            lang = check_lang(lang)
        if not explain and jurisdiction is None and as_of is None and type(case) is dict:
            hit = self._fast_hit(case, lang)
            if hit is not None:  # the facts checked as the decision reads them (fast.py); None: a check failed
                given = case.get("facts")
                if given is None or type(given) is dict:
                    try:
                        outputs = hit[4](given if given is not None else {}, hit[3])
                    except EvalLimit as e:
                        raise PolicyError(_stopped(e.text, "<case>"))
                    except RecursionError:
                        raise PolicyError(_stopped(_TOO_DEEP, "<case>"))
                    except Exception:  # the caller's own objects failing (a key whose == raises): the reference
                        outputs = None  # path reads them once, as plain values, and says what it cannot read
                    if outputs is not None:
                        return Decision._of(hit[5], outputs)
        got = self._accept(case, lang) if jurisdiction is None and as_of is None else None
        if got is not None:  # the fast path (fast.py): facts accepted exactly as the reference would
            facts, (_, prog, layers, on, _, about) = got
            subject, jur, path = case["subject"], case["jurisdiction"], "<case>"
            if not explain:
                try:
                    return Decision._of(about, prog.decide(facts, on))
                except EvalLimit as e:
                    raise PolicyError(_stopped(e.text, path))
                except RecursionError:
                    raise PolicyError(_stopped(_TOO_DEEP, path))
        else:
            if (not isinstance(case, Case) or jurisdiction is not None or as_of is not None
                    or not case.valid_for(self.policy_set)):  # (built by hand, changed, or from other policies)
                if isinstance(case, Case):
                    src = {"subject": case.subject, "jurisdiction": case.jurisdiction, "as_of": case.as_of,
                           "facts": case.given_facts()}
                    case = self._case(src, jurisdiction, as_of, mark=False)
                else:
                    case = self._case(case, jurisdiction, as_of, mark=False)
            subject, jur, on, facts, path = case.subject, case.jurisdiction, case.as_of, case.facts, case.path
            if explain:  # the explanation is put into words later: from the facts as decided, not from the
                # Case's own dict, which its caller may change afterwards (a what-if on the same Case)
                facts = {k: tuple(dict(r) if type(r) is dict else r for r in v) if type(v) is tuple else v
                         for k, v in facts.items()}
        try:
            prog, layers, about = self._program_at(jur, on, subject, lang)
            if not explain:
                return Decision._of(about, prog.decide(facts, on))
            values, trace, computed = prog.run(facts, on, trace=True)
        except EvalLimit as e:
            raise PolicyError(_stopped(e.text, path))
        except RecursionError:  # (compiling code past Python's nesting limits is already a PE021)
            raise PolicyError(_stopped(_TOO_DEEP, path))
        expl = _Explanation(self.policy_set, prog, facts, values, trace, lang, computed, on)
        public = {k: (None if v is MISSING else v) for k, v in values.items()}  # undetermined is null outside
        return Decision(subject, jur, on, public, expl, layers, lang)

    def _fast_hit(self, case: dict, lang: str) -> tuple | None:
        try:
            if not case.keys() <= _CASE_KEYS:
                return None
        except Exception:  # a key of the caller's own whose == fails: for the reference path to read and report
            return None
        subject, jur, on = case.get("subject"), case.get("jurisdiction"), case.get("as_of")
        if type(subject) is not str or type(jur) is not str or (type(on) is not str and type(on) is not _dt.date):
            return None
        hit = self._fast.get((subject, jur, on, lang))
        return hit if hit is not None else self._fast_entry(subject, jur, on, lang)

    def _accept(self, case: Any, lang: str) -> tuple[dict, tuple] | None:
        """The facts of a plain case dict that the fast path accepts, with its (gate, program, layers
        shown, date); None where the reference validation (``case()``) must decide and report."""
        hit = self._fast_hit(case, lang) if type(case) is dict else None
        if hit is None:
            return None
        given = case.get("facts")
        if given is None:
            given = {}
        elif type(given) is not dict:
            return None
        try:
            facts = hit[0](given)
        except Exception:  # the caller's own objects failing: for the reference path to read once and report
            return None
        return None if facts is None else (facts, hit)

    def _fast_entry(self, subject: str, jur: str, on: Any, lang: str) -> tuple | None:
        """(fact gate, program, layers shown, date, decide, about) for a case at ``jur`` on ``on``; None where the
        reference validation must speak (an unknown subject or jurisdiction, a date it refuses)."""
        ps = self.policy_set
        day = iso_date(on)
        if subject not in SUBJECTS or jur not in ps.jurisdictions or day is None:
            return None
        gate = self._gates.get((subject, jur))
        if gate is None:
            gate = self._gates[(subject, jur)] = FactGate(ps, subject, jur).accept
        prog, layers, about = self._program_at(jur, day, subject, lang)
        checked = self._checked.get(id(prog))
        if checked is None:
            checked = self._checked[id(prog)] = prog.steps.generate(
                list(prog.outputs), trace=False, public=True, checked=checked_loads(ps, subject, jur))
        if len(self._fast) >= 4096:
            self._fast.clear()
        got = self._fast[(subject, jur, on, lang)] = (gate, prog, layers, day, checked, about)
        return got

    def _program_at(self, jurisdiction: str, on: _dt.date, subject: str, lang: str) -> tuple[Program, tuple, tuple]:
        """The program in force, the layers as a decision shows them, and what a decision made here
        without recorded results is about (shared by all of them: ``Decision._of``), memoised by date."""
        key = (jurisdiction, on, subject, lang)
        got = self._at.get(key)
        if got is None:
            prog = self.program(jurisdiction, on, subject)
            # shared by every decision made here, so read-only: a caller changing one decision's
            # layers must not change the next one's
            layers = tuple(MappingProxyType(
                {"jurisdiction": j, "name": text_of(self.policy_set.jurisdictions[j].name, lang),
                 "documents": tuple(d.id for d in prog.layers.documents if d.jurisdiction == j)})
                for j in prog.layers.path)
            if len(self._at) >= 4096:
                self._at.clear()
            got = self._at[key] = (prog, layers, (subject, jurisdiction, on, layers, lang, None))
        return got


_TOO_DEEP = Text("有效规则的嵌套太深", "the rules in force are nested too deeply")


def _stopped(why: Text, path: str) -> Diagnostic:
    return Diagnostic("PE080", Text(f"计算已停止：{why.zh}", f"evaluation stopped: {why.en}"), Span(path, 1, 1),
                      hint=Text("请把表达式拆成几个定义（definitions）", "split the expression into definitions") if why is _TOO_DEEP
                      else Text("请检查案例里的数字、日期和列表长度；如果都没错，就是有效规则的计算量超出了限制"
                                "（见 docs/limits-and-errors.md）",
                                "check the case's numbers, dates and list lengths; if they are right, the rules in "
                                "force compute more than the bounds allow (docs/limits-and-errors.md)"))


class _Explanation:
    """What a decision needs to put its explanation into words when it is first read (a
    plain object rather than a closure, so that nothing keeps a frame alive)."""

    __slots__ = ("ps", "prog", "facts", "values", "trace", "lang", "computed", "as_of")

    def __init__(self, ps, prog, facts, values, trace, lang, computed, as_of):
        self.ps, self.prog, self.facts, self.values = ps, prog, facts, values
        self.trace, self.lang, self.computed, self.as_of = trace, lang, computed, as_of

    def __call__(self, compact: bool = False, shared: bool = False):
        trace = self.prog.rule_outcomes(self.trace)
        if compact:
            return _compact(self.ps, self.prog, self.facts, self.values, trace, self.lang, self.computed,
                            as_of=self.as_of, shared=shared)
        return _explain(self.ps, self.prog, self.facts, self.values, trace, self.lang, self.computed, as_of=self.as_of)
