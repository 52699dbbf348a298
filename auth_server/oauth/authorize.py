"""The authorization endpoint's decisions (RFC 6749 4.1.1-4.1.2, OIDC Core 3.1.2): is the
request well formed, does it need the user's consent, and the code an approval issues."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from auth_server.oauth import pkce
from auth_server.oauth.clients import active_client, require_redirect_uri, with_query
from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import OAuthError, invalid_request, required
from auth_server.oauth.scopes import covers, format_scope, parse_scope, scope_words
from auth_server.oauth.credentials import hash_secret, new_credential
from auth_server.store.models import AuthorizationCode, OAuthClient


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
    max_age: int | None = None

    @property
    def scope(self) -> str:
        return format_scope(self.scopes)

    @property
    def redirect_host(self) -> str:
        """Where the answer goes, as the consent page names it: ``host[:port]`` only (never a
        user name, which could read as another site), or an app's own scheme."""
        parts = urlsplit(self.redirect_uri)
        host = parts.hostname
        if not host:
            return parts.scheme
        host = f"[{host}]" if ":" in host else host
        try:
            port = parts.port
        except ValueError:
            port = None
        return f"{host}:{port}" if port else host

    def redirect(self, **params: str | None) -> str:
        """``redirect_uri`` with ``params`` (and ``state``) added to its query."""
        values = {k: v for k, v in params.items() if v is not None}
        if self.state is not None:
            values["state"] = self.state
        return with_query(self.redirect_uri, values)

    def error_redirect(self, error: OAuthError) -> str:
        return self.redirect(error=error.error, error_description=error.description or None)


class RedirectableError(OAuthError):
    """An authorize error that may be sent back to the (verified) redirect_uri."""

    def __init__(self, request: AuthorizationRequest, error: OAuthError) -> None:
        super().__init__(error.error, error.description, 302)
        self.location = request.error_redirect(error)


#: ``prompt`` values this provider acts on (OIDC Core 3.1.2.1); others are refused, not ignored
SUPPORTED_PROMPTS = ("none", "login", "consent", "select_account")
#: prompts that send the user through the signer again (picking an identity is signing in)
SIGN_IN_PROMPTS = frozenset({"login", "select_account"})
#: request parameters of features this provider does not have, and the OIDC error for each
_UNSUPPORTED = {"request": "request_not_supported", "request_uri": "request_uri_not_supported",
                "registration": "registration_not_supported"}


def _max_age(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 10:
        raise invalid_request("max_age must be a whole number of seconds")
    return int(value)


class Authorizer:
    """Authorize decisions over a :class:`ProviderContext`. (Old codes and tokens are deleted
    by the store's background purger, auth_server/store/purge.py, not by requests.)"""

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def check_client_and_redirect(self, params: Mapping[str, str]) -> tuple[OAuthClient, str]:
        """Step one: errors here are shown on a page, never redirected (RFC 6749 4.1.2.1)."""
        client = active_client(self.ctx.store.clients, params.get("client_id"))
        return client, require_redirect_uri(client, params.get("redirect_uri"))

    def parse(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """Check an authorize request. Raises ``OAuthError`` (show a page) for a bad client or
        redirect_uri, and ``RedirectableError`` for everything after that."""
        client, redirect_uri = self.check_client_and_redirect(params)
        base = AuthorizationRequest(client, redirect_uri, (), params.get("state"), None, "")
        try:
            if required(params, "response_type") != "code":
                raise OAuthError("unsupported_response_type", "only response_type=code is supported")
            for name, error in _UNSUPPORTED.items():
                if name in params:
                    raise OAuthError(error, f"the {name} parameter is not supported")
            scopes = parse_scope(params.get("scope"))
            challenge = pkce.check_challenge(params.get("code_challenge"), params.get("code_challenge_method"))
            prompt = frozenset(scope_words(params.get("prompt")))
            unknown = sorted(prompt - set(SUPPORTED_PROMPTS))
            if unknown:
                raise invalid_request(f"prompt value {' '.join(unknown)} is not supported")
            if "none" in prompt and len(prompt) > 1:
                raise invalid_request("prompt=none cannot be combined with other prompt values")
            max_age = _max_age(params.get("max_age"))
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
            max_age=max_age,
        )

    def needs_sign_in(self, request: AuthorizationRequest, auth_time: int | None) -> bool:
        """Whether the user must sign in (again) first: not signed in, ``prompt=login`` or
        ``select_account``, or a session older than ``max_age`` (OIDC Core 3.1.2.1)."""
        if auth_time is None or request.prompt & SIGN_IN_PROMPTS:
            return True
        return request.max_age is not None and self.ctx.clock() - auth_time > request.max_age

    @staticmethod
    def after_sign_in(params: Mapping[str, str]) -> dict[str, str]:
        """The request to continue with once signed in: the fresh sign-in satisfies
        ``prompt=login``/``select_account`` and ``max_age``, so they are dropped (no loop)."""
        rest = {k: v for k, v in params.items() if k not in ("prompt", "max_age")}
        others = " ".join(p for p in sorted(scope_words(params.get("prompt"))) if p not in SIGN_IN_PROMPTS)
        if others:
            rest["prompt"] = others
        return rest

    def needs_consent(self, request: AuthorizationRequest, user_id: str) -> bool:
        if "consent" in request.prompt:
            return True
        if request.client.trusted:
            return False
        granted = self.ctx.store.consents.get(user_id, request.client.client_id)
        return granted is None or not covers(granted, request.scopes)

    def ensure_allowed(self, request: AuthorizationRequest, user_id: str) -> None:
        """A user outside every group the client allows is sent back with ``access_denied``
        (the client and redirect URI are valid, so OIDC says redirect), before any consent."""
        if not request.client.allowed_groups:
            return
        profile = self.ctx.users.profile(user_id)
        if profile is None or not request.client.admits(profile.get("groups", ())):
            raise RedirectableError(request, OAuthError(
                "access_denied", f"this account is not in a group allowed to use {request.client.name}"))

    def approve(self, request: AuthorizationRequest, user_id: str, bap_id: str | None, auth_time: int | None,
                remember: bool = True) -> str:
        """Issue a code for an approved request; return the redirect location."""
        self.ensure_allowed(request, user_id)
        store = self.ctx.store
        now = self.ctx.clock()
        if remember and not request.client.trusted:
            store.consents.grant(user_id, request.client.client_id, request.scope, bap_id, now)
        code = new_credential()
        store.codes.add(AuthorizationCode(
            code_hash=hash_secret(code),
            client_id=request.client.client_id,
            user_id=user_id,
            bap_id=bap_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            auth_time=auth_time,
            family_id=secrets.token_hex(16),
            expires_at=now + self.ctx.config.code_ttl,
            used_at=None,
        ))
        return request.redirect(code=code)

    @staticmethod
    def deny(request: AuthorizationRequest) -> str:
        return request.error_redirect(OAuthError("access_denied", "the user denied the request"))
