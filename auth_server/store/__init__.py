"""Storage: SQLite through sqlite-utils, behind small repositories with plain methods.

``Store.open(path)`` creates the directory, opens the file (WAL, foreign keys, busy
timeout), applies pending migrations (:mod:`auth_server.store.migrations`) and returns
a store whose repositories are attributes::

    store = Store.open(settings.db_path, clock=settings.clock)
    user, created = store.users.create(pubkey, name, now)
    token, session = store.sessions.create(user.id, now, now + 86400)
    store.replay.claim(key, expires_at)        # True the first time only
    store.challenges.issue(now, now + 120)

Routes call these methods and never write SQL, so another backend can replace this one.
Threading: every thread gets its own connection (``store.db`` / ``store.conn``); writes go
through ``store.write()``, a ``BEGIN IMMEDIATE`` transaction behind a process-wide lock
(nested blocks join the outer one). Other repositories (OAuth) are attached in
``Store.__init__`` with one line each and use the same ``pool``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
import sqlite3

import sqlite_utils

from auth_server.store.challenges import ChallengeRepository
from auth_server.store.db import CHECKPOINT_INTERVAL_SECONDS, ConnectionPool
from auth_server.store.migrations import Migration, migrate
from auth_server.store.oauth import OAuthStore
from auth_server.store.models import Session, User
from auth_server.store.replay import ReplayGuard
from auth_server.store.sessions import SessionRepository, hash_token
from auth_server.store.users import UserRepository

__all__ = ["Store", "User", "Session", "hash_token"]


class Store:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self.pool = ConnectionPool(self.path)
        self.users = UserRepository(self.pool)
        self.sessions = SessionRepository(self.pool)
        self.replay = ReplayGuard(self.pool, clock)
        self.challenges = ChallengeRepository(self.pool)
        self.oauth = OAuthStore(self.pool)

    @classmethod
    def open(cls, path: Path | str, *, clock: Callable[[], float] = time.time, migrate_now: bool = True) -> Store:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        path = Path(path).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not path.exists()
        store = cls(path, clock)
        db = store.db
        if db.journal_mode != "wal":
            db.enable_wal()
        if new_file:
            try:
                os.chmod(path, 0o600)  # sessions and keys: owner only
            except OSError:
                pass
        if migrate_now:
            store.migrate()
        return store

    def migrate(self, migrations: list[Migration] | None = None) -> list[Migration]:
        """Apply pending migrations; return the ones applied now."""
        return migrate(self.db, migrations)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils database."""
        return self.pool.db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.pool.conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; see :meth:`ConnectionPool.write`."""
        with self.pool.write() as conn:
            yield conn

    def start_checkpointer(self, interval: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        """Checkpoint the WAL in a background thread, not inside request commits (servers call this)."""
        self.pool.start_checkpointer(interval)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
