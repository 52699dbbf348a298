"""HTTP glue of dynamic client registration, ``POST /api/auth/oauth2/register`` (RFC 7591;
rules: :mod:`auth_server.oauth.registration`)."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.json_input import JSONInputError, load_json_object
from auth_server.oauth.endpoints import REGISTRATION_PATH
from auth_server.oauth.errors import OAuthError
from auth_server.oauth.registration import (
    REGISTRATION_WINDOW_SECONDS, REGISTRATIONS_PER_ADDRESS, metadata_error, register, registration_response,
)
from auth_server.ratelimit import RateLimiter, retry_after_header
from auth_server.web.request_context import bearer_token, client_ip, read_body
from auth_server.web.errors import NO_STORE, ApiError, json_response
from auth_server.web.parts import ServerParts


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store = parts.settings, parts.store
    limiter = RateLimiter.from_settings(settings, "register-ip", REGISTRATIONS_PER_ADDRESS,
                                        REGISTRATION_WINDOW_SECONDS)

    def register_client() -> Any:
        """Register a client (RFC 7591): JSON metadata, `Authorization: Bearer <initial access token>`.

        Limited per client address (429 with `Retry-After`), counted before anything is read."""
        retry = limiter.hit(client_ip())
        if retry is not None:
            raise OAuthError("temporarily_unavailable", "too many client registrations from this address; "
                             "try again later", 429, retry_after_header(retry))
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
