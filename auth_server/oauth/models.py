"""The OAuth provider's records: clients, authorization codes, issued tokens, device requests.

Plain frozen dataclasses, free of SQL and HTTP: the store's repositories hand them out
and take them in, the provider reasons about them. Credentials appear only as their
SHA-256 hex (``*_hash`` fields), never in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: the client-authentication method of clients registered with a member pubkey
X_AUTH_TOKEN = "x_auth_token"
#: public clients (SPAs, native apps, CLIs): no credentials, PKCE only
PUBLIC = "none"
#: methods that authenticate with a client secret
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"
AUTH_METHODS: tuple[str, ...] = (X_AUTH_TOKEN, *SECRET_METHODS, PRIVATE_KEY_JWT, PUBLIC)


@dataclass(frozen=True)
class OAuthClient:
    """A relying party. ``token_endpoint_auth_method`` says how it proves itself (one of
    :data:`AUTH_METHODS`); only the fields of that method are set: ``member_pubkey``
    (``x_auth_token``), ``secret_hash`` (secret methods; with the previous secret's hash
    during a rotation's grace period), ``jwks`` or ``jwks_uri`` (``private_key_jwt``)."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    member_pubkey: str | None
    owner_bap_id: str | None
    trusted: bool
    disabled: bool
    created_at: float
    token_endpoint_auth_method: str = X_AUTH_TOKEN
    secret_hash: str | None = None
    previous_secret_hash: str | None = None
    previous_secret_expires_at: float | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    post_logout_redirect_uris: tuple[str, ...] = ()
    #: a secret client accepts both secret methods (real RPs differ in their default)
    #: unless its administrator pins the registered one (``--strict-auth-method``)
    strict_auth_method: bool = False

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC

    def as_dict(self) -> dict[str, Any]:
        """What ``clients show --json`` prints: the registration, never a secret or its hash."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "strict_auth_method": self.strict_auth_method,
            "member_pubkey": self.member_pubkey,
            "jwks_uri": self.jwks_uri,
            "jwks": self.jwks,
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
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
