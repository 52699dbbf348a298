"""Access grants of the local signer API: which host may sign, as whom, until when.

A grant is a random bearer token handed to the app once; only its SHA-256 is stored
(next to host, origin, scopes, identity and expiry), so the file that lists grants for
the GUI can never be used to sign. Grants expire and can be revoked from the GUI; expired
rows are deleted when the store opens and whenever a new grant is issued, so the file
stays as small as the list of live grants.

Part of the signer core (no HTTP, no Qt): the service issues and checks grants, the
local API and the GUI only call the service.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


MONTH_SECONDS = 30 * 86400
MAX_GRANT_SECONDS = MONTH_SECONDS  # for numeric durations; ``forever`` is asked for by name
DEFAULT_GRANT_SECONDS = 3600
FOREVER = math.inf  # a grant that lasts until the user revokes it
ONCE_SECONDS = 10  # TokenPass's ``once``: long enough for the one request that follows
KNOWN_SCOPES = ("sign", "encrypt", "decrypt", "write_profile")

# TokenPass's words first; then "<n><unit>" with s, min, h, d, w and m = MONTH (TokenPass
# reads "1m" as one month, so Sigil does too; minutes are "min").
_NAMED = {"once": ONCE_SECONDS, "forever": FOREVER}
_DURATION = re.compile(r"\s*([0-9]+)\s*(s|min|h|d|w|m)?\s*", re.IGNORECASE | re.ASCII)
_UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "m": MONTH_SECONDS}


class GrantError(Exception):
    """Base of the grant lookup failures (the service tells the local API which one)."""


class GrantInvalid(GrantError):
    """No grant has this token (never issued, or revoked)."""


class GrantExpired(GrantError):
    """The grant existed but its time is up."""



def _token_hash(token: str) -> str:
    """Lowercase hex SHA-256 of the token (UTF-8): the key a grant is stored under. The signer
    keeps its own grants file, so it hashes here rather than reaching into the server's store."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

@dataclass(frozen=True)
class Grant:
    token_hash: str
    host: str
    origin: str
    scopes: tuple[str, ...]
    bap_id: str
    created: float
    expires: float
    site: str = ""  # the host the per-site key is derived for (the Origin's host, or a program's claim)

    def expired(self, now: float) -> bool:
        return now >= self.expires

    @property
    def forever(self) -> bool:
        """Granted until the user revokes it (TokenPass's ``forever``)."""
        return math.isinf(self.expires)

    @property
    def expire_time_ms(self) -> int:
        """``expireTime`` of the ``/api/auth`` answer: ms since the epoch, 0 for never."""
        return 0 if self.forever else int(self.expires * 1000)

    def missing_scopes(self, *needed: str) -> list[str]:
        return [scope for scope in needed if scope not in self.scopes]


def parse_expiry(value: object) -> float:
    """``"once"``, ``"1h"``, ``"1d"``, ``"1w"``, ``"1m"`` (a month), ``"forever"``, ``3600`` -> seconds.

    Numeric durations are clamped to 1 s .. 30 days; ``forever`` is :data:`FOREVER`
    (``math.inf``). Anything else raises ``ValueError`` naming the accepted words.
    """
    if value is None or value == "":
        return DEFAULT_GRANT_SECONDS
    if isinstance(value, bool):
        raise ValueError(_EXPIRY_HELP)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(_EXPIRY_HELP)
        seconds = int(value)
    elif isinstance(value, str):
        named = _NAMED.get(value.strip().lower())
        if named is not None:
            return named
        match = _DURATION.fullmatch(value)
        if not match:
            raise ValueError(_EXPIRY_HELP)
        seconds = int(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    else:
        raise ValueError(_EXPIRY_HELP)
    if seconds <= 0:
        raise ValueError("expiry must be positive")
    return min(seconds, MAX_GRANT_SECONDS)


_EXPIRY_HELP = "expiry must be once, 1h, 1d, 1w, 1m (a month), forever, or a number of seconds"


def parse_scopes(value: object) -> tuple[str, ...]:
    """Scopes as a list (``["sign", "encrypt"]``) or a comma string (``"sign, encrypt"``).

    Defaults to ``("sign",)``; duplicates are dropped; an unknown scope raises ``ValueError``.
    """
    if value is None:
        return ("sign",)
    if isinstance(value, str):
        items: list[str] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ValueError("scopes must be a list of strings or a comma-separated string")
    unknown = [item for item in items if item not in KNOWN_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0][:40]!r}; known: {', '.join(KNOWN_SCOPES)}")
    return tuple(dict.fromkeys(items)) or ("sign",)


