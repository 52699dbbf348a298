"""A clock the test moves by hand, for code that takes an injectable ``clock()``."""

from __future__ import annotations


class FakeClock:
    """Returns ``now``; tests set it or ``advance`` it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
