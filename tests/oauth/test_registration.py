"""Dynamic client registration (RFC 7591) over real HTTP, in each mode."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from auth_server.oauth.endpoints import REGISTRATION_PATH, TOKEN_PATH
from auth_server.oauth.registration import issue_registration_token
from tests.helpers.server import RunningServer
from tests.helpers.fixtures.oauth_server import REDIRECT
from tests.oauth.standard_clients import StandardClient
from tests.oauth.test_client_methods import code_for, exchange_form


@pytest.fixture
def token_server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory(dynamic_registration="token")


@pytest.fixture
def public_server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory(dynamic_registration="public")


def post(server, body, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return server.request("POST", REGISTRATION_PATH, json=body, headers=headers)


WIKI = {"client_name": "Team wiki", "redirect_uris": ["https://wiki.example/oauth/callback"],
        "post_logout_redirect_uris": ["https://wiki.example/"]}


def test_off_by_default(server) -> None:
    res = post(server, WIKI)
    assert res.status_code == 403 and res.json()["error"] == "access_denied"
    with server.http() as http:
        assert "registration_endpoint" not in http.get("/.well-known/openid-configuration").json()


def test_registration_needs_the_initial_access_token(token_server) -> None:
    server = token_server
    with server.http() as http:
        assert http.get("/.well-known/openid-configuration").json()["registration_endpoint"] == (
            server.url + REGISTRATION_PATH)
    missing = post(server, WIKI)
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_token"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert post(server, WIKI, "made-up").status_code == 401
    token = issue_registration_token(server.store)
    public_without = post(server, {**WIKI, "token_endpoint_auth_method": "none"})
    assert public_without.status_code == 401  # in "token" mode even public clients need one
    created = post(server, WIKI, token)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["token_endpoint_auth_method"] == "client_secret_basic" and answer["client_secret"]
    assert answer["client_secret_expires_at"] == 0 and answer["redirect_uris"] == WIKI["redirect_uris"]
    assert post(server, WIKI, token).status_code == 401  # one client per token
    stored = server.store.oauth.clients.get(answer["client_id"])
    assert stored.trusted is False and stored.secret_hash != answer["client_secret"]


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "https://wiki.example/cb#frag", "https://wiki.example/cb#",
                                 "http://wiki.example/cb", "com.example.app:/cb", "data:text/html,x", "/relative"])
def test_bad_redirect_uris_are_invalid_redirect_uri(token_server, uri) -> None:
    token = issue_registration_token(token_server.store)
    res = post(token_server, {**WIKI, "redirect_uris": [uri]}, token)
    assert res.status_code == 400 and res.json()["error"] == "invalid_redirect_uri", res.text
    logout = post(token_server, {**WIKI, "post_logout_redirect_uris": [uri]}, token)
    assert logout.status_code == 400 and logout.json()["error"] == "invalid_redirect_uri"
    assert post(token_server, WIKI, token).status_code == 201  # refusals spent nothing


@pytest.mark.parametrize("change", [{"token_endpoint_auth_method": "x_auth_token"},
                                    {"token_endpoint_auth_method": "client_secret_jwt"},
                                    {"grant_types": ["implicit"]}, {"response_types": ["token"]},
                                    {"client_name": 7}, {"token_endpoint_auth_method": "private_key_jwt"},
                                    {"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct",
                                                                                                       "k": "AA"}]}},
                                    {"redirect_uris": "https://wiki.example/cb"},
                                    # a registrant may not make the server fetch from its own machine
                                    {"token_endpoint_auth_method": "private_key_jwt",
                                     "jwks_uri": "http://127.0.0.1:9/jwks.json"}])
def test_bad_metadata(token_server, change) -> None:
    token = issue_registration_token(token_server.store)
    res = post(token_server, {**WIKI, **change}, token)
    assert res.status_code == 400 and res.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri"), res.text
    for raw in (b"[]", b"{", b'{"a":' * 200):
        bad = token_server.request("POST", REGISTRATION_PATH, content=raw, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata"


def test_open_for_public_clients_only(public_server, browser) -> None:
    server = public_server
    public = post(server, {**WIKI, "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})
    assert public.status_code == 201 and "client_secret" not in public.json()
    assert post(server, WIKI).status_code == 401  # a confidential client still needs a token
    client = StandardClient(public.json()["client_id"], "none")
    res = client.post(server, TOKEN_PATH, exchange_form(code_for(browser, client)))
    assert res.status_code == 200 and res.json()["id_token"]


@pytest.fixture
def browser(request):
    from tests.helpers.fixtures.oauth_server import Browser

    server = request.getfixturevalue("public_server")
    b = Browser(server)
    yield b
    b.close()


def test_racing_registrations_with_one_token_make_one_client(token_server) -> None:
    token = issue_registration_token(token_server.store)
    answers: list[int] = []

    def attempt() -> None:
        answers.append(post(token_server, WIKI, token).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201] + [401] * 5
    assert len(token_server.store.oauth.clients.list()) == 1
