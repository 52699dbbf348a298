"""Single-use memory for signed tokens (docs/PROTOCOL.md section 1, rule 3).

A key is remembered until it expires; afterwards the token it stands for is stale
anyway, so the row can go (:mod:`auth_server.store.purge` removes it in the background).
``claim`` is one statement, atomic across threads, processes and server instances: the
primary key makes the second insert of a live key a no-op that reports False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from auth_server.store.engine import Connection, Engine, purge_batch


@dataclass(frozen=True)
class Claim:
    """A single-use proof checked but not yet spent: spent by the store call that also does
    what the proof pays for (a code exchange, :class:`~auth_server.store.codes.Redemption`),
    so both cost one round trip. ``refusal`` is what the caller answers when it was spent
    before."""

    key: str
    expires_at: float
    refusal: str


def storable_key(key: str) -> str:
    """``key`` as a row can hold it on both engines: PostgreSQL refuses NUL in text (and
    UTF-8 lone surrogates), and a key carries a client's ``jti``; such a key is stored as
    its SHA-256, which keeps it exactly as single-use."""
    try:
        if "\x00" not in key:
            key.encode("utf-8")
            return key
    except UnicodeEncodeError:
        pass
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


_CLAIM = ('INSERT INTO replay_guard (key, "expiresAt") VALUES (?, ?) '
          'ON CONFLICT(key) DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE replay_guard."expiresAt" <= ?')


def claim_in(conn: Connection, key: str, expires_at: float, now: float) -> bool:
    """:meth:`ReplayGuard.claim` on ``conn``, inside the caller's transaction."""
    return conn.execute(_CLAIM, (storable_key(key), expires_at, now)).rowcount == 1


class ReplayGuard:
    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self._engine = engine
        self._clock = clock

    def claim(self, key: str, expires_at: float) -> bool:
        """Remember ``key`` until ``expires_at``; True the first time, False while it is live.

        An expired row for the same key is taken over (that key may be used again).
        """
        now = self._clock()
        if self._engine.dialect == "postgresql":
            # one statement is its own transaction there (or joins this thread's): a write()
            # block around it would be two more round trips, BEGIN and COMMIT
            return claim_in(self._engine.conn, key, expires_at, now)
        with self._engine.write() as conn:
            return claim_in(conn, key, expires_at, now)

    def purge_expired(self, now: float, limit: int) -> int:
        """Forget up to ``limit`` claims that expired by ``now``."""
        return purge_batch(self._engine, "replay_guard", "key", '"expiresAt"', now, limit)
