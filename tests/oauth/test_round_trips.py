"""On PostgreSQL a sign-in, a code exchange and an introspection each take one round trip in
all (issue 25). A sign-in is one call of ``sigil_sign_in``, which also finds the user
(auth_server/store/signins.py). For an exchange the client's check, the single-use claim of its proof, the code's checks, its
spending, its tokens and the user's claims are one call of ``sigil_redeem_code``
(auth_server/store/codes.py); an introspection reads the client's row version, the token
and its user in one statement; userinfo reads the token, its user and its client's row
version in one statement. The client is the instance's copy of its row, which that
one statement re-checks: a client disabled, re-keyed or removed through another instance
is refused at its next request, and a harmless change costs one retry, never a refusal.

Counted on the real server's engine over HTTP: every statement, and every transaction
(``BEGIN`` and ``COMMIT`` are a round trip each).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from auth_server.oauth.endpoints import INTROSPECTION_PATH, TOKEN_PATH
from auth_server import admin
from auth_server.crypto import make_token
from auth_server.store.codes import redeem_statement
from auth_server.store import Store
from tests.helpers.fixtures.oauth_server import Browser, code_form, get_code, register
from tests.oauth.standard_clients import register_standard

pytestmark = pytest.mark.postgres

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
    assert len(seen) == 1 and "sigil_redeem_code" in seen[0], seen
    # the replay is one round trip too, and still revokes what the first exchange got
    with round_trips(pg_server.store.engine) as seen:
        again = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, code))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert len(seen) == 1, seen
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
        assert len(seen) == 1 and "oauth_client" in seen[0], seen


def test_a_secret_client_exchanges_and_introspects_in_one_round_trip(pg_server) -> None:
    app = register_standard(pg_server, "client_secret_basic")
    code = fresh_code(pg_server, app, "openid")
    with round_trips(pg_server.store.engine) as seen:
        res = app.post(pg_server, TOKEN_PATH, code_form(app, code))
    assert res.status_code == 200, res.text
    assert len(seen) == 1 and "sigil_redeem_code" in seen[0], seen
    with round_trips(pg_server.store.engine) as seen:
        info = app.post(pg_server, INTROSPECTION_PATH, {"token": res.json()["access_token"]})
    assert info.status_code == 200 and info.json()["active"], info.text
    assert len(seen) == 1, seen


def userinfo(server, access_token: str) -> httpx.Response:
    with server.http() as http:
        return http.get("/api/auth/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def test_userinfo_is_one_round_trip(pg_server) -> None:
    """The token, its user's claims and its client's row version are one statement; the client
    is this instance's copy, read once (the exchange's own call re-checked a copy, so the
    first userinfo after a restart reads the client, and every later one does not)."""
    rp = register(pg_server)
    tokens = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, fresh_code(pg_server, rp, "openid profile"))).json()
    pg_server.store.oauth.clients.forget(rp.client_id)  # as after a restart
    with round_trips(pg_server.store.engine) as seen:
        first = userinfo(pg_server, tokens["access_token"])
    assert first.status_code == 200 and first.json()["sub"], first.text
    assert len(seen) == 2 and "oauth_client" in seen[1], seen  # the token, then the client
    with round_trips(pg_server.store.engine) as seen:
        again = userinfo(pg_server, tokens["access_token"])
    assert again.json() == first.json()
    assert len(seen) == 1 and "oauth_access_token" in seen[0], seen


@pytest.fixture
def other_instance(pg_server) -> Iterator[Store]:
    """The same database opened as another instance would (or the CLI on another host):
    what it changes, the server's copies of the clients do not hear of."""
    store = Store.open(pg_server.settings.db_path)
    try:
        yield store
    finally:
        store.close()


def test_a_client_disabled_elsewhere_is_refused_at_its_next_request(pg_server, other_instance) -> None:
    rp = register(pg_server)
    code = fresh_code(pg_server, rp, "openid offline_access")
    tokens = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, code)).json()
    later = fresh_code(pg_server, rp, "openid")
    assert admin.set_client_disabled(other_instance, rp.client_id, True)
    res = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, later))
    assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text
    info = rp.signed_post(pg_server, INTROSPECTION_PATH, {"token": tokens["access_token"], "client_id": rp.client_id})
    assert info.status_code == 401 and info.json()["error"] == "invalid_client", info.text
    assert userinfo(pg_server, tokens["access_token"]).status_code == 401  # the copy is not trusted
    # the code was not spent by the refused exchange: enabled again, the client redeems it
    assert admin.set_client_disabled(other_instance, rp.client_id, False)
    assert rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, later)).status_code == 200


