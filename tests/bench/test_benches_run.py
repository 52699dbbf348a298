"""The HTTP and verification benchmarks still run end to end (tiny sizes, figures not judged).

Speed is measured by the benches themselves (``make bench``), never asserted here; this
only keeps them from rotting: each must start the real server, get 200 for every request
and print its figures.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_signin_bench_prints_every_level():
    out = run_bench("bench.signin", "--requests", "60", "--levels", "1,4")
    rows = re.findall(r"^\s+(\d+)\s+60\s+0\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+ us$", out, re.MULTILINE)
    assert rows == ["1", "4"], out


def test_token_bench_prints_exchanges_and_introspections():
    out = run_bench("bench.token", "--codes", "40", "--introspections", "80", "--concurrency", "4", "--workers", "2")
    assert re.search(r"^code exchange\s+\d+/s .* CPU/req: server\s+\d+ us", out, re.MULTILINE), out
    assert re.search(r"^exchange \(basic\)\s+\d+/s .* CPU/req: server\s+\d+ us", out, re.MULTILINE), out
    assert re.search(r"^introspection\s+\d+/s .* CPU/req: server\s+\d+ us", out, re.MULTILINE), out


def test_verify_bench_measures_the_reference_too():
    out = run_bench("bench.verify", "--seconds", "0.3", "--tokens", "20")
    assert re.search(r"^brc77\s+[\d,]+\s+[\d,]+\s+[\d.]+x$", out, re.MULTILINE), out
    assert re.search(r"^bsm\s+[\d,]+\s+[\d,]+\s+[\d.]+x$", out, re.MULTILINE), out


def test_signin_bench_on_postgresql_with_two_instances():
    out = run_bench("bench.signin", "--requests", "40", "--levels", "4", "--db", "postgresql", "--instances", "2",
                    "--workers", "1", "--threads", "4")
    assert "2 x sigil-server serve --workers 1 --threads 4 on PostgreSQL" in out, out
    assert re.findall(r"^\s+(\d+)\s+40\s+0\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+ us$", out, re.MULTILINE) == ["4"], out


def test_ratelimit_bench_measures_both_counters():
    out = run_bench("bench.ratelimit", "--hits", "400", "--threads", "2")
    assert len(re.findall(r"^(shared memory|PostgreSQL)\s+(many keys|one hot key)\s+\d+ hits/s", out, re.MULTILINE)) == 4, out
