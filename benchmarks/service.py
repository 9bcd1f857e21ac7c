"""Service benchmark: logged decisions per second and latency of `policyengine serve`.

16 clients (keep-alive HTTP/1.1 connections, one asyncio loop in this process) post the
shipped example cases as fast as the server answers, for a fixed time after a warm-up,
to a real server (uvicorn in a subprocess on a free 127.0.0.1 port) logging to SQLite
and to PostgreSQL, with the explanation off and on; and the library API decides the
same cases in this process, for comparison.  Each figure: decisions answered 201 per
second, p50/p99 latency of those answers, and bytes of log per decision.

    python benchmarks/service.py [--seconds 10] [--clients 16] [--pg URL] [--json PATH]

--pg (default $POLICYENGINE_TEST_PG_URL) is a PostgreSQL server where a throwaway
database is created and dropped; without it only SQLite is measured.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"rate_explain_off": 1000, "p99_ms_explain_off": 50, "bytes_explain_off": 1024, "bytes_explain_on": 16384}


def bodies() -> list[bytes]:
    import yaml

    return [json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str, ensure_ascii=False).encode()
            for p in sorted((ROOT / "examples").iterdir())]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, cwd: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "policyengine.cli", "serve", "--db", db, "--port", str(port)],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server did not start: {proc.stderr.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, port
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not come up")


async def client(port: int, path: str, cases: list[bytes], until: float, warm: float, lat: list, counts: dict):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    while True:
        t0 = time.perf_counter()
        if t0 >= until:
            break
        body = cases[i % len(cases)]
        i += 1
        writer.write(f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status = int((await reader.readline()).split()[1])
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        await reader.readexactly(length)
        t1 = time.perf_counter()
        counts["all"] = counts.get("all", 0) + 1
        if t0 >= warm:
            counts[status] = counts.get(status, 0) + 1
            if status == 201:
                lat.append(t1 - t0)
    writer.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to state the server's cost per decision independently
    of what else the machine is running."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def load(port: int, explain: bool, seconds: float, clients: int, cases: list[bytes], pid: int = 0) -> dict:
    lat: list[float] = []
    counts: dict = {}
    path = "/v1/decisions" + ("" if explain else "?explain=false")

    async def run():
        start = time.perf_counter()
        warm, until = start + 1.0, start + 1.0 + seconds
        await asyncio.gather(*(client(port, path, cases, until, warm, lat, counts) for _ in range(clients)))

    cpu0 = cpu_seconds(pid) if pid else float("nan")
    asyncio.run(run())
    cpu = (cpu_seconds(pid) - cpu0) if pid else float("nan")
    total = counts.pop("all", 0)
    lat.sort()
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None  # noqa: E731
    return {"decisions_per_s": round(counts.get(201, 0) / seconds, 1), "p50_ms": q(0.50), "p99_ms": q(0.99),
            "answers": {str(k): v for k, v in sorted(counts.items())},
            "server_cpu_ms_per_decision": round(cpu / total * 1000, 3) if total and cpu == cpu else None}


def log_bytes(db: str, tmp: str) -> tuple[int, int]:
    """(bytes the log takes, decisions in it), after a checkpoint for SQLite."""
    if db.startswith("sqlite"):
        import sqlite3

        path = db[len("sqlite:///"):]
        with sqlite3.connect(path) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            n = c.execute("SELECT count(*) FROM pe_decisions").fetchone()[0]
        return os.path.getsize(path), n
    import psycopg

    with psycopg.connect(db) as c:
        n = c.execute("SELECT count(*) FROM pe_decisions").fetchone()[0]
        size = c.execute("SELECT pg_total_relation_size('pe_decisions')").fetchone()[0]
    return size, n


def library(cases: list[bytes], explain: bool, seconds: float) -> dict:
    from policyengine import Policies

    pol = Policies.load()
    parsed = [json.loads(b, parse_float=Decimal) for b in cases]
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        pol.evaluate(parsed[n % len(parsed)], explain=explain).to_dict()
        n += 1
    return {"decisions_per_s": round(n / (time.perf_counter() - t0), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--pg", default=os.environ.get("POLICYENGINE_TEST_PG_URL"))
    ap.add_argument("--json", metavar="PATH")
    a = ap.parse_args(argv)
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError:
        print("error: pip install -e '.[server]' first", file=sys.stderr)
        return 2
    cases = bodies()
    results: dict = {"clients": a.clients, "seconds": a.seconds, "cpus": os.cpu_count(), "library": {}, "service": {},
                     "load_average_before": os.getloadavg()[0]}
    for explain in (False, True):
        results["library"][f"explain_{'on' if explain else 'off'}"] = library(cases, explain, min(a.seconds, 3))
    backends = ["sqlite"] + (["postgresql"] if a.pg else [])
    for backend in backends:
        for explain in (False, True):
            with tempfile.TemporaryDirectory(prefix="pe-bench-") as tmp:
                drop = None
                if backend == "sqlite":
                    db = f"sqlite:///{tmp}/log.db"
                else:
                    import psycopg

                    name = "pe_bench_" + uuid.uuid4().hex[:10]
                    with psycopg.connect(a.pg, autocommit=True) as c:
                        c.execute(f'CREATE DATABASE "{name}"')
                    db = a.pg.rpartition("/")[0] + "/" + name

                    def drop(name=name):
                        with psycopg.connect(a.pg, autocommit=True) as c:
                            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                proc, port = start_server(db, tmp)
                try:
                    fig = load(port, explain, a.seconds, a.clients, cases, proc.pid)
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(30)
                size, n = log_bytes(db, tmp)
                fig["log_bytes_per_decision"] = round(size / n) if n else None
                if drop:
                    drop()
            key = f"{backend}_explain_{'on' if explain else 'off'}"
            results["service"][key] = fig
            print(f"{key:28} {fig['decisions_per_s']:8.1f}/s  p50 {fig['p50_ms']} ms  p99 {fig['p99_ms']} ms  "
                  f"log {fig['log_bytes_per_decision']} B/decision  server CPU {fig['server_cpu_ms_per_decision']} ms/decision  "
                  f"answers {fig['answers']}", flush=True)
    for k, v in results["library"].items():
        print(f"library_{k:20} {v['decisions_per_s']:8.1f}/s (one thread, no HTTP, no log)")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
