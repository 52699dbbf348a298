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

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


#: one row of bench.signin's table: round, setup, concurrency, requests, rate, p50, p99, server CPU, PostgreSQL
#: CPU, load
SIGNIN_ROW = (r"^\s*(\d) (SQLite|PostgreSQL), (\d) x serve --workers \d+ --threads \d+\s+(\d+)\s+(\d+)\s+\d+\s+[\d.]+"
              r"\s+[\d.]+\s+\d+ us\s+(n/a|\d+ us)\s+[\d.]+$")


def test_signin_bench_compares_sqlite_with_one_and_two_postgresql_instances():
    out = run_bench("bench.signin", "--requests", "60", "--levels", "1,4", "--rounds", "2")
    rows = re.findall(SIGNIN_ROW, out, re.MULTILINE)
    setups = (("SQLite", "1"), ("PostgreSQL", "1"), ("PostgreSQL", "2"), ("PostgreSQL", "1"))
    assert [r[:5] for r in rows] == [(rnd, engine, n, level, "60") for rnd in "12" for engine, n in setups
                                     for level in ("1", "4")], out
    assert [r[5] == "n/a" for r in rows] == 2 * ([True, True] + [False] * 6), out  # PostgreSQL's CPU too
    assert "PostgreSQL, 1 x serve --workers 4 --threads 0" in out and "--workers 2 --threads 8" in out, out
    # CPU per request set against SQLite's in the same round, per concurrency level and PostgreSQL setup:
    # the median of the two rounds' ratios, and their range
    assert "median of 2 rounds" in out, out
    assert len(re.findall(r"^  sign-in, conc\. \d +PostgreSQL.* \d+\.\d\dx \(\d+\.\d\d-\d+\.\d\d\) (ok|over) +\d+\.\d\dx$",
                          out, re.MULTILINE)) == 6, out


def test_token_bench_on_two_postgresql_instances():
    """(The comparison of all three setups runs in the sign-in bench's test; this one takes
    the ``--db`` path, which measures one setup.)"""
    out = run_bench("bench.token", "--codes", "40", "--introspections", "80", "--concurrency", "4", "--workers", "1",
                    "--db", "postgresql", "--instances", "2", "--rounds", "1")
    assert "PostgreSQL, 2 x serve --workers 1 --threads 0" in out, out
    cpu = r"CPU/req: server\s+\d+ us \+ PostgreSQL\s+\d+ us"
    assert len(re.findall(rf"^  code exchange\s+\d+/s .* {cpu}", out, re.MULTILINE)) == 1, out
    assert len(re.findall(rf"^  exchange \(basic\)\s+\d+/s .* {cpu}", out, re.MULTILINE)) == 1, out
    assert len(re.findall(rf"^  introspection\s+\d+/s .* {cpu}", out, re.MULTILINE)) == 1, out


def test_verify_bench_measures_the_reference_too():
    out = run_bench("bench.verify", "--seconds", "0.3", "--tokens", "20")
    assert re.search(r"^brc77\s+[\d,]+\s+[\d,]+\s+[\d.]+x$", out, re.MULTILINE), out
    assert re.search(r"^bsm\s+[\d,]+\s+[\d,]+\s+[\d.]+x$", out, re.MULTILINE), out


def test_ratelimit_bench_measures_both_counters():
    out = run_bench("bench.ratelimit", "--hits", "400", "--threads", "2")
    assert len(re.findall(r"^(shared memory|PostgreSQL)\s+(many keys|one hot key)\s+\d+ hits/s", out, re.MULTILINE)) == 4, out


def test_store_bench_measures_both_engines_and_postgresqls_own_cpu():
    out = run_bench("bench.store", "--signins", "50")
    assert re.search(r"^SQLite\s+\d+\s+\d+ us\s+n/a\s+\d+ us$", out, re.MULTILINE), out
    assert re.search(r"^PostgreSQL\s+\d+\s+\d+ us\s+\d+ us\s+\d+ us$", out, re.MULTILINE), out
    assert re.search(r"^PostgreSQL / SQLite CPU per sign-in: [\d.]+x", out, re.MULTILINE), out


def test_scale_bench_fills_measures_and_purges_on_sqlite():
    out = run_bench("bench.scale", "--sizes", "200,400", "--engine", "sqlite", "--requests", "30",
                    "--concurrency", "4")
    _check_scale(out, "sqlite", ("200", "400"))


@pytest.mark.postgres
@pytest.mark.slow
def test_scale_bench_on_postgresql():
    out = run_bench("bench.scale", "--sizes", "200,400", "--engine", "postgresql", "--requests", "30",
                    "--concurrency", "4")
    _check_scale(out, "postgresql", ("200", "400"))
    assert re.search(r"^PostgreSQL\s+400\s.*code exchange .*[\d,]+ us\s+[\d,]+ us$", out, re.MULTILINE), out


def _check_scale(out: str, engine: str, sizes: tuple[str, ...]) -> None:
    """Every operation measured at every size, the ratio printed, every hot statement on an
    index, and the purge cleared the expired rows the fill made (20 % of the users, per table)."""
    name = "SQLite" if engine == "sqlite" else "PostgreSQL"
    for size in sizes:
        for op in ("sign-in", "code exchange", "introspection", "userinfo"):
            assert re.search(rf"^{name}\s+{size}\s+[\d,]+\s+[\d.]+ {op}\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d,]+ us", out,
                             re.MULTILINE), (op, out)
        hot = re.search(rf"^  {engine}\s+{size} users: (\d+) of (\d+) use an index$", out, re.MULTILINE)
        assert hot and hot.group(1) == hot.group(2), out
        purged = re.search(rf"^  {engine}\s+{size} users: ([\d,]+) rows in", out, re.MULTILINE)
        # sessions, refresh and access tokens, codes and replay claims: 20 % each
        assert purged and int(purged.group(1).replace(",", "")) >= 5 * int(size) // 5, out
    for op in ("sign-in", "code exchange", "introspection", "userinfo"):
        # (n/a: 30 requests can take less than one CPU clock tick, 10 ms, of the server)
        assert re.search(rf"^  {engine}\s+{op}\s+400/200 users: CPU ([\d.]+x (ok|over)|n/a),", out, re.MULTILINE), \
            (op, out)
