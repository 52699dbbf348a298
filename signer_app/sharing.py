"""Whether an identity shares its name and picture with an app, remembered per
(server origin, OAuth client id, BAP ID).

The sign-in dialog's "Share my name and picture with <app>" checkbox starts from the choice
remembered here (ticked when there is none) and stores what the user decided; the signed
sign-in body carries it to the server as ``shareProfile`` (docs/PROTOCOL.md section 7), and
the desktop's Access tab lists and changes the choices. Nothing here is secret: a small
SQLite file in the signer's data dir, safe to share between HTTP threads and the GUI.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: what a sign-in shares when the user never decided for that app
DEFAULT_SHARE = True


@dataclass(frozen=True)
class ShareChoice:
    """One remembered choice: ``server`` is the origin of the Sigil server's sign-in page."""

    server: str
    client_id: str
    bap_id: str
    share: bool
    updated: float
    app_name: str = ""  # what the app called itself at that sign-in: shown, never trusted


class SharingStore:
    """The remembered choices in ``sharing.sqlite``; one row per (server, client, identity)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS share_choices (server TEXT NOT NULL, client_id TEXT NOT NULL, "
            "bap_id TEXT NOT NULL, share INTEGER NOT NULL, updated REAL NOT NULL, app_name TEXT NOT NULL DEFAULT '', "
            "PRIMARY KEY (server, client_id, bap_id))")

    def get(self, server: str, client_id: str, bap_id: str) -> bool | None:
        """The remembered choice, or ``None`` when the user never decided."""
        with self._lock:
            row = self._db.execute("SELECT share FROM share_choices WHERE server = ? AND client_id = ? AND bap_id = ?",
                                   (server, client_id, bap_id)).fetchone()
        return None if row is None else bool(row[0])

    def choice(self, server: str, client_id: str, bap_id: str) -> bool:
        """What the checkbox starts from: the remembered choice, else :data:`DEFAULT_SHARE`."""
        remembered = self.get(server, client_id, bap_id)
        return DEFAULT_SHARE if remembered is None else remembered

    def remember(self, server: str, client_id: str, bap_id: str, share: bool, app_name: str | None = None) -> None:
        """Store a choice; ``app_name`` (kept when ``None``) is only a label for the Access tab."""
        with self._lock:
            self._db.execute(
                "INSERT INTO share_choices (server, client_id, bap_id, share, updated, app_name) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server, client_id, bap_id) DO UPDATE SET "
                "share = excluded.share, updated = excluded.updated, "
                "app_name = CASE WHEN ? THEN excluded.app_name ELSE share_choices.app_name END",
                (server, client_id, bap_id, int(bool(share)), self._clock(), app_name or "", app_name is not None))

    def forget(self, server: str, client_id: str, bap_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM share_choices WHERE server = ? AND client_id = ? AND bap_id = ?",
                                      (server, client_id, bap_id))
        return cursor.rowcount > 0

    def all(self) -> list[ShareChoice]:
        """Every remembered choice, by server, app and identity (the Access tab's list)."""
        with self._lock:
            rows = self._db.execute("SELECT server, client_id, bap_id, share, updated, app_name FROM share_choices "
                                    "ORDER BY server, client_id, bap_id").fetchall()
        return [ShareChoice(server, client_id, bap_id, bool(share), updated, app_name)
                for server, client_id, bap_id, share, updated, app_name in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
