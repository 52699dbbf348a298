"""The two database engines behind one small interface: SQLite (embedded) and PostgreSQL.

Repositories write their SQL once, with ``?`` placeholders and double-quoted camelCase
names, in the subset both engines speak the same way (``INSERT ... ON CONFLICT``,
``RETURNING``, ``DELETE ... WHERE key IN (SELECT ... LIMIT n)``). An engine hands them:

* ``conn.execute(sql, params)``: a cursor-like result (``rowcount``, ``fetchone``,
  ``fetchall``; rows indexable by column name). Outside a transaction every statement
  commits on its own; inside :meth:`Engine.write` it joins the transaction.
* ``write()``: one read-write transaction; nested blocks join the outer one. SQLite
  serialises writers (thread lock, file lock, ``BEGIN IMMEDIATE``); PostgreSQL lets them
  run side by side, and single use rests on row locks of conditional UPDATEs and on
  unique constraints, which hold across any number of server instances.
* ``for_update``: the row-lock suffix for a read that a write in the same transaction
  depends on (empty on SQLite, whose writer lock already excludes everybody else).

``open_engine(target)`` picks the engine: ``postgresql://`` (or ``postgres://``) URLs
select PostgreSQL; a path, or ``sqlite:PATH``, selects SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol


class Result(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result: ...


class Engine(Protocol):
    dialect: str  # "sqlite" or "postgresql"
    for_update: str
    conn: Connection

    def write(self) -> AbstractContextManager[Connection]: ...

    def lock_schema(self, conn: Connection) -> None:
        """Inside ``write()``: keep other instances out of migrations until the commit."""
        ...

    def start_checkpointer(self, interval: float) -> None: ...

    def describe(self) -> str:
        """Where the data lives, for logs (a PostgreSQL URL without its password)."""
        ...

    def close(self) -> None: ...


def fetch_one(conn: Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of a query as a plain dict, or None."""
    row = conn.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


def fetch_all(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def skip_locked(engine: Engine) -> str:
    """The suffix of a purge batch's inner SELECT: on PostgreSQL the batch skips rows another
    purge (an instance's, a worker's) has locked. Two purges picking overlapping batches
    deadlocked (seen by bench/scale.py at 10^6 users), and one that waited would only find
    the rows gone. SQLite has one writer at a time: nothing to skip."""
    return " FOR UPDATE SKIP LOCKED" if engine.dialect == "postgresql" else ""


def purge_batch(engine: Engine, table: str, key: str, expiry: str, before: float, limit: int) -> int:
    """Delete up to ``limit`` rows of ``table`` whose ``expiry`` is at or before ``before``.

    One short transaction per call, so a purge never holds SQLite's writer lock (or many
    PostgreSQL row locks) for long; the caller repeats while it returns ``limit``. Rows
    another purge holds are skipped (:func:`skip_locked`).
    """
    with engine.write() as conn:
        return conn.execute(
            f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {expiry} <= ?"
            f" LIMIT ?{skip_locked(engine)})",
            (before, limit),
        ).rowcount
