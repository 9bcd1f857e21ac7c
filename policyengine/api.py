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
from typing import Any, Iterable

from .cases import Case, _build, _Problems
from .check import check_files
from .runtime import MISSING, EvalLimit
from .diagnostics import Diagnostic, PolicyError, Span, sort_key
from .evaluate import Program, build_program
from .explain import Decision, explain as _explain
from .load import DEFAULT_LIMITS, Limits, find_files, load_file
from .types import suggestion_budget
from .merge import Layers, boundaries, merge, period_of
from .records import text_of
from .policy import PolicySet

__all__ = ["Policies", "default_policy_dir", "find_rule_files", "LANGUAGES"]

LANGUAGES = ("zh", "en")


def _bad_argument(message: str, hint: str | None = None, where: str = "<argument>") -> PolicyError:
    return PolicyError(Diagnostic("PE090", message, Span(where, 1, 1), hint=hint))


def check_lang(lang: Any) -> str:
    """``lang`` if it is a language of the explanations; else a :class:`PolicyError` naming them."""
    if isinstance(lang, str) and lang in LANGUAGES:
        return lang
    raise _bad_argument(f"unknown language {lang!r}", "choose one of: " + ", ".join(LANGUAGES), "lang")


def _check_paths(paths: tuple) -> None:
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise _bad_argument(f"a policy path must be a file or folder name, not {type(p).__name__}",
                                "e.g. Policies.load('policies/') or Policies.load() for the shipped packs", "paths")


def _too_deep(where: str) -> PolicyError:
    return PolicyError(Diagnostic("PE080", "stopped: the input is nested more deeply than Python can follow",
                                  Span(where, 1, 1),
                                  hint="keep the default Limits, or lower their depth settings"))


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
        try:
            lf = load_file(f, limits)
        except PolicyError as e:
            diags.extend(e.diagnostics)
            continue
        # the kind is read from the parsed top level, never from the raw text
        if isinstance(lf.data, dict) and lf.data.get("kind") in ("policy-test", "policy-case"):
            continue  # a pack's test file: `policyengine test` reads those
        loaded.append(lf)
    if not loaded and not diags:
        diags.append(Diagnostic("PE070", "no rule files found", Span(", ".join(str(p) for p in paths) or ".", 1, 1),
                                hint="give a folder with policy-document YAML files"))
    return check_files(loaded, limits, diags)


