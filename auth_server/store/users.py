"""The ``user`` table: one user per signing pubkey."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auth_server.store.engine import Engine
from auth_server.store.models import User

_COLUMNS = ('id, pubkey, name, image, email, "emailVerified", "bapId", "subscriptionTier", "createdAt", "updatedAt", '
            'disabled, username, "profileName"')
_UPDATABLE = {"name": "name", "image": "image", "email": "email", "bap_id": '"bapId"',
              "subscription_tier": '"subscriptionTier"', "profile_name": '"profileName"'}
#: a handle a user gets when they asked for none (or theirs was taken): from their BAP ID or key
_HANDLE_CHARS = re.compile(r"[^a-z0-9]")


def username_base(bap_id: str | None, pubkey: str) -> str:
    """The handle a user is given by default: their BAP ID lowercased (base58 has no
    punctuation), or ``key-`` and the start of their public key when they have no BAP ID.
    At most 32 characters (a collision suffix replaces the end: see username_candidates)."""
    if bap_id:
        base = _HANDLE_CHARS.sub("", bap_id.lower())[:32]
        if len(base) >= 3:
            return base
    return "key-" + pubkey.lower()[2:18]


def username_candidates(wanted: str | None, base: str) -> list[str]:
    """The handles to try in order: the one asked for, the default one, then the default with
    random suffixes (a collision on a lowercased BAP ID is rare; a few tries suffice)."""
    out = [wanted] if wanted else []
    out.append(base)
    out += [f"{base[:27]}-{secrets.token_hex(2)}" for _ in range(8)]
    return out


@dataclass(frozen=True)
class UserProfile:
    """A user with what their claims need beside the row: their groups, sorted, and the apps
    they chose not to share their name and picture with."""

    user: User
    groups: tuple[str, ...]
    unshared_clients: tuple[str, ...] = ()


@lru_cache(maxsize=8)
def profile_columns(dialect: str, alias: str = "u") -> str:
    """The select list of one user's claims (the ``user`` row as ``alias``, its groups and the
    apps it does not share its profile with), read
    with the row in the same statement. Every read of a user for claims (id_token, userinfo,
    introspection, the code exchange's one PostgreSQL call) selects this list, so a new
    claim column or join is added here once."""
    columns = ", ".join(f"{alias}.{c.strip()}" for c in _COLUMNS.split(","))
    members = f'SELECT m."group" FROM user_group_member m WHERE m."userId" = {alias}.id ORDER BY m."group"'
    # the few apps this user said no to: read here, so a claim for an app needs no other statement
    unshared = f'SELECT s."clientId" FROM profile_share s WHERE s."userId" = {alias}.id AND s.share = 0'
    if dialect == "postgresql":
        return f"{columns}, ARRAY({members}) AS groups, ARRAY({unshared}) AS unshared"
    return (f'{columns}, (SELECT json_group_array("group") FROM ({members})) AS groups, '
            f'(SELECT json_group_array("clientId") FROM ({unshared})) AS unshared')


def profile_from_row(row: Any) -> UserProfile | None:
    """The :class:`UserProfile` of a row selected with :func:`profile_columns`; None when the
    row holds no user (an outer join that found none)."""
    if row["id"] is None:
        return None
    return UserProfile(User.from_row(row), _listed(row["groups"]), _listed(row["unshared"]))


def _listed(value: Any) -> tuple[str, ...]:
    """A PostgreSQL array (a list) or SQLite's JSON array (text) as a tuple."""
    return tuple(value if isinstance(value, list) else json.loads(value or "[]"))


def new_id() -> str:
    """A 32-character random id (the length Better Auth uses)."""
    return secrets.token_hex(16)


class UserRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> User | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE id = ?', (user_id,)).fetchone()
        return User.from_row(row) if row else None

    def profile(self, user_id: str) -> UserProfile | None:
        """The user and their groups in one statement (disabled users too: the caller decides)."""
        row = self._engine.conn.execute(
            f'SELECT {profile_columns(self._engine.dialect)} FROM "user" u WHERE u.id = ?', (user_id,)).fetchone()
        return profile_from_row(row) if row else None

    def get_by_pubkey(self, pubkey: str) -> User | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE pubkey = ?', (pubkey,)).fetchone()
        return User.from_row(row) if row else None

    def create(
        self, pubkey: str, name: str, now: float, *, bap_id: str | None = None, user_id: str | None = None,
        usernames: Iterable[str] | None = None,
    ) -> tuple[User, bool]:
        """Insert a user for ``pubkey`` unless one exists; return ``(user, created)``.

        Atomic under concurrency, on one instance or many: the UNIQUE pubkey plus ``ON
        CONFLICT DO NOTHING`` means twenty simultaneous first sign-ins make one row.
        ``RETURNING`` hands back the new row in the same statement; only a conflict costs
        a second SELECT (which, on PostgreSQL, sees the winner once its insert committed:
        the conflicting insert waits for it). A new user gets the first free handle of
        ``usernames`` (default: the one derived from the BAP ID or key).
        """
        handles = list(usernames or username_candidates(None, username_base(bap_id, pubkey)))
        user_id = user_id or new_id()
        with self._engine.write() as conn:
            row = None
            if self._engine.dialect == "sqlite":
                # the first handle goes in with the row when it is free (one statement, as before
                # handles existed); the writer lock keeps the check and the insert together
                row = conn.execute(
                    'INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt", '
                    'username) SELECT ?, ?, ?, 0, ?, ?, ?, ? WHERE NOT EXISTS '
                    '(SELECT 1 FROM "user" WHERE username = ?) '
                    f"ON CONFLICT(pubkey) DO NOTHING RETURNING {_COLUMNS}",
                    (user_id, pubkey, name, bap_id, now, now, handles[0], handles[0]),
                ).fetchone()
                if row is not None:
                    return User.from_row(row), True
            row = conn.execute(
                'INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt") '
                f"VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT(pubkey) DO NOTHING RETURNING {_COLUMNS}",
                (user_id, pubkey, name, bap_id, now, now),
            ).fetchone()
            created = row is not None
            if row is None:
                row = conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE pubkey = ?', (pubkey,)).fetchone()
            else:
                self.claim_username(row["id"], handles, now)
                row = conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE id = ?', (row["id"],)).fetchone()
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

    def claim_username(self, user_id: str, candidates: Iterable[str], now: float) -> str | None:
        """Give the user the first free handle of ``candidates`` (kept if already theirs); the
        handle they have after, None when every candidate is taken.

        One conditional UPDATE per candidate, under the unique index on ``username``: on SQLite
        the writer lock serialises the check and the write; on PostgreSQL a second writer racing
        for the same handle meets the index and gets nothing (a savepoint keeps its transaction).
        """
        with self._engine.write() as conn:
            for candidate in candidates:
                row = conn.execute('SELECT id FROM "user" WHERE username = ?', (candidate,)).fetchone()
                if row is not None:
                    if row["id"] == user_id:
                        return candidate
                    continue
                if self._engine.dialect == "postgresql":
                    import psycopg

                    conn.execute("SAVEPOINT sigil_username")
                    try:
                        done = conn.execute('UPDATE "user" SET username = ?, "updatedAt" = ? WHERE id = ?',
                                            (candidate, now, user_id)).rowcount == 1
                    except psycopg.errors.UniqueViolation:
                        conn.execute("ROLLBACK TO SAVEPOINT sigil_username")
                        continue
                    conn.execute("RELEASE SAVEPOINT sigil_username")
                else:
                    done = conn.execute('UPDATE "user" SET username = ?, "updatedAt" = ? WHERE id = ?',
                                        (candidate, now, user_id)).rowcount == 1
                if done:
                    return candidate
            row = conn.execute('SELECT username FROM "user" WHERE id = ?', (user_id,)).fetchone()
        return row["username"] if row else None

    def get_by_username(self, username: str) -> User | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM "user" WHERE username = ?',
                                        (username.lower(),)).fetchone()
        return User.from_row(row) if row else None

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

    def find(self, ref: str) -> User | None:
        """The user a person names: its id, its pubkey, its BAP ID or its username (what `users show` takes)."""
        row = self._engine.conn.execute(
            f'SELECT {_COLUMNS} FROM "user" WHERE id = ? OR pubkey = ? OR "bapId" = ? OR username = ? '
            'ORDER BY "createdAt" LIMIT 1', (ref, ref.lower(), ref, ref.lower())).fetchone()
        return User.from_row(row) if row else None

    def list(self, limit: int = 100, offset: int = 0, *, group: str | None = None,
             search: str | None = None) -> list[User]:
        """Users oldest first; only members of ``group``, or those whose id, pubkey, BAP ID or
        name contains ``search`` (case-insensitive), when given."""
        where, args = [], []
        if group is not None:
            where.append('id IN (SELECT "userId" FROM user_group_member WHERE "group" = ?)')
            args.append(group)
        if search:
            pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(lower(id) LIKE ? ESCAPE '\\' OR lower(pubkey) LIKE ? ESCAPE '\\' "
                         "OR lower(coalesce(\"bapId\", '')) LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\' "
                         "OR coalesce(username, '') LIKE ? ESCAPE '\\' "
                         "OR lower(coalesce(\"profileName\", '')) LIKE ? ESCAPE '\\')")
            args += [pattern] * 6
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._engine.conn.execute(
            f'SELECT {_COLUMNS} FROM "user" {clause}ORDER BY "createdAt", id LIMIT ? OFFSET ?', (*args, limit, offset)
        ).fetchall()
        return [User.from_row(r) for r in rows]

    def set_disabled(self, user_id: str, disabled: bool, now: float) -> bool:
        """Mark the user (not) disabled; False when there is no such user."""
        with self._engine.write() as conn:
            return conn.execute('UPDATE "user" SET disabled = ?, "updatedAt" = ? WHERE id = ?',
                                (int(disabled), now, user_id)).rowcount == 1

    def remove(self, user_id: str) -> bool:
        """Delete the user (sessions and group memberships go with it by foreign key)."""
        with self._engine.write() as conn:
            return conn.execute('DELETE FROM "user" WHERE id = ?', (user_id,)).rowcount == 1

    def count(self) -> int:
        return self._engine.conn.execute('SELECT count(*) AS n FROM "user"').fetchone()["n"]
