"""Tokens cross between Sigil and the reference ``bitcoin-auth`` 0.0.7 (on @bsv/sdk), both ways."""

from __future__ import annotations

import random
import time

import coincurve
import pytest

from auth_server.crypto import KeyNotBound, StaleToken, make_token, verify_token
from auth_server.crypto.keys import private_key_from_wif, wif_from_private_key
from auth_server.crypto.x_auth_token import format_timestamp
from tests.helpers.node_peer import NodePeer

pytestmark = pytest.mark.interop

CASES = [
    ("/api/auth/sign-in/sigma", None),
    ("/api/auth/oauth2/token", "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2Flocalhost%2Fcb"),
    ("/api/items?page=2&sort=name", '{"q":"Zoë – café ✓ 日本語 🚀"}'),
    ("/search?q=%C3%A9t%C3%A9", "plain text\nwith lines\n"),
]


@pytest.mark.parametrize("scheme", ["brc77", "bsm"])
@pytest.mark.parametrize(("path", "body"), CASES)
def test_reference_tokens_verify_here(node_peer: NodePeer, scheme: str, path: str, body: str | None) -> None:
    wif, pubkey = node_peer.key()
    token = node_peer.make(wif, path, body=body, scheme=scheme)
    assert verify_token(token, path, body=body).pubkey == pubkey


@pytest.mark.parametrize("scheme", ["brc77", "bsm"])
@pytest.mark.parametrize(("path", "body"), CASES)
def test_our_tokens_verify_with_reference(node_peer: NodePeer, scheme: str, path: str, body: str | None) -> None:
    key = coincurve.PrivateKey()
    token = make_token(key, path, body=body, scheme=scheme)  # type: ignore[arg-type]
    timestamp = token.split("|")[2]
    assert node_peer.verify(token, path, timestamp, body=body)
    assert not node_peer.verify(token, path, timestamp, body=(body or "") + "x")


def test_bsm_tokens_are_byte_identical(node_peer: NodePeer) -> None:
    """BSM signatures use RFC 6979 nonces on both sides, so the whole token must match."""
    wif, _ = node_peer.key()
    stamp = "2026-11-21T23:28:13.148Z"
    for body in (None, '{"a":"ü"}'):
        theirs = node_peer.make(wif, "/api/x?y=1", body=body, scheme="bsm", timestamp=stamp)
        ours = make_token(private_key_from_wif(wif), "/api/x?y=1", body=body, scheme="bsm", timestamp=stamp)
        assert ours == theirs


def test_reference_accepts_what_we_refuse(node_peer: NodePeer) -> None:
    """The holes we close: the reference takes a swapped pubkey and a 2020 timestamp."""
    wif, _ = node_peer.key()
    token = node_peer.make(wif, "/p")
    victim = coincurve.PrivateKey().public_key.format().hex()
    forged = "|".join([victim] + token.split("|")[1:])
    assert node_peer.verify(forged, "/p", token.split("|")[2])
    with pytest.raises(KeyNotBound):
        verify_token(forged, "/p")

    old = node_peer.make(wif, "/p", timestamp="2020-01-01T00:00:00.000Z")
    assert node_peer.verify(old, "/p", "2020-01-01T00:00:00.000Z")
    with pytest.raises(StaleToken):
        verify_token(old, "/p")


ALPHABET = "abcXYZ019 -_=&?/.%:{}\"',éüñ–✓日本🚀\n\t"


def random_text(rng: random.Random, max_len: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


def random_case(rng: random.Random) -> tuple[coincurve.PrivateKey, str, str | None, str, str]:
    key = coincurve.PrivateKey(rng.randbytes(32))
    path = "/" + random_text(rng, 30).replace("|", "").replace("\n", "")
    body = rng.choice([None, random_text(rng, 200)])
    scheme = rng.choice(["brc77", "bsm"])
    stamp = format_timestamp(time.time() - rng.uniform(-120, 120))
    return key, path, body, scheme, stamp


def test_a_thousand_random_round_trips_each_way(node_peer: NodePeer) -> None:
    rng = random.Random(20261121)
    for _ in range(1000):
        key, path, body, scheme, stamp = random_case(rng)
        wif = wif_from_private_key(key)
        theirs = node_peer.make(wif, path, body=body, scheme=scheme, timestamp=stamp)
        assert verify_token(theirs, path, body=body).pubkey == key.public_key.format().hex()
        ours = make_token(key, path, body=body, scheme=scheme, timestamp=stamp)  # type: ignore[arg-type]
        assert node_peer.verify(ours, path, stamp, body=body), (path, body, scheme)
