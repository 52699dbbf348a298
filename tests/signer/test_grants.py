"""Access grants in their SQLite file: expired rows are purged, not kept forever."""

from __future__ import annotations

import sqlite3

from signer_app.grants import GrantExpired, GrantStore
from tests.helpers.clock import FakeClock

BAP_ID = "VpdSWHprjixzq5dX2kno1gEmw4C"


def rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]


def test_expired_grants_are_purged_when_a_grant_is_issued_and_when_the_store_opens(tmp_path):
    path = tmp_path / "grants.sqlite"
    clock = FakeClock()
    store = GrantStore(path, clock=clock)
    old, _ = store.create("a.example", "https://a.example", ("sign",), BAP_ID, 60)
    store.create("b.example", "https://b.example", ("sign",), BAP_ID, 600)
    clock.advance(61)
    try:
        store.lookup(old)
    except GrantExpired:
        pass
    else:
        raise AssertionError("an expired grant must not be usable")
    assert rows(path) == 2  # still there until something purges
    store.create("c.example", "https://c.example", ("sign",), BAP_ID, 600)
    assert rows(path) == 2 and {g.host for g in store.active()} == {"b.example", "c.example"}
    store.close()

    clock.advance(600)
    GrantStore(path, clock=clock).close()
    assert rows(path) == 0
