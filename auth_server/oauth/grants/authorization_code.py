"""The authorization_code grant (RFC 6749 4.1.3) with mandatory PKCE (RFC 7636)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auth_server.oauth import pkce
from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import invalid_grant, required
from auth_server.oauth.issuer import TokenGrant, issue_tokens, wants_refresh
from auth_server.oauth.credentials import hash_secret
from auth_server.store.models import OAuthClient

GRANT_TYPE = "authorization_code"


def exchange(ctx: ProviderContext, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
    """Redeem a code once; a second use revokes every token the first use obtained."""
    code_value = required(form, "code")
    now = ctx.clock()
    tokens = ctx.store.tokens
    code = ctx.store.codes.get(hash_secret(code_value))
    if code is None or code.client_id != client.client_id:
        raise invalid_grant("unknown authorization code")
    if code.used_at is not None:
        # RFC 6749 4.1.2: a replayed code revokes the tokens the first use obtained.
        tokens.revoke_family(code.family_id)
        raise invalid_grant("authorization code was already used; its tokens are revoked")
    if now > code.expires_at:
        raise invalid_grant("authorization code has expired")
    if form.get("redirect_uri") != code.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request")
    pkce.verify_verifier(form.get("code_verifier"), code.code_challenge)
    issued = issue_tokens(ctx, TokenGrant(
        client_id=client.client_id, allowed_groups=client.allowed_groups,
        user_id=code.user_id, bap_id=code.bap_id, scope=code.scope,
        family_id=code.family_id, auth_time=code.auth_time, nonce=code.nonce,
        with_refresh=wants_refresh(ctx, code.scope),
    ), now)
    if not tokens.redeem_code(code.code_hash, now, issued.access, issued.refresh):
        tokens.revoke_family(code.family_id)
        raise invalid_grant("authorization code was already used; its tokens are revoked")
    return issued.response
