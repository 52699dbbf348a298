"""Server nonces for challenge-bound sign-ins (``GET /api/auth/sigma/challenge``).

A challenge is random, short-lived and consumed by the first sign-in that presents it,
so a token covering it is bound to this server and this moment. Consuming is one
``DELETE``: of two instances presenting one nonce at once, only one deletes a row.
"""

from __future__ import annotations

import secrets

from auth_server.store.engine import Engine, purge_batch


class ChallengeRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def issue(self, now: float, expires_at: float) -> str:
        nonce = secrets.token_urlsafe(32)
        with self._engine.write() as conn:
            conn.execute('INSERT INTO sigma_challenge (nonce, "expiresAt") VALUES (?, ?)', (nonce, expires_at))
        return nonce

    def consume(self, nonce: str, now: float) -> bool:
        """True exactly once for a live challenge; False for unknown, used or expired ones."""
        with self._engine.write() as conn:
            return conn.execute(
                'DELETE FROM sigma_challenge WHERE nonce = ? AND "expiresAt" > ?', (nonce, now)
            ).rowcount == 1

    def purge_expired(self, now: float, limit: int) -> int:
        return purge_batch(self._engine, "sigma_challenge", "nonce", '"expiresAt"', now, limit)
