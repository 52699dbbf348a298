"""Fixed-window rate limits on sign-in, counted in :mod:`auth_server.counters`.

The counts live in ``settings.rate_limit_counters``: this process's memory by default,
shared memory across ``sigil-server serve --workers N`` (set up before the fork).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from auth_server.api import ApiError
from auth_server.counters import Counters


class RateLimiter:
    """At most ``limit`` hits per key in each window of ``window_seconds``."""

    def __init__(self, name: str, limit: int, window_seconds: float, clock: Callable[[], float],
                 counters: Counters) -> None:
        self.prefix = name + ":"  # limiters share one set of counters
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._counters = counters

    def hit(self, key: str) -> float | None:
        """Count one hit; ``None`` when allowed, else seconds until the window resets."""
        return self._counters.hit(self.prefix + key, self.limit, self.window, self._clock())

    def check(self, key: str, what: str) -> None:
        """Count a hit; raise 429 with ``Retry-After`` when over the limit."""
        retry = self.hit(key)
        if retry is not None:
            raise ApiError(429, "RATE_LIMITED", f"too many requests for this {what}; try again later",
                           {"Retry-After": str(max(1, math.ceil(retry)))})
