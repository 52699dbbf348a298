"""The HTTP layer: a bottle app factory plus one installer per feature.

``create_app(settings, store)`` builds a fresh app (tests build as many as they like),
installs JSON error handling (no HTML error pages, no tracebacks to clients), then
calls each installer in :data:`INSTALLERS` as ``install(app, settings, store)``. A new
feature adds its module's ``install`` to that list.

Helpers for feature code: :mod:`auth_server.web.context` (``current_session``,
``require_session``, ``check_origin``, ``read_body``, ``json_object``),
:mod:`auth_server.web.auth_token` (``verify_request_token``),
:mod:`auth_server.web.errors` (``ApiError``, ``json_response``, ``token_error_status``),
:mod:`auth_server.web.openapi` (``describe``).
"""

from __future__ import annotations

from collections.abc import Callable

import bottle

from auth_server.config import Settings
from auth_server.store import Store
from auth_server.web import device, health, oauth, openapi, sessions, signer_frame, signin
from auth_server.web.errors import install_error_handling

Installer = Callable[[bottle.Bottle, Settings, Store], None]

INSTALLERS: list[Installer] = [
    health.install,
    signin.install,
    sessions.install,
    oauth.install,
    device.install,
    signer_frame.install,
    openapi.install,
]


def create_app(settings: Settings, store: Store) -> bottle.Bottle:
    """A ready-to-serve WSGI app for ``settings`` on ``store``."""
    app = bottle.Bottle(catchall=True)
    app.config["json.enable"] = False  # answers go through errors.json_response
    install_error_handling(app)
    for install in INSTALLERS:
        install(app, settings, store)
    return app


__all__ = ["create_app", "INSTALLERS", "Installer"]
