"""Plain records handed out by the repositories (no SQL, no framework objects).

Users and sessions of the Sigma sign-in, and the OAuth provider's records: clients,
authorization codes, issued tokens, device requests. They live with the store, the
bottom layer, so that the store returns its own types and the provider above reasons
about them. Credentials appear only as their SHA-256 hex (``*_hash`` fields), never in
clear."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def iso(seconds: float | None) -> str | None:
    """Unix seconds as ISO-8601 UTC with milliseconds (what Better Auth answers)."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class User:
    id: str
    pubkey: str
    name: str
    image: str | None
    email: str | None
    email_verified: bool
    bap_id: str | None
    subscription_tier: str | None
    created_at: float
    updated_at: float
    disabled: bool = False  # locked out by an administrator: no sign-in, no session, no token
    #: the user's handle on this server (unique, lowercase): the ``preferred_username`` claim
    username: str | None = None
    #: the display name of the user's last signed profile (``name`` is the administrator's label)
    profile_name: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            row["id"], row["pubkey"], row["name"], row["image"], row["email"], bool(row["emailVerified"]),
            row["bapId"], row["subscriptionTier"], row["createdAt"], row["updatedAt"], bool(row["disabled"]),
            row["username"], row["profileName"],
        )

    def to_json(self, *, subscription: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "pubkey": self.pubkey,
            "name": self.name,
            "image": self.image,
            "email": self.email,
            "emailVerified": self.email_verified,
            "bapId": self.bap_id,
            "username": self.username,
            "profileName": self.profile_name,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if subscription:
            data["subscriptionTier"] = self.subscription_tier
        return data


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    expires_at: float
    ip_address: str | None
    user_agent: str | None
    bap_id: str | None
    subscription_tier: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> Session:
        return cls(
            row["id"], row["userId"], row["expiresAt"], row["ipAddress"], row["userAgent"], row["bapId"],
            row["subscriptionTier"], row["createdAt"], row["updatedAt"],
        )

    def to_json(self, *, subscription: bool = False) -> dict[str, Any]:
        """The session as answered to its owner; the token itself is never stored, so never here."""
        data: dict[str, Any] = {
            "id": self.id,
            "userId": self.user_id,
            "expiresAt": iso(self.expires_at),
            "ipAddress": self.ip_address,
            "userAgent": self.user_agent,
            "bapId": self.bap_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if subscription:
            data["subscriptionTier"] = self.subscription_tier
        return data

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
    #: registered by RFC 7591 dynamic registration, not by an administrator: a stranger
    #: (no signer frame, only public addresses fetched, logout redirects need an id_token)
    self_registered: bool = False
    #: only members of one of these groups may use the app (empty: everyone on the server)
    allowed_groups: tuple[str, ...] = ()
    #: PostgreSQL: the row's version when it was read (its ``xmin``, which every update
    #: changes), so that a statement acting for the client can check that what it was
    #: authenticated with is still current (:meth:`~auth_server.store.clients.ClientRepository.recent`);
    #: None on SQLite, whose reads are always fresh
    version: str | None = field(default=None, compare=False)

    def admits(self, groups: list[str] | tuple[str, ...]) -> bool:
        """Whether a user in ``groups`` may use this app."""
        return not self.allowed_groups or not set(self.allowed_groups).isdisjoint(groups)

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
            "allowed_groups": list(self.allowed_groups),
            "member_pubkey": self.member_pubkey,
            "jwks_uri": self.jwks_uri,
            "jwks": self.jwks,
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "owner_bap_id": self.owner_bap_id,
            "trusted": self.trusted,
            "self_registered": self.self_registered,
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


@dataclass(frozen=True)
class Group:
    """A named set of users; apps see the names in the ``groups`` claim."""

    name: str
    description: str
    created_at: float
    members: int = 0


@dataclass(frozen=True)
class Invitation:
    """An invitation (its code is never stored, only its hash): who it lets in and how often."""

    id: str
    groups: tuple[str, ...]
    uses_left: int
    uses: int
    note: str
    expires_at: float
    created_at: float
    created_by: str
    revoked_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> Invitation:
        import json

        return cls(row["id"], tuple(json.loads(row["groups"])), row["usesLeft"], row["uses"], row["note"],
                   row["expiresAt"], row["createdAt"], row["createdBy"], row["revokedAt"])

    def state(self, now: float) -> str:
        """``usable``, ``used up``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "usable" if self.uses_left > 0 else "used up"

    def to_json(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "groups": list(self.groups), "uses": self.uses, "uses_left": self.uses_left,
                "note": self.note, "expires_at": iso(self.expires_at), "created_at": iso(self.created_at),
                "created_by": self.created_by, "state": self.state(now)}


@dataclass(frozen=True)
class AdmittedIdentity:
    """A BAP identity let in ahead of time: its first sign-in makes the account."""

    bap_id: str
    name: str | None
    groups: tuple[str, ...]
    created_at: float


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to what, when (never a secret)."""

    id: str
    at: float
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "actor": self.actor, "action": self.action, "target": self.target,
                "detail": self.detail}
