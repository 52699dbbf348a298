"""CORS for browser clients at the token, userinfo, revocation and introspection endpoints."""

from __future__ import annotations

from auth_server.oauth.endpoints import INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH, USERINFO_PATH
from tests.helpers.fixtures.oauth_server import REDIRECT
from tests.oauth.standard_clients import register_standard
from tests.oauth.test_client_methods import code_for, exchange_form

SPA = "http://localhost:3000"  # the origin of REDIRECT
OTHER_APP = "https://other.example"
EVIL = "https://evil.example"


def preflight(server, path: str, origin: str):
    return server.request("OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})


def test_preflights_allow_registered_redirect_origins_only(server) -> None:
    register_standard(server, "none")
    for path in (TOKEN_PATH, REVOCATION_PATH, INTROSPECTION_PATH, USERINFO_PATH, "/oauth2/token"):
        ok = preflight(server, path, SPA)
        assert ok.status_code == 204, (path, ok.text)
        assert ok.headers["access-control-allow-origin"] == SPA
        assert "POST" in ok.headers["access-control-allow-methods"]
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        refused = preflight(server, path, EVIL)
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_answers_carry_cors_for_the_clients_own_origins(server, browser) -> None:
    spa = register_standard(server, "none")
    register_standard(server, "none", redirect=OTHER_APP + "/cb")  # a known origin, but another client's
    form = {**exchange_form(code_for(browser, spa)), "client_id": spa.client_id}
    res = server.request("POST", TOKEN_PATH, data=form, headers={"Origin": SPA})
    assert res.status_code == 200 and res.headers["access-control-allow-origin"] == SPA
    access = res.json()["access_token"]
    info = server.request("GET", USERINFO_PATH, headers={"Origin": SPA, "Authorization": f"Bearer {access}"})
    assert info.status_code == 200 and info.headers["access-control-allow-origin"] == SPA
    info = server.request("GET", USERINFO_PATH, headers={"Origin": OTHER_APP, "Authorization": f"Bearer {access}"})
    assert info.status_code == 200 and "access-control-allow-origin" not in info.headers
    revoked = server.request("POST", REVOCATION_PATH, data={"token": access, "client_id": spa.client_id},
                             headers={"Origin": SPA})
    assert revoked.status_code == 200 and revoked.headers["access-control-allow-origin"] == SPA
    # the error answer of the same client is readable too (the code is spent now)
    again = server.request("POST", TOKEN_PATH, data=form, headers={"Origin": SPA})
    assert again.status_code == 400 and again.headers["access-control-allow-origin"] == SPA
    for origin in (EVIL, OTHER_APP):
        other = server.request("POST", TOKEN_PATH, data=form, headers={"Origin": origin})
        assert "access-control-allow-origin" not in other.headers


def test_userinfo_without_a_token_has_no_error_code_in_the_challenge(server) -> None:
    res = server.request("GET", USERINFO_PATH)
    assert res.status_code == 401 and res.headers["www-authenticate"] == 'Bearer realm="sigil"'
    bad = server.request("GET", USERINFO_PATH, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
    assert REDIRECT.startswith(SPA)
