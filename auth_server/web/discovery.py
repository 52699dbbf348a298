"""Provider metadata and the id_token keys (JWKS).

The canonical discovery document is ``{issuer}/.well-known/openid-configuration`` (OIDC
Discovery 1.0); ``{issuer}/.well-known/oauth-authorization-server`` (RFC 8414) answers
the same metadata. ``/api/auth/.well-known/openid-configuration`` stays for Sigma clients
that look there, but its ``issuer`` is the base URL, so standard libraries must be given
the base URL itself.
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.oauth import endpoints
from auth_server.oauth.authorize import SUPPORTED_PROMPTS
from auth_server.oauth.client_auth import ASSERTION_ALGORITHMS
from auth_server.oauth.grants import GRANTS
from auth_server.oauth.signing_keys import JWKS_MAX_AGE
from auth_server.store.models import PUBLIC
from auth_server.oauth.scopes import SUPPORTED_SCOPES
from auth_server.web.errors import json_response
from auth_server.web.parts import ServerParts

#: apps may cache these for JWKS_MAX_AGE seconds, less than a rotation's default --activate-in,
#: so a new key is in every app's copy before it signs (auth_server/oauth/signing_keys.py)
PUBLIC_CACHE = {"Access-Control-Allow-Origin": "*", "Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name", "preferred_username",
          "picture", "email", "email_verified", "groups", "pubkey", "bap_id"]


def metadata(parts: ServerParts) -> dict[str, Any]:
    """The provider's metadata (OIDC Discovery 1.0 section 3, RFC 8414 section 2)."""
    provider, settings = parts.provider, parts.settings
    b = provider.config.issuer
    methods = provider.client_auth.method_names if provider.client_auth else []
    algs = list(ASSERTION_ALGORITHMS)  # ES256, RS256, EdDSA and its RFC 9864 name Ed25519
    doc: dict[str, Any] = {
        "issuer": b,
        "authorization_endpoint": b + endpoints.AUTHORIZE_PATH,
        "token_endpoint": b + endpoints.TOKEN_PATH,
        "userinfo_endpoint": b + endpoints.USERINFO_PATH,
        "jwks_uri": b + endpoints.JWKS_PATH,
        "revocation_endpoint": b + endpoints.REVOCATION_PATH,
        "introspection_endpoint": b + endpoints.INTROSPECTION_PATH,
        "device_authorization_endpoint": b + endpoints.DEVICE_AUTHORIZATION_PATH,
        "end_session_endpoint": b + endpoints.END_SESSION_PATH,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANTS),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [settings.id_token_alg],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "claims_supported": CLAIMS,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": [m for m in methods if m != PUBLIC],
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "prompt_values_supported": list(SUPPORTED_PROMPTS),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
    if settings.dynamic_registration != "off":
        doc["registration_endpoint"] = b + endpoints.REGISTRATION_PATH
    return doc


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    provider = parts.provider

    def discovery() -> Any:
        """OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414)."""
        return json_response(metadata(parts), 200, PUBLIC_CACHE)

    def jwks() -> Any:
        """The public keys id_tokens are signed with (JWKS)."""
        return json_response(provider.keys.jwks(), 200, PUBLIC_CACHE)

    for prefix in ("", "/api/auth"):
        app.route(prefix + "/.well-known/openid-configuration", "GET", discovery)
    app.route("/.well-known/oauth-authorization-server", "GET", discovery)
    app.route(endpoints.JWKS_PATH, "GET", jwks)
    app.route("/.well-known/jwks.json", "GET", jwks)
