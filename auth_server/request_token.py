"""Verify an ``X-Auth-Token`` for an endpoint: the three strict rules plus single use.

Any endpoint that creates sessions or tokens calls :func:`verify_request_token`; the
window and the clock come from the settings, and the replay key is claimed in the
store until the token leaves the window, so a replay fails even under concurrency.
"""

from __future__ import annotations

from auth_server.config import Settings
from auth_server.crypto import AuthToken, TokenError, verify_token
from auth_server.store import Store


#: what a second use of a token is told
REPLAYED = "token was already used"


class MissingToken(TokenError):
    """No ``X-Auth-Token`` header was sent."""

    code = "missing_token"


class ReplayedToken(TokenError):
    """The token was already used once (tokens are single-use)."""

    code = "replayed"


def verify_request_token(
    header_value: str | None,
    path: str,
    body: str | bytes | None,
    settings: Settings,
    store: Store,
    *,
    claim: bool = True,
) -> AuthToken:
    """Verify ``header_value`` for ``path`` and ``body`` and claim it; return the token.

    ``body`` is what the signature must cover (``None`` or empty: no body hash).
    Raises :class:`MissingToken`, :class:`ReplayedToken` or a ``TokenError`` from
    :func:`auth_server.crypto.verify_token`; map them with
    :func:`auth_server.web.errors.token_error_status`.

    With ``claim=False`` the caller must call :func:`claim_token` itself, typically inside
    the ``store.write()`` transaction that also records what the token bought, so that
    everything costs one commit.
    """
    if not header_value:
        raise MissingToken("No auth token provided (X-Auth-Token header)")
    window = settings.token_window_seconds
    # RFC 9110 whitespace only: str.strip() would also drop no-break and other Unicode spaces
    token = verify_token(header_value.strip(" \t"), path, body, clock=settings.clock, window_seconds=window)
    if claim:
        claim_token(token, settings, store)
    return token


def replay_expiry(token: AuthToken, settings: Settings) -> float:
    """Until when a claim of ``token`` is remembered: until it cannot pass the freshness
    check any more. (``issued_at`` is the parsed timestamp: no re-parsing here, where
    callers often hold the writer lock.)"""
    return token.issued_at + settings.token_window_seconds + 1.0


def claim_token(token: AuthToken, settings: Settings, store: Store) -> None:
    """Mark ``token`` used; :class:`ReplayedToken` if it already was (atomic across threads)."""
    if not store.replay.claim(token.replay_key, replay_expiry(token, settings)):
        raise ReplayedToken(REPLAYED)
