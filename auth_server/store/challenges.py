"""Server nonces for challenge-bound sign-ins (``GET /api/auth/sigma/challenge``).

A challenge is random, short-lived and consumed by the first sign-in that presents it,
so a token covering it is bound to this server and this moment.
"""

from __future__ import annotations

import secrets

from auth_server.store.db import ConnectionPool


class ChallengeRepository:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def issue(self, now: float, expires_at: float) -> str:
        nonce = secrets.token_urlsafe(32)
        with self._pool.write() as conn:
            conn.execute("DELETE FROM sigma_challenge WHERE expiresAt <= ?", (now,))
            conn.execute("INSERT INTO sigma_challenge (nonce, expiresAt) VALUES (?, ?)", (nonce, expires_at))
        return nonce

    def consume(self, nonce: str, now: float) -> bool:
        """True exactly once for a live challenge; False for unknown, used or expired ones."""
        with self._pool.write() as conn:
            return conn.execute(
                "DELETE FROM sigma_challenge WHERE nonce = ? AND expiresAt > ?", (nonce, now)
            ).rowcount == 1
