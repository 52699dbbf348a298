"""Hardening below the web layer (issue 13), over real HTTP: ASCII-only wire formats,
request body and head limits enforced by the server itself."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from auth_server.crypto.x_auth_token import format_timestamp
from auth_server.web.request_context import MAX_BODY_BYTES, SIGN_IN_MAX_BODY_BYTES
from tests.helpers import raw_http
from tests.helpers.instances import Instance
from tests.helpers.fixtures.sign_in_server import SIGN_IN

ROOT = Path(__file__).resolve().parents[2]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _sign_in_raw(server, token: str) -> httpx.Response:
    # httpx sends str headers as ASCII only; the bytes go out as UTF-8, which bottle decodes back
    return server.request("POST", SIGN_IN, json={}, headers={"X-Auth-Token": token.encode("utf-8")})


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC], ids=["fullwidth", "arabic-indic"])
def test_timestamp_in_non_ascii_digits_is_malformed(server, digits):
    """A correctly signed token whose timestamp uses other digits than 0-9 is not the wire format."""
    key = coincurve.PrivateKey()
    stamp = format_timestamp(time.time()).translate(digits)
    res = _sign_in_raw(server, make_token(key, SIGN_IN, timestamp=stamp))
    assert (res.status_code, res.json()["code"]) == (400, "MALFORMED"), res.text
    assert server.store.users.get_by_pubkey(key.public_key.format().hex()) is None
    # the same key with an ASCII timestamp signs in, so only the digits were refused
    assert _sign_in_raw(server, make_token(key, SIGN_IN)).status_code == 200


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC], ids=["fullwidth", "arabic-indic"])
def test_pubkey_in_non_ascii_hex_is_refused(server, digits):
    token = make_token(coincurve.PrivateKey(), SIGN_IN)
    pubkey, rest = token.split("|", 1)
    res = _sign_in_raw(server, pubkey.translate(digits) + "|" + rest)
    assert (res.status_code, res.json()["code"]) == (400, "BAD_PUBKEY"), res.text


# --- request bodies: refused by the server itself, not read to the end first ---------------------

def test_huge_content_length_is_refused_before_the_body_is_sent(server):
    """200 MB announced, nothing sent: the 413 comes at once (waitress would otherwise wait for,
    and buffer, the whole body before the app's own check could answer)."""
    answer, seconds = raw_http.announce_huge_body(server.url, SIGN_IN)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert seconds < 4


def test_body_at_the_limit_still_reaches_the_app(server):
    """Exactly SIGN_IN_MAX_BODY_BYTES goes through to the sign-in (which answers about the token);
    one more is 413. Every other route keeps MAX_BODY_BYTES (issue 24: only the sign-in carries
    a picture), the routes that read forms through bottle included."""
    res = server.request("POST", SIGN_IN, content=b" " * SIGN_IN_MAX_BODY_BYTES,
                         headers={"Content-Type": "application/json"})
    assert (res.status_code, res.json()["code"]) == (401, "MISSING_TOKEN")
    res = server.request("POST", SIGN_IN, content=b" " * (SIGN_IN_MAX_BODY_BYTES + 1))
    assert res.status_code == 413
    for path in ("/api/auth/revoke-session", "/oauth2/token", "/admin/users"):
        res = server.request("POST", path, content=b"a=" + b"b" * MAX_BODY_BYTES,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert (res.status_code, res.json()["code"]) == (413, "PAYLOAD_TOO_LARGE"), (path, res.text)
    res = server.request("POST", "/api/auth/revoke-session", content=b" " * MAX_BODY_BYTES)
    assert res.status_code == 401  # at the limit: the route answers (not signed in)


def test_ten_megabytes_on_the_sign_in_is_a_clean_413(server):
    res = server.request("POST", SIGN_IN, content=b"{" + b" " * (10 * 1024 * 1024) + b"}",
                         headers={"Content-Type": "application/json"})
    assert (res.status_code, res.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_chunked_body_is_cut_at_the_limit(server):
    """A chunked body that never ends is answered 413 once it passes the limit."""
    sent, refused, answer = raw_http.send_endless_chunked_body(server.url, SIGN_IN, total=4 * SIGN_IN_MAX_BODY_BYTES)
    assert answer.startswith(b"HTTP/1.1 413"), (sent, refused, answer[:200])


# --- connections: a request head has a deadline of its own ------------------------------------------

@contextlib.contextmanager
def serving(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Instance]:
    """``sigil-server serve`` in a process of its own (its log in a file), stopped after. Ready
    once its log says it listens, not through ``Instance.wait``: that asks ``/healthz``, and a
    request would open a worker thread's database connection before the test's own requests."""
    served = Instance(tmp_path / "served.db", tmp_path / "serve.log", args, env=env)
    try:
        deadline = time.monotonic() + 30
        while f"listening on {served.url}" not in served.log():
            assert served.proc.poll() is None and time.monotonic() < deadline, served.log()
            time.sleep(0.05)
        yield served
    finally:
        served.stop()


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


@pytest.mark.parametrize("threads", ["4", "0"], ids=["thread-pool", "loop-mode"])
def test_half_open_connections_are_closed_after_the_head_timeout(tmp_path, threads):
    """Idle and half-sent heads are closed once SIGIL_HEAD_TIMEOUT_SECONDS passes, while other
    clients are served meanwhile; a request whose head arrived (its body on the way) is kept."""
    with serving(tmp_path, "--threads", threads, "--quiet", env={"SIGIL_HEAD_TIMEOUT_SECONDS": "1"}) as served:
        url = served.url
        idle = [raw_http.connect(url) for _ in range(30)]
        partial = [raw_http.connect(url) for _ in range(10)]
        for sock in partial:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow_body = raw_http.connect(url)
        slow_body.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        started = time.monotonic()
        try:
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200  # served meanwhile
            closed = [_closed_by_server(sock, within=max(0.1, started + 5 - time.monotonic())) for sock in idle + partial]
            assert all(closed), f"{closed.count(False)} of {len(closed)} still open after 5 s"
            assert time.monotonic() - started >= 0.9  # not before the timeout
            # the head of this one arrived: it keeps the (60 s) channel timeout and is answered
            slow_body.sendall(b"67890")
            assert raw_http.read_answer(slow_body, timeout=5).startswith(b"HTTP/1.1 405")
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        finally:
            for sock in idle + partial + [slow_body]:
                sock.close()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_a_bad_head_timeout_is_a_clear_error(tmp_path, value):
    result = subprocess.run([sys.executable, "-m", "auth_server.cli", "serve", "--port", "0", "--db",
                             str(tmp_path / "x.db")], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SIGIL_HEAD_TIMEOUT_SECONDS": value})
    assert result.returncode == 2 and "SIGIL_HEAD_TIMEOUT_SECONDS" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# --- processes: workers die with their master, and the master restarts a worker that dies ---------

def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


def _serving_workers(master: int, port: int) -> set[int]:
    """Workers of ``master`` holding an accepted connection to ``port`` (Linux /proc).

    A worker accepts only once its server runs, i.e. after it has opened its store: a
    connection still waiting in the kernel's accept queue has no socket inode yet.
    """
    owners: dict[str, int] = {}
    for pid in _children(master):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if (target := os.readlink(fd)).startswith("socket:["):
                        owners[target[8:-1]] = pid
    serving = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        if local_port == port and state == "01" and inode in owners:  # 01: ESTABLISHED
            serving.add(owners[inode])
    return serving


def _wait_until_serving(master: int, url: str, workers: set[int], timeout: float = 20) -> bool:
    """Open bare connections (no request: no thread of a worker opens its database) until
    every one of ``workers`` has accepted one; the kernel hashes each to a worker's socket."""
    port = int(url.rsplit(":", 1)[1])
    opened: list[socket.socket] = []

    def all_serving() -> bool:
        opened.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        return _serving_workers(master, port) >= workers

    try:
        return bool(_wait_for(all_serving, timeout=timeout))
    finally:
        for sock in opened:
            sock.close()


def _status(url: str) -> int | None:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code
    except httpx.TransportError:
        return None


def _answers(url: str) -> bool:
    return _status(url) == 200


pytestmark_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytestmark_linux
@pytest.mark.parametrize("threads", ["4", "0"], ids=["thread-pool", "loop-mode"])
def test_workers_exit_when_the_master_is_killed(tmp_path, threads):
    with serving(tmp_path, "--workers", "2", "--threads", threads, "--quiet") as served:
        proc, url = served.proc, served.url
        workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid), timeout=10)
        assert len(workers) == 2 and _answers(url)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=5), "a worker outlived its master"
        assert not _answers(url), "the port still answers with the master gone"


@pytestmark_linux
def test_the_master_restarts_a_worker_that_dies(tmp_path):
    with serving(tmp_path, "--workers", "2", "--threads", "4", "--quiet") as served:
        proc, url = served.proc, served.url
        workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid), timeout=10)
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        replaced = _wait_for(lambda: len(_children(proc.pid) - workers) == 1 and _children(proc.pid), timeout=10)
        assert replaced and len(replaced) == 2 and victim not in replaced, "no worker took the place of the killed one"
        # every connection is served again, whichever worker's socket the kernel picks
        assert all(_answers(url) for _ in range(20))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        log = served.log()
    assert f"worker {victim} exited (killed by SIGKILL); restarting it" in log, log
    assert not any(_alive(pid) for pid in replaced)


