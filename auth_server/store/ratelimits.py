"""Rate-limit windows in the shared database: one UPSERT per hit, seen by every instance.

With several instances behind a proxy, per-machine counters (:mod:`auth_server.counters`)
would let a client through once per instance. :class:`DatabaseCounters` implements the
same :class:`~auth_server.counters.Counters` interface on the ``rate_limit`` table: one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` starts or bumps the key's fixed
window and answers the count, atomically (the row lock orders concurrent hits).
Over-limit hits are counted too; the answer (wait until the window ends) is the same.
Expired windows go with the background purger (:mod:`auth_server.store.purge`).

``bench/ratelimit.py`` measures how many hits per second PostgreSQL takes this way.
"""

from __future__ import annotations

import os
import threading

from auth_server.store.engine import Engine, purge_batch

_HIT = (
    'INSERT INTO rate_limit (key, "windowEnds", hits) VALUES (?, ?, 1) '
    "ON CONFLICT(key) DO UPDATE SET "
    'hits = CASE WHEN rate_limit."windowEnds" <= ? THEN 1 ELSE rate_limit.hits + 1 END, '
    '"windowEnds" = CASE WHEN rate_limit."windowEnds" <= ? THEN excluded."windowEnds" ELSE rate_limit."windowEnds" END '
    'RETURNING hits, "windowEnds"'
)


class RateLimitRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def hit(self, key: str, limit: int, window: float, now: float) -> float | None:
        """Count a hit; None within ``limit``, else the seconds until the window ends."""
        # one statement, so one round trip (autocommit; atomic on its own)
        row = self._engine.conn.execute(_HIT, (key, now + window, now, now)).fetchone()
        if row["hits"] <= limit:
            return None
        return max(row["windowEnds"] - now, 0.0)

    def purge_expired(self, now: float, limit: int) -> int:
        return purge_batch(self._engine, "rate_limit", "key", '"windowEnds"', now, limit)


class DatabaseCounters:
    """:class:`~auth_server.counters.Counters` on the ``rate_limit`` table of ``target``.

    Opens its own small connection pool on first use in each process (so it can be
    built before ``serve --workers`` forks; each worker connects after the fork).
    """

    POOL_SIZE = 8

    def __init__(self, target: str) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._pid = -1
        self._repo: RateLimitRepository | None = None
        self._engine: Engine | None = None

    def _repository(self) -> RateLimitRepository:
        if self._repo is None or self._pid != os.getpid():
            with self._lock:
                if self._repo is None or self._pid != os.getpid():
                    from auth_server.store.postgres import PostgresEngine

                    # a count lost in a crash is harmless: no WAL flush per hit
                    self._engine = PostgresEngine(self._target, min_size=1, max_size=self.POOL_SIZE,
                                                  synchronous_commit=False)
                    self._repo, self._pid = RateLimitRepository(self._engine), os.getpid()
        return self._repo

    def close(self) -> None:
        if self._engine is not None and self._pid == os.getpid():
            self._engine.close()
        self._engine = self._repo = None

    def hit(self, key: str, limit: int, window: float, now: float) -> float | None:
        return self._repository().hit(key, limit, window, now)
