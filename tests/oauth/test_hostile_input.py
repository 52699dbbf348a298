"""Nothing a client sends to the OAuth endpoints makes a 500 or a traceback."""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.helpers.raw_http import exchange
from tests.helpers.fixtures.oauth_server import authorize_params, hidden_fields, redirect_params

ENDPOINTS = ["/api/auth/oauth2/token", "/oauth2/token", "/api/auth/oauth2/revoke", "/api/auth/oauth2/introspect",
             "/api/auth/device/code", "/api/auth/device/token"]


def raw_request(url: str, data: bytes) -> tuple[int, bytes]:
    answer = exchange(url, data)
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize("path", ENDPOINTS + ["/api/auth/oauth2/userinfo", "/device", "/oauth2/authorize"])
def test_non_utf8_headers_query_and_body(server, path) -> None:
    bad = b"\xe9\xff\xfe"
    for request in (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " + bad + b"\r\nAuthorization: Bearer " + bad
        + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\n" + bad,
        b"GET " + path.encode() + b"?client_id=%E9%FF&user_code=%ff HTTP/1.1\r\nHost: x\r\nCookie: better-auth.session_token="
        + bad + b"\r\nConnection: close\r\n\r\n",
    ):
        status, answer = raw_request(server.url, request)
        assert status < 500, answer
        assert b"Traceback" not in answer


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ENDPOINTS), body=st.binary(max_size=300), token=st.text(max_size=200),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]))
def test_random_token_requests(server, path, body, token, content_type) -> None:
    headers = {"Content-Type": content_type}
    if token.isprintable() and token.isascii() and token == token.strip():  # what httpx can send
        headers["X-Auth-Token"] = token
    with server.http() as http:
        res = http.post(path, content=body, headers=headers)
    assert res.status_code < 500, res.text
    assert "error" in res.json()


def test_authorize_with_odd_parameters(server, rp, browser) -> None:
    browser.sign_in()
    for extra in ({"scope": "openid admin"}, {"code_challenge": "short"}, {"prompt": "none login"},
                  {"state": "x" * 3000}, {"redirect_uri": ""}, {"client_id": ""}):
        res = browser.authorize(rp, **extra)
        assert res.status_code in (200, 302, 400), (extra, res.status_code)
    res = browser.http.post("/oauth2/authorize", data={**authorize_params(rp), "decision": "approve"})
    assert res.status_code == 403  # a consent answer without its CSRF token


# -- issue 13: crashes and non-ASCII input on the web layer -------------------------------

