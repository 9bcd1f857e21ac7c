"""The HTTP application of ``policyengine serve`` (FastAPI; run by uvicorn).

Every request is untrusted input: bodies are read up to the case-file size limit and
no further, cases go through the engine's safe loader (no tags, no aliases, no
duplicate keys, bounded numbers and nesting), and every error — a malformed case, a
bad parameter, a missing key, an unknown path, a database that is down, a bug — is a
JSON body ``{"errors": [{"code", "message", "field", …}]}``.  No traceback is ever
sent.  A ``201`` is sent only once the decision is committed to the log.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as _dt
import hashlib
import itertools
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import Diagnostic, Policies, PolicyError, Span, __version__
from ..diagnostics import Text, resolve_lang
from .body import decide as decide_body
from .keys import Keys
from .log import DecisionLog, GroupCommitter, LogUnavailable, Record

__all__ = ["create_app", "Service"]

_FIELD = re.compile(r"^((?:[A-Za-z_][\w-]*|\[\d+\])(?:\.(?:[^\s:.]+)|\[\d+\])*|\(file\)): ")
# a loading refusal says what is wrong first and the field after it: "… (at facts.service_days)"
_FIELD_AFTER = re.compile(r" \(at ((?:[A-Za-z_][\w-]*|\[\d+\])(?:\.[^\s:.()]+|\[\d+\])*)\)$")
_MISSING = re.compile(r"^\(file\): '([A-Za-z_]\w*)' is missing$")
_BOOL = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
_JSON_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml")
_INLINE_BYTES = 16 * 1024  # a case body up to this is decided on the event loop when unexplained (a few ms at most)


def _compact(obj: Any) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as is (the answers hold no floats).
    orjson writes these bytes, as json.dumps would (replay's _compact), several times as fast."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson refuses (an integer past 64 bits …): json's own answer
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _param_problem(e: dict) -> Text:
    """What is wrong with a query parameter, in both languages (pydantic says it in English only)."""
    t, ctx, said = e.get("type"), e.get("ctx") or {}, str(e.get("msg", "invalid"))
    if t == "greater_than_equal":
        return Text(f"不能小于 {ctx.get('ge')}", f"must be at least {ctx.get('ge')}")
    if t == "less_than_equal":
        return Text(f"不能大于 {ctx.get('le')}", f"must be at most {ctx.get('le')}")
    if t == "string_too_long":
        return Text(f"不能超过 {ctx.get('max_length')} 个字符", f"must be at most {ctx.get('max_length')} characters")
    if t in ("int_parsing", "int_type", "int_from_float"):
        return Text("应为整数", "must be a whole number")
    if t == "literal_error":
        return Text(f"只能是 {str(ctx.get('expected')).replace(' or ', ' 或 ')}", f"must be {ctx.get('expected')}")
    return Text(said, said)


def _lang_of(query: str | bytes | None) -> str:
    """The language of an error body: the request's ``?lang=`` when it is zh or en, else the
    service's default ($POLICYENGINE_LANG, else Chinese)."""
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    m = re.search(r"(?:^|&)lang=(zh|en)(?:&|$)", query or "")
    return resolve_lang(m.group(1) if m else None)


def error(status: int, code: str, message: Text, field: str | None = None, headers: dict | None = None,
          lang: str | None = None, **extra: Any) -> Response:
    """One error, its message in ``lang`` (the request's ``?lang=``, else Chinese)."""
    e = {"code": code, "message": message.get(lang) if isinstance(message, Text) else message, "field": field, **extra}
    return Response(_compact({"errors": [e]}), status, headers=headers, media_type="application/json")


_NO_DECISION = Text("没有这个编号的决定", "no decision with this id")
_CANNOT_READ = Text("现在无法读取决定日志", "the decision log cannot be read now")


