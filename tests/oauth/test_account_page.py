"""``/``, the account page, on a real server: signed out it offers the signer sign-in; signed
in it shows the user, their sessions (end any other) and the apps they allowed (withdraw),
and signs out. Hostile: CSRF and Origin on every form, another user's session id (IDOR),
signed-out posts, HTML and bidi characters in what the page shows."""

from __future__ import annotations

import re

import coincurve
import pytest

from auth_server.account import device_of
from auth_server.crypto import make_token
from auth_server.oauth.endpoints import TOKEN_PATH, USERINFO_PATH
from auth_server.oauth.clients import new_client
from auth_server.web.account import END_SESSION_PATH, SIGN_OUT_PATH, WITHDRAW_PATH
from tests.helpers.fixtures.oauth_server import SIGN_IN, Browser, hidden_fields
from tests.oauth.standard_clients import register_standard
from tests.oauth.test_client_methods import code_for, exchange_form

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
POSTS = (END_SESSION_PATH, WITHDRAW_PATH, SIGN_OUT_PATH)
_ROW = re.compile(r'<div class="row( current)?" data-session-id="([^"]+)">')


def session_rows(page: str) -> list[tuple[bool, str]]:
    """(this session?, id) of each row of the page's session list."""
    return [(bool(current), sid) for current, sid in _ROW.findall(page)]


def other_device(server, key: coincurve.PrivateKey, user_agent: str | bytes = FIREFOX) -> tuple[str, str]:
    """A second sign-in of ``key`` from another "device": its session token and id."""
    res = server.sign_in(make_token(key, SIGN_IN), headers={"User-Agent": user_agent, "Origin": server.url})
    assert res.status_code == 200, res.text
    token = res.json()["token"]
    got = server.request("GET", "/api/auth/get-session", headers={"Authorization": f"Bearer {token}"}).json()
    return token, got["session"]["id"]


def alive(server, token: str) -> bool:
    return server.request("GET", "/api/auth/get-session", headers={"Authorization": f"Bearer {token}"}).json() is not None


def test_signed_out_the_page_names_the_server_and_offers_the_signer_sign_in(server) -> None:
    res = server.request("GET", "/")
    assert res.status_code == 200, res.text  # was 404 {"message": "Not found: '/'"}
    host = server.url.removeprefix("http://")
    assert f"Sign in to {host}" in res.text and "Sign in with Sigil" in res.text
    assert 'id="signin" data-start="button"' in res.text and 'data-continue-url="/"' in res.text
    assert "/oauth2/static/signin.js" in res.text
    assert "connect-src 'self' http://127.0.0.1:9" in res.headers["content-security-policy"]
    assert res.headers["cache-control"] == "no-store" and res.headers["x-frame-options"] == "DENY"
    assert 'name="csrf"' not in res.text and "Sign out" not in res.text


def test_signed_in_the_page_shows_the_user_sessions_and_apps(server, browser) -> None:
    wiki = register_standard(server, "client_secret_post")
    code_for(browser, wiki)
    _, other_id = other_device(server, browser.key)
    page = browser.http.get("/")
    assert page.status_code == 200
    user = server.store.users.get_by_pubkey(browser.pubkey)
    assert 'id="user-name">Sigil user ' in page.text and f'<code id="pubkey">{browser.pubkey}</code>' in page.text
    assert f'<code id="username">{user.username}</code>' in page.text and user.name not in page.text
    rows = session_rows(page.text)
    assert len(rows) == 2 and rows[0][0] and rows[1] == (False, other_id)  # this one first, marked
    assert page.text.count("this session") == 1
    assert "Firefox 128 on Linux" in page.text and FIREFOX in page.text and "127.0.0.1" in page.text
    # an End button for the other session only
    assert page.text.count('action="/account/sessions/end"') == 1
    assert f'name="session_id" value="{other_id}"' in page.text
    assert "Standard App" in page.text and f'name="client_id" value="{wiki.client_id}"' in page.text
    assert 'id="groups"' not in page.text  # nothing until groups exist
    assert 'action="/account/sign-out"' in page.text


