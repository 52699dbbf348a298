"""OIDC userinfo: which claims a scope set allows, and the Bearer access-token check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import OAuthError, invalid_token
from auth_server.oauth.credentials import hash_secret
from auth_server.store.models import OAuthClient
from auth_server.store.oauth_tokens import FoundToken


def claims_for(profile: dict[str, Any], scopes: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The user claims a scope set allows: identity always, profile/email/groups by scope."""
    claims: dict[str, Any] = {"sub": profile["sub"], "pubkey": profile.get("pubkey"), "bap_id": profile.get("bap_id")}
    if "profile" in scopes:
        for name in ("name", "given_name", "family_name", "preferred_username", "picture"):
            if profile.get(name) is not None:
                claims[name] = profile[name]
    if profile.get("subscriptionTier") is not None:  # only present when the server enables it
        claims["subscriptionTier"] = profile["subscriptionTier"]
    if "groups" in scopes:
        claims["groups"] = list(profile.get("groups", ()))
    if "email" in scopes and profile.get("email"):
        claims["email"] = profile["email"]
        claims["email_verified"] = bool(profile.get("email_verified", False))
    return {k: v for k, v in claims.items() if v is not None}


def active_access_token(ctx: ProviderContext, value: str | None) -> tuple[FoundToken, OAuthClient]:
    """The live access token ``value`` (with its user, read in the same statement) and its
    enabled client, or ``invalid_token`` (401). On PostgreSQL that is one statement when this
    instance holds a copy of the client at its current version."""
    if not value:  # RFC 6750 3.1: no error code in the challenge when no token was sent
        raise OAuthError("invalid_token", "a Bearer access token is required", 401, challenge='Bearer realm="sigil"')
    found = ctx.store.tokens.find_access(hash_secret(value))
    if found is None or found.token.revoked or ctx.clock() > found.token.expires_at:
        raise invalid_token("the access token is unknown, expired or revoked")
    client = ctx.store.clients.as_of(found.token.client_id, found.client_version)
    if client is None or client.disabled:
        raise invalid_token("the client of this access token is disabled")
    return found, client


def userinfo(ctx: ProviderContext, access_token: str | None,
             on_client: Callable[[OAuthClient], None] | None = None) -> dict[str, Any]:
    """The claims the access token's scopes allow about its user. ``on_client`` hears of the
    token's client once the token is found live (before its user is checked), so the
    web layer can answer that client's CORS request even when the user is gone."""
    found, client = active_access_token(ctx, access_token)
    if on_client is not None:
        on_client(client)
    profile = ctx.users.claims(found.profile, found.token.client_id)
    if profile is None:
        raise invalid_token("the user of this token no longer exists or is disabled")
    return claims_for(profile, found.token.scope.split())
