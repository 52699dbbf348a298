"""The refresh_token grant (auth_server/oauth/grants/refresh_token.py)."""

from __future__ import annotations

import pytest

from auth_server.oauth.errors import OAuthError
from tests.helpers.fixtures.oauth_server import REDIRECT, TOKEN, VERIFIER, code_form, code_from, get_code, params


def test_refresh_rotation_and_family_revocation(provider, client, user, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id, scope="openid offline_access"))
    code = code_from(provider.approve(req, user.id, None, None))
    first = provider.token(client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                    "code_verifier": VERIFIER})
    second = provider.token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert second["refresh_token"] != first["refresh_token"]
    assert provider.userinfo(second["access_token"])["sub"] == user.id
    with pytest.raises(OAuthError):
        provider.token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    for token in (first["access_token"], second["access_token"]):
        with pytest.raises(OAuthError):
            provider.userinfo(token)
    with pytest.raises(OAuthError):
        provider.token(client, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]})


# -- over HTTP ----------------------------------------------------------------------


def test_refresh_rotation_and_reuse_detection_over_http(server, rp, browser) -> None:
    code = get_code(browser, rp, scope="openid profile offline_access")
    first = rp.signed_post(server, TOKEN, code_form(rp, code)).json()
    assert first["refresh_token"]
    grant = {"grant_type": "refresh_token", "client_id": rp.client_id}
    second = rp.signed_post(server, TOKEN, {**grant, "refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"] and second["id_token"]
    third = rp.signed_post(server, TOKEN, {**grant, "refresh_token": second["refresh_token"]}).json()
    reuse = rp.signed_post(server, TOKEN, {**grant, "refresh_token": first["refresh_token"]})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # the whole family is dead now, including the newest tokens
    dead = rp.signed_post(server, TOKEN, {**grant, "refresh_token": third["refresh_token"]})
    assert dead.json()["error"] == "invalid_grant"
    with server.http() as http:
        res = http.get("/api/auth/oauth2/userinfo", headers={"Authorization": f"Bearer {third['access_token']}"})
        assert res.status_code == 401
