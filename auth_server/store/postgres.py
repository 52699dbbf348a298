"""The PostgreSQL engine: psycopg 3 over a psycopg_pool connection pool.

Several server instances share one database, so nothing here relies on a process-wide
lock: a transaction (:meth:`PostgresEngine.write`) holds one pooled connection until it
commits, and every single-use rule is a statement PostgreSQL makes atomic (a conditional
``UPDATE ... WHERE used_at IS NULL`` takes the row lock, so of two instances racing for
one code the second waits, re-checks the condition and changes nothing; ``INSERT ... ON
CONFLICT`` resolves two inserts of one key the same way). Outside a transaction a
statement borrows a connection for just that statement (autocommit).

The repositories' SQL uses ``?`` placeholders (SQLite's); they are rewritten to psycopg's
``%s`` once per distinct statement. Statements run often are prepared server-side by
psycopg after a few executions, and each pooled connection runs them all on one reused
cursor (:class:`_Connection`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import psycopg
from psycopg import pq
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from auth_server.outages import StoreUnavailable
from auth_server.paths import redact_database_url

#: connections per server instance: waitress's request threads plus the background purger
POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 24
CONNECT_TIMEOUT_SECONDS = 10.0
#: how long a request waits for a pooled connection (while the database is down, the pool
#: is trying to reconnect) before it is answered 503
POOL_WAIT_SECONDS = 3.0
#: pg_advisory_xact_lock key that serialises migrations between instances ("sigil" in ASCII)
MIGRATION_LOCK_KEY = 0x7369676C
_TUPLES_OK = pq.ExecStatus.TUPLES_OK


#: statement -> its result's column names: psycopg's dict rows decode every name of every
#: result again (~30 bytes.decode calls for a claims row); a statement's names do not change,
#: except that a migration may add columns to a ``SELECT *`` (so the count is checked)
_NAMES: dict[str, tuple[str, ...]] = {}


def _names(query: str, result: pq.abc.PGresult) -> tuple[str, ...]:
    names = _NAMES.get(query)
    if names is None or len(names) != result.nfields:
        names = _NAMES[query] = tuple((result.fname(i) or b"").decode() for i in range(result.nfields))
    return names


class _Result:
    """A finished statement: its row count and its rows (dicts by column name), already fetched."""

    __slots__ = ("rowcount", "_rows", "_next")

    def __init__(self, cursor: psycopg.Cursor[Any], query: str) -> None:
        self.rowcount = cursor.rowcount
        result = cursor.pgresult
        if result is not None and result.status == _TUPLES_OK:
            names = _names(query, result)
            self._rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        else:
            self._rows = []
        self._next = 0

    def fetchone(self) -> dict[str, Any] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[dict[str, Any]]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.fetchall())


class _Connection(psycopg.Connection[tuple[Any, ...]]):
    """A pooled connection that keeps one cursor for all its statements.

    Every statement's rows are fetched before the connection goes back to the pool
    (:class:`_Result`), and a pooled connection serves one thread at a time, so the
    cursor is never shared mid-statement. Making a fresh cursor per statement was ~10 µs
    of this process's CPU each (bench/store.py).
    """

    _sigil_cursor: psycopg.Cursor[tuple[Any, ...]] | None = None

    def run(self, query: str, params: Sequence[Any]) -> _Result:
        cursor = self._sigil_cursor
        if cursor is None or cursor.closed:
            cursor = self._sigil_cursor = self.cursor()
        return _Result(cursor.execute(query, params), query)


def _reason(exc: Exception, url: str = "") -> str:
    """The first line of a database error (its later lines can quote row values), else its type;
    libpq can quote the connection string back (a bad parameter), so ``url``'s passwords are masked."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    for secret in _secrets_of(url):
        line = line.replace(secret, "***")
    return line


def _secrets_of(url: str) -> list[str]:
    """The passwords ``url`` carries (userinfo, ``password=``), raw and percent-decoded."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found.append(parts.password)
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=False) if k.strip().lower() == "password"]
    except ValueError:
        pass
    found += [unquote(s) for s in found]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def redact(url: str) -> str:
    """``url`` without its passwords, for logs and messages (:func:`auth_server.paths.redact_database_url`)."""
    return redact_database_url(url)


class PostgresEngine:
    dialect = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self, url: str, *, min_size: int = POOL_MIN_SIZE, max_size: int = POOL_MAX_SIZE,
                 synchronous_commit: bool = True) -> None:
        """``synchronous_commit=False`` answers commits before the WAL reaches the disk: for
        data worth less than a flush per write (rate-limit counts)."""
        self.url = url
        try:  # one direct attempt first: a typo or a refused password is reported at once, with its reason
            psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT_SECONDS)).close()
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot connect to {redact(url)}: {_reason(exc, url)}") from None
        self._local = threading.local()
        self._sql: dict[str, str] = {}
        self._pool: ConnectionPool[_Connection] = ConnectionPool(
            url, connection_class=_Connection, min_size=min_size, max_size=max_size, open=False, name="sigil",
            kwargs={"autocommit": True, "row_factory": tuple_row,
                    **({} if synchronous_commit else {"options": "-c synchronous_commit=off"})},
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except PoolTimeout:
            self._pool.close()
            raise StoreUnavailable(f"cannot connect to {redact(url)}") from None

    def describe(self) -> str:
        return redact(self.url)

    def _translate(self, sql: str) -> str:
        query = self._sql.get(sql)
        if query is None:
            query = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return query

    @property
    def conn(self) -> PostgresEngine:
        """Statements go through the engine itself (it knows this thread's transaction)."""
        return self

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        query = self._translate(sql)
        raw = getattr(self._local, "tx", None)
        try:
            if raw is not None:
                return raw.run(query, params)
            # getconn/putconn, not the pool's ``connection()`` block: that block also enters
            # the connection's transaction context, a commit round of psycopg's machinery (no
            # statement: this connection is in autocommit) that cost ~10 µs per statement.
            # putconn discards a connection a failure left broken.
            raw = self._pool.getconn(POOL_WAIT_SECONDS)
            try:
                return raw.run(query, params)
            finally:
                self._pool.putconn(raw)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        """A lost or refused connection (or a deadlock or serialization failure, retryable
        too) as :class:`StoreUnavailable`, whose message names the database without its
        password; the pool replaces broken connections on their way back."""
        return StoreUnavailable(f"database {redact(self.url)} failed: {_reason(exc, self.url)}")

    @contextmanager
    def write(self) -> Iterator[PostgresEngine]:
        """One transaction on one pooled connection; nested blocks join it.

        Commits when the outermost block ends normally, rolls back when it raises.
        """
        local = self._local
        if getattr(local, "tx", None) is not None:
            yield self
            return
        try:
            with self._pool.connection(POOL_WAIT_SECONDS) as raw, raw.transaction():
                local.tx = raw
                try:
                    yield self
                finally:
                    local.tx = None
        except (psycopg.OperationalError, PoolTimeout) as exc:  # also a commit or rollback that failed
            raise self._unavailable(exc) from None

    def lock_schema(self, conn: Any) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))

    def start_checkpointer(self, interval: float = 0.0) -> None:
        """Nothing to do: PostgreSQL checkpoints in its own processes."""

    def close(self) -> None:
        self._pool.close()
