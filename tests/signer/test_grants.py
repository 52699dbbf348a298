"""Access grants in their SQLite file (expired rows are purged, not kept forever; older files
open), and the TokenPass vocabulary of durations and scopes."""

from __future__ import annotations

import sqlite3

import pytest

from auth_server.store.hashing import hash_secret
from signer_app.grants import (FOREVER, MONTH_SECONDS, GrantExpired, GrantStore, parse_expiry,
                               parse_scopes)
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


def test_a_grants_file_from_before_per_site_keys_opens_and_keeps_its_grants(tmp_path):
    path = tmp_path / "grants.sqlite"
    with sqlite3.connect(path) as db:  # the table as earlier versions wrote it
        db.execute("CREATE TABLE grants (token_hash TEXT PRIMARY KEY, host TEXT NOT NULL, origin TEXT NOT NULL,"
                   " scopes TEXT NOT NULL, bap_id TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL)")
        db.execute("INSERT INTO grants VALUES (?,?,?,?,?,?,?)",
                   (hash_secret("old"), "a.example", "https://a.example", '["sign"]', BAP_ID, 1.0, 4e9))
    store = GrantStore(path, clock=FakeClock())
    assert store.lookup("old").site == "" and store.lookup("old").host == "a.example"
    token, _ = store.create("b.example", "https://b.example", ("encrypt",), BAP_ID, FOREVER, site="b.example")
    grant = store.lookup(token)
    assert grant.forever and grant.expire_time_ms == 0 and grant.site == "b.example"
    assert grant.missing_scopes("sign", "encrypt") == ["sign"]
    store.close()


@pytest.mark.parametrize("value,seconds", [
    ("once", 10), ("1h", 3600), ("1d", 86400), ("1w", 604800), ("1m", MONTH_SECONDS), ("forever", FOREVER),
    ("FOREVER", FOREVER), ("15min", 900), ("90", 90), (3600, 3600), (None, 3600), ("12m", MONTH_SECONDS),
])
def test_expiry_words(value, seconds):
    assert parse_expiry(value) == seconds


@pytest.mark.parametrize("value", ["1y", "soon", "-1h", "１h", "0", True, float("inf"), [], "1h30"])
def test_expiry_refusals_name_the_words(value):
    with pytest.raises(ValueError, match="once|positive"):
        parse_expiry(value)


@pytest.mark.parametrize("value,scopes", [
    (None, ("sign",)), ("", ("sign",)), ("sign, encrypt,sign", ("sign", "encrypt")), (["decrypt"], ("decrypt",)),
    (["write_profile", "sign"], ("write_profile", "sign")),
])
def test_scopes_as_list_or_comma_string(value, scopes):
    assert parse_scopes(value) == scopes


@pytest.mark.parametrize("value", ["root", ["sign", "root"], 5, [1], {"sign": True}])
def test_unknown_or_malformed_scopes_are_refused(value):
    with pytest.raises(ValueError):
        parse_scopes(value)
