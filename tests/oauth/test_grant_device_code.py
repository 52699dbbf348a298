"""The device authorization grant (auth_server/oauth/grants/device_code.py)."""

from __future__ import annotations

import pytest

from auth_server.oauth.errors import OAuthError


def test_device_flow(provider, client, user, clock) -> None:
    start = provider.start_device(client, "openid profile")
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": start["device_code"]}
    with pytest.raises(OAuthError, match="authorization_pending"):
        provider.token(client, grant)
    with pytest.raises(OAuthError, match="slow_down"):
        provider.token(client, grant)
    provider.decide_device(start["user_code"].lower().replace("-", ""), True, user.id, None, None)
    answer = provider.token(client, grant)
    assert provider.userinfo(answer["access_token"])["pubkey"] == user.pubkey
    with pytest.raises(OAuthError):
        provider.token(client, grant)


# -- over HTTP ----------------------------------------------------------------------


def test_device_flow_over_http(server, rp, browser) -> None:
    with server.http() as http:
        start = http.post("/api/auth/device/code", data={"client_id": rp.client_id, "scope": "openid profile"}).json()
        assert start["verification_uri"] == server.url + "/device" and start["interval"] == 5
        grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": start["device_code"],
                 "client_id": rp.client_id}
        pending = http.post("/api/auth/device/token", data=grant)
        assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
        assert http.post("/api/auth/device/token", data=grant).json()["error"] == "slow_down"

    assert "signin.js" in browser.http.get("/device").text  # not signed in yet
    browser.sign_in()
    page = browser.http.get("/device", params={"user_code": start["user_code"].lower()})
    assert page.status_code == 200 and "Demo App" in page.text
    import re
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = browser.http.post("/device", data={"user_code": start["user_code"], "csrf": csrf, "decision": "approve"})
    assert done.status_code == 200 and "Device connected" in done.text

    with server.http() as http:
        tokens = http.post("/api/auth/device/token", data=grant)
        assert tokens.status_code == 200, tokens.text
        info = http.get("/api/auth/oauth2/userinfo",
                        headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}).json()
        assert info["pubkey"] == browser.pubkey
        assert http.post("/api/auth/device/token", data=grant).json()["error"] == "invalid_grant"


def test_device_flow_denied(server, rp, browser) -> None:
    with server.http() as http:
        start = http.post("/api/auth/device/code", data={"client_id": rp.client_id}).json()
    browser.sign_in()
    page = browser.http.get("/device", params={"user_code": start["user_code"]})
    import re
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    browser.http.post("/device", data={"user_code": start["user_code"], "csrf": csrf, "decision": "deny"})
    with server.http() as http:
        res = http.post("/api/auth/device/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": start["device_code"],
            "client_id": rp.client_id})
        assert res.json()["error"] == "access_denied"
