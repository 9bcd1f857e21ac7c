"""The workbench's routes: ``/``, ``/documents/{id}``, ``/try``, ``/draft``, ``/diff`` and its
assets under ``/assets/``.  Every page is rendered by Jinja2 with autoescape on; every
failure is a page that says what went wrong, never a traceback."""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import inspect
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from .. import Decision, Policies, PolicyError
from ..api import default_policy_dir, load_rule_files
from ..diagnostics import as_written
from ..diff import diff_policies
from ..vocabulary import fact_rows
from . import csrf, forms, pages
from .sessions import COOKIE as SESSION_COOKIE, Sessions
from .i18n import LANGS, WORDS, tag
from .ondisk import OnDisk
from .versions import RevisionErrors, Versions

__all__ = ["workbench_router", "mount", "create_app"]

HERE = Path(__file__).resolve().parent
ASSETS = {"workbench.css": "text/css; charset=utf-8"}
MAX_BODY = 2 * 1024 * 1024 + 64 * 1024  # a draft rule file may be as large as the loader allows (2 MiB)
_log = logging.getLogger("policyengine.web")


# a part of a form may be as large as the whole body: Starlette reads at most 1 MiB of one unless told otherwise
# (``max_part_size``, which Starlette before 0.44 does not take; before 0.40 it bounds no part)
_WHOLE_PARTS = {"max_part_size": MAX_BODY} if "max_part_size" in inspect.signature(Request.form).parameters else {}


class _TooLarge(Exception):
    pass


class _Page(Exception):
    """A page that answers with an error status and a message (never a traceback)."""

    def __init__(self, status: int, key: str, detail: str = ""):
        super().__init__(key)
        self.status, self.key, self.detail = status, key, detail


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    return env


async def _read_form(request: Request) -> FormData:
    """The posted form, read up to MAX_BODY and no further."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise _TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge()
        chunks.append(chunk)
    body = b"".join(chunks)
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_files=1, max_fields=2000, **_WHOLE_PARTS)
    # (the form's parser refused it: Starlette says so, or — before 0.40 — python-multipart's ValueError escapes it)
    except (HTTPException, MultiPartException, ValueError) as e:
        said = str(getattr(e, "detail", None) or getattr(e, "message", e))
        if "exceeded maximum size" in said:  # (a Starlette that bounds a part but cannot be told the bound)
            raise _TooLarge() from None
        raise _Page(400, "bad_request") from None


def _said(d, lang: str) -> str:
    """A diagnostic as one line of a page, in the page's language."""
    hint = d.help(lang)
    return d.text(lang) + (f"（{hint}）" if lang == "zh" else f" ({hint})") if hint else d.text(lang)


