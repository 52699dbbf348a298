"""The OAuth 2.0 / OIDC provider: authorize decisions, the token grants, userinfo,
revocation, introspection and the device flow, over plain values.

The web layer authenticates the client (X-Auth-Token) and the user (session) and hands
the results in here; nothing in this module knows about HTTP requests.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from auth_server.oauth import pkce
from auth_server.oauth.clients import active_client, require_redirect_uri
from auth_server.oauth.errors import OAuthError, invalid_grant, invalid_request, invalid_token
from auth_server.oauth.idtoken import SigningKeys, id_token_claims
from auth_server.oauth.scopes import covers, format_scope, parse_scope
from auth_server.oauth.secrets import hash_credential, new_credential, new_user_code, normalize_user_code
from auth_server.store.oauth import (
    AuthorizationCode,
    DeviceAuthorization,
    IssuedToken,
    OAuthClient,
    OAuthStore,
)


class UserDirectory(Protocol):
    """How the provider learns about users without knowing the users table."""

    def profile(self, user_id: str) -> dict[str, Any] | None:
        """Claims of a user: ``sub, name, given_name?, picture?, pubkey, bap_id, email?,
        subscriptionTier?``; None when the user no longer exists."""


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    code_ttl: int = 60
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    id_token_ttl: int = 3600
    always_issue_refresh_token: bool = False
    device_code_ttl: int = 600
    device_poll_interval: int = 5
    verification_uri: str = ""


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked ``/oauth2/authorize`` request (client and redirect_uri are known good)."""

    client: OAuthClient
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: frozenset[str] = field(default_factory=frozenset)
    bap_id: str | None = None

    @property
    def scope(self) -> str:
        return format_scope(self.scopes)

    @property
    def redirect_host(self) -> str:
        parts = urlsplit(self.redirect_uri)
        return parts.netloc or parts.scheme

    def redirect(self, **params: str | None) -> str:
        """``redirect_uri`` with ``params`` (and ``state``) added to its query."""
        values = {k: v for k, v in params.items() if v is not None}
        if self.state is not None:
            values["state"] = self.state
        sep = "&" if urlsplit(self.redirect_uri).query else "?"
        return self.redirect_uri + sep + urlencode(values)

    def error_redirect(self, error: OAuthError) -> str:
        return self.redirect(error=error.error, error_description=error.description or None)


class RedirectableError(OAuthError):
    """An authorize error that may be sent back to the (verified) redirect_uri."""

    def __init__(self, request: AuthorizationRequest, error: OAuthError) -> None:
        super().__init__(error.error, error.description, 302)
        self.request = request
        self.location = request.error_redirect(error)


