"""The real Sigma client code against a live Sigil server.

* ``exchangeCodeForTokens`` from ``@sigma-auth/better-auth-plugin`` (in Node), which signs
  its token request with the reference ``bitcoin-auth`` and then calls userinfo;
* Authlib's OAuth 2.0 client as a standard OIDC relying party: discovery, PKCE,
  token request (X-Auth-Token added by a client-auth hook), id_token checked against JWKS.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.parameters import add_params_to_qs
from joserfc import jwt
from joserfc.jwk import KeySet

from auth_server.crypto import make_token
from tests.helpers.fixtures.oauth_server import REDIRECT, SIGN_IN, VERIFIER, get_code

pytestmark = pytest.mark.interop

EXCHANGE = Path(__file__).resolve().parent.parent / "peers" / "exchange_code.mjs"


def run_exchange(**options: str) -> dict:
    node = shutil.which("node")
    assert node, "node is required for interop tests"
    proc = subprocess.run([node, str(EXCHANGE)], input=json.dumps(options), capture_output=True, text=True,
                          cwd=EXCHANGE.parent, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sigma_plugin_exchange_code_for_tokens(server, rp, browser, node_peer) -> None:
    # The user's sign-in token comes from the reference bitcoin-auth too.
    wif, pubkey = node_peer.key()
    body = '{"profile":{"name":"Ivy"}}'  # the signed profile's name reaches the app (issue 24)
    res = browser.http.post(SIGN_IN, content=body, headers={
        "Content-Type": "application/json", "X-Auth-Token": node_peer.make(wif, SIGN_IN, body)})
    assert res.status_code == 200, res.text
    code = get_code(browser, rp)
    answer = run_exchange(issuerUrl=server.url, code=code, redirectUri=REDIRECT, clientId=rp.client_id,
                          memberPrivateKey=rp.wif, codeVerifier=VERIFIER)
    assert answer["ok"], answer
    result = answer["result"]
    assert result["user"]["pubkey"] == pubkey
    assert result["user"]["bap_id"] and result["user"]["name"] == "Ivy"
    with server.http() as http:
        claims = jwt.decode(result["id_token"], KeySet.import_key_set(http.get("/api/auth/jwks").json())).claims
    assert claims["sub"] == result["user"]["sub"] and claims["aud"] == rp.client_id


def test_sigma_plugin_sees_server_errors(server, rp, browser) -> None:
    code = get_code(browser, rp)
    answer = run_exchange(issuerUrl=server.url, code=code, redirectUri=REDIRECT, clientId=rp.client_id,
                          memberPrivateKey=rp.wif, codeVerifier="z" * 60)
    assert not answer["ok"]
    assert answer["error"]["error"] == "invalid_grant" and answer["error"]["status"] == 400


def x_auth_token(member_key):
    """Authlib client-auth method: name the client and sign the exact body with the member key."""

    def sign(client, method, uri, headers, body):
        text = body.decode() if isinstance(body, bytes) else (body or "")
        if "client_id=" not in text:
            text = add_params_to_qs(text, [("client_id", client.client_id)])
        headers["X-Auth-Token"] = make_token(member_key, urlsplit(uri).path, body=text)
        headers["Content-Length"] = str(len(text.encode()))
        return uri, headers, text

    return sign


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_authlib_relying_party(server, rp, browser) -> None:
    with server.http() as http:
        meta = http.get("/.well-known/openid-configuration").json()
        jwks = http.get(meta["jwks_uri"]).json()
    client = OAuth2Client(client_id=rp.client_id, redirect_uri=REDIRECT, scope="openid profile email",
                          code_challenge_method="S256", token_endpoint_auth_method="x_auth_token")
    client.register_client_auth_method(("x_auth_token", x_auth_token(rp.key)))
    verifier = "authlib-" + "v" * 60
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                                 nonce="authlib-nonce")

    browser.sign_in()
    page = browser.http.get(url)
    assert page.status_code == 200  # consent for this new client
    res = browser.consent(page)
    callback = res.headers["location"]
    assert parse_qs(urlsplit(callback).query)["state"] == [state]

    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=meta[
        "id_token_signing_alg_values_supported"]).claims
    assert claims["iss"] == meta["issuer"] and claims["aud"] == rp.client_id and claims["nonce"] == "authlib-nonce"
    assert claims["pubkey"] == browser.pubkey

    # Authlib's own OIDC id_token validation (claims options as an RP configures them).
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken
    decoded = JsonWebToken(["RS256"]).decode(token["id_token"], JsonWebKey.import_key_set(jwks),
                                             claims_cls=CodeIDToken,
                                             claims_options={"iss": {"value": meta["issuer"]}},
                                             claims_params={"nonce": "authlib-nonce", "client_id": rp.client_id,
                                                            "access_token": token["access_token"]})
    decoded.validate()

    info = client.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"] and info["pubkey"] == browser.pubkey