def _digest(text: str) -> str:
    """A text as a browser sends it back from a text box (CRLF line ends, the ends trimmed), digested."""
    return hashlib.sha256("\n".join(text.strip().splitlines()).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _bad_date(text: str, lang: str) -> str:
    return (f"日期 {as_written(text, 100)} 不是真实的日期；请写成 年-月-日，如 2024-03-01" if lang == "zh"
            else f"date {as_written(text, 100)} is not a real date; write YYYY-MM-DD, such as 2024-03-01")


def _text(form: FormData, name: str) -> str:
    v = form.get(name)
    return v if isinstance(v, str) else ""


def workbench_router(policies: Policies, *, folder: str | Path | list | None = None,
                     on_decision: Callable[[dict, Decision], Any] | None = None,
                     keys: Callable[[str], Any] | None = None,
                     impacts: Callable[[Policies], tuple[int, list]] | None = None) -> APIRouter:
    """The workbench's pages over ``policies``.  ``folder`` is where they were loaded from, a folder or a
    list of the folders and files (for /diff against git revisions; default: the shipped packs or
    ``$POLICYENGINE_POLICIES``).
    ``on_decision(case, decision)`` is called for every decision made on /try (the service
    logs it there).  ``keys(presented) -> roles or None``: when given, every page needs a
    session opened on /login with a key (``read``; deciding on /try needs ``decide``).
    ``impacts(policies) -> (checked, [CaseImpact])``: the logged decisions that a version would
    decide otherwise (the service replays its log); the draft and diff pages show them."""
    env = _env()
    ps = policies.policy_set
    served = folder if isinstance(folder, (list, tuple)) else [folder if folder is not None else default_policy_dir()]
    versions = Versions(policies, [Path(p) for p in served])
    on_disk = OnDisk([Path(p) for p in served])  # the rule files as they were when these policies were loaded
    subjects = sorted({s for s, _ in ps.facts})
    rule_files = sorted({d.path for d in ps.documents.values()})
    file_names = {p: pages.display_name(p) for p in rule_files}
    router = APIRouter()
    sessions = Sessions(keys) if keys is not None else None

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang", "zh")
        return lang if lang in LANGS else "zh"

    def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = ctx.pop("lang", None) or lang_of(request)
        token, new = csrf.token_of(request.cookies)
        other = "en" if lang == "zh" else "zh"
        keep = ctx.pop("switch_params", None)  # a posted page: what its link to the other language keeps
        params = [(k, v) for k, v in (keep.items() if keep is not None else request.query_params.multi_items())
                  if k != "lang"]
        if other == "en":
            params.append(("lang", "en"))
        switch = request.url.path + ("?" + urlencode(params) if params else "")
        q = "?lang=en" if lang == "en" else ""
        # rule files edited since the start are not in effect: said on every page (to those the pages are open to)
        edited = on_disk.changes() if sessions is None or sessions.roles(request.cookies) is not None else []
        html = env.get_template(template).render(
            w=WORDS[lang], tag=functools.partial(tag, lang), lang=lang, q=q, amp=("&lang=en" if lang == "en" else ""),
            switch=switch, csrf_field=csrf.FIELD, csrf_token=token, path=request.url.path, keys_on=sessions is not None,
            edited=edited, **ctx)
        resp = HTMLResponse(html, status_code=status, headers={
            "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
                                       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"})
        if new:
            csrf.set_cookie(resp, token)
        return resp

    def page(fn=None, *, role: str | None = "read"):
        """Every handler's failures become a page: a known problem says what it is, a bug says only
        that something went wrong (it is logged, with its traceback, on the server).  With keys, a
        page needs a session whose key has ``role``."""
        if fn is None:
            return lambda f: page(f, role=role)

        @functools.wraps(fn)
        async def run(request: Request, *args, **kwargs):
            try:
                if sessions is not None and role is not None:
                    roles = sessions.roles(request.cookies)
                    if roles is None:
                        if request.method == "GET":
                            target = request.url.path + ("?" + request.url.query if request.url.query else "")
                            return Response(status_code=303, headers={
                                "Location": "/login?" + urlencode({"next": target[:1000]}), "Cache-Control": "no-store"})
                        raise _Page(401, "login_needed")
                    if role not in roles:
                        raise _Page(403, "forbidden", role)
                if on_disk.due():  # (the folders walked in a worker thread, never on the event loop: render reads it)
                    await run_in_threadpool(on_disk.changes)
                return await fn(request, *args, **kwargs)
            except _TooLarge:
                return render(request, "error.html", 413, message_key="too_large", detail="")
            except _Page as e:
                return render(request, "error.html", e.status, message_key=e.key, detail=e.detail)
            except Exception:  # noqa: BLE001 - never a traceback on a page
                _log.exception("workbench page %s failed", request.url.path)
                return render(request, "error.html", 500, message_key="internal", detail="")
        return run

    def as_of_of(text: str) -> _dt.date | None:
        try:
            return _dt.date.fromisoformat(text) if text else _dt.date.today()
        except ValueError:
            return None

    @router.get("/assets/{name}", include_in_schema=False)
    async def asset(name: str):
        if name not in ASSETS:
            return Response("not found", 404, media_type="text/plain")
        return Response((HERE / "static" / name).read_bytes(), media_type=ASSETS[name],
                        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    @page
    async def home(request: Request):
        lang = lang_of(request)
        asked = request.query_params.get("as_of", "")
        day = as_of_of(asked) or _dt.date.today()
        return render(request, "home.html", tree=pages.tree(policies, day, lang), as_of=day.isoformat(),
                      errors=[] if as_of_of(asked) else [_bad_date(asked, lang)])

    @router.get("/documents/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    @page
    async def document(request: Request, doc_id: str):
        d = pages.document(policies, doc_id, lang_of(request))
        if d is None:
            raise _Page(404, "not_found", doc_id[:200])
        return render(request, "document.html", doc=d)

    # --- keys: a session opened with a key -------------------------------------------------------

    def safe_next(target: str) -> str:
        return (target if target.startswith("/") and not target.startswith("//") and "\\" not in target
                and target.isprintable() else "/")

    @router.get("/login", response_class=HTMLResponse, include_in_schema=False)
    @page(role=None)
    async def login_form(request: Request):
        return render(request, "login.html", next=safe_next(request.query_params.get("next", "/")), failed=False,
                      keys=sessions is not None)

    @router.post("/login", response_class=HTMLResponse, include_in_schema=False)
    @page(role=None)
    async def login(request: Request):
        form = await _read_form(request)
        lang = _text(form, "lang") if _text(form, "lang") in LANGS else "zh"
        if not csrf.valid(request.cookies, form.get(csrf.FIELD)):
            raise _Page(403, "csrf")
        target = safe_next(_text(form, "next"))
        sid = sessions.start(_text(form, "key").strip()) if sessions is not None else None
        if sid is None:
            return render(request, "login.html", 401, lang=lang, next=target, failed=True, keys=sessions is not None)
        resp = Response(status_code=303, headers={"Location": target, "Cache-Control": "no-store"})
        resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
        return resp

    @router.post("/logout", include_in_schema=False)
    @page(role=None)
    async def logout(request: Request):
        form = await _read_form(request)
        if not csrf.valid(request.cookies, form.get(csrf.FIELD)):
            raise _Page(403, "csrf")
        if sessions is not None:
            sessions.end(request.cookies)
        resp = Response(status_code=303, headers={"Location": "/login"})
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    # --- /try ------------------------------------------------------------------------------------

    def try_context(lang: str, subject: str, jurisdiction: str, as_of: str, posted: bool = False) -> dict:
        """What /try shows.  A subject or layer not yet chosen is asked for (``prompts``): an error only when the
        form was posted without it (the home page's links name the layer alone)."""
        juris = [{"id": j, "name": pages.label(ps.jurisdictions[j].name, lang)} for j in sorted(ps.jurisdictions)]
        ctx = {"subjects": subjects, "jurisdictions": juris, "subject": subject, "jurisdiction": jurisdiction,
               "as_of": as_of, "fields": None, "errors": [], "prompts": [], "outcomes": None, "previous": "",
               "changes": None, "carried": {}}
        if subject in subjects and jurisdiction in ps.jurisdictions and as_of_of(as_of) is not None:
            ctx["fields"] = forms.fields_for(fact_rows(ps, subject, jurisdiction), lang, WORDS[lang])
        elif subject or jurisdiction:
            zh = lang == "zh"
            unchosen = ctx["errors"] if posted else ctx["prompts"]
            if subject not in subjects:
                listed = "、".join(f"{tag(lang, x)}（{x}）" for x in subjects) if zh else ", ".join(subjects)
                if not subject:
                    unchosen.append(f"主体：请从 {listed} 中选择一个" if zh else f"subject: choose one of {listed}")
                else:
                    ctx["errors"].append(f"主体：没有 {as_written(subject, 100)}；请从 {listed} 中选择" if zh
                                         else f"subject: {as_written(subject, 100)} is not one of {listed}")
            if jurisdiction not in ps.jurisdictions:
                if not jurisdiction:
                    unchosen.append("层级：请选择一个层级" if zh else "layer: choose a layer")
                else:
                    ctx["errors"].append(f"层级：政策包中没有 {as_written(jurisdiction, 100)}" if zh
                                         else f"layer: {as_written(jurisdiction, 100)} is not a layer of the packs")
        if as_of and as_of_of(as_of) is None:
            ctx["errors"].append(_bad_date(as_of, lang))
        return ctx

    @router.get("/try", response_class=HTMLResponse, include_in_schema=False)
    @page
    async def try_form(request: Request):
        """The form; facts named in the query fill it (nothing is decided until it is posted)."""
        qp = request.query_params
        lang = lang_of(request)
        ctx = try_context(lang, qp.get("subject", ""), qp.get("jurisdiction", ""),
                          qp.get("as_of", "") or _dt.date.today().isoformat())
        if ctx["fields"] is not None:
            # facts carried from another subject's form are not this subject's (a person's counts into an organisation's)
            same = qp.get("facts_of", ctx["subject"]) == ctx["subject"]
            raw = typed_in(ctx["fields"], lambda name: qp.get(name, "") if same else "")
            forms.read_facts(ctx["fields"], raw, lang)
            ctx["carried"] = carried(raw)
        return render(request, "try.html", **ctx)

    def typed_in(fields: list, get: Callable[[str], str]) -> dict:
        """What a form or an address gives for each field (and each tick of none), by name."""
        raw = {f.name: get(f.name) for f in fields}
        raw.update({f.name + "__null": get(f.name + "__null") for f in fields if f.nullable})
        return raw

    def carried(raw: dict) -> dict:
        """The facts typed, as the ways off a case keep them (the language link, the form choosing another layer or
        date): as many as an address holds (4,000 characters), in the form's order — a long list of records left
        out, not every fact with it."""
        typed, size = {}, 0
        for k, v in raw.items():
            n = len(urlencode({k: v})) + 1 if v else 0
            if n and size + n <= 4000:
                typed[k], size = v, size + n
        return typed

    def try_switch(ctx: dict, raw: dict) -> dict:
        """What the link to the other language keeps of a posted case: where, and the facts typed."""
        return {"subject": ctx["subject"], "jurisdiction": ctx["jurisdiction"], "as_of": ctx["as_of"], **carried(raw)}

    @router.post("/try", response_class=HTMLResponse, include_in_schema=False)
    @page(role="decide")
    async def try_decide(request: Request):
        form = await _read_form(request)
        lang = _text(form, "lang") if _text(form, "lang") in LANGS else "zh"
        stale = not csrf.valid(request.cookies, form.get(csrf.FIELD))
        ctx = try_context(lang, _text(form, "subject"), _text(form, "jurisdiction"), _text(form, "as_of"), posted=True)
        fields = ctx["fields"]
        if fields is None:
            if stale:
                raise _Page(403, "csrf")
            return render(request, "try.html", 422, lang=lang, **ctx)
        ctx["previous"] = _text(form, "previous")  # the last decision shown: kept until another is made (what if)
        raw = typed_in(fields, lambda name: _text(form, name))
        facts = forms.read_facts(fields, raw, lang)
        ctx["switch_params"], ctx["carried"] = try_switch(ctx, raw), carried(raw)
        if stale:  # nothing is decided; what was typed is shown again, with a token that holds
            ctx["errors"].append(WORDS[lang]["csrf_kept"])
            return render(request, "try.html", 403, lang=lang, **ctx)
        by_name = {f.name: f for f in fields}
        case = {"subject": ctx["subject"], "jurisdiction": ctx["jurisdiction"], "as_of": ctx["as_of"], "facts": facts}
        if any(f.error for f in fields):
            return render(request, "try.html", 422, lang=lang, **ctx)
        try:
            decision = await run_in_threadpool(functools.partial(policies.evaluate, case, lang=lang))
        except PolicyError as e:
            for d in e.diagnostics:
                name = forms.field_of(d.message)
                if name in by_name:
                    f = by_name[name]
                    f.error = (f.error + "; " if f.error else "") + _said(d, lang)
                else:
                    ctx["errors"].append(_said(d, lang))
            return render(request, "try.html", 422, lang=lang, **ctx)
        if on_decision is not None:  # the service logs the decision here (a coroutine is awaited)
            logged = on_decision(case, decision)
            if inspect.isawaitable(logged):
                await logged
        outcomes = []
        for e in decision.explanation:
            outcomes.append({"name": e.output, "label": e.label, "text": forms.show_value(e.value),
                             "json": forms.json_value(e.value), "status": e.status, "explanation": e.text,
                             "missing": list(e.missing),
                             "deciding": [{"id": r.id, "status": r.status, "label": r.label, "article": r.article,
                                           "document": r.document.get("title", ""), "document_id": r.document.get("id", ""),
                                           "jurisdiction": r.jurisdiction, "needs": r.needs or "",
                                           "value": forms.show_value(r.value)} for r in e.deciding]})
        ctx["outcomes"] = outcomes
        ctx["layers"] = [dict(x) for x in decision.layers]
        # what if: compare with the decision this form showed before (sent back in a hidden field)
        current = {"where": [case["subject"], case["jurisdiction"], case["as_of"]], "facts": raw,
                   "outputs": {o["name"]: o["json"] for o in outcomes}}
        try:
            before = json.loads(ctx["previous"] or "null")
        except (ValueError, RecursionError):  # (a tampered field: no what-if, never an error page)
            before = None
        if isinstance(before, dict) and before.get("where") == current["where"] \
                and isinstance(before.get("facts"), dict) and isinstance(before.get("outputs"), dict):
            changed_facts = sorted(f.name for f in fields if before["facts"].get(f.name, "") != raw[f.name]
                                   or before["facts"].get(f.name + "__null", "") != raw.get(f.name + "__null", ""))
            changed = sorted(k for k in current["outputs"] if before["outputs"].get(k) != current["outputs"][k])
            ctx["changes"] = {"facts": changed_facts, "outcomes": changed,
                              "before": {k: before["outputs"].get(k) for k in changed},
                              "after": {k: current["outputs"][k] for k in changed}}
        ctx["previous"] = json.dumps(current, ensure_ascii=False, sort_keys=True)
        return render(request, "try.html", lang=lang, **ctx)

    # --- draft -----------------------------------------------------------------------------------

    @router.get("/draft", response_class=HTMLResponse, include_in_schema=False)
    @page
    async def draft_form(request: Request):
        return render(request, "draft.html", files=list(file_names.values()), chosen="", text="", result=None)

    @router.post("/draft", response_class=HTMLResponse, include_in_schema=False)
    @page
    async def draft_check(request: Request):
        form = await _read_form(request)
        switched = _text(form, "switch_lang")  # the language link of a checked draft checks it again in that language
        lang = next((x for x in (switched, _text(form, "lang")) if x in LANGS), "zh")
        chosen = _text(form, "file")
        replaced = next((p for p, n in file_names.items() if n == chosen), None)
        upload = form.get("upload")
        data = b""
        if upload is not None and not isinstance(upload, str):
            data = await upload.read(MAX_BODY + 1)
        text_in = _text(form, "text")
        shown = {"lang": lang, "files": list(file_names.values()), "chosen": chosen if replaced else ""}
        problem = None
        # the text box as this page last filled it (an upload is shown there): a new upload replaces it, but text
        # typed or pasted beside an upload is not silently dropped
        untouched = _text(form, "shown") == _digest(text_in)
        if not csrf.valid(request.cookies, form.get(csrf.FIELD)):  # nothing is checked; the draft is shown again
            problem, status = WORDS[lang]["csrf_kept"], 403
        elif data and text_in.strip() and not untouched and _digest(text_in) != _digest(data.decode("utf-8", "replace")):
            problem, status = WORDS[lang]["pasted_and_uploaded"], 422
        if problem:
            return render(request, "draft.html", status, **shown, errors=[problem], result=None,
                          text=text_in or data.decode("utf-8", errors="replace"))
        if not data:
            data = text_in.encode("utf-8")
        result = await run_in_threadpool(check_draft, data, replaced, lang)  # a full check: off the event loop
        text = data.decode("utf-8", errors="replace")
        return render(request, "draft.html", **shown, text=text, result=result, switch_form="draft", shown=_digest(text))

    def check_draft(data: bytes, replaced: str | None, lang: str) -> dict:
        """Check the draft in place of ``replaced`` among the served rule files, in a temporary folder."""
        with tempfile.TemporaryDirectory(prefix="policyengine-draft-") as tmp:
            name = os.path.basename(replaced) if replaced else "draft.yaml"
            target = Path(tmp) / name
            target.write_bytes(data)
            shown = "draft: " + (file_names[replaced] if replaced else "draft.yaml")
            names = {**file_names, str(target): shown}
            draft_ps = load_rule_files([p for p in rule_files if p != replaced] + [target])
            lines = data.decode("utf-8", errors="replace").splitlines()
            diags = [pages.diag_row(d, names, lang) for d in draft_ps.diagnostics]
        mine = [d for d in diags if d["file"] == shown]
        others = [d for d in diags if d["file"] != shown and d["severity"] == "error"]
        at_line: dict[int, list] = {}
        for d in mine:
            at_line.setdefault(d["line"] or 0, []).append(d)
            if d["line"] and d["line"] <= len(lines):  # the caret's place: the line's own text, hidden, before it
                d["pad"] = lines[d["line"] - 1][:(d["column"] or 1) - 1]
        numbered = [{"n": i, "text": t, "diags": at_line.get(i, [])} for i, t in enumerate(lines, 1)]
        changes = logged = None
        if not draft_ps.errors:
            changes = [pages.change_row(c, lang) for c in diff_policies(ps, draft_ps, _dt.date.today(), lang)]
            logged = logged_rows(Policies(draft_ps, policies.limits))
        return {"shown": shown, "diagnostics": mine, "others": others, "lines": numbered,
                "unplaced": at_line.get(0, []), "errors": len(draft_ps.errors), "changes": changes, "logged": logged}

    def logged_rows(version: Policies) -> dict | None:
        """The logged decisions ``version`` would change, as the pages show them (None: no log)."""
        if impacts is None:
            return None
        checked, found = impacts(version)
        return {"checked": checked, "rows": [pages.impact_row(i) for i in found]}

    # --- diff ------------------------------------------------------------------------------------

    @router.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    @page
    async def diff_page(request: Request):
        qp = request.query_params
        lang = lang_of(request)
        old, new = qp.get("old", "")[:200], qp.get("new", "")[:200]
        day = as_of_of(qp.get("as_of", "")) or _dt.date.today()
        ctx = {"old": old, "new": new or "served", "changes": None, "as_of": day.isoformat(), "logged": None, "diagnostics": [],
               "errors": [] if as_of_of(qp.get("as_of", "")) else [_bad_date(qp.get("as_of", ""), lang)]}
        if ctx["errors"]:
            return render(request, "diff.html", 422, **ctx)
        if old:
            def compare() -> tuple[list[dict], dict | None]:
                po, _ = versions.get(old)
                pn, _ = versions.get(new or "served")
                return ([pages.change_row(c, lang) for c in diff_policies(po.policy_set, pn.policy_set, day, lang)],
                        logged_rows(pn))
            try:
                ctx["changes"], ctx["logged"] = await run_in_threadpool(compare)
            except RevisionErrors as e:  # said as /draft says a draft's, where they are
                ctx["errors"] = [WORDS[lang]["rev_errors"].format(rev=e.rev, n=len(e.diagnostics))]
                ctx["diagnostics"] = [pages.diag_row(d, e.names, lang) for d in e.diagnostics]
            except PolicyError as e:
                ctx["errors"] = [_said(d, lang) for d in e.diagnostics]
        return render(request, "diff.html", 422 if ctx["errors"] else 200, **ctx)

    # --- a page for a mistyped address --------------------------------------------------------------

    def not_found_page(request: Request) -> HTMLResponse | None:
        """A browser's mistyped address (a GET asking for HTML, outside /v1) gets a page in its language; None for
        the API and for programs, which keep their own answer.  The application's 404 handler calls it (a route
        catching every path would turn a wrong method on a known path, a 405, into a 404)."""
        path = request.url.path
        if (request.method != "GET" or path == "/v1" or path.startswith("/v1/")
                or "text/html" not in request.headers.get("accept", "")):
            return None
        return render(request, "error.html", 404, message_key="not_found", detail=path[:200])

    router.not_found_page = not_found_page  # type: ignore[attr-defined]
    return router


def mount(app: FastAPI, policies: Policies, **kwargs: Any) -> None:
    """Serve the workbench at ``/`` of ``app`` (the service calls this in its app factory).  ``app.state.not_found_page``
    is then the workbench's page for a browser's mistyped address (None for other requests), for the 404 handler."""
    router = workbench_router(policies, **kwargs)
    app.include_router(router)
    app.state.not_found_page = router.not_found_page


def create_app(policies: Policies | None = None, **kwargs: Any) -> FastAPI:
    """An application serving only the workbench (for tests, and for looking at the pages alone)."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app = FastAPI(title="policyengine workbench", docs_url=None, redoc_url=None, openapi_url=None)
    mount(app, policies if policies is not None else Policies.load(), **kwargs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        page = app.state.not_found_page(request) if exc.status_code == 404 else None
        return page or HTMLResponse(f"<!doctype html><title>{exc.status_code}</title><p>{exc.status_code}</p>",
                                    status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return HTMLResponse("<!doctype html><title>400</title><p>bad request</p>", status_code=400)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        return HTMLResponse("<!doctype html><title>500</title><p>internal error</p>", status_code=500)

    return app
