"""HTTP glue of dynamic client registration, ``POST /api/auth/oauth2/register`` (RFC 7591;
rules: :mod:`auth_server.oauth.registration`)."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.json_input import JSONInputError, load_json_object
from auth_server.oauth.endpoints import REGISTRATION_PATH
from auth_server.oauth.errors import OAuthError
from auth_server.oauth.registration import metadata_error, register, registration_response
from auth_server.web.request_context import bearer_token, read_body
from auth_server.web.errors import NO_STORE, ApiError, json_response
from auth_server.web.parts import ServerParts


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store = parts.settings, parts.store

    def register_client() -> Any:
        """Register a client (RFC 7591): JSON metadata, `Authorization: Bearer <initial access token>`."""
        if (bottle.request.content_type or "").split(";")[0].strip().lower() != "application/json":
            raise metadata_error("send the client metadata as application/json")
        try:
            body = load_json_object(read_body())
        except ApiError as exc:
            raise OAuthError("invalid_client_metadata", exc.message, exc.status) from None
        except JSONInputError as exc:
            raise metadata_error(str(exc)) from None
        new = register(store, settings.dynamic_registration, body, bearer_token())
        return json_response(registration_response(new), 201, NO_STORE)

    app.route(REGISTRATION_PATH, "POST", register_client, oauth="json")
