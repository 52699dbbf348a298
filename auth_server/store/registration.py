"""The ``oauth_registration_token`` table: initial access tokens for dynamic client
registration (RFC 7591 3), made by the admin, stored by hash, each good for one client.

Spending one is a single conditional UPDATE, so two registrations racing with the same
token (on any number of instances) register one client. The table stays small (the
admin makes these by hand), so expired rows are dropped whenever a new token is issued.
"""

from __future__ import annotations

from auth_server.store.engine import Engine


class RegistrationTokenRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def issue(self, token_hash: str, now: float, expires_at: float) -> None:
        with self._engine.write() as conn:
            conn.execute("DELETE FROM oauth_registration_token WHERE expires_at <= ?", (now,))
            conn.execute("INSERT INTO oauth_registration_token (token_hash, created_at, expires_at, used_at)"
                         " VALUES (?, ?, ?, NULL)", (token_hash, now, expires_at))

    def spend(self, token_hash: str, now: float) -> bool:
        """Mark a live, unused token used; False when it is unknown, expired or spent already."""
        with self._engine.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_registration_token SET used_at = ?"
                " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                (now, token_hash, now),
            )
        return cur.rowcount == 1
