"""The HTTP layer: a bottle app factory plus one installer per feature.

``create_app(settings, store)`` builds a fresh app (tests build as many as they like),
installs error handling (JSON for every error, no tracebacks to clients; ``OAuthError``
answered in one plugin), builds the OAuth provider once, then calls each installer in
:data:`INSTALLERS` as ``install(app, parts)``. A new feature adds its module's
``install`` to that list. ``settings.base_url`` must be final when the app is built
(bind the socket first): it is the issuer.

Helpers for feature code: :mod:`auth_server.web.request_context` (``current_session``,
``require_session``, ``check_origin``, ``read_body``), :mod:`auth_server.client_errors` (``ApiError``, ``json_object``),
:mod:`auth_server.web.errors` (``ApiError``, ``json_response``, ``token_error_status``),
:mod:`auth_server.web.pages` (``render``, ``redirect``), :mod:`auth_server.web.forms`,
:mod:`auth_server.web.openapi` (``describe``).
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.config import Settings
from auth_server.forwarded import TrustedProxies, apply_forwarded
from auth_server.oauth.provider import build_provider
from auth_server.web import (
    account, admin_console, authorize, avatar, consents, device, discovery, health, invite, logout, openapi, pages,
    registration, sessions, signer_frame, signin, token_endpoints,
)
from auth_server.web.cors import CorsPlugin
from auth_server.web.errors import install_error_handling, json_response
from auth_server.web.request_context import body_limit
from auth_server.web.parts import Installer, ServerParts

INSTALLERS: list[Installer] = [
    health.install,
    signin.install,
    avatar.install,
    sessions.install,
    authorize.install,
    token_endpoints.install,
    discovery.install,
    device.install,
    logout.install,
    registration.install,
    consents.install,
    account.install,
    invite.install,
    admin_console.install,
    pages.install,
    signer_frame.install,
    openapi.install,
]


def create_app(settings: Settings, store: Any, keys: Any = None) -> bottle.Bottle:
    """A ready-to-serve WSGI app for ``settings`` on ``store`` (an :class:`auth_server.store.Store`,
    opened by :mod:`auth_server.serving.bootstrap`; here it is only handed on), signing with
    ``keys`` (:class:`~auth_server.oauth.signing_keys.SigningKeys`, opened at start; None:
    opened from the store now)."""
    app = bottle.Bottle(catchall=True)
    app.config["json.enable"] = False  # answers go through errors.json_response
    proxies = TrustedProxies(settings.trusted_proxies)
    # first of all, so that every route, error page and the access log see one client address
    app.add_hook("before_request", lambda: apply_forwarded(bottle.request.environ, proxies))
    install_error_handling(app, around_oauth=(CorsPlugin(),))
    app.add_hook("before_request", _refuse_large_bodies)
    parts = ServerParts(settings, store, build_provider(settings, store, keys))  # a bad id_token_alg fails here
    for install in INSTALLERS:
        install(app, parts)
    return app


def _refuse_large_bodies() -> None:
    """413 for a body over its route's limit (waitress already cut anything over the largest)."""
    limit = body_limit(bottle.request.path)
    if bottle.request.content_length > limit:
        raise json_response({"message": f"request body is larger than {limit} bytes", "code": "PAYLOAD_TOO_LARGE"},
                            413)


__all__ = ["create_app", "INSTALLERS", "Installer", "ServerParts"]
