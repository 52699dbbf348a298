"""The ``session`` table. Tokens are bearer secrets, so only their SHA-256 is stored."""

from __future__ import annotations

import secrets

from auth_server.store.engine import Engine, purge_batch
from auth_server.store.hashing import hash_secret
from auth_server.store.models import Session
from auth_server.store.users import new_id

_COLUMNS = ('id, "userId", "expiresAt", "ipAddress", "userAgent", "bapId", "subscriptionTier", '
            '"createdAt", "updatedAt"')


def new_token() -> str:
    """32 random bytes, URL-safe base64 without padding (43 characters)."""
    return secrets.token_urlsafe(32)


class SessionRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        user_id: str,
        now: float,
        expires_at: float,
        *,
        ip_address: str | None = None,
        user_agent: str | None = None,
        bap_id: str | None = None,
        subscription_tier: str | None = None,
    ) -> tuple[str, Session]:
        """Create a session; return ``(token, session)``. The token is not recoverable later."""
        token = new_token()
        token_hash = hash_secret(token)  # before the writer lock, which every process waits for
        session = Session(new_id(), user_id, expires_at, ip_address, user_agent, bap_id, subscription_tier, now, now)
        self.insert(session, token_hash)
        return token, session

    def insert(self, session: Session, token_hash: str) -> None:
        """Record ``session`` under the hash of its token."""
        with self._engine.write() as conn:
            conn.execute(
                f'INSERT INTO "session" ("tokenHash", {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (token_hash, session.id, session.user_id, session.expires_at, session.ip_address, session.user_agent,
                 session.bap_id, session.subscription_tier, session.created_at, session.updated_at),
            )

    def get_by_token(self, token: str, now: float) -> Session | None:
        """The live session a token stands for, or ``None`` (unknown, revoked or expired)."""
        row = self._engine.conn.execute(
            f'SELECT {_COLUMNS} FROM "session" WHERE "tokenHash" = ? AND "expiresAt" > ?', (hash_secret(token), now)
        ).fetchone()
        return Session.from_row(row) if row else None

    def get(self, session_id: str) -> Session | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM "session" WHERE id = ?', (session_id,)).fetchone()
        return Session.from_row(row) if row else None

    def list_for_user(self, user_id: str, now: float) -> list[Session]:
        rows = self._engine.conn.execute(
            f'SELECT {_COLUMNS} FROM "session" WHERE "userId" = ? AND "expiresAt" > ? ORDER BY "createdAt"',
            (user_id, now),
        ).fetchall()
        return [Session.from_row(r) for r in rows]

    def list_live(self, now: float, limit: int = 500) -> list[Session]:
        """Sessions that have not expired, newest first (the admin console's list)."""
        rows = self._engine.conn.execute(
            f'SELECT {_COLUMNS} FROM "session" WHERE "expiresAt" > ? ORDER BY "createdAt" DESC LIMIT ?',
            (now, limit)).fetchall()
        return [Session.from_row(r) for r in rows]

    def count_live(self, now: float) -> int:
        """How many sessions have not expired (the desktop's Server tab shows it)."""
        return self._engine.conn.execute('SELECT COUNT(*) AS n FROM "session" WHERE "expiresAt" > ?',
                                         (now,)).fetchone()["n"]

    def revoke(self, session_id: str, *, user_id: str | None = None) -> bool:
        """Delete one session (only if it belongs to ``user_id``, when given)."""
        sql, args = 'DELETE FROM "session" WHERE id = ?', [session_id]
        if user_id is not None:
            sql += ' AND "userId" = ?'
            args.append(user_id)
        with self._engine.write() as conn:
            return conn.execute(sql, args).rowcount == 1

    def revoke_token(self, token: str, *, user_id: str | None = None) -> bool:
        sql, args = 'DELETE FROM "session" WHERE "tokenHash" = ?', [hash_secret(token)]
        if user_id is not None:
            sql += ' AND "userId" = ?'
            args.append(user_id)
        with self._engine.write() as conn:
            return conn.execute(sql, args).rowcount == 1

    def revoke_all_for_user(self, user_id: str) -> int:
        with self._engine.write() as conn:
            return conn.execute('DELETE FROM "session" WHERE "userId" = ?', (user_id,)).rowcount

    def purge_expired(self, now: float, limit: int) -> int:
        """Delete up to ``limit`` sessions that expired by ``now`` (the background purger's call)."""
        return purge_batch(self._engine, '"session"', "id", '"expiresAt"', now, limit)
