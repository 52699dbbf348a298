"""What the JSON API shares below HTTP: the error a client caused, and reading a JSON body.

Rules modules (``auth_server/signin.py``, the rate limits) raise :class:`ApiError`; the web
layer turns it into ``{"message", "code"}`` with its status (``auth_server/web/errors.py``).
"""

from __future__ import annotations

from typing import Any

from auth_server.json_input import JSONInputError, load_json_object


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
    try:
        return load_json_object(raw)
    except JSONInputError as exc:
        raise ApiError(400, "INVALID_JSON", str(exc)) from None
