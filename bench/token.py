"""Code exchanges and introspections per second against ``sigil-server serve``.

Starts the real server as a subprocess (temp database, rate limits off, no access log),
registers a client and writes authorization codes straight into its database (the
authorize step is a browser round trip and not what is measured here), pre-signs one
X-Auth-Token per request with the client's member key (every token is single use), then
drives ``POST /api/auth/oauth2/token`` (authorization_code with PKCE; each answer carries
an RS256 id_token) and ``POST /api/auth/oauth2/introspect`` from client processes whose
threads keep their connections alive. Prints req/s, p50 and p99.

    .venv/bin/python -m bench.token [--codes 4000] [--introspections 12000] [--concurrency 16]

Targets: 800 code exchanges/s and 5,000 introspections/s on a 2-core machine (for scale:
Ory Hydra publishes 513 client-credentials grants/s on 2 vCPU). The load generator runs
on the same two cores as the server, so the figures are lower bounds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import coincurve

from auth_server.crypto import make_token
from auth_server.oauth.clients import new_client
from auth_server.oauth.pkce import s256_challenge
from auth_server.oauth.secrets import hash_credential
from auth_server.store import Store
from auth_server.store.oauth import AuthorizationCode
from bench.lean_http import LeanConnection
from bench.server import start_server

TOKEN_PATH = "/api/auth/oauth2/token"
INTROSPECT_PATH = "/api/auth/oauth2/introspect"
REDIRECT = "http://localhost:3000/auth/sigma/callback"
VERIFIER = "bench-verifier-" + "v" * 40

Request = tuple[str, bytes, str]  # path, body, X-Auth-Token


def client_process(host: str, port: int, threads: int, requests: list[Request], start_at: float,
                   out: mp.Queue) -> None:
    shares = [requests[i::threads] for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    bodies: list[list[bytes]] = [[] for _ in range(threads)]
    errors: list[str] = []

    def worker(index: int) -> None:
        conn = LeanConnection(host, port)
        own, kept = latencies[index], bodies[index]
        for path, body, token in shares[index]:
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Auth-Token": token}
            began = time.perf_counter()
            status, data = conn.request("POST", path, headers, body)
            own.append(time.perf_counter() - began)
            if status != 200:
                errors.append(f"{status} {data[:200]!r}")
            kept.append(data)
        conn.close()

    while time.time() < start_at:
        time.sleep(0.001)
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(([x for own in latencies for x in own], errors, [b for kept in bodies for b in kept]))


def drive(host: str, port: int, requests: list[Request], concurrency: int, processes: int = 2
          ) -> tuple[float, list[float], list[bytes]]:
    """Send ``requests`` from ``processes`` x ``concurrency/processes`` keep-alive clients."""
    out: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    per = max(1, concurrency // processes)
    procs = [mp.Process(target=client_process, args=(host, port, per, requests[i::processes], start_at, out))
             for i in range(processes)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = time.time() - start_at
    for p in procs:
        p.join()
    latencies = [x for r in results for x in r[0]]
    errors = [e for r in results for e in r[1]]
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return len(latencies) / elapsed, latencies, [b for r in results for b in r[2]]


def report(name: str, rate: float, latencies: list[float], target: float) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    verdict = "meets" if rate >= target else "below"
    print(f"{name:<16} {rate:>9.0f}/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({verdict} target {target:,.0f}/s)")


def signed(key: coincurve.PrivateKey, path: str, form: dict[str, str]) -> Request:
    body = urlencode(form)
    return path, body.encode(), make_token(key, path, body=body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=4000)
    parser.add_argument("--introspections", type=int, default=12000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server processes sharing the socket")
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--alg", choices=("RS256", "ES256"), default="RS256", help="id_token signing algorithm")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp:
        db = Path(tmp) / "sigil.db"
        proc, host, port = start_server(db, args.workers, args.server_threads, env={"SIGIL_ID_TOKEN_ALG": args.alg})
        try:
            store = Store.open(db)
            member = coincurve.PrivateKey()
            client = new_client("Bench", [REDIRECT], member.public_key.format().hex(), now=time.time())
            store.oauth.clients.add(client)
            users = [store.users.create(coincurve.PrivateKey().public_key.format().hex(), f"user{i}", time.time())[0]
                     for i in range(50)]
            print(f"preparing {args.codes} codes and signed requests...", file=sys.stderr)
            challenge = s256_challenge(VERIFIER)
            exchanges: list[Request] = []
            now = time.time()
            for i in range(args.codes):
                code = secrets.token_urlsafe(32)
                user = users[i % len(users)]
                store.oauth.codes.add(AuthorizationCode(
                    hash_credential(code), client.client_id, user.id, user.bap_id, REDIRECT, "openid profile",
                    challenge, "nonce", int(now), secrets.token_hex(16), now + 600, None))
                exchanges.append(signed(member, TOKEN_PATH, {
                    "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                    "client_id": client.client_id, "code_verifier": VERIFIER}))
            store.close()

            rate, latencies, bodies = drive(host, port, exchanges, args.concurrency)
            load = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() else "?"
            print(f"server: {args.workers} processes x {args.server_threads} threads, id_token {args.alg}; clients: {args.concurrency} keep-alive "
                  f"connections in 2 processes on the same machine (load average before the run: {load})")
            report("code exchange", rate, latencies, 800)
            access_tokens = [json.loads(b)["access_token"] for b in bodies]

            introspections = [signed(member, INTROSPECT_PATH, {
                "token": access_tokens[i % len(access_tokens)], "client_id": client.client_id})
                for i in range(args.introspections)]
            rate, latencies, bodies = drive(host, port, introspections, args.concurrency)
            assert all(json.loads(b)["active"] for b in bodies)
            report("introspection", rate, latencies, 5000)
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
