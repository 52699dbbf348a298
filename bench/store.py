"""What a sign-in's database work costs each engine, with nothing else running.

The HTTP benches (bench/signin.py) measure whole requests on two shared cores, where the
server, the load generator and PostgreSQL compete. This one isolates the part that differs
between the engines: exactly the store calls a sign-in makes (``signins.record``: spend
nothing, claim the token, find or make the user, record the session, one commit; on SQLite
after ``users.get_by_pubkey``, while PostgreSQL's one call finds the user itself), one after
another from one thread, on an idle machine. It prints
the CPU per sign-in of this process (on SQLite that is all of it: the engine runs
in-process) and of PostgreSQL's processes (the backend, the WAL writer and the rest of
its own server), and how PostgreSQL's total compares with SQLite's.

    .venv/bin/python -m bench.store [--signins 3000] [--db postgresql://...]

Without ``--db`` it starts a throwaway PostgreSQL (Debian's package, default durability:
``fsync`` and ``synchronous_commit`` on, as SQLite's ``synchronous=NORMAL`` WAL is durable
against crashes of the application). With ``--db`` PostgreSQL's own CPU is not visible
and is printed as n/a.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

from auth_server.store import Store
from auth_server.store.signins import SignInRecord
from auth_server.store.users import new_id
from bench.server import Databases, server_cpu_seconds


def records(count: int, now: float, *, find_user: bool) -> list[SignInRecord]:
    """One first sign-in of a fresh key each (the bench.signin workload), without a challenge."""
    return [SignInRecord(now=now, replay_key=secrets.token_hex(32), replay_expires_at=now + 600, challenge=None,
                         pubkey="02" + secrets.token_hex(32), user=None, new_user_id=new_id(),
                         new_user_name="1" + secrets.token_hex(16), bap_id=secrets.token_hex(14),
                         session_expires_at=now + 7 * 86400, ip_address="127.0.0.1",
                         user_agent="bench.store", subscription=False, find_user=find_user)
            for _ in range(count)]


def sign_in(store: Store, record: SignInRecord) -> None:
    """The store calls of one sign-in, as auth_server/signin.py makes them."""
    if not record.find_user:
        store.users.get_by_pubkey(record.pubkey)
    store.signins.record(record, secrets.token_urlsafe(32))


def measure(store: Store, count: int, database_pid: int | None) -> tuple[float, float, float | None]:
    """Sign-ins/s, this process's CPU µs per sign-in, the database server's (None: not visible)."""
    find_user = store.signins.finds_user(invitation=False)
    warm = records(100, time.time(), find_user=find_user)
    work = records(count, time.time(), find_user=find_user)
    for record in warm:  # statements prepared, caches and pool filled
        sign_in(store, record)
    database_before = server_cpu_seconds(database_pid) if database_pid else None
    cpu_before, began = time.process_time(), time.perf_counter()
    for record in work:
        sign_in(store, record)
    elapsed, own_cpu = time.perf_counter() - began, time.process_time() - cpu_before
    database_cpu = None
    if database_before is not None:
        database_after = server_cpu_seconds(database_pid)  # type: ignore[arg-type]
        database_cpu = None if database_after is None else (database_after - database_before) / count * 1e6
    return count / elapsed, own_cpu / count * 1e6, database_cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signins", type=int, default=3000)
    parser.add_argument("--db", default=None, help="postgresql:// URL (default: a throwaway server)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sigil-bench-store-") as tmp:
        databases = Databases(Path(tmp), args.db)
        try:
            for name, engine in (("SQLite", "sqlite"), ("PostgreSQL", "postgresql")):
                store = Store.open(databases.new(engine))
                try:
                    pid = databases.postgres_pid if engine == "postgresql" else None
                    rows.append((name, *measure(store, args.signins, pid)))
                finally:
                    store.close()
        finally:
            databases.close()
    print(f"a sign-in's store calls, one thread, {args.signins} fresh-key sign-ins each")
    print(f"{'engine':<11} {'sign-ins/s':>10} {'this process':>13} {'+ database':>11} {'= CPU':>8}")
    totals = {}
    for name, rate, own, database in rows:
        total = own + (database or 0.0)
        totals[name] = total
        shown = "n/a" if database is None else f"{database:.0f} us"
        print(f"{name:<11} {rate:>10.0f} {own:>10.0f} us {shown:>11} {total:>5.0f} us")
    sqlite, postgres = totals["SQLite"], totals["PostgreSQL"]
    print(f"PostgreSQL / SQLite CPU per sign-in: {postgres / sqlite:.2f}x (extra {postgres - sqlite:.0f} us per "
          "sign-in, which every request on cores shared with PostgreSQL pays on top of the same HTTP work)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
