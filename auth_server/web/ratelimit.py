"""Fixed-window request counters, in memory (one server process owns its limits)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from auth_server.web.errors import ApiError

MAX_KEYS = 100_000


class RateLimiter:
    """At most ``limit`` hits per key in each window of ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one hit; ``None`` when allowed, else seconds until the window resets."""
        now = self._clock()
        with self._lock:
            start, count = self._counts.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            if count >= self.limit:
                return max(0.0, start + self.window - now)
            if len(self._counts) >= MAX_KEYS:
                self._prune(now)
            self._counts[key] = (start, count + 1)
            return None

    def check(self, key: str, what: str) -> None:
        """Count a hit; raise 429 with ``Retry-After`` when over the limit."""
        retry = self.hit(key)
        if retry is not None:
            raise ApiError(429, "RATE_LIMITED", f"too many requests for this {what}; try again later",
                           {"Retry-After": str(max(1, math.ceil(retry)))})

    def _prune(self, now: float) -> None:
        for key in [k for k, (start, _) in self._counts.items() if now - start >= self.window]:
            del self._counts[key]
        if len(self._counts) >= MAX_KEYS:
            self._counts.clear()
