"""The id_token's claims; the keys that sign it live in :mod:`auth_server.oauth.signing_keys`
(in the store, shared by every instance, rotated with overlap) and are re-exported here."""

from __future__ import annotations

from typing import Any

from auth_server.oauth.signing_keys import SUPPORTED_ALGS, SigningKeys

__all__ = ["SUPPORTED_ALGS", "SigningKeys", "id_token_claims"]


def id_token_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    issued_at: int,
    expires_in: int,
    auth_time: int | None,
    nonce: str | None,
    profile: dict[str, Any],
) -> dict[str, Any]:
    """The OIDC Core 2 claims plus the profile claims the scopes allow."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + expires_in,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if nonce:
        claims["nonce"] = nonce
    for name, value in profile.items():
        if name not in claims and value is not None:
            claims[name] = value
    return claims
