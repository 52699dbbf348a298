"""Standard relying-party libraries nobody here wrote, over real HTTP, against a live server:

* ``openid-client`` 6.9.0 (npm, the certified RP library) for every client-authentication
  method: discovery, code flow with PKCE/state/nonce, refresh, userinfo, introspection,
  revocation, the device flow and RP-initiated logout;
* Authlib's OAuth 2.0 client (httpx) with ``client_secret_basic``.

Every id_token is also checked here against the JWKS with joserfc.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers.node_peer import NodePeerError
from tests.helpers.server import RunningServer
from tests.helpers.fixtures.oauth_server import REDIRECT, Browser, hidden_fields
from tests.oauth.standard_clients import StandardClient, register_standard

pytestmark = pytest.mark.interop

SCOPE = "openid profile email offline_access"


@pytest.fixture
def server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory(device_poll_interval=1)


def check_id_token(server, client_id: str, id_token: str) -> dict:
    with server.http() as http:
        keys = KeySet.import_key_set(http.get("/api/auth/jwks").json())
    claims = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"]).claims
    assert claims["iss"] == server.url and claims["aud"] == client_id
    return claims


def auth_of(client: StandardClient) -> dict:
    auth = {"method": client.method}
    if client.secret:
        auth["secret"] = client.secret
    if client.key is not None:
        auth.update(jwk=client.private_jwk, kid=client.key.kid)
    return auth


def sign_in_through(browser: Browser, url: str) -> str:
    """The user's browser at the authorization URL: sign in, consent; the callback URL."""
    if browser.http.cookies.get("better-auth.session_token") is None:
        browser.sign_in()
    res = browser.http.get(url)
    if res.status_code == 200:
        res = browser.consent(res)
    assert res.status_code == 302, res.text
    return res.headers["location"]


def discover(openid_client, server, client: StandardClient, name: str) -> dict:
    return openid_client.request(op="discover", rp=name, issuer=server.url, clientId=client.client_id,
                                 auth=auth_of(client), redirectUri=REDIRECT)["metadata"]


@pytest.mark.parametrize("method,alg", [("client_secret_basic", ""), ("client_secret_post", ""),
                                        ("private_key_jwt", "ES256"), ("private_key_jwt", "RS256"),
                                        ("private_key_jwt", "EdDSA"), ("none", "")])
def test_openid_client_full_flow(server, browser, openid_client, method, alg) -> None:
    client = register_standard(server, method, alg=alg or "ES256")
    rp = f"{method}-{alg}-{server.url}"
    meta = discover(openid_client, server, client, rp)
    assert method in meta["token_endpoint_auth_methods_supported"]

    url = openid_client.request(op="authorize_url", rp=rp, scope=SCOPE)["url"]
    got = openid_client.request(op="callback", rp=rp, url=sign_in_through(browser, url))
    claims = check_id_token(server, client.client_id, got["tokens"]["id_token"])
    assert got["claims"]["sub"] == claims["sub"] and claims["pubkey"] == browser.pubkey

    info = openid_client.request(op="userinfo", rp=rp)["userinfo"]
    assert info["sub"] == claims["sub"] and info["preferred_username"]

    refreshed = openid_client.request(op="refresh", rp=rp)
    check_id_token(server, client.client_id, refreshed["tokens"]["id_token"])
    access = refreshed["tokens"]["access_token"]
    if method != "none":
        intro = openid_client.request(op="introspect", rp=rp, token=access)["introspection"]
        assert intro["active"] is True and intro["client_id"] == client.client_id
    openid_client.request(op="revoke", rp=rp, token=refreshed["tokens"]["refresh_token"])
    with pytest.raises(NodePeerError) as err:
        openid_client.request(op="refresh", rp=rp)
    assert err.value.answer["oauth"]["error"] == "invalid_grant"
    if method != "none":
        after = openid_client.request(op="introspect", rp=rp, token=access)["introspection"]
        assert after["active"] is False  # revoking the refresh token ended its whole family


def test_openid_client_refuses_nothing_in_discovery(server, openid_client) -> None:
    """The discovery document a standard RP reads: IANA method names, the canonical URL."""
    client = register_standard(server, "client_secret_basic")
    meta = discover(openid_client, server, client, "discovery-" + server.url)
    assert set(meta["token_endpoint_auth_methods_supported"]) >= {
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none", "x_auth_token"}
    assert {"ES256", "RS256", "EdDSA"} <= set(meta["token_endpoint_auth_signing_alg_values_supported"])
    assert meta["issuer"] == server.url and meta["request_uri_parameter_supported"] is False
    with server.http() as http:
        assert http.get("/.well-known/oauth-authorization-server").json()["issuer"] == server.url


def test_openid_client_device_flow_with_a_public_client(server, browser, openid_client) -> None:
    client = register_standard(server, "none")
    rp = "device-" + server.url
    discover(openid_client, server, client, rp)
    started = openid_client.request(op="device_start", rp=rp, scope="openid profile")
    browser.sign_in()
    page = browser.http.get(started["verification_uri_complete"])
    assert page.status_code == 200, page.text
    fields = hidden_fields(page.text)
    decided = browser.http.post("/device", data={**fields, "decision": "approve"})
    assert decided.status_code == 200, decided.text
    got = openid_client.request(op="device_poll", rp=rp)
    claims = check_id_token(server, client.client_id, got["tokens"]["id_token"])
    assert claims["pubkey"] == browser.pubkey


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_authlib_client_secret_basic(server, browser) -> None:
    from authlib.integrations.httpx_client import OAuth2Client

    client = register_standard(server, "client_secret_basic")
    with server.http() as http:
        meta = http.get("/.well-known/openid-configuration").json()
    rp = OAuth2Client(client_id=client.client_id, client_secret=client.secret, redirect_uri=REDIRECT, scope=SCOPE,
                      code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = "authlib-" + "b" * 60
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                             nonce="authlib-basic")
    callback = sign_in_through(browser, url)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)

    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken
    with server.http() as http:
        jwks = http.get(meta["jwks_uri"]).json()
    decoded = JsonWebToken(["RS256"]).decode(token["id_token"], JsonWebKey.import_key_set(jwks), claims_cls=CodeIDToken,
                                             claims_options={"iss": {"value": meta["issuer"]}},
                                             claims_params={"nonce": "authlib-basic", "client_id": client.client_id,
                                                            "access_token": token["access_token"]})
    decoded.validate()
    check_id_token(server, client.client_id, token["id_token"])
    assert rp.get(meta["userinfo_endpoint"]).json()["sub"] == decoded["sub"]
    refreshed = rp.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    rp.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"])
    wrong = OAuth2Client(client_id=client.client_id, client_secret="not-it", token_endpoint_auth_method="client_secret_basic")
    from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
    with pytest.raises(AuthlibOAuthError) as err:
        wrong.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert err.value.error == "invalid_client"


