"""BSM, BRC-42 and BRC-77 on their own, below the token layer."""

import base64

import coincurve
import pytest

from auth_server.crypto import brc42, brc77, bsm
from auth_server.crypto.keys import CURVE_ORDER


def test_bsm_round_trip_and_header_byte() -> None:
    key = coincurve.PrivateKey()
    signature = bsm.sign_bsm(key, b"hello")
    raw = base64.b64decode(signature)
    assert len(raw) == 65 and 31 <= raw[0] <= 34
    assert bsm.verify_bsm(raw, b"hello", key.public_key)
    assert not bsm.verify_bsm(raw, b"hellO", key.public_key)
    assert not bsm.verify_bsm(raw, b"hello", coincurve.PrivateKey().public_key)


def test_bsm_magic_hash_known_value() -> None:
    # SHA256d("\x18Bitcoin Signed Message:\n" + "\x05hello"), computed independently.
    import hashlib

    prefix = b"\x18Bitcoin Signed Message:\n\x05hello"
    expected = hashlib.sha256(hashlib.sha256(prefix).digest()).digest()
    assert bsm.magic_hash(b"hello") == expected


def test_bsm_refuses_high_s_and_uncompressed_headers() -> None:
    key = coincurve.PrivateKey()
    raw = bytearray(base64.b64decode(bsm.sign_bsm(key, b"m")))
    s = int.from_bytes(raw[33:65], "big")
    high = bytearray(raw)
    high[33:65] = (CURVE_ORDER - s).to_bytes(32, "big")
    high[0] = 31 + ((raw[0] - 31) ^ 1)  # the flipped signature recovers with the other parity
    assert not bsm.verify_bsm(bytes(high), b"m", key.public_key)
    uncompressed = bytearray(raw)
    uncompressed[0] -= 4
    assert not bsm.verify_bsm(bytes(uncompressed), b"m", key.public_key)


def test_brc42_both_sides_agree() -> None:
    alice, bob = coincurve.PrivateKey(), coincurve.PrivateKey()
    child_private = brc42.derive_child_private_key(alice, bob.public_key, "2-test-1")
    child_public = brc42.derive_child_public_key(alice.public_key, bob, "2-test-1")
    assert child_private.public_key.format() == child_public.format()
    other_invoice = brc42.derive_child_public_key(alice.public_key, bob, "2-test-2")
    assert other_invoice.format() != child_public.format()


def test_brc77_layout_and_verification() -> None:
    key = coincurve.PrivateKey()
    blob = brc77.sign_brc77(key, b"message", random_bytes=lambda n: b"\x07" * n)
    assert blob[:4] == bytes.fromhex("42423301")
    assert blob[4:37] == key.public_key.format()
    assert blob[37] == 0 and blob[38:70] == b"\x07" * 32
    signed = brc77.parse_brc77(blob)
    assert brc77.verify_brc77(signed, b"message")
    assert not brc77.verify_brc77(signed, b"messagf")


def test_brc77_for_a_specific_verifier() -> None:
    sender, verifier = coincurve.PrivateKey(), coincurve.PrivateKey()
    signed = brc77.parse_brc77(brc77.sign_brc77(sender, b"m", verifier=verifier.public_key))
    assert signed.verifier == verifier.public_key.format()
    assert brc77.verify_brc77(signed, b"m", verifier)
    assert not brc77.verify_brc77(signed, b"m")  # not for "anyone"
    assert not brc77.verify_brc77(signed, b"m", coincurve.PrivateKey())


@pytest.mark.parametrize("blob", [b"", b"BB3\x01", bytes.fromhex("42423301") + b"\x02" * 40, bytes.fromhex("42423302") + b"\x00" * 100])
def test_brc77_truncated_or_wrong_version(blob: bytes) -> None:
    with pytest.raises(ValueError):
        brc77.parse_brc77(blob)
