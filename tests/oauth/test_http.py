"""The provider over real HTTP: authorize, consent, token, userinfo and the failure cases."""

from __future__ import annotations

import time

import coincurve
from joserfc import jwt
from joserfc.jwk import KeySet

from auth_server.crypto import make_token
from tests.helpers.fixtures.oauth_server import (
    REDIRECT, TOKEN, Browser, code_form, get_code, hidden_fields, redirect_params, register,
)


def test_discovery_and_jwks(server) -> None:
    with server.http() as http:
        meta = http.get("/.well-known/openid-configuration").json()
        assert meta["issuer"] == server.url
        assert meta["token_endpoint"] == server.url + TOKEN
        assert meta["code_challenge_methods_supported"] == ["S256"]
        assert http.get("/api/auth/.well-known/openid-configuration").json() == meta
        keys = http.get(meta["jwks_uri"]).json()["keys"]
        assert keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_no_session_shows_sign_in_page(server, rp, browser) -> None:
    res = browser.authorize(rp)
    assert res.status_code == 200
    assert 'data-signer-url="http://127.0.0.1:9"' in res.text and "signin.js" in res.text
    assert "connect-src 'self' http://127.0.0.1:9;" in res.headers["content-security-policy"]
    js = browser.http.get("/oauth2/static/signin.js")
    assert js.status_code == 200 and "No Sigil signer is answering" in js.text
    none = browser.authorize(rp, prompt="none")
    assert redirect_params(none)["error"] == "login_required"


def test_unknown_client_and_bad_redirect_get_a_page_not_a_redirect(server, rp, browser) -> None:
    for res in (browser.authorize(rp, client_id="nope"), browser.authorize(rp, redirect_uri=REDIRECT + "/evil")):
        assert res.status_code == 400 and "location" not in res.headers
        assert "text/html" in res.headers["content-type"]
    plain = browser.authorize(rp, code_challenge_method="plain")
    assert redirect_params(plain)["error"] == "invalid_request"
    token = browser.authorize(rp, response_type="token")
    assert redirect_params(token)["error"] == "unsupported_response_type"


