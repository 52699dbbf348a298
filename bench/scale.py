"""What a request costs as the store grows: 10^4, 10^5 and 10^6 users, on SQLite and PostgreSQL.

A figure measured on an empty database says nothing about a year of use. For each size
this bench makes a fresh database (the real migrations), fills it in bulk, in SQL (a
recursive CTE on SQLite, ``generate_series`` on PostgreSQL; one row definition below for
both engines, with the repositories' own column names) with, per user, about one live
session, one consent and one refresh token, some access tokens, codes and replay claims,
plus 20 % of each table's size in expired rows (what the purge has to clear). Then it
starts the real ``sigil-server serve`` on it and measures over HTTP (bench/load.py), as
bench.token does:

- sign-in (``POST /api/auth/sign-in/sigma``, a fresh key each: a new user and session),
- code exchange (``authorization_code`` + PKCE by a ``client_secret_basic`` client, RS256
  id_token), for codes of users picked across the whole table,
- introspection and userinfo of the access tokens those exchanges gave,

each as Sigil's CPU per request (user+system time of the server's process tree divided by
the requests; PostgreSQL's own beside it) and p50/p99 latency. It prints the cost at the
largest size against the smallest per operation (goal: at most 1.3x), the query plan of
each hot statement (``EXPLAIN QUERY PLAN`` / ``EXPLAIN``: an index, never a scan of a
table), and the purge: the expired rows deleted by the server's own batching
(auth_server/store/purge.py) while sign-ins and introspections keep arriving, in rows per
second, with the requests' latency during the purge beside their latency before it.

    .venv/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--engine sqlite|postgresql|both]
        [--requests 2000] [--concurrency 16]

``--sizes 300 --requests 50`` runs in seconds. PostgreSQL is a throwaway server (Debian's
package, default durability), or ``--db postgresql://...`` (each size then empties that
database's tables first: give it one you do not need).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import coincurve

from auth_server import admin
from auth_server.oauth.endpoints import INTROSPECTION_PATH, USERINFO_PATH
from auth_server.oauth.pkce import s256_challenge
from auth_server.store import Store
from auth_server.store.hashing import hash_secret
from auth_server.store.models import AuthorizationCode
from auth_server.store.purge import BATCH, CODE_GRACE_SECONDS, PURGE_INTERVAL_SECONDS, ROUND_SECONDS, purge_round
from bench.load import Figures, build_request, drive
from bench.server import POSTGRESQL_WORKERS, Databases, Setup, running
from bench.signin import make_requests

TOKEN_PATH = "/api/auth/oauth2/token"
REDIRECT = "http://localhost:3000/auth/callback"
VERIFIER = "bench-scale-verifier-" + "v" * 40
SCOPE = "openid profile"
#: the issue's goal: a request at 10^6 users costs at most this times what it costs at 10^4
RATIO_GOAL = 1.3
#: one instance as each engine serves fastest on two cores (see bench/server.py's COMPARISON)
SETUPS = {"sqlite": Setup("sqlite", 1, 2, 0), "postgresql": Setup("postgresql", 1, POSTGRESQL_WORKERS, 0)}
OPERATIONS = ("sign-in", "code exchange", "introspection", "userinfo")
DAY = 86400.0


# --- the fill ---------------------------------------------------------------------------

def user_id(i: int) -> str:
    """The id of filled user ``i`` (1-based): what ``U(i)`` computes in SQL."""
    return hashlib.sha256(f"u{i}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Fill:
    """One table's bulk insert: ``rows`` rows, each column an SQL expression of ``i`` (1..rows)."""

    table: str
    rows: int
    columns: dict[str, str]


