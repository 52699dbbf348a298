"""The provider over a real SQLite file, without HTTP: a fixed clock, one client, one user."""

from __future__ import annotations

import coincurve
import pytest

from auth_server.oauth import pkce
from auth_server.oauth.clients import new_client
from auth_server.oauth.idtoken import SigningKeys
from auth_server.oauth.provider import Provider, ProviderConfig
from auth_server.oauth.users import StoreUserDirectory
from auth_server.store import Store
from tests.helpers.clock import FakeClock

REDIRECT = "https://app.example/auth/sigma/callback"
VERIFIER = "v" * 50


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
