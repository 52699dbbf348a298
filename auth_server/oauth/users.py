"""OIDC claims of a stored user (the ``UserDirectory`` the provider asks)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from auth_server.crypto import bap_id_from_pubkey
from auth_server.store.groups import GroupRepository
from auth_server.store.users import UserProfile, UserRepository


_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+")
MAX_EMAIL_LENGTH = 254


def clean_email(value: str | None) -> str | None:
    """An e-mail address as the user typed it (trimmed, domain lower-cased), None for empty;
    ``ValueError`` when it does not look like ``name@host.domain``. It is never verified."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(text):
        raise ValueError("that does not look like an e-mail address (name@example.org)")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


@lru_cache(maxsize=4096)
def _bap_id(pubkey: str) -> str:
    """BAP ID of a member key (pure, and two base58 encodings per call: worth caching)."""
    return bap_id_from_pubkey(pubkey)


class StoreUserDirectory:
    """Claims from the ``user`` table: ``sub`` is the user id, the identity is the pubkey.

    ``name`` (and ``given_name``, for apps that want one) is the user's display name, by
    default their Bitcoin address; ``preferred_username`` is the BAP ID, a stable handle
    apps may use as a login name; ``email`` is the address the user set on the identity,
    never verified by Sigil (``email_verified`` is false); ``groups`` are the user's groups.
    A disabled user has no profile: every grant, userinfo and introspection then treats
    them as gone.
    """

    def __init__(self, users: UserRepository, groups: GroupRepository, *, subscription: bool = False) -> None:
        self.users = users
        self.groups = groups
        self.subscription = subscription

    def profile(self, user_id: str) -> dict[str, Any] | None:
        return self.claims(self.users.profile(user_id))

    def claims(self, record: UserProfile | None) -> dict[str, Any] | None:
        """The claims of a user read with its groups (by ``users.profile`` or in a grant's own
        statement); None for no user or a disabled one."""
        if record is None or record.user.disabled:
            return None
        user = record.user
        bap_id = user.bap_id or _bap_id(user.pubkey)
        claims: dict[str, Any] = {
            "sub": user.id,
            "name": user.name,
            "given_name": user.name,
            "preferred_username": bap_id,
            "picture": user.image,
            "pubkey": user.pubkey,
            "bap_id": bap_id,
            "email": user.email,
            "email_verified": user.email_verified,
            "groups": list(record.groups),
        }
        if self.subscription:
            claims["subscriptionTier"] = user.subscription_tier or "free"
        return claims
