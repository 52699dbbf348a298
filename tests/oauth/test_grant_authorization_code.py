"""The authorization_code grant (auth_server/oauth/grants/authorization_code.py)."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from auth_server.oauth.errors import OAuthError
from auth_server.oauth.credentials import hash_secret
from tests.helpers.fixtures.oauth_server import REDIRECT, TOKEN, VERIFIER, code_form, code_from, get_code, params, register


def test_full_code_flow_and_reuse(provider, client, user, store, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id, scope="openid profile offline_access"))
    assert provider.needs_consent(req, user.id)
    code = code_from(provider.approve(req, user.id, user.bap_id, int(clock())))
    assert not provider.needs_consent(req, user.id)
    assert store.oauth.codes.get(hash_secret(code)) is not None  # stored hashed only
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": client.client_id, "code_verifier": VERIFIER}
    answer = provider.token(client, form)
    assert answer["token_type"] == "Bearer" and "refresh_token" in answer
    claims = jwt.decode(answer["id_token"], KeySet.import_key_set(provider.keys.jwks())).claims
    assert claims["aud"] == client.client_id and claims["nonce"] == "n1" and claims["pubkey"] == user.pubkey
    info = provider.userinfo(answer["access_token"])
    assert info["sub"] == user.id and info["name"] == "Alice"
    with pytest.raises(OAuthError) as err:
        provider.token(client, form)
    assert err.value.error == "invalid_grant"
    with pytest.raises(OAuthError):
        provider.userinfo(answer["access_token"])  # revoked by the reuse


def test_code_expiry_and_pkce_mismatch(provider, client, user, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id))
    code = code_from(provider.approve(req, user.id, None, None))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": "w" * 50}
    with pytest.raises(OAuthError, match="code_verifier"):
        provider.token(client, form)
    clock.now += 61
    with pytest.raises(OAuthError, match="expired"):
        provider.token(client, {**form, "code_verifier": VERIFIER})


# -- over HTTP ----------------------------------------------------------------------


def test_code_reuse_revokes_the_first_tokens(server, rp, browser) -> None:
    code = get_code(browser, rp, scope="openid offline_access")
    first = rp.signed_post(server, TOKEN, code_form(rp, code)).json()
    second = rp.signed_post(server, TOKEN, code_form(rp, code))
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    with server.http() as http:
        info = http.get("/api/auth/oauth2/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
        assert info.status_code == 401
    refresh = rp.signed_post(server, TOKEN, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                             "client_id": rp.client_id})
    assert refresh.json()["error"] == "invalid_grant"


def test_pkce_mismatch(server, rp, browser) -> None:
    code = get_code(browser, rp)
    res = rp.signed_post(server, TOKEN, code_form(rp, code, code_verifier="y" * 60))
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"
    missing = rp.signed_post(server, TOKEN, {k: v for k, v in code_form(rp, code).items() if k != "code_verifier"})
    assert missing.json()["error"] == "invalid_grant"


def test_redirect_uri_mismatch(server, rp, browser) -> None:
    code = get_code(browser, rp)
    res = rp.signed_post(server, TOKEN, code_form(rp, code, redirect_uri=REDIRECT + "?x=1"))
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"


def test_code_of_another_client(server, rp, browser) -> None:
    other = register(server)
    code = get_code(browser, rp)
    res = other.signed_post(server, TOKEN, code_form(other, code))
    assert res.json()["error"] == "invalid_grant"
