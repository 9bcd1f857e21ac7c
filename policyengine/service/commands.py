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


def register(sub, parents=(), lang: str | None = None) -> None:
    """Add ``serve``, ``replay`` and ``log verify`` to the command's subparsers (``parents``: the
    options every subcommand takes, such as --debug), their help in ``lang``."""
    from ..diagnostics import Text

    def t(zh: str, en: str) -> str:
        return Text(zh, en).get(lang)

    parents = list(parents)
    s = sub.add_parser("serve", parents=parents, help=t("通过 HTTP/JSON 提供计算服务，并记录每一次计算",
                                                         "serve decisions over HTTP/JSON, logging each one"),
                       description=t("启动计算服务：按政策计算收到的个案，每一次计算都记入日志。",
                                     "Serve decisions: decide the cases it receives, logging each decision."))
    s.add_argument("policies", nargs="*", metavar="POLICY_PATHS", help=t("规则文件或文件夹（默认：随附的政策包）",
                                                                         "rule files or folders (default: the shipped packs)"))
    s.add_argument("--db", default="sqlite:///policyengine.db",
                   help=t("计算日志的地址（sqlite:///FILE，postgresql://USER@HOST/DB）",
                          "decision log URL (sqlite:///FILE, postgresql://USER@HOST/DB)"))
    s.add_argument("--host", default="127.0.0.1", help=t("监听的地址（默认 127.0.0.1，只有本机能连）",
                                                         "the address to listen on (default 127.0.0.1: this machine only)"))
    s.add_argument("--port", type=int, default=8000, help=t("监听的端口（默认 8000）", "the port to listen on (default 8000)"))
    s.add_argument("--keys", help=t("API 密钥摘要和角色的文件；绑定到非本机地址时必须给出",
                                    "file of API key digests and roles; required to bind a non-loopback address"))
    s.add_argument("--keep-alive", type=int, default=75, metavar="SECONDS",
                   help=t("空闲的连接保留多少秒（默认 75，长于常见负载均衡器的 60 秒）",
                          "seconds an idle connection is kept open (default 75: longer than the 60 s of common load balancers)"))
    s.set_defaults(fn=cmd_serve)

    db = t("计算日志的地址（sqlite:///FILE，postgresql://USER@HOST/DB）", "decision log URL (sqlite:///FILE, postgresql://USER@HOST/DB)")
    r = sub.add_parser("replay", parents=parents, help=t("重新计算日志里的决定（用原来的版本，或一个新版本）",
                                                          "re-evaluate logged decisions (own version, or a new one)"),
                       description=t("重新计算日志里记录的决定：不给版本时核对原来的结果，给出新版本时列出结论会变的。",
                                     "Re-evaluate the logged decisions: under their own version to verify them, or "
                                     "under a new version to list those whose outcomes would change."))
    r.add_argument("policies", nargs="*", metavar="POLICY_PATHS", help=t("新版本：文件夹或 git:版本",
                                                                         "a new version: folders or git:REV"))
    r.add_argument("--db", required=True, help=db)
    r.add_argument("--format", choices=["text", "md", "json"], default="text",
                   help=t("输出格式：text 终端文字，md Markdown，json 供程序读取（默认 text）",
                          "output: text for the terminal, md Markdown, json for programs (default text)"))
    r.add_argument("--engine", choices=["auto", "python", "duckdb", "postgres"], default="auto",
                   help=t("给出新版本时怎样重新计算：auto（超过 2000 个决定时，PostgreSQL 日志在数据库里计算，否则用 DuckDB；"
                          "以下逐个计算），python（逐个计算），duckdb，postgres（报告完全相同）",
                          "with a new version: auto (past 2000 decisions, inside a PostgreSQL log, else DuckDB; "
                          "row by row below), python (row by row), duckdb, postgres (the report is the same)"))
    r.set_defaults(fn=cmd_replay)

    g = sub.add_parser("log", parents=parents, help=t("计算日志的工具", "decision log tools"),
                       description=t("计算日志的工具。", "Decision log tools."))
    gs = g.add_subparsers(dest="log_command", required=True, metavar="COMMAND")
    v = gs.add_parser("verify", parents=parents, help=t("核对日志的哈希链", "check the log's hash chain"),
                      description=t("核对日志的哈希链：每一条记录都没有被改动或删除。",
                                    "Check the log's hash chain: no record was changed or removed."))
    v.add_argument("--db", required=True, help=db)
    v.add_argument("--format", choices=["text", "json"], default="text",
                   help=t("输出格式：text 终端文字，json 供程序读取（默认 text）",
                          "output: text for the terminal, json for programs (default text)"))
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
    if not 1 <= a.keep_alive <= 3600:
        _error(a, f"--keep-alive {a.keep_alive} 不在 1 到 3600 秒之间", f"--keep-alive {a.keep_alive} is not between 1 and 3600 seconds")
        return 2
    if not _server_deps(a):
        return 2
    from .serve import serve

    return serve(a.policies, db=a.db, host=a.host, port=a.port, keys=a.keys, lang=a.lang, keep_alive=a.keep_alive)


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
