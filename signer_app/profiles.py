"""The public profile each identity shows apps (``GET``/``POST /api/profile``).

TokenPass keeps one small record per wallet: a display name, a paymail, a logo and an
icon. Sigil keeps one per identity, so identities stay apart, in a JSON file next to the
grants; it holds nothing secret. Every field is checked before anything is written:
``displayName`` has at most 100 characters, ``paymail`` is an e-mail address, ``logo`` and
``icon`` are http(s) URLs. Sigil adds what its sign-in carries to the server (docs/PROTOCOL.md):
``username``, a lowercase handle, and ``picture``, an https URL.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

MAX_DISPLAY_NAME = 100
MAX_URL = 2048
MAX_PAYMAIL = 254
FIELDS = ("displayName", "paymail", "logo", "icon", "username", "picture")
#: the handle a server keeps for an identity (``preferred_username``): lowercase, so apps that
#: lowercase names keep it exact
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}", re.ASCII)

# local@domain.tld, ASCII only (paymail handles are addresses people type into wallets)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+", re.ASCII)


class ProfileError(ValueError):
    """A field that fails validation; the message names it (the API answers 400)."""


def _url(value: str, name: str) -> str:
    if len(value) > MAX_URL or any(ord(c) <= 32 or ord(c) == 127 for c in value):
        raise ProfileError(f"{name} must be an http(s) URL of at most {MAX_URL} characters, without spaces")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ProfileError(f"{name} must be an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProfileError(f"{name} must be an http(s) URL")
    return value


def validate_profile(data: dict[str, object]) -> dict[str, str | None]:
    """The fields of ``data`` that are profile fields, checked; ``None`` or ``""`` clears one."""
    clean: dict[str, str | None] = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if value is None or value == "":
            clean[name] = None
            continue
        if not isinstance(value, str):
            raise ProfileError(f"{name} must be a string")
        value = value.strip()
        if name == "displayName":
            if len(value) > MAX_DISPLAY_NAME or any(ord(c) < 32 for c in value):
                raise ProfileError(f"displayName must be at most {MAX_DISPLAY_NAME} characters, without control characters")
            clean[name] = value
        elif name == "paymail":
            if len(value) > MAX_PAYMAIL or not _EMAIL.fullmatch(value):
                raise ProfileError("paymail must be an e-mail address such as alice@example.com")
            clean[name] = value
        elif name == "username":
            if not USERNAME.fullmatch(value):
                raise ProfileError("username must be 3 to 32 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
            clean[name] = value
        else:
            clean[name] = _url(value, name)
    return clean


class ProfileStore:
    """Profiles by BAP ID in one JSON file, written whole and atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, bap_id: str) -> dict[str, str]:
        with self._lock:
            record = self._load().get(bap_id)
        return {k: v for k, v in record.items() if k in FIELDS and isinstance(v, str)} if isinstance(record, dict) else {}

    def update(self, bap_id: str, changes: dict[str, str | None]) -> dict[str, str]:
        """Merge validated ``changes`` (``None`` removes a field); returns the stored record."""
        with self._lock:
            profiles = self._load()
            record = {k: v for k, v in dict(profiles.get(bap_id) or {}).items() if k in FIELDS}
            for name, value in changes.items():
                if value is None:
                    record.pop(name, None)
                else:
                    record[name] = value
            profiles[bap_id] = record
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(profiles, indent=1, ensure_ascii=False), "utf-8")
            os.replace(tmp, self.path)
        return record
