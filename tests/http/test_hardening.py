"""Hardening below the web layer (issue 13), over real HTTP: ASCII-only wire formats,
request body and head limits enforced by the server itself."""

from __future__ import annotations

import time

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from auth_server.crypto.tokens import format_timestamp
from auth_server.web.context import MAX_BODY_BYTES
from tests.helpers import raw_http
from tests.http.conftest import SIGN_IN

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
