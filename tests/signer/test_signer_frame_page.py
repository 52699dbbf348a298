"""``GET /signer`` over HTTP: who may frame it, what it may reach (the browser side is
tests/signer/test_signer_frame.py)."""

from __future__ import annotations

import dataclasses
import re

import coincurve
import httpx
import pytest

from auth_server.oauth.clients import new_client
from auth_server.origins import plain_origin
from tests.helpers.fixtures.oauth_server import Server, register


def directives(response: httpx.Response) -> dict[str, str]:
    csp = response.headers["Content-Security-Policy"]
    parts = [p.strip() for p in csp.split(";") if p.strip()]
    names = [p.split()[0] for p in parts]
    assert len(names) == len(set(names)), csp  # nothing smuggled in a second time
    return {p.split()[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


def parents_in_page(response: httpx.Response) -> list[str]:
    match = re.search(r'data-parents="([^"]*)"', response.text)
    assert match, response.text
    return match.group(1).split()


def add_client(server: Server, *uris: str) -> str:
    client = new_client("App", list(uris), coincurve.PrivateKey().public_key.format().hex(), now=server.settings.clock())
    server.store.oauth.clients.add(client)
    return client.client_id


def test_no_client_means_nobody_may_frame_it(server: Server) -> None:
    res = httpx.get(server.url + "/signer")
    assert res.status_code == 200
    assert directives(res)["frame-ancestors"] == "'none'"
    assert parents_in_page(res) == []


def test_frameable_by_registered_and_trusted_origins_only(server: Server) -> None:
    register(server, redirect="https://App.Example.com/auth/sigma/callback?x=1")
    add_client(server, "http://127.0.0.1:4100/cb", "https://app.example.com/other")
    disabled = add_client(server, "https://old.example.org/cb")
    server.store.oauth.clients.set_disabled(disabled)
    add_client(server, "com.example.app:/oauth")  # a native app's redirect: no web origin
    server.settings.trusted_origins = ["https://trusted.example.net/"]

    res = httpx.get(server.url + "/signer")
    expected = ["http://127.0.0.1:4100", "https://app.example.com", "https://trusted.example.net"]
    assert directives(res)["frame-ancestors"] == " ".join(expected)
    assert parents_in_page(res) == expected  # the script checks messages against the same list
    assert "X-Frame-Options" not in res.headers
    assert res.headers["Cache-Control"] == "no-store"
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_it_reaches_the_signer_and_nothing_else(server: Server) -> None:
    server.settings.signer_url = "http://127.0.0.1:21000/"
    res = httpx.get(server.url + "/signer")
    csp = directives(res)
    assert csp["connect-src"] == "http://127.0.0.1:21000"
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'"
    assert 'data-signer-url="http://127.0.0.1:21000"' in res.text
    assert "/oauth2/static/signer-frame.js" in res.text
    script = httpx.get(server.url + "/oauth2/static/signer-frame.js")
    assert script.status_code == 200 and "SIGN_REQUEST" in script.text


@pytest.mark.parametrize("uri", [
    "https://evil.example; script-src * 'unsafe-inline'/cb",
    "https://a.example frame-ancestors */cb",
    "https://user@a.example/cb",
    "https://[::1]:8443/cb",
])
def test_a_redirect_uri_cannot_write_into_the_policy(server: Server, uri: str) -> None:
    """Registration refuses such URIs now; a row stored before that rule still cannot."""
    register(server, redirect="https://good.example/cb")
    try:
        add_client(server, uri)
    except ValueError:  # refused at registration: store it as an older release would have
        client = new_client("App", ["https://placeholder.example/cb"],
                            coincurve.PrivateKey().public_key.format().hex(), now=server.settings.clock())
        server.store.oauth.clients.add(dataclasses.replace(client, redirect_uris=(uri,)))
    res = httpx.get(server.url + "/signer")
    csp = directives(res)
    assert csp["frame-ancestors"] == "https://good.example"
    assert csp["script-src"] == "'self'"
    assert parents_in_page(res) == ["https://good.example"]


def test_a_strange_signer_url_blocks_all_connections(server: Server) -> None:
    server.settings.signer_url = "http://127.0.0.1:21000; connect-src *"
    csp = directives(httpx.get(server.url + "/signer"))
    assert csp["connect-src"] == "'none'"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_get_a_json_405(server: Server, method: str) -> None:
    res = httpx.request(method, server.url + "/signer", content=b"{}")
    assert res.status_code == 405
    assert res.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("url", "origin"), [
    ("https://A.example/x?y#z", "https://a.example"),
    ("http://localhost:3000", "http://localhost:3000"),
    ("https://a.example:99999999/", None),
    ("ftp://a.example/", None),
    ("javascript:alert(1)", None),
    ("", None),
])
def test_plain_origin(url: str, origin: str | None) -> None:
    assert plain_origin(url) == origin
