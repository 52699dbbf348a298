"""What every grant does, in one place: the client's ownership of what it presents, the
user's right to tokens, scope narrowing, and issuing the tokens.

A grant module (``authorization_code``, ``refresh_token``, ``device_code``) keeps only its
own checks; it ends by describing who the tokens are for (a :class:`TokenGrant`) and
calling :func:`issue_tokens`, or, when the store writes the rows itself in the same
call that spends the grant (a code, see :meth:`~auth_server.store.codes.CodeRepository.redeem`),
:func:`new_credentials` before and :func:`answer` after. The client itself was
authenticated before the grant runs (:mod:`auth_server.oauth.client_auth`, in
:meth:`~auth_server.oauth.provider.Provider.token_endpoint`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auth_server.oauth.credentials import hash_secret, new_credential
from auth_server.oauth.errors import OAuthError, invalid_client, invalid_grant
from auth_server.oauth.idtoken import id_token_claims
from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.scopes import covers, format_scope, parse_scope
from auth_server.oauth.userinfo import claims_for
from auth_server.store.models import IssuedToken, OAuthClient


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
class Credentials:
    """Fresh raw token values (for the answer) and their hashes (for the store)."""

    access: str
    access_hash: str
    refresh: str | None
    refresh_hash: str | None


@dataclass(frozen=True)
class IssuedTokens:
    """The answer for the client (holds the raw credentials) and the rows to store (hashes only)."""

    response: dict[str, Any]
    access: IssuedToken
    refresh: IssuedToken | None


def check_client_id(client: OAuthClient, form: Mapping[str, str]) -> None:
    """A ``client_id`` in the form must name the client that authenticated."""
    if form.get("client_id") and form["client_id"] != client.client_id:
        raise invalid_client("client_id does not match the authenticated client")


def owned_by(client_id: str | None, client: OAuthClient, what: str) -> None:
    """A code, refresh token or device code of another client is, to this one, unknown."""
    if client_id != client.client_id:
        raise invalid_grant(f"unknown {what}")


def new_family() -> str:
    """The id shared by every token one grant leads to (revoked together on reuse)."""
    return secrets.token_hex(16)


def wants_refresh(ctx: ProviderContext, scope: str) -> bool:
    """A refresh token comes with ``offline_access``, or always when the server says so.
    (The code exchange's store call applies the same rule, on PostgreSQL in SQL.)"""
    return "offline_access" in scope.split() or ctx.config.always_issue_refresh_token


def narrow_scope(granted: str, requested: str | None) -> str:
    """RFC 6749 6: a refresh may ask for less than was granted, never more."""
    if not requested:
        return granted
    narrowed = parse_scope(requested)
    if not narrowed or not covers(granted, narrowed):
        raise OAuthError("invalid_scope", "a refresh cannot widen the granted scope")
    return format_scope(narrowed)


def entitled_user(ctx: ProviderContext, grant: TokenGrant) -> dict[str, Any]:
    """The user's claims; ``invalid_grant`` if the user is gone or disabled, or no longer in a
    group the client allows (checked at every grant, so a user taken out of the group loses
    refresh)."""
    profile = ctx.users.profile(grant.user_id, grant.client_id)
    if profile is None:
        raise invalid_grant("the user of this grant no longer exists or is disabled")
    if grant.allowed_groups and set(grant.allowed_groups).isdisjoint(profile.get("groups", ())):
        raise invalid_grant("the user is not in a group allowed to use this app")
    return profile


def new_credentials(with_refresh: bool) -> Credentials:
    access = new_credential()
    refresh = new_credential() if with_refresh else None
    return Credentials(access, hash_secret(access), refresh, hash_secret(refresh) if refresh else None)


def answer(ctx: ProviderContext, grant: TokenGrant, credentials: Credentials, profile: dict[str, Any],
           now: float) -> dict[str, Any]:
    """The token response (RFC 6749 5.1), with an id_token when ``openid`` was granted.
    ``credentials.refresh`` is answered only when ``grant.with_refresh``."""
    config = ctx.config
    response: dict[str, Any] = {
        "access_token": credentials.access,
        "token_type": "Bearer",
        "expires_in": config.access_token_ttl,
        "scope": grant.scope,
    }
    if grant.with_refresh and credentials.refresh is not None:
        response["refresh_token"] = credentials.refresh
    scopes = grant.scope.split()
    if "openid" in scopes:
        claims = id_token_claims(
            issuer=config.issuer, subject=profile["sub"], audience=grant.client_id,
            issued_at=int(now), expires_in=config.id_token_ttl, auth_time=grant.auth_time,
            nonce=grant.nonce, profile=claims_for(profile, scopes),
        )
        response["id_token"] = ctx.keys.sign(claims)
    return response


def issue_tokens(ctx: ProviderContext, grant: TokenGrant, now: float) -> IssuedTokens:
    """New tokens for ``grant`` (nothing stored yet: the grant stores the rows in the same
    write that spends what it was given); ``invalid_grant`` per :func:`entitled_user`."""
    profile = entitled_user(ctx, grant)
    config = ctx.config
    credentials = new_credentials(grant.with_refresh)
    access = IssuedToken(credentials.access_hash, grant.family_id, grant.client_id, grant.user_id,
                         grant.bap_id, grant.scope, now, now + config.access_token_ttl, False)
    refresh = None
    if credentials.refresh_hash is not None:
        refresh = IssuedToken(credentials.refresh_hash, grant.family_id, grant.client_id, grant.user_id,
                              grant.bap_id, grant.scope, now, now + config.refresh_token_ttl, False, False,
                              grant.auth_time)
    return IssuedTokens(answer(ctx, grant, credentials, profile, now), access, refresh)
