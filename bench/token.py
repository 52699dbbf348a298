"""Code exchanges and introspections per second against ``sigil-server serve``.

Starts the real server as a subprocess (temp database, rate limits off, no access log),
registers two clients and writes authorization codes straight into its database (the
authorize step is a browser round trip and not what is measured here), then drives
``POST /api/auth/oauth2/token`` (authorization_code with PKCE; each answer carries an
RS256 id_token) and ``POST /api/auth/oauth2/introspect`` over keep-alive connections
(bench/load.py): once for a Sigma client, with one X-Auth-Token pre-signed per request by
its member key (every token is single use), and once for a standard client
authenticating with ``client_secret_basic``. Prints req/s, p50, p99 and the server's CPU
per request.

    .venv/bin/python -m bench.token [--codes 4000] [--basic-codes 4000] [--introspections 12000]
        [--concurrency 32] [--workers 3] [--db postgresql[://...]] [--instances 2] [--rounds 3]

Without ``--db`` it compares, in one run: SQLite with one instance, PostgreSQL with one
and with two instances, all serving requests on their workers' I/O loops, and one
PostgreSQL instance with request threads (a throwaway PostgreSQL with default durability;
bench/server.py's ``COMPARISON`` says why).

Targets: 800 code exchanges/s and 5,000 introspections/s on a 2-core machine (for scale:
Ory Hydra publishes 513 client-credentials grants/s on 2 vCPU). The load generator runs
on the same two cores as the server, so the figures are lower bounds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import coincurve

from auth_server import admin
from auth_server.crypto import make_token
from auth_server.oauth.clients import new_client
from auth_server.oauth.pkce import s256_challenge
from auth_server.store.hashing import hash_secret
from auth_server.store import Store
from auth_server.store.models import AuthorizationCode
from bench.load import Figures, build_request, drive
from bench.server import DB_HELP, POSTGRESQL_WORKERS, Databases, Setup, print_cpu_per_request, running, setups

TOKEN_PATH = "/api/auth/oauth2/token"
INTROSPECT_PATH = "/api/auth/oauth2/introspect"
REDIRECT = "http://localhost:3000/auth/sigma/callback"
VERIFIER = "bench-verifier-" + "v" * 40

#: code exchanges sign an RS256 id_token each (~400 us of CPU): one more worker than cores on
#: SQLite evens out the kernel's uneven share of connections between workers
COMPARISON = (Setup("sqlite", 1, 3, 0), Setup("postgresql", 1, POSTGRESQL_WORKERS, 0),
              Setup("postgresql", 2, POSTGRESQL_WORKERS // 2, 0), Setup("postgresql", 1, 2, 8))


def report(name: str, figures: Figures, target: float) -> None:
    """One line: rate, p50, p99, server CPU per request (all its processes) and the verdict."""
    cpu = "" if figures.server_cpu_us is None else f"   CPU/req: server {figures.server_cpu_us:4.0f} us"
    if figures.database_cpu_us is not None:
        cpu += f" + PostgreSQL {figures.database_cpu_us:4.0f} us"
    cpu += f", load generator {figures.client_cpu_us:3.0f} us"
    verdict = "meets" if figures.rate >= target else "below"
    print(f"  {name:<14} {figures.rate:>7.0f}/s   p50 {figures.p50_ms:6.1f} ms   p99 {figures.p99_ms:6.1f} ms{cpu}"
          f"   ({verdict} target {target:,.0f}/s)")


def signed(host: str, port: int, key: coincurve.PrivateKey, path: str, form: dict[str, str]) -> bytes:
    """A form POST with a fresh X-Auth-Token over its body, as the Sigma client sends it."""
    body = urlencode(form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Auth-Token": make_token(key, path, body=body)}
    return build_request("POST", path, host, port, headers, body.encode())


def basic(host: str, port: int, client_id: str, secret: str, path: str, form: dict[str, str]) -> bytes:
    """A form POST authenticated with ``client_secret_basic``, as a standard OIDC library sends it."""
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {credentials}"}
    return build_request("POST", path, host, port, headers, urlencode(form).encode())


def add_codes(store: Store, client_id: str, users: list, count: int) -> list[str]:
    """``count`` fresh authorization codes of ``client_id`` (PKCE challenge of VERIFIER)."""
    challenge = s256_challenge(VERIFIER)
    now = time.time()
    codes = []
    for i in range(count):
        code = secrets.token_urlsafe(32)
        user = users[i % len(users)]
        store.oauth.codes.add(AuthorizationCode(
            hash_secret(code), client_id, user.id, user.bap_id, REDIRECT, "openid profile",
            challenge, "nonce", int(now), secrets.token_hex(16), now + 600, None))
        codes.append(code)
    return codes


def measure(setup: Setup, databases: Databases, args: argparse.Namespace) -> dict[str, Figures]:
    """Code exchanges, then introspections of the tokens they gave, on ``setup``; the figures by operation."""
    db = databases.new(setup.engine)
    # the instances share the signing keys through the database (and bench.server's one secret file)
    env = {"SIGIL_ID_TOKEN_ALG": args.alg, "SIGIL_SINGLE_USE_INTROSPECTION": "1" if args.single_use_introspection else "0"}
    database_pid = databases.postgres_pid if setup.engine == "postgresql" else None
    with running(db, setup, env) as served:
        host, port, ports, pids = served.host, served.ports[0], served.ports, served.pids
        store = Store.open(db)
        member = coincurve.PrivateKey()
        client = new_client("Bench", [REDIRECT], member.public_key.format().hex(), now=time.time())
        store.oauth.clients.add(client)
        users = [store.users.create(coincurve.PrivateKey().public_key.format().hex(), f"user{i}", time.time())[0]
                 for i in range(50)]
        standard = admin.register_client(store, "Bench standard", [REDIRECT], auth_method="client_secret_basic")
        basic_count = args.codes if args.basic_codes is None else args.basic_codes
        print(f"{setup.label}: preparing {args.codes} + {basic_count} codes and signed requests...", file=sys.stderr)
        exchanges = [signed(host, port, member, TOKEN_PATH, {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": client.client_id, "code_verifier": VERIFIER})
            for code in add_codes(store, client.client_id, users, args.codes)]
        basic_exchanges = [basic(host, port, standard.client_id, standard.client_secret or "", TOKEN_PATH, {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER})
            for code in add_codes(store, standard.client_id, users, basic_count)]
        store.close()

        load = os.getloadavg()[0]
        exchanged = drive(host, ports, exchanges, args.concurrency, server_pid=pids, keep_bodies=True,
                          database_pid=database_pid)
        print(f"{setup.label}; id_token {args.alg}; {args.concurrency} keep-alive connections from 2 processes on "
              f"the same machine (load average before: {load:.2f})")
        report("code exchange", exchanged, 800)
        basic_exchanged = drive(host, ports, basic_exchanges, args.concurrency, server_pid=pids, keep_bodies=True,
                                database_pid=database_pid)
        assert all("id_token" in json.loads(b) for b in basic_exchanged.bodies)
        report("exchange (basic)", basic_exchanged, 800)
        access_tokens = [json.loads(b)["access_token"] for b in exchanged.bodies]

        introspections = [signed(host, port, member, INTROSPECT_PATH, {
            "token": access_tokens[i % len(access_tokens)], "client_id": client.client_id})
            for i in range(args.introspections)]
        introspected = drive(host, ports, introspections, args.concurrency, server_pid=pids, keep_bodies=True,
                             database_pid=database_pid)
        assert all(json.loads(b)["active"] for b in introspected.bodies)
        report("introspection", introspected, 5000)
    return {"code exchange": exchanged, "exchange (basic)": basic_exchanged, "introspection": introspected}

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=4000)
    parser.add_argument("--basic-codes", type=int, default=None,
                        help="code exchanges of the client_secret_basic client (default: as many as --codes)")
    parser.add_argument("--introspections", type=int, default=12000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes per instance (default: as in the comparison; 2 with --db)")
    parser.add_argument("--server-threads", type=int, default=None,
                        help="sigil-server serve --threads (default: as in the comparison; with --db 8 on PostgreSQL, else 0)")
    parser.add_argument("--alg", choices=("RS256", "ES256"), default="RS256", help="id_token signing algorithm")
    parser.add_argument("--single-use-introspection", action="store_true",
                        help="serve with SIGIL_SINGLE_USE_INTROSPECTION=1 (each introspection claims its token)")
    parser.add_argument("--db", default=None, help=DB_HELP)
    parser.add_argument("--instances", type=int, default=1,
                        help="with --db: separate sigil-server serve processes on one database (the load is spread "
                             "over them)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure every setup this many times, one after another, and compare the medians")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp:
        databases = Databases(Path(tmp), args.db)
        try:
            measured = [(rnd, setup, measure(setup, databases, args)) for rnd in range(1, args.rounds + 1)
                        for setup in setups(args.db, args.instances, args.workers, args.server_threads, COMPARISON)]
        finally:
            databases.close()
    print_cpu_per_request([(rnd, op, setup.label, figures.server_cpu_us, figures.database_cpu_us)
                           for op in ("code exchange", "exchange (basic)", "introspection")
                           for rnd, setup, by_op in measured for figures in [by_op[op]]])
    print(f"load average before the run: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} (other work on the "
          "machine skews figures: compare setups of one run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
