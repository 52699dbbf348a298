"""HTTP glue of the token, revocation, introspection and userinfo endpoints.

Each handler passes the request parts to the provider and answers its result as JSON;
``OAuthError`` becomes the RFC 6749 error answer in the ``oauth="json"`` plugin.
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.oauth.endpoints import INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH, USERINFO_PATH
from auth_server.store.models import OAuthClient
from auth_server.web.client_auth import client_request
from auth_server.web.request_context import bearer_token
from auth_server.web.cors import CLIENT_KEY, install_preflights
from auth_server.web.errors import NO_STORE, json_response
from auth_server.web.parts import ServerParts


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, provider = parts.settings, parts.provider

    def token_endpoint() -> Any:
        """OAuth 2.0 token endpoint: authorization_code, refresh_token and device_code grants.

        The client authenticates with its registered method: client_secret_basic, client_secret_post,
        private_key_jwt, none (public, PKCE) or X-Auth-Token signed by its member key over the exact body.
        """
        return json_response(provider.token_endpoint(client_request()), 200, NO_STORE)

    def revoke_endpoint() -> Any:
        """Token revocation (RFC 7009); revoking a refresh token ends its whole family."""
        provider.revocation_endpoint(client_request())
        return json_response({}, 200, NO_STORE)

    def introspect_endpoint() -> Any:
        """Token introspection (RFC 7662) of the authenticated client's own tokens.

        The client's X-Auth-Token must be fresh and signed by its member key over this exact
        body, but it is single use only with ``single_use_introspection``: docs/PROTOCOL.md asks
        for single use where a token buys sessions or tokens, and a replayed introspection
        can only repeat a question about a token that the replayer already holds.
        """
        answer = provider.introspection_endpoint(client_request(), single_use=settings.single_use_introspection)
        return json_response(answer, 200, NO_STORE)

    def userinfo() -> Any:
        """OIDC userinfo: sub, name, given_name, preferred_username, picture, pubkey, bap_id (+ email,
        subscriptionTier)."""
        def for_cors(client: OAuthClient) -> None:  # the token's client, whose origin may read the answer
            bottle.request.environ[CLIENT_KEY] = client

        on_client = for_cors if bottle.request.get_header("Origin") else None
        return json_response(provider.userinfo(bearer_token(), on_client), 200, {"Cache-Control": "no-store"})

    token_paths = ["/oauth2/token", TOKEN_PATH]
    for path in token_paths:
        app.route(path, "POST", token_endpoint, oauth="json", cors=True)
    app.route(REVOCATION_PATH, "POST", revoke_endpoint, oauth="json", cors=True)
    app.route(INTROSPECTION_PATH, "POST", introspect_endpoint, oauth="json", cors=True)
    userinfo_paths = [USERINFO_PATH, "/oauth2/userinfo"]
    for method in ("GET", "POST"):
        for path in userinfo_paths:
            app.route(path, method, userinfo, oauth="json", cors=True)
    install_preflights(app, parts.store, [(p, "POST") for p in (*token_paths, REVOCATION_PATH, INTROSPECTION_PATH)]
                       + [(p, "GET, POST") for p in userinfo_paths])
