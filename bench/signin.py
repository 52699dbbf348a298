"""Sign-ins per second and latency of ``sigil-server serve`` at concurrency 1, 8 and 32.

Starts the real server as a subprocess (temp database, rate limits off, no access log),
pre-generates one X-Auth-Token per request, each with a fresh key (so every sign-in
also creates a user), then drives ``POST /api/auth/sign-in/sigma`` over keep-alive
connections (bench/load.py: an event loop per client process, so the load generator
takes as little of the shared CPU as it can). Prints req/s, p50, p99 and the server's
CPU per sign-in.

    .venv/bin/python -m bench.signin [--requests 3000] [--levels 1,8,32] [--db postgresql[://...]] [--instances 2]
                                     [--rounds 3] [--picture-kib 100]

``--picture-kib N`` adds, per setup, rows of sign-ins whose signed body carries a profile (name,
username) with an inline picture of about N KiB (a noisy PNG, so it does not compress away),
each a different image: the cost of decoding and re-encoding it before the transaction.

Without ``--db`` it compares, in one run: SQLite with one instance, PostgreSQL with one
and with two instances, all serving requests on their workers' I/O loops, and one
PostgreSQL instance with request threads (a throwaway PostgreSQL with default durability;
bench/server.py's ``COMPARISON`` says why); with ``--db``
it measures that database with ``--instances`` instances. ``--rounds`` repeats every setup, one
after another: the CPU per request is compared per round and the median taken, so a busy
minute on the shared machine skews one round, not the comparison.

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
from bench.server import DB_HELP, Databases, Setup, print_cpu_per_request, running, setups

PATH = "/api/auth/sign-in/sigma"


def make_requests(host: str, port: int, count: int, picture_kib: int = 0) -> list[bytes]:
    """One sign-in request per fresh key, as the Sigma client sends it (``{}`` body, unsigned),
    or with a signed profile carrying a picture of about ``picture_kib`` KiB."""
    if not picture_kib:
        return [build_request("POST", PATH, host, port, {"Content-Type": "application/json",
                                                         "X-Auth-Token": make_token(coincurve.PrivateKey(), PATH)},
                              b"{}") for _ in range(count)]
    requests = []
    for i in range(count):
        body = json.dumps({"profile": {"name": f"Bench {i}", "username": f"bench-{i}",
                                       "picture": _picture_url(picture_kib, i)}}, separators=(",", ":"))
        token = make_token(coincurve.PrivateKey(), PATH, body)
        requests.append(build_request("POST", PATH, host, port, {"Content-Type": "application/json",
                                                                 "X-Auth-Token": token}, body.encode()))
    return requests


def _picture_url(kib: int, seed: int) -> str:
    """A PNG data URL of about ``kib`` KiB: noise (incompressible), a different image per seed."""
    import base64
    import io
    import random

    from PIL import Image

    side = int((kib * 1024 / 3) ** 0.5)
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def run_level(host: str, ports: list[int], concurrency: int, requests: list[bytes], server_pids: list[int],
              database_pid: int | None) -> dict:
    figures = drive(host, ports, requests, concurrency, processes=os.cpu_count() or 2, server_pid=server_pids,
                    database_pid=database_pid)
    return {
        "concurrency": concurrency,
        "requests": len(figures.latencies),
        "errors": 0,  # drive() stops the benchmark on any answer that is not 200
        "rps": figures.rate,
        "p50_ms": figures.p50_ms,
        "p99_ms": figures.p99_ms,
        "server_cpu_us": figures.server_cpu_us,
        "database_cpu_us": figures.database_cpu_us,
    }


def measure(setup: Setup, databases: Databases, levels: list[int], count: int, picture_kib: int = 0) -> list[dict]:
    """Every concurrency level on ``setup``: its instances on one fresh database (then, with
    ``picture_kib``, the same levels with a picture in every sign-in)."""
    db = databases.new(setup.engine)
    rows = []
    with running(db, setup) as served:
        for kib in ([0, picture_kib] if picture_kib else [0]):
            for level in levels:
                began = time.perf_counter()
                requests = make_requests(served.host, served.ports[0], count, kib)
                print(f"{setup.label}, concurrency {level}: {len(requests)} fresh-key tokens made in "
                      f"{time.perf_counter() - began:.1f}s", file=sys.stderr)
                row = run_level(served.host, served.ports, level, requests, served.pids,
                                databases.postgres_pid if setup.engine == "postgresql" else None)
                label = setup.label + (f", {kib} KiB picture" if kib else "")
                rows.append({"setup": label, "load": os.getloadavg()[0], **row})
    return rows

def _cpu(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} us"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="sign-ins per concurrency level")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=None,
                        help="sigil-server serve --workers per instance (default: as in the comparison; 2 with --db)")
    parser.add_argument("--threads", type=int, default=None,
                        help="sigil-server serve --threads (default: as in the comparison; with --db 8 on PostgreSQL, else 0)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--db", default=None, help=DB_HELP)
    parser.add_argument("--instances", type=int, default=1,
                        help="with --db: separate sigil-server serve processes on one database, each on its own port "
                             "(PostgreSQL; the load is spread over them)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure every setup this many times, one after another, and compare the medians")
    parser.add_argument("--picture-kib", type=int, default=0,
                        help="also measure sign-ins carrying a signed profile with an inline picture of this size")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp:
        databases = Databases(Path(tmp), args.db)
        try:
            for rnd in range(1, args.rounds + 1):
                for setup in setups(args.db, args.instances, args.workers, args.threads):
                    rows += [{"round": rnd, **row}
                             for row in measure(setup, databases, levels, args.requests, args.picture_kib)]
        finally:
            databases.close()
    print(f"POST {PATH}, fresh key per sign-in (every one creates a user), {os.cpu_count()} CPUs shared by the "
          f"clients, the server{'s' if len(rows) > len(levels) else ''} and PostgreSQL")
    print(f"{'round':>5} {'setup':<48} {'conc.':>5} {'requests':>8} {'sign-ins/s':>10} {'p50 ms':>7} {'p99 ms':>7}"
          f" {'server CPU':>10} {'+ PostgreSQL':>12} {'load':>5}")
    for r in rows:
        print(f"{r['round']:>5} {r['setup']:<48} {r['concurrency']:>5} {r['requests']:>8} {r['rps']:>10.0f} {r['p50_ms']:>7.2f}"
              f" {r['p99_ms']:>7.2f} {_cpu(r['server_cpu_us']):>10} {_cpu(r['database_cpu_us']):>12} {r['load']:>5.1f}")
    print_cpu_per_request([(r["round"], f"sign-in, conc. {r['concurrency']}", r["setup"], r["server_cpu_us"],
                            r["database_cpu_us"]) for level in levels for r in rows if r["concurrency"] == level])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU columns: per sign-in, all the server's processes / all PostgreSQL's (its own server only). "
          f"Load average before the run: {load_before:.2f}, after: {load:.2f} (other work on the machine skews "
          "figures: compare rows of one run)")
    print("target at concurrency 32: >= 1000 sign-ins/s, p99 < 50 ms, PostgreSQL with two instances at least as "
          "fast as SQLite with one; reference: 70-100/s, p99 1.4-2.9 s")
    if args.json:
        print(json.dumps(rows))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
