"""Growing delay between wrong passphrases, without sleeping.

The first few mistakes are free (typos happen); after that each failure doubles
the wait, up to a cap. Attempts inside the wait are refused before any KDF runs,
so a script cannot grind the passphrase through a running app. The clock is
injected so tests are exact and instant.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 300.0


class AttemptThrottle:
    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self._not_before = 0.0

    def wait_remaining(self) -> float:
        """Seconds until the next attempt may be checked (0 when it may be now)."""
        with self._lock:
            return max(0.0, self._not_before - self._clock())

    def failed(self) -> float:
        """Record a failure; return the delay before the next attempt."""
        with self._lock:
            self.failures += 1
            excess = self.failures - FREE_FAILURES
            delay = 0.0 if excess < 0 else min(FIRST_DELAY_SECONDS * 2**excess, MAX_DELAY_SECONDS)
            self._not_before = self._clock() + delay
            return delay

    def succeeded(self) -> None:
        with self._lock:
            self.failures = 0
            self._not_before = 0.0
