"""Single-use memory for signed tokens (PROTOCOL.md section 1, rule 3).

A key is remembered until it expires; afterwards the token it stands for is stale
anyway, so the row can go. ``claim`` is atomic across threads and processes: the
primary key makes the second insert of a live key a no-op that reports False.
"""

from __future__ import annotations

from collections.abc import Callable

from auth_server.store.db import ConnectionPool

PURGE_EVERY = 1000


class ReplayGuard:
    def __init__(self, pool: ConnectionPool, clock: Callable[[], float]) -> None:
        self._pool = pool
        self._clock = clock
        self._claims = 0

    def claim(self, key: str, expires_at: float) -> bool:
        """Remember ``key`` until ``expires_at``; True the first time, False while it is live.

        An expired row for the same key is taken over (that key may be used again).
        """
        now = self._clock()
        with self._pool.write() as conn:
            cursor = conn.execute(
                "INSERT INTO replay_guard (key, expiresAt) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET expiresAt = excluded.expiresAt WHERE replay_guard.expiresAt <= ?",
                (key, expires_at, now),
            )
            claimed = cursor.rowcount == 1
            self._claims += 1
            if self._claims % PURGE_EVERY == 0:
                conn.execute("DELETE FROM replay_guard WHERE expiresAt <= ?", (now,))
        return claimed

    def purge(self) -> int:
        with self._pool.write() as conn:
            return conn.execute("DELETE FROM replay_guard WHERE expiresAt <= ?", (self._clock(),)).rowcount
