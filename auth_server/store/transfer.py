"""``sigil-server db copy SOURCE TARGET``: a whole Sigil database, SQLite <-> PostgreSQL.

Both ends are opened as stores (so both are migrated to the same schema), then every
table is copied row for row, ids and hashes unchanged: users keep their ids, so a key
signs in as the same user afterwards, and sessions, clients, consents and tokens keep
working. The target is written in one transaction: a failed copy leaves it as it was.
A target that holds any row is refused unless ``replace=True``, which empties it first
(in that same transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auth_server.store import Store
from auth_server.store.engine import fetch_all

#: every table of the schema, parents before children (``session`` references ``user``)
TABLES: tuple[str, ...] = (
    "user", "session", "replay_guard", "sigma_challenge", "rate_limit",
    "oauth_client", "oauth_code", "oauth_access_token", "oauth_refresh_token", "oauth_consent", "device_code",
    "oauth_registration_token", "user_group", "user_group_member", "invitation", "admitted_identity", "audit_log",
    "signing_key", "avatar", "profile_share",
)
#: rows every migrated database has (the ``admin`` group): not data a copy would overwrite
_SEEDED = {"user_group": 1}
BATCH = 1000


class TargetNotEmpty(RuntimeError):
    """The target already holds data (copying over it needs ``replace``)."""


def row_counts(store: Store) -> dict[str, int]:
    return {table: store.conn.execute(f'SELECT count(*) AS n FROM "{table}"').fetchone()["n"] for table in TABLES}


def _rows(store: Store, table: str) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in batches, in primary-key order (the source should not be serving meanwhile)."""
    offset = 0
    while True:
        batch = fetch_all(store.conn, f'SELECT * FROM "{table}" ORDER BY 1, 2 LIMIT ? OFFSET ?', (BATCH, offset))
        if not batch:
            return
        yield batch
        offset += len(batch)


def copy_database(source: Store, target: Store, *, replace: bool = False) -> dict[str, int]:
    """Copy every row of ``source`` into ``target``; return the rows copied per table."""
    existing = {table: n for table, n in row_counts(target).items() if n > _SEEDED.get(table, 0)}
    if existing and not replace:
        raise TargetNotEmpty(", ".join(f"{table}: {n}" for table, n in existing.items()))
    copied: dict[str, int] = {}
    with target.write() as conn:
        for table in reversed(TABLES):  # children first
            conn.execute(f'DELETE FROM "{table}"')
        for table in TABLES:
            copied[table] = 0
            for batch in _rows(source, table):
                columns = list(batch[0])
                names = ", ".join(f'"{column}"' for column in columns)
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
                for row in batch:
                    conn.execute(sql, [row[c] for c in columns])
                copied[table] += len(batch)
    return copied
