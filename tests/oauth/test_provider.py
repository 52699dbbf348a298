"""Authorize, introspection, revocation, userinfo, signing keys and client records, without HTTP."""

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
from auth_server.config import Settings
from auth_server.oauth.signing_keys import open_signing_keys
from auth_server.oauth.provider import Provider, ProviderConfig, RedirectableError
from auth_server.oauth.users import StoreUserDirectory
from tests.helpers.fixtures.oauth_server import REDIRECT, VERIFIER, code_from, params


def test_pkce_rfc7636_vector() -> None:
    assert pkce.s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    with pytest.raises(OAuthError):
        pkce.check_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain")


def test_signing_keys_live_in_the_store_and_are_stable(tmp_path, store) -> None:
    keys = open_signing_keys(Settings(db_path=tmp_path / "sigil.db"), store)
    token = keys.sign({"sub": "x"})
    assert stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode) == 0o600  # made on first start, private
    assert not list(tmp_path.glob("*.pem"))  # no key file in the data dir any more
    again = open_signing_keys(Settings(db_path=tmp_path / "sigil.db"), store)
    assert again.kid == keys.kid
    decoded = jwt.decode(token, KeySet.import_key_set(again.jwks()))
    assert decoded.claims["sub"] == "x" and decoded.header["kid"] == keys.kid
    es = open_signing_keys(Settings(db_path=tmp_path / "sigil.db", id_token_alg="ES256"), store)
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
    keys = open_signing_keys(Settings(db_path=tmp_path / "sigil.db"), store)
    cfg = ProviderConfig(issuer="http://sigil.test")
    prov = Provider(store.oauth, StoreUserDirectory(store.users, store.groups, subscription=True), keys, cfg, clock)
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
    assert info["email"] == "alice@example.com" and info["name"] == "Alice" and "given_name" not in info


def test_bad_id_token_alg_is_refused(tmp_path, store) -> None:
    with pytest.raises(ValueError):
        open_signing_keys(Settings(db_path=tmp_path / "sigil.db", id_token_alg="HS256"), store)


def test_grants_are_found_by_grant_type(provider, client) -> None:
    from auth_server.oauth.grants import GRANT_MODULES, GRANTS

    assert list(GRANTS) == ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]
    assert all(GRANTS[m.GRANT_TYPE] is m.exchange for m in GRANT_MODULES)
    with pytest.raises(OAuthError) as err:
        provider.token(client, {"grant_type": "password"})
    assert err.value.error == "unsupported_grant_type"
    with pytest.raises(OAuthError) as err:
        provider.token(client, {})
    assert err.value.error == "invalid_request"


def test_provider_config_comes_from_settings(tmp_path) -> None:
    from auth_server.config import Settings

    settings = Settings(db_path=tmp_path / "x.db", base_url="https://id.example/", code_ttl=30,
                        refresh_token_ttl=99, always_issue_refresh_token=True, device_poll_interval=7)
    config = ProviderConfig.from_settings(settings)
    assert (config.issuer, config.verification_uri) == ("https://id.example", "https://id.example/device")
    assert (config.code_ttl, config.refresh_token_ttl, config.always_issue_refresh_token,
            config.device_poll_interval, config.access_token_ttl) == (30, 99, True, 7, settings.access_token_ttl)
