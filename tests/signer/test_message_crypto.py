"""The message-level formats on their own: hex/base64 inputs, BIE1 failures, AIP input
checks, TokenPass's invoices. (Byte compatibility with @bsv/sdk is in tests/signer/test_local_api_crypto.py.)"""

from __future__ import annotations

import hashlib

import coincurve
import pytest

from auth_server.crypto.aip import aip_message, aip_signed_ops
from auth_server.crypto.brc42 import derive_child_private_key, self_child
from auth_server.crypto.bsm import decode_bsm_signature, verify_bsm
from auth_server.crypto.ecies import electrum_decrypt, electrum_encrypt
from auth_server.crypto.encoding import decode_hex, decode_message
from auth_server.crypto.errors import (
    BadCiphertext,
    BadMac,
    InputError,
    MalformedBase64,
    MalformedHex,
    UnknownEncoding,
)
from signer_app.wallet import derivation
from signer_app.wallet.errors import WalletError


@pytest.mark.parametrize(("text", "expected"), [
    ("", b""), ("0", b"\x00"), ("abc", b"\x0a\xbc"), ("ABcd", b"\xab\xcd"), ("00ff", b"\x00\xff"),
])
def test_hex_rules(text: str, expected: bytes) -> None:
    assert decode_hex(text) == expected


@pytest.mark.parametrize("text", ["0x12", "zz", " 12", "12 ", "12\n", "\u0661\u0662", "+1"])
def test_malformed_hex_is_refused_without_echo(text: str) -> None:
    with pytest.raises(MalformedHex) as caught:
        decode_hex(text)
    assert caught.value.code == "malformed_hex" and text.strip() not in caught.value.message


def test_hex_must_be_text() -> None:
    for value in (None, 12, b"12", ["12"]):
        with pytest.raises(MalformedHex):
            decode_hex(value)  # type: ignore[arg-type]


def test_message_encodings() -> None:
    assert decode_message("h\u00e9", "utf8") == "h\u00e9".encode()
    assert decode_message("aGk=", "base64") == b"hi"
    assert decode_message("6869", "hex") == b"hi"
    with pytest.raises(MalformedBase64):
        decode_message("aGk", "base64")
    with pytest.raises(MalformedBase64):
        decode_message("a\u00e9Gk=", "base64")
    with pytest.raises(UnknownEncoding):
        decode_message("hi", "latin1")
    with pytest.raises(InputError):
        decode_message(5, "utf8")  # type: ignore[arg-type]


def test_every_input_error_is_one_family() -> None:
    for cls in (MalformedHex, MalformedBase64, UnknownEncoding, BadCiphertext, BadMac):
        assert issubclass(cls, InputError) and issubclass(cls, ValueError)
    assert issubclass(BadMac, BadCiphertext)


def test_bie1_round_trip_and_embedded_key() -> None:
    key = coincurve.PrivateKey()
    ephemeral = coincurve.PrivateKey()
    data = electrum_encrypt(b"secret", key.public_key, ephemeral)
    assert data[4:37] == ephemeral.public_key.format()
    assert electrum_encrypt(b"secret", key.public_key, ephemeral) == data  # same ephemeral, same bytes
    assert electrum_encrypt(b"secret", key.public_key) != electrum_encrypt(b"secret", key.public_key)
    assert electrum_decrypt(data, key) == b"secret"
    assert electrum_decrypt(data, key, sender_pubkey=ephemeral.public_key) == b"secret"


def test_bie1_failures_are_typed() -> None:
    key = coincurve.PrivateKey()
    data = electrum_encrypt(b"secret", key.public_key)
    with pytest.raises(BadMac):
        electrum_decrypt(data, coincurve.PrivateKey())  # another key
    for broken in (b"", b"BIE1", data[:40], b"BIE2" + data[4:], data[:-1], data[:-16]):
        with pytest.raises(BadCiphertext):
            electrum_decrypt(broken, key)
    off_curve = data[:4] + b"\x02" + b"\x00" * 32 + data[37:]
    with pytest.raises(BadCiphertext, match="not a point"):
        electrum_decrypt(off_curve, key)
    no_key = b"BIE1" + b"\x05" * 64  # no 02/03/04 byte where the ephemeral key goes
    with pytest.raises(BadCiphertext, match="no sender key"):
        electrum_decrypt(no_key, key)


def test_aip_inputs() -> None:
    key = coincurve.PrivateKey()
    assert aip_message(["6a", "", "abc"]) == b"\x6a\x0a\xbc"
    for bad in ([], "6a", b"6a", None):
        with pytest.raises(InputError):
            aip_signed_ops(key, bad)  # type: ignore[arg-type]
    with pytest.raises(MalformedHex):
        aip_signed_ops(key, ["6a", "xyz"])
    _, _, signature = aip_signed_ops(key, ["6a", "ff"])
    assert verify_bsm(decode_bsm_signature(signature), b"\x6a\xff", key.public_key)


def test_invoices() -> None:
    friend = "2mK26WotsEgzCGjmMx66rFXDpaYE"
    digest = hashlib.sha256(friend.encode()).hexdigest()
    assert derivation.site_invoice("localhost:3000") == "2-tokenpass-localhost:3000"
    assert derivation.friend_invoice(friend) == "2-friend-" + digest
    assert derivation.encrypt_invoice(friend) == "2-encrypt-" + digest
    assert derivation.encrypt_invoice(None) == "2-encrypt-" + hashlib.sha256(b"default").hexdigest()
    assert derivation.type42_invoice(7) == "bap:7"
    for bad in ("", None, 3):
        with pytest.raises(WalletError):
            derivation.site_invoice(bad)  # type: ignore[arg-type]
    with pytest.raises(WalletError):
        derivation.type42_invoice(-1)


def test_self_child_is_the_ecdh_child_with_own_pubkey() -> None:
    key = coincurve.PrivateKey()
    assert self_child(key, "bap:0").secret == derive_child_private_key(key, key.public_key, "bap:0").secret
    assert self_child(key, "bap:0").secret != self_child(key, "bap:1").secret
