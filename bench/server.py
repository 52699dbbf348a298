"""Starts ``sigil-server serve`` as a subprocess for the benchmarks that measure it over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


DB_HELP = ("database: a temp SQLite file (default), a postgresql:// URL, or 'postgresql' for a "
           "throwaway PostgreSQL server started in a temp dir (Debian's package, default durability)")


@contextmanager
def bench_database(choice: str | None, tmp: Path) -> Iterator[Path | str]:
    """The database a benchmark's server runs on (see :data:`DB_HELP`)."""
    if not choice:
        yield tmp / "bench.db"
    elif choice == "postgresql":
        from tests.helpers.postgres import PostgresServer

        server = PostgresServer(durable=True)
        try:
            yield server.new_database()
        finally:
            server.stop()
    else:
        yield choice


def start_server(db: Path | str, workers: int, threads: int, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, int]:
    """Run the real server on a free loopback port (rate limits and access log off).

    Returns the process and the host and port it announced. ``env`` adds variables to a
    copy of this environment from which every ``SIGIL_*`` setting has been removed.
    """
    exe = ROOT / ".venv" / "bin" / "sigil-server"
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "auth_server.cli"]),
           "serve", "--port", "0", "--db", str(db), "--no-rate-limit", "--quiet",
           "--workers", str(workers), "--threads", str(threads)]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SIGIL_")} | (env or {})
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=child_env)
    deadline = time.time() + 20
    assert proc.stderr is not None
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        match = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain
            return proc, match.group(1), int(match.group(2))
    proc.kill()
    raise SystemExit("server did not start")


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
