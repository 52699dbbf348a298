"""Token revocation (RFC 7009); revoking a refresh token ends its whole family."""

from __future__ import annotations

from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import invalid_request
from auth_server.oauth.credentials import hash_secret
from auth_server.store.models import OAuthClient


def revoke(ctx: ProviderContext, client: OAuthClient, value: str | None, hint: str | None = None) -> None:
    """Unknown tokens and other clients' tokens are silently ignored (RFC 7009 2.2)."""
    if not value:
        raise invalid_request("token is required")
    tokens = ctx.store.tokens
    digest = hash_secret(value)
    if hint != "access_token":
        refresh = tokens.get_refresh(digest)
        if refresh is not None and refresh.client_id == client.client_id:
            tokens.revoke_family(refresh.family_id)
            return
    tokens.revoke_access(digest, client.client_id)