def test_a_secret_rotated_elsewhere_works_at_once_and_the_old_one_does_not(pg_server, other_instance) -> None:
    app = register_standard(pg_server, "client_secret_basic")
    first = app.post(pg_server, TOKEN_PATH, code_form(app, fresh_code(pg_server, app, "openid")))
    assert first.status_code == 200, first.text  # the server now holds a copy with the first secret
    old_secret = app.secret
    app.secret = admin.rotate_client_secret(other_instance, app.client_id)  # no grace period
    code = fresh_code(pg_server, app, "openid")
    assert app.post(pg_server, TOKEN_PATH, code_form(app, code)).status_code == 200
    app.secret = old_secret
    refused = app.post(pg_server, TOKEN_PATH, code_form(app, fresh_code(pg_server, app, "openid")))
    assert refused.status_code == 401, refused.text
    info = app.post(pg_server, INTROSPECTION_PATH, {"token": first.json()["access_token"]})
    assert info.status_code == 401, info.text


def test_a_harmless_change_elsewhere_costs_a_retry_not_the_request(pg_server, other_instance) -> None:
    rp = register(pg_server)
    tokens = rp.signed_post(pg_server, TOKEN_PATH,
                            code_form(rp, fresh_code(pg_server, rp, "openid offline_access"))).json()
    code = fresh_code(pg_server, rp, "openid")
    assert other_instance.oauth.clients.approve(rp.client_id)  # a write that changes nothing it uses
    with round_trips(pg_server.store.engine) as seen:
        res = rp.signed_post(pg_server, TOKEN_PATH, code_form(rp, code))
    assert res.status_code == 200, res.text  # the X-Auth-Token was not spent by the refused first call
    assert len(seen) == 3, seen  # the call that found the change, the fresh read, the call again
    assert other_instance.oauth.clients.approve(rp.client_id)
    info = rp.signed_post(pg_server, INTROSPECTION_PATH, {"token": tokens["access_token"], "client_id": rp.client_id})
    assert info.status_code == 200 and info.json()["active"], info.text
    assert other_instance.oauth.clients.approve(rp.client_id)
    with round_trips(pg_server.store.engine) as seen:
        assert userinfo(pg_server, tokens["access_token"]).status_code == 200
    assert len(seen) == 2, seen  # the statement that saw a new version, then the fresh read


def test_the_client_proof_spent_in_the_exchange_call_stays_single_use(pg_server) -> None:
    rp = register(pg_server)
    form = code_form(rp, fresh_code(pg_server, rp, "openid"))
    signed = make_token(rp.key, TOKEN_PATH, body=str(httpx.QueryParams(form)))
    first = rp.signed_post(pg_server, TOKEN_PATH, form, token=signed)
    assert first.status_code == 200, first.text
    with round_trips(pg_server.store.engine) as seen:
        replay = rp.signed_post(pg_server, TOKEN_PATH, form, token=signed)
    assert replay.status_code == 401 and replay.headers["WWW-Authenticate"] == "X-Auth-Token", replay.text
    assert replay.json()["error_description"] == "X-Auth-Token rejected (replayed): token was already used"
    assert len(seen) == 1, seen
    # refused before the code was looked at: not a reuse of the code, so the first tokens stand
    with pg_server.http() as http:
        info = http.get("/api/auth/oauth2/userinfo", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert info.status_code == 200, info.text


def test_the_exchange_call_finds_its_user_by_key_whatever_the_table_size(pg_server) -> None:
    """The call is a set-returning function joined with the user: estimated at PostgreSQL's
    default of 1,000 rows, it was planned as a hash of the whole user table (7.5 ms of
    PostgreSQL's CPU per exchange at 10^4 users, bench.scale). Declared ``ROWS 1``, it is one
    lookup by the user's key at any size."""
    engine = pg_server.store.engine
    engine.execute('INSERT INTO "user" (id, pubkey, name, "emailVerified", "createdAt", "updatedAt") '
                   "SELECT 'bulk' || i, 'pk' || i, 'user' || i, 0, 0, 0 FROM generate_series(1, 10000) i")
    engine.execute('ANALYZE "user"')
    plan = "\n".join(row["QUERY PLAN"] for row in engine.execute(
        "EXPLAIN " + redeem_statement(),
        ("h", "c", 0.0, None, None, "a", 0.0, "r", 0.0, False, [], None, None, None)).fetchall())
    assert 'Seq Scan on "user"' not in plan and "Index Scan" in plan, plan


def test_a_sign_in_is_one_round_trip_for_a_new_and_a_returning_user(pg_server) -> None:
    import coincurve

    from auth_server.signin import SIGN_IN_PATH

    key = coincurve.PrivateKey()
    users = []
    for _ in range(2):
        with round_trips(pg_server.store.engine) as seen:
            res = pg_server.sign_in(make_token(key, SIGN_IN_PATH))
        assert res.status_code == 200, res.text
        assert len(seen) == 1 and "sigil_sign_in" in seen[0], seen
        users.append(res.json()["user"]["id"])
    assert users[0] == users[1]
    # a key this server does not let in costs the refused call and its audit line's transaction
    pg_server.settings.sign_up = "invite"
    with round_trips(pg_server.store.engine) as seen:
        res = pg_server.sign_in(make_token(coincurve.PrivateKey(), SIGN_IN_PATH))
    assert res.status_code == 403 and res.json()["code"] == "SIGN_UP_DISABLED", res.text
    assert "sigil_sign_in" in seen[0] and seen[1:] == ["BEGIN", seen[2]] and "audit_log" in seen[2], seen
