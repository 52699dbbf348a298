"""Session endpoints with Better Auth's paths: get-session, sign-out, list-sessions, revoke-session."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.client_errors import json_object
from auth_server.oauth.users import described
from auth_server.sessions import close_session, close_session_by_token, live_sessions
from auth_server.web.request_context import (
    check_origin, clear_session_cookie, current_session, read_body, require_session,
)
from auth_server.web.errors import ApiError, json_response
from auth_server.web.openapi import describe
from auth_server.web.parts import ServerParts

_SESSION_AUTH = [{"sessionCookie": []}, {"bearer": []}]


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store = parts.settings, parts.store
    sub = settings.enable_subscription

    def get_session() -> Any:
        """The current session and its user, or `null` when not signed in.

        Authenticate with the session cookie or `Authorization: Bearer <session token>`.
        """
        current = current_session(settings, store)
        if current is None:
            return json_response(None, headers={"Cache-Control": "no-store"})
        user = {**current.user.to_json(subscription=sub), **described(current.user, settings.base_url)}
        return json_response({"session": current.session.to_json(subscription=sub), "user": user},
                             headers={"Cache-Control": "no-store"})

    def sign_out() -> Any:
        """Revoke the current session and clear the cookie."""
        current = current_session(settings, store)
        if current is not None:
            if current.via == "cookie":
                check_origin(settings)
            close_session(store, current.session.id)
        clear_session_cookie(settings)
        return json_response({"success": True})

    def list_sessions() -> Any:
        """The signed-in user's live sessions (never their tokens)."""
        current = require_session(settings, store)
        sessions = live_sessions(store, current.user.id, settings.clock())
        return json_response([dict(s.to_json(subscription=sub), current=s.id == current.session.id) for s in sessions])

    def revoke_session() -> Any:
        """Revoke one of the signed-in user's sessions, by `{"token"}` or `{"id"}`."""
        current = require_session(settings, store)
        body = json_object(read_body())
        token, session_id = body.get("token"), body.get("id")
        if isinstance(token, str) and token:
            revoked = close_session_by_token(store, token, user_id=current.user.id)
        elif isinstance(session_id, str) and session_id:
            revoked = close_session(store, session_id, user_id=current.user.id)
        else:
            raise ApiError(400, "BAD_REQUEST", 'send {"token": ...} or {"id": ...}')
        if revoked and (token == current.token or session_id == current.session.id):
            clear_session_cookie(settings)
        return json_response({"status": revoked})

    app.route("/api/auth/get-session", "GET", get_session)
    app.route("/api/auth/sign-out", "POST", sign_out)
    app.route("/api/auth/list-sessions", "GET", list_sessions)
    app.route("/api/auth/revoke-session", "POST", revoke_session)
    for method, path in (("GET", "/api/auth/get-session"), ("POST", "/api/auth/sign-out"),
                         ("GET", "/api/auth/list-sessions"), ("POST", "/api/auth/revoke-session")):
        describe(app, method, path, tags=["sessions"], security=_SESSION_AUTH)
    describe(app, "POST", "/api/auth/revoke-session", requestBody={"content": {"application/json": {"schema": {
        "type": "object", "properties": {"token": {"type": "string"}, "id": {"type": "string"}}}}}})
