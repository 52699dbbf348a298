"""The encrypted form of a wallet secret: scrypt-derived key, AES-256-GCM.

Format (JSON, binary fields in standard base64)::

    {"version": 1, "wallet": "default", "kind": "mnemonic",
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "..."},
     "cipher": "aes-256-gcm", "nonce": "...", "ciphertext": "..."}

The AAD binds the wallet name and the kind, so an entry copied to another wallet
or relabelled as another kind fails to decrypt. The KDF parameters are stored with
each envelope, so a stronger default later still opens old vaults.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from signer_app.wallet.errors import WalletError

VERSION = 1
DEFAULT_SCRYPT_N = 2**17  # ~128 MiB, a few tenths of a second: the cost of each guess
DEFAULT_SCRYPT_R = 8
DEFAULT_SCRYPT_P = 1
_MAX_SCRYPT_N = 2**22  # refuse envelopes that would make us allocate absurd memory
_MIN_SCRYPT_N = 2**10


class CorruptVault(WalletError):
    """The stored envelope is not one this version can read."""


class DecryptFailed(Exception):
    """Wrong passphrase (or tampered ciphertext: AES-GCM cannot tell the two apart)."""


@dataclass(frozen=True)
class KdfParams:
    n: int = DEFAULT_SCRYPT_N
    r: int = DEFAULT_SCRYPT_R
    p: int = DEFAULT_SCRYPT_P


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise CorruptVault("the stored wallet is damaged (a field is not base64 text)")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise CorruptVault("the stored wallet is damaged (a field is not base64)") from None


def _aad(wallet: str, kind: str) -> bytes:
    return f"sigil-vault-v{VERSION}|{wallet}|{kind}".encode("utf-8")


def _derive_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal(wallet: str, kind: str, plaintext: bytes, passphrase: str, kdf: KdfParams = KdfParams()) -> str:
    """Encrypt ``plaintext`` under ``passphrase``; return the envelope as JSON text."""
    salt = os.urandom(16)
    nonce = os.urandom(12)
    key = _derive_key(passphrase, salt, kdf.n, kdf.r, kdf.p)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(wallet, kind))
    envelope = {
        "version": VERSION,
        "wallet": wallet,
        "kind": kind,
        "kdf": {"name": "scrypt", "n": kdf.n, "r": kdf.r, "p": kdf.p, "salt": _b64(salt)},
        "cipher": "aes-256-gcm",
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }
    return json.dumps(envelope, sort_keys=True)


@dataclass(frozen=True)
class Envelope:
    wallet: str
    kind: str
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    @classmethod
    def parse(cls, text: str) -> Envelope:
        try:
            data = json.loads(text)
        except (ValueError, TypeError):
            raise CorruptVault("the stored wallet is damaged (not JSON)") from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise CorruptVault("the stored wallet has an unknown format version")
        kdf = data.get("kdf")
        if not isinstance(kdf, dict) or kdf.get("name") != "scrypt" or data.get("cipher") != "aes-256-gcm":
            raise CorruptVault("the stored wallet uses an unknown key derivation or cipher")
        n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)):
            raise CorruptVault("the stored wallet has bad key derivation parameters")
        if not (_MIN_SCRYPT_N <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
            raise CorruptVault("the stored wallet has out-of-range key derivation parameters")
        wallet, kind = data.get("wallet"), data.get("kind")
        if not isinstance(wallet, str) or not isinstance(kind, str):
            raise CorruptVault("the stored wallet is damaged (name or kind missing)")
        return cls(wallet, kind, KdfParams(n, r, p), _unb64(kdf.get("salt")), _unb64(data.get("nonce")),
                   _unb64(data.get("ciphertext")))

    def open(self, passphrase: str) -> bytes:
        """Decrypt; raises :class:`DecryptFailed` for a wrong passphrase."""
        key = _derive_key(passphrase, self.salt, self.kdf.n, self.kdf.r, self.kdf.p)
        try:
            return AESGCM(key).decrypt(self.nonce, self.ciphertext, _aad(self.wallet, self.kind))
        except (InvalidTag, ValueError):
            raise DecryptFailed() from None