def test_code_flow_consent_once_then_skipped(server, rp, browser) -> None:
    browser.sign_in()
    page = browser.authorize(rp)
    assert page.status_code == 200 and "Demo App" in page.text and "localhost:3000" in page.text
    code = redirect_params(browser.consent(page))["code"]
    again = browser.authorize(rp)  # same scopes: no second consent
    assert "code" in redirect_params(again)
    forced = browser.authorize(rp, prompt="consent")
    assert forced.status_code == 200 and 'name="csrf"' in forced.text

    res = rp.signed_post(server, TOKEN, code_form(rp, code))
    assert res.status_code == 200, res.text
    tokens = res.json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid profile"
    assert "refresh_token" not in tokens
    with server.http() as http:
        keys = KeySet.import_key_set(http.get("/api/auth/jwks").json())
        claims = jwt.decode(tokens["id_token"], keys).claims
        assert claims["iss"] == server.url and claims["aud"] == rp.client_id and claims["nonce"] == "n0nce"
        assert claims["pubkey"] == browser.pubkey and claims["auth_time"] <= claims["iat"]
        info = http.get("/api/auth/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.status_code == 200
        assert info.json()["pubkey"] == browser.pubkey and info.json()["sub"] == claims["sub"]
        assert http.get("/api/auth/oauth2/userinfo", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_deny_redirects_access_denied(server, rp, browser) -> None:
    browser.sign_in()
    res = browser.consent(browser.authorize(rp), decision="deny")
    params = redirect_params(res)
    assert params == {"error": "access_denied", "error_description": "the user denied the request", "state": "st4te"}


def test_consent_form_needs_csrf_and_origin(server, rp, browser) -> None:
    browser.sign_in()
    page = browser.authorize(rp)
    fields = hidden_fields(page.text)
    fields["decision"] = "approve"
    fields["csrf"] = "0" * 64
    assert browser.http.post("/oauth2/authorize", data=fields).status_code == 403
    assert browser.consent(page).status_code == 302
    other = Browser(server)
    other.http.headers["Origin"] = "https://evil.example"
    other.http.cookies.update(browser.http.cookies)
    assert other.consent(page).status_code == 403


def test_trusted_client_skips_consent(server, browser) -> None:
    rp = register(server, trusted=True)
    browser.sign_in()
    assert "code" in redirect_params(browser.authorize(rp))
    from tests.helpers.fixtures.oauth_server import authorize_params
    res = browser.http.get("/api/auth/oauth2/authorize", params=authorize_params(rp))
    assert "code" in redirect_params(res)


def test_prompt_login_forces_sign_in(server, rp, browser) -> None:
    browser.sign_in()
    res = browser.authorize(rp, prompt="login")
    assert res.status_code == 200 and "signin.js" in res.text
    assert "prompt=login" not in res.text  # the page continues without forcing again


def test_wrong_member_key(server, rp, browser) -> None:
    code = get_code(browser, rp)
    res = rp.signed_post(server, TOKEN, code_form(rp, code), key=coincurve.PrivateKey())
    assert res.status_code == 401 and res.json()["error"] == "invalid_client"
    assert rp.signed_post(server, TOKEN, code_form(rp, code)).status_code == 200  # code still good


def test_stale_and_replayed_client_tokens(server, rp, browser) -> None:
    code = get_code(browser, rp)
    form = code_form(rp, code)
    body = str(__import__("httpx").QueryParams(form))
    stale = make_token(rp.key, TOKEN, body=body, timestamp=time.time() - 3600)
    res = rp.signed_post(server, TOKEN, form, token=stale)
    assert res.status_code == 401 and res.json()["error"] == "invalid_client" and "stale" in res.json()["error_description"]
    future = make_token(rp.key, TOKEN, body=body, timestamp=time.time() + 3600)
    assert rp.signed_post(server, TOKEN, form, token=future).status_code == 401
    other_body = make_token(rp.key, TOKEN, body=body + "&x=1")
    assert rp.signed_post(server, TOKEN, form, token=other_body).status_code == 401
    good = make_token(rp.key, TOKEN, body=body)
    assert rp.signed_post(server, TOKEN, form, token=good).status_code == 200
    replay = rp.signed_post(server, TOKEN, form, token=good)
    assert replay.status_code == 401 and "replayed" in replay.json()["error_description"]


def test_token_endpoint_errors_are_rfc6749_json(server, rp) -> None:
    res = rp.signed_post(server, TOKEN, {"grant_type": "password", "client_id": rp.client_id})
    assert res.status_code == 400 and res.json()["error"] == "unsupported_grant_type"
    res = rp.signed_post(server, TOKEN, {"grant_type": "authorization_code", "client_id": rp.client_id})
    assert res.json()["error"] == "invalid_request"
    res = rp.signed_post(server, TOKEN, {"grant_type": "authorization_code", "client_id": "nope"})
    assert res.status_code == 401 and res.json()["error"] == "invalid_client"
    with server.http() as http:
        res = http.post(TOKEN, data={"grant_type": "authorization_code", "client_id": rp.client_id})
        assert res.status_code == 401 and res.json()["error"] == "invalid_client"
        res = http.post(TOKEN, content=b"\xff\xfe", headers={"X-Auth-Token": "garbage"})
        assert res.status_code in (400, 401) and "error" in res.json()
    server.store.oauth.clients.set_disabled(rp.client_id)
    res = rp.signed_post(server, TOKEN, {"grant_type": "authorization_code", "client_id": rp.client_id, "code": "x"})
    assert res.status_code == 401


def test_introspect_and_revoke(server, rp, browser) -> None:
    code = get_code(browser, rp, scope="openid offline_access")
    tokens = rp.signed_post(server, TOKEN, code_form(rp, code)).json()
    info = rp.signed_post(server, "/api/auth/oauth2/introspect", {"token": tokens["access_token"],
                                                                  "client_id": rp.client_id}).json()
    assert info["active"] is True and info["client_id"] == rp.client_id and info["pubkey"] == browser.pubkey
    other = register(server)
    assert rp.signed_post(server, "/api/auth/oauth2/introspect", {"token": tokens["access_token"]},
                          key=other.key).json() == {"active": False}  # other key: found by pubkey
    res = rp.signed_post(server, "/api/auth/oauth2/introspect", {"token": "x", "client_id": rp.client_id},
                         key=other.key)
    assert res.status_code == 401
    revoked = rp.signed_post(server, "/api/auth/oauth2/revoke", {"token": tokens["refresh_token"],
                                                                 "client_id": rp.client_id})
    assert revoked.status_code == 200
    info = rp.signed_post(server, "/api/auth/oauth2/introspect", {"token": tokens["access_token"],
                                                                  "client_id": rp.client_id}).json()
    assert info == {"active": False}


def test_introspection_client_tokens(server, rp, browser) -> None:
    """Introspection checks key binding, freshness and the body like every endpoint; a replay
    within the window repeats the answer unless single use is switched on for it too."""
    introspect = "/api/auth/oauth2/introspect"
    code = get_code(browser, rp)
    access = rp.signed_post(server, TOKEN, code_form(rp, code)).json()["access_token"]
    form = {"token": access, "client_id": rp.client_id}
    body = str(__import__("httpx").QueryParams(form))

    def status(token: str) -> tuple[int, str]:
        res = rp.signed_post(server, introspect, form, token=token)
        return res.status_code, res.json().get("error_description", "") if res.status_code != 200 else ""

    assert status(make_token(rp.key, introspect, body=body, timestamp=time.time() - 3600))[0] == 401
    assert status(make_token(rp.key, introspect, body=body, timestamp=time.time() + 3600))[0] == 401
    assert status(make_token(rp.key, introspect, body=body + "&x=1"))[0] == 401
    assert status(make_token(rp.key, TOKEN, body=body))[0] == 401  # signed for another path
    stranger = coincurve.PrivateKey()
    assert status(make_token(stranger, introspect, body=body))[0] == 401  # not the member key

    good = make_token(rp.key, introspect, body=body)
    assert status(good) == (200, "") and status(good) == (200, "")  # a read: the replay asks again

    server.settings.single_use_introspection = True
    strict = make_token(rp.key, introspect, body=body)
    assert status(strict) == (200, "")
    code_, description = status(strict)
    assert code_ == 401 and "replayed" in description
