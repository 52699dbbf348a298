"""Sign-in sessions as the HTTP layer sees them: who a session token stands for, and ending sessions.

A request may carry a session token twice (``Authorization: Bearer`` and the session
cookie); :func:`session_for_tokens` takes the first one that names a live session of an
existing user. The web layer reads the tokens off the request and calls these rules; it
never talks to the session or user repositories itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from auth_server.store import Session, Store, User

#: longer values are not session tokens (ours are 32 bytes of base64url): no database look-up
MAX_TOKEN_LENGTH = 512

Via = Literal["cookie", "bearer"]


@dataclass(frozen=True)
class CurrentSession:
    """Who is signed in on this request, and how the request proved it."""

    session: Session
    user: User
    via: Via
    token: str

    @property
    def bap_id(self) -> str | None:
        """The identity this session signed in as (the session's own, else the user's)."""
        return self.session.bap_id or self.user.bap_id

    @property
    def auth_time(self) -> int:
        """When the user signed in (OIDC ``auth_time``)."""
        return int(self.session.created_at)


def session_for_tokens(store: Store, candidates: Iterable[tuple[Via, str]], now: float) -> CurrentSession | None:
    """The first of ``candidates`` (how it came, the token) that is a live session of a user, or None."""
    for via, token in candidates:
        if len(token) > MAX_TOKEN_LENGTH:
            continue
        session = store.sessions.get_by_token(token, now)
        if session is None:
            continue
        user = store.users.get(session.user_id)
        if user is not None and not user.disabled:  # disabling ends sessions; this holds if one slipped in
            return CurrentSession(session, user, via, token)
    return None


def live_sessions(store: Store, user_id: str, now: float) -> list[Session]:
    """The user's sessions that have not expired, oldest first."""
    return store.sessions.list_for_user(user_id, now)


def close_session(store: Store, session_id: str, *, user_id: str | None = None) -> bool:
    """Revoke one session (only if it is ``user_id``'s, when given); False when there was none."""
    return store.sessions.revoke(session_id, user_id=user_id)


def close_session_by_token(store: Store, token: str, *, user_id: str) -> bool:
    """Revoke the session ``token`` stands for, if it is ``user_id``'s; False when there was none."""
    return store.sessions.revoke_token(token, user_id=user_id)


def change_email(store: Store, user_id: str, email: str | None, now: float) -> User | None:
    """Set (None: clear) the e-mail apps see for the signed-in user; the user as changed, or
    None when another user has that address. ``email`` is already clean
    (:func:`auth_server.oauth.users.clean_email`)."""
    if not store.users.set_email(user_id, email, now):
        return None
    return store.users.get(user_id)
