"""Background purge of expired rows, in small batches, on both engines.

Replay claims, sign-in challenges, sessions, authorization codes, device codes, tokens
and rate-limit windows all expire; a daemon thread deletes the expired ones every
:data:`PURGE_INTERVAL_SECONDS`, :data:`BATCH` rows per transaction, so a purge never
holds SQLite's writer lock (or many PostgreSQL row locks) for more than a moment and
requests keep flowing between batches. With several instances on one PostgreSQL
database each purges; their deletes simply find fewer rows.

Codes and tokens are kept :data:`CODE_GRACE_SECONDS` past their expiry: a late replay of a
used code must still find it, so that the provider revokes what the code bought. The audit
log keeps :data:`AUDIT_RETENTION_SECONDS` (about 13 months: a year's review plus a margin).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from auth_server.outages import StoreUnavailable
from auth_server.store.audit import AuditLog
from auth_server.store.challenges import ChallengeRepository
from auth_server.store.oauth import OAuthStore
from auth_server.store.ratelimits import RateLimitRepository
from auth_server.store.replay import ReplayGuard
from auth_server.store.sessions import SessionRepository


class ExpiringTables(Protocol):
    """The repositories whose rows expire: a :class:`~auth_server.store.Store` (named by
    shape, since the store package imports this module)."""

    replay: ReplayGuard
    challenges: ChallengeRepository
    sessions: SessionRepository
    rate_limits: RateLimitRepository
    oauth: OAuthStore
    audit: AuditLog

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 60.0
BATCH = 500
#: most batches per table per round, so one round stays short even after a long outage
MAX_BATCHES = 200
CODE_GRACE_SECONDS = 3600.0
AUDIT_RETENTION_SECONDS = 400 * 86400.0


def purge_tables(store: ExpiringTables, now: float, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> dict[str, int]:
    """One round: delete what expired by ``now``, table by table; return the counts deleted."""
    jobs: dict[str, Callable[[], int]] = {
        "replay_guard": lambda: store.replay.purge_expired(now, batch),
        "sigma_challenge": lambda: store.challenges.purge_expired(now, batch),
        "session": lambda: store.sessions.purge_expired(now, batch),
        "rate_limit": lambda: store.rate_limits.purge_expired(now, batch),
        "device_code": lambda: store.oauth.devices.purge_expired(now, batch),
        "oauth_code": lambda: store.oauth.codes.purge_expired(now - CODE_GRACE_SECONDS, batch),
        "oauth_token": lambda: store.oauth.tokens.purge_expired(now - CODE_GRACE_SECONDS, batch),
        "audit_log": lambda: store.audit.purge_older_than(now - AUDIT_RETENTION_SECONDS, batch),
    }
    counts: dict[str, int] = {}
    for table, job in jobs.items():
        total = 0
        for _ in range(max_batches):
            deleted = job()
            total += deleted
            if deleted < batch:
                break
        counts[table] = total
    return counts


class Purger:
    """The daemon thread running :func:`purge_tables` every ``interval`` seconds."""

    def __init__(self, store: ExpiringTables, clock: Callable[[], float], interval: float = PURGE_INTERVAL_SECONDS) -> None:
        self._store = store
        self._clock = clock
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sigil-purge", daemon=True)

    def start(self) -> Purger:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                counts = purge_tables(self._store, self._clock())
            except StoreUnavailable as exc:  # an outage: one line, try again next round
                log.warning("purging expired rows failed: %s", exc)
                continue
            except Exception:  # a bug: log it with its traceback, try again next round
                log.exception("purging expired rows failed")
                continue
            if any(counts.values()):
                log.debug("purged %s", counts)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10.0)
