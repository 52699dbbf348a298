"""What an app learns of the user's profile (issue 24): ``name`` and ``picture`` only when the
user shares them with that app, ``preferred_username`` (the handle) always under ``profile``,
and never the Bitcoin address as a name; in the id_token and at userinfo alike."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from auth_server.config import Settings
from auth_server.crypto import address_from_pubkey
from auth_server.crypto.keys import parse_pubkey
from auth_server.oauth.provider import Provider, ProviderConfig
from auth_server.oauth.signing_keys import open_signing_keys
from auth_server.oauth.users import StoreUserDirectory
from auth_server.store.profiles import AVATAR_PATH
from tests.helpers.fixtures.oauth_server import REDIRECT, VERIFIER, code_from, params

ISSUER = "http://sigil.test"


def _claims(store, tmp_path, client, user, clock, scope: str = "openid profile") -> tuple[dict, dict]:
    keys = open_signing_keys(Settings(db_path=tmp_path / "sigil.db"), store)
    users = StoreUserDirectory(store.users, store.groups, base_url=ISSUER)
    prov = Provider(store.oauth, users, keys, ProviderConfig(issuer=ISSUER), clock)
    req = prov.parse_authorization(params(client_id=client.client_id, scope=scope))
    code = code_from(prov.approve(req, user.id, None, None))
    tokens = prov.token(client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                 "code_verifier": VERIFIER})
    id_token = jwt.decode(tokens["id_token"], KeySet.import_key_set(keys.jwks())).claims
    return id_token, prov.userinfo(tokens["access_token"])


@pytest.mark.parametrize("share", [None, True, False], ids=["no-choice", "shared", "not-shared"])
def test_name_and_picture_follow_the_users_choice_for_that_app(store, tmp_path, client, user, clock, share):
    store.users.update(user.id, clock(), image=AVATAR_PATH + "ab" * 16)
    if share is not None:
        store.profile_shares.set(user.id, client.client_id, share, clock())
    store.profile_shares.set(user.id, "another-app", not share if share is not None else False, clock())
    for claims in _claims(store, tmp_path, client, user, clock):
        assert claims["preferred_username"] == store.users.get(user.id).username
        if share is False:
            assert "name" not in claims and "picture" not in claims
        else:
            assert claims["name"] == "Alice" and claims["picture"] == f"{ISSUER}{AVATAR_PATH}{'ab' * 16}"


def test_no_profile_name_means_no_name_claim_never_the_address(store, tmp_path, client, user, clock):
    store.users.update(user.id, clock(), profile_name=None)
    address = address_from_pubkey(parse_pubkey(user.pubkey))
    for claims in _claims(store, tmp_path, client, user, clock):
        assert "name" not in claims and "given_name" not in claims and address not in claims.values()
        assert claims["preferred_username"] and claims["preferred_username"] != user.bap_id


def test_without_the_profile_scope_no_profile_claims(store, tmp_path, client, user, clock):
    for claims in _claims(store, tmp_path, client, user, clock, scope="openid"):
        assert not {"name", "picture", "preferred_username"} & set(claims)
