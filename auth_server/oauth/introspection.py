"""Token introspection (RFC 7662), answering only about the asking client's own tokens."""

from __future__ import annotations

from typing import Any

from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import invalid_request
from auth_server.oauth.credentials import hash_secret
from auth_server.store.models import OAuthClient


def introspect(ctx: ProviderContext, client: OAuthClient, value: str | None, hint: str | None = None
               ) -> dict[str, Any]:
    """``{"active": false}`` for anything not live or not the client's; else the token's facts."""
    if not value:
        raise invalid_request("token is required")
    # one statement: the token, whichever kind it is (the hinted kind first), and its user
    # (and, on PostgreSQL, whether the client is still as it was authenticated)
    found = ctx.store.tokens.find(hash_secret(value), "refresh_token" if hint == "refresh_token" else "access_token",
                                  client)
    now = ctx.clock()
    if found is None:
        return {"active": False}
    token, kind = found.token, found.kind
    if token.client_id != client.client_id or token.revoked or token.rotated or now > token.expires_at:
        return {"active": False}
    profile = ctx.users.claims(found.profile)
    if profile is None:  # the user is gone or disabled
        return {"active": False}
    answer: dict[str, Any] = {
        "active": True,
        "scope": token.scope,
        "client_id": token.client_id,
        "token_type": "Bearer" if kind == "access_token" else "refresh_token",
        "exp": int(token.expires_at),
        "iat": int(token.issued_at),
        "sub": profile.get("sub", token.user_id),
        "aud": token.client_id,
        "iss": ctx.config.issuer,
    }
    if token.bap_id:
        answer["bap_id"] = token.bap_id
    if profile.get("pubkey"):
        answer["pubkey"] = profile["pubkey"]
    return answer
