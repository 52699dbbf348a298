"""The operator's secret file: the key-encryption key that seals the signing keys in the store.

The database holds every signing key, but only sealed (AES-256-GCM, the key derived from
the file with HKDF-SHA256, the key's ``kid`` and ``alg`` bound in as associated data), so a
copy of the database (a backup, a replica, a leaked dump) cannot sign anything. Every
instance on one database needs the same file.

Where it comes from: ``--secret-file`` / ``SIGIL_SECRET_FILE``. On SQLite (one machine)
it defaults to ``secret.key`` in the data dir and is made there, 0600, on first start, as
the other files of the data dir are. On PostgreSQL, where instances on several hosts
share the database, an instance that made its own file would seal keys the others cannot
open, so a file must be given explicitly and must exist (:data:`HOW_TO_MAKE` says how).
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger("sigil.keys")

DEFAULT_NAME = "secret.key"
MIN_LENGTH = 32  # bytes of the file's text, surrounding whitespace stripped
HOW_TO_MAKE = ("make one with `sigil-server keys new-secret-file PATH` (or `openssl rand -base64 32 > PATH && "
               "chmod 600 PATH`), give every instance the same file with --secret-file PATH or SIGIL_SECRET_FILE, "
               "and keep a copy: without it the signing keys in the database cannot be used")
_SEALED_PREFIX = "v1."
_HKDF_INFO = b"sigil signing-key encryption v1"


class SecretFileError(ValueError):
    """The secret file is missing, unreadable, too short, or not the one the keys were sealed with.

    Raised at start (``sigil-server serve``, the desktop's server, ``keys rotate``), never
    while serving; the message says what to do and never contains the secret.
    """


def make_secret_file(path: Path) -> Path:
    """Write a new secret (32 random bytes, base64url text) to ``path`` with 0600; refuse to
    overwrite an existing file (that would orphan every key sealed with it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SecretFileError(f"{path} exists already; it is not replaced (keys sealed with it would be lost)") from None
    try:
        os.write(fd, base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def resolve_secret_file(given: Path | None, *, postgres: bool, data_dir: Path) -> Path:
    """The secret file to use, made first where that is safe (SQLite); see the module doc."""
    if given is None:
        if postgres:
            raise SecretFileError("on PostgreSQL every instance needs the same secret file to open the shared "
                                  f"signing keys, and none was given: {HOW_TO_MAKE}")
        given = data_dir / DEFAULT_NAME
    path = Path(given).expanduser()
    if not path.exists():
        if postgres:
            raise SecretFileError(f"the secret file {path} does not exist: {HOW_TO_MAKE}")
        make_secret_file(path)
        log.debug("made the secret file %s (it seals the signing keys: back it up with the database)", path)
    return path


class KeyCipher:
    """Seals and opens private keys with the key derived from one secret file."""

    def __init__(self, secret: bytes, source: str = "the secret file") -> None:
        secret = secret.strip()
        if len(secret) < MIN_LENGTH:
            raise SecretFileError(f"{source} holds {len(secret)} bytes; at least {MIN_LENGTH} are needed: {HOW_TO_MAKE}")
        kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
        self._aead = AESGCM(kek)
        self.source = source

    @classmethod
    def from_file(cls, path: Path) -> KeyCipher:
        try:
            data = path.read_bytes()
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as exc:
            raise SecretFileError(f"cannot read the secret file {path}: {exc.strerror or exc}") from None
        if mode & 0o077:
            log.warning("the secret file %s can be read by other users (mode %o); chmod 600 it", path, mode)
        return cls(data, f"the secret file {path}")

    @staticmethod
    def _aad(kid: str, alg: str) -> bytes:
        return f"sigil-signing-key|{alg}|{kid}".encode()

    def seal(self, private_der: bytes, *, kid: str, alg: str) -> str:
        """``v1.<nonce>.<ciphertext>`` (base64url) of a private key, bound to its kid and alg."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, private_der, self._aad(kid, alg))
        return _SEALED_PREFIX + _b64(nonce) + "." + _b64(sealed)

    def open(self, sealed: str, *, kid: str, alg: str) -> bytes:
        """The private key sealed in ``sealed``; :class:`SecretFileError` if this file did not seal it."""
        try:
            if not sealed.startswith(_SEALED_PREFIX):
                raise ValueError("unknown format")
            nonce, body = (base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
                           for part in sealed[len(_SEALED_PREFIX):].split("."))
            return self._aead.decrypt(nonce, body, self._aad(kid, alg))
        except (InvalidTag, ValueError):
            raise SecretFileError(
                f"{self.source} does not open the signing key {kid} in the database: the keys were sealed with "
                "another secret file. Start with the file the first instance used (every instance on one database "
                "needs the same one)") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
