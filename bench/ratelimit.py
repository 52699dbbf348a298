"""Can PostgreSQL keep the sign-in rate limits? Hits per second of the shared counters.

With PostgreSQL every sign-in makes two hits (per client address, per pubkey), each one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the ``rate_limit`` table
(auth_server/store/ratelimits.py). This drives :class:`DatabaseCounters` from THREADS
threads in one process, as one server instance's request threads would, on many keys
(every sign-in a new client) and on one hot key (one client hammering), and prints
hits/s, p50 and p99 next to the shared-memory counters SQLite deployments use.

    .venv/bin/python -m bench.ratelimit [--db postgresql://...] [--hits 20000] [--threads 8]

Without ``--db`` it starts a throwaway PostgreSQL (Debian's package, default durability
settings) in a temp dir.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from auth_server.counters import Counters, SharedCounters
from auth_server.store import Store
from auth_server.store.ratelimits import DatabaseCounters
from bench.server import Databases


def drive(counters: Counters, hits: int, threads: int, hot: bool) -> tuple[float, float, float]:
    per_thread = hits // threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def run(index: int) -> None:
        own = latencies[index]
        barrier.wait()
        for n in range(per_thread):
            key = "ip:hot" if hot else f"ip:{index}.{n}"
            started = time.perf_counter()
            counters.hit(key, 1_000_000_000, 60.0, time.time())
            own.append(time.perf_counter() - started)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for own in latencies for x in own)
    p99 = flat[int(len(flat) * 0.99) - 1]
    return len(flat) / elapsed, statistics.median(flat) * 1000, p99 * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="postgresql:// URL (default: a throwaway server)")
    parser.add_argument("--hits", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sigil-bench-ratelimit-") as tmp:
        databases = Databases(Path(tmp), args.db)
        try:
            url = str(databases.new("postgresql"))
            if args.db:
                Store.open(url).close()  # migrated
            for name, counters in (("shared memory", SharedCounters()), ("PostgreSQL", DatabaseCounters(url))):
                for label, hot in (("many keys", False), ("one hot key", True)):
                    rate, p50, p99 = drive(counters, args.hits, args.threads, hot)
                    print(f"{name:<14} {label:<12} {rate:>9.0f} hits/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
                          f"   ({rate / 2:,.0f} sign-ins/s at two hits each)")
                if isinstance(counters, DatabaseCounters):
                    counters.close()
        finally:
            databases.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
