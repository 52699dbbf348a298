"""The authorization endpoint as a certified OpenID Provider answers it: max_age/auth_time,
prompt values, unsupported request objects, repeated parameters, POST, unknown scopes."""

from __future__ import annotations


from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers.fixtures.oauth_server import code_form, get_code, redirect_params


def id_token_claims(server, rp, code: str) -> dict:
    from tests.helpers.fixtures.oauth_server import TOKEN
    res = rp.signed_post(server, TOKEN, code_form(rp, code))
    assert res.status_code == 200, res.text
    with server.http() as http:
        keys = KeySet.import_key_set(http.get("/api/auth/jwks").json())
    return dict(jwt.decode(res.json()["id_token"], keys).claims)


def is_sign_in_page(res) -> bool:
    return res.status_code == 200 and 'id="signin"' in res.text


def continue_url(res) -> str:
    import html
    import re
    found = re.search(r'data-continue-url="([^"]+)"', res.text)
    assert found, res.text
    return html.unescape(found.group(1))


def test_max_age_forces_a_new_sign_in_and_auth_time_follows(server, rp, browser) -> None:
    server.clock.advance(-200)
    try:
        browser.sign_in()
    finally:
        server.clock.advance(200)
    first = id_token_claims(server, rp, get_code(browser, rp))
    assert server.clock() - first["auth_time"] >= 190  # the old session
    forced = browser.authorize(rp, max_age="60")
    assert is_sign_in_page(forced)
    assert "max_age" not in continue_url(forced)  # a fresh sign-in satisfies it: no loop
    assert redirect_params(browser.authorize(rp, max_age="60", prompt="none"))["error"] == "login_required"
    browser.sign_in()
    claims = id_token_claims(server, rp, get_code(browser, rp, max_age="60"))
    assert server.clock() - claims["auth_time"] < 60
    assert redirect_params(browser.authorize(rp, max_age="soon"))["error"] == "invalid_request"


def test_prompt_select_account_goes_through_the_signer(server, rp, browser) -> None:
    get_code(browser, rp)
    res = browser.authorize(rp, prompt="select_account")
    assert is_sign_in_page(res) and "select_account" not in continue_url(res)


def test_unsupported_prompts_and_request_objects_are_refused(server, rp, browser) -> None:
    browser.sign_in()
    expected = {"prompt": ("create", "invalid_request"), "request": ("eyJhbGciOiJub25lIn0.e30.", "request_not_supported"),
                "request_uri": ("https://app.example/r/1", "request_uri_not_supported"),
                "registration": ("{}", "registration_not_supported")}
    for name, (value, error) in expected.items():
        answer = redirect_params(browser.authorize(rp, **{name: value}))
        assert answer["error"] == error and answer["state"] == "st4te", (name, answer)
    assert redirect_params(browser.authorize(rp, response_type=None))["error"] == "invalid_request"


def test_repeated_parameters_are_refused(server, rp, browser) -> None:
    from tests.helpers.fixtures.oauth_server import authorize_params

    browser.sign_in()
    query = list(authorize_params(rp).items()) + [("state", "second")]
    res = browser.http.get("/oauth2/authorize", params=query)
    assert res.status_code == 400 and "location" not in res.headers and "repeated" in res.text
    res = browser.http.get("/oauth2/authorize", params=list(authorize_params(rp).items()) + [("client_id", "x")])
    assert res.status_code == 400 and "location" not in res.headers


def test_authorization_request_by_post(server, rp, browser) -> None:
    from tests.helpers.fixtures.oauth_server import authorize_params

    browser.sign_in()
    page = browser.http.post("/oauth2/authorize", data=authorize_params(rp))
    assert page.status_code == 200 and 'name="csrf"' in page.text  # the consent page
    code = redirect_params(browser.consent(page))["code"]
    again = browser.http.post("/oauth2/authorize", data=authorize_params(rp))
    assert again.status_code == 302 and "code=" in again.headers["location"]  # consented: straight back
    assert code


def test_unknown_scopes_are_ignored_not_refused(server, rp, browser) -> None:
    from tests.helpers.fixtures.oauth_server import TOKEN

    code = get_code(browser, rp, scope="openid profile address phone")
    res = rp.signed_post(server, TOKEN, code_form(rp, code))
    assert res.status_code == 200 and res.json()["scope"] == "openid profile"