class Sql:
    """The few expressions the fill needs, in one engine's words: ``H(x)`` is the SHA-256 hex of
    the text ``x`` (a stored bearer secret's hash looks like this: random B-tree keys, not
    sequential ones), ``U(x)`` the id of filled user ``x`` (as :func:`user_id`)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def H(self, x: str) -> str:  # noqa: N802 - read as a formula
        return f"sha({x})" if self.dialect == "sqlite" else f"encode(sha256(convert_to({x}, 'UTF8')), 'hex')"

    def U(self, x: str) -> str:  # noqa: N802
        return "substr(" + self.H("'u' || (" + x + ")") + ", 1, 32)"


def fills(users: int, client_id: str, dialect: str, now: float) -> list[Fill]:
    """The store of ``users`` users: per user ~1 live session, consent and refresh token; access
    tokens, codes and replay claims of the last hour; and per table 20 % of ``users`` expired.
    Only numbers and the bench's own literals are formatted into the SQL."""
    q = Sql(dialect)
    H, U = q.H, q.U  # noqa: N806
    expired = max(1, users // 5)
    t = f"{now:.3f}"
    gone = f"{now - CODE_GRACE_SECONDS - 600:.3f}"  # past the purge's grace for codes and tokens
    owner = U(f"(i - 1) % {users} + 1")
    client = f"'{client_id}'"

    def live_then_expired(live: int, alive: str, dead: str) -> str:
        return f"CASE WHEN i <= {live} THEN {alive} ELSE {dead} END"

    access, codes, claims = max(1, users // 10), max(1, users // 100), max(1, users // 20)
    family = "substr(" + H("'f' || i") + ", 1, 32)"
    token = {"family_id": family, "client_id": client, "user_id": owner,
             "scope": f"'{SCOPE}'", "issued_at": f"{t} - 600"}
    return [
        Fill('"user"', users, {"id": U("i"), "pubkey": "'02' || " + H("'p' || i"), "name": "'user' || i",
                               '"emailVerified"': "0", '"createdAt"': f"{t} - i", '"updatedAt"': f"{t} - i"}),
        Fill('"session"', users + expired, {
            '"tokenHash"': H("'s' || i"), "id": "substr(" + H("'si' || i") + ", 1, 32)", '"userId"': owner,
            '"expiresAt"': live_then_expired(users, f"{t} + {7 * DAY:.0f}", f"{t} - 600"),
            '"ipAddress"': "'192.0.2.1'", '"userAgent"': "'bench.scale'", '"createdAt"': f"{t} - 3600",
            '"updatedAt"': f"{t} - 3600"}),
        Fill("oauth_consent", users, {"user_id": U("i"), "client_id": client, "scope": f"'{SCOPE}'",
                                      "updated_at": f"{t} - 3600"}),
        Fill("oauth_refresh_token", users + expired, {
            "token_hash": H("'r' || i"), **token, "auth_time": f"{now - 600:.0f}",
            "expires_at": live_then_expired(users, f"{t} + {30 * DAY:.0f}", gone), "rotated": "0", "revoked": "0"}),
        Fill("oauth_access_token", access + expired, {
            "token_hash": H("'a' || i"), **token, "expires_at": live_then_expired(access, f"{t} + 3600", gone),
            "revoked": "0"}),
        Fill("oauth_code", codes + expired, {
            "code_hash": H("'c' || i"), "client_id": client, "user_id": owner, "redirect_uri": f"'{REDIRECT}'",
            "scope": f"'{SCOPE}'", "code_challenge": "'x'", "auth_time": f"{now - 700:.0f}",
            "family_id": family,
            "expires_at": live_then_expired(codes, f"{t} + 600", gone), "used_at": f"{t} - 650"}),
        Fill("replay_guard", claims + expired, {
            "key": H("'k' || i"), '"expiresAt"': live_then_expired(claims, f"{t} + 300", f"{t} - 60")}),
    ]


def _sql(fill: Fill, dialect: str, lo: int, hi: int) -> str:
    """The INSERT of rows ``lo..hi`` of ``fill``."""
    columns = ", ".join(fill.columns)
    values = ", ".join(fill.columns.values())
    if dialect == "sqlite":
        return (f"WITH RECURSIVE g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g WHERE i < {hi}) "
                f"INSERT INTO {fill.table} ({columns}) SELECT {values} FROM g")
    return f"INSERT INTO {fill.table} ({columns}) SELECT {values} FROM generate_series({lo}, {hi}) AS g(i)"


CHUNK = 200_000


def fill_store(db: Path | str, users: int, client_id: str, now: float) -> dict[str, int]:
    """Bulk-insert :func:`fills` into the migrated database ``db``; the rows per table.

    Chunks of :data:`CHUNK` rows per transaction keep SQLite's WAL (and PostgreSQL's) small.
    PostgreSQL is vacuumed and analysed afterwards, as its autovacuum would do after such a load.
    """
    counts: dict[str, int] = {}
    if isinstance(db, Path):
        conn = sqlite3.connect(db, isolation_level=None)
        conn.create_function("sha", 1, lambda x: hashlib.sha256(x.encode()).hexdigest(), deterministic=True)
        conn.execute("PRAGMA synchronous = OFF")  # this connection only: a bench fill, not a write to keep
        for fill in fills(users, client_id, "sqlite", now):
            for lo in range(1, fill.rows + 1, CHUNK):
                conn.execute("BEGIN")
                conn.execute(_sql(fill, "sqlite", lo, min(fill.rows, lo + CHUNK - 1)))
                conn.execute("COMMIT")
            counts[fill.table] = fill.rows
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return counts
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        for fill in fills(users, client_id, "postgresql", now):
            for lo in range(1, fill.rows + 1, CHUNK):
                with conn.transaction():
                    conn.execute(_sql(fill, "postgresql", lo, min(fill.rows, lo + CHUNK - 1)))
            counts[fill.table] = fill.rows
        conn.execute("VACUUM ANALYZE")
    return counts


# --- the query plans ---------------------------------------------------------------------

#: the statements each measured request and the purge run, as the repositories write them
#: (the columns they read do not change a plan, so ``*``); each is checked for a scan
HOT_STATEMENTS: list[tuple[str, str, tuple]] = [
    ("user by pubkey (sign-in)", 'SELECT * FROM "user" WHERE pubkey = ?', ("02" + "0" * 64,)),
    ("user by id (userinfo, exchange)", 'SELECT * FROM "user" WHERE id = ?', ("0" * 32,)),
    ("session by token", 'SELECT * FROM "session" WHERE "tokenHash" = ? AND "expiresAt" > ?', ("0" * 64, 0.0)),
    ("sessions of a user", 'SELECT * FROM "session" WHERE "userId" = ? AND "expiresAt" > ? ORDER BY "createdAt"',
     ("0" * 32, 0.0)),
    ("challenge spent", 'DELETE FROM sigma_challenge WHERE nonce = ? AND "expiresAt" > ?', ("x", 0.0)),
    ("replay claim", 'UPDATE replay_guard SET "expiresAt" = ? WHERE key = ? AND "expiresAt" <= ?', (0.0, "x", 0.0)),
    ("groups of a user", 'SELECT "group" FROM user_group_member WHERE "userId" = ? ORDER BY "group"', ("0" * 32,)),
    ("client by id", "SELECT * FROM oauth_client WHERE client_id = ?", ("x",)),
    ("consent", "SELECT scope FROM oauth_consent WHERE user_id = ? AND client_id = ?", ("0" * 32, "x")),
    ("code by hash", "SELECT * FROM oauth_code WHERE code_hash = ?", ("0" * 64,)),
    ("code spent", "UPDATE oauth_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", (0.0, "0" * 64)),
    ("access token by hash", "SELECT * FROM oauth_access_token WHERE token_hash = ?", ("0" * 64,)),
    ("refresh token by hash", "SELECT * FROM oauth_refresh_token WHERE token_hash = ?", ("0" * 64,)),
    ("family revoked (reuse)", "UPDATE oauth_access_token SET revoked = 1 WHERE family_id = ?", ("0" * 32,)),
    *[(f"purge {table}", f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {expiry} <= ? LIMIT ?)",
       (0.0, BATCH))
      for table, key, expiry in (('"session"', "id", '"expiresAt"'), ("replay_guard", "key", '"expiresAt"'),
                                 ("oauth_code", "code_hash", "expires_at"),
                                 ("oauth_access_token", "token_hash", "expires_at"),
                                 ("oauth_refresh_token", "token_hash", "expires_at"))],
]


def query_plans(db: Path | str) -> list[tuple[str, str, bool]]:
    """(statement, plan in one line, uses an index) for each of :data:`HOT_STATEMENTS` on ``db``."""
    rows = []
    if isinstance(db, Path):
        conn = sqlite3.connect(db)
        for name, sql, params in HOT_STATEMENTS:
            details = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            # "SCAN t" reads the whole table (or index); SEARCH ... USING (PRIMARY KEY|INDEX) does not
            scans = [d for d in details if d.startswith("SCAN") and "CONSTANT ROW" not in d]
            rows.append((name, "; ".join(details), not scans))
        conn.close()
        return rows
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        # PostgreSQL rightly reads a table of a few pages whole; with scans priced out, a
        # plan still scans only where no index can serve the statement
        conn.execute("SET enable_seqscan = off")
        for name, sql, params in HOT_STATEMENTS:
            # the purge's batch as auth_server/store/engine.py writes it for PostgreSQL
            sql = sql.replace("LIMIT ?)", "LIMIT ? FOR UPDATE SKIP LOCKED)")
            plan = [r[0] for r in conn.execute("EXPLAIN " + sql.replace("?", "%s"), params)]
            rows.append((name, " / ".join(p.strip() for p in plan if "Scan" in p or "Update" in p
                                          or "Delete" in p)[:160], not any("Seq Scan" in p for p in plan)))
    return rows


# --- the requests ------------------------------------------------------------------------

def basic(host: str, port: int, client_id: str, secret: str, method: str, path: str,
          form: dict[str, str] | None = None, bearer: str | None = None) -> bytes:
    """A request of a ``client_secret_basic`` client (or, with ``bearer``, of an access token)."""
    if bearer is not None:
        return build_request(method, path, host, port, {"Authorization": f"Bearer {bearer}"})
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return build_request(method, path, host, port, {"Content-Type": "application/x-www-form-urlencoded",
                                                    "Authorization": f"Basic {credentials}"},
                         urlencode(form or {}).encode())


def add_codes(store: Store, client_id: str, users: int, count: int) -> list[str]:
    """``count`` fresh codes for filled users picked across the whole table (not the newest few,
    whose pages a cache would hold). The fill's pubkeys are hashes, not curve points (SQL cannot
    make those): each picked user is given a real one first, as the id_token and userinfo
    derive its BAP ID from it."""
    challenge, now, codes = s256_challenge(VERIFIER), time.time(), []
    picked = [secrets.randbelow(users) + 1 for _ in range(count)]
    with store.write() as conn:
        for i in set(picked):
            pubkey = coincurve.PrivateKey().public_key.format().hex()
            conn.execute('UPDATE "user" SET pubkey = ? WHERE id = ?', (pubkey, user_id(i)))
    for i in picked:
        code = secrets.token_urlsafe(32)
        store.oauth.codes.add(AuthorizationCode(
            hash_secret(code), client_id, user_id(i), None, REDIRECT, SCOPE, challenge,
            "nonce", int(now), secrets.token_hex(16), now + 600, None))
        codes.append(code)
    return codes


@dataclass
class Purge:
    """What one purge of the filled expired rows did while requests kept arriving."""

    rows: int = 0
    seconds: float = 0.0
    rounds: int = 0
    by_table: Counter = field(default_factory=Counter)
    error: str | None = None  # what stopped it (an outage, a deadlock), printed with its figures

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


#: what the purge deletes, table by table: (table, its expiry column, kept past expiry for)
EXPIRING = (('"session"', '"expiresAt"', 0.0), ("replay_guard", '"expiresAt"', 0.0),
            ("oauth_code", "expires_at", CODE_GRACE_SECONDS), ("oauth_access_token", "expires_at", CODE_GRACE_SECONDS),
            ("oauth_refresh_token", "expires_at", CODE_GRACE_SECONDS))


def expired_rows(store: Store, now: float) -> int:
    """How many rows the purge would delete at ``now`` (counted on the expiry indexes)."""
    return sum(store.conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {expiry} <= ?",
                                  (now - grace,)).fetchone()["n"] for table, expiry, grace in EXPIRING)


