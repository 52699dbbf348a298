"""The one clock tests move by hand, for code that takes an injectable ``clock()``.

``FakeClock(start)`` stands still at ``start`` until moved; ``FakeClock(None)`` follows
real time (for peers such as the npm client that stamp tokens with the real time) plus
whatever the test has moved it by.
"""

from __future__ import annotations

import time


class FakeClock:
    """Returns the current moment; tests ``advance`` it or set ``now``."""

    def __init__(self, start: float | None = 1000.0) -> None:
        self._start = start
        self.offset = 0.0

    def _base(self) -> float:
        return time.time() if self._start is None else self._start

    def __call__(self) -> float:
        return self._base() + self.offset

    @property
    def now(self) -> float:
        return self()

    @now.setter
    def now(self, value: float) -> None:
        self.offset = value - self._base()

    def advance(self, seconds: float) -> None:
        self.offset += seconds
