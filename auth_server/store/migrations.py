"""Versioned schema migrations, applied in order at start (and by ``sigil-server migrate``).

A migration is ``(version, name, fn)``; ``fn(db)`` receives a :class:`sqlite_utils.Database`
and runs inside one transaction together with its bookkeeping row in ``schema_version``,
so a failed migration leaves nothing behind. Applied versions are never re-run; never edit
a released migration, add a new one.

Version ranges keep parallel features apart:

* 1-99: core (users, sessions, replay guard, sign-in challenges) - this module;
* 100-199: OAuth (``auth_server/store/oauth.py``). To plug them in, define there
  ``MIGRATIONS: list[Migration]`` and add at the bottom of this module::

      from auth_server.store.oauth import MIGRATIONS as OAUTH_MIGRATIONS
      MIGRATIONS += OAUTH_MIGRATIONS

Column names follow Better Auth's models (camelCase) where a table matches one of its
models (``user``, ``session``). Times are stored as Unix seconds (REAL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import sqlite_utils


class Migration(NamedTuple):
    version: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _core_schema(db: sqlite_utils.Database) -> None:
    statements = [
        """CREATE TABLE "user" (
            id TEXT PRIMARY KEY,
            pubkey TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            image TEXT,
            email TEXT UNIQUE,
            emailVerified INTEGER NOT NULL DEFAULT 0,
            bapId TEXT,
            subscriptionTier TEXT,
            createdAt REAL NOT NULL,
            updatedAt REAL NOT NULL
        )""",
        """CREATE TABLE "session" (
            id TEXT PRIMARY KEY,
            tokenHash TEXT NOT NULL UNIQUE,
            userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
            expiresAt REAL NOT NULL,
            ipAddress TEXT,
            userAgent TEXT,
            bapId TEXT,
            subscriptionTier TEXT,
            createdAt REAL NOT NULL,
            updatedAt REAL NOT NULL
        )""",
        'CREATE INDEX idx_session_user ON "session"(userId)',
        'CREATE INDEX idx_session_expires ON "session"(expiresAt)',
        """CREATE TABLE replay_guard (
            key TEXT PRIMARY KEY,
            expiresAt REAL NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX idx_replay_expires ON replay_guard(expiresAt)",
        """CREATE TABLE sigma_challenge (
            nonce TEXT PRIMARY KEY,
            expiresAt REAL NOT NULL
        ) WITHOUT ROWID""",
    ]
    for sql in statements:
        db.conn.execute(sql)


CORE_MIGRATIONS: list[Migration] = [
    Migration(1, "core: user, session, replay_guard, sigma_challenge", _core_schema),
]

#: Every migration the server knows, in the order they are applied.
MIGRATIONS: list[Migration] = list(CORE_MIGRATIONS)


def applied_versions(db: sqlite_utils.Database) -> set[int]:
    if not db["schema_version"].exists():
        return set()
    return {row[0] for row in db.conn.execute("SELECT version FROM schema_version")}


def pending(db: sqlite_utils.Database, migrations: list[Migration] | None = None) -> list[Migration]:
    done = applied_versions(db)
    return sorted((m for m in (migrations or MIGRATIONS) if m.version not in done), key=lambda m: m.version)


def migrate(db: sqlite_utils.Database, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own ``BEGIN IMMEDIATE`` transaction.

    Safe to call from several processes at once: the version check is repeated inside
    the write lock. Returns the migrations applied now.
    """
    migrations = list(MIGRATIONS if migrations is None else migrations)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migrations share a version number")
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    applied: list[Migration] = []
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, appliedAt REAL NOT NULL)"
    )
    conn.commit()
    for migration in pending(db, migrations):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM schema_version WHERE version = ?", (migration.version,)).fetchone():
                conn.rollback()
                continue
            migration.apply(db)
            conn.execute(
                "INSERT INTO schema_version (version, name, appliedAt) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        applied.append(migration)
    return applied

from auth_server.store.oauth import MIGRATIONS as OAUTH_MIGRATIONS  # noqa: E402  (versions 100-199)

MIGRATIONS += OAUTH_MIGRATIONS
