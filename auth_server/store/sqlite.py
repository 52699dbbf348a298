"""The SQLite engine: one connection per thread, one writer at a time (the embedded default).

Waitress runs requests on a pool of threads. SQLite connections must not be shared
between threads mid-statement, so every thread gets its own connection (WAL mode lets
their reads run side by side). Writes are serialised by a process-wide lock *before*
SQLite is asked for its write lock: SQLite's own busy handler backs off by sleeping
(1, 2, 5, 10... ms), which would turn contention into long tail latencies, while a
Python lock hands over in microseconds. Between processes (``serve --workers N``, or an
admin command next to a running server) an ``flock`` on ``<db>.lock`` plays the same
role where available; ``busy_timeout`` remains the last resort.

Checkpoints: by default SQLite copies the WAL back into the database inside the commit
that crosses 1000 WAL pages, with two fsyncs, i.e. 5-10 ms spent by one request while it
holds the writer lock of every thread and process. A server therefore calls
:meth:`SQLiteEngine.start_checkpointer`: a daemon thread runs passive checkpoints on
its own connection (they never take the writer lock), and the request connections keep
only a far-off automatic checkpoint as a backstop against an unbounded WAL. Writers
still slow down while a checkpoint copies pages (measured: SQLite's busy handler makes
them sleep), the longer the more frames it copies: every 0.5 s gave 20-35 ms stalls
under 2,000 sign-ins/s (~8 pages each); every 0.1 s keeps them near 10 ms.
"""

from __future__ import annotations

import os
import sqlite3
import threading

try:
    import fcntl
except ImportError:  # Windows: one process per database, the thread lock is enough
    fcntl = None  # type: ignore[assignment]
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from auth_server.outages import StoreUnavailable

BUSY_TIMEOUT_MS = 5000
#: SQLite's primary result codes for a database that exists but cannot take a write now:
#: locked past the busy timeout, I/O error, disk full, file gone or read-only. A request
#: that meets one is answered 503 (:class:`StoreUnavailable`), not 500 as if it were a bug.
_UNAVAILABLE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
                          sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY})
#: wal_autocheckpoint (pages) of request connections while a background checkpointer runs
BACKSTOP_AUTOCHECKPOINT_PAGES = 20000
CHECKPOINT_INTERVAL_SECONDS = 0.1


def connect(path: Path, autocheckpoint: int | None = None) -> sqlite3.Connection:
    """Open ``path`` with the pragmas every connection needs (WAL, foreign keys, busy timeout).

    ``autocheckpoint`` overrides SQLite's 1000-page ``wal_autocheckpoint`` (see the module doc).
    """
    # isolation_level=None: a statement outside ``write()`` commits on its own (as on
    # PostgreSQL), instead of leaving the implicit transaction Python would open for it.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # synchronous=NORMAL is durable against application crashes in WAL mode and
    # only risks the last transactions on power loss; it saves an fsync per commit.
    conn.execute("PRAGMA synchronous = NORMAL")
    if autocheckpoint is not None:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
    return conn


class SQLiteEngine:
    """Per-thread connections on one file, plus the writer lock (see :mod:`auth_server.store.engine`)."""

    dialect = "sqlite"
    for_update = ""  # BEGIN IMMEDIATE plus the writer lock already exclude every other writer

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self._lock_file = open(f"{path}.lock", "a+b") if fcntl is not None else None  # noqa: SIM115
        self._autocheckpoint: int | None = None
        self._checkpointer: threading.Thread | None = None
        self._stop_checkpointer = threading.Event()

    @classmethod
    def open(cls, path: Path) -> SQLiteEngine:
        """Create the directory and file if needed (owner-only), in WAL mode."""
        path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not path.exists()
        engine = cls(path)
        conn = engine.conn
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            # Under the file lock: instances opening a new file at once would otherwise race for
            # the exclusive lock the switch needs, and SQLite answers the loser "database is locked"
            # at once instead of waiting.
            with engine._file_lock():
                conn.execute("PRAGMA journal_mode = wal")
        if new_file:
            try:
                os.chmod(path, 0o600)  # sessions and keys: owner only
            except OSError:
                pass
        return engine

    def describe(self) -> str:
        return str(self.path)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("store is closed")
            conn = connect(self.path, self._autocheckpoint)
            self._local.conn = conn
            self._local.depth = 0
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """The lock every process using this file takes before writing (``flock`` on ``.lock``)."""
        if self._lock_file is None:
            yield
            return
        fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    def lock_schema(self, conn: sqlite3.Connection) -> None:
        """Nothing to add: ``write()`` holds the file lock and SQLite's write lock."""

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested calls join the outer one.

        Commits when the outermost block ends normally, rolls back when it raises.
        """
        conn = self.conn
        local = self._local
        if local.depth:
            local.depth += 1
            try:
                yield conn
            finally:
                local.depth -= 1
            return
        try:
            with self._write_lock, self._file_lock():
                conn.execute("BEGIN IMMEDIATE")
                local.depth = 1
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                else:
                    conn.commit()
                finally:
                    local.depth = 0
        except sqlite3.OperationalError as exc:  # writes are where a lock, a full disk or a lost file show
            if exc.sqlite_errorcode & 0xFF not in _UNAVAILABLE:
                raise
            raise StoreUnavailable(f"database {self.path} failed: {exc}") from None

    def start_checkpointer(self, interval: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        """Move WAL checkpoints off the request path, into a daemon thread (see the module doc).

        Call before serving: connections opened so far are switched to the backstop too.
        Passive checkpoints of several processes on one file are safe (SQLite lets one
        run at a time and the others report busy).
        """
        if self._checkpointer is not None:
            return
        self._autocheckpoint = BACKSTOP_AUTOCHECKPOINT_PAGES
        with self._all_lock:
            for open_conn in self._all:
                open_conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_AUTOCHECKPOINT_PAGES}")
        conn = connect(self.path)

        def run() -> None:
            try:
                while not self._stop_checkpointer.wait(interval):
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.Error:  # busy or closing: the next round (or the backstop) catches up
                        pass
            finally:
                conn.close()

        self._checkpointer = threading.Thread(target=run, name="sigil-wal-checkpoint", daemon=True)
        self._checkpointer.start()

    def close(self) -> None:
        """Close every thread's connection (call once the server has stopped)."""
        self._closed = True
        if self._checkpointer is not None:
            self._stop_checkpointer.set()
            self._checkpointer.join(5.0)
            self._checkpointer = None
        with self._all_lock:
            for open_conn in self._all:
                try:
                    open_conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
