"""The keys of ``private_key_jwt`` clients that publish them at a ``jwks_uri``: fetched
through :mod:`auth_server.oauth.outbound`, cached per client, refetched rarely.

Why each bound: a JWKS host is the client's, not ours, so a slow, dead or hostile one
must cost only its own client.

* Keys fetched are used for :data:`JWKS_TTL` seconds; a key id not among them (a rotation)
  may trigger a refetch, but a client gets at most one fetch per :data:`REFETCH_INTERVAL`,
  whatever ``kid`` its requests name, and a failed fetch is not retried sooner either.
* Each client has its own lock: concurrent requests for one client share one fetch (they
  wait for it, at most the fetch's deadline) and other clients never wait for it.
* At most :data:`MAX_BUSY` request threads are busy with key fetches (fetching or waiting
  for one) at any time; beyond that a request is answered 503 at once, so sign-ins,
  other clients and ``/healthz`` always keep threads of their own.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auth_server.oauth.clients import validate_jwks
from auth_server.oauth.errors import OAuthError, invalid_client
from auth_server.oauth.outbound import FETCH_DEADLINE, FetchError
from auth_server.store.models import OAuthClient

JWKS_TTL = 300.0
REFETCH_INTERVAL = 60.0
MAX_BUSY = 2

#: fetch(url, public_only) -> the body; raises ``FetchError``
Fetcher = Callable[[str, bool], bytes]


@dataclass
class _Entry:
    uri: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: dict[str, Any] | None = None
    fetched_at: float = -math.inf
    attempted_at: float = -math.inf
    error: str = ""


def _has_kid(keys: dict[str, Any], kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in keys.get("keys", []))


class JwksCache:
    """Per-client key sets from ``jwks_uri``; see the module docstring for the bounds."""

    def __init__(self, fetch: Fetcher, clock: Callable[[], float], *, ttl: float = JWKS_TTL,
                 interval: float = REFETCH_INTERVAL, max_busy: int = MAX_BUSY,
                 deadline: float = FETCH_DEADLINE) -> None:
        self._fetch = fetch
        self._clock = clock
        self.ttl = ttl
        self.interval = interval
        self.deadline = deadline
        self._busy = threading.BoundedSemaphore(max_busy)
        self._guard = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self.fetches = 0  # how many fetches were started (for tests and curious operators)

    def _entry(self, client: OAuthClient) -> _Entry:
        uri = client.jwks_uri or ""
        with self._guard:
            entry = self._entries.get(client.client_id)
            if entry is None or entry.uri != uri:  # a new client, or one whose jwks_uri changed
                entry = self._entries[client.client_id] = _Entry(uri)
            return entry

    def keys(self, client: OAuthClient, kid: str | None) -> dict[str, Any]:
        """The client's key set, fetched when there is none fresh or ``kid`` is unknown and
        the client's fetch interval allows; ``invalid_client`` when none can be had."""
        entry = self._entry(client)
        found = self._without_fetch(entry, kid)
        if found is not None:
            return found
        if not self._busy.acquire(blocking=False):
            raise OAuthError("temporarily_unavailable", "too many client key fetches are under way; retry shortly",
                             503, {"Retry-After": "2"})
        try:
            if not entry.lock.acquire(timeout=self.deadline + 1.0):
                raise invalid_client("the client's jwks_uri is being read; retry shortly")
            try:
                found = self._without_fetch(entry, kid)  # another request may have fetched meanwhile
                if found is not None:
                    return found
                return self._refetch(entry, client)
            finally:
                entry.lock.release()
        finally:
            self._busy.release()

    def _without_fetch(self, entry: _Entry, kid: str | None) -> dict[str, Any] | None:
        """Keys to use without fetching, None when a fetch is due; raises while a failed
        fetch's interval lasts."""
        now = self._clock()
        fresh = entry.keys if entry.keys is not None and now - entry.fetched_at < self.ttl else None
        if fresh is not None and (kid is None or _has_kid(fresh, kid)):
            return fresh
        if now - entry.attempted_at < self.interval:
            if fresh is not None:
                return fresh  # the unknown kid waits for the next interval; the signature check says no
            wait = max(1, math.ceil(self.interval - (now - entry.attempted_at)))
            raise invalid_client(f"the client's jwks_uri could not be read ({entry.error}); "
                                 f"it is tried again in {wait} seconds")
        return None

    def _refetch(self, entry: _Entry, client: OAuthClient) -> dict[str, Any]:
        entry.attempted_at = self._clock()
        with self._guard:
            self.fetches += 1
        try:
            keys = validate_jwks(json.loads(self._fetch(entry.uri, client.self_registered)))
        except FetchError as exc:
            entry.error = str(exc)
        except ValueError as exc:  # not JSON, or not a public key set
            entry.error = f"its answer is not a usable JWK set: {str(exc)[:200]}"
        else:
            entry.keys, entry.fetched_at, entry.error = keys, entry.attempted_at, ""
            return keys
        raise invalid_client(f"the client's jwks_uri could not be read: {entry.error}")
