"""The device authorization grant (auth_server/oauth/grants/device_code.py)."""

from __future__ import annotations

import pytest

from auth_server.oauth.errors import OAuthError
from tests.oauth.core.conftest import REDIRECT, VERIFIER, code_from, params


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
