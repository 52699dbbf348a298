"""The activity log: every approval and denial, with time, origin and what was signed.

Entries name the request path and the identity, never a token or a key. The log keeps
the most recent entries only (a desktop log, not an audit archive).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KEEP_ENTRIES = 1000


@dataclass(frozen=True)
class ActivityEntry:
    at: float
    outcome: str  # approved | denied | timeout | signed (grant) | locked | revoked ...
    origin: str
    what: str
    bap_id: str = ""


class ActivityLog:
    """Append-only SQLite log with change notifications for the GUI."""

    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS activity (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,"
            " outcome TEXT NOT NULL, origin TEXT NOT NULL, what TEXT NOT NULL, bap_id TEXT NOT NULL)"
        )
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def record(self, outcome: str, origin: str, what: str, bap_id: str | None = None) -> ActivityEntry:
        entry = ActivityEntry(self._clock(), outcome, origin or "(local program)", what, bap_id or "")
        with self._lock:
            self._db.execute(
                "INSERT INTO activity (at, outcome, origin, what, bap_id) VALUES (?,?,?,?,?)",
                (entry.at, entry.outcome, entry.origin, entry.what, entry.bap_id),
            )
            self._db.execute(
                "DELETE FROM activity WHERE id <= (SELECT MAX(id) FROM activity) - ?", (KEEP_ENTRIES,)
            )
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                pass
        return entry

    def recent(self, limit: int = 200) -> list[ActivityEntry]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, outcome, origin, what, bap_id FROM activity ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [ActivityEntry(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