def purge_all(store: Store, into: Purge) -> None:
    """Rounds of the server's purge (auth_server/store/purge.py: its batches, its rests) until the
    expired rows are gone, as its thread runs them on a backlog. The rows counted are all that
    went in the meantime: the server's own purge threads (one per worker, a round a minute
    after start) may take a share, as they would in production."""
    began, now = time.perf_counter(), time.time()
    before = expired_rows(store, now)
    clear = False
    try:
        while not clear:
            counts, clear = purge_round(store, now)
            into.rounds += 1
            into.by_table.update(counts)
    except Exception as exc:  # noqa: BLE001 - a figure, not a crash: the report says what happened
        into.error = f"{type(exc).__name__}: {exc}"
    into.seconds = time.perf_counter() - began
    into.rows = before - expired_rows(store, now)


@dataclass
class SizeFigures:
    engine: str
    users: int
    fill_seconds: float
    rows: int
    ops: dict[str, Figures]
    plans: list[tuple[str, str, bool]]
    purge: Purge
    during_purge: dict[str, Figures]


def measure(engine: str, users: int, databases: Databases, args: argparse.Namespace) -> SizeFigures:
    db = databases.new(engine)
    if isinstance(db, str) and databases.url:  # an operator's database: start from empty tables
        _empty(db)
    store = Store.open(db)
    client = admin.register_client(store, "Bench scale", [REDIRECT], auth_method="client_secret_basic")
    secret = client.client_secret or ""
    store.close()
    label = f"{'SQLite' if engine == 'sqlite' else 'PostgreSQL'}, {users:,} users"
    began = time.perf_counter()
    rows = sum(fill_store(db, users, client.client_id, time.time()).values())
    fill_seconds = time.perf_counter() - began
    print(f"{label}: {rows:,} rows filled in {fill_seconds:.1f} s", file=sys.stderr)
    plans = query_plans(db)
    setup = SETUPS[engine]
    database_pid = databases.postgres_pid if engine == "postgresql" else None
    count, conc = args.requests, args.concurrency
    with running(db, setup) as served:
        started = time.monotonic()
        host, port, ports, pids = served.host, served.ports[0], served.ports, served.pids
        store = Store.open(db, migrate_now=False)

        def run(requests: list[bytes], keep: bool = False) -> Figures:
            return drive(host, ports, requests, conc, server_pid=pids, keep_bodies=keep, database_pid=database_pid)

        ops: dict[str, Figures] = {}
        ops["sign-in"] = run(make_requests(host, port, count))
        exchanges = [basic(host, port, client.client_id, secret, "POST", TOKEN_PATH, {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER})
            for code in add_codes(store, client.client_id, users, count)]
        ops["code exchange"] = run(exchanges, keep=True)
        tokens = [json.loads(b)["access_token"] for b in ops["code exchange"].bodies]
        introspections = [basic(host, port, client.client_id, secret, "POST", INTROSPECTION_PATH, {"token": t})
                          for t in tokens]
        ops["introspection"] = run(introspections, keep=True)
        assert all(json.loads(b)["active"] for b in ops["introspection"].bodies)
        userinfos = [basic(host, port, "", "", "GET", USERINFO_PATH, bearer=t) for t in tokens]
        ops["userinfo"] = run(userinfos)

        if time.monotonic() - started > PURGE_INTERVAL_SECONDS:
            print(f"{label}: the operations took over {PURGE_INTERVAL_SECONDS:.0f} s: the server's own purge "
                  "(and its CPU) may be in their figures; use fewer --requests", file=sys.stderr)
        # the purge, as the server runs it, while sign-ins (writes) and introspections keep coming
        signins = make_requests(host, port, count)
        purge = Purge()
        purger = threading.Thread(target=purge_all, args=(store, purge), daemon=True)
        purger.start()
        during = {"sign-in": run(signins)}
        while purger.is_alive():
            during["introspection"] = run(introspections)
        purger.join()
        store.close()
    print(f"{label}: measured; purge {purge.rows:,} rows in {purge.seconds:.1f} s", file=sys.stderr)
    return SizeFigures(engine, users, fill_seconds, rows, ops, plans, purge, during)


