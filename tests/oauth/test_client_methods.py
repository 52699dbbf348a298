"""Standard client authentication over real HTTP: each method, and each way to break it."""

from __future__ import annotations

import base64

import pytest

from auth_server.oauth.client_auth.private_key_jwt import JWT_BEARER
from auth_server.oauth.endpoints import INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH
from tests.helpers.fixtures.oauth_server import REDIRECT, VERIFIER, Browser, authorize_params, redirect_params
from tests.oauth.standard_clients import StandardClient, register_standard


def code_for(browser: Browser, client: StandardClient, scope: str = "openid profile offline_access") -> str:
    if browser.http.cookies.get("better-auth.session_token") is None:
        browser.sign_in()
    res = browser.http.get("/oauth2/authorize", params=authorize_params(
        type("RP", (), {"client_id": client.client_id})(), scope=scope))
    if res.status_code == 200:
        res = browser.consent(res)
    return redirect_params(res)["code"]


def exchange_form(code: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.mark.parametrize("method,alg", [("client_secret_basic", ""), ("client_secret_post", ""),
                                        ("private_key_jwt", "ES256"), ("private_key_jwt", "RS256"),
                                        ("private_key_jwt", "EdDSA"), ("none", "")])
def test_each_method_exchanges_a_code_and_uses_its_tokens(server, browser, method, alg) -> None:
    client = register_standard(server, method, alg=alg or "ES256")
    res = client.post(server, TOKEN_PATH, exchange_form(code_for(browser, client)))
    assert res.status_code == 200, res.text
    tokens = res.json()
    assert tokens["id_token"] and tokens["refresh_token"]
    refreshed = client.post(server, TOKEN_PATH, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    if method != "none":
        info = client.post(server, INTROSPECTION_PATH, {"token": refreshed.json()["access_token"]})
        assert info.status_code == 200 and info.json()["active"] is True, info.text
    else:  # a public client proves nothing, so it may not introspect
        assert client.post(server, INTROSPECTION_PATH, {"token": tokens["access_token"]}).status_code == 401
    assert client.post(server, REVOCATION_PATH, {"token": refreshed.json()["refresh_token"]}).status_code == 200
    again = client.post(server, TOKEN_PATH, {"grant_type": "refresh_token",
                                             "refresh_token": refreshed.json()["refresh_token"]})
    assert again.json()["error"] == "invalid_grant"


def test_wrong_or_missing_secret(server, browser) -> None:
    client = register_standard(server, "client_secret_basic")
    code = code_for(browser, client)
    wrong = server.request("POST", TOKEN_PATH, data=exchange_form(code), headers=basic(client.client_id, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    garbled = server.request("POST", TOKEN_PATH, data=exchange_form(code), headers={"Authorization": "Basic %%%"})
    assert garbled.status_code == 401 and garbled.headers["www-authenticate"].startswith("Basic")
    # a secret client presenting nothing at all
    bare = server.request("POST", TOKEN_PATH, data={**exchange_form(code), "client_id": client.client_id})
    assert bare.status_code == 401 and bare.json()["error"] == "invalid_client"
    assert bare.headers["www-authenticate"].startswith("Basic")
    # (the secret in the body instead of Basic: tests/oauth/test_secret_method_strictness.py)
    # none of those spent the code
    assert client.post(server, TOKEN_PATH, exchange_form(code)).status_code == 200


def test_secret_post_client_and_other_clients_secrets(server, browser) -> None:
    client = register_standard(server, "client_secret_post")
    other = register_standard(server, "client_secret_post")
    code = code_for(browser, client)
    stolen = server.request("POST", TOKEN_PATH, data={**exchange_form(code), "client_id": client.client_id,
                                                      "client_secret": other.secret})
    assert stolen.status_code == 401
    wrong_client = server.request("POST", TOKEN_PATH, data={**exchange_form(code), "client_id": other.client_id,
                                                            "client_secret": other.secret})
    assert wrong_client.json()["error"] == "invalid_grant"  # authenticated, but not this client's code


def test_public_client_presenting_a_secret_is_refused(server, browser) -> None:
    public = register_standard(server, "none")
    code = code_for(browser, public)
    for attempt in (
        {"data": {**exchange_form(code), "client_id": public.client_id, "client_secret": "anything"}},
        {"data": exchange_form(code), "headers": basic(public.client_id, "anything")},
    ):
        res = server.request("POST", TOKEN_PATH, **attempt)
        assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text
    assert public.post(server, TOKEN_PATH, exchange_form(code)).status_code == 200


def test_two_methods_in_one_request_are_refused(server, browser) -> None:
    client = register_standard(server, "client_secret_basic")
    form = {**exchange_form(code_for(browser, client)), "client_secret": client.secret, "client_id": client.client_id}
    res = server.request("POST", TOKEN_PATH, data=form, headers=basic(client.client_id, client.secret or ""))
    assert res.status_code == 400 and res.json()["error"] == "invalid_request"


def test_reused_jti_is_refused(server, browser) -> None:
    client = register_standard(server, "private_key_jwt")
    assertion = client.assertion(server.url, jti="only-once")
    form = {**exchange_form(code_for(browser, client)), "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion}
    assert server.request("POST", TOKEN_PATH, data=form).status_code == 200
    replay = server.request("POST", TOKEN_PATH, data={**form, "code": code_for(browser, client)})
    assert replay.status_code == 401 and "jti" in replay.json()["error_description"]


@pytest.mark.parametrize("change", ["audience", "issuer", "expired", "long_lived", "no_jti", "other_key", "hs256"])
def test_bad_client_assertions_are_invalid_client(server, browser, change) -> None:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    from tests.oauth.standard_clients import new_key

    client = register_standard(server, "private_key_jwt")
    if change == "audience":
        assertion = client.assertion("https://another-server.example")
    elif change == "issuer":
        assertion = client.assertion(server.url, iss="someone-else")
    elif change == "expired":
        assertion = client.assertion(server.url, lifetime=-120)
    elif change == "long_lived":
        assertion = client.assertion(server.url, lifetime=3600)
    elif change == "no_jti":
        assertion = client.assertion(server.url, jti="")
    elif change == "other_key":
        assertion = StandardClient(client.client_id, client.method, key=new_key("ES256"), alg="ES256").assertion(
            server.url)
    else:
        secret = OctKey.generate_key(256)
        assertion = jwt.encode({"alg": "HS256"}, {"iss": client.client_id, "sub": client.client_id,
                                                  "aud": server.url, "exp": 2_000_000_000, "jti": "x"}, secret)
    form = {**exchange_form(code_for(browser, client)), "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion}
    res = server.request("POST", TOKEN_PATH, data=form)
    assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text


def test_assertion_keys_from_a_jwks_uri(server, browser) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.oauth.standard_clients import new_key

    key = new_key("ES256")
    body = json.dumps({"keys": [key.as_dict(private=False)]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    keys_server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=keys_server.serve_forever, daemon=True).start()
    try:
        uri = f"http://127.0.0.1:{keys_server.server_address[1]}/jwks.json"
        client = register_standard(server, "private_key_jwt", jwks_uri=uri, key=key)
        res = client.post(server, TOKEN_PATH, exchange_form(code_for(browser, client)))
        assert res.status_code == 200, res.text
    finally:
        keys_server.shutdown()


def test_secret_rotation_with_a_grace_period(server, browser) -> None:
    from auth_server import admin

    client = register_standard(server, "client_secret_basic")
    old = client.secret or ""
    new = admin.rotate_client_secret(server.store, client.client_id, grace_seconds=60)
    assert new != old
    for secret in (old, new):
        res = server.request("POST", TOKEN_PATH, data=exchange_form(code_for(browser, client)),
                             headers=basic(client.client_id, secret))
        assert res.status_code == 200, res.text
    server.clock.advance(61)
    try:
        late = server.request("POST", TOKEN_PATH, data=exchange_form(code_for(browser, client)),
                              headers=basic(client.client_id, old))
        assert late.status_code == 401
    finally:
        server.clock.advance(-61)
    newest = admin.rotate_client_secret(server.store, client.client_id)  # no grace: the old stops at once
    res = server.request("POST", TOKEN_PATH, data=exchange_form(code_for(browser, client)),
                         headers=basic(client.client_id, new))
    assert res.status_code == 401
    res = server.request("POST", TOKEN_PATH, data=exchange_form(code_for(browser, client)),
                         headers=basic(client.client_id, newest))
    assert res.status_code == 200


def test_secrets_are_stored_as_hashes_only(server) -> None:
    client = register_standard(server, "client_secret_basic")
    assert client.secret and len(client.secret) >= 43  # 256 bits, base64url
    rows = server.store.conn.execute("SELECT * FROM oauth_client").fetchall()
    assert client.secret not in repr([dict(r) for r in rows])


def test_x_auth_token_client_cannot_use_a_secret(server, rp, browser) -> None:
    from tests.helpers.fixtures.oauth_server import get_code

    code = get_code(browser, rp)
    res = server.request("POST", TOKEN_PATH, data={**exchange_form(code), "client_id": rp.client_id,
                                                   "client_secret": "guess"})
    assert res.status_code == 401 and res.headers["www-authenticate"] == "X-Auth-Token"


def test_secrets_never_appear_in_answers_or_logs(server, browser, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    client = register_standard(server, "client_secret_basic")
    guess = "guessed-secret-" + "q" * 30
    answers = [
        server.request("POST", TOKEN_PATH, data=exchange_form(code_for(browser, client)),
                       headers=basic(client.client_id, guess)),
        server.request("POST", TOKEN_PATH, data={**exchange_form("x"), "client_id": client.client_id,
                                                 "client_secret": guess}),
        client.post(server, TOKEN_PATH, exchange_form(code_for(browser, client))),
    ]
    for res in answers:
        assert guess not in res.text and (client.secret or "") not in res.text
    assert guess not in caplog.text and (client.secret or "") not in caplog.text