def case_errors(err: PolicyError, lang: str | None = None) -> Response:
    """422 naming the field of each problem, with its place in the body (line, column) and the hint,
    in ``lang`` (the field is read from the English message, which starts with it or, for a file
    that cannot be read, ends with it)."""
    out = []
    for d in err.diagnostics:
        m = _FIELD.match(d.message) or _FIELD_AFTER.search(d.message)
        field = m.group(1) if m and m.group(1) != "(file)" else "body"
        missing = _MISSING.match(d.message)
        if missing:  # a key of the case left out: that key is the field
            field = missing.group(1)
        out.append({"code": d.code, "name": d.name, "message": d.text(lang), "field": field,
                    "line": d.span.line if d.span else None, "column": d.span.column if d.span else None,
                    "hint": d.help(lang)})
    return Response(_compact({"errors": out}), 422, media_type="application/json")


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode().rstrip("=")


def _read_cursor(text: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    m = re.fullmatch(r"after:(0|[1-9]\d{0,17})", raw)
    return int(m.group(1)) if m else None


@dataclass
class Service:
    """What the application serves: one policy version, one log, and the keys (None: no keys asked)."""

    policies: Policies
    version_digest: str
    version_no: int
    log: DecisionLog
    keys: Keys | None = None
    max_body: int = 0  # 0: the case-file limit of the policies' limits
    replay_versions: dict = field(default_factory=dict)  # logged policy versions, loaded once (by digest)
    paths: tuple = ()  # the folders and files the policies were loaded from (the workbench's /diff reads their git history)

    def __post_init__(self) -> None:
        if not self.max_body:
            self.max_body = self.policies.limits.max_file_bytes


def _policies_body(svc: Service, lang: str) -> bytes:
    from ..records import text_of

    ps = svc.policies.policy_set
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    docs = [{"id": d.id, "number": d.number, "title": text_of(d.title, lang), "jurisdiction": d.jurisdiction,
             "issued": iso(d.issued), "effective": iso(d.effective), "effective_until": iso(d.effective_until)}
            for d in sorted(ps.documents.values(), key=lambda d: (d.jurisdiction, d.effective, d.id))]
    jurs = [{"id": j.id, "name": text_of(j.name, lang), "level": j.level, "parent": j.parent}
            for j in sorted(ps.jurisdictions.values(), key=lambda j: j.id)]
    return _compact({"policy_version": svc.version_digest, "engine_version": __version__, "documents": docs,
                     "jurisdictions": jurs})


def authorise(keys: Keys, authorization: str, role: str, lang: str | None = None) -> Response | None:
    """None when the presented key has ``role``; else the 401 or 403 answer."""
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return error(401, "unauthorized", Text("本服务需要请求头 'Authorization: Bearer KEY'（API 密钥）",
                                               "this service needs 'Authorization: Bearer KEY'"), "Authorization",
                     headers={"WWW-Authenticate": "Bearer"}, lang=lang)
    key = keys.find(presented.strip())
    if key is None:
        return error(401, "unauthorized", Text("不认识的密钥", "unknown key"), "Authorization",
                     headers={"WWW-Authenticate": "Bearer"}, lang=lang)
    if role not in key.roles:
        return error(403, "forbidden", Text(f"密钥 {key.name!r} 没有 {role!r} 权限", f"the key {key.name!r} does not have the role {role!r}"),
                     "Authorization", lang=lang)
    return None


class KeyCheck:
    """ASGI middleware: every /v1 request shows a key with the role it needs (POST: decide; else read) before
    anything else reads it — an unknown caller learns nothing, not even whether its parameters were valid."""

    def __init__(self, app, keys: Keys):
        self.app, self.keys = app, keys

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/v1"):
            auth = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), "")
            denied = authorise(self.keys, auth, "decide" if scope["method"] == "POST" else "read",
                               _lang_of(scope.get("query_string")))
            if denied is not None:
                await denied(scope, receive, send)
                return
        await self.app(scope, receive, send)


