"""HTTP glue for the OAuth 2.0 / OpenID Connect provider (spec logic: ``auth_server/oauth``).

Routes: authorize (sign-in / consent pages), token, userinfo, revoke, introspect,
discovery and JWKS, each under ``/api/auth`` and, where the Sigma client calls them
there, at the root too. Client authentication everywhere is an ``X-Auth-Token`` signed
by the client's member key over the exact request body (strict rules plus single use).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import bottle

from auth_server.config import Settings, origin_of
from auth_server.crypto import TokenError
from auth_server.oauth.clients import active_client, authenticate_client
from auth_server.oauth.errors import OAuthError, invalid_client, invalid_request
from auth_server.oauth.idtoken import SigningKeys
from auth_server.oauth.provider import AuthorizationRequest, Provider, ProviderConfig, RedirectableError
from auth_server.oauth.scopes import SCOPE_DESCRIPTIONS, SUPPORTED_SCOPES
from auth_server.oauth.users import StoreUserDirectory
from auth_server.store import Store
from auth_server.store.oauth import OAuthClient
from auth_server.web.auth_token import verify_request_token
from auth_server.web.context import CurrentSession, bearer_token, check_origin, current_session, read_body
from auth_server.web.errors import ApiError, json_response

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/oauth2/static"
SIGN_IN_PATH = "/api/auth/sign-in/sigma"
TOKEN_PATH = "/api/auth/oauth2/token"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Pages that carry codes or CSRF tokens: no caching, no framing, scripts and styles from here only.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # "same-origin", not "no-referrer": under no-referrer Chromium sends `Origin: null` (and no
    # Referer) with the consent form's same-origin POST, and the CSRF origin check refuses it.
    "Referrer-Policy": "same-origin",
}
PROVIDER_KEY = "sigil.oauth.provider"
T = TypeVar("T")


# ---------------------------------------------------------------------------
# shared helpers (also used by auth_server.web.device)


def provider_for(app: bottle.Bottle, settings: Settings, store: Store) -> Provider:
    """The app's one Provider (built on first use; the device routes share it)."""
    provider = app.config.get(PROVIDER_KEY)
    if provider is None:
        config = ProviderConfig(
            issuer=settings.base_url,
            code_ttl=settings.code_ttl,
            access_token_ttl=settings.access_token_ttl,
            refresh_token_ttl=settings.refresh_token_ttl,
            id_token_ttl=settings.id_token_ttl,
            always_issue_refresh_token=settings.always_issue_refresh_token,
            device_code_ttl=settings.device_code_ttl,
            device_poll_interval=settings.device_poll_interval,
            verification_uri=settings.base_url + "/device",
        )
        users = StoreUserDirectory(store.users, subscription=settings.enable_subscription)
        provider = Provider(store.oauth, users, SigningKeys(settings.data_dir, settings.id_token_alg), config,
                            settings.clock)
        app.config[PROVIDER_KEY] = provider
    return provider


def sync_issuer(provider: Provider, settings: Settings) -> None:
    """The base URL can be settled after install (port 0); keep the issuer in step with it."""
    if provider.config.issuer != settings.base_url:
        from dataclasses import replace

        provider.config = replace(provider.config, issuer=settings.base_url,
                                  verification_uri=settings.base_url + "/device")


def render(name: str, status: int = 200, **values: Any) -> bottle.HTTPResponse:
    """A server-rendered page (bottle SimpleTemplate, auto-escaped) with the page headers.

    The Content-Security-Policy allows this server's own script and styles only, and
    network access to this server plus the local signer (``signer_url``, sign-in page).
    """
    html = bottle.template(name, template_lookup=[str(TEMPLATES)], static=STATIC_PREFIX, **values)
    headers = dict(PAGE_HEADERS)
    headers["Content-Type"] = "text/html; charset=utf-8"
    connect = " ".join(["'self'"] + ([origin_of(values["signer_url"])] if values.get("signer_url") else []))
    headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src {connect}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return bottle.HTTPResponse(html, status, headers)


def error_page(title: str, message: str, status: int = 400, detail: str = "") -> bottle.HTTPResponse:
    return render("error", status, title=title, message=message, detail=detail)


