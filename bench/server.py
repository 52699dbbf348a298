"""Starts ``sigil-server serve`` as a subprocess for the benchmarks that measure it over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from auth_server.paths import is_postgres

ROOT = Path(__file__).resolve().parent.parent


DB_HELP = ("database: a temp SQLite file, a postgresql:// URL, or 'postgresql' for a throwaway PostgreSQL "
           "server started in a temp dir (Debian's package, default durability). Default: compare SQLite "
           "(one instance) with PostgreSQL (one and two instances) in one run")


@dataclass(frozen=True)
class Setup:
    """One way of serving that a benchmark measures: engine, instances, and each one's processes."""

    engine: str  # "sqlite" or "postgresql"
    instances: int
    workers: int
    threads: int

    @property
    def label(self) -> str:
        name = "SQLite" if self.engine == "sqlite" else "PostgreSQL"
        return f"{name}, {self.instances} x serve --workers {self.workers} --threads {self.threads}"


#: how PostgreSQL is served fastest on two cores: requests on each worker's I/O loop, two
#: workers a core (one waits for the database while another runs). Measured 2026-12-07 on
#: sign-ins: 1,380-1,450/s at 725-770 us of Sigil's CPU each, against 1,120-1,140/s at
#: 940-970 us with --workers 2 --threads 8; the hand-off to a request thread and back costs
#: about 200 us a request on either engine (SQLite with threads: 875-1,030 us)
POSTGRESQL_WORKERS = 4

#: the comparison the issue asks for: the embedded default against one and two instances
#: on PostgreSQL, each served the same way (on the I/O loop), and last one PostgreSQL
#: instance with request threads (the model for a database far away, where a worker would
#: otherwise sit idle for every round trip): what the threads cost
COMPARISON = (Setup("sqlite", 1, 2, 0), Setup("postgresql", 1, POSTGRESQL_WORKERS, 0),
              Setup("postgresql", 2, POSTGRESQL_WORKERS // 2, 0), Setup("postgresql", 1, 2, 8))


def setups(db: str | None, instances: int, workers: int | None, threads: int | None,
           comparison: tuple[Setup, ...] = COMPARISON) -> list[Setup]:
    """The comparison, or (``--db`` given) the one setup the flags describe."""
    if db is None:
        return [Setup(s.engine, s.instances, workers or s.workers, s.threads if threads is None else threads)
                for s in comparison]
    engine = "postgresql" if db.startswith("postgres") else "sqlite"
    default_workers = POSTGRESQL_WORKERS // instances if engine == "postgresql" else 2  # as in the comparison
    return [Setup(engine, instances, workers or max(default_workers, 1), 0 if threads is None else threads)]


class Databases:
    """Fresh databases for a benchmark's setups: temp SQLite files, and on PostgreSQL one
    throwaway server (started on first need, default durability) or the ``--db`` URL."""

    def __init__(self, tmp: Path, url: str | None = None) -> None:
        self.tmp = tmp
        self.url = url if url and url != "postgresql" and url.startswith("postgres") else None
        self._server: Any = None
        self._count = 0

    def new(self, engine: str) -> Path | str:
        self._count += 1
        if engine == "sqlite":
            return self.tmp / f"bench{self._count}.db"
        if self.url:
            return self.url
        if self._server is None:
            from tests.helpers.postgres import PostgresServer

            self._server = PostgresServer(durable=True)
        return str(self._server.new_database())

    @property
    def postgres_pid(self) -> int | None:
        """The postmaster of the throwaway server, whose CPU (with its backends) is measured."""
        return None if self._server is None else self._server.pid

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()


_SECRET: list[Path] = []


def bench_secret_file() -> Path:
    """One secret file (the signing keys' key-encryption key) for every instance of this run."""
    if not _SECRET:
        from auth_server.oauth.secret_file import make_secret_file

        _SECRET.append(make_secret_file(Path(tempfile.mkdtemp(prefix="sigil-bench-secret-")) / "secret.key"))
    return _SECRET[0]


def start_server(db: Path | str, workers: int, threads: int, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, int]:
    """Run the real server on a free loopback port (rate limits and access log off).

    Returns the process and the host and port it announced. ``env`` adds variables to a
    copy of this environment from which every ``SIGIL_*`` setting has been removed.
    """
    exe = ROOT / ".venv" / "bin" / "sigil-server"
    # the instances on one database share one secret file (PostgreSQL needs one given)
    secret = ["--secret-file", str(bench_secret_file())] if is_postgres(db) else []
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "auth_server.cli"]),
           "serve", "--port", "0", "--db", str(db), "--no-rate-limit", "--quiet",
           "--workers", str(workers), "--threads", str(threads), *secret]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SIGIL_")} | (env or {})
    # the server runs the tree this bench is in (a worktree's venv may be another checkout's)
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=child_env)
    deadline = time.time() + 20
    assert proc.stderr is not None
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        match = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if match:
            # the access log is off, so what the server says now is a warning or an error: pass it on
            threading.Thread(target=lambda: [sys.stderr.write(line) for line in proc.stderr], daemon=True).start()
            return proc, match.group(1), int(match.group(2))
    proc.kill()
    raise SystemExit("server did not start")


