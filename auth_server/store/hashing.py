"""How bearer secrets are kept: only a SHA-256 digest reaches the database.

Session tokens, authorization codes, access and refresh tokens and device codes are all
256-bit random values, so an unsalted SHA-256 is enough (there is no dictionary to guess
from), and a copy of the database gives nobody a usable credential. Every repository
looks its secrets up by this digest.
"""

from __future__ import annotations

import hashlib


def hash_secret(value: str) -> str:
    """Lowercase hex SHA-256 of ``value`` (UTF-8): the key a secret is stored under."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
