"""A real Sigil server (tests/helpers/server.py) with one
registered OAuth client, and helpers that play the user's browser and the client's backend."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token, wif_from_private_key
from auth_server.oauth import pkce
from auth_server.oauth.clients import new_client
from auth_server.oauth.idtoken import SigningKeys
from auth_server.oauth.pkce import s256_challenge
from auth_server.oauth.provider import Provider, ProviderConfig
from auth_server.oauth.users import StoreUserDirectory
from auth_server.store import Store
from auth_server.oauth.models import OAuthClient
from tests.helpers.clock import FakeClock
from tests.helpers.server import RunningServer
from tests.helpers.server import server_factory as servers

REDIRECT = "http://localhost:3000/auth/sigma/callback"
SIGN_IN = "/api/auth/sign-in/sigma"
TOKEN = "/api/auth/oauth2/token"


Server = RunningServer


@dataclass
class RelyingParty:
    """A registered client: its id and the member key that signs its token requests."""

    client: OAuthClient
    key: coincurve.PrivateKey

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def wif(self) -> str:
        return wif_from_private_key(self.key)

    def signed_post(self, server: Server, path: str, form: dict[str, str], key: coincurve.PrivateKey | None = None,
                    token: str | None = None) -> httpx.Response:
        """POST a form the way the Sigma client does: X-Auth-Token over the exact body string."""
        body = httpx.QueryParams(form).__str__()
        header = token or make_token(key or self.key, path, body=body)
        with server.http() as http:
            return http.post(path, content=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "X-Auth-Token": header})


@pytest.fixture
def server_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``server_factory(**overrides)`` starts a server (four threads, no reachable signer;
    ``overrides`` are :class:`Settings` fields); every one started is stopped after the test."""
    with servers(request, tmp_path, 4, signer_url="http://127.0.0.1:9") as make:
        yield make


@pytest.fixture
def server(server_factory: Callable[..., Server]) -> Server:
    return server_factory()


def register(server: Server, *, trusted: bool = False, redirect: str = REDIRECT) -> RelyingParty:
    key = coincurve.PrivateKey()
    client = new_client("Demo App", [redirect], key.public_key.format().hex(), now=server.settings.clock(),
                        trusted=trusted)
    server.store.oauth.clients.add(client)
    return RelyingParty(client, key)


@pytest.fixture
def rp(server: Server) -> RelyingParty:
    return register(server)


class Browser:
    """The user's browser: a cookie jar on the server, signed in with the user's key."""

    def __init__(self, server: Server, key: coincurve.PrivateKey | None = None) -> None:
        self.server = server
        self.key = key or coincurve.PrivateKey()
        self.http = server.http(follow_redirects=False, headers={"Origin": server.url})

    @property
    def pubkey(self) -> str:
        return self.key.public_key.format().hex()

    def sign_in(self) -> dict:
        res = self.http.post(SIGN_IN, content="{}", headers={
            "Content-Type": "application/json", "X-Auth-Token": make_token(self.key, SIGN_IN)})
        assert res.status_code == 200, res.text
        return res.json()

    def authorize(self, rp: RelyingParty, **extra: str) -> httpx.Response:
        return self.http.get("/oauth2/authorize", params=authorize_params(rp, **extra))

    def consent(self, page: httpx.Response, decision: str = "approve") -> httpx.Response:
        """Submit the consent page's form as a browser would."""
        assert page.status_code == 200 and 'name="csrf"' in page.text, page.text
        fields = hidden_fields(page.text)
        fields["decision"] = decision
        return self.http.post("/oauth2/authorize", data=fields)

    def close(self) -> None:
        self.http.close()


_HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a server-rendered page, name to value (unescaped, as a browser
    submits them); a name that appears twice keeps its last value."""
    return {name: html.unescape(value) for name, value in _HIDDEN_INPUT.findall(page)}


@pytest.fixture
def browser(server: Server) -> Iterator[Browser]:
    b = Browser(server)
    yield b
    b.close()


VERIFIER = "verifier-" + "x" * 50


def authorize_params(rp: RelyingParty, **extra: str) -> dict[str, str]:
    params = {
        "client_id": rp.client_id, "redirect_uri": REDIRECT, "response_type": "code", "state": "st4te",
        "scope": "openid profile", "code_challenge": s256_challenge(VERIFIER), "code_challenge_method": "S256",
        "nonce": "n0nce",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def redirect_params(res: httpx.Response) -> dict[str, str]:
    assert res.status_code == 302, (res.status_code, res.text)
    location = res.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(browser: Browser, rp: RelyingParty, **extra: str) -> str:
    """Sign in, authorize, approve consent if asked; return the code."""
    if browser.http.cookies.get("better-auth.session_token") is None:
        browser.sign_in()
    res = browser.authorize(rp, **extra)
    if res.status_code == 200:
        res = browser.consent(res)
    params = redirect_params(res)
    assert params.get("state") == extra.get("state", "st4te")
    return params["code"]


def code_form(rp: RelyingParty, code: str, **extra: str) -> dict[str, str]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": rp.client_id, "code_verifier": VERIFIER}
    form.update(extra)
    return form


def random_state() -> str:
    return secrets.token_urlsafe(8)


# -- the provider without HTTP (the grant and provider modules) ------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "sigil.db")
    yield s
    s.close()


@pytest.fixture
def provider(store, tmp_path, clock) -> Provider:
    keys = SigningKeys(tmp_path, "RS256")
    cfg = ProviderConfig(issuer="http://sigil.test", verification_uri="http://sigil.test/device")
    return Provider(store.oauth, StoreUserDirectory(store.users), keys, cfg, clock)


@pytest.fixture
def client(store, clock):
    member = coincurve.PrivateKey()
    c = new_client("Demo", [REDIRECT], member.public_key.format().hex(), now=clock())
    store.oauth.clients.add(c)
    return c


@pytest.fixture
def user(store, clock):
    key = coincurve.PrivateKey()
    u, _ = store.users.create(key.public_key.format().hex(), "Alice", clock())
    return u


def params(**extra: str) -> dict[str, str]:
    base = {
        "client_id": "", "redirect_uri": REDIRECT, "response_type": "code", "state": "s1",
        "scope": "openid profile", "code_challenge": pkce.s256_challenge(VERIFIER),
        "code_challenge_method": "S256", "nonce": "n1",
    }
    base.update(extra)
    return base


def code_from(location: str) -> str:
    from urllib.parse import parse_qs, urlsplit
    q = parse_qs(urlsplit(location).query)
    assert q["state"] == ["s1"]
    return q["code"][0]