@dataclass(frozen=True)
class Running:
    """The instances of one setup: the host they listen on, their ports and process ids."""

    host: str
    ports: list[int]
    pids: list[int]


@contextmanager
def running(db: Path | str, setup: Setup, env: dict[str, str] | None = None) -> Iterator[Running]:
    """``setup.instances`` servers on ``db``, started one after another (the first one makes
    the id_token signing key the others read), all stopped at the end."""
    servers: list[tuple[subprocess.Popen, str, int]] = []
    try:
        for _ in range(setup.instances):
            servers.append(start_server(db, setup.workers, setup.threads, env=env))
        yield Running(servers[0][1], [port for _, _, port in servers], [proc.pid for proc, _, _ in servers])
    finally:
        for proc, _, _ in servers:
            proc.terminate()
        for proc, _, _ in servers:
            proc.wait(10)


def server_cpu_seconds(pid: int) -> float | None:
    """User+system CPU of the server and its worker processes (Linux /proc), else None.

    A child that exits between being listed and being read (PostgreSQL ends backends as
    connections close) is skipped: what it used shows up in its parent's reaped-children
    figures, and dropping the whole measurement for it made the report flap."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, pids, seen = 0.0, [pid], set()
    while pids:
        current = pids.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            used = (int(fields[11]) + int(fields[12])) / ticks
            if current == pid:  # and what its children that exited used (PostgreSQL's ended backends)
                used += (int(fields[13]) + int(fields[14])) / ticks
            children = [int(c) for task in Path(f"/proc/{current}/task").iterdir()
                        for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            if current == pid:
                return None
            continue
        total += used
        pids.extend(children)
    return total


#: the issue's goal: Sigil's own CPU per request on PostgreSQL at most this times its CPU on SQLite
CPU_RATIO_GOAL = 1.2


#: one measurement for print_cpu_per_request: (round, operation, setup label, Sigil's CPU per
#: request in us (every process of its instances), PostgreSQL's CPU per request in us or None)
CpuRow = tuple[int, str, str, "float | None", "float | None"]


def print_cpu_per_request(rows: list[CpuRow]) -> None:
    """The figures that hold on any machine: CPU per request, not requests per second.

    Each PostgreSQL row is set against the SQLite row of its operation *in the same round*:
    Sigil's CPU ratio (the goal), and the ratio with PostgreSQL's own CPU added (what the
    machine pays in all). With several rounds (the setups measured one after another, again
    and again) a slow minute of the shared machine skews one round, not the comparison: each
    figure is the median over the rounds, each ratio the median of the rounds' ratios, with
    their range.
    """
    base = {(rnd, op): cpu for rnd, op, label, cpu, _ in rows if label.startswith("SQLite") and cpu}
    rounds = len({rnd for rnd, *_ in rows})
    print(f"CPU per request (user+system time of the processes / requests served; "
          f"{'median of ' + str(rounds) + ' rounds, ratio range' if rounds > 1 else 'one round'}):")
    print(f"  {'operation':<18} {'setup':<44} {'Sigil':>8} {'PostgreSQL':>10} {'Sigil vs SQLite':>26} "
          f"{'all vs SQLite':>13}")
    keys = list(dict.fromkeys((op, label) for _, op, label, _, _ in rows))
    for op, label in keys:
        mine = [(rnd, cpu, db) for rnd, o, lab, cpu, db in rows if (o, lab) == (op, label)]
        cpus = [cpu for _, cpu, _ in mine if cpu is not None]
        dbs = [db for _, _, db in mine if db is not None]
        sigil = f"{median(cpus):.0f} us" if cpus else "n/a"
        pg = f"{median(dbs):.0f} us" if dbs else "-"
        ratio = total = ""
        if not label.startswith("SQLite"):
            ratios = [cpu / base[(rnd, op)] for rnd, cpu, _ in mine if cpu is not None and (rnd, op) in base]
            totals = [(cpu + (db or 0)) / base[(rnd, op)] for rnd, cpu, db in mine
                      if cpu is not None and (rnd, op) in base]
            if ratios:
                middle = median(ratios)
                spread = f" ({min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
                ratio = f"{middle:.2f}x{spread}" + (" ok" if middle <= CPU_RATIO_GOAL else " over")
                total = f"{median(totals):.2f}x"
        print(f"  {op:<18} {label:<44} {sigil:>8} {pg:>10} {ratio:>26} {total:>13}")
    print(f"  goal: Sigil's CPU per request on PostgreSQL at most {CPU_RATIO_GOAL}x its CPU on SQLite")
