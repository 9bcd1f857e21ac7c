"""How fast the workbench answers each page on the shipped packs (target: under 200 ms).

    python -m benchmarks.web [--rounds N]

Runs the real server (uvicorn on a free 127.0.0.1 port) and times each page over HTTP
from this process: the median and the slowest of N rounds, after one warm-up round.  A
benchmark, not a test: it prints and never fails.
"""
from __future__ import annotations

import argparse
import http.cookies
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _webserver import Server  # noqa: E402

from policyengine import Policies  # noqa: E402
from policyengine.web import create_app  # noqa: E402

TARGET_MS = 200


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args(argv)
    policies = Policies.load()
    ps = policies.policy_set
    case = {"subject": "commissioner", "jurisdiction": "cn/nm/baotou/imust", "as_of": "2024-03-01"}
    pages = [("GET", "/", None), ("GET", "/?lang=en", None),
             ("GET", "/try?" + urllib.parse.urlencode(case), None),
             ("POST", "/try", {**case, "rd_enterprises": "3", "year": "2023", "education": "master"}),
             ("GET", "/draft", None), ("GET", "/diff?old=served&new=served", None)]
    pages += [("GET", "/documents/" + d, None) for d in sorted(ps.documents)]
    nm = next(d for d in ps.documents.values() if d.id == "nm.commissioner-measures")
    draft = Path(nm.path).read_text(encoding="utf-8").replace("value: 30", "value: 40", 1)
    pages.append(("POST", "/draft", {"file": "inner_mongolia/" + Path(nm.path).name, "text": draft}))
    with Server(create_app(policies)) as s:
        _, headers, _ = s.get("/try")
        token = http.cookies.SimpleCookie(headers["set-cookie"])["pe_csrf"].value
        print(f"workbench pages on the shipped packs, {args.rounds} rounds (median / slowest, ms; target {TARGET_MS})")
        over = 0
        for method, path, form in pages:
            body = urllib.parse.urlencode({**form, "csrf_token": token}).encode() if form else None
            hdrs = {"Cookie": f"pe_csrf={token}", "Content-Type": "application/x-www-form-urlencoded"} if form else {}
            times = []
            for i in range(args.rounds + 1):
                t = time.perf_counter()
                status, _, _ = s.request(method, path, body, hdrs)
                if i:
                    times.append((time.perf_counter() - t) * 1000)
                assert status == 200, (path, status)
            med = statistics.median(times)
            over += med > TARGET_MS
            print(f"  {method:4} {path[:60]:60} {med:8.1f} {max(times):8.1f}{'  over target' if med > TARGET_MS else ''}")
        print(f"{over} page(s) over {TARGET_MS} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