@pytestmark_linux
def test_a_worker_that_keeps_crashing_is_restarted_with_a_back_off(tmp_path):
    """With the database made unreadable, every new worker dies at start-up: the restarts
    slow down (0.5, 1, 2 s ...) instead of forking as fast as the master can."""
    with serving(tmp_path, "--workers", "2", "--threads", "4", "--quiet") as served:
        proc, url = served.proc, served.url
        workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid), timeout=10)
        # both workers past start-up (store open): else the one meant to survive dies too
        assert _wait_until_serving(proc.pid, url, workers), served.log()
        db = tmp_path / "served.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        db.write_bytes(b"not a database" * 100)
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        # restarts after 0.5 and 1 s both crash; the third waits 2 s, its slot's socket closed
        assert _wait_for(lambda: "restarting it in 2.0 s" in served.log(), timeout=20), served.log()
        # the other worker still answers (503: it finds the database unreadable too), and new
        # connections are not left to hang in the backlog of the crashing worker's socket
        # (a connection can still land on the socket of a worker that is just starting to crash)
        statuses = [_status(url) for _ in range(10)]
        assert statuses.count(503) >= 7, (statuses, served.log())
        assert workers - {victim} <= _children(proc.pid), served.log()  # the survivor never crashed
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        log = served.log()
    restarts = log.count("restarting it in")
    assert 2 <= restarts <= 5, log  # after 0.5, 1, 2 s: three or four in 3.5 s, not hundreds
    assert re.findall(r"restarting it in ([\d.]+) s", log)[:3] == ["0.5", "1.0", "2.0"], log
    assert "worker" in log and "failed" in log and "Traceback" in log  # why it crashes is logged