class HotPost:
    """ASGI middleware: a POST to ``path`` goes straight to ``handler`` (a function of a Request answering a
    Response), past the router and its layers."""

    def __init__(self, app, path: str, handler):
        self.app, self.path, self.handler = app, path, handler

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path \
                and not scope.get("root_path"):
            response = await self.handler(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(svc: Service, committer: GroupCommitter) -> FastAPI:
    from ..schema import case_schema, decision_schema

    # redirect_slashes off: 'POST /v1/decisions/' was answered 307 with an empty body and a Location built from
    # the Host header; it is a 404 in the error shape, like any other address the service does not have
    app = FastAPI(title="policyengine decision service", version=__version__, docs_url=None, redoc_url=None,
                  redirect_slashes=False,
                  description="Decisions of the policy engine over HTTP/JSON; every decision answered 201 is "
                              "in the decision log, a hash chain (`policyengine log verify`).")
    policies_body = {lang: _policies_body(svc, lang) for lang in ("zh", "en")}
    # Decision ids: random version-4 UUIDs from a keyed hash of a counter, the key drawn once — os.urandom per
    # request costs up to a millisecond on some kernels; these are as unguessable and never repeat.
    id_key, id_counter = os.urandom(32), itertools.count()

    def new_id() -> str:
        raw = hashlib.blake2b(next(id_counter).to_bytes(8, "big"), key=id_key, digest_size=16).digest()
        return str(uuid.UUID(bytes=raw, version=4))

    def record(out: dict, decision, explain: bool, lang: str, body: bytes) -> tuple[str, bytes, Record]:
        """The answer to a decision (``out``, its JSON, given an id, the policy version and the time)
        and the log record that keeps it with the case as received."""
        decision_id = new_id()
        decided_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
        out.update(id=decision_id, policy_version=svc.version_digest, decided_at=decided_at)
        answer = _compact(out)
        return decision_id, answer, Record(decision_id, decided_at, decision.subject, decision.jurisdiction,
                                           svc.version_no, svc.version_digest, __version__, explain, lang, body,
                                           answer)

    err_schema = {"type": "object", "required": ["errors"], "properties": {"errors": {"type": "array", "items": {
        "type": "object", "required": ["code", "message", "field"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "field": {"type": ["string", "null"]}}}}}}
    err = {"content": {"application/json": {"schema": err_schema}}}
    auth_errors = {"401": {"description": "no key, or an unknown key", **err},
                   "403": {"description": "the key lacks the role", **err}}
    unreadable = {"503": {"description": "the log cannot be read now; try again", **err}}
    # (a query parameter out of its bounds: our error shape, not FastAPI's {"detail": …} it would document)
    bad_param = {"422": {"description": "a malformed query parameter", **err}}
    nullable_date = {"type": ["string", "null"], "format": "date"}
    policies_out = {"type": "object", "required": ["policy_version", "engine_version", "documents", "jurisdictions"],
                    "properties": {
                        "policy_version": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                        "engine_version": {"type": "string"},
                        "documents": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "number", "title", "jurisdiction", "issued", "effective", "effective_until"],
                            "properties": {"id": {"type": "string"}, "number": {"type": ["string", "null"]},
                                           "title": {"type": "string"}, "jurisdiction": {"type": "string"},
                                           "issued": nullable_date, "effective": nullable_date,
                                           "effective_until": nullable_date}}},
                        "jurisdictions": {"type": "array", "items": {
                            "type": "object", "required": ["id", "name", "level", "parent"],
                            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                           "level": {"type": "string"}, "parent": {"type": ["string", "null"]}}}}}}
    decision_out = decision_schema()
    decision_out = {**decision_out, "required": sorted((set(decision_out.get("required", [])) - {"explanation"}) |
                                                       {"id", "policy_version", "decided_at"})}  # (?explain=false: none)
    decision_out.setdefault("properties", {}).update({
        "id": {"type": "string"}, "policy_version": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        "decided_at": {"type": "string", "format": "date-time"}})

    async def read_body(request: Request, lang: str) -> bytes | Response:
        too_large = Text(f"请求体超过了上限 {svc.max_body} 字节", f"the body is larger than the limit of {svc.max_body} bytes")
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > svc.max_body):
            return error(413, "PE005", too_large, "body", lang=lang)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > svc.max_body:
                return error(413, "PE005", too_large, "body", lang=lang)
            chunks.append(chunk)
        return b"".join(chunks)

    def decide(text: str, path: str, explain: bool, lang: str):
        return decide_body(svc.policies, text, path, explain, lang)

    @app.post("/v1/decisions", status_code=201, tags=["decisions"],
              summary="Decide a case and log the decision",
              responses={"201": {"description": "decided and durably logged",
                                 "content": {"application/json": {"schema": decision_out}}},
                         "413": {"description": "the body is too large", **err},
                         "415": {"description": "not JSON (or YAML)", **err},
                         "422": {"description": "a malformed case; nothing logged", **err},
                         "503": {"description": "the log is unreachable; nothing logged", **err}, **auth_errors},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": case_schema()}}}, "parameters": [
                  {"name": "explain", "in": "query", "required": False, "description": "false: no explanation",
                   "schema": {"type": "boolean", "default": True}},
                  {"name": "lang", "in": "query", "required": False, "description": "language of the explanation",
                   "schema": {"type": "string", "enum": ["zh", "en"], "default": "zh"}}]})
    async def post_decision(request: Request):
        # the two query parameters are read here rather than declared: FastAPI's parameter machinery is a fifth of
        # the time of a decision without explanation (they are declared for the OpenAPI document below)
        q = request.query_params
        explain_text, lang = q.get("explain", "true").lower(), q.get("lang", "zh")
        if lang not in ("zh", "en"):
            return error(422, "bad-parameter", Text("lang 只能是 zh 或 en", "lang is zh or en"), "lang")
        if explain_text not in _BOOL:
            return error(422, "bad-parameter", Text("explain 只能是 true 或 false", "explain is true or false"), "explain", lang=lang)
        explain = _BOOL[explain_text]
        ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if ctype not in _JSON_TYPES:
            return error(415, "unsupported-media-type", Text("请以 application/json 发送案例", "send the case as application/json"),
                         "Content-Type", lang=lang)
        coding = request.headers.get("content-encoding", "identity").strip().lower()
        if coding not in ("", "identity"):  # a gzip body was read as text (422 "not valid UTF-8")
            return error(415, "unsupported-media-type", Text(f"不接受压缩的请求体（Content-Encoding: {coding}）：请发送未压缩的 JSON",
                                                             f"a compressed body (Content-Encoding: {coding}) is not taken: "
                                                             "send the JSON uncompressed"),
                         "Content-Encoding", lang=lang)
        body = await read_body(request, lang)
        if isinstance(body, Response):
            return body
        path = "<request>.json" if ctype == "application/json" else "<request>.yaml"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:  # located as the loader locates it in a case file
            line = body.count(b"\n", 0, e.start) + 1
            col = e.start - (body.rfind(b"\n", 0, e.start) + 1) + 1
            return case_errors(PolicyError(Diagnostic(
                "PE006", Text(f"请求体不是 UTF-8 编码（第 {e.start} 个字节 0x{body[e.start]:02x} 无法读取）",
                              f"the body is not valid UTF-8 (byte 0x{body[e.start]:02x} at offset {e.start})"),
                Span(path, line, col), hint=Text("请用 UTF-8 编码发送", "send UTF-8"))), lang)
        try:
            # a small case without explanation is decided at once (a thread's hand-over would double its
            # time); anything longer is decided in a worker thread, so that no body holds the others up
            decision = (await run_in_threadpool(decide, text, path, explain, lang) if explain or len(body) > _INLINE_BYTES
                        else decide(text, path, False, lang))
            out = decision.to_dict()
        except PolicyError as e:
            return case_errors(e, lang)
        if not explain:
            out.pop("explanation", None)
        decision_id, answer, rec = record(out, decision, explain, lang, body)
        try:
            await asyncio.wrap_future(committer.submit(rec))
        except LogUnavailable as e:
            return error(503, "log-unavailable", Text(f"{e.text.zh}；这个决定没有记入日志，请重试",
                                                      f"{e.text.en}; the decision was not logged, try again"),
                         None, headers={"Retry-After": "1"}, lang=lang)
        return Response(answer, 201, media_type="application/json", headers={"Location": f"/v1/decisions/{decision_id}"})

    @app.get("/v1/decisions/{decision_id}", tags=["decisions"], summary="A logged decision, byte for byte as answered",
             responses={"200": {"content": {"application/json": {"schema": decision_out}}},
                        "404": {"description": "no such decision", **err}, **unreadable, **auth_errors, **bad_param})
    def get_decision(request: Request, decision_id: str):
        if len(decision_id) > 36:
            return error(404, "not-found", _NO_DECISION, "id", lang=_lang_of(request.url.query))
        try:
            got = svc.log.get(decision_id)
        except Exception:  # noqa: BLE001 — a database error is an unavailable log, said plainly
            return error(503, "log-unavailable", _CANNOT_READ, None, headers={"Retry-After": "1"},
                         lang=_lang_of(request.url.query))
        if got is None:
            return error(404, "not-found", _NO_DECISION, "id", lang=_lang_of(request.url.query))
        return Response(got, 200, media_type="application/json")

    @app.get("/v1/decisions", tags=["decisions"], summary="Logged decisions, oldest first, a page at a time",
             responses={"200": {"content": {"application/json": {"schema": {
                 "type": "object", "required": ["decisions", "next"],
                 "properties": {"decisions": {"type": "array", "items": decision_out},
                                "next": {"type": ["string", "null"]}}}}}}, **unreadable, **auth_errors, **bad_param})
    def list_decisions(request: Request, subject: str | None = Query(None, max_length=64),
                       jurisdiction: str | None = Query(None, max_length=255),
                       limit: int = Query(100, ge=1, le=1000),
                       cursor: str | None = Query(None, max_length=64, description="the 'next' of the page before")):
        after = 0
        if cursor is not None:
            after = _read_cursor(cursor)
            if after is None:
                return error(422, "bad-parameter", Text("cursor 不是本服务给出的翻页标记", "not a cursor given by this service"), "cursor",
                             lang=_lang_of(request.url.query))
        try:
            bodies, last = svc.log.page(subject=subject, jurisdiction=jurisdiction, after=after, limit=limit)
        except Exception:  # noqa: BLE001
            return error(503, "log-unavailable", _CANNOT_READ, None, headers={"Retry-After": "1"},
                         lang=_lang_of(request.url.query))
        nxt = _compact(_cursor(last) if last is not None else None)
        return Response(b'{"decisions":[' + b",".join(bodies) + b'],"next":' + nxt + b"}", 200,
                        media_type="application/json")

    @app.get("/v1/policies", tags=["policies"], summary="The policy version served and its documents",
             responses={"200": {"content": {"application/json": {"schema": policies_out}}}, **auth_errors, **bad_param})
    def get_policies(request: Request, lang: Literal["zh", "en"] = Query("zh")):
        return Response(policies_body[lang], 200, media_type="application/json")

    probe: dict[str, Any] = {"pending": None}  # the write /healthz waits for, shared by the checks that come meanwhile

    @app.api_route("/healthz", methods=["GET", "HEAD"], tags=["health"],
                   summary="200 while the decision log is reachable and takes a write, 503 otherwise",
                   responses={"503": {"description": "the log is unreachable, or takes no write", **err}})
    async def healthz(request: Request):
        # a read, then a write through the log's one writer (that of the next decisions, or one that changes
        # nothing): a log that is read but refuses writes (a full disk, a lock held elsewhere) refuses every
        # decision, so it is not healthy either.  Awaited, not waited for on a worker thread: checks while the
        # log is stuck would hold the threads every other request needs
        lang = _lang_of(request.url.query)
        if not await run_in_threadpool(svc.log.ping):
            return error(503, "log-unavailable", Text("无法连接决定日志", "the decision log is unreachable"), None, lang=lang)
        refused = committer.refused
        if refused is not None and time.monotonic() - refused[0] < HEALTH_REFUSED_WINDOW:
            return error(503, "log-unavailable", Text(f"决定日志拒绝了最近的决定：{refused[1].zh}",
                                                      f"the decision log refused the latest decisions: {refused[1].en}"),
                         None, headers={"Retry-After": "1"}, lang=lang)
        if probe["pending"] is None or probe["pending"].done():
            probe["pending"] = committer.submit(None)
        try:  # (shielded: a check that stops waiting leaves the write to the next one)
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(probe["pending"])), HEALTH_WRITE_WAIT)
        except LogUnavailable as e:
            return error(503, "log-unavailable", Text(e.text.zh, e.text.en), None, headers={"Retry-After": "1"}, lang=lang)
        except asyncio.TimeoutError:
            return error(503, "log-unavailable", Text(f"决定日志在 {HEALTH_WRITE_WAIT} 秒内没有完成写入",
                                                      f"the decision log took no write within {HEALTH_WRITE_WAIT} s"),
                         None, headers={"Retry-After": "1"}, lang=lang)
        return Response(_compact({"status": "ok", "log": "reachable", "policy_version": svc.version_digest}),
                        200, media_type="application/json")

    # The hot path: the same POST handler, reached from a middleware in front of the router — FastAPI's route
    # stays for the OpenAPI document.  FastAPI's dependency resolution, the router and the per-route exception
    # and exit-stack layers were a quarter of the server's time per decision.  The key check (added after, so
    # outside it) and the handler of unexpected errors (ServerErrorMiddleware, outermost) apply alike.
    app.add_middleware(HotPost, path="/v1/decisions", handler=post_decision)

    if svc.keys is not None:
        app.add_middleware(KeyCheck, keys=svc.keys)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        out = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "header", "body")]
            out.append({"code": "bad-parameter", "message": _param_problem(e).get(_lang_of(request.url.query)),
                        "field": ".".join(loc) or None})
        return Response(_compact({"errors": out}), 422, media_type="application/json")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        page = getattr(app.state, "not_found_page", None)  # (the workbench's, for a browser's mistyped address)
        if exc.status_code == 404 and page is not None and (shown := page(request)) is not None:
            return shown
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        msg = {404: Text("没有这个路径", "no such path"), 405: Text("这个路径不接受这种请求方法", "method not allowed here")
               }.get(exc.status_code, str(exc.detail))
        return error(exc.status_code, code, msg, None, headers=getattr(exc, "headers", None), lang=_lang_of(request.url.query))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):  # never a traceback to the client
        return error(500, "internal", Text("内部错误（internal error）；这个请求没有记入任何内容",
                                           "internal error; nothing was logged for this request"), None,
                     lang=_lang_of(request.url.query))

    _mount_workbench(app, svc, committer, record)
    return app


