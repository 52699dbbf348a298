"""Sign-ins per second and latency of ``sigil-server serve`` at concurrency 1, 8 and 32.

Starts the real server as a subprocess (temp database, rate limits off, no access log),
pre-generates one X-Auth-Token per request, each with a fresh key (so every sign-in
also creates a user), then drives ``POST /api/auth/sign-in/sigma`` from client
processes whose threads keep their HTTP connections alive (bench/lean_http.py: a lean
client, so the load generator takes as little of the shared CPU as it can). Prints req/s, p50, p99.

    .venv/bin/python -m bench.signin [--requests 3000] [--levels 1,8,32]

A benchmark, not a test: it prints figures and asserts only that every answer is 200.
The reference (Better Auth + Sigma plugin) measured on the same 2-core machine:
70-100 sign-ins/s, p99 1.4-2.9 s at concurrency 32.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import coincurve

from auth_server.crypto import make_token
from bench.lean_http import LeanConnection
from bench.server import start_server

PATH = "/api/auth/sign-in/sigma"


def server_cpu_seconds(pid: int) -> float | None:
    """User+system CPU of the server and its worker processes (Linux /proc), else None."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, pids, seen = 0.0, [pid], set()
    try:
        while pids:
            current = pids.pop()
            if current in seen:
                continue
            seen.add(current)
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pids.extend(int(c) for c in children)
    except (OSError, ValueError, IndexError):
        return None
    return total


def make_tokens(count: int) -> list[str]:
    return [make_token(coincurve.PrivateKey(), PATH) for _ in range(count)]


def client_process(host: str, port: int, threads: int, tokens: list[str], start_at: float, out: mp.Queue) -> None:
    """Runs ``threads`` keep-alive clients over a share of the tokens; reports latencies."""
    shares = [tokens[i::threads] for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []

    # Every client connects first and all start together: keep-alive clients pay the TCP
    # handshake once, so it belongs to neither the latency nor the elapsed time.
    started: list[float] = []
    barrier = threading.Barrier(threads, action=lambda: started.append(time.perf_counter()))

    def worker(index: int) -> None:
        conn = LeanConnection(host, port)
        conn.open()
        headers = {"Content-Type": "application/json", "X-Auth-Token": ""}
        own = latencies[index]
        barrier.wait()
        for token in shares[index]:
            headers["X-Auth-Token"] = token
            began = time.perf_counter()
            status, body = conn.request("POST", PATH, headers, b"{}")
            own.append(time.perf_counter() - began)
            if status != 200:
                errors.append(f"{status} {body[:200]!r}")
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    time.sleep(max(0.0, start_at - time.time()))
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put({"latencies": [x for lat in latencies for x in lat], "elapsed": time.perf_counter() - started[0],
             "errors": errors[:5], "error_count": len(errors)})


def run_level(host: str, port: int, concurrency: int, tokens: list[str], server_pid: int) -> dict:
    procs = min(concurrency, max(1, (os.cpu_count() or 2)))
    per_proc = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    start_at = time.time() + 0.5
    cpu_before = server_cpu_seconds(server_pid)
    chunks, offset = [], 0
    for n in per_proc:
        size = len(tokens) * n // concurrency
        chunks.append(tokens[offset:offset + size])
        offset += size
    workers = [ctx.Process(target=client_process, args=(host, port, n, chunk, start_at, out))
               for n, chunk in zip(per_proc, chunks)]
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    cpu_after = server_cpu_seconds(server_pid)
    for w in workers:
        w.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    elapsed = max(r["elapsed"] for r in results)
    errors = sum(r["error_count"] for r in results)
    if errors:
        print(f"  {errors} errors, e.g. {[e for r in results for e in r['errors']][:3]}")
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "server_cpu_us": None if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) / len(latencies) * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="sign-ins per concurrency level")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2, help="sigil-server serve --workers (default: 2, one per core)")
    parser.add_argument("--threads", type=int, default=4, help="sigil-server serve --threads (default: 4)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp:
        proc, host, port = start_server(Path(tmp) / "bench.db", args.workers, args.threads)
        try:
            rows = []
            for level in levels:
                began = time.perf_counter()
                tokens = make_tokens(args.requests)
                print(f"concurrency {level}: {len(tokens)} fresh-key tokens made in {time.perf_counter() - began:.1f}s",
                      file=sys.stderr)
                rows.append(run_level(host, port, level, tokens, proc.pid))
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"sigil-server serve --workers {args.workers} --threads {args.threads}, POST {PATH}, "
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
