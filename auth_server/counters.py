"""Fixed-window hit counters behind the sign-in rate limits: per process, or shared by workers.

:class:`MemoryCounters` lives in one process. ``sigil-server serve --workers N`` forks N
processes, and the kernel spreads one client's connections over them, so per-process
counters would let each client through N times the limit. :class:`SharedCounters` keeps
the counts in anonymous shared memory, mapped before the fork, so every worker counts
against the same numbers.
"""

from __future__ import annotations

import hashlib
import math
import mmap
import multiprocessing
import os
import struct
import threading
from typing import Protocol

#: most keys :class:`MemoryCounters` remembers before it drops expired (or all) windows
MAX_KEYS = 100_000


class Counters(Protocol):
    def hit(self, key: str, limit: int, window: float, now: float) -> float | None:
        """Count one hit on ``key``: ``None`` when it is within ``limit`` for the current
        window of ``window`` seconds, else the seconds until that window ends (not counted)."""
        ...


class MemoryCounters:
    """Counters in this process's memory (one server process, or a test)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, hits)
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float, now: float) -> float | None:
        with self._lock:
            ends, count = self._windows.get(key, (0.0, 0))
            if now >= ends:
                ends, count = now + window, 0
            if count >= limit:
                return ends - now
            if key not in self._windows and len(self._windows) >= MAX_KEYS:
                self._prune(now)
            self._windows[key] = (ends, count + 1)
            return None

    def _prune(self, now: float) -> None:
        for key in [k for k, (ends, _) in self._windows.items() if now >= ends]:
            del self._windows[key]
        if len(self._windows) >= MAX_KEYS:
            self._windows.clear()


# A slot: 8-byte key hash (0 = free), window end (float), hits (int32), padding.
_SLOT = struct.Struct("<Qdi4x")
#: slots a key may occupy, starting from its hash; a full run evicts the window ending first
PROBES = 8


class SharedCounters:
    """Counters in an anonymous shared mapping: create before forking, use in every child.

    An open-addressing table of ``slots`` fixed-size slots (24 bytes each; 1.5 MB for the
    default 65,536). Keys are hashed with a secret salt, so a client cannot aim many keys
    at one slot run; when all :data:`PROBES` slots of a run hold live windows of other
    keys, the one that ends first is forgotten (as :class:`MemoryCounters` forgets when full).
    One process-shared lock guards the table (a few microseconds per hit).
    """

    def __init__(self, slots: int = 1 << 16) -> None:
        if slots < PROBES or slots & (slots - 1):
            raise ValueError("slots must be a power of two, at least PROBES")
        # fileno -1: MAP_SHARED | MAP_ANONYMOUS, so forked children write the same pages.
        self._table = mmap.mmap(-1, slots * _SLOT.size)
        self._mask = slots - 1
        self._salt = os.urandom(16)
        self._lock = multiprocessing.get_context("fork").Lock()

    def _hash(self, key: str) -> int:
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8, key=self._salt).digest()
        return int.from_bytes(digest, "little") or 1  # 0 marks a free slot

    def hit(self, key: str, limit: int, window: float, now: float) -> float | None:
        wanted = self._hash(key)
        first = wanted & self._mask
        with self._lock:
            victim, victim_ends = 0, math.inf  # where a new window goes: a free slot, else the one ending first
            for probe in range(PROBES):
                offset = ((first + probe) & self._mask) * _SLOT.size
                owner, ends, count = _SLOT.unpack_from(self._table, offset)
                if owner == wanted:
                    if now >= ends:
                        ends, count = now + window, 0
                    if count >= limit:
                        return ends - now
                    _SLOT.pack_into(self._table, offset, wanted, ends, count + 1)
                    return None
                if owner == 0 or now >= ends:
                    ends = -math.inf  # free or expired: the best place there is
                if ends < victim_ends:
                    victim, victim_ends = offset, ends
            if limit < 1:
                return window
            _SLOT.pack_into(self._table, victim, wanted, now + window, 1)
            return None
