"""Fixed-window rate limits (sign-in, the device flow), counted in :mod:`auth_server.counters`.

The counts live in ``settings.rate_limit_counters``: this process's memory by default,
shared memory across ``sigil-server serve --workers N`` (set up before the fork).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from auth_server.client_errors import ApiError
from auth_server.counters import Counters

if TYPE_CHECKING:
    from auth_server.config import Settings


class RateLimiter:
    """At most ``limit`` hits per key in each window of ``window_seconds``; with
    ``enabled=False`` (rate limits off) every hit is allowed and nothing is counted."""

    def __init__(self, name: str, limit: int, window_seconds: float, clock: Callable[[], float],
                 counters: Counters, enabled: bool = True) -> None:
        self.prefix = name + ":"  # limiters share one set of counters
        self.limit = limit
        self.window = window_seconds
        self.enabled = enabled
        self._clock = clock
        self._counters = counters

    @classmethod
    def from_settings(cls, settings: Settings, name: str, limit: int, window_seconds: float) -> RateLimiter:
        """A limiter on the server's counters and clock, on or off as its settings say."""
        return cls(name, limit, window_seconds, settings.clock, settings.rate_limit_counters,
                   settings.rate_limit_enabled)

    def hit(self, key: str) -> float | None:
        """Count one hit; ``None`` when allowed, else seconds until the window resets."""
        if not self.enabled:
            return None
        return self._counters.hit(self.prefix + key, self.limit, self.window, self._clock())

    def check(self, key: str, what: str) -> None:
        """Count a hit; raise 429 with ``Retry-After`` when over the limit."""
        retry = self.hit(key)
        if retry is not None:
            raise ApiError(429, "RATE_LIMITED", f"too many requests for this {what}; try again later",
                           retry_after_header(retry))


def retry_after_header(seconds: float) -> dict[str, str]:
    """``Retry-After`` in whole seconds, at least one."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class DeviceFlowLimits:
    """RFC 8628 5.1-5.2: the device flow's guessable and unbounded parts, limited.

    A user code has about 34 bits, so it must not be guessable at request speed: every
    lookup of a code by a signed-in browser (the ``/device`` page with a code, and its
    form) counts against the session and the address; past the limit that browser and
    that network are locked out for the rest of the window (``guess`` answers how long).
    Every lookup counts, not only failed ones: a check-then-count of failures would let
    a burst of parallel guesses all pass the check. A person needs two per device
    (the page, then the form), so the default allowance still leaves room for typos.

    Starting a device authorization writes a row, so it is limited per address (before
    the client is even looked up) and per client (a public client's id is public; the
    per-address limit keeps one source from spending a client's allowance alone).
    """

    def __init__(self, settings: Settings) -> None:
        def limiter(name: str, limit: int, window: float) -> RateLimiter:
            return RateLimiter.from_settings(settings, name, limit, window)

        guess_window, code_window = settings.device_guess_window_seconds, settings.device_code_window_seconds
        self._guesses_by_ip = limiter("device-guess-ip", settings.device_guesses_per_ip, guess_window)
        self._guesses_by_session = limiter("device-guess-session", settings.device_guesses_per_session, guess_window)
        self._codes_by_ip = limiter("device-code-ip", settings.device_codes_per_ip, code_window)
        self._codes_by_client = limiter("device-code-client", settings.device_codes_per_client, code_window)

    def guess(self, session_id: str, client_ip: str) -> float | None:
        """Count one user-code lookup; ``None`` when allowed, else seconds until allowed again."""
        # the session first: a browser already locked out does not spend its network's allowance
        retry = self._guesses_by_session.hit(session_id)
        return retry if retry is not None else self._guesses_by_ip.hit(client_ip)

    def start_from(self, client_ip: str) -> float | None:
        """Count one device authorization from ``client_ip``; seconds to wait when over."""
        return self._codes_by_ip.hit(client_ip)

    def start_for(self, client_id: str) -> float | None:
        """Count one device authorization for ``client_id``; seconds to wait when over."""
        return self._codes_by_client.hit(client_id)
