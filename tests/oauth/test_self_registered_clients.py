"""Self-registered clients are strangers (``SIGIL_DYNAMIC_REGISTRATION=public``), over real
HTTP: no signer frame, bounded registrations and headers, no logout redirect on a
client_id alone, marked on the consent page, no borrowed names."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from auth_server import admin
from auth_server.oauth.endpoints import END_SESSION_PATH, REGISTRATION_PATH, TOKEN_PATH
from tests.helpers.fixtures.oauth_server import REDIRECT, Browser, VERIFIER, authorize_params, redirect_params
from tests.helpers.server import RunningServer
from tests.oauth.standard_clients import LOGOUT_REDIRECT

MARK = "Not verified by this server"


@pytest.fixture
def public_server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory(dynamic_registration="public")


@pytest.fixture
def browser(public_server) -> Iterator[Browser]:
    """A browser of ``public_server`` (the suite's own ``browser`` talks to ``server``)."""
    visitor = Browser(public_server)
    yield visitor
    visitor.close()


def self_register(server, **body):
    body = {"client_name": "Stranger", "redirect_uris": ["https://evil.example/cb"],
            "token_endpoint_auth_method": "none", **body}
    return server.request("POST", REGISTRATION_PATH, json=body)


def frame(server):
    with server.http() as http:
        res = http.get("/signer")
    assert res.status_code == 200
    ancestors = re.search(r"frame-ancestors ([^;]*)", res.headers["content-security-policy"]).group(1).split()
    parents = re.search(r'data-parents="([^"]*)"', res.text).group(1).split()
    return res, ancestors, parents


def test_a_self_registered_client_is_marked_and_admin_clients_are_not(public_server) -> None:
    created = self_register(public_server)
    assert created.status_code == 201, created.text
    assert public_server.store.oauth.clients.get(created.json()["client_id"]).self_registered is True
    mine = admin.register_client(public_server.store, "Admin App", ["https://app.example/cb"])
    assert mine.client.self_registered is False


def test_only_administrators_clients_may_embed_the_signer_frame(public_server) -> None:
    assert self_register(public_server).status_code == 201
    admin.register_client(public_server.store, "Admin App", ["https://app.example/cb"])
    _, ancestors, parents = frame(public_server)
    assert "https://app.example" in ancestors and "https://app.example" in parents
    assert "https://evil.example" not in ancestors and "https://evil.example" not in parents


def test_an_administrator_may_approve_a_stranger(public_server, capsys) -> None:
    from auth_server.cli import main

    client_id = self_register(public_server).json()["client_id"]
    db = str(public_server.settings.db_path)
    assert main(["clients", "show", "--db", db, client_id]) == 0
    assert "self-registered" in capsys.readouterr().out
    assert main(["clients", "approve", "--db", db, client_id]) == 0
    assert public_server.store.oauth.clients.get(client_id).self_registered is False
    _, ancestors, _ = frame(public_server)
    assert "https://evil.example" in ancestors
    assert main(["clients", "approve", "--db", db, "sigil_nobody"]) == 1


def test_the_signer_frames_headers_stay_small_whatever_is_registered(public_server) -> None:
    for n in range(60):  # an administrator with very many clients on long names
        host = f"app{n}-" + "x" * 180 + ".example"
        admin.register_client(public_server.store, f"App {n}", [f"https://{host}/cb"])
    for n in range(3):  # strangers registering all they may
        uris = [f"https://s{n}-{i}-" + "y" * 200 + ".example/cb" for i in range(10)]
        assert self_register(public_server, client_name=f"S{n}", redirect_uris=uris).status_code == 201
    res, ancestors, _ = frame(public_server)
    assert len(res.headers["content-security-policy"]) < 4096 + 400  # origins.MAX_FRAME_PARENTS_CHARS and the fixed directives
    assert sum(len(h) + len(v) for h, v in res.headers.items()) < 8 * 1024
    assert ancestors and not any(a.startswith("https://s") for a in ancestors)


@pytest.mark.parametrize("field", ["redirect_uris", "post_logout_redirect_uris"])
def test_at_most_ten_uris_per_registration(public_server, field) -> None:
    eleven = [f"https://app.example/cb{i}" for i in range(11)]
    res = self_register(public_server, **{field: eleven})
    assert res.status_code == 400 and res.json()["error"] == "invalid_redirect_uri", res.text
    assert "at most 10" in res.json()["error_description"]
    long = self_register(public_server, **{field: ["https://app.example/" + "a" * 2000]})
    assert long.status_code == 400 and long.json()["error"] == "invalid_redirect_uri"
    assert self_register(public_server, **{field: eleven[:10]}).status_code == 201


def test_registration_is_rate_limited_per_address(server_factory) -> None:
    server = server_factory(dynamic_registration="public", rate_limit_enabled=True)
    answers = [self_register(server, client_name=f"S{n}").status_code for n in range(10)]
    assert answers == [201] * 10
    over = self_register(server, client_name="one more")
    assert over.status_code == 429, over.text
    assert over.json()["error"] == "temporarily_unavailable" and over.json()["error_description"]
    assert int(over.headers["retry-after"]) >= 1
    assert server.store.oauth.clients.count() == 10


def signed_in_stranger(server, browser) -> tuple[str, str]:
    """A self-registered public client that got an id_token for the browser's user."""
    created = self_register(server, redirect_uris=[REDIRECT], post_logout_redirect_uris=[LOGOUT_REDIRECT])
    assert created.status_code == 201, created.text
    client_id = created.json()["client_id"]
    browser.sign_in()
    page = browser.http.get("/oauth2/authorize", params=authorize_params(type("RP", (), {"client_id": client_id})()))
    assert page.status_code == 200
    code = redirect_params(browser.consent(page))["code"]
    tokens = server.request("POST", TOKEN_PATH, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER,
        "client_id": client_id})
    assert tokens.status_code == 200, tokens.text
    return client_id, tokens.json()["id_token"]


