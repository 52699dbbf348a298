"""``POST /api/auth/sign-in/sigma`` and ``GET /api/auth/sigma/challenge`` (PROTOCOL.md section 6).

The real client (``signIn.sigma({authToken})``) posts ``{}`` and signs without a body
hash, so that is what plain sign-in verifies. A client that first fetches a challenge
posts ``{"challenge": ...}`` signed *with* the body hash, which binds its token to this
server and this moment; ``require_challenge`` makes that mandatory.
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.config import Settings
from auth_server.crypto import address_from_pubkey
from auth_server.store import Store
from auth_server.store.users import new_id
from auth_server.web.auth_token import claim_token, verify_request_token
from auth_server.web.context import (
    client_ip, is_trusted_origin, json_object, read_body, request_origin, set_session_cookie,
)
from auth_server.web.errors import ApiError, json_response
from auth_server.web.openapi import describe
from auth_server.web.ratelimit import RateLimiter

SIGN_IN_PATH = "/api/auth/sign-in/sigma"
CHALLENGE_PATH = "/api/auth/sigma/challenge"
BAP_CACHE_TTL = 3600.0
MAX_USER_AGENT = 512


def resolve_bap_id(settings: Settings, user_id: str, pubkey: str) -> str | None:
    """The BAP ID of ``pubkey`` through ``settings.resolve_bap_id``, cached per pubkey."""
    key = f"sigma:bap:{pubkey}"
    cached = settings.cache.get(key)
    if cached is not None:
        return cached or None
    bap_id = settings.resolve_bap_id(user_id, pubkey)
    settings.cache.set(key, bap_id or "", BAP_CACHE_TTL)
    return bap_id


def install(app: bottle.Bottle, settings: Settings, store: Store) -> None:
    ip_limiter = RateLimiter("ip", settings.rate_limit_per_ip, settings.rate_limit_window_seconds, settings.clock,
                             settings.rate_limit_counters)
    key_limiter = RateLimiter("pubkey", settings.rate_limit_per_pubkey, settings.rate_limit_window_seconds,
                              settings.clock, settings.rate_limit_counters)
    limits = settings.rate_limit_enabled

    def challenge() -> Any:
        """Issue a single-use sign-in challenge.

        Sign in with body `{"challenge": <value>}` and an X-Auth-Token that covers that body.
        """
        if limits:
            ip_limiter.check(client_ip(), "address")
        now = settings.clock()
        expires = now + settings.challenge_seconds
        nonce = store.challenges.issue(now, expires)
        return json_response({"challenge": nonce, "expiresIn": int(settings.challenge_seconds)},
                             headers={"Cache-Control": "no-store"})

    def sign_in() -> Any:
        """Sign in (or sign up) with a Bitcoin key: verify X-Auth-Token, create a session.

        Answers `{token, user: {id, pubkey, name, ...}}` and sets the session cookie.
        """
        if limits:
            ip_limiter.check(client_ip(), "address")
        origin = bottle.request.get_header("Origin")
        if origin is not None and not is_trusted_origin(settings, request_origin()):
            raise ApiError(403, "INVALID_ORIGIN", "Invalid origin")
        raw = read_body()
        body = json_object(raw)
        header = bottle.request.get_header("X-Auth-Token")
        nonce = body.get("challenge")
        if nonce is not None:
            if not isinstance(nonce, str) or len(nonce) > 256:
                raise ApiError(400, "BAD_REQUEST", "challenge must be a string")
            token = verify_request_token(header, SIGN_IN_PATH, raw, settings, store, claim=False)
            if not store.challenges.consume(nonce, settings.clock()):
                raise ApiError(401, "INVALID_CHALLENGE", "challenge is unknown, used or expired")
        elif settings.require_challenge:
            raise ApiError(401, "CHALLENGE_REQUIRED",
                           f"sign-in requires a challenge from GET {CHALLENGE_PATH}, covered by the token's body hash")
        else:
            token = verify_request_token(header, SIGN_IN_PATH, None, settings, store, claim=False)
        selected_bap_id = body.get("bapId")
        if selected_bap_id is not None and (not isinstance(selected_bap_id, str) or len(selected_bap_id) > 128):
            raise ApiError(400, "BAD_REQUEST", "bapId must be a string")
        if limits:
            key_limiter.check(token.pubkey, "key")

        # Everything slow or refusable happens before the write transaction; inside it, the
        # token is claimed (single use), the user found or made, and the session recorded,
        # all in one commit. A refused or failed sign-in leaves no trace, not even the claim.
        now = settings.clock()
        user = store.users.get_by_pubkey(token.pubkey)
        if user is None and settings.disable_implicit_sign_up:
            raise ApiError(403, "SIGN_UP_DISABLED", "no account for this key, and sign-up is disabled")
        user_id = user.id if user is not None else new_id()
        bap_id = resolve_bap_id(settings, user_id, token.pubkey)
        # The body is not signed, so a bapId in it is only a claim: it must name the identity
        # of the key that signed, or anyone could sign in with their own key and carry a
        # victim's BAP ID into the session, the id_token and userinfo.
        if selected_bap_id is not None and selected_bap_id != bap_id:
            raise ApiError(401, "BAP_ID_MISMATCH", "bapId is not the identity of the key that signed the token")
        user_agent = (bottle.request.get_header("User-Agent") or "")[:MAX_USER_AGENT] or None
        ip_address = client_ip()
        # A new user is named by their address: computed here, not under the writer lock.
        name = address_from_pubkey(token.public_key) if user is None else ""
        with store.write():
            claim_token(token, settings, store)
            if user is None:
                user, _ = store.users.create(token.pubkey, name, now, bap_id=bap_id, user_id=user_id)
            if bap_id != user.bap_id:
                user = store.users.update(user.id, now, bap_id=bap_id) or user
            tier = (user.subscription_tier or "free") if settings.enable_subscription else None
            session_token, _session = store.sessions.create(
                user.id, now, now + settings.session_seconds,
                ip_address=ip_address, user_agent=user_agent,
                bap_id=bap_id, subscription_tier=tier,
            )
        set_session_cookie(settings, session_token, settings.session_seconds)
        answer_user: dict[str, Any] = {"id": user.id, "pubkey": user.pubkey, "name": user.name,
                                       "image": user.image, "bapId": user.bap_id}
        if settings.enable_subscription:
            answer_user["subscriptionTier"] = tier
        return json_response({"token": session_token, "user": answer_user}, headers={"Cache-Control": "no-store"})

    app.route(CHALLENGE_PATH, "GET", challenge)
    app.route(SIGN_IN_PATH, "POST", sign_in)
    describe(app, "GET", CHALLENGE_PATH, **{"tags": ["sign-in"], "responses": {"200": {
        "description": "a challenge", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"challenge": {"type": "string"}, "expiresIn": {"type": "integer"}}}}}}}})
    describe(app, "POST", SIGN_IN_PATH, **{
        "tags": ["sign-in"],
        "parameters": [{"name": "X-Auth-Token", "in": "header", "required": True, "schema": {"type": "string"},
                        "description": "pubkey|scheme|timestamp|requestPath|signature (PROTOCOL.md section 1)"}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"bapId": {"type": "string"}, "challenge": {"type": "string"}}}}}},
        "responses": {
            "200": {"description": "signed in; sets the session cookie", "content": {"application/json": {"schema": {
                "type": "object", "required": ["token", "user"], "properties": {
                    "token": {"type": "string"},
                    "user": {"type": "object", "required": ["id", "pubkey", "name"], "properties": {
                        "id": {"type": "string"}, "pubkey": {"type": "string"}, "name": {"type": "string"}}}}}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/Error"},
        },
    })
