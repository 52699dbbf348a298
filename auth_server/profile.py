"""The profile a signer puts in a signed sign-in body (docs/PROTOCOL.md section 6; issue 24):
``profile`` ``{name?, picture?, username?}``, ``shareProfile`` and ``clientId``.

Everything here is text from outside: a display name loses the characters that make text
read as something else (controls, bidi overrides and isolates, zero-width characters), a
picture is an https URL or an inline raster image (re-encoded by :mod:`auth_server.avatars`),
a username is a lowercase handle. Anything else is refused with a message that says what,
before anything is stored. Plain values in, a :class:`SignedProfile` out; :func:`served_avatar`
is the avatar endpoint's read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from auth_server.avatars import Avatar, PictureRefused, is_data_url, reencode, source_hash
from auth_server.display import clean_name as shown_name
from auth_server.store.profiles import AVATAR_PATH

MAX_NAME_LENGTH = 100
MAX_PICTURE_URL_LENGTH = 2048
MAX_CLIENT_ID_LENGTH = 128
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
PROFILE_FIELDS = frozenset({"name", "picture", "username"})
#: the keys whose presence means the token must cover the body
SIGNED_KEYS = ("profile", "shareProfile", "clientId")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


class ProfileRefused(ValueError):
    """The body's profile keys are malformed; ``str()`` is the client's 400 message."""


@dataclass(frozen=True)
class SignedProfile:
    """What a signed body says about its signer. ``present``: the body had a ``profile`` (then
    name and picture replace the stored ones, even with None); ``picture_url`` is an https URL
    given as is, ``avatar`` an inline picture already re-encoded (None when the store already
    has the image made from ``avatar_source``: see :func:`parse`)."""

    present: bool = False
    name: str | None = None
    username: str | None = None
    picture_url: str | None = None
    avatar: Avatar | None = None
    client_id: str | None = None
    share: bool | None = None
    #: the hash of the inline picture sent (its stored image's key), None for no inline picture
    avatar_source: str | None = None
    #: the id the inline picture is served under (already stored, or ``avatar``'s)
    avatar_id: str | None = None


def clean_name(value: str) -> str | None:
    """A display name as it may be shown (auth_server/display.py: controls, bidi overrides and
    isolates, zero-width characters removed, whitespace collapsed); None when nothing is left.
    Longer than :data:`MAX_NAME_LENGTH` stays longer, to be refused rather than cut."""
    return shown_name(value, max_length=len(value)) or None


def check_picture_url(value: str) -> str:
    """An https picture URL as given; :class:`ProfileRefused` for anything else."""
    if len(value) > MAX_PICTURE_URL_LENGTH:
        raise ProfileRefused(f"profile.picture: a URL of at most {MAX_PICTURE_URL_LENGTH} characters")
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise ProfileRefused("profile.picture: the URL must be printable ASCII without spaces")
    parts = urlsplit(value)
    if parts.scheme.lower() != "https" or not parts.hostname or "@" in parts.netloc:
        raise ProfileRefused("profile.picture: an https:// URL or a data:image/png|jpeg|webp;base64 picture")
    return value


def neutral_label(user_id: str) -> str:
    """What a user is called where no name is shared: never their address."""
    return "Sigil user " + hashlib.sha256(user_id.encode()).hexdigest()[:4]


def parse(data: dict[str, Any], known_avatar: Callable[[str], str | None] | None = None) -> SignedProfile:
    """The profile keys of a sign-in body; :class:`ProfileRefused` says what is wrong.
    ``known_avatar(source_hash) -> id or None`` names the image the store already made from an
    inline picture (then it is not decoded again)."""

    client_id, share, profile = data.get("clientId"), data.get("shareProfile"), data.get("profile")
    if client_id is not None and (not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID_LENGTH
                                  or not _PRINTABLE_ASCII.fullmatch(client_id)):
        raise ProfileRefused(f"clientId must be printable ASCII, at most {MAX_CLIENT_ID_LENGTH} characters")
    if share is not None and not isinstance(share, bool):
        raise ProfileRefused("shareProfile must be true or false")
    if share is not None and client_id is None:
        raise ProfileRefused("shareProfile needs the clientId it is for")
    if profile is None:
        return SignedProfile(client_id=client_id, share=share)
    if not isinstance(profile, dict):
        raise ProfileRefused("profile must be an object {name?, picture?, username?}")
    unknown = sorted(set(profile) - PROFILE_FIELDS)
    if unknown:
        raise ProfileRefused(f"profile has unknown fields: {', '.join(unknown)[:200]} (allowed: name, picture, username)")
    for field, value in profile.items():
        if not isinstance(value, str):
            raise ProfileRefused(f"profile.{field} must be a string")
    name = clean_name(profile["name"]) if "name" in profile else None
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise ProfileRefused(f"profile.name: at most {MAX_NAME_LENGTH} characters")
    username = profile.get("username")
    if username is not None and not USERNAME.fullmatch(username):
        raise ProfileRefused("profile.username: 3 to 32 of a-z 0-9 . _ -, starting with a letter or digit")
    picture = profile.get("picture") or None
    picture_url = avatar = None
    avatar_source = avatar_id = None
    if picture is not None and is_data_url(picture):
        avatar_source = source_hash(picture)
        avatar_id = known_avatar(avatar_source) if known_avatar is not None else None
        if avatar_id is None:
            try:
                avatar = reencode(picture)
            except PictureRefused as refused:
                raise ProfileRefused(f"profile.{refused}") from None
            avatar_id = avatar.avatar_id
    elif picture is not None:
        picture_url = check_picture_url(picture)
    return SignedProfile(True, name, username, picture_url, avatar, client_id, share, avatar_source, avatar_id)


__all__ = ["AVATAR_PATH", "ProfileRefused", "SignedProfile", "parse", "served_avatar"]
_AVATAR_ID = re.compile(r"[0-9a-f]{32}")


def served_avatar(store: Any, avatar_id: str) -> tuple[str, bytes] | None:
    """``(content type, bytes)`` of a stored picture (the avatar endpoint's one read), None for
    an id that is not one."""
    if not _AVATAR_ID.fullmatch(avatar_id):
        return None
    found: tuple[str, bytes] | None = store.avatars.get(avatar_id)
    return found
