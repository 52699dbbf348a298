"""How a user is described to an app: the OIDC claims of a stored user (the ``UserDirectory``
the provider asks) and the ``user`` of the Sigma sign-in answer and of get-session.

One place decides what an app learns: the name and picture of the user's signed profile only
when they share them with that app (they do unless they said no), a neutral "Sigil user
xxxx" where a label is needed and no name is shared (never the Bitcoin address), and the
user's handle on this server as ``preferred_username``."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from auth_server.crypto import bap_id_from_pubkey
from auth_server.profile import neutral_label
from auth_server.store.groups import GroupRepository
from auth_server.store.models import User
from auth_server.store.profiles import AVATAR_PATH
from auth_server.store.users import UserProfile, UserRepository, username_base


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


def picture_url(user: User, base_url: str) -> str | None:
    """The user's picture as a URL an app can fetch: an https URL as the profile gave it, or
    this server's avatar URL for a picture it re-encoded."""
    image = user.image
    if image and image.startswith(AVATAR_PATH):
        return base_url.rstrip("/") + image
    return image or None


def own_picture(user: User, base_url: str) -> str | None:
    """The picture URL for this server's own pages: only an avatar it serves itself (the pages'
    CSP allows images from this server only, and an outside URL would tell its host who looks)."""
    image = user.image
    return base_url.rstrip("/") + image if image and image.startswith(AVATAR_PATH) else None


def handle(user: User) -> str:
    """The user's handle on this server (a user made before their first sign-in and not yet
    given one is shown the handle they will get)."""
    return user.username or username_base(user.bap_id, user.pubkey)


def described(user: User, base_url: str, *, shared: bool = True) -> dict[str, Any]:
    """``name`` and ``image`` of the Sigma answers (sign-in, get-session): the profile's when
    shared, else the neutral label and no picture."""
    if shared and user.profile_name:
        return {"name": user.profile_name, "image": picture_url(user, base_url), "username": handle(user)}
    return {"name": neutral_label(user.id), "image": picture_url(user, base_url) if shared else None,
            "username": handle(user)}


class StoreUserDirectory:
    """Claims from the ``user`` table: ``sub`` is the user id, the identity is the pubkey.

    ``name`` and ``picture`` are those of the user's signed profile, given to a client only
    when the user shares them with it (``profile_share``, read with the row; no claim at all
    without a shared name);
    ``preferred_username`` is the user's handle, unique on this server and stable, a login
    name apps may use; ``email`` is the address the user set on the identity,
    never verified by Sigil (``email_verified`` is false); ``groups`` are the user's groups.
    A disabled user has no profile: every grant, userinfo and introspection then treats
    them as gone.
    """

    def __init__(self, users: UserRepository, groups: GroupRepository, *, subscription: bool = False,
                 base_url: str = "") -> None:
        self.users = users
        self.groups = groups
        self.subscription = subscription
        self.base_url = base_url

    def profile(self, user_id: str, client_id: str | None = None) -> dict[str, Any] | None:
        """The user's claims; for ``client_id``, name and picture only if shared with it."""
        return self.claims(self.users.profile(user_id), client_id)

    def claims(self, record: UserProfile | None, client_id: str | None = None) -> dict[str, Any] | None:
        """The claims of a user read with its groups (by ``users.profile`` or in a grant's own
        statement); None for no user or a disabled one. For ``client_id``: name and picture only
        when the user shares them with that client."""
        if record is None or record.user.disabled:
            return None
        user = record.user
        bap_id = user.bap_id or _bap_id(user.pubkey)
        shared = client_id is None or client_id not in record.unshared_clients
        claims: dict[str, Any] = {
            "sub": user.id,
            "name": user.profile_name if shared else None,
            "preferred_username": handle(user),
            "picture": picture_url(user, self.base_url) if shared else None,
            "pubkey": user.pubkey,
            "bap_id": bap_id,
            "email": user.email,
            "email_verified": user.email_verified,
            "groups": list(record.groups),
        }
        if self.subscription:
            claims["subscriptionTier"] = user.subscription_tier or "free"
        return claims
