"""The OAuth logic and its storage against a real SQLite file, without HTTP."""

from __future__ import annotations

import os
import stat

import coincurve
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from auth_server.oauth import pkce
from auth_server.oauth.clients import new_client
from auth_server.oauth.errors import OAuthError
from auth_server.oauth.idtoken import SigningKeys
from auth_server.oauth.provider import Provider, ProviderConfig, RedirectableError
from auth_server.oauth.secrets import hash_credential
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


def test_pkce_rfc7636_vector() -> None:
    assert pkce.s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    with pytest.raises(OAuthError):
        pkce.check_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain")


def test_signing_key_file_is_private_and_stable(tmp_path) -> None:
    keys = SigningKeys(tmp_path)
    token = keys.sign({"sub": "x"})
    path = tmp_path / "oidc-rs256.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = SigningKeys(tmp_path)
    assert again.kid == keys.kid
    decoded = jwt.decode(token, KeySet.import_key_set(again.jwks()))
    assert decoded.claims["sub"] == "x" and decoded.header["kid"] == keys.kid
    es = SigningKeys(tmp_path, "ES256")
    assert jwt.decode(es.sign({"a": 1}), KeySet.import_key_set(es.jwks())).header["alg"] == "ES256"
    assert len(es.jwks()["keys"]) == 2  # the RS256 key stays published


def test_client_validation(clock) -> None:
    pub = coincurve.PrivateKey().public_key.format().hex()
    with pytest.raises(ValueError):
        new_client("x", ["http://evil.example/cb"], pub, now=clock())
    with pytest.raises(ValueError):
        new_client("x", ["https://a.example/cb#frag"], pub, now=clock())
    with pytest.raises(ValueError):
        new_client("x", [REDIRECT], "02" + "00" * 32, now=clock())
    assert new_client("x", ["http://localhost:3000/cb"], pub.upper(), now=clock()).member_pubkey == pub


def test_full_code_flow_and_reuse(provider, client, user, store, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id, scope="openid profile offline_access"))
    assert provider.needs_consent(req, user.id)
    code = code_from(provider.approve(req, user.id, user.bap_id, int(clock())))
    assert not provider.needs_consent(req, user.id)
    assert store.oauth.codes.get(hash_credential(code)) is not None  # stored hashed only
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": client.client_id, "code_verifier": VERIFIER}
    answer = provider.token(client, form)
    assert answer["token_type"] == "Bearer" and "refresh_token" in answer
    claims = jwt.decode(answer["id_token"], KeySet.import_key_set(provider.keys.jwks())).claims
    assert claims["aud"] == client.client_id and claims["nonce"] == "n1" and claims["pubkey"] == user.pubkey
    info = provider.userinfo(answer["access_token"])
    assert info["sub"] == user.id and info["name"] == "Alice"
    with pytest.raises(OAuthError) as err:
        provider.token(client, form)
    assert err.value.error == "invalid_grant"
    with pytest.raises(OAuthError):
        provider.userinfo(answer["access_token"])  # revoked by the reuse


def test_refresh_rotation_and_family_revocation(provider, client, user, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id, scope="openid offline_access"))
    code = code_from(provider.approve(req, user.id, None, None))
    first = provider.token(client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                    "code_verifier": VERIFIER})
    second = provider.token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert second["refresh_token"] != first["refresh_token"]
    assert provider.userinfo(second["access_token"])["sub"] == user.id
    with pytest.raises(OAuthError):
        provider.token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    for token in (first["access_token"], second["access_token"]):
        with pytest.raises(OAuthError):
            provider.userinfo(token)
    with pytest.raises(OAuthError):
        provider.token(client, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]})


def test_authorize_errors(provider, client) -> None:
    with pytest.raises(OAuthError) as err:
        provider.parse_authorization(params(client_id="nope"))
    assert not isinstance(err.value, RedirectableError)
    with pytest.raises(OAuthError) as err:
        provider.parse_authorization(params(client_id=client.client_id, redirect_uri=REDIRECT + "x"))
    assert not isinstance(err.value, RedirectableError)
    with pytest.raises(RedirectableError) as red:
        provider.parse_authorization(params(client_id=client.client_id, code_challenge_method="plain"))
    assert red.value.location.startswith(REDIRECT + "?error=invalid_request") and "state=s1" in red.value.location


def test_code_expiry_and_pkce_mismatch(provider, client, user, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id))
    code = code_from(provider.approve(req, user.id, None, None))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": "w" * 50}
    with pytest.raises(OAuthError, match="code_verifier"):
        provider.token(client, form)
    clock.now += 61
    with pytest.raises(OAuthError, match="expired"):
        provider.token(client, {**form, "code_verifier": VERIFIER})


def test_device_flow(provider, client, user, clock) -> None:
    start = provider.start_device(client, "openid profile")
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": start["device_code"]}
    with pytest.raises(OAuthError, match="authorization_pending"):
        provider.token(client, grant)
    with pytest.raises(OAuthError, match="slow_down"):
        provider.token(client, grant)
    provider.decide_device(start["user_code"].lower().replace("-", ""), True, user.id, None, None)
    answer = provider.token(client, grant)
    assert provider.userinfo(answer["access_token"])["pubkey"] == user.pubkey
    with pytest.raises(OAuthError):
        provider.token(client, grant)


def test_introspect_and_revoke(provider, client, user, store, clock) -> None:
    req = provider.parse_authorization(params(client_id=client.client_id))
    code = code_from(provider.approve(req, user.id, None, None))
    answer = provider.token(client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                     "code_verifier": VERIFIER})
    info = provider.introspect(client, answer["access_token"])
    assert info["active"] and info["sub"] == user.id
    other = new_client("Other", [REDIRECT], coincurve.PrivateKey().public_key.format().hex(), now=clock())
    store.oauth.clients.add(other)
    assert provider.introspect(other, answer["access_token"]) == {"active": False}
    provider.revoke(client, answer["access_token"])
    assert provider.introspect(client, answer["access_token"]) == {"active": False}


def test_userinfo_claims_follow_scopes_and_subscription(store, tmp_path, client, user, clock) -> None:
    keys = SigningKeys(tmp_path)
    cfg = ProviderConfig(issuer="http://sigil.test")
    prov = Provider(store.oauth, StoreUserDirectory(store.users, subscription=True), keys, cfg, clock)
    store.users.update(user.id, clock(), email="alice@example.com")
    req = prov.parse_authorization(params(client_id=client.client_id, scope="openid"))
    code = code_from(prov.approve(req, user.id, None, None))
    tokens = prov.token(client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                 "code_verifier": VERIFIER})
    info = prov.userinfo(tokens["access_token"])
    assert set(info) == {"sub", "pubkey", "bap_id", "subscriptionTier"}
    req = prov.parse_authorization(params(client_id=client.client_id, scope="openid profile email"))
    code = code_from(prov.approve(req, user.id, None, None))
    tokens = prov.token(client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                 "code_verifier": VERIFIER})
    info = prov.userinfo(tokens["access_token"])
    assert info["email"] == "alice@example.com" and info["name"] == "Alice" and info["given_name"] == "Alice"


def test_bad_id_token_alg_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError):
        SigningKeys(tmp_path, "HS256")
