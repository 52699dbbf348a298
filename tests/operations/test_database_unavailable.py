"""SQLite that cannot take a write (another program holds its write lock past the busy
timeout; the same path covers a full disk or a vanished file): 503 ``DB_UNAVAILABLE``,
not a 500, and the refused sign-in leaves nothing behind. (PostgreSQL outages:
tests/operations/test_database_outage.py.)"""

from __future__ import annotations

import os
import sqlite3

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from auth_server.store import sqlite
from tests.helpers.postgres import ENGINE_VAR
from tests.helpers.fixtures.sign_in_server import SIGN_IN

pytestmark = pytest.mark.skipif(os.environ.get(ENGINE_VAR) == "postgresql", reason="SQLite's own locking")


def sign_in(url: str, key: coincurve.PrivateKey) -> httpx.Response:
    return httpx.post(url + SIGN_IN, json={}, headers={"X-Auth-Token": make_token(key, SIGN_IN)}, timeout=30)


def test_a_write_locked_sqlite_file_is_answered_503_and_keeps_nothing(server_factory, tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 200)  # the server's connections wait 0.2 s, not 5
    path = tmp_path / "locked.db"
    running = server_factory(path)
    key = coincurve.PrivateKey()
    first = sign_in(running.url, key)
    assert first.status_code == 200, first.text

    other_program = sqlite3.connect(path, isolation_level=None)
    other_program.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock, outside Sigil's own locks
    try:
        refused = sign_in(running.url, key)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "DB_UNAVAILABLE" and refused.headers["Retry-After"] == "2"
        sessions = other_program.execute('SELECT count(*) FROM "session"').fetchone()[0]
    finally:
        other_program.rollback()
        other_program.close()
    assert sessions == 1  # the refused sign-in wrote nothing

    again = sign_in(running.url, key)
    assert again.status_code == 200, again.text
    assert again.json()["user"]["id"] == first.json()["user"]["id"]
