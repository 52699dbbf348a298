"""The keys of ``private_key_jwt`` clients that publish them at a ``jwks_uri``: fetched
through :mod:`auth_server.oauth.outbound`, cached per client, refetched rarely.

Why each bound: a JWKS host is the client's, not ours, so a slow, dead or hostile one
must cost only its own client.

* Keys fetched are used for :data:`JWKS_TTL` seconds; a key id not among them (a rotation)
  may trigger a refetch, but a client gets at most one fetch per :data:`REFETCH_INTERVAL`,
  whatever ``kid`` its requests name, and a failed fetch is not retried sooner either.
* A fetch runs in its own thread (at most :data:`MAX_FETCHES` at once), at most one per
  client: concurrent requests for one client share it (they wait for it, at most the
  fetch's deadline) and other clients never wait for it.
* At most :data:`MAX_WAITING` request threads wait for fetches at any time; beyond that a
  request is answered 503 at once, so sign-ins, other clients and ``/healthz`` always keep
  threads of their own.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auth_server.oauth.clients import validate_jwks
from auth_server.oauth.errors import OAuthError, invalid_client
from auth_server.oauth.outbound import FETCH_DEADLINE, FetchError
from auth_server.store.models import OAuthClient

JWKS_TTL = 300.0
REFETCH_INTERVAL = 60.0
#: request threads that may wait for a fetch at once, across all clients
MAX_WAITING = 2
#: fetches under way at once (each in its own thread, each ended by its deadline)
MAX_FETCHES = 8

#: fetch(url, public_only) -> the body; raises ``FetchError``
Fetcher = Callable[[str, bool], bytes]


@dataclass
class _Entry:
    uri: str
    keys: dict[str, Any] | None = None
    fetched_at: float = -math.inf
    attempted_at: float = -math.inf
    error: str = ""
    pending: threading.Event | None = None  # set when the fetch under way ends


def _has_kid(keys: dict[str, Any], kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in keys.get("keys", []))


def _busy(what: str) -> OAuthError:
    return OAuthError("temporarily_unavailable", f"{what}; retry shortly", 503, {"Retry-After": "2"})


class JwksCache:
    """Per-client key sets from ``jwks_uri``; see the module docstring for the bounds.

    ``wait``: how long a request waits for its client's fetch (by default the fetch's
    whole deadline; a server running requests on its I/O loop, ``--threads 0``, waits
    only briefly, so a slow key host never stops the worker: the fetch goes on in its
    thread and the client's next request finds the keys)."""

    def __init__(self, fetch: Fetcher, clock: Callable[[], float], *, ttl: float = JWKS_TTL,
                 interval: float = REFETCH_INTERVAL, wait: float | None = None,
                 max_waiting: int = MAX_WAITING, max_fetches: int = MAX_FETCHES,
                 deadline: float = FETCH_DEADLINE) -> None:
        self._fetch = fetch
        self._clock = clock
        self.ttl = ttl
        self.interval = interval
        self.wait = deadline + 0.5 if wait is None else wait
        self._waiting = threading.BoundedSemaphore(max_waiting)
        self._max_fetches = max_fetches
        self._guard = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._under_way = 0
        self.fetches = 0  # how many fetches were started (for tests and curious operators)

    def keys(self, client: OAuthClient, kid: str | None) -> dict[str, Any]:
        """The client's key set, fetched when there is none fresh or ``kid`` is unknown and
        the client's fetch interval allows; ``invalid_client`` when none can be had, 503
        ``temporarily_unavailable`` while its fetch is still under way."""
        with self._guard:
            entry = self._entries.get(client.client_id)
            if entry is None or entry.uri != (client.jwks_uri or ""):  # new, or its jwks_uri changed
                entry = self._entries[client.client_id] = _Entry(client.jwks_uri or "")
            found = self._without_fetch(entry, kid)
            if found is not None:
                return found
            done = entry.pending or self._start(entry, client.self_registered)
        if not self._waiting.acquire(blocking=False):
            raise _busy("this client's keys are being fetched")
        try:
            finished = done.wait(self.wait)
        finally:
            self._waiting.release()
        if not finished:
            raise _busy("this client's keys are being fetched")
        with self._guard:
            found = self._without_fetch(entry, kid, just_fetched=True)
        if found is None:  # a newer fetch started meanwhile
            raise _busy("this client's keys are being fetched")
        return found

    def _without_fetch(self, entry: _Entry, kid: str | None, just_fetched: bool = False) -> dict[str, Any] | None:
        """Keys to use without fetching, None when a fetch is due (or under way); raises
        while a failed fetch's interval lasts."""
        now = self._clock()
        fresh = entry.keys if entry.keys is not None and now - entry.fetched_at < self.ttl else None
        if fresh is not None and (kid is None or _has_kid(fresh, kid)):
            return fresh
        if entry.pending is None and (just_fetched or now - entry.attempted_at < self.interval):
            if fresh is not None:
                return fresh  # the unknown kid waits for the next interval; the signature check says no
            if entry.error:
                wait = max(1, math.ceil(self.interval - (now - entry.attempted_at)))
                raise invalid_client(f"the client's jwks_uri could not be read ({entry.error}); "
                                     f"it is tried again in {wait} seconds")
            raise invalid_client("the client's jwks_uri gave no usable keys")
        return None

    def _start(self, entry: _Entry, public_only: bool) -> threading.Event:
        """Start the entry's fetch in its own thread (under ``_guard``)."""
        if self._under_way >= self._max_fetches:
            raise _busy("too many client key fetches are under way")
        done = threading.Event()
        entry.pending, entry.attempted_at = done, self._clock()
        self._under_way += 1
        self.fetches += 1
        threading.Thread(target=self._run, args=(entry, public_only, done), name="sigil-jwks", daemon=True).start()
        return done

    def _run(self, entry: _Entry, public_only: bool, done: threading.Event) -> None:
        keys, error = None, ""
        try:
            keys = validate_jwks(json.loads(self._fetch(entry.uri, public_only)))
        except FetchError as exc:
            error = str(exc)
        except ValueError as exc:  # not JSON, or not a public key set
            error = f"its answer is not a usable JWK set: {str(exc)[:200]}"
        except Exception as exc:  # a fetcher's bug must still end the fetch
            error = type(exc).__name__
        with self._guard:
            if keys is not None:
                entry.keys, entry.fetched_at = keys, entry.attempted_at
            entry.error, entry.pending = error, None
            self._under_way -= 1
        done.set()