def test_logout_redirects_to_a_stranger_only_with_its_id_token(public_server, browser) -> None:
    client_id, id_token = signed_in_stranger(public_server, browser)
    for http in (browser.http, public_server.http()):  # signed in, and a browser without a session
        res = http.get(END_SESSION_PATH, params={"client_id": client_id, "post_logout_redirect_uri": LOGOUT_REDIRECT})
        assert res.status_code == 400 and "location" not in res.headers, res.text
        assert "id_token_hint" in res.text
    assert browser.http.get("/api/auth/get-session").json() is not None  # nothing ended
    other = admin.register_client(public_server.store, "Other", [REDIRECT], auth_method="none",
                                  post_logout_redirect_uris=[LOGOUT_REDIRECT])
    res = browser.http.get(END_SESSION_PATH, params={"client_id": other.client_id, "id_token_hint": id_token,
                                                     "post_logout_redirect_uri": LOGOUT_REDIRECT})
    assert res.status_code == 400 and "location" not in res.headers  # another client's hint names the wrong app
    res = browser.http.get(END_SESSION_PATH, params={"id_token_hint": id_token,
                                                     "post_logout_redirect_uri": LOGOUT_REDIRECT})
    assert res.status_code == 302, res.text
    assert urlsplit(res.headers["location"])._replace(query="").geturl() == LOGOUT_REDIRECT


def test_an_administrators_client_still_redirects_on_its_client_id(public_server, browser) -> None:
    mine = admin.register_client(public_server.store, "Mine", [REDIRECT], auth_method="none",
                                 post_logout_redirect_uris=[LOGOUT_REDIRECT])
    with public_server.http() as http:  # no session: nothing to ask, straight back to the app
        res = http.get(END_SESSION_PATH, params={"client_id": mine.client_id,
                                                 "post_logout_redirect_uri": LOGOUT_REDIRECT})
    assert res.status_code == 302 and res.headers["location"].startswith(LOGOUT_REDIRECT), res.text


def test_the_consent_page_marks_a_stranger(public_server, browser) -> None:
    created = self_register(public_server, client_name="Friendly App", redirect_uris=[REDIRECT])
    stranger = created.json()["client_id"]
    mine = admin.register_client(public_server.store, "Mine", [REDIRECT], auth_method="none").client_id
    browser.sign_in()
    for client_id, marked in ((stranger, True), (mine, False)):
        page = browser.http.get("/oauth2/authorize",
                                params=authorize_params(type("RP", (), {"client_id": client_id})()))
        assert page.status_code == 200
        assert (MARK in page.text) is marked


@pytest.mark.parametrize("name", ["Acme Bank", "acme bank", "Acme\u200b Bank", " Acme  Bank "])
def test_a_stranger_cannot_take_an_existing_clients_name(public_server, name) -> None:
    admin.register_client(public_server.store, "Acme Bank", ["https://bank.example/cb"])
    res = self_register(public_server, client_name=name)
    assert res.status_code == 400 and res.json()["error"] == "invalid_client_metadata", res.text
    assert "taken" in res.json()["error_description"]
    assert self_register(public_server, client_name="Acme Bank Fan Club").status_code == 201
    again = self_register(public_server, client_name="Acme Bank Fan Club")  # strangers may share one: both marked
    assert again.status_code == 201


def test_clients_made_before_the_marker_existed_are_the_administrators(tmp_path) -> None:
    from auth_server.store import Store
    from auth_server.store.migrations import MIGRATIONS

    with Store.open(tmp_path / "old.db", migrate_now=False) as store:
        store.migrate([m for m in MIGRATIONS if m.version < 106])
        with store.write() as conn:
            conn.execute("INSERT INTO oauth_client (client_id, name, redirect_uris, member_pubkey, created_at) "
                         "VALUES ('old', 'Old App', '[\"https://old.example/cb\"]', '', 1.0)")
        assert [m.version for m in store.migrate()] == [106, 107, 108, 109, 110, 111, 112]
        assert store.oauth.clients.get("old").self_registered is False


def test_the_device_page_marks_a_stranger(public_server, browser) -> None:
    stranger = self_register(public_server, client_name="TV App").json()["client_id"]
    mine = admin.register_client(public_server.store, "Mine", [REDIRECT], auth_method="none").client_id
    browser.sign_in()
    for client_id, marked in ((stranger, True), (mine, False)):
        with public_server.http() as http:
            start = http.post("/api/auth/device/code", data={"client_id": client_id}).json()
        page = browser.http.get("/device", params={"user_code": start["user_code"]})
        assert page.status_code == 200, page.text
        assert (MARK in page.text) is marked
