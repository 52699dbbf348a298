"""Keys, addresses and BAP IDs (docs/PROTOCOL.md section 5)."""

from __future__ import annotations

import hashlib

import base58
import coincurve

from auth_server.crypto.errors import BadPubkey

WIF_VERSION = 0x80
P2PKH_VERSION = 0x00
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash160(data: bytes) -> bytes:
    """RIPEMD160(SHA256(data)), the hash inside every P2PKH address."""
    return hashlib.new("ripemd160", sha256(data)).digest()


def wif_from_private_key(key: coincurve.PrivateKey) -> str:
    """Compressed, mainnet WIF: base58check(0x80 ‖ key32 ‖ 0x01)."""
    return base58.b58encode_check(bytes([WIF_VERSION]) + key.secret + b"\x01").decode("ascii")


def private_key_from_wif(wif: str) -> coincurve.PrivateKey:
    """Decode a mainnet WIF (compressed or not; the public key is always used compressed).

    Raises ``ValueError`` with a message that never repeats the input.
    """
    try:
        raw = base58.b58decode_check(wif.strip())
    except ValueError:
        raise ValueError("not a WIF private key (bad base58 or checksum)") from None
    if not raw or raw[0] != WIF_VERSION:
        raise ValueError("not a mainnet WIF private key (wrong version byte)")
    body = raw[1:]
    if len(body) == 33 and body[32] == 1:
        body = body[:32]
    if len(body) != 32:
        raise ValueError("not a WIF private key (wrong length)")
    if not 0 < int.from_bytes(body, "big") < CURVE_ORDER:
        raise ValueError("WIF private key is out of range")
    return coincurve.PrivateKey(body)


def parse_pubkey(value: str | bytes) -> coincurve.PublicKey:
    """Parse a 33-byte compressed public key (bytes or 66 lowercase/uppercase hex chars).

    Raises :class:`BadPubkey` for anything else, including points not on the curve.
    """
    if isinstance(value, str):
        if len(value) != 66:
            raise BadPubkey("pubkey must be 66 hex characters (a compressed key)")
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise BadPubkey("pubkey is not hex") from None
    if len(value) != 33 or value[0] not in (2, 3):
        raise BadPubkey("pubkey must be a 33-byte compressed key")
    try:
        return coincurve.PublicKey(value)
    except (ValueError, TypeError):
        raise BadPubkey("pubkey is not a point on secp256k1") from None


def address_from_pubkey(pubkey: bytes | coincurve.PublicKey) -> str:
    """Mainnet P2PKH address of a compressed public key."""
    if isinstance(pubkey, coincurve.PublicKey):
        pubkey = pubkey.format(compressed=True)
    return base58.b58encode_check(bytes([P2PKH_VERSION]) + hash160(pubkey)).decode("ascii")


def bap_id_from_address(root_address: str) -> str:
    """BAP ID: plain base58 (no checksum) of hash160 of the root address *string*."""
    return base58.b58encode(hash160(root_address.encode("utf-8"))).decode("ascii")


def bap_id_from_pubkey(member_pubkey: bytes | str | coincurve.PublicKey) -> str:
    """BAP ID of an identity, computed from its member (root) public key alone."""
    if isinstance(member_pubkey, str):
        member_pubkey = parse_pubkey(member_pubkey)
    return bap_id_from_address(address_from_pubkey(member_pubkey))
