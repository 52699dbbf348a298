"""OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414) and the id_token keys (JWKS)."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.oauth.grants import GRANTS
from auth_server.oauth.scopes import SUPPORTED_SCOPES
from auth_server.web.errors import json_response
from auth_server.web.parts import ServerParts
from auth_server.web.tokens import TOKEN_PATH

PUBLIC = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, provider = parts.settings, parts.provider
    auth_methods = provider.client_auth.method_names if provider.client_auth else []

    def discovery() -> Any:
        """OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414)."""
        b = provider.config.issuer
        return json_response({
            "issuer": b,
            "authorization_endpoint": b + "/oauth2/authorize",
            "token_endpoint": b + TOKEN_PATH,
            "userinfo_endpoint": b + "/api/auth/oauth2/userinfo",
            "jwks_uri": b + "/api/auth/jwks",
            "revocation_endpoint": b + "/api/auth/oauth2/revoke",
            "introspection_endpoint": b + "/api/auth/oauth2/introspect",
            "device_authorization_endpoint": b + "/api/auth/device/code",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANTS),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [settings.id_token_alg],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name",
                                 "picture", "email", "email_verified", "pubkey", "bap_id"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "introspection_endpoint_auth_methods_supported": auth_methods,
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
        }, 200, PUBLIC)

    def jwks() -> Any:
        """The public keys id_tokens are signed with (JWKS)."""
        return json_response(provider.keys.jwks(), 200, PUBLIC)

    for prefix in ("", "/api/auth"):
        app.route(prefix + "/.well-known/openid-configuration", "GET", discovery)
    app.route("/api/auth/jwks", "GET", jwks)
    app.route("/.well-known/jwks.json", "GET", jwks)