def test_openid_client_rp_initiated_logout(server, browser, openid_client) -> None:
    from tests.oauth.standard_clients import LOGOUT_REDIRECT

    client = register_standard(server, "client_secret_basic")
    rp = "logout-" + server.url
    discover(openid_client, server, client, rp)
    url = openid_client.request(op="authorize_url", rp=rp, scope="openid")["url"]
    openid_client.request(op="callback", rp=rp, url=sign_in_through(browser, url))
    end = openid_client.request(op="end_session_url", rp=rp, postLogoutRedirectUri=LOGOUT_REDIRECT, state="later")["url"]
    res = browser.http.get(end, headers={"Origin": "http://localhost:3000"})
    assert res.status_code == 302 and res.headers["location"] == LOGOUT_REDIRECT + "?state=later"
    assert browser.http.get("/api/auth/get-session").json() is None


def test_openid_client_max_age(server, browser, openid_client) -> None:
    """An old session and max_age: the user signs in again, and openid-client accepts auth_time."""
    import html
    import re

    client = register_standard(server, "client_secret_post")
    rp = "max-age-" + server.url
    discover(openid_client, server, client, rp)
    server.clock.advance(-200)
    try:
        browser.sign_in()
    finally:
        server.clock.advance(200)
    url = openid_client.request(op="authorize_url", rp=rp, scope="openid", extra={"max_age": "60"})["url"]
    page = browser.http.get(url)
    assert page.status_code == 200 and 'id="signin"' in page.text
    browser.sign_in()  # what the sign-in page does through the signer
    next_url = html.unescape(re.search(r'data-continue-url="([^"]+)"', page.text).group(1))
    callback = sign_in_through(browser, next_url)
    got = openid_client.request(op="callback", rp=rp, url=callback)
    assert server.clock() - got["claims"]["auth_time"] < 60


def test_openid_client_registers_itself_and_signs_in(server_factory, openid_client) -> None:
    """RFC 7591 through openid-client: register with the admin's initial access token, then
    the code flow with the secret that came back (openid-client then uses client_secret_post)."""
    from auth_server.oauth.registration import issue_registration_token
    from tests.helpers.fixtures.oauth_server import Browser

    running = server_factory(dynamic_registration="token")
    browser = Browser(running)
    try:
        rp = "registered-" + running.url
        got = openid_client.request(op="register", rp=rp, issuer=running.url,
                                    initialAccessToken=issue_registration_token(running.store),
                                    metadata={"redirect_uris": [REDIRECT], "client_name": "Self-registered",
                                              "token_endpoint_auth_method": "client_secret_post"})
        assert got["clientId"] and got["clientSecret"]
        url = openid_client.request(op="authorize_url", rp=rp, scope="openid profile")["url"]
        tokens = openid_client.request(op="callback", rp=rp, url=sign_in_through(browser, url))["tokens"]
        check_id_token(running, got["clientId"], tokens["id_token"])
        with pytest.raises(NodePeerError):  # without a token: refused
            openid_client.request(op="register", rp=rp + "-2", issuer=running.url, initialAccessToken=None,
                                  metadata={"redirect_uris": [REDIRECT]})
    finally:
        browser.close()


def test_openid_client_as_a_sigma_client_with_the_readme_recipe(server, browser, openid_client, node_peer) -> None:
    """x_auth_token through openid-client: a customFetch signs each POST (bitcoin-auth)."""
    from auth_server import admin

    wif, pubkey = node_peer.key()
    new = admin.register_client(server.store, "Sigma via openid-client", [REDIRECT], pubkey)
    assert new.client.token_endpoint_auth_method == "x_auth_token"
    rp = "x-auth-" + server.url
    openid_client.request(op="discover", rp=rp, issuer=server.url, clientId=new.client_id,
                          auth={"method": "x_auth_token", "wif": wif}, redirectUri=REDIRECT)
    url = openid_client.request(op="authorize_url", rp=rp, scope=SCOPE)["url"]
    got = openid_client.request(op="callback", rp=rp, url=sign_in_through(browser, url))
    check_id_token(server, new.client_id, got["tokens"]["id_token"])
    refreshed = openid_client.request(op="refresh", rp=rp)["tokens"]
    intro = openid_client.request(op="introspect", rp=rp, token=refreshed["access_token"])["introspection"]
    assert intro["active"] is True
    openid_client.request(op="revoke", rp=rp, token=refreshed["refresh_token"])