def _claims_for(profile: dict[str, Any], scopes: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The user claims a scope set allows: identity always, profile/email by scope."""
    claims: dict[str, Any] = {"sub": profile["sub"], "pubkey": profile.get("pubkey"), "bap_id": profile.get("bap_id")}
    if "profile" in scopes:
        for name in ("name", "given_name", "family_name", "picture"):
            if profile.get(name) is not None:
                claims[name] = profile[name]
    if profile.get("subscriptionTier") is not None:  # only present when the server enables it
        claims["subscriptionTier"] = profile["subscriptionTier"]
    if "email" in scopes and profile.get("email"):
        claims["email"] = profile["email"]
        claims["email_verified"] = bool(profile.get("email_verified", False))
    return {k: v for k, v in claims.items() if v is not None}


class Provider:
    def __init__(
        self,
        store: OAuthStore,
        users: UserDirectory,
        keys: SigningKeys,
        config: ProviderConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.users = users
        self.keys = keys
        self.config = config
        self.clock = clock
        self._issued = 0

    PURGE_EVERY = 500
    PURGE_GRACE = 3600.0  # used codes stay a while so a late replay still revokes its tokens

    def _maybe_purge(self, now: float) -> None:
        """Every few hundred codes, drop codes and tokens that expired long ago."""
        self._issued += 1
        if self._issued % self.PURGE_EVERY == 0:
            self.store.codes.purge_expired(now - self.PURGE_GRACE)
            self.store.tokens.purge_expired(now - self.PURGE_GRACE)

    # -- authorize -------------------------------------------------------

    def check_client_and_redirect(self, params: Mapping[str, str]) -> tuple[OAuthClient, str]:
        """Step one: errors here are shown on a page, never redirected (RFC 6749 4.1.2.1)."""
        client = active_client(self.store.clients, params.get("client_id"))
        return client, require_redirect_uri(client, params.get("redirect_uri"))

    def parse_authorization(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """Check an authorize request. Raises ``OAuthError`` (show a page) for a bad client or
        redirect_uri, and ``RedirectableError`` for everything after that."""
        client, redirect_uri = self.check_client_and_redirect(params)
        base = AuthorizationRequest(client, redirect_uri, (), params.get("state"), None, "")
        try:
            if params.get("response_type") != "code":
                raise OAuthError("unsupported_response_type", "only response_type=code is supported")
            scopes = parse_scope(params.get("scope"))
            challenge = pkce.check_challenge(params.get("code_challenge"), params.get("code_challenge_method"))
            prompt = frozenset((params.get("prompt") or "").split())
            if "none" in prompt and len(prompt) > 1:
                raise invalid_request("prompt=none cannot be combined with other prompt values")
        except OAuthError as exc:
            raise RedirectableError(base, exc) from None
        return AuthorizationRequest(
            client=client,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=params.get("state"),
            nonce=params.get("nonce") or None,
            code_challenge=challenge,
            prompt=prompt,
            bap_id=params.get("bap_id") or params.get("bapId") or None,
        )

    def needs_consent(self, request: AuthorizationRequest, user_id: str) -> bool:
        if "consent" in request.prompt:
            return True
        if request.client.trusted:
            return False
        granted = self.store.consents.get(user_id, request.client.client_id)
        return granted is None or not covers(granted, request.scopes)

    def approve(self, request: AuthorizationRequest, user_id: str, bap_id: str | None, auth_time: int | None,
                remember: bool = True) -> str:
        """Issue a code for an approved request; return the redirect location."""
        now = self.clock()
        if remember and not request.client.trusted:
            self.store.consents.grant(user_id, request.client.client_id, request.scope, bap_id, now)
        self._maybe_purge(now)
        code = new_credential()
        self.store.codes.add(AuthorizationCode(
            code_hash=hash_credential(code),
            client_id=request.client.client_id,
            user_id=user_id,
            bap_id=bap_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            auth_time=auth_time,
            family_id=secrets.token_hex(16),
            expires_at=now + self.config.code_ttl,
            used_at=None,
        ))
        return request.redirect(code=code)

    def deny(self, request: AuthorizationRequest) -> str:
        return request.error_redirect(OAuthError("access_denied", "the user denied the request"))

    # -- token endpoint --------------------------------------------------

    def token(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        """Dispatch on grant_type; ``client`` is already authenticated by the web layer."""
        if form.get("client_id") and form["client_id"] != client.client_id:
            raise OAuthError("invalid_client", "client_id does not match the authenticated client", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self.exchange_code(client, form)
        if grant == "refresh_token":
            return self.refresh(client, form)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self.device_token(client, form.get("device_code"))
        if not grant:
            raise invalid_request("grant_type is required")
        raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def exchange_code(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        code_value = form.get("code")
        if not code_value:
            raise invalid_request("code is required")
        now = self.clock()
        code = self.store.codes.get(hash_credential(code_value))
        if code is None or code.client_id != client.client_id:
            raise invalid_grant("unknown authorization code")
        if code.used_at is not None:
            # RFC 6749 4.1.2: a replayed code revokes the tokens the first use obtained.
            self.store.tokens.revoke_family(code.family_id)
            raise invalid_grant("authorization code was already used; its tokens are revoked")
        if now > code.expires_at:
            raise invalid_grant("authorization code has expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise invalid_grant("redirect_uri does not match the authorization request")
        pkce.verify_verifier(form.get("code_verifier"), code.code_challenge)
        with_refresh = "offline_access" in code.scope.split() or self.config.always_issue_refresh_token
        response, access, refresh = self._build(client, code.user_id, code.bap_id, code.scope, code.family_id,
                                                code.auth_time, code.nonce, with_refresh, now)
        if not self.store.tokens.redeem_code(code.code_hash, now, access, refresh):
            self.store.tokens.revoke_family(code.family_id)
            raise invalid_grant("authorization code was already used; its tokens are revoked")
        return response

    def refresh(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        value = form.get("refresh_token")
        if not value:
            raise invalid_request("refresh_token is required")
        now = self.clock()
        old = self.store.tokens.get_refresh(hash_credential(value))
        if old is None or old.client_id != client.client_id:
            raise invalid_grant("unknown refresh token")
        if old.revoked:
            raise invalid_grant("refresh token was revoked")
        if old.rotated:
            self.store.tokens.revoke_family(old.family_id)
            raise invalid_grant("refresh token was already used; the whole token family is revoked")
        if now > old.expires_at:
            raise invalid_grant("refresh token has expired")
        scope = old.scope
        if form.get("scope"):
            narrowed = parse_scope(form["scope"])
            if not covers(old.scope, narrowed):
                raise OAuthError("invalid_scope", "a refresh cannot widen the granted scope")
            scope = format_scope(narrowed)
        response, access, refresh = self._build(client, old.user_id, old.bap_id, scope, old.family_id,
                                                old.auth_time, None, True, now)
        assert refresh is not None
        if not self.store.tokens.rotate_refresh(old.token_hash, access, refresh):
            self.store.tokens.revoke_family(old.family_id)
            raise invalid_grant("refresh token was already used; the whole token family is revoked")
        return response

    def _build(self, client: OAuthClient, user_id: str, bap_id: str | None, scope: str, family_id: str,
               auth_time: int | None, nonce: str | None, with_refresh: bool, now: float
               ) -> tuple[dict[str, Any], IssuedToken, IssuedToken | None]:
        profile = self.users.profile(user_id)
        if profile is None:
            raise invalid_grant("the user of this grant no longer exists")
        scopes = scope.split()
        access_value = new_credential()
        access = IssuedToken(hash_credential(access_value), family_id, client.client_id, user_id, bap_id, scope,
                             now, now + self.config.access_token_ttl, False)
        response: dict[str, Any] = {
            "access_token": access_value,
            "token_type": "Bearer",
            "expires_in": self.config.access_token_ttl,
            "scope": scope,
        }
        refresh = None
        if with_refresh:
            refresh_value = new_credential()
            refresh = IssuedToken(hash_credential(refresh_value), family_id, client.client_id, user_id, bap_id,
                                  scope, now, now + self.config.refresh_token_ttl, False, False, auth_time)
            response["refresh_token"] = refresh_value
        if "openid" in scopes:
            claims = id_token_claims(
                issuer=self.config.issuer, subject=profile["sub"], audience=client.client_id,
                issued_at=int(now), expires_in=self.config.id_token_ttl, auth_time=auth_time,
                nonce=nonce, profile=_claims_for(profile, scopes),
            )
            response["id_token"] = self.keys.sign(claims)
        return response, access, refresh

    def _issue(self, client: OAuthClient, user_id: str, bap_id: str | None, scope: str, family_id: str,
               auth_time: int | None, nonce: str | None, with_refresh: bool, now: float) -> dict[str, Any]:
        response, access, refresh = self._build(client, user_id, bap_id, scope, family_id, auth_time, nonce,
                                                with_refresh, now)
        self.store.tokens.add_tokens(access, refresh)
        return response

    # -- resource-side endpoints -----------------------------------------

    def active_access_token(self, value: str | None) -> IssuedToken:
        if not value:
            raise invalid_token("a Bearer access token is required")
        token = self.store.tokens.get_access(hash_credential(value))
        if token is None or token.revoked or self.clock() > token.expires_at:
            raise invalid_token("the access token is unknown, expired or revoked")
        client = self.store.clients.get(token.client_id)
        if client is None or client.disabled:
            raise invalid_token("the client of this access token is disabled")
        return token

    def userinfo(self, access_token: str | None) -> dict[str, Any]:
        token = self.active_access_token(access_token)
        profile = self.users.profile(token.user_id)
        if profile is None:
            raise invalid_token("the user of this token no longer exists")
        return _claims_for(profile, token.scope.split())

    def revoke(self, client: OAuthClient, value: str | None, hint: str | None = None) -> None:
        """RFC 7009: unknown tokens and other clients' tokens are silently ignored."""
        if not value:
            raise invalid_request("token is required")
        digest = hash_credential(value)
        if hint != "access_token":
            refresh = self.store.tokens.get_refresh(digest)
            if refresh is not None and refresh.client_id == client.client_id:
                self.store.tokens.revoke_family(refresh.family_id)
                return
        self.store.tokens.revoke_access(digest, client.client_id)

    def introspect(self, client: OAuthClient, value: str | None, hint: str | None = None) -> dict[str, Any]:
        """RFC 7662, answering only about the asking client's own tokens."""
        if not value:
            raise invalid_request("token is required")
        digest = hash_credential(value)
        now = self.clock()
        token, kind = None, ""
        if hint != "refresh_token":
            token, kind = self.store.tokens.get_access(digest), "access_token"
        if token is None:
            token, kind = self.store.tokens.get_refresh(digest), "refresh_token"
        if token is None and hint == "refresh_token":
            token, kind = self.store.tokens.get_access(digest), "access_token"
        if (token is None or token.client_id != client.client_id or token.revoked or token.rotated
                or now > token.expires_at):
            return {"active": False}
        profile = self.users.profile(token.user_id) or {}
        answer: dict[str, Any] = {
            "active": True,
            "scope": token.scope,
            "client_id": token.client_id,
            "token_type": "Bearer" if kind == "access_token" else "refresh_token",
            "exp": int(token.expires_at),
            "iat": int(token.issued_at),
            "sub": profile.get("sub", token.user_id),
            "aud": token.client_id,
            "iss": self.config.issuer,
        }
        if token.bap_id:
            answer["bap_id"] = token.bap_id
        if profile.get("pubkey"):
            answer["pubkey"] = profile["pubkey"]
        return answer

    # -- device flow (RFC 8628) ------------------------------------------

    def start_device(self, client: OAuthClient, scope: str | None) -> dict[str, Any]:
        scopes = parse_scope(scope)
        now = self.clock()
        device_code = new_credential()
        for _ in range(5):
            user_code = new_user_code()
            if self.store.devices.get_by_user_code(user_code) is None:
                break
        self.store.devices.add(DeviceAuthorization(
            device_code_hash=hash_credential(device_code), user_code=user_code, client_id=client.client_id,
            scope=format_scope(scopes), status="pending", user_id=None, bap_id=None, auth_time=None,
            interval=self.config.device_poll_interval, last_polled_at=None,
            expires_at=now + self.config.device_code_ttl, created_at=now,
        ))
        uri = self.config.verification_uri
        return {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "verification_uri_complete": f"{uri}?{urlencode({'user_code': user_code})}",
            "expires_in": self.config.device_code_ttl,
            "interval": self.config.device_poll_interval,
        }

    def pending_device(self, user_code: str) -> DeviceAuthorization:
        """The pending request behind what the user typed, for the /device page."""
        record = self.store.devices.get_by_user_code(normalize_user_code(user_code))
        if record is None or record.status != "pending" or self.clock() > record.expires_at:
            raise invalid_grant("that code is unknown, already used or expired")
        return record

    def decide_device(self, user_code: str, approved: bool, user_id: str, bap_id: str | None,
                      auth_time: int | None) -> DeviceAuthorization:
        record = self.pending_device(user_code)
        if not self.store.devices.decide(record.user_code, approved, user_id, bap_id, auth_time):
            raise invalid_grant("that code was already decided")
        return record

    def device_token(self, client: OAuthClient, device_code: str | None) -> dict[str, Any]:
        if not device_code:
            raise invalid_request("device_code is required")
        now = self.clock()
        record = self.store.devices.get(hash_credential(device_code))
        if record is None or record.client_id != client.client_id:
            raise invalid_grant("unknown device_code")
        if now > record.expires_at:
            raise OAuthError("expired_token", "the device code has expired; start again")
        if record.status == "denied":
            raise OAuthError("access_denied", "the user denied the request")
        if record.status == "consumed":
            raise invalid_grant("the device code was already exchanged")
        if record.status == "pending":
            too_fast = record.last_polled_at is not None and now - record.last_polled_at < record.interval
            interval = record.interval + 5 if too_fast else record.interval
            self.store.devices.record_poll(record.device_code_hash, now, interval)
            if too_fast:
                raise OAuthError("slow_down", f"poll at most every {interval} seconds")
            raise OAuthError("authorization_pending", "the user has not approved yet")
        if not self.store.devices.consume(record.device_code_hash):
            raise invalid_grant("the device code was already exchanged")
        assert record.user_id is not None
        with_refresh = "offline_access" in record.scope.split() or self.config.always_issue_refresh_token
        return self._issue(client, record.user_id, record.bap_id, record.scope, secrets.token_hex(16),
                           record.auth_time, None, with_refresh, now)
