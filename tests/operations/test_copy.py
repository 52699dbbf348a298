"""``sigil-server db copy``: SQLite -> PostgreSQL -> SQLite keeps every row and every user's id."""

from __future__ import annotations

import json
from pathlib import Path

import coincurve
import httpx

from auth_server.cli import main
from auth_server.crypto import make_token
from auth_server.store import Store
from auth_server.store.transfer import TABLES, row_counts
from tests.helpers.server import start_server
from tests.operations.test_repositories import make_client, make_code

SIGN_IN = "/api/auth/sign-in/sigma"


def sign_in(target: Path | str, key: coincurve.PrivateKey, **settings: object) -> str:
    """Sign in with ``key`` through a real server on ``target``; the user id it answers."""
    running = start_server(target, 2, log_requests=False, **settings)
    try:
        answer = httpx.post(running.url + SIGN_IN, json={}, headers={"X-Auth-Token": make_token(key, SIGN_IN)})
        assert answer.status_code == 200, answer.text
        return answer.json()["user"]["id"]
    finally:
        running.stop()


def test_tables_cover_the_schema(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        names = {r["name"] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_version'").fetchall()}
    assert names == set(TABLES)


def test_copy_round_trip_keeps_users_and_rows(tmp_path: Path, postgres_server, capsys) -> None:
    original = tmp_path / "original.db"
    keys = [coincurve.PrivateKey() for _ in range(3)]
    ids = [sign_in(original, key) for key in keys]
    with Store.open(original) as store:
        store.oauth.clients.add(make_client(now=1.0))
        store.oauth.codes.add(make_code("h1", ids[0], 1.0))
        store.oauth.consents.grant(ids[0], "app", "openid profile", None, 1.0)
        before = row_counts(store)
        users_before = store.users.list()

    pg = postgres_server.new_database(migrated=False)
    assert main(["db", "copy", str(original), pg]) == 0
    out = capsys.readouterr().out
    assert any(line.split() == ["user", "3"] for line in out.splitlines())
    assert any(line.split() == ["session", "3"] for line in out.splitlines())

    back = tmp_path / "back.db"
    assert main(["db", "copy", pg, f"sqlite:{back}"]) == 0
    for target in (pg, back):
        with Store.open(target) as store:
            assert row_counts(store) == before
            assert store.users.list() == users_before
            assert store.oauth.consents.get(ids[0], "app") == "openid profile"
    # the signing keys travel sealed: the PostgreSQL instances get the SQLite install's secret file
    assert [sign_in(pg, key, secret_file=tmp_path / "secret.key") for key in keys] == ids
    assert [sign_in(back, key) for key in keys] == ids


def test_copy_refuses_a_non_empty_target_unless_replace(tmp_path: Path, postgres_server, capsys) -> None:
    source, target = tmp_path / "a.db", postgres_server.new_database()
    with Store.open(source) as store:
        store.users.create("02" + "77" * 32, "Gil", 1.0)
    with Store.open(target) as store:
        store.users.create("02" + "88" * 32, "Hal", 1.0)
    assert main(["db", "copy", str(source), target]) == 1
    assert "not empty (user: 1)" in capsys.readouterr().err
    with Store.open(target) as store:
        assert [u.name for u in store.users.list()] == ["Hal"]  # untouched
    assert main(["db", "copy", str(source), target, "--replace"]) == 0
    with Store.open(target) as store:
        assert [u.name for u in store.users.list()] == ["Gil"]


def test_admin_commands_take_a_postgresql_url(postgres_server, capsys, monkeypatch) -> None:
    url = postgres_server.new_database(migrated=False)
    assert main(["migrate", "--db", url]) == 0
    assert "schema up to date" in capsys.readouterr().out
    monkeypatch.setenv("SIGIL_DB", url)
    assert main(["clients", "add", "--name", "App", "--redirect-uri", "https://app.example/cb",
                 "--member-pubkey", "02" + "ab" * 32, "--client-id", "app1"]) == 0
    capsys.readouterr()
    assert main(["clients", "list", "--json"]) == 0
    assert [c["client_id"] for c in json.loads(capsys.readouterr().out)] == ["app1"]
    assert main(["users", "list", "--db", url]) == 0
    assert "no users" in capsys.readouterr().out


def test_unreachable_database_is_one_line(capsys) -> None:
    assert main(["users", "list", "--db", "postgresql://sigil:hunter2@127.0.0.1:1/none"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot connect to postgresql://sigil:***@127.0.0.1:1/none")
    assert "hunter2" not in err and "Traceback" not in err