def test_end_another_session_and_the_csrf_and_origin_guards(server, browser) -> None:
    browser.sign_in()
    other_token, other_id = other_device(server, browser.key)
    csrf = hidden_fields(browser.http.get("/").text)["csrf"]
    for bad in ({}, {"csrf": ""}, {"csrf": "f" * 64}, {"csrf": csrf[:-1]}, {"csrf": "é" * 64}):
        res = browser.http.post(END_SESSION_PATH, data={"session_id": other_id, **bad})
        assert res.status_code == 403 and "Request refused" in res.text, bad
    with server.http(cookies=dict(browser.http.cookies)) as no_origin:
        res = no_origin.post(END_SESSION_PATH, data={"session_id": other_id, "csrf": csrf})
        assert res.status_code == 403
    with server.http(cookies=dict(browser.http.cookies), headers={"Origin": "https://evil.example"}) as evil:
        assert evil.post(END_SESSION_PATH, data={"session_id": other_id, "csrf": csrf}).status_code == 403
    assert alive(server, other_token)

    done = browser.http.post(END_SESSION_PATH, data={"session_id": other_id, "csrf": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/?done=ended"
    assert not alive(server, other_token)
    page = browser.http.get(done.headers["location"])
    assert "Session ended" in page.text and len(session_rows(page.text)) == 1
    again = browser.http.post(END_SESSION_PATH, data={"session_id": other_id, "csrf": csrf})
    assert again.headers["location"] == "/?done=gone"
    for nonsense in ("", "x" * 5000, "' OR 1=1 --"):
        res = browser.http.post(END_SESSION_PATH, data={"session_id": nonsense, "csrf": csrf})
        assert res.status_code == 303 and res.headers["location"] == "/?done=gone"


def test_the_current_session_is_ended_by_sign_out_not_end(server, browser) -> None:
    browser.sign_in()
    page = browser.http.get("/")
    current = session_rows(page.text)[0][1]
    res = browser.http.post(END_SESSION_PATH, data={"session_id": current, "csrf": hidden_fields(page.text)["csrf"]})
    assert res.status_code == 400 and "Sign out" in res.text
    assert browser.http.get("/api/auth/get-session").json() is not None


def test_a_user_cannot_end_another_users_session(server, browser) -> None:
    """IDOR: Bob posts Alice's session id with his own valid CSRF token: nothing ends."""
    alice_token = browser.sign_in()["token"]
    alice_session = server.request("GET", "/api/auth/get-session",
                                   headers={"Authorization": f"Bearer {alice_token}"}).json()["session"]["id"]
    bob = Browser(server)
    try:
        bob.sign_in()
        bob_csrf = hidden_fields(bob.http.get("/").text)["csrf"]
        res = bob.http.post(END_SESSION_PATH, data={"session_id": alice_session, "csrf": bob_csrf})
        assert res.status_code == 303 and res.headers["location"] == "/?done=gone"
        assert alice_session not in bob.http.get("/").text
        # Alice's CSRF token is bound to her session: useless in Bob's hands
        alice_csrf = hidden_fields(browser.http.get("/").text)["csrf"]
        assert bob.http.post(SIGN_OUT_PATH, data={"csrf": alice_csrf}).status_code == 403
    finally:
        bob.close()
    assert alive(server, alice_token)


def test_sign_out(server, browser) -> None:
    token = browser.sign_in()["token"]
    assert browser.http.post(SIGN_OUT_PATH, data={"csrf": "0" * 64}).status_code == 403
    assert browser.http.post(SIGN_OUT_PATH, data={}).status_code == 403
    assert alive(server, token)
    csrf = hidden_fields(browser.http.get("/").text)["csrf"]
    res = browser.http.post(SIGN_OUT_PATH, data={"csrf": csrf})
    assert res.status_code == 303 and res.headers["location"] == "/?done=signed-out"
    assert "better-auth.session_token=" in res.headers["set-cookie"] and "Max-Age=0" in res.headers["set-cookie"]
    assert not alive(server, token)
    page = browser.http.get(res.headers["location"])
    assert "You are signed out." in page.text and "Sign in with Sigil" in page.text


def test_withdraw_from_the_account_page_revokes_the_apps_tokens(server, browser) -> None:
    wiki = register_standard(server, "client_secret_post")
    tokens = wiki.post(server, TOKEN_PATH, exchange_form(code_for(browser, wiki))).json()
    csrf = hidden_fields(browser.http.get("/").text)["csrf"]
    assert browser.http.post(WITHDRAW_PATH, data={"client_id": wiki.client_id, "csrf": "a" * 64}).status_code == 403
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert server.request("GET", USERINFO_PATH, headers=bearer).status_code == 200
    res = browser.http.post(WITHDRAW_PATH, data={"client_id": wiki.client_id, "csrf": csrf})
    assert res.status_code == 303 and res.headers["location"] == "/?done=withdrawn"
    assert server.request("GET", USERINFO_PATH, headers=bearer).status_code == 401
    page = browser.http.get("/")
    assert "Standard App" not in page.text and "not allowed any app" in page.text
    again = browser.http.post(WITHDRAW_PATH, data={"client_id": wiki.client_id, "csrf": csrf})
    assert again.headers["location"] == "/?done=nothing"


@pytest.mark.parametrize("path", POSTS)
def test_signed_out_posts_are_refused(server, browser, path) -> None:
    token = browser.sign_in()["token"]
    csrf = hidden_fields(browser.http.get("/").text)["csrf"]
    _, other_id = other_device(server, browser.key)
    res = server.request("POST", path, data={"csrf": csrf, "session_id": other_id, "client_id": "x"},
                         headers={"Origin": server.url})
    assert res.status_code == 401 and "signed out" in res.text
    with server.http(cookies={"better-auth.session_token": "not-a-session"}, headers={"Origin": server.url}) as h:
        assert h.post(path, data={"csrf": csrf}).status_code == 401
    assert alive(server, token) and len(session_rows(browser.http.get("/").text)) == 2


def test_outside_text_is_shown_as_plain_text(server, browser) -> None:
    browser.sign_in()
    user = server.store.users.get_by_pubkey(browser.pubkey)
    server.store.users.update(user.id, server.settings.clock(),
                              profile_name='<img src=x onerror=alert(1)>\u202eevil')
    hostile_ua = 'Mozilla/5.0 <script>alert("ua")</script> \u202egnp.exe\u2066 "quoted"'
    now = server.settings.clock()
    server.store.sessions.create(user.id, now, now + 3600, ip_address="10.0.0.2", user_agent=hostile_ua)
    other_device(server, browser.key, user_agent=hostile_ua.encode("utf-8"))  # raw bytes on the wire: no 500
    client = new_client("<b>Bold</b>\u202eppA", ["http://localhost:3000/cb"], coincurve.PrivateKey().public_key.format().hex(),
                        now=server.settings.clock())
    server.store.oauth.clients.add(client)
    server.store.oauth.consents.grant(user.id, client.client_id, "openid", None, server.settings.clock())
    page = browser.http.get("/", params={"done": "<script>alert(1)</script>"})
    assert page.status_code == 200
    text = page.text
    assert "<img" not in text and "<script>alert" not in text and "<b>Bold" not in text
    assert "&lt;b&gt;Bold&lt;/b&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;script&gt;alert(&quot;ua&quot;)&lt;/script&gt;" in text
    assert "\u202e" not in text and "\u2066" not in text
    assert "alert(1)</script>" not in text and 'class="notice"' not in text  # ?done= names a fixed notice only


def test_device_names() -> None:
    assert device_of(FIREFOX) == "Firefox 128 on Linux"
    assert device_of("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86") == "Edge 131 on Windows"
    assert device_of("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Version/17.5 Safari/605.1.15") == "Safari 17 on macOS"
    assert device_of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "HeadlessChrome/120.0.6099.28 Safari/537.36") == "Chrome 120 on Linux"
    assert device_of("curl/8.5.0") == "curl 8.5.0" and device_of("python-httpx/0.27.0") == "python-httpx 0.27.0"
    assert device_of("") == "" and device_of(None) == "" and device_of("something else") == ""


@pytest.mark.parametrize("path", POSTS)
def test_bytes_that_are_not_utf8_get_a_clear_400(server, browser, path) -> None:
    token = browser.sign_in()["token"]
    csrf = hidden_fields(browser.http.get("/").text)["csrf"]
    for body, status in ((f"csrf={csrf}&session_id=%ED%A0%80&client_id=%ED%A0%80", 400),
                         (f"csrf={csrf}&session_id=%FF%FE", 400), (f"csrf=%ED%A0%80{csrf}&session_id=x", 400),
                         ("csrf=%00&session_id=%00", 400)):
        res = browser.http.post(path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert res.status_code == status, (body, res.status_code, res.text)
        assert "Traceback" not in res.text and res.headers["content-type"].startswith("text/html")
    assert alive(server, token)
