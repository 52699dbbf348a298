"""Sessions: get-session, sign-out, list/revoke, the Origin check, expiry, restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auth_server.store.hashing import hash_secret as hash_token
from auth_server.store.transfer import TABLES
from tests.helpers.fixtures.sign_in_server import SIGN_IN

COOKIE = "better-auth.session_token"


def _signed_in(server, peer, wif=None) -> dict:
    wif = wif or peer.key()[0]
    res = server.sign_in(peer.make(wif, SIGN_IN))
    assert res.status_code == 200, res.text
    return res.json()


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_get_session_by_cookie_and_bearer(server, peer):
    data = _signed_in(server, peer)
    for headers in (_cookie(data["token"]), _bearer(data["token"])):
        res = server.request("GET", "/api/auth/get-session", headers=headers)
        assert res.status_code == 200
        body = res.json()
        assert body["user"]["id"] == data["user"]["id"]
        assert body["session"]["userId"] == data["user"]["id"]
        assert "token" not in body["session"] and "tokenHash" not in body["session"]
    assert server.request("GET", "/api/auth/get-session").json() is None
    assert server.request("GET", "/api/auth/get-session", headers=_bearer("not-a-session")).json() is None


def test_session_expires(server_factory, peer):
    server = server_factory(session_days=1)
    data = _signed_in(server, peer)
    server.clock.offset += 86400 + 1
    assert server.request("GET", "/api/auth/get-session", headers=_bearer(data["token"])).json() is None


def test_subscription_tier_when_enabled(server_factory, peer):
    server = server_factory(enable_subscription=True)
    data = _signed_in(server, peer)
    assert data["user"]["subscriptionTier"] == "free"
    me = server.request("GET", "/api/auth/get-session", headers=_bearer(data["token"])).json()
    assert me["session"]["subscriptionTier"] == "free"


def test_sign_out_with_cookie_needs_a_trusted_origin(server_factory, peer):
    server = server_factory(trusted_origins=["https://app.example"])
    token = _signed_in(server, peer)["token"]
    for origin in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "https://evil.example/x"}):
        res = server.request("POST", "/api/auth/sign-out", headers={**_cookie(token), **origin})
        assert res.status_code == 403 and res.json() == {"message": "Invalid origin", "code": "INVALID_ORIGIN"}
    assert server.request("GET", "/api/auth/get-session", headers=_cookie(token)).json() is not None
    res = server.request("POST", "/api/auth/sign-out", headers={**_cookie(token), "Origin": "https://app.example"})
    assert res.status_code == 200 and res.json() == {"success": True}
    assert f"{COOKIE}=" in res.headers["set-cookie"] and "Max-Age=0" in res.headers["set-cookie"]
    assert server.request("GET", "/api/auth/get-session", headers=_cookie(token)).json() is None


def test_sign_out_from_base_url_origin_and_by_bearer(server, peer):
    token = _signed_in(server, peer)["token"]
    res = server.request("POST", "/api/auth/sign-out", headers={**_cookie(token), "Origin": server.url})
    assert res.status_code == 200
    token = _signed_in(server, peer)["token"]
    assert server.request("POST", "/api/auth/sign-out", headers=_bearer(token)).status_code == 200  # no Origin needed
    assert server.request("GET", "/api/auth/get-session", headers=_bearer(token)).json() is None


def test_list_and_revoke_sessions(server, peer, peer_key):
    first = _signed_in(server, peer, peer_key[0])
    second = _signed_in(server, peer, peer_key[0])
    stranger = _signed_in(server, peer)
    listed = server.request("GET", "/api/auth/list-sessions", headers=_bearer(first["token"])).json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert all("token" not in s for s in listed)
    second_id = next(s["id"] for s in listed if not s["current"])

    # someone else's session cannot be revoked
    theirs = server.request("GET", "/api/auth/list-sessions", headers=_bearer(stranger["token"])).json()[0]["id"]
    res = server.request("POST", "/api/auth/revoke-session", headers=_bearer(first["token"]), json={"id": theirs})
    assert res.json() == {"status": False}

    # cookie-authenticated revoke needs the Origin
    res = server.request("POST", "/api/auth/revoke-session", headers=_cookie(first["token"]), json={"id": second_id})
    assert res.status_code == 403
    res = server.request("POST", "/api/auth/revoke-session", headers={**_cookie(first["token"]), "Origin": server.url},
                         json={"id": second_id})
    assert res.json() == {"status": True}
    assert server.request("GET", "/api/auth/get-session", headers=_bearer(second["token"])).json() is None

    res = server.request("POST", "/api/auth/revoke-session", headers=_bearer(first["token"]), json={"token": first["token"]})
    assert res.json() == {"status": True}
    assert server.request("GET", "/api/auth/list-sessions", headers=_bearer(first["token"])).status_code == 401
    assert server.request("POST", "/api/auth/revoke-session", headers=_bearer(stranger["token"]), json={}).status_code == 400


def test_tokens_are_stored_only_as_hashes(server, peer):
    token = _signed_in(server, peer)["token"]
    if isinstance(server.db_path, Path):
        dump = "\n".join(sqlite3.connect(server.db_path).iterdump())
    else:  # PostgreSQL (SIGIL_TEST_DB=postgresql): every row of every table
        dump = "\n".join(str(row) for table in TABLES for row in server.store.conn.execute(f'SELECT * FROM "{table}"'))
    assert token not in dump
    assert hash_token(token) in dump


def test_restart_keeps_users_and_sessions(server_factory, peer, peer_key, tmp_path):
    db = tmp_path / "restart.db"
    first = server_factory(db)
    data = _signed_in(first, peer, peer_key[0])
    first.stop()
    second = server_factory(db)
    me = second.request("GET", "/api/auth/get-session", headers=_bearer(data["token"])).json()
    assert me["user"]["id"] == data["user"]["id"]
    again = _signed_in(second, peer, peer_key[0])
    assert again["user"]["id"] == data["user"]["id"]
    assert second.store.users.count() == 1
