"""Bitcoin Signed Message (docs/PROTOCOL.md section 2).

Verification is stricter than most: only compressed-key headers and low-S
signatures are accepted, so every valid signature has exactly one encoding and
replay memory keyed on signature bytes cannot be dodged by re-encoding one.
"""

from __future__ import annotations

import base64
import binascii

import coincurve

from auth_server.crypto.keys import CURVE_ORDER, sha256

_MAGIC = b"Bitcoin Signed Message:\n"
_COMPRESSED_HEADER_BASE = 31  # 27 + 4: recovery id 0..3 of a compressed key


def _varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def magic_hash(message: bytes) -> bytes:
    """The double SHA-256 digest that BSM signs."""
    return sha256(sha256(_varint(len(_MAGIC)) + _MAGIC + _varint(len(message)) + message))


def sign_bsm(key: coincurve.PrivateKey, message: bytes) -> str:
    """Sign ``message`` and return the 65-byte compact signature as base64."""
    recoverable = key.sign_recoverable(magic_hash(message), hasher=None)  # r ‖ s ‖ recid
    header = _COMPRESSED_HEADER_BASE + recoverable[64]
    return base64.b64encode(bytes([header]) + recoverable[:64]).decode("ascii")


def decode_bsm_signature(signature_b64: str) -> bytes:
    """Decode and check the shape of a BSM signature; ``ValueError`` if it is malformed."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("signature is not base64") from None
    if len(raw) != 65:
        raise ValueError("BSM signature must be 65 bytes")
    return raw


def recover_bsm_pubkey(signature: bytes, message: bytes) -> coincurve.PublicKey | None:
    """Recover the signer's key from a 65-byte compact signature, or ``None`` if invalid."""
    header = signature[0]
    if not _COMPRESSED_HEADER_BASE <= header < _COMPRESSED_HEADER_BASE + 4:
        return None
    s = int.from_bytes(signature[33:65], "big")
    if s > CURVE_ORDER // 2:
        return None
    recoverable = signature[1:65] + bytes([header - _COMPRESSED_HEADER_BASE])
    try:
        return coincurve.PublicKey.from_signature_and_message(recoverable, magic_hash(message), hasher=None)
    except (ValueError, TypeError):
        return None


def verify_bsm(signature: bytes, message: bytes, pubkey: coincurve.PublicKey) -> bool:
    """True when ``signature`` is ``pubkey``'s BSM signature of ``message``."""
    recovered = recover_bsm_pubkey(signature, message)
    return recovered is not None and recovered.format() == pubkey.format()
