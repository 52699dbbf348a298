"""The refresh_token grant (RFC 6749 6): rotation, and reuse detection that ends the family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auth_server.oauth.credentials import hash_secret
from auth_server.oauth.errors import invalid_grant, required
from auth_server.oauth.grants.common import TokenGrant, issue_tokens, narrow_scope, owned_by
from auth_server.oauth.provider_context import ProviderContext
from auth_server.store.models import OAuthClient

GRANT_TYPE = "refresh_token"


def exchange(ctx: ProviderContext, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
    """New tokens for a live refresh token, which is spent; an old one revokes them all."""
    value = required(form, "refresh_token")
    now = ctx.clock()
    tokens = ctx.store.tokens
    old = tokens.get_refresh(hash_secret(value))
    owned_by(old.client_id if old else None, client, "refresh token")
    assert old is not None
    if old.revoked:
        raise invalid_grant("refresh token was revoked")
    if old.rotated:
        tokens.revoke_family(old.family_id)
        raise invalid_grant("refresh token was already used; the whole token family is revoked")
    if now > old.expires_at:
        raise invalid_grant("refresh token has expired")
    issued = issue_tokens(ctx, TokenGrant(
        client_id=client.client_id, allowed_groups=client.allowed_groups,
        user_id=old.user_id, bap_id=old.bap_id, scope=narrow_scope(old.scope, form.get("scope")),
        family_id=old.family_id, auth_time=old.auth_time, with_refresh=True,
    ), now)
    assert issued.refresh is not None
    if not tokens.rotate_refresh(old.token_hash, issued.access, issued.refresh):
        tokens.revoke_family(old.family_id)
        raise invalid_grant("refresh token was already used; the whole token family is revoked")
    return issued.response