def redirect(location: str) -> bottle.HTTPResponse:
    return bottle.HTTPResponse("", 302, {"Location": location, **PAGE_HEADERS})


def oauth_json_error(exc: OAuthError) -> bottle.HTTPResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"' if exc.error == "invalid_token" else "X-Auth-Token"
    return json_response(exc.as_json(), exc.status, headers)


def parse_form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; repeated parameters are refused (RFC 6749 3.2)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("request body is not UTF-8") from None
    form: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in form:
            raise invalid_request(f"parameter {key!r} is repeated")
        form[key] = value
    return form


def read_form() -> tuple[bytes, dict[str, str]]:
    """Raw body (what the client signed) and its parsed form; JSON bodies are accepted too."""
    try:
        raw = read_body()
    except ApiError as exc:
        raise invalid_request(exc.message) from None
    content_type = (bottle.request.content_type or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        import json

        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise invalid_request("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid_request("request body must be a JSON object")
        return raw, {str(k): str(v) for k, v in data.items() if v is not None}
    return raw, parse_form(raw)


def authenticate(settings: Settings, store: Store, raw: bytes, form: Mapping[str, str], *,
                 required: bool = True, single_use: bool = True) -> OAuthClient | None:
    """The client proven by the request's X-Auth-Token (signed for this path over ``raw``).

    The client is named by ``client_id``; without one, by the signing key when exactly one
    client is registered with it. Any token failure is ``invalid_client`` (401).
    ``single_use=False`` checks key binding and freshness but does not claim the token.
    """
    header = bottle.request.get_header("X-Auth-Token")
    if not header and not required:
        return None
    try:
        token = verify_request_token(header, bottle.request.path, raw, settings, store, claim=single_use)
    except TokenError as exc:
        raise invalid_client(f"X-Auth-Token rejected ({exc.code}): {exc.message}") from None
    client_id = form.get("client_id")
    if not client_id:
        matches = [c for c in store.oauth.clients.list() if c.member_pubkey == token.pubkey and not c.disabled]
        if len(matches) != 1:
            raise invalid_client("client_id is required")
        return matches[0]
    client = active_client(store.oauth.clients, client_id)
    authenticate_client(client, token.pubkey)
    return client


def committed_even_on_error(store: Store, work: Callable[[], T]) -> T:
    """Run ``work`` in one write transaction (one commit for the replay claim of the client's
    token, the code or refresh token it spends and the tokens it gets) that is committed
    also when ``work`` raises ``OAuthError``: a spent client token, a code marked as reused
    and a revoked token family must stay so when the answer is an error.
    """
    error: OAuthError | None = None
    with store.write():
        try:
            result = work()
        except OAuthError as exc:
            error = exc
    if error is not None:
        raise error
    return result


def csrf_token(session: CurrentSession, purpose: str) -> str:
    """A form token only the holder of the session cookie can know (HMAC keyed by it)."""
    return hmac.new(session.token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def check_csrf(session: CurrentSession, purpose: str, value: str | None) -> None:
    if not value or not hmac.compare_digest(csrf_token(session, purpose), value):
        raise ApiError(403, "INVALID_CSRF", "the form expired or did not come from this server; reload and retry")


def parse_authorization_or_answer(provider: Any, params: dict[str, str]) -> Any:
    """The authorization request in ``params``, or raise the answer to a bad one.

    Errors that may go back to the client redirect there; the others (unknown client,
    unregistered redirect_uri) get an error page and never a redirect.
    """
    try:
        return provider.parse_authorization(params)
    except RedirectableError as exc:
        raise redirect(exc.location) from None
    except OAuthError as exc:
        raise error_page("This sign-in link is not valid", exc.description or exc.error, 400, exc.error) from None


def session_bap_id(session: CurrentSession) -> str | None:
    return session.session.bap_id or session.user.bap_id


def describe_scopes(scopes: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in scopes]


def json_api(handler: Callable[[], Any]) -> Callable[[], Any]:
    """Bytes that are not UTF-8 (headers, query, form) are the client's error: 400, never 500."""

    @functools.wraps(handler)
    def wrapper() -> Any:
        try:
            return handler()
        except UnicodeError:
            return oauth_json_error(invalid_request("request contains bytes that are not UTF-8"))

    return wrapper


def html_page(handler: Callable[[], Any]) -> Callable[[], Any]:
    """Like :func:`json_api`, for routes that answer with pages."""

    @functools.wraps(handler)
    def wrapper() -> Any:
        try:
            return handler()
        except UnicodeError:
            return error_page("This link is not valid", "The request contains bytes that are not UTF-8.", 400)

    return wrapper


# ---------------------------------------------------------------------------
# routes


def install(app: bottle.Bottle, settings: Settings, store: Store) -> None:
    provider_for(app, settings, store)  # fail at start, not on the first request, for a bad id_token_alg

    def get_provider() -> Provider:
        provider = provider_for(app, settings, store)
        sync_issuer(provider, settings)
        return provider

    def base() -> str:
        return settings.base_url

    # -- authorize -----------------------------------------------------------

    def sign_in_page(request: AuthorizationRequest | None, continue_url: str, bap_id: str | None = None
                     ) -> bottle.HTTPResponse:
        return render(
            "signin",
            client_name=request.client.name if request else "",
            bap_id=bap_id or "",
            signer_url=settings.signer_url,
            sign_in_path=SIGN_IN_PATH,
            continue_url=continue_url,
        )

    def consent_page(request: AuthorizationRequest, session: CurrentSession, params: Mapping[str, str]
                     ) -> bottle.HTTPResponse:
        return render(
            "consent",
            client_name=request.client.name,
            redirect_host=request.redirect_host,
            user_name=session.user.name,
            bap_id=session_bap_id(session),
            scopes=describe_scopes(request.scopes),
            action=bottle.request.path,
            params=sorted((k, v) for k, v in params.items() if k not in ("csrf", "decision")),
            csrf=csrf_token(session, "consent:" + request.client.client_id),
        )

    def authorize_get() -> Any:
        """OAuth 2.0 authorization endpoint (PROTOCOL.md section 6).

        Shows the sign-in page (no session), the consent page, or redirects back with a code.
        """
        params = dict(bottle.request.query.decode().items())  # type: ignore[no-untyped-call]
        provider = get_provider()
        request = parse_authorization_or_answer(provider, params)
        session = current_session(settings, store)
        if session is not None and request.bap_id and request.bap_id != session_bap_id(session):
            session = None  # another identity was asked for: sign in with that one
        if "login" in request.prompt or session is None:
            if "none" in request.prompt:
                return redirect(request.error_redirect(OAuthError("login_required", "the user is not signed in")))
            rest = {k: v for k, v in params.items() if k != "prompt"}
            others = " ".join(p for p in sorted(request.prompt) if p != "login")
            if others:
                rest["prompt"] = others
            return sign_in_page(request, bottle.request.path + "?" + urlencode(rest), request.bap_id)
        if provider.needs_consent(request, session.user.id):
            if "none" in request.prompt:
                return redirect(request.error_redirect(OAuthError("consent_required", "the user has not consented")))
            return consent_page(request, session, params)
        return redirect(provider.approve(request, session.user.id, session_bap_id(session),
                                         int(session.session.created_at), remember=False))

    def authorize_post() -> Any:
        """The consent form's answer: approve (redirect with a code) or deny (access_denied)."""
        form = dict(bottle.request.forms.decode().items())  # type: ignore[no-untyped-call]
        provider = get_provider()
        request = parse_authorization_or_answer(provider, form)
        session = current_session(settings, store)
        if session is None:
            return error_page("You are signed out", "Your session ended before you answered. Start again from the app.",
                              401)
        try:
            check_origin(settings)
            check_csrf(session, "consent:" + request.client.client_id, form.get("csrf"))
        except ApiError as exc:
            return error_page("Request refused", exc.message, exc.status)
        if form.get("decision") != "approve":
            return redirect(provider.deny(request))
        return redirect(provider.approve(request, session.user.id, session_bap_id(session),
                                         int(session.session.created_at)))

    for prefix in ("", "/api/auth"):
        app.route(prefix + "/oauth2/authorize", "GET", html_page(authorize_get))
        app.route(prefix + "/oauth2/authorize", "POST", html_page(authorize_post))

    # -- token, revoke, introspect ---------------------------------------------

    def token_endpoint() -> Any:
        """OAuth 2.0 token endpoint: authorization_code, refresh_token and device_code grants.

        The client authenticates with X-Auth-Token signed by its member key over the exact body.
        """
        try:
            raw, form = read_form()

            def grant() -> dict[str, Any]:
                client = authenticate(settings, store, raw, form)
                assert client is not None
                return get_provider().token(client, form)

            answer = committed_even_on_error(store, grant)
        except OAuthError as exc:
            return oauth_json_error(exc)
        return json_response(answer, 200, NO_STORE)

    def revoke_endpoint() -> Any:
        """Token revocation (RFC 7009); revoking a refresh token ends its whole family."""
        try:
            raw, form = read_form()
            client = authenticate(settings, store, raw, form)
            assert client is not None
            get_provider().revoke(client, form.get("token"), form.get("token_type_hint"))
        except OAuthError as exc:
            return oauth_json_error(exc)
        return json_response({}, 200, NO_STORE)

    def introspect_endpoint() -> Any:
        """Token introspection (RFC 7662) of the authenticated client's own tokens.

        The client's X-Auth-Token must be fresh and signed by its member key over this exact
        body, but it is single use only with ``single_use_introspection``: PROTOCOL.md asks
        for single use where a token buys sessions or tokens, and a replayed introspection
        can only repeat a question about a token that the replayer already holds (it is in
        the signed body). Skipping the claim keeps this read free of database writes.
        """
        try:
            raw, form = read_form()
            client = authenticate(settings, store, raw, form, single_use=settings.single_use_introspection)
            assert client is not None
            answer = get_provider().introspect(client, form.get("token"), form.get("token_type_hint"))
        except OAuthError as exc:
            return oauth_json_error(exc)
        return json_response(answer, 200, NO_STORE)

    for prefix in ("", "/api/auth"):
        app.route(prefix + "/oauth2/token", "POST", json_api(token_endpoint))
    app.route("/api/auth/oauth2/revoke", "POST", json_api(revoke_endpoint))
    app.route("/api/auth/oauth2/introspect", "POST", json_api(introspect_endpoint))

    # -- userinfo ----------------------------------------------------------------

    def userinfo() -> Any:
        """OIDC userinfo: sub, name, given_name, picture, pubkey, bap_id (+ email, subscriptionTier)."""
        try:
            answer = get_provider().userinfo(bearer_token())
        except OAuthError as exc:
            return oauth_json_error(exc)
        return json_response(answer, 200, {"Cache-Control": "no-store"})

    for method in ("GET", "POST"):
        app.route("/api/auth/oauth2/userinfo", method, json_api(userinfo))
        app.route("/oauth2/userinfo", method, json_api(userinfo))

    # -- discovery and keys --------------------------------------------------------

    public = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}

    def discovery() -> Any:
        """OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414)."""
        b = base()
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
            "grant_types_supported": ["authorization_code", "refresh_token",
                                      "urn:ietf:params:oauth:grant-type:device_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [settings.id_token_alg],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name",
                                 "picture", "email", "email_verified", "pubkey", "bap_id"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["x_auth_token"],
            "revocation_endpoint_auth_methods_supported": ["x_auth_token"],
            "introspection_endpoint_auth_methods_supported": ["x_auth_token"],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
        }, 200, public)

    def jwks() -> Any:
        """The public keys id_tokens are signed with (JWKS)."""
        return json_response(get_provider().keys.jwks(), 200, public)

    for prefix in ("", "/api/auth"):
        app.route(prefix + "/.well-known/openid-configuration", "GET", discovery)
    app.route("/api/auth/jwks", "GET", jwks)
    app.route("/.well-known/jwks.json", "GET", jwks)

    # -- page assets ---------------------------------------------------------------

    def static(name: str) -> Any:
        res = bottle.static_file(name, root=str(STATIC))
        res.set_header("Cache-Control", "public, max-age=3600")
        res.set_header("X-Content-Type-Options", "nosniff")
        return res

    app.route(STATIC_PREFIX + "/<name:re:[a-z0-9_-]+\\.(css|js)>", "GET", static)
