"""Background purge of expired rows, in small batches, on both engines.

Replay claims, sign-in challenges, sessions, authorization codes, device codes, tokens
and rate-limit windows all expire; a daemon thread deletes the expired ones every
:data:`PURGE_INTERVAL_SECONDS`, :data:`BATCH` rows per transaction, so a purge never
holds SQLite's writer lock (or many PostgreSQL row locks) for more than a moment. After
each full batch it rests as long as the batch took, so requests that wait for the writer
get it at least half the time: measured by bench/scale.py at 10^5 users on SQLite, purging
back to back (no rest, 500-row batches) raised the p99 of sign-ins arriving meanwhile from
30 ms to 350 ms. The tables take turns, one batch each, and a round goes on until every
table is clear or :data:`ROUND_SECONDS` have passed; a round cut short is followed by the
next one at once, so a backlog (a day of sessions expiring together, the time after an
outage) is worked off at the purge's full rate rather than a fixed number of rows a minute.
With several instances on one PostgreSQL database each purges; their deletes simply find
fewer rows.

Codes and tokens are kept :data:`CODE_GRACE_SECONDS` past their expiry: a late replay of a
used code must still find it, so that the provider revokes what the code bought. The audit
log keeps :data:`AUDIT_RETENTION_SECONDS` (about 13 months: a year's review plus a margin).
Profile pictures no user shows any more go a day after they were made.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from auth_server.outages import StoreUnavailable
from auth_server.store.audit import AuditLog
from auth_server.store.challenges import ChallengeRepository
from auth_server.store.oauth import OAuthStore
from auth_server.store.profiles import UNUSED_AVATAR_GRACE_SECONDS, AvatarRepository
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
    avatars: AvatarRepository

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 60.0
BATCH = 200
#: longest a round deletes for; a round cut short is followed by the next at once
ROUND_SECONDS = 30.0
CODE_GRACE_SECONDS = 3600.0
AUDIT_RETENTION_SECONDS = 400 * 86400.0


def purge_round(store: ExpiringTables, now: float, batch: int = BATCH, budget: float = ROUND_SECONDS,
                rest: bool = True, stop: threading.Event | None = None) -> tuple[dict[str, int], bool]:
    """One round: delete what expired by ``now``, the tables taking turns a batch each.

    Returns the counts deleted per table and whether every table is clear (False when the
    round ran out of ``budget`` seconds or was ``stop``ped first). With ``rest``, it sleeps
    after each full batch as long as that batch took (see the module's docstring).
    """
    jobs: dict[str, Callable[[], int]] = {
        "replay_guard": lambda: store.replay.purge_expired(now, batch),
        "sigma_challenge": lambda: store.challenges.purge_expired(now, batch),
        "session": lambda: store.sessions.purge_expired(now, batch),
        "rate_limit": lambda: store.rate_limits.purge_expired(now, batch),
        "device_code": lambda: store.oauth.devices.purge_expired(now, batch),
        "oauth_code": lambda: store.oauth.codes.purge_expired(now - CODE_GRACE_SECONDS, batch),
        "oauth_token": lambda: store.oauth.tokens.purge_expired(now - CODE_GRACE_SECONDS, batch),
        "audit_log": lambda: store.audit.purge_older_than(now - AUDIT_RETENTION_SECONDS, batch),
        "avatar": lambda: store.avatars.purge_unused(now - UNUSED_AVATAR_GRACE_SECONDS, batch),
    }
    counts = dict.fromkeys(jobs, 0)
    pending = list(jobs)
    deadline = time.monotonic() + budget
    while pending:
        for table in list(pending):
            began = time.monotonic()
            deleted = jobs[table]()
            counts[table] += deleted
            if deleted < batch:
                pending.remove(table)
            elif rest and (stop is None or not stop.is_set()):
                # an Event's wait, not time.sleep: stop() ends the rest at once
                (stop or threading.Event()).wait(time.monotonic() - began)
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                return counts, not pending
    return counts, True


def purge_tables(store: ExpiringTables, now: float, batch: int = BATCH, budget: float = ROUND_SECONDS,
                 rest: bool = True) -> dict[str, int]:
    """One round (:func:`purge_round`); the counts deleted per table."""
    return purge_round(store, now, batch, budget, rest)[0]


class Purger:
    """The daemon thread running :func:`purge_round` every ``interval`` seconds (at once again
    after a round that left a backlog)."""

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
        wait = self._interval
        while not self._stop.wait(wait):
            wait = self._interval
            try:
                counts, clear = purge_round(self._store, self._clock(), stop=self._stop)
                if not clear:
                    wait = 0.0  # a backlog: the next round at once
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
