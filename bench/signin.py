"""Sign-ins per second and latency of ``sigil-server serve`` at concurrency 1, 8 and 32.

Starts the real server as a subprocess (temp database, rate limits off, no access log),
pre-generates one X-Auth-Token per request, each with a fresh key (so every sign-in
also creates a user), then drives ``POST /api/auth/sign-in/sigma`` over keep-alive
connections (bench/load.py: an event loop per client process, so the load generator
takes as little of the shared CPU as it can). Prints req/s, p50, p99 and the server's
CPU per sign-in.

    .venv/bin/python -m bench.signin [--requests 3000] [--levels 1,8,32] [--db postgresql[://...]] [--instances 2]

A benchmark, not a test: it prints figures and asserts only that every answer is 200.
The reference (Better Auth + Sigma plugin) measured on the same 2-core machine:
70-100 sign-ins/s, p99 1.4-2.9 s at concurrency 32.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import coincurve

from auth_server.crypto import make_token
from bench.load import build_request, drive
from bench.server import DB_HELP, bench_database, start_server

PATH = "/api/auth/sign-in/sigma"


def make_requests(host: str, port: int, count: int) -> list[bytes]:
    """One sign-in request per fresh key, as the Sigma client sends it (``{}`` body, unsigned)."""
    return [build_request("POST", PATH, host, port, {"Content-Type": "application/json",
                                                     "X-Auth-Token": make_token(coincurve.PrivateKey(), PATH)}, b"{}")
            for _ in range(count)]


def run_level(host: str, ports: list[int], concurrency: int, requests: list[bytes], server_pids: list[int]) -> dict:
    figures = drive(host, ports, requests, concurrency, processes=os.cpu_count() or 2, server_pid=server_pids)
    return {
        "concurrency": concurrency,
        "requests": len(figures.latencies),
        "errors": 0,  # drive() stops the benchmark on any answer that is not 200
        "rps": figures.rate,
        "p50_ms": figures.p50_ms,
        "p99_ms": figures.p99_ms,
        "server_cpu_us": figures.server_cpu_us,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="sign-ins per concurrency level")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2, help="sigil-server serve --workers (default: 2, one per core)")
    parser.add_argument("--threads", type=int, default=0,
                        help="sigil-server serve --threads (default: 0, requests served on each worker's I/O loop)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--db", default=None, help=DB_HELP)
    parser.add_argument("--instances", type=int, default=1,
                        help="separate sigil-server serve processes on one database, each on its own port "
                             "(PostgreSQL; the load is spread over them)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp, bench_database(args.db, Path(tmp)) as db:
        servers = [start_server(db, args.workers, args.threads) for _ in range(args.instances)]
        host, port = servers[0][1], servers[0][2]
        try:
            rows = []
            for level in levels:
                began = time.perf_counter()
                requests = make_requests(host, port, args.requests)
                print(f"concurrency {level}: {len(requests)} fresh-key tokens made in {time.perf_counter() - began:.1f}s",
                      file=sys.stderr)
                rows.append(run_level(host, [s[2] for s in servers], level, requests, [s[0].pid for s in servers]))
        finally:
            for proc, _, _ in servers:
                proc.terminate()
            for proc, _, _ in servers:
                proc.wait(10)
    engine = "PostgreSQL" if args.db else "SQLite"
    print(f"{args.instances} x sigil-server serve --workers {args.workers} --threads {args.threads} on {engine}, POST {PATH}, "
          f"fresh key per sign-in, {os.cpu_count()} CPUs (clients share them)")
    print(f"{'concurrency':>11} {'requests':>9} {'errors':>7} {'sign-ins/s':>11} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'server CPU/sign-in':>19}")
    for r in rows:
        cpu = "n/a" if r["server_cpu_us"] is None else f"{r['server_cpu_us']:.0f} us"
        print(f"{r['concurrency']:>11} {r['requests']:>9} {r['errors']:>7} {r['rps']:>11.0f} {r['p50_ms']:>8.2f}"
              f" {r['p99_ms']:>8.2f} {cpu:>19}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average before the run: {load_before:.2f}, after: {load:.2f} (other work on the machine skews figures)")
    print("target at concurrency 32: >= 1000 sign-ins/s, p99 < 50 ms; reference: 70-100/s, p99 1.4-2.9 s")
    if args.json:
        print(json.dumps(rows))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
