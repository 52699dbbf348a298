"""Disabling someone locks them out at once: sessions, access tokens, refresh tokens, device
codes and new sign-ins, on every instance that shares the database."""

from __future__ import annotations

import re

from tests.helpers.fixtures.oauth_server import TOKEN, Browser, code_form, get_code, register
from tests.team.conftest import run_cli, sign_in

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _approved_device_code(server, rp, browser: Browser) -> dict[str, str]:
    with server.http() as http:
        start = http.post("/api/auth/device/code", data={"client_id": rp.client_id, "scope": "openid"}).json()
    page = browser.http.get("/device", params={"user_code": start["user_code"]})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = browser.http.post("/device", data={"user_code": start["user_code"], "csrf": csrf, "decision": "approve"})
    assert done.status_code == 200, done.text
    return {"grant_type": DEVICE_GRANT, "device_code": start["device_code"], "client_id": rp.client_id}


def test_a_disabled_user_loses_everything_on_every_instance(server_factory, database, capsys) -> None:
    first = server_factory(db_path=database)
    second = server_factory(db_path=database)  # another instance on the same database
    rp = register(first)
    browser = Browser(first)
    session = browser.sign_in()["token"]
    tokens = rp.signed_post(first, TOKEN, code_form(rp, get_code(browser, rp, scope="openid offline_access"))).json()
    device = _approved_device_code(first, rp, browser)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    for server in (first, second):
        assert server.request("GET", "/api/auth/oauth2/userinfo", headers=bearer).status_code == 200

    code, out, _ = run_cli(database, "users", "disable", browser.pubkey, capsys=capsys)
    assert code == 0 and "disabled" in out

    for server in (first, second):
        me = server.request("GET", "/api/auth/get-session", headers={"Authorization": f"Bearer {session}"})
        assert me.status_code == 200 and me.json() is None
        assert server.request("GET", "/api/auth/oauth2/userinfo", headers=bearer).status_code == 401
        info = rp.signed_post(server, "/api/auth/oauth2/introspect", {"token": tokens["access_token"]})
        assert info.json() == {"active": False}
        again = sign_in(server, browser.key)
        assert again.status_code == 403 and again.json()["code"] == "ACCOUNT_DISABLED"
        assert "administrator" in again.json()["message"]
    refresh = rp.signed_post(second, TOKEN, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                             "client_id": rp.client_id})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    with second.http() as http:
        polled = http.post("/api/auth/device/token", data=device)
    assert polled.status_code == 400 and polled.json()["error"] == "invalid_grant"
    # the authorize page finds no session and asks for a sign-in, which is refused as above
    assert "signin.js" in browser.authorize(rp).text

    assert run_cli(database, "users", "enable", browser.pubkey, capsys=capsys)[0] == 0
    assert sign_in(second, browser.key).status_code == 200
    assert [e.action for e in first.store.audit.since(0, action=None)][:3] == [
        "user.enable", "signin.refused", "signin.refused"]
    browser.close()


def test_a_sign_in_racing_the_disable_gets_no_session(server_factory, database) -> None:
    """SQLite: the user is looked up before the sign-in's transaction, and a disable in between
    still wins (re-read under the write lock). PostgreSQL: nothing is looked up before the
    sign-in's one call, which finds the user itself and refuses it, and the refusal is audited."""
    import coincurve

    from auth_server import team

    server = server_factory(db_path=database)
    key = coincurve.PrivateKey()
    assert sign_in(server, key).status_code == 200
    user = server.store.users.get_by_pubkey(key.public_key.format().hex())
    original = server.store.users.get_by_pubkey
    looked_up: list[str] = []

    def lookup_then_disable(pubkey: str):
        looked_up.append(pubkey)
        found = original(pubkey)
        team.set_disabled(server.store, user.id, True, actor="test")
        return found

    in_one_call = server.store.signins.finds_user(invitation=False)
    if in_one_call:
        team.set_disabled(server.store, user.id, True, actor="test")
    server.store.users.get_by_pubkey = lookup_then_disable  # type: ignore[method-assign]
    try:
        res = sign_in(server, key)
    finally:
        server.store.users.get_by_pubkey = original  # type: ignore[method-assign]
    assert res.status_code == 403 and res.json()["code"] == "ACCOUNT_DISABLED"
    assert server.store.sessions.list_for_user(user.id, server.clock()) == []
    assert looked_up == ([] if in_one_call else [user.pubkey])
    refused = server.store.audit.since(0, action="signin.refused")
    assert [e.detail.get("reason") for e in refused] == ["account_disabled"]


def test_removing_a_user_removes_their_tokens_and_lets_the_key_start_afresh(server, rp, browser, capsys) -> None:
    tokens = rp.signed_post(server, TOKEN, code_form(rp, get_code(browser, rp))).json()
    user = server.store.users.get_by_pubkey(browser.pubkey)
    code, out, _ = run_cli(server.db_path, "users", "remove", user.id, capsys=capsys)
    assert code == 0 and "removed" in out
    assert server.store.users.get(user.id) is None
    assert server.request("GET", "/api/auth/oauth2/userinfo",
                          headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    again = sign_in(server, browser.key)
    assert again.status_code == 200 and again.json()["user"]["id"] != user.id


def test_leaving_a_group_ends_the_apps_access_on_every_instance(server_factory, database) -> None:
    from auth_server import team

    first, second = server_factory(db_path=database), server_factory(db_path=database)
    team.add_group(first.store, "staff", actor="test")
    rp = register(first)
    team.set_client_groups(first.store, rp.client_id, ["staff"], actor="test")
    browser = Browser(first)
    browser.sign_in()
    team.change_groups(first.store, browser.pubkey, add=["staff"], actor="test")
    tokens = rp.signed_post(first, TOKEN, code_form(rp, get_code(browser, rp, scope="openid offline_access"))).json()
    team.change_groups(second.store, browser.pubkey, remove=["staff"], actor="test")  # through the other one
    for server in (first, second):
        assert server.request("GET", "/api/auth/oauth2/userinfo",
                              headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    refresh = rp.signed_post(first, TOKEN, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                            "client_id": rp.client_id})
    assert refresh.json()["error"] == "invalid_grant"
    back = browser.authorize(rp)
    assert back.status_code == 302 and "error=access_denied" in back.headers["location"]
    browser.close()
