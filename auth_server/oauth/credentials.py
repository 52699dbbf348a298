"""Opaque credentials (codes, access and refresh tokens, device codes) and how they are stored.

Only a SHA-256 digest of each credential reaches the database, so a copy of the
database gives nobody a usable token. Random values are 256 bits; SHA-256 without a
salt is enough for such values (no dictionary to guess from).
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Callable

from auth_server.store.hashing import hash_secret  # the one hash helper; the grants import it from here

RandomSource = Callable[[int], str]


def new_credential(nbytes: int = 32) -> str:
    """A URL-safe random string with ``nbytes`` of entropy."""
    return _secrets.token_urlsafe(nbytes)


# RFC 8628 section 6.1: user codes from a small alphabet without look-alike characters.
#: a client secret's bytes of randomness (256 bits)
SECRET_BYTES = 32


def new_client_secret() -> tuple[str, str]:
    """A fresh client secret and the hash to store: ``(secret, secret_hash)``."""
    secret = new_credential(SECRET_BYTES)
    return secret, hash_secret(secret)


USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def new_user_code() -> str:
    """An 8-letter device user code shown as ``ABCD-EFGH`` (about 34 bits of entropy)."""
    letters = "".join(_secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


_TYPED_SEPARATORS = str.maketrans("", "", " \t-")


def normalize_user_code(value: str) -> str:
    """What the user typed, tolerant of case, spaces and dashes, in ``ABCD-EFGH`` form.

    ASCII only: ``str.upper`` and ``str.isalnum`` know all of Unicode (``"ſ".upper()`` is
    ``"S"``, fullwidth and Arabic-Indic characters are alphanumeric), so anything that is
    not ASCII letters and digits is left as typed, and matches no code.
    """
    letters = value.translate(_TYPED_SEPARATORS)
    if not (letters.isascii() and letters.isalnum()):
        return value
    letters = letters.upper()
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters
