"""Per-request helpers shared by all routes: body, client address, cookies, who is signed in, Origin.

The session cookie is Better Auth's: ``better-auth.session_token`` (with the
``__Secure-`` prefix when the base URL is https). Its value is the raw session token;
the database keeps only its SHA-256.
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.client_errors import ApiError
from auth_server.config import Settings, effective_origin, is_trusted_origin
from auth_server.forwarded import client_address
from auth_server.sessions import CurrentSession, Via, session_for_tokens

COOKIE_NAME = "better-auth.session_token"
MAX_BODY_BYTES = 64 * 1024
#: the sign-in's body may carry a profile picture (256 KiB, as base64 ~342 KiB): this route only
SIGN_IN_MAX_BODY_BYTES = 400 * 1024
#: what waitress lets through at all (the largest route limit); each route then applies its own
SERVER_MAX_BODY_BYTES = SIGN_IN_MAX_BODY_BYTES
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


#: routes whose bodies may be larger than MAX_BODY_BYTES, and their limit
ROUTE_BODY_LIMITS = {"/api/auth/sign-in/sigma": SIGN_IN_MAX_BODY_BYTES}


def body_limit(path: str) -> int:
    """The largest body the route at ``path`` takes. Waitress lets the largest route limit
    through (it knows no routes); a hook of ``create_app`` refuses the rest with this, before
    any route (some read forms through bottle and never reach :func:`read_body`)."""
    return ROUTE_BODY_LIMITS.get(path, MAX_BODY_BYTES)


def cookie_name(settings: Settings) -> str:
    return f"__Secure-{COOKIE_NAME}" if settings.secure_cookies else COOKIE_NAME


def read_body(request: bottle.BaseRequest | None = None, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw request body (exactly the bytes a token's body hash covers); 413 when too big."""
    request = request or bottle.request
    length = request.content_length
    if length > limit:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"request body is larger than {limit} bytes")
    if length <= 0 and not request.environ.get("HTTP_TRANSFER_ENCODING"):
        return b""
    try:
        data = request.body.read()
    except bottle.HTTPError:
        raise ApiError(400, "BAD_REQUEST", "request body could not be read") from None
    if len(data) > limit:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"request body is larger than {limit} bytes")
    return data


def client_ip(request: bottle.BaseRequest | None = None) -> str:
    """The client's address: the TCP peer, or what a trusted proxy forwarded (auth_server/forwarded.py)."""
    request = request or bottle.request
    return client_address(request.environ)


def bearer_token(request: bottle.BaseRequest | None = None) -> str | None:
    request = request or bottle.request
    header = request.get_header("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip(" \t")  # RFC 9110 whitespace, not str.strip()'s Unicode set
    if scheme.lower() == "bearer" and value:
        return value
    return None


def current_session(settings: Settings, store: Any, request: bottle.BaseRequest | None = None) -> CurrentSession | None:
    """The live session of the request (``Authorization: Bearer`` first, then the cookie), or None."""
    request = request or bottle.request
    candidates: list[tuple[Via, str]] = []
    bearer = bearer_token(request)
    if bearer:
        candidates.append(("bearer", bearer))
    cookie = request.get_cookie(cookie_name(settings))
    if cookie:
        candidates.append(("cookie", cookie))
    return session_for_tokens(store, candidates, settings.clock()) if candidates else None


def request_origin(request: bottle.BaseRequest | None = None) -> str | None:
    """The ``Origin`` header, or the origin of ``Referer`` when a browser left Origin out."""
    request = request or bottle.request
    return effective_origin(request.get_header("Origin"), request.get_header("Referer"))


def check_origin(settings: Settings, request: bottle.BaseRequest | None = None) -> None:
    """403 "Invalid origin" unless the request comes from the base URL or a trusted origin.

    Call it for cookie-authenticated state-changing requests (CSRF defence); requests
    that prove themselves with a Bearer token or a signed X-Auth-Token need no Origin.
    """
    if not is_trusted_origin(settings, request_origin(request)):
        raise ApiError(403, "INVALID_ORIGIN", "Invalid origin")


def require_session(settings: Settings, store: Any, request: bottle.BaseRequest | None = None) -> CurrentSession:
    """The current session, 401 without one; for state-changing cookie requests also the Origin check."""
    request = request or bottle.request
    current = current_session(settings, store, request)
    if current is None:
        raise ApiError(401, "UNAUTHORIZED", "not signed in")
    if current.via == "cookie" and request.method in STATE_CHANGING:
        check_origin(settings, request)
    return current


def set_session_cookie(settings: Settings, token: str, max_age: float, response: bottle.BaseResponse | None = None) -> None:
    response = response or bottle.response
    response.set_cookie(
        cookie_name(settings), token, path="/", httponly=True, samesite="lax",
        secure=settings.secure_cookies, max_age=int(max_age),
    )


def clear_session_cookie(settings: Settings, response: bottle.BaseResponse | None = None) -> None:
    response = response or bottle.response
    response.set_cookie(
        cookie_name(settings), "", path="/", httponly=True, samesite="lax",
        secure=settings.secure_cookies, max_age=0, expires=0,
    )
