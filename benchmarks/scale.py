#!/usr/bin/env python3
"""policyengine at scale: the inputs of issue 13 within the documented limits.

    python benchmarks/scale.py [--json PATH] [--strict] [--only NAME]

Each input is generated into a temporary folder and run through the real command in
a fresh process (``python -m policyengine.cli …``), which reports its own CPU time and
peak resident memory (``resource.getrusage``).  The limits are those documented in
docs/limits-and-errors.md ("Work at scale"); ``--strict`` exits 1 when one is missed.
No extra package is needed.  Not part of the test suite (tests/test_hostile.py runs
smaller hostile inputs under a hang guard).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = (ROOT / "tests" / "hostile" / "rule_base_accepted.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
CASE = "subject: commissioner\njurisdiction: cn\nas_of: 2024-03-01\nfacts:\n  service_days: 40\n  good_conduct: true\n"

# name: (command, limit of CPU seconds, limit of peak memory in MiB, expected exit status)
LIMITS = {
    "files_10000": ("check", 60, 1024, 0),
    "files_10000_evaluate": ("evaluate", 60, 1024, 0),
    "definitions_chained_5000": ("check", 20, 512, 0),
    "definitions_chained_5000_evaluate": ("evaluate", 20, 512, 0),
    "unknown_names_2000_x_facts_2000": ("check", 20, 512, 1),
    "table_cap_1e9": ("check", 5, 256, 0),
    "aggregates_nested_200": ("evaluate", 10, 256, 2),
}


def _files(d: Path, n: int = 10_000) -> Path:
    folder = d / "files"
    folder.mkdir()
    for i in range(n):
        (folder / f"f{i:05d}.yaml").write_text(
            BASE.replace("id: hostile.test", f"id: hostile.test{i}").replace("id: hostile.rule", f"id: hostile.rule{i}"),
            encoding="utf-8")
    return folder


def _chain(d: Path, n: int = 5_000) -> Path:
    defs = "".join(f"  d{i}: {{subject: commissioner, expr: 'd{i + 1} + 1', label: x}}\n" for i in range(n))
    p = d / "chain.yaml"
    p.write_text(BASE.replace("condition: service_days >= 30", "condition: d0 >= 30") + "definitions:\n" + defs
                 + f"  d{n}: {{subject: commissioner, expr: 'service_days', label: x}}\n", encoding="utf-8")
    return p


def _unknown(d: Path, n: int = 2_000) -> Path:
    facts = "".join(f"    fact_number_{i}: {{type: int, label: x}}\n" for i in range(n))
    rules = "".join(f"  - {{id: r.{i}, kind: eligibility, subject: commissioner, label: x, citation: c, "
                    f"condition: 'fact_numbr_{i}x > 0'}}\n" for i in range(n))
    p = d / "unknown.yaml"
    p.write_text(BASE.replace("    good_conduct: {type: bool, label: 品行良好}\n",
                              "    good_conduct: {type: bool, label: 品行良好}\n" + facts) + rules, encoding="utf-8")
    return p


def _table(d: Path) -> Path:
    p = d / "table.yaml"
    p.write_text(BASE.replace("outputs:\n", "outputs:\n  score: {type: int, subjects: [commissioner], label: 得分}\n"
                              "  grade: {type: string, subjects: [commissioner], label: 等次}\n")
                 + "  - id: hostile.table\n    kind: scoring\n    subject: commissioner\n    label: 评分\n    citation: 第二条\n"
                 "    cap: 1000000000\n    items:\n      - {id: days, label: 天数, citation: 第二条, value: service_days, "
                 "max: 1000000000, tiers: [{min: 0, max: 999999999, points: 1000000000}]}\n    grades: []\n", encoding="utf-8")
    return p


def _nested(d: Path) -> Path:
    lst = "[" + ", ".join(str(i) for i in range(200)) + "]"
    p = d / "nested.yaml"
    p.write_text(BASE.replace("outputs:\n", "outputs:\n  hits: {type: int, subjects: [commissioner], label: 次数}\n")
                 + "  - {id: hostile.nested, kind: entitlement, subject: commissioner, label: x, citation: c, output: hits,\n"
                 f"     value: 'count(x for x in {lst} where any(any(z == x + y for z in {lst}) for y in {lst}))'}}\n",
                 encoding="utf-8")
    return p


MAKERS = {
    "files_10000": _files, "files_10000_evaluate": _files,
    "definitions_chained_5000": _chain, "definitions_chained_5000_evaluate": _chain,
    "unknown_names_2000_x_facts_2000": _unknown, "table_cap_1e9": _table, "aggregates_nested_200": _nested,
}

_RUNNER = """
import resource, sys, time
from policyengine.cli import main
t = time.perf_counter()
try:
    rc = main(sys.argv[1:])
except SystemExit as e:
    rc = e.code
u = resource.getrusage(resource.RUSAGE_SELF)
sys.__stderr__.write("\\n@@ %d %.3f %.3f %d\\n" % (rc, time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss))
"""


def run_one(name: str, d: Path) -> dict:
    command, cpu_limit, mem_limit, want = LIMITS[name]
    target = MAKERS[name](d)
    if command == "check":
        args = ["check", str(target)]
    else:
        case = d / "case.yaml"
        case.write_text(CASE, encoding="utf-8")
        args = ["evaluate", str(case), "--policies", str(target)]
    p = subprocess.run([sys.executable, "-c", _RUNNER, *args], capture_output=True, text=True, cwd=d,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    last = [line for line in p.stderr.splitlines() if line.startswith("@@ ")]
    if not last:
        return {"name": name, "ok": False, "error": p.stderr[-2000:]}
    rc, wall, cpu, rss_kb = last[-1].split()[1:]
    mem = int(rss_kb) / 1024
    ok = int(rc) == want and float(cpu) <= cpu_limit and mem <= mem_limit
    return {"name": name, "command": command, "exit": int(rc), "expected_exit": want, "wall_s": float(wall),
            "cpu_s": float(cpu), "cpu_limit_s": cpu_limit, "peak_mib": round(mem, 1), "memory_limit_mib": mem_limit, "ok": ok}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a limit is missed")
    ap.add_argument("--only", choices=sorted(LIMITS), action="append")
    a = ap.parse_args(argv)
    rows = []
    for name in a.only or LIMITS:
        with tempfile.TemporaryDirectory(prefix="policyengine-scale-") as tmp:
            r = run_one(name, Path(tmp))
        rows.append(r)
        if "error" in r:
            print(f"{name:36} FAILED\n{r['error']}")
        else:
            print(f"{name:36} {r['command']:8} exit {r['exit']}  {r['wall_s']:7.2f} s wall  {r['cpu_s']:7.2f} s CPU "
                  f"(limit {r['cpu_limit_s']})  {r['peak_mib']:7.1f} MiB (limit {r['memory_limit_mib']})  "
                  f"{'ok' if r['ok'] else 'MISSED'}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 1 if a.strict and not all(r["ok"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
