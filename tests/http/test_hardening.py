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
from auth_server.crypto.tokens import format_timestamp
from auth_server.web.context import MAX_BODY_BYTES
from tests.helpers import raw_http
from tests.http.conftest import SIGN_IN

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
    with raw_http.connect(server.url) as sock:
        sock.sendall(f"POST {SIGN_IN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {200 * 1024 * 1024}\r\n\r\n".encode())
        started = time.monotonic()
        answer = raw_http.read_answer(sock, timeout=5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 4


def test_body_at_the_limit_still_reaches_the_app(server):
    """Exactly MAX_BODY_BYTES goes through to the app (which answers about the token); one more is 413."""
    res = server.request("POST", SIGN_IN, content=b" " * MAX_BODY_BYTES, headers={"Content-Type": "application/json"})
    assert (res.status_code, res.json()["code"]) == (401, "MISSING_TOKEN")
    res = server.request("POST", SIGN_IN, content=b" " * (MAX_BODY_BYTES + 1))
    assert res.status_code == 413


def test_chunked_body_is_cut_at_the_limit(server):
    """A chunked body that never ends is answered 413 once it passes the limit."""
    with raw_http.connect(server.url) as sock:
        sock.sendall(f"POST {SIGN_IN} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        sent, refused = raw_http.send_chunks_until_refused(sock, total=4 * MAX_BODY_BYTES)
        answer = raw_http.read_answer(sock, timeout=5)
    assert answer.startswith(b"HTTP/1.1 413"), (sent, refused, answer[:200])


# --- connections: a request head has a deadline of its own ------------------------------------------

@contextlib.contextmanager
def serving(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """``sigil-server serve`` in a process of its own; yields it and its URL, stops it after."""
    proc = subprocess.Popen([sys.executable, "-m", "auth_server.cli", "serve", "--port", "0", "--db",
                             str(tmp_path / "served.db"), *args], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        yield proc, match.group(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
    with serving(tmp_path, "--threads", threads, "--quiet", env={"SIGIL_HEAD_TIMEOUT_SECONDS": "1"}) as (_, url):
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
