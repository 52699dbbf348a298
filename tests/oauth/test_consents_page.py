"""The signed-in user's consents page: see, withdraw (tokens revoked), CSRF and sign-in guards."""

from __future__ import annotations

from auth_server.oauth.endpoints import CONSENTS_PATH, TOKEN_PATH, USERINFO_PATH
from tests.helpers.fixtures.oauth_server import Browser, hidden_fields
from tests.oauth.standard_clients import register_standard
from tests.oauth.test_client_methods import code_for, exchange_form


def form_of(page) -> dict[str, str]:
    return hidden_fields(page.text)


def test_withdraw_a_consent_revokes_the_apps_tokens(server, browser) -> None:
    wiki = register_standard(server, "client_secret_post")
    tokens = wiki.post(server, TOKEN_PATH, exchange_form(code_for(browser, wiki))).json()
    page = browser.http.get(CONSENTS_PATH)
    assert page.status_code == 200 and "Standard App" in page.text and "offline_access" in page.text
    fields = form_of(page)
    assert fields["client_id"] == wiki.client_id

    forged = browser.http.post(CONSENTS_PATH, data={**fields, "csrf": "f" * 64})
    assert forged.status_code == 403
    done = browser.http.post(CONSENTS_PATH, data=fields)
    assert done.status_code == 200 and "Withdrawn" in done.text and wiki.client_id not in done.text
    info = server.request("GET", USERINFO_PATH, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    refresh = wiki.post(server, TOKEN_PATH, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"
    again = browser.http.get("/oauth2/authorize", params={
        "client_id": wiki.client_id, "redirect_uri": "http://localhost:3000/auth/sigma/callback",
        "response_type": "code", "scope": "openid", "code_challenge": "x" * 43, "code_challenge_method": "S256"})
    assert again.status_code == 200 and 'name="csrf"' in again.text  # consent is asked again


def test_only_the_users_own_consents(server, browser) -> None:
    wiki = register_standard(server, "client_secret_post")
    code_for(browser, wiki)
    other = Browser(server)
    try:
        other.sign_in()
        page = other.http.get(CONSENTS_PATH)
        assert "Standard App" not in page.text and "not allowed any app" in page.text
        # naming someone else's client withdraws nothing of theirs
        res = other.http.post(CONSENTS_PATH, data={"client_id": wiki.client_id, "csrf": form_of(page).get("csrf", "")})
        assert res.status_code == 403 or "Nothing to withdraw" in res.text
    finally:
        other.close()
    assert "Standard App" in browser.http.get(CONSENTS_PATH).text


def test_signed_out_users_are_sent_to_sign_in(server) -> None:
    res = server.request("GET", CONSENTS_PATH)
    assert res.status_code == 200 and 'id="signin"' in res.text
    assert server.request("POST", CONSENTS_PATH, data={"client_id": "x"}).status_code == 401


def test_email_set_on_the_account_page_reaches_apps_unverified(server, browser) -> None:
    from auth_server import admin

    wiki = register_standard(server, "client_secret_post")
    code_for(browser, wiki)
    csrf = form_of(browser.http.get(CONSENTS_PATH))["csrf"]
    for bad in ("not-an-address", "a@b", "x@example.org\n<script>", "a" * 250 + "@example.org"):
        res = browser.http.post(CONSENTS_PATH, data={"email": bad, "csrf": csrf})
        assert res.status_code == 400, bad
    saved = browser.http.post(CONSENTS_PATH, data={"email": " Alice@Example.ORG ", "csrf": csrf})
    assert saved.status_code == 200 and "Saved" in saved.text and 'value="Alice@example.org"' in saved.text
    assert browser.http.post(CONSENTS_PATH, data={"email": "x@example.org", "csrf": "0" * 64}).status_code == 403

    tokens = wiki.post(server, TOKEN_PATH, exchange_form(code_for(browser, wiki, "openid email"))).json()
    info = server.request("GET", USERINFO_PATH, headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["email"] == "Alice@example.org" and info["email_verified"] is False

    other = Browser(server)
    try:
        other.sign_in()
        other_csrf = form_of(other.http.get(CONSENTS_PATH))["csrf"]
        taken = other.http.post(CONSENTS_PATH, data={"email": "Alice@example.org", "csrf": other_csrf})
        assert taken.status_code == 400 and "Another identity" in taken.text
        try:
            admin.set_user_email(server.store, other.pubkey, "Alice@example.org")
            raise AssertionError("a taken address was accepted")
        except ValueError:
            pass
        assert admin.set_user_email(server.store, other.pubkey, "bob@example.org") is True
    finally:
        other.close()
    assert admin.set_user_email(server.store, "02" + "44" * 32, "c@example.org") is False  # never signed in
    cleared = browser.http.post(CONSENTS_PATH, data={"email": "", "csrf": csrf})
    assert "Removed" in cleared.text and server.store.users.get_by_pubkey(browser.pubkey).email is None
