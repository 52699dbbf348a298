"""The refresh_token grant (auth_server/oauth/grants/refresh_token.py)."""

from __future__ import annotations

import pytest

from auth_server.oauth.errors import OAuthError
from tests.oauth.core.conftest import REDIRECT, VERIFIER, code_from, params


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
