"""``GET /api/auth/openapi.json``: an OpenAPI 3.1 document of every route of the app.

The document is built from the app's routes when asked, so routes added by any feature
installer appear without extra work: the summary and description come from the route
callback's docstring. Installers may add detail (parameters, bodies, responses) with
:func:`describe`; undocumented routes get a generic JSON answer.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import bottle

from auth_server import __version__
from auth_server.config import Settings
from auth_server.web.errors import json_response
from auth_server.web.parts import ServerParts

OPENAPI_PATH = "/api/auth/openapi.json"
_PARAM = re.compile(r"<([a-zA-Z_][a-zA-Z_0-9]*)(?::[^>]*)?>")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["message", "code"],
    "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
}


def describe(app: bottle.Bottle, method: str, path: str, **operation: Any) -> None:
    """Attach OpenAPI operation fields (``parameters``, ``requestBody``, ``responses``, ``tags``...)."""
    docs: dict[tuple[str, str], dict[str, Any]] = app.__dict__.setdefault("_sigil_openapi", {})
    docs.setdefault((method.upper(), path), {}).update(operation)


def _operation(route: bottle.Route, extra: dict[str, Any]) -> dict[str, Any]:
    doc = inspect.getdoc(route.callback) or ""
    summary, _, description = doc.partition("\n")
    op: dict[str, Any] = {"summary": summary.strip() or f"{route.method} {route.rule}"}
    if description.strip():
        op["description"] = description.strip()
    op["operationId"] = f"{route.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', route.rule).strip('_')}"
    params = _PARAM.findall(route.rule)
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
    op["responses"] = {"200": {"description": "success"}, "default": {"$ref": "#/components/responses/Error"}}
    op.update(extra)
    return op


def build_document(app: bottle.Bottle, settings: Settings) -> dict[str, Any]:
    docs: dict[tuple[str, str], dict[str, Any]] = app.__dict__.get("_sigil_openapi", {})
    paths: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        method = route.method.upper()
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            continue
        path = _PARAM.sub(r"{\1}", route.rule)
        paths.setdefault(path, {})[method.lower()] = _operation(route, docs.get((method, route.rule), {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Sigil auth server", "version": __version__,
                 "description": "Sigma Identity compatible auth server (Bitcoin key sign-in, sessions, OAuth 2.0)."},
        "servers": [{"url": settings.base_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {"Error": {"description": "an error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "securitySchemes": {
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "better-auth.session_token"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "xAuthToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
            },
        },
    }


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings = parts.settings
    def openapi() -> Any:
        """This OpenAPI 3.1 document."""
        return json_response(build_document(app, settings))

    app.route(OPENAPI_PATH, "GET", openapi)