JSON_ENDPOINTS = ["/api/auth/sign-in/sigma", *ENDPOINTS, "/api/auth/revoke-session"]
TOO_DEEP = [b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
            b'{"client_id": ' + b"[" * 3000 + b"]" * 3000 + b"}"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400(server, browser, path) -> None:
    """json.loads recursed into RecursionError (a 500) on a few thousand brackets."""
    session = browser.sign_in()["token"]  # revoke-session reads its body only when signed in
    for body in TOO_DEEP:
        res = server.request("POST", path, content=body, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {session}"})
        assert res.status_code == 400, (path, res.status_code, res.text)
        answer = res.json()
        assert "nests deeper" in (answer.get("error_description") or answer.get("message")), answer


def _consent_fields(browser, rp) -> dict[str, str]:
    page = browser.authorize(rp)
    assert page.status_code == 200, page.text
    return hidden_fields(page.text)


@pytest.mark.parametrize("csrf", ["é", "\u0661\u0662", "ｃｓｒｆ", "%ED%A0%80"])
def test_non_ascii_csrf_is_refused_not_a_500(server, rp, browser, csrf) -> None:
    """hmac.compare_digest raised TypeError on a non-ASCII str (500 on both pages)."""
    browser.sign_in()
    fields = _consent_fields(browser, rp)
    real = fields["csrf"]
    fields.update(csrf=csrf, decision="approve")
    res = browser.http.post("/oauth2/authorize", data=fields)
    assert res.status_code == 403 and "Request refused" in res.text, res.text

    with server.http() as http:
        start = http.post("/api/auth/device/code", data={"client_id": rp.client_id}).json()
    res = browser.http.post("/device", data={"user_code": start["user_code"], "csrf": csrf, "decision": "approve"})
    assert res.status_code == 403 and "Request refused" in res.text, res.text
    # the real token still works afterwards
    fields["csrf"] = real
    assert "code=" in browser.http.post("/oauth2/authorize", data=fields).headers["location"]


def test_user_codes_are_ascii_only(server, rp, browser) -> None:
    """normalize_user_code used str.upper()/isalnum(): 'ſ'.upper() == 'S' and the ligature
    'ﬀ'.upper() == 'FF', so non-ASCII spellings of a code found it."""
    from auth_server.store.models import DeviceAuthorization

    now = server.settings.clock()
    server.store.oauth.devices.add(DeviceAuthorization(
        device_code_hash="ab" * 32, user_code="SSSS-FFFF", client_id=rp.client_id, scope="openid", status="pending",
        user_id=None, bap_id=None, auth_time=None, interval=5, last_polled_at=None, expires_at=now + 600,
        created_at=now))
    browser.sign_in()
    assert "Demo App" in browser.http.get("/device", params={"user_code": "ssss ffff"}).text  # ASCII leniency stays
    import re

    page = browser.http.get("/device", params={"user_code": "SSSS-FFFF"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    for typed in ("ſſſſ-ﬀﬀ", "ＳＳＳＳ-ＦＦＦＦ", "SSSS-FFF\u0663", "SSSS\u00a0FFFF", "SSSS\u3000FFFF"):
        page = browser.http.get("/device", params={"user_code": typed})
        assert page.status_code == 400 and "unknown" in page.text, typed
        assert 'name="csrf"' not in page.text, typed
        done = browser.http.post("/device", data={"user_code": typed, "csrf": csrf, "decision": "approve"})
        assert done.status_code == 403 and "Device connected" not in done.text, typed
    assert server.store.oauth.devices.get("ab" * 32).status == "pending"


# (NEL, "\x85", a C1 control, is refused outright with a 400: test_control_characters.py)
@pytest.mark.parametrize("scope", ["openid\u00a0profile", "openid\u3000profile", "openid\u2028profile"])
def test_scope_separators_are_ascii_spaces(server, rp, scope) -> None:
    """str.split() took no-break, ideographic and other Unicode spaces as scope separators.
    Now such a value is one word Sigil does not know, so it is ignored (OIDC Core 3.1.2.1)
    and grants nothing: neither openid nor profile."""
    from auth_server.oauth.credentials import hash_secret

    def granted(scope_value: str) -> str:
        with server.http() as http:
            res = http.post("/api/auth/device/code", data={"client_id": rp.client_id, "scope": scope_value})
        assert res.status_code == 200, res.text
        return server.store.oauth.devices.get(hash_secret(res.json()["device_code"])).scope

    assert "profile" not in granted(scope).split(" ") and "openid" not in granted(scope).split(" ")
    assert granted("openid  profile") == "openid profile"


def test_prompt_separators_are_ascii_spaces(server, rp, browser) -> None:
    """prompt=none with another value is refused; a no-break space does not make two values."""
    browser.sign_in()
    res = browser.authorize(rp, prompt="none login")
    assert redirect_params(res)["error"] == "invalid_request"
    res = browser.authorize(rp, prompt="none\u00a0login")  # one unknown prompt value, not two known ones
    assert redirect_params(res)["error"] == "invalid_request"
    assert "none\u00a0login" in redirect_params(res)["error_description"]


def test_bearer_token_whitespace_is_ascii(server, browser) -> None:
    """str.strip() also took a no-break space, NEL or ideographic space off a Bearer token
    (bottle reads header values as UTF-8)."""
    token = browser.sign_in()["token"]
    def get_session(authorization: bytes) -> bytes:
        status, answer = raw_request(server.url, b"GET /api/auth/get-session HTTP/1.1\r\nHost: x\r\nAuthorization: "
                                     + authorization + b"\r\nConnection: close\r\n\r\n")
        assert status == 200, answer
        return answer.split(b"\r\n\r\n", 1)[1]

    assert b'"user"' in get_session(b"Bearer  " + token.encode() + b"\t")  # RFC 9110 whitespace is fine
    for junk in ("\u00a0", "\u0085", "\u3000"):
        assert get_session(b"Bearer " + token.encode() + junk.encode()) == b"null", junk


def test_x_auth_token_whitespace_is_ascii(server) -> None:
    """str.strip() took Unicode spaces off the X-Auth-Token, so a token wrapped in them signed in."""
    import coincurve

    from auth_server.crypto import make_token

    def sign_in(header: bytes) -> tuple[int, bytes]:
        return raw_request(server.url, b"POST /api/auth/sign-in/sigma HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " + header
                           + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    key = coincurve.PrivateKey()
    assert sign_in(make_token(key, "/api/auth/sign-in/sigma").encode() + b"\t")[0] == 200
    for junk in ("\u00a0", "\u3000", "\u2028"):
        status, answer = sign_in(make_token(key, "/api/auth/sign-in/sigma").encode() + junk.encode())
        assert status == 400 and b"MALFORMED" in answer, (junk, answer)