def _case_json(v: Any) -> str:
    """A case as the page built it, as the JSON case file that reads back the same (replay reads it
    so): sorted keys, dates as ISO text, and a decimal as the number it is, digit for digit — 2.50
    stays 2.50 (a float would log 2.5, and the explanation shows what was given), and a decimal of
    any length stays a number (not text, which the case reader refuses)."""
    from decimal import Decimal

    if isinstance(v, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_case_json(x)}"
                              for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_case_json(x) for x in v) + "]"
    if isinstance(v, _dt.date):
        return f'"{v.isoformat()}"'
    if isinstance(v, Decimal) and v.is_finite():
        return str(v)  # (a JSON number: digits, a point, an exponent E±n)
    text = json.dumps(v, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate, which no UTF-8 holds: written as its escape)
        return json.dumps(v)
    return text


HEALTH_WRITE_WAIT = 5  # seconds /healthz waits for the log to take a write
HEALTH_REFUSED_WINDOW = 10  # seconds after the log refused decisions (none taken since) that /healthz says 503
# whatever a write that changes nothing shows (it fits where decisions do not: a full disk)
WORKBENCH_REPLAY_LIMIT = 1000  # the workbench's draft and diff pages replay the latest 1,000 decisions


def _mount_workbench(app: FastAPI, svc: Service, committer: GroupCommitter, record) -> None:
    """The workbench's pages at ``/``.  A decision made on /try is logged like one posted to
    /v1/decisions (``record`` makes the same record), with the case as the page built it."""
    from ..web import mount  # (the server extra pulls in the web extra)

    async def log_decision(case: dict, decision) -> None:
        _, _, rec = record(decision.to_dict(), decision, True, decision.lang, _case_json(case).encode("utf-8"))
        await asyncio.wrap_future(committer.submit(rec))

    def roles(presented: str):
        key = svc.keys.find(presented)
        return key.roles if key is not None else None

    def impacts(version):  # the latest logged decisions (a page answers in bounded time)
        from .replay import logged_impacts

        checked, found, _ = logged_impacts(svc.log, version, svc.replay_versions, limit=WORKBENCH_REPLAY_LIMIT)
        return checked, found

    mount(app, svc.policies, keys=roles if svc.keys is not None else None, on_decision=log_decision,
          impacts=impacts, folder=list(svc.paths) or None)
