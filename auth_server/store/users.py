"""The ``user`` table: one user per signing pubkey."""

from __future__ import annotations

import secrets

from auth_server.store.engine import Engine
from auth_server.store.models import User

_COLUMNS = 'id, pubkey, name, image, email, "emailVerified", "bapId", "subscriptionTier", "createdAt", "updatedAt"'
_UPDATABLE = {"name": "name", "image": "image", "email": "email", "bap_id": '"bapId"',
              "subscription_tier": '"subscriptionTier"'}


def new_id() -> str:
    """A 32-character random id (the length Better Auth uses)."""
    return secrets.token_hex(16)


class UserRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> User | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE id = ?', (user_id,)).fetchone()
        return User.from_row(row) if row else None

    def get_by_pubkey(self, pubkey: str) -> User | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE pubkey = ?', (pubkey,)).fetchone()
        return User.from_row(row) if row else None

    def create(
        self, pubkey: str, name: str, now: float, *, bap_id: str | None = None, user_id: str | None = None
    ) -> tuple[User, bool]:
        """Insert a user for ``pubkey`` unless one exists; return ``(user, created)``.

        Atomic under concurrency, on one instance or many: the UNIQUE pubkey plus ``ON
        CONFLICT DO NOTHING`` means twenty simultaneous first sign-ins make one row.
        ``RETURNING`` hands back the new row in the same statement; only a conflict costs
        a second SELECT (which, on PostgreSQL, sees the winner once its insert committed:
        the conflicting insert waits for it).
        """
        with self._engine.write() as conn:
            row = conn.execute(
                'INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt") '
                f"VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT(pubkey) DO NOTHING RETURNING {_COLUMNS}",
                (user_id or new_id(), pubkey, name, bap_id, now, now),
            ).fetchone()
            created = row is not None
            if row is None:
                row = conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE pubkey = ?', (pubkey,)).fetchone()
        return User.from_row(row), created

    def update(self, user_id: str, now: float, **changes: str | None) -> User | None:
        """Set some of ``name, image, email, bap_id, subscription_tier``; return the new row."""
        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise TypeError(f"cannot update {sorted(unknown)}")
        if changes:
            sets = ", ".join(f"{_UPDATABLE[k]} = ?" for k in changes)
            with self._engine.write() as conn:
                conn.execute(f'UPDATE "user" SET {sets}, "updatedAt" = ? WHERE id = ?',
                             (*changes.values(), now, user_id))
        return self.get(user_id)

    def set_email(self, user_id: str, email: str | None, now: float) -> bool:
        """Set (or clear, with None) the user's e-mail, never verified; False when another
        user already has that address (the column is UNIQUE)."""
        with self._engine.write() as conn:
            if email is not None and conn.execute('SELECT 1 AS taken FROM "user" WHERE email = ? AND id != ?',
                                                  (email, user_id)).fetchone():
                return False
            conn.execute('UPDATE "user" SET email = ?, "emailVerified" = 0, "updatedAt" = ? WHERE id = ?',
                         (email, now, user_id))
        return True

    def list(self, limit: int = 100, offset: int = 0) -> list[User]:
        rows = self._engine.conn.execute(
            f'SELECT {_COLUMNS} FROM "user" ORDER BY "createdAt", id LIMIT ? OFFSET ?', (limit, offset)
        ).fetchall()
        return [User.from_row(r) for r in rows]

    def count(self) -> int:
        return self._engine.conn.execute('SELECT count(*) AS n FROM "user"').fetchone()["n"]
