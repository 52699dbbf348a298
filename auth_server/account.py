"""The account page's rules: the signed-in user's sessions as the page lists them, ending one
of them, and signing out.

Every action takes the :class:`~auth_server.sessions.CurrentSession` the request proved, and
acts only on that user's rows: a session id from a form is a name the user typed, never a
permission (ending another user's session answers "nothing ended", the same as an unknown id).
The HTTP glue (:mod:`auth_server.web.account`) reads the form and renders; it never sees the
store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from auth_server.sessions import CurrentSession, close_session, live_sessions
from auth_server.store import Session, Store

#: longest user agent the page shows (the rest is cut; the column itself is unbounded)
MAX_SHOWN_USER_AGENT = 200

# (pattern, name), first match wins: Edge and Opera say "Chrome" too, Chrome says "Safari"
_BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)"), "Edge"),
    (re.compile(r"\bOPR/(\d+)"), "Opera"),
    (re.compile(r"\bFirefox/(\d+)"), "Firefox"),
    (re.compile(r"\bChromium/(\d+)"), "Chromium"),
    (re.compile(r"\b(?:Headless)?Chrome/(\d+)"), "Chrome"),
    (re.compile(r"\bVersion/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"), "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
)
_TOOLS = re.compile(r"^(curl|Wget|python-httpx|python-requests|node-fetch|undici|Go-http-client|okhttp)/?([\d.]*)",
                    re.IGNORECASE)


@dataclass(frozen=True)
class AccountSession:
    """One of the user's live sessions as the account page shows it."""

    session: Session
    current: bool  # the session this request came with
    device: str  # a short name for the user agent ("Firefox 128 on Linux"), or ""

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def user_agent(self) -> str:
        return (self.session.user_agent or "")[:MAX_SHOWN_USER_AGENT]


class Ended(Enum):
    """What asking to end a session did."""

    ENDED = "ended"
    NOT_FOUND = "not_found"  # no live session of this user by that id (unknown, gone, or someone else's)
    CURRENT = "current"  # the session of this request: that is signing out


def device_of(user_agent: str | None) -> str:
    """A short, human name for a ``User-Agent`` ("Chrome 131 on Windows"); "" when nothing is
    recognised. Only a label: a client can send any user agent, so it proves nothing."""
    if not user_agent:
        return ""
    tool = _TOOLS.match(user_agent)
    if tool:
        return f"{tool.group(1)} {tool.group(2)}".strip()
    browser = next((f"{name} {m.group(1)}" for pattern, name in _BROWSERS if (m := pattern.search(user_agent))), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


def account_sessions(store: Store, current: CurrentSession, now: float) -> list[AccountSession]:
    """The user's live sessions: this one first, then the others, newest first."""
    rows = [AccountSession(s, s.id == current.session.id, device_of(s.user_agent))
            for s in live_sessions(store, current.user.id, now)]
    rows.sort(key=lambda row: (not row.current, -row.session.created_at))
    return rows


def end_session(store: Store, current: CurrentSession, session_id: str) -> Ended:
    """End one of the signed-in user's other sessions (its cookie or bearer token stops
    working at once). The id must name a session of ``current.user``: one conditional
    delete, so another user's id ends nothing."""
    if session_id == current.session.id:
        return Ended.CURRENT
    if not session_id or not close_session(store, session_id, user_id=current.user.id):
        return Ended.NOT_FOUND
    return Ended.ENDED


def groups_of(store: Store, current: CurrentSession) -> list[str]:
    """The signed-in user's groups (what apps asking for the ``groups`` scope see)."""
    return store.groups.of_user(current.user.id)


def sign_out(store: Store, current: CurrentSession) -> None:
    """End the session of this request (the caller clears its cookie)."""
    close_session(store, current.session.id, user_id=current.user.id)
