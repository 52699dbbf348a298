"""The OAuth provider's records: clients, authorization codes, issued tokens, device requests.

Plain frozen dataclasses, free of SQL and HTTP: the store's repositories hand them out
and take them in, the provider reasons about them. Credentials appear only as their
SHA-256 hex (``*_hash`` fields), never in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    member_pubkey: str
    owner_bap_id: str | None
    trusted: bool
    disabled: bool
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "member_pubkey": self.member_pubkey,
            "owner_bap_id": self.owner_bap_id,
            "trusted": self.trusted,
            "disabled": self.disabled,
            "createdAt": self.created_at,
        }


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    user_id: str
    bap_id: str | None
    redirect_uri: str
    scope: str
    code_challenge: str
    nonce: str | None
    auth_time: int | None
    family_id: str
    expires_at: float
    used_at: float | None


@dataclass(frozen=True)
class IssuedToken:
    """An access or refresh token row (``rotated``/``auth_time`` only matter for refresh)."""

    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    bap_id: str | None
    scope: str
    issued_at: float
    expires_at: float
    revoked: bool
    rotated: bool = False
    auth_time: int | None = None


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code_hash: str
    user_code: str
    client_id: str
    scope: str
    status: str
    user_id: str | None
    bap_id: str | None
    auth_time: int | None
    interval: int
    last_polled_at: float | None
    expires_at: float
    created_at: float
