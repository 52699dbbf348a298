"""Storage: small repositories with plain methods, on SQLite or PostgreSQL.

``Store.open(target)`` picks the engine (:func:`open_engine`: a path or
``sqlite:PATH`` is the embedded SQLite file, ``postgresql://...`` a shared PostgreSQL
database), applies pending migrations (:mod:`auth_server.store.migrations`) and returns
a store whose repositories are attributes::

    store = Store.open(settings.db_path, clock=settings.clock)
    user, created = store.users.create(pubkey, name, now)
    token, session = store.sessions.create(user.id, now, now + 86400)
    store.replay.claim(key, expires_at)        # True the first time only, on any instance
    store.challenges.issue(now, now + 120)
    store.oauth.codes.redeem(...)              # clients, codes, tokens, consents, devices

Routes call these methods and never write SQL. ``store.write()`` is one transaction
(nested blocks, including the repositories' own, join it), so a handler can make a
replay claim and what it buys one commit. Servers call :meth:`Store.start_checkpointer`
to start the background upkeep: WAL checkpoints (SQLite) and the purge of expired rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auth_server.store.audit import AuditLog
from auth_server.store.challenges import ChallengeRepository
from auth_server.store.groups import GroupRepository
from auth_server.store.invitations import InvitationRepository
from auth_server.store.sqlite import CHECKPOINT_INTERVAL_SECONDS
from auth_server.paths import check_database_target, is_postgres, sqlite_path
from auth_server.store.engine import Connection, Engine
from auth_server.store.hashing import hash_secret
from auth_server.store.migrations import Migration, migrate
from auth_server.store.models import Session, User
from auth_server.store.oauth import OAuthStore
from auth_server.store.profiles import AvatarRepository, ProfileShareRepository
from auth_server.store.purge import PURGE_INTERVAL_SECONDS, Purger
from auth_server.store.ratelimits import RateLimitRepository
from auth_server.store.replay import ReplayGuard
from auth_server.store.sessions import SessionRepository
from auth_server.store.signins import SignInRepository
from auth_server.store.signing_keys import SigningKeyRepository
from auth_server.store.users import UserRepository

def open_engine(target: str | Path) -> Engine:
    """The engine for ``target``: PostgreSQL for a ``postgresql://`` URL (several instances
    may share it), else the SQLite file it names (files and dirs are created). Each engine
    module is imported only when used, so a SQLite install never loads psycopg. A malformed
    URL is :class:`~auth_server.paths.DatabaseURLError`, never a SQLite file named after it."""
    check_database_target(target)
    if is_postgres(target):
        from auth_server.store.postgres import PostgresEngine

        return PostgresEngine(str(target))
    from auth_server.store.sqlite import SQLiteEngine

    return SQLiteEngine.open(sqlite_path(target))


__all__ = ["Store", "User", "Session", "hash_secret", "is_postgres"]


class Store:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self.users = UserRepository(engine)
        self.sessions = SessionRepository(engine)
        self.replay = ReplayGuard(engine, clock)
        self.challenges = ChallengeRepository(engine)
        self.rate_limits = RateLimitRepository(engine)
        self.oauth = OAuthStore(engine)
        self.groups = GroupRepository(engine)
        self.invitations = InvitationRepository(engine)
        self.audit = AuditLog(engine)
        self.signing_keys = SigningKeyRepository(engine)
        self.avatars = AvatarRepository(engine)
        self.profile_shares = ProfileShareRepository(engine)
        self.signins = SignInRepository(engine, challenges=self.challenges, replay=self.replay, users=self.users,
                                        sessions=self.sessions, groups=self.groups, invitations=self.invitations,
                                        audit=self.audit, avatars=self.avatars, shares=self.profile_shares)
        self._purger: Purger | None = None

    @classmethod
    def open(cls, target: Path | str, *, clock: Callable[[], float] = time.time, migrate_now: bool = True) -> Store:
        """Open the database ``target`` names (creating a SQLite file if needed), migrated unless told not to."""
        store = cls(open_engine(target), clock)
        if migrate_now:
            try:
                store.migrate()
            except BaseException:
                store.close()
                raise
        return store

    def describe(self) -> str:
        """The database, for logs: a file path or a URL without its password."""
        return self.engine.describe()

    def answers(self) -> bool:
        """Whether the database answers a trivial statement now (``/healthz``); never raises."""
        try:
            self.engine.conn.execute("SELECT 1").fetchone()
        except Exception:
            return False
        return True

    def migrate(self, migrations: list[Migration] | None = None) -> list[Migration]:
        """Apply pending migrations; return the ones applied now."""
        return migrate(self.engine, migrations)

    @property
    def conn(self) -> Connection:
        """Run one statement: ``store.conn.execute(sql, params)`` (``?`` placeholders)."""
        return self.engine.conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; nested calls join the outer one (see :mod:`auth_server.store.engine`)."""
        with self.engine.write() as conn:
            yield conn

    def start_checkpointer(self, interval: float = CHECKPOINT_INTERVAL_SECONDS,
                           purge_interval: float = PURGE_INTERVAL_SECONDS) -> None:
        """Start the background upkeep servers need: WAL checkpoints every ``interval`` seconds
        (SQLite only) and the purge of expired rows every ``purge_interval`` (both engines)."""
        self.engine.start_checkpointer(interval)
        if self._purger is None:
            self._purger = Purger(self, self.clock, purge_interval).start()

    def close(self) -> None:
        if self._purger is not None:
            self._purger.stop()
            self._purger = None
        self.engine.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
