"""Extension points of the reference Sigma plugin, in Python.

The reference ``@sigma-auth/better-auth-plugin`` lets a deployment plug in a BAP ID
resolver, a cache and subscription tiers. Here they are plain callables and objects
handed to :class:`auth_server.config.Settings`:

* ``resolve_bap_id(user_id, pubkey) -> str | None``: which BAP identity a signed-in key
  belongs to. The default derives it from the member pubkey alone (docs/PROTOCOL.md section 5),
  which is right whenever the token was signed with the identity's member key.
* ``cache``: anything with ``get(key)``, ``set(key, value, ttl)`` and ``delete(key)``; the
  server keeps resolver results there so a slow resolver (an indexer lookup) runs once
  per key and TTL.
* ``enable_subscription``: copy the user's ``subscriptionTier`` into new sessions and answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from auth_server.crypto import bap_id_from_pubkey

BapIdResolver = Callable[[str, str], "str | None"]


class Cache(Protocol):
    """What the server needs from a cache (a dict with expiry, possibly shared)."""

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryCache:
    """A thread-safe in-process cache with per-entry expiry; the default."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max = max_entries
        self._data: dict[str, tuple[float | None, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, value = item
            if expires is not None and expires <= self._clock():
                del self._data[key]
                return None
            return value

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        with self._lock:
            if len(self._data) >= self._max and key not in self._data:
                self._data.pop(next(iter(self._data)))  # oldest insertion first
            self._data[key] = (None if ttl is None else self._clock() + ttl, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


def derive_bap_id(user_id: str, pubkey: str) -> str | None:
    """Default resolver: the BAP ID whose member (root) key is ``pubkey``."""
    try:
        return bap_id_from_pubkey(pubkey)
    except ValueError:
        return None
