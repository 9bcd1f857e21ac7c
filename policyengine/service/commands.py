"""The service's subcommands of ``policyengine``: ``serve``, ``replay``, ``log verify``.

Registered by ``cli.py``; this module imports nothing beyond the standard library until
a subcommand runs, so ``policyengine check`` never pays for FastAPI or SQLAlchemy and
works without the ``server`` extra.
"""
from __future__ import annotations

import ipaddress
import sys

__all__ = ["register"]

def _error(a, zh: str, en: str) -> None:
    print(f"错误：{zh}" if a.lang == "zh" else f"error: {en}", file=sys.stderr)


def register(sub, parents=()) -> None:
    """Add ``serve``, ``replay`` and ``log verify`` to the command's subparsers (``parents``: the
    options every subcommand takes, such as --debug)."""
    parents = list(parents)
    s = sub.add_parser("serve", parents=parents, help="serve decisions over HTTP/JSON, logging each one")
    s.add_argument("policies", nargs="*", metavar="POLICY_PATHS", help="rule files or folders (default: the shipped packs)")
    s.add_argument("--db", default="sqlite:///policyengine.db", help="decision log URL (sqlite:///FILE, postgresql://USER@HOST/DB)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--keys", help="file of API key digests and roles; required to bind a non-loopback address")
    s.set_defaults(fn=cmd_serve)

    r = sub.add_parser("replay", parents=parents, help="re-evaluate logged decisions (own version, or a new one)")
    r.add_argument("policies", nargs="*", metavar="POLICY_PATHS", help="a new version: folders or git:REV")
    r.add_argument("--db", required=True)
    r.add_argument("--format", choices=["text", "md", "json"], default="text")
    r.add_argument("--engine", choices=["auto", "python", "duckdb", "postgres"], default="auto",
                   help="with a new version: auto (past 2000 decisions, inside a PostgreSQL log, else DuckDB; "
                        "row by row below), python (row by row), duckdb, postgres (the report is the same)")
    r.set_defaults(fn=cmd_replay)

    g = sub.add_parser("log", parents=parents, help="decision log tools")
    gs = g.add_subparsers(dest="log_command", required=True)
    v = gs.add_parser("verify", parents=parents, help="check the log's hash chain")
    v.add_argument("--db", required=True)
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.set_defaults(fn=cmd_log_verify)


def _server_deps(a) -> bool:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        _error(a, "决定服务需要安装它的附加组件：pip install 'policyengine-rules[server]'",
               "the decision service needs its extra: pip install 'policyengine-rules[server]'")
        return False
    return True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it could resolve to anything


def cmd_serve(a) -> int:
    if a.keys is None and not is_loopback(a.host):
        _error(a, f"没有 --keys 时不在 {a.host} 上提供服务：任何能连上的人都可以请求决定并读取所有已记录的案例。"
                  "请给出 --keys FILE，或绑定到 127.0.0.1。",
               f"refusing to serve on {a.host} without --keys: anyone who can reach it could decide and "
               "read every logged case. Give --keys FILE, or bind to 127.0.0.1.")
        return 2
    if not 0 <= a.port <= 65535:
        _error(a, f"--port {a.port} 不是端口号（0 到 65535）", f"--port {a.port} is not a port number")
        return 2
    if not _server_deps(a):
        return 2
    from .serve import serve

    return serve(a.policies, db=a.db, host=a.host, port=a.port, keys=a.keys, lang=a.lang)


def cmd_replay(a) -> int:
    if not _server_deps(a):
        return 2
    from .replay import run_replay

    return run_replay(a.db, a.policies, fmt=a.format, lang=a.lang, engine=a.engine)


def cmd_log_verify(a) -> int:
    if not _server_deps(a):
        return 2
    from .replay import run_verify

    return run_verify(a.db, fmt=a.format, lang=a.lang)
