"""Start the service: load the policies, open the log, run uvicorn until stopped."""
from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path

from .. import Policies
from ..diagnostics import Text as Words
from ..diagnostics import resolve_lang
from .keys import KeyFileError, Keys
from .log import DecisionLog, GroupCommitter, LogError, show_url
from .versions import PolicyVersion

__all__ = ["serve", "open_service"]


def open_service(paths, db: str, keys: str | None):
    """(Service, committer): the policies as read (their digest taken before and after loading, so the
    version logged is the one that decides), the log opened (created or upgraded), the keys read."""
    from .. import default_policy_dir
    from .app import Service

    paths = list(paths) or [default_policy_dir()]
    key_set = Keys.read(keys) if keys else None
    if not all(Path(p).exists() for p in paths):
        Policies.load(*paths)  # names each path that is not there (PE070), as every command does
    before = PolicyVersion.read(paths)
    policies = Policies.load(*paths)
    pv = PolicyVersion.read(paths)
    if pv.digest != before.digest:
        raise LogError(Words("载入时规则文件发生了变化；请重新启动", "the policy files changed while they were being loaded; start again"))
    log = DecisionLog(db)
    for note in log.upgrades:
        print(f"policyengine serve: {note}", file=sys.stderr)
    try:
        no = log.store_version(pv)
    except Exception as e:
        log.close()
        raise LogError(Words(f"无法把政策版本存入日志：{e}", f"cannot store the policy version in the log: {e}"))
    return Service(policies, pv.digest, no, log, key_set, paths=tuple(Path(p) for p in paths)), GroupCommitter(log)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host`` (a name, an IPv4 or IPv6 address, ``[::1]`` too) and ``port``; OSError if
    the port is in use or the name does not resolve."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(2048)  # (listening at once: two services bound with SO_REUSEADDR, neither listening yet, both bind)
    except BaseException:
        sock.close()
        raise
    return sock


def _cannot_listen(e: OSError, host: str, port: int) -> Words:
    """Why the service cannot listen at ``host:port``, in both languages (the system says it in English)."""
    if isinstance(e, socket.gaierror):
        return Words(f"无法在 {host}:{port} 上提供服务：主机名 {host} 无法解析", f"cannot serve on {host}:{port}: the name {host} does not resolve")
    said = {errno.EADDRINUSE: ("端口已被别的程序占用；换一个 --port，或先停掉占用它的程序", "the port is in use; give another --port"),
            errno.EACCES: ("没有权限使用这个端口（1024 以下的端口需要管理员权限）", "no permission for this port (ports below 1024 need root)"),
            errno.EADDRNOTAVAIL: ("这台机器没有这个地址", "this machine has no such address")}.get(e.errno)
    zh, en = said or (e.strerror or str(e), e.strerror or str(e))
    return Words(f"无法在 {host}:{port} 上提供服务：{zh}", f"cannot serve on {host}:{port}: {en}")


def serve(paths, *, db: str, host: str, port: int, keys: str | None, lang: str | None = None,
          keep_alive: int = 75) -> int:
    import uvicorn

    from .app import create_app

    zh = resolve_lang(lang) == "zh"
    try:  # bound first, before the log is created: a port in use, or a name that does not resolve, was an
        sock = _listen(host, port)  # internal error said after the banner, with a new log file left behind
    except OSError as e:
        print(("错误：" if zh else "error: ") + _cannot_listen(e, host, port).get(lang), file=sys.stderr)
        return 2
    try:
        svc, committer = open_service(paths, db, keys)
    except (LogError, KeyFileError) as e:
        sock.close()
        why = e.text.get(lang)
        print(("错误：" if zh else "error: ") + why, file=sys.stderr)
        return 2
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]  # (--port 0: the port given)
    app = create_app(svc, committer)
    if zh:
        line = (f"policyengine serve：http://{host}:{port} · 政策版本 {svc.version_digest} · 日志 {show_url(db)}"
                + (" · 需要 API 密钥" if svc.keys else ""))
    else:
        line = (f"policyengine serve: http://{host}:{port} · policy version {svc.version_digest} · log {show_url(db)}"
                + (" · keys required" if svc.keys else ""))
    print(line, file=sys.stderr, flush=True)
    # keep_alive: uvicorn's own 5 s closes a connection whose next request is already waiting whenever the process
    # stalls for 5 s (swap, a paused VM): on resuming, uvloop may run the expired timer before it reads the socket,
    # and the client's request is refused (reset, broken pipe) though it was never seen — a stall longer than
    # keep_alive still can. A proxy in front (nginx, a cloud load balancer: 60 s idle) needs the server to keep a
    # connection longer than it does.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                            timeout_graceful_shutdown=10, timeout_keep_alive=keep_alive)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        committer.close()
        svc.log.close()
    return 0 if server.started else 2
