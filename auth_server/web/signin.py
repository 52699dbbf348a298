"""HTTP glue of ``POST /api/auth/sign-in/sigma`` and ``GET /api/auth/sigma/challenge``
(the rules: :mod:`auth_server.signin`)."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.oauth.users import described
from auth_server.signin import CHALLENGE_PATH, SIGN_IN_PATH, SignIn
from auth_server.web.request_context import SIGN_IN_MAX_BODY_BYTES, client_ip, read_body, set_session_cookie
from auth_server.web.errors import json_response
from auth_server.web.openapi import describe
from auth_server.web.parts import ServerParts


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings = parts.settings
    rules = SignIn(settings, parts.store)

    def challenge() -> Any:
        """Issue a single-use sign-in challenge.

        Sign in with body `{"challenge": <value>}` and an X-Auth-Token that covers that body.
        """
        nonce, expires_in = rules.challenge(client_ip())
        return json_response({"challenge": nonce, "expiresIn": expires_in}, headers={"Cache-Control": "no-store"})

    def sign_in() -> Any:
        """Sign in (or sign up) with a Bitcoin key: verify X-Auth-Token, create a session.

        Answers `{token, user: {id, pubkey, name, image, username, ...}, notice?}` and sets the
        session cookie. A body with `profile`, `shareProfile` or `clientId` must be covered by
        the token's body hash.
        """
        request = bottle.request
        signed = rules.sign_in(
            header=request.get_header("X-Auth-Token"),
            body=read_body(limit=SIGN_IN_MAX_BODY_BYTES),
            origin=request.get_header("Origin"),
            referer=request.get_header("Referer"),
            client_ip=client_ip(),
            user_agent=request.get_header("User-Agent"),
        )
        set_session_cookie(settings, signed.session_token, settings.session_seconds)
        user = signed.user
        answer_user: dict[str, Any] = {"id": user.id, "pubkey": user.pubkey,
                                       **described(user, settings.base_url, shared=signed.shared),
                                       "bapId": user.bap_id}
        if settings.enable_subscription:
            answer_user["subscriptionTier"] = signed.subscription_tier
        answer: dict[str, Any] = {"token": signed.session_token, "user": answer_user}
        if signed.notice:
            answer["notice"] = signed.notice
        return json_response(answer, headers={"Cache-Control": "no-store"})

    app.route(CHALLENGE_PATH, "GET", challenge)
    app.route(SIGN_IN_PATH, "POST", sign_in)
    describe(app, "GET", CHALLENGE_PATH, **{"tags": ["sign-in"], "responses": {"200": {
        "description": "a challenge", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"challenge": {"type": "string"}, "expiresIn": {"type": "integer"}}}}}}}})
    describe(app, "POST", SIGN_IN_PATH, **{
        "tags": ["sign-in"],
        "parameters": [{"name": "X-Auth-Token", "in": "header", "required": True, "schema": {"type": "string"},
                        "description": "pubkey|scheme|timestamp|requestPath|signature (docs/PROTOCOL.md section 1)"}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "bapId": {"type": "string"}, "challenge": {"type": "string"}, "invite": {"type": "string"},
                "clientId": {"type": "string"}, "shareProfile": {"type": "boolean"},
                "profile": {"type": "object", "additionalProperties": False, "properties": {
                    "name": {"type": "string"}, "picture": {"type": "string"}, "username": {"type": "string"}}}}}}}},
        "responses": {
            "200": {"description": "signed in; sets the session cookie", "content": {"application/json": {"schema": {
                "type": "object", "required": ["token", "user"], "properties": {
                    "token": {"type": "string"},
                    "user": {"type": "object", "required": ["id", "pubkey", "name"], "properties": {
                        "id": {"type": "string"}, "pubkey": {"type": "string"}, "name": {"type": "string"}}}}}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "413": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/Error"},
        },
    })
