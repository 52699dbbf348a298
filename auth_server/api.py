"""What the JSON API shares below HTTP: the error a client caused, and reading a JSON body.

Rules modules (``auth_server/signin.py``, the rate limits) raise :class:`ApiError`; the web
layer turns it into ``{"message", "code"}`` with its status (``auth_server/web/errors.py``).
"""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """An error a client caused; becomes ``{"message", "code"}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse a JSON object body; an empty body is ``{}``; anything else is a 400."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "INVALID_JSON", "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "INVALID_JSON", "request body must be a JSON object")
    return data
