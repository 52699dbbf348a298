"""Control characters (NUL first of all) in any form, query or JSON field are a clear 400 on
both engines: PostgreSQL refused a NUL in ``client_id`` or ``user_code`` with
``psycopg.DataError``, a 500 at the token, authorize, end-session and device endpoints (issue 22)."""

from __future__ import annotations

import json

import pytest

from auth_server.oauth.endpoints import END_SESSION_PATH

OAUTH_JSON = ["/api/auth/oauth2/token", "/oauth2/token", "/api/auth/oauth2/revoke", "/api/auth/oauth2/introspect",
              "/api/auth/device/code", "/api/auth/device/token"]
BAD = ["a\x00b", "\x00", "x\r\ny", "tab\there", "del\x7f", "c1\x85"]
FIELDS = ["client_id", "user_code", "redirect_uri", "state", "token", "code", "device_code", "refresh_token"]


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, server_factory):
    """The OAuth server on each engine (``rp`` and ``browser`` use this one)."""
    db = request.getfixturevalue("postgres_server").new_database() if request.param == "postgresql" else None
    return server_factory(db_path=db)


def _oauth_refusal(res, field: str) -> None:
    assert res.status_code == 400, (field, res.status_code, res.text)
    answer = res.json()
    assert answer["error"] == "invalid_request", answer
    assert "control character" in answer["error_description"], answer


def _page_refusal(res, what: str) -> None:
    assert res.status_code == 400, (what, res.status_code, res.text)
    assert res.headers["content-type"].startswith("text/html"), res.headers
    assert "control character" in res.text and "Traceback" not in res.text, res.text


@pytest.mark.parametrize("path", OAUTH_JSON)
def test_form_fields_with_controls_are_invalid_request(server, rp, path) -> None:
    for field in FIELDS:
        for bad in BAD:
            form = {"grant_type": "authorization_code", "client_id": rp.client_id, "token": "t", field: bad}
            res = server.request("POST", path, data=form)
            _oauth_refusal(res, field)


@pytest.mark.parametrize("path", OAUTH_JSON)
def test_json_fields_with_controls_or_surrogates_are_invalid_request(server, rp, path) -> None:
    for field in ("client_id", "user_code", "token", "state"):
        for bad in (*BAD, "\ud800"):
            body = json.dumps({"client_id": rp.client_id, "grant_type": "refresh_token", field: bad})
            res = server.request("POST", path, content=body, headers={"Content-Type": "application/json"})
            _oauth_refusal(res, field)
    res = server.request("POST", path, content=json.dumps({"client\x00id": "x"}),
                         headers={"Content-Type": "application/json"})
    _oauth_refusal(res, "a parameter name")


def test_authorize_with_controls_is_an_error_page(server, rp, browser) -> None:
    browser.sign_in()
    for field in ("client_id", "redirect_uri", "state", "scope", "nonce", "code_challenge"):
        for bad in BAD:
            _page_refusal(browser.authorize(rp, **{field: bad}), f"GET {field}")
            res = browser.http.post("/oauth2/authorize", data={"client_id": rp.client_id, field: bad,
                                                               "decision": "approve"})
            _page_refusal(res, f"POST {field}")


def test_end_session_with_controls_is_an_error_page(server, rp, browser) -> None:
    for signed_in in (False, True):
        if signed_in:
            browser.sign_in()
        for field in ("client_id", "id_token_hint", "post_logout_redirect_uri", "state"):
            for bad in BAD:
                _page_refusal(browser.http.get(END_SESSION_PATH, params={field: bad}), f"GET {field}")
                _page_refusal(browser.http.post(END_SESSION_PATH, data={field: bad}), f"POST {field}")


def test_device_page_with_controls_is_an_error_page(server, rp, browser) -> None:
    for signed_in in (False, True):
        if signed_in:
            browser.sign_in()
        for bad in BAD:
            _page_refusal(browser.http.get("/device", params={"user_code": "ABCD" + bad + "EFGH"}), "GET /device")
            _page_refusal(browser.http.post("/device", data={"user_code": "ABCD" + bad + "EFGH", "decision": "approve"}),
                          "POST /device")
        res = browser.http.get("/device?user_code=ABCD-EFGH&user_code=WXYZ-QRST")
        assert res.status_code == 400 and "repeated" in res.text, res.text


def test_consents_page_with_controls_is_an_error_page(server, rp, browser) -> None:
    browser.sign_in()
    _page_refusal(browser.http.post("/oauth2/consents", data={"client_id": "a\x00b", "csrf": "x"}), "consents")


def test_plain_requests_still_work(server, rp, browser) -> None:
    """The refusal is for control characters only: an ordinary sign-in and consent still pass."""
    browser.sign_in()
    page = browser.authorize(rp, state="caf\u00e9 \u2603 ok")
    assert page.status_code == 200, page.text


def test_basic_credentials_with_controls_are_refused(server, rp) -> None:
    """The Basic header is decoded below the form readers: its client_id reached the store too."""
    import base64

    for user, secret in (("a\x00b", "s"), ("\x00", ""), ("a%00b", "s"), (rp.client_id, "s\x00")):
        header = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        for path in OAUTH_JSON:
            res = server.request("POST", path, data={"grant_type": "authorization_code", "code": "x"},
                                 headers={"Authorization": header})
            assert res.status_code in (400, 401), (path, user, res.status_code, res.text)
            assert res.json()["error"] in ("invalid_request", "invalid_client"), res.text


def test_client_assertions_with_controls_are_refused(server, rp) -> None:
    """A private_key_jwt assertion names its client in ``sub`` (JSON, so "\\u0000" spells a NUL):
    that client_id reached the store as well."""
    import base64

    from auth_server.oauth.client_auth.private_key_jwt import JWT_BEARER

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    for claims in ({"sub": "a\u0000b", "iss": "a\u0000b"}, {"sub": "\ud800", "iss": "x"}):
        assertion = ".".join([b64(json.dumps({"alg": "RS256"}).encode()), b64(json.dumps(claims).encode()), b64(b"s")])
        res = server.request("POST", "/api/auth/oauth2/token", data={
            "grant_type": "authorization_code", "code": "x", "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion})
        assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text


def test_replay_keys_with_controls_stay_single_use(server) -> None:
    """A client's ``jti`` is part of a replay key; one with a NUL is stored (hashed) and used once."""
    for key in ("jwt:c:a\x00b", "jwt:c:\ud800"):
        assert server.store.replay.claim(key, server.settings.clock() + 60) is True
        assert server.store.replay.claim(key, server.settings.clock() + 60) is False
    assert server.store.replay.claim("jwt:c:a\x00c", server.settings.clock() + 60) is True