class GrantStore:
    """Grants in a small SQLite file; thread-safe (HTTP threads and the GUI share it)."""

    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS grants (token_hash TEXT PRIMARY KEY, host TEXT NOT NULL,"
            " origin TEXT NOT NULL, scopes TEXT NOT NULL, bap_id TEXT NOT NULL,"
            " created REAL NOT NULL, expires REAL NOT NULL)"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(grants)")}
        if "site" not in columns:  # files written before per-site keys
            self._db.execute("ALTER TABLE grants ADD COLUMN site TEXT NOT NULL DEFAULT ''")
        with self._lock:
            self._purge_expired()
        self._listeners: list[Callable[[], None]] = []

    def _purge_expired(self) -> None:
        """Forget grants that can no longer be used (the caller holds the lock)."""
        self._db.execute("DELETE FROM grants WHERE expires <= ?", (self._clock(),))

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Called (from any thread) after a grant is created or revoked."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                pass

    def create(self, host: str, origin: str, scopes: tuple[str, ...], bap_id: str, seconds: float,
               site: str = "") -> tuple[str, Grant]:
        """Issue a grant; returns the raw bearer token (shown to the app once) and the grant."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        grant = Grant(_token_hash(token), host, origin, tuple(scopes), bap_id, now, now + seconds, site)
        with self._lock:
            self._purge_expired()
            self._db.execute(
                f"INSERT INTO grants ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                (grant.token_hash, host, origin, json.dumps(list(scopes)), bap_id, now, grant.expires, site),
            )
        self._changed()
        return token, grant

    def lookup(self, token: str) -> Grant:
        """The live grant for a bearer token; raises GrantInvalid / GrantExpired."""
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM grants WHERE token_hash = ?", (_token_hash(token),)).fetchone()
        if row is None:
            raise GrantInvalid("invalid access token")
        grant = _row_to_grant(row)
        if grant.expired(self._clock()):
            raise GrantExpired("access token expired")
        return grant

    def active(self) -> list[Grant]:
        """Unexpired grants, newest first (what the GUI lists)."""
        now = self._clock()
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM grants WHERE expires > ? ORDER BY created DESC", (now,)).fetchall()
        return [_row_to_grant(row) for row in rows]

    def origin_has_live_grant(self, origin: str) -> bool:
        """Whether a browser origin may use the endpoints beyond /api/status and /api/auth."""
        now = self._clock()
        with self._lock:
            row = self._db.execute("SELECT 1 FROM grants WHERE origin = ? AND expires > ? LIMIT 1", (origin, now)).fetchone()
        return row is not None

    def revoke(self, token_hash: str) -> bool:
        with self._lock:
            changed = self._db.execute("DELETE FROM grants WHERE token_hash = ?", (token_hash,)).rowcount
        if changed:
            self._changed()
        return bool(changed)

    def close(self) -> None:
        with self._lock:
            self._db.close()


_COLUMNS = "token_hash, host, origin, scopes, bap_id, created, expires, site"


def _row_to_grant(row: tuple) -> Grant:
    token_hash, host, origin, scopes, bap_id, created, expires, site = row
    return Grant(token_hash, host, origin, tuple(json.loads(scopes)), bap_id, created, expires, site)