def check_in_context(paths: Iterable[str | Path], policies: Iterable[str | Path] | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> tuple[PolicySet, list[Diagnostic]]:
    """Check ``paths`` as part of the policy set they belong to, and the diagnostics that are
    theirs: ``policies`` (default: the shipped packs) supplies the rest, so that a file edited
    alone, or a new district's folder, is checked against the layers above it.  Errors are
    shown wherever they are (a change can break another file); warnings and notes only for
    the files given.  A given file outside the set that declares one of its documents stands
    in for that document's file (a draft).  Files outside the shipped packs, checked without
    ``policies``, are checked on their own."""
    given = find_rule_files(paths)
    bases = [Path(p) for p in (policies or [default_policy_dir()])]
    roots = [b.resolve() for b in bases]

    def inside(f: Path) -> bool:
        r = f.resolve()
        return any(r == b or b in r.parents for b in roots)

    if not given or (policies is None and not all(inside(f) for f in given)):
        ps = load_rule_files(paths, limits)
        return ps, list(ps.diagnostics)
    mine = {f.resolve() for f in given}
    found, refused = find_files(bases)
    rest = [f for f in found if f.resolve() not in mine]
    drafts = {_document_id(f, limits) for f in given if not inside(f)} - {None}
    if drafts:
        rest = [f for f in rest if _document_id(f, limits) not in drafts]
    ps = load_rule_files([*given, *rest], limits)
    if refused:  # what the walk of the set refused (a link leaving it …) is an error of the set
        ps = dataclasses.replace(ps, diagnostics=tuple(sorted((*ps.diagnostics, *refused), key=sort_key)))

    def theirs(d: Diagnostic) -> bool:
        return d.span is not None and Path(d.span.file).resolve() in mine

    return ps, [d for d in ps.diagnostics if d.is_error or theirs(d)]


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

    @classmethod
    def load(cls, *paths: str | Path, limits: Limits = DEFAULT_LIMITS) -> "Policies":
        """Load rule files or folders (default: the shipped packs).  Raises :class:`PolicyError`
        when the files have errors; warnings are kept in ``diagnostics``."""
        _check_paths(paths)
        if not isinstance(limits, Limits):
            raise _bad_argument(f"limits must be a policyengine.load.Limits, not {type(limits).__name__}",
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

    def case(self, source: str | Path | dict, *, jurisdiction: str | None = None, as_of: Any = None,
             subject: str | None = None) -> Case:
        """A validated case from a file path or a mapping; keyword arguments override the file.
        Anything else, or a case that is not valid, is a :class:`PolicyError`."""
        if isinstance(source, Mapping):
            try:
                data = dict(source.items())
            except Exception as e:  # a mapping of the caller's own that cannot be read
                raise _bad_argument(f"the case mapping could not be read: {type(e).__name__}", where="<case>") from None
            path, loaded = "<case>", None
        elif not isinstance(source, (str, os.PathLike)):
            raise _bad_argument(f"a case is a mapping or the path of a case file, not {type(source).__name__}",
                                "e.g. policies.evaluate({'subject': …, 'jurisdiction': …, 'as_of': …, 'facts': {…}})",
                                "<case>")
        else:
            loaded = load_file(source, self.limits)
            data, path = loaded.data, loaded.path
            if not isinstance(data, dict):
                raise PolicyError(loaded.diag("PE060", "a case file must be a mapping with subject, jurisdiction, as_of and facts", ()))
            data = dict(data)
        given = {k: v for k, v in (("jurisdiction", jurisdiction), ("as_of", as_of), ("subject", subject))
                 if v is not None}
        data.update(given)
        try:
            with suggestion_budget():  # did-you-mean for thousands of unknown facts stays linear
                return _build(data, self.policy_set, _Problems(loaded, path, given), path, loaded)
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

    def evaluate(self, case: Case | dict | str | Path, *, jurisdiction: str | None = None, as_of: Any = None,
                 explain: bool = True, lang: str = "zh") -> Decision:
        """Decide a case.  ``explain=False`` records no rule results (the values are the same; faster)."""
        lang = check_lang(lang)
        if not isinstance(case, Case) or jurisdiction is not None or as_of is not None:
            if isinstance(case, Case):
                src = {"subject": case.subject, "jurisdiction": case.jurisdiction, "as_of": case.as_of,
                       "facts": dict(case.facts)}
                case = self.case(src, jurisdiction=jurisdiction, as_of=as_of)
            else:
                case = self.case(case, jurisdiction=jurisdiction, as_of=as_of)
        try:
            prog = self.program(case.jurisdiction, case.as_of, case.subject)
            values, trace, computed = prog.run(case.facts, case.as_of, trace=explain)
        except EvalLimit as e:
            raise PolicyError(Diagnostic("PE080", f"evaluation stopped: {e}", Span(case.path, 1, 1),
                                         hint="check the case's numbers, dates and list lengths; if they are "
                                              "right, the rules in force compute more than the bounds allow "
                                              "(docs/limits-and-errors.md)"))
        except RecursionError:  # (compiling code past Python's nesting limits is already a PE021)
            raise PolicyError(Diagnostic("PE080", "evaluation stopped: the rules in force are nested too deeply",
                                         Span(case.path, 1, 1), hint="split the expression into definitions"))
        ps = self.policy_set
        expl = _Explanation(ps, prog, case.facts, values, trace, lang, computed) if explain else None
        layers = tuple(
            {"jurisdiction": j, "name": text_of(self.policy_set.jurisdictions[j].name, lang),
             "documents": [d.id for d in prog.layers.documents if d.jurisdiction == j]}
            for j in prog.layers.path)
        public = {k: (None if v is MISSING else v) for k, v in values.items()}  # undetermined is null outside
        return Decision(case.subject, case.jurisdiction, case.as_of, public, expl, layers, lang)


class _Explanation:
    """What a decision needs to put its explanation into words when it is first read (a
    plain object rather than a closure, so that nothing keeps a frame alive)."""

    __slots__ = ("ps", "prog", "facts", "values", "trace", "lang", "computed")

    def __init__(self, ps, prog, facts, values, trace, lang, computed):
        self.ps, self.prog, self.facts, self.values = ps, prog, facts, values
        self.trace, self.lang, self.computed = trace, lang, computed

    def __call__(self):
        return _explain(self.ps, self.prog, self.facts, self.values, self.prog.rule_outcomes(self.trace), self.lang,
                        self.computed)
