"""Plain records handed out by the repositories (no SQL, no framework objects)."""

from __future__ import annotations

from dataclasses import dataclass
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

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            row["id"], row["pubkey"], row["name"], row["image"], row["email"], bool(row["emailVerified"]),
            row["bapId"], row["subscriptionTier"], row["createdAt"], row["updatedAt"],
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
