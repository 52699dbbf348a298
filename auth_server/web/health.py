"""``GET /healthz``: the process is up and its database answers."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server import __version__
from auth_server.web.errors import json_response
from auth_server.web.parts import ServerParts


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    store = parts.store

    def healthz() -> Any:
        """Liveness: 200 with `{"status": "ok"}` when the database answers, else 503."""
        if not store.answers():
            return json_response({"status": "error", "message": "database unavailable", "code": "DB_UNAVAILABLE"}, 503)
        return json_response({"status": "ok", "version": __version__})

    app.route("/healthz", "GET", healthz)
