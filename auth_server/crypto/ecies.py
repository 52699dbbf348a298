"""Electrum-style ECIES ("BIE1"), byte-compatible with ``@bsv/sdk``'s
``ECIES.electrumEncrypt`` / ``electrumDecrypt``.

Layout: ``"BIE1" ‖ ephemeral pubkey (33, compressed) ‖ AES-128-CBC ciphertext ‖
HMAC-SHA256(kM, everything before)``. The keys come from ``h = SHA512(compressed(e·P))``:
IV = h[0:16], kE = h[16:32], kM = h[32:64]. The MAC is checked (in constant time)
before anything is decrypted, so a changed byte is a :class:`BadMac`, never a padding oracle.
"""

from __future__ import annotations

import hashlib
import hmac

import coincurve
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from auth_server.crypto.errors import BadCiphertext, BadMac

MAGIC = b"BIE1"
_MAC_LENGTH = 32
_BLOCK = 16


def _keys(private_key: coincurve.PrivateKey, public_key: coincurve.PublicKey) -> tuple[bytes, bytes, bytes]:
    shared = public_key.multiply(private_key.secret).format(compressed=True)
    h = hashlib.sha512(shared).digest()
    return h[0:16], h[16:32], h[32:64]


def electrum_encrypt(
    message: bytes, to_pubkey: coincurve.PublicKey, ephemeral: coincurve.PrivateKey | None = None
) -> bytes:
    """Encrypt ``message`` to ``to_pubkey`` with a fresh random ephemeral key.

    ``ephemeral`` is for callers (and tests) that must reproduce a ciphertext; a
    reused ephemeral key makes two messages to the same key share their AES key and IV.
    """
    sender = ephemeral if ephemeral is not None else coincurve.PrivateKey()
    iv, k_e, k_m = _keys(sender, to_pubkey)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(bytes(message)) + padder.finalize()
    encryptor = Cipher(algorithms.AES(k_e), modes.CBC(iv)).encryptor()
    body = MAGIC + sender.public_key.format(compressed=True) + encryptor.update(padded) + encryptor.finalize()
    return body + hmac.new(k_m, body, hashlib.sha256).digest()


def electrum_decrypt(
    data: bytes, to_key: coincurve.PrivateKey, sender_pubkey: coincurve.PublicKey | None = None
) -> bytes:
    """Decrypt a BIE1 message with the recipient's key.

    The sender's key is the ephemeral key embedded in ``data``; ``sender_pubkey``, when
    given, is used instead (as ``@bsv/sdk`` does), which also reads messages made
    without an embedded key. Raises :class:`BadCiphertext` for a malformed message and
    :class:`BadMac` when the MAC does not match.
    """
    data = bytes(data)
    if len(data) < len(MAGIC) + _BLOCK + _MAC_LENGTH or data[:4] != MAGIC:
        raise BadCiphertext("not an ECIES (BIE1) ciphertext")
    offset = len(MAGIC)
    embedded: bytes | None = None
    if len(data) - offset - _MAC_LENGTH >= 33 and data[offset] in (2, 3):
        embedded = data[offset:offset + 33]
    elif len(data) - offset - _MAC_LENGTH >= 65 and data[offset] == 4:
        embedded = data[offset:offset + 65]
    if embedded is not None:
        offset += len(embedded)
    if sender_pubkey is None:
        if embedded is None:
            raise BadCiphertext("the ciphertext carries no sender key")
        try:
            sender_pubkey = coincurve.PublicKey(embedded)
        except (ValueError, TypeError):
            raise BadCiphertext("the ciphertext's sender key is not a point on secp256k1") from None
    ciphertext = data[offset:-_MAC_LENGTH]
    if not ciphertext or len(ciphertext) % _BLOCK:
        raise BadCiphertext("the ciphertext is not a whole number of AES blocks")
    iv, k_e, k_m = _keys(to_key, sender_pubkey)
    expected = hmac.new(k_m, data[:-_MAC_LENGTH], hashlib.sha256).digest()
    if not hmac.compare_digest(expected, data[-_MAC_LENGTH:]):
        raise BadMac("the ciphertext's MAC does not match (wrong key, or the data was changed)")
    decryptor = Cipher(algorithms.AES(k_e), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise BadCiphertext("the ciphertext's padding is invalid") from None
