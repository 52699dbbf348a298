"""Issuing access, refresh and id tokens for one grant.

Every grant ends the same way: given who the tokens are for (a :class:`TokenGrant`),
make the credentials, the rows that record their hashes and the JSON answer. The grant
decides when the rows are written (a code is redeemed and a refresh token rotated by one
conditional UPDATE each, in the same statement group as the new tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import invalid_grant
from auth_server.oauth.idtoken import id_token_claims
from auth_server.oauth.credentials import hash_secret, new_credential
from auth_server.oauth.userinfo import claims_for
from auth_server.store.models import IssuedToken


@dataclass(frozen=True)
class TokenGrant:
    """Who and what the tokens are for."""

    client_id: str
    user_id: str
    bap_id: str | None
    scope: str
    family_id: str
    auth_time: int | None = None
    nonce: str | None = None
    with_refresh: bool = False
    #: the client's allowed groups (empty: anyone); a user outside them gets no tokens
    allowed_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedTokens:
    """The answer for the client (holds the raw credentials) and the rows to store (hashes only)."""

    response: dict[str, Any]
    access: IssuedToken
    refresh: IssuedToken | None


def wants_refresh(ctx: ProviderContext, scope: str) -> bool:
    """A refresh token comes with ``offline_access``, or always when the server says so."""
    return "offline_access" in scope.split() or ctx.config.always_issue_refresh_token


def issue_tokens(ctx: ProviderContext, grant: TokenGrant, now: float) -> IssuedTokens:
    """New tokens for ``grant`` (nothing stored yet); ``invalid_grant`` if the user is gone or
    disabled, or no longer in a group the client allows (checked at every grant, so a user
    taken out of the group loses refresh)."""
    profile = ctx.users.profile(grant.user_id, grant.client_id)
    if profile is None:
        raise invalid_grant("the user of this grant no longer exists or is disabled")
    if grant.allowed_groups and set(grant.allowed_groups).isdisjoint(profile.get("groups", ())):
        raise invalid_grant("the user is not in a group allowed to use this app")
    config = ctx.config
    scopes = grant.scope.split()
    access_value = new_credential()
    access = IssuedToken(hash_secret(access_value), grant.family_id, grant.client_id, grant.user_id,
                         grant.bap_id, grant.scope, now, now + config.access_token_ttl, False)
    response: dict[str, Any] = {
        "access_token": access_value,
        "token_type": "Bearer",
        "expires_in": config.access_token_ttl,
        "scope": grant.scope,
    }
    refresh = None
    if grant.with_refresh:
        refresh_value = new_credential()
        refresh = IssuedToken(hash_secret(refresh_value), grant.family_id, grant.client_id, grant.user_id,
                              grant.bap_id, grant.scope, now, now + config.refresh_token_ttl, False, False,
                              grant.auth_time)
        response["refresh_token"] = refresh_value
    if "openid" in scopes:
        claims = id_token_claims(
            issuer=config.issuer, subject=profile["sub"], audience=grant.client_id,
            issued_at=int(now), expires_in=config.id_token_ttl, auth_time=grant.auth_time,
            nonce=grant.nonce, profile=claims_for(profile, scopes),
        )
        response["id_token"] = ctx.keys.sign(claims)
    return IssuedTokens(response, access, refresh)
