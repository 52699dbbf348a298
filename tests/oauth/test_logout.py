"""RP-initiated logout over real HTTP (OpenID Connect RP-Initiated Logout 1.0)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from auth_server.oauth.endpoints import END_SESSION_PATH, TOKEN_PATH
from tests.helpers.fixtures.oauth_server import Browser, hidden_fields
from tests.oauth.standard_clients import LOGOUT_REDIRECT, register_standard
from tests.oauth.test_client_methods import code_for, exchange_form

APP_ORIGIN = {"Origin": "http://localhost:3000"}


def signed_in_with_id_token(server, browser: Browser):
    client = register_standard(server, "client_secret_post")
    tokens = client.post(server, TOKEN_PATH, exchange_form(code_for(browser, client))).json()
    return client, tokens["id_token"]


def session_of(browser: Browser):
    return browser.http.get("/api/auth/get-session").json()


def test_logout_with_hint_ends_the_session_and_returns_to_the_app(server, browser) -> None:
    client, id_token = signed_in_with_id_token(server, browser)
    res = browser.http.get(END_SESSION_PATH, headers=APP_ORIGIN, params={
        "id_token_hint": id_token, "post_logout_redirect_uri": LOGOUT_REDIRECT, "state": "bye"})
    assert res.status_code == 302, res.text
    location = urlsplit(res.headers["location"])
    assert location._replace(query="").geturl() == LOGOUT_REDIRECT and parse_qs(location.query) == {"state": ["bye"]}
    assert session_of(browser) is None


def test_unregistered_post_logout_redirect_uri_is_refused(server, browser) -> None:
    client, id_token = signed_in_with_id_token(server, browser)
    for uri in ("https://evil.example/", LOGOUT_REDIRECT + "/x", "http://localhost:3000/auth/sigma/callback"):
        res = browser.http.get(END_SESSION_PATH, params={"id_token_hint": id_token, "post_logout_redirect_uri": uri})
        assert res.status_code == 400 and "location" not in res.headers
        assert "text/html" in res.headers["content-type"]
    # without naming the app no redirect is possible either
    res = browser.http.get(END_SESSION_PATH, params={"post_logout_redirect_uri": LOGOUT_REDIRECT})
    assert res.status_code == 400 and "location" not in res.headers
    assert session_of(browser) is not None  # nothing ended


def test_logout_without_hint_asks_the_user_first(server, browser) -> None:
    client, _ = signed_in_with_id_token(server, browser)
    page = browser.http.get(END_SESSION_PATH, headers=APP_ORIGIN, params={
        "client_id": client.client_id, "post_logout_redirect_uri": LOGOUT_REDIRECT, "state": "s"})
    assert page.status_code == 200 and "Sign out of Sigil?" in page.text
    assert session_of(browser) is not None
    fields = hidden_fields(page.text)
    forged = browser.http.post(END_SESSION_PATH, data={**fields, "csrf": "0" * 64, "decision": "logout"})
    assert forged.status_code == 403 and session_of(browser) is not None
    stay = browser.http.post(END_SESSION_PATH, data={**fields, "decision": "stay"})
    assert stay.status_code == 302 and session_of(browser) is not None
    done = browser.http.post(END_SESSION_PATH, data={**fields, "decision": "logout"})
    assert done.status_code == 302 and done.headers["location"].startswith(LOGOUT_REDIRECT)
    assert session_of(browser) is None


def test_another_users_hint_does_not_sign_this_one_out(server, browser) -> None:
    client, id_token = signed_in_with_id_token(server, browser)
    other = Browser(server)
    try:
        other.sign_in()
        page = other.http.get(END_SESSION_PATH, params={"id_token_hint": id_token})
        assert page.status_code == 200 and "Sign out of Sigil?" in page.text
        assert session_of(other) is not None
    finally:
        other.close()


def test_signed_out_page_and_bad_hints(server, browser) -> None:
    res = browser.http.get(END_SESSION_PATH)
    assert res.status_code == 200 and "You are signed out" in res.text
    forged = browser.http.get(END_SESSION_PATH, params={"id_token_hint": "eyJhbGciOiJub25lIn0.e30."})
    assert forged.status_code == 400
    with server.http() as http:
        meta = http.get("/.well-known/openid-configuration").json()
    assert meta["end_session_endpoint"] == server.url + END_SESSION_PATH


def test_repeated_logout_parameters_are_refused(server, browser) -> None:
    client, id_token = signed_in_with_id_token(server, browser)
    res = browser.http.get(END_SESSION_PATH, params=[("id_token_hint", id_token), ("post_logout_redirect_uri",
                                                     LOGOUT_REDIRECT), ("post_logout_redirect_uri", "https://evil.example/")])
    assert res.status_code == 400 and "location" not in res.headers and session_of(browser) is not None
