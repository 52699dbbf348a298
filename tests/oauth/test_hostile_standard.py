"""Nothing a client sends to the standard-OIDC surface makes a 500: Basic credentials, client
assertions, registration metadata, logout and authorize parameters, chosen by hypothesis."""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from auth_server.oauth.client_auth.private_key_jwt import JWT_BEARER
from auth_server.oauth.endpoints import END_SESSION_PATH, REGISTRATION_PATH, TOKEN_PATH
from tests.oauth.standard_clients import register_standard

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | ascii_text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ascii_text, inner, max_size=3),
                           max_leaves=8)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@FUZZ
@given(user=ascii_text, secret=ascii_text, raw=ascii_text)
def test_random_basic_credentials(server, user, secret, raw) -> None:
    for header in ("Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode(), "Basic " + raw, raw):
        header = header.strip()  # what HTTP can carry
        if not header:
            continue
        res = server.request("POST", TOKEN_PATH, data={"grant_type": "authorization_code", "code": "x"},
                             headers={"Authorization": header})
        assert res.status_code < 500 and "error" in res.json(), res.text


@FUZZ
@given(header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "jwk", "crit"]), json_values, max_size=4),
       payload=st.dictionaries(st.sampled_from(["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]), json_values),
       signature=st.binary(max_size=80), assertion_type=st.sampled_from([JWT_BEARER, "", "urn:x"]))
def test_random_client_assertions(server, header, payload, signature, assertion_type) -> None:
    client = register_standard(server, "private_key_jwt")
    payload = {"sub": client.client_id, **payload}
    assertion = ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)])
    res = server.request("POST", TOKEN_PATH, data={"grant_type": "authorization_code", "code": "x",
                                                   "client_assertion_type": assertion_type,
                                                   "client_assertion": assertion})
    assert res.status_code in (400, 401) and "error" in res.json(), res.text


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["redirect_uris", "token_endpoint_auth_method", "grant_types",
                                             "response_types", "client_name", "jwks", "jwks_uri",
                                             "post_logout_redirect_uris", "scope"]), json_values))
def test_random_registration_metadata(server, body) -> None:
    server.settings.dynamic_registration = "public"
    try:
        res = server.request("POST", REGISTRATION_PATH, json=body)
    finally:
        server.settings.dynamic_registration = "off"
    assert res.status_code in (201, 400, 401) and res.json(), res.text


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["id_token_hint", "client_id", "post_logout_redirect_uri", "state",
                                               "csrf", "decision"]), ascii_text))
def test_random_logout_and_authorize_parameters(server, rp, browser, params) -> None:
    if browser.http.cookies.get("better-auth.session_token") is None:
        browser.sign_in()
    assert browser.http.get(END_SESSION_PATH, params=params).status_code < 500
    assert browser.http.post(END_SESSION_PATH, data=params).status_code < 500
    extra = {"max_age": params.get("state", ""), "prompt": params.get("client_id", ""), "request_uri": None}
    assert browser.authorize(rp, **extra).status_code < 500
