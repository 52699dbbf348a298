"""Tokens verified per second, here and in the reference ``bitcoin-auth`` (Node), in one run.

Usage: .venv/bin/python -m bench.verify [--seconds 3] [--tokens 200]

Both sides verify the same pre-made tokens (fresh key each, no body) on one core,
so the ratio compares the verifiers alone. Sigil's verifier does strictly more work
(key binding, freshness window, canonical encodings).
"""

from __future__ import annotations

import argparse
import sys
import time

import coincurve

from auth_server.crypto import make_token, parse_token, verify_token
from tests.helpers.node_peer import NodePeer

PATH = "/api/auth/sign-in/sigma"


def measure_here(tokens: list[str], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for token in tokens:
            verify_token(token, PATH)
        count += len(tokens)
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--tokens", type=int, default=200)
    args = parser.parse_args()

    peer = NodePeer()
    print(f"{'scheme':<7} {'sigil/s':>10} {'bitcoin-auth/s':>15} {'ratio':>8}")
    try:
        for scheme in ("brc77", "bsm"):
            stamp = time.time()
            tokens = [make_token(coincurve.PrivateKey(), PATH, scheme=scheme, timestamp=stamp) for _ in range(args.tokens)]
            timestamp = parse_token(tokens[0]).timestamp
            here = measure_here(tokens, args.seconds)
            answer = peer.request(op="bench", tokens=tokens, requestPath=PATH, timestamp=timestamp, seconds=args.seconds)
            reference = answer["count"] / answer["elapsed"]
            print(f"{scheme:<7} {here:>10,.0f} {reference:>15,.0f} {here / reference:>7.1f}x")
    finally:
        peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