def _empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('TRUNCATE "user", "session", oauth_consent, oauth_refresh_token, oauth_access_token, oauth_code,'
                     " replay_guard, oauth_client CASCADE")


# --- the report --------------------------------------------------------------------------

def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} us"


def engine_versions() -> dict[str, str]:
    versions = {"SQLite": sqlite3.sqlite_version}
    try:
        from tests.helpers.postgres import PG_BIN

        out = subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True, text=True, timeout=10)
        versions["PostgreSQL"] = out.stdout.strip().rsplit(" ", 1)[-1].strip("()")
    except (OSError, subprocess.SubprocessError, ImportError):
        versions["PostgreSQL"] = "n/a"
    return versions


def report(results: list[SizeFigures]) -> None:
    versions = engine_versions()
    print(f"bench.scale, {datetime.date.today().isoformat()}, {os.cpu_count()} CPUs (the server, PostgreSQL and the "
          f"load generator share them), SQLite {versions['SQLite']}, PostgreSQL {versions['PostgreSQL']}")
    print(f"{'engine':<11} {'users':>9} {'rows':>10} {'fill s':>7} {'operation':<14} {'req/s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'Sigil CPU':>10} {'PostgreSQL':>10}")
    for r in results:
        name = "SQLite" if r.engine == "sqlite" else "PostgreSQL"
        for op in OPERATIONS:
            f = r.ops[op]
            print(f"{name:<11} {r.users:>9,} {r.rows:>10,} {r.fill_seconds:>7.1f} {op:<14} {f.rate:>7.0f} "
                  f"{f.p50_ms:>7.2f} {f.p99_ms:>7.2f} {_us(f.server_cpu_us):>10} {_us(f.database_cpu_us):>10}")
    print(f"cost at the largest size against the smallest (goal: at most {RATIO_GOAL}x; Sigil's CPU per request, "
          "PostgreSQL's CPU, p50 latency):")
    for engine in ("sqlite", "postgresql"):
        sized = sorted((r for r in results if r.engine == engine), key=lambda r: r.users)
        if len(sized) < 2:
            continue
        small, large = sized[0], sized[-1]
        for op in OPERATIONS:
            a, b = small.ops[op], large.ops[op]
            cpu = (b.server_cpu_us / a.server_cpu_us) if a.server_cpu_us and b.server_cpu_us else None
            db = (b.database_cpu_us / a.database_cpu_us) if a.database_cpu_us and b.database_cpu_us else None
            verdict = "" if cpu is None else (" ok" if cpu <= RATIO_GOAL else " over")
            print(f"  {engine:<11} {op:<14} {large.users:,}/{small.users:,} users: CPU "
                  f"{'n/a' if cpu is None else f'{cpu:.2f}x'}{verdict}, PostgreSQL CPU "
                  f"{'-' if db is None else f'{db:.2f}x'}, p50 {b.p50_ms / a.p50_ms:.2f}x")
    print("query plans of the hot statements (index: no scan of a table):")
    for r in results:
        scans = [(name, plan) for name, plan, ok in r.plans if not ok]
        print(f"  {r.engine:<11} {r.users:>9,} users: {len(r.plans) - len(scans)} of {len(r.plans)} use an index"
              + "".join(f"\n    SCAN: {name}: {plan}" for name, plan in scans))
    print(f"purge of the expired rows (the server's own rounds: {BATCH} rows a transaction, a rest as long as "
          f"each batch after it, rounds of at most {ROUND_SECONDS:.0f} s every {PURGE_INTERVAL_SECONDS:.0f} s, at "
          "once while a backlog lasts), while requests keep arriving:")
    for r in results:
        p, base = r.purge, r.ops
        line = (f"  {r.engine:<11} {r.users:>9,} users: {p.rows:,} rows in {p.seconds:.2f} s ({p.rate:,.0f} rows/s, "
                f"{p.rounds} rounds{'' if p.error is None else '; STOPPED by ' + p.error})")
        for op, f in r.during_purge.items():
            line += (f"; {op} meanwhile p50 {f.p50_ms:.2f} / p99 {f.p99_ms:.2f} ms "
                     f"(before: {base[op].p50_ms:.2f} / {base[op].p99_ms:.2f})")
        print(line)
        # what serving at the measured rates all day leaves to purge: a sign-in expires a replay
        # claim and a session, an exchange a code, an access and a refresh token
        per_second = base["sign-in"].rate * 2 + base["code exchange"].rate * 3
        print(f"    at this size's measured rates, non-stop for a day: {per_second:,.0f} rows/s expire "
              f"({per_second * DAY:,.0f} a day); the purge deletes {p.rate:,.0f}/s: "
              f"{'keeps up' if p.rate >= per_second else 'falls behind'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="users per database, comma-separated")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=2000, help="requests per operation and size")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--db", default=None,
                        help="a postgresql:// URL to use instead of a throwaway server (its tables are emptied)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    results: list[SizeFigures] = []
    with tempfile.TemporaryDirectory(prefix="sigil-bench-scale-") as tmp:
        databases = Databases(Path(tmp), args.db)
        try:
            for engine in engines:
                for users in sizes:
                    results.append(measure(engine, users, databases, args))
                    if engine == "sqlite":  # a 10^6 file is ~2 GB: drop it before the next
                        for path in Path(tmp).glob("bench*.db*"):
                            path.unlink()
        finally:
            databases.close()
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
