"""On PostgreSQL a code exchange and an introspection each take one round trip for their own
work (issue 25): the code's checks, its spending, its tokens and the user's claims are
one call of ``sigil_redeem_code`` (auth_server/store/codes.py); an introspection reads the
token and its user in one statement. Besides it, only the client's authentication talks
to the database (its registration, and the single-use claim of its X-Auth-Token).

Counted on the real server's engine over HTTP: every statement, and every transaction
(``BEGIN`` and ``COMMIT`` are a round trip each).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from auth_server.oauth.endpoints import INTROSPECTION_PATH, TOKEN_PATH
from tests.helpers.fixtures.oauth_server import Browser, code_form, get_code, register

pytestmark = pytest.mark.postgres

#: what authenticating a client costs before the grant runs (not counted against the grant)
CLIENT_AUTH = ("FROM oauth_client WHERE client_id", "INSERT INTO replay_guard")


@pytest.fixture
def pg_server(request, server_factory):  # type: ignore[no-untyped-def]
    return server_factory(db_path=request.getfixturevalue("postgres_server").new_database())


@contextmanager
def round_trips(engine: Any) -> Iterator[list[str]]:
    """The statements ``engine`` runs inside the block, a transaction counted as ``BEGIN``."""
    seen: list[str] = []
    execute, write = engine.execute, engine.write

    def counted_execute(sql: str, params: Any = ()) -> Any:
        seen.append(sql)
        return execute(sql, params)

    @contextmanager
    def counted_write() -> Iterator[Any]:
        seen.append("BEGIN")
        with write() as conn:
            yield conn

    engine.execute, engine.write = counted_execute, counted_write
    try:
        yield seen
    finally:
        del engine.execute, engine.write


def own_work(seen: list[str]) -> list[str]:
    return [sql for sql in seen if not any(mark in sql for mark in CLIENT_AUTH)]


def fresh_code(server, rp, scope: str) -> str:
    """An authorization code for ``rp``, got by a user signing in through a browser of its own."""
    browser = Browser(server)
    try:
        return get_code(browser, rp, scope=scope)
    finally:
        browser.close()


def test_code_exchange_is_one_round_trip(pg_server) -> None:
    rp = register(pg_server)
    code = fresh_code(pg_server, rp, "openid profile offline_access")
    with round_trips(pg_server.store.engine) as seen:
        res = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, code))
    assert res.status_code == 200, res.text
    assert "refresh_token" in res.json() and "id_token" in res.json()
    assert "BEGIN" not in seen, seen
    work = own_work(seen)
    assert len(work) == 1 and "sigil_redeem_code" in work[0], seen
    # the replay is one round trip too, and still revokes what the first exchange got
    with round_trips(pg_server.store.engine) as seen:
        again = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, code))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert len(own_work(seen)) == 1 and "BEGIN" not in seen, seen
    with pg_server.http() as http:
        info = http.get("/api/auth/oauth2/userinfo",
                        headers={"Authorization": f"Bearer {res.json()['access_token']}"})
    assert info.status_code == 401


def test_introspection_is_one_round_trip(pg_server) -> None:
    rp = register(pg_server)
    code = fresh_code(pg_server, rp, "openid offline_access")
    tokens = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, code)).json()
    for value, hint, kind in [(tokens["access_token"], None, "Bearer"),
                              (tokens["refresh_token"], "refresh_token", "refresh_token"),
                              (tokens["refresh_token"], None, "refresh_token")]:
        form = {"token": value, "client_id": rp.client_id, **({"token_type_hint": hint} if hint else {})}
        with round_trips(pg_server.store.engine) as seen:
            res = rp.signed_post(pg_server, INTROSPECTION_PATH, form)
        assert res.status_code == 200 and res.json()["active"] and res.json()["token_type"] == kind, res.text
        assert len(own_work(seen)) == 1 and "BEGIN" not in seen, seen
