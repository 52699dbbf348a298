"""The ``oauth_code`` table: authorization codes, stored by hash, redeemed once.

Redeeming (marking the code used and storing the tokens it buys) is
:meth:`auth_server.store.oauth_tokens.TokenRepository.redeem_code`, one transaction.
"""

from __future__ import annotations

from auth_server.store.models import AuthorizationCode
from auth_server.store.engine import Engine, fetch_one, purge_batch


class CodeRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, code: AuthorizationCode) -> None:
        with self._engine.write() as conn:
            conn.execute(
                "INSERT INTO oauth_code (code_hash, client_id, user_id, bap_id, redirect_uri, scope,"
                " code_challenge, nonce, auth_time, family_id, expires_at, used_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (code.code_hash, code.client_id, code.user_id, code.bap_id, code.redirect_uri, code.scope,
                 code.code_challenge, code.nonce, code.auth_time, code.family_id, code.expires_at),
            )

    def get(self, code_hash: str) -> AuthorizationCode | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM oauth_code WHERE code_hash = ?", (code_hash,))
        return AuthorizationCode(**row) if row else None

    def purge_expired(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` codes that expired before ``before``."""
        return purge_batch(self._engine, "oauth_code", "code_hash", "expires_at", before, limit)
