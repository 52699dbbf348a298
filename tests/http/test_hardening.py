"""Hardening below the web layer (issue 13), over real HTTP: ASCII-only wire formats,
request body and head limits enforced by the server itself."""

from __future__ import annotations

import time

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from auth_server.crypto.tokens import format_timestamp
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
