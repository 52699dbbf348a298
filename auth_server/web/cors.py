"""CORS for browser clients (SPAs) at the token, userinfo, revocation and introspection
endpoints.

A browser may read an answer only when its page's origin is the origin of one of the
calling client's registered redirect URIs: the client authentication proved (or, at
userinfo, the access token's client). Preflights (``OPTIONS``) carry no credentials, so
they are answered for the origin of any registered client's redirect URI, and the real
request is then held to its own client's. Other origins get no CORS headers at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bottle

from auth_server.config import origin_of
from auth_server.store.models import OAuthClient
from auth_server.origins import is_client_origin, redirect_origins
from auth_server.web.client_auth import ENVIRON_KEY
from auth_server.web.errors import json_response

#: set by a route when the client is known another way (userinfo: the access token's client)
CLIENT_KEY = "sigil.cors_client"
ALLOW_HEADERS = "Authorization, Content-Type, X-Auth-Token"
MAX_AGE = "600"


def _request_client() -> OAuthClient | None:
    environ = bottle.request.environ
    if CLIENT_KEY in environ:
        return environ[CLIENT_KEY]
    parts = environ.get(ENVIRON_KEY)
    return parts.notes.get("client") if parts is not None else None


class CorsPlugin:
    """Adds ``Access-Control-Allow-Origin`` to the answers (errors included) of routes
    installed with ``cors=True``, when the Origin belongs to the request's client."""

    name = "cors"
    api = 2

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        if not route.config.get("cors"):
            return callback

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            answer = callback(*args, **kwargs)
            origin = bottle.request.get_header("Origin")
            client = _request_client()
            if origin and client is not None and origin_of(origin) in redirect_origins(client.redirect_uris):
                target = answer if isinstance(answer, bottle.HTTPResponse) else bottle.response
                target.set_header("Access-Control-Allow-Origin", origin_of(origin))
                target.set_header("Access-Control-Expose-Headers", "WWW-Authenticate")
                target.add_header("Vary", "Origin")
            return answer

        return wrapper


def install_preflights(app: bottle.Bottle, store: Any, paths: list[tuple[str, str]]) -> None:
    """``OPTIONS`` for each ``(path, methods)``: allowed for registered redirect origins only."""

    def preflight(methods: str) -> Callable[[], Any]:
        def answer() -> Any:
            origin = bottle.request.get_header("Origin")
            if not origin or not is_client_origin(store, origin_of(origin)):
                return json_response({"error": "origin_not_allowed",
                                      "error_description": "no registered client redirects to this origin"}, 403)
            return bottle.HTTPResponse("", 204, {
                "Access-Control-Allow-Origin": origin_of(origin),
                "Access-Control-Allow-Methods": methods,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": MAX_AGE,
                "Vary": "Origin",
            })

        answer.__doc__ = "CORS preflight for browser clients (origins of registered redirect URIs only)."
        return answer

    for path, methods in paths:
        app.route(path, "OPTIONS", preflight(methods))
