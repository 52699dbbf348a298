"""Dynamic client registration (RFC 7591): who may register, and which metadata is accepted.

Off unless ``dynamic_registration`` says otherwise. With ``token`` every registration
presents an initial access token the admin made (``sigil-server clients
registration-token``), each good for one client; with ``public`` a public client (PKCE,
``token_endpoint_auth_method=none``) may register without one. Redirect URIs must be
https, or http on a loopback host, without fragments (``invalid_redirect_uri``); any other
bad field is ``invalid_client_metadata``. Registered clients are never trusted (they
always ask for consent).

A registered client is marked ``self_registered``: a stranger, not the administrator's.
It may not embed the signer frame (:func:`auth_server.origins.frame_parent_origins`),
its ``jwks_uri`` reaches public addresses only (:mod:`auth_server.oauth.outbound`), logout
sends the browser to it only with an ``id_token_hint`` (:mod:`auth_server.oauth.logout`),
the consent page says the server has not verified it, and it may not take the name of an
administrator's client. One registration holds at most :data:`MAX_URIS` URIs of each kind, and
registrations are rate-limited per client address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auth_server.display import clean_name

from auth_server.oauth.clients import NewClient, register_client, validate_redirect_uri
from auth_server.oauth.errors import OAuthError, invalid_token
from auth_server.oauth.grants import GRANTS
from auth_server.oauth.outbound import AddressRefused, check_public_resolution
from auth_server.store.models import AUTH_METHODS, PUBLIC, SECRET_METHODS, X_AUTH_TOKEN
from auth_server.oauth.credentials import hash_secret, new_credential

if TYPE_CHECKING:
    from auth_server.store import Store

#: what a registration may choose (x_auth_token clients are registered by the admin only)
REGISTRABLE_METHODS = tuple(m for m in AUTH_METHODS if m != X_AUTH_TOKEN)
DEFAULT_TOKEN_TTL = 24 * 3600
#: what one registration may hold: every registered URI ends up in some answer's header
MAX_URIS = 10
MAX_URI_LENGTH = 1000
#: registrations per client address and window (``RateLimiter``, when rate limits are on)
REGISTRATIONS_PER_ADDRESS = 10
REGISTRATION_WINDOW_SECONDS = 3600.0


def metadata_error(description: str) -> OAuthError:
    return OAuthError("invalid_client_metadata", description)


@dataclass(frozen=True)
class ClientMetadata:
    client_name: str
    redirect_uris: list[str]
    token_endpoint_auth_method: str
    post_logout_redirect_uris: list[str]
    jwks: dict[str, Any] | None
    jwks_uri: str | None


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _uris(body: dict[str, Any], name: str, required: bool) -> list[str]:
    value = body.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        raise OAuthError("invalid_redirect_uri", f"{name} must be a non-empty array of strings")
    if len(value) > MAX_URIS:
        raise OAuthError("invalid_redirect_uri", f"{name} may hold at most {MAX_URIS} URIs")
    if any(len(uri) > MAX_URI_LENGTH for uri in value):
        raise OAuthError("invalid_redirect_uri", f"{name}: each URI may be at most {MAX_URI_LENGTH} characters")
    for uri in value:
        try:
            validate_redirect_uri(uri, web_only=True)
        except ValueError as exc:
            raise OAuthError("invalid_redirect_uri", str(exc)) from None
    return value


def parse_metadata(body: dict[str, Any]) -> ClientMetadata:
    """Check RFC 7591 2 metadata; ``invalid_redirect_uri`` / ``invalid_client_metadata``."""
    redirect_uris = _uris(body, "redirect_uris", required=True)
    logout_uris = _uris(body, "post_logout_redirect_uris", required=False)
    method = body.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in REGISTRABLE_METHODS:
        raise metadata_error(f"token_endpoint_auth_method must be one of {', '.join(REGISTRABLE_METHODS)}")
    grant_types = body.get("grant_types", ["authorization_code"])
    if not _strings(grant_types) or not set(grant_types) <= set(GRANTS):
        raise metadata_error(f"grant_types must be among {', '.join(GRANTS)}")
    response_types = body.get("response_types", ["code"])
    if not _strings(response_types) or not set(response_types) <= {"code"}:
        raise metadata_error("response_types must be [\"code\"]")
    name = body.get("client_name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise metadata_error("client_name must be a string of at most 200 characters")
    jwks, jwks_uri = body.get("jwks"), body.get("jwks_uri")
    if jwks_uri is not None and not isinstance(jwks_uri, str):
        raise metadata_error("jwks_uri must be a string")
    if jwks is not None and jwks_uri is not None:
        raise metadata_error("send jwks or jwks_uri, not both")
    if jwks_uri is not None:
        try:  # here, before any transaction: the name is resolved (and again at every fetch)
            check_public_resolution(jwks_uri)
        except AddressRefused as exc:
            raise metadata_error(f"jwks_uri {exc}") from None
    host = redirect_uris[0].split("//", 1)[-1].split("/", 1)[0]
    return ClientMetadata(name.strip() or host, redirect_uris, method, logout_uris, jwks, jwks_uri)


def issue_registration_token(store: Store, ttl_seconds: float = DEFAULT_TOKEN_TTL) -> str:
    """A new initial access token (returned once; the store keeps its hash)."""
    if ttl_seconds <= 0:
        raise ValueError("the token's lifetime must be positive")
    token = new_credential()
    now = store.clock()
    store.oauth.registration_tokens.issue(hash_secret(token), now, now + ttl_seconds)
    return token


def register(store: Store, mode: str, body: dict[str, Any], initial_token: str | None) -> NewClient:
    """Register the client ``body`` describes, spending ``initial_token`` when one is needed.

    The metadata is checked first, then the token is spent and the client stored in one
    transaction: a refused registration spends nothing, a racing second use registers nothing.
    """
    if mode == "off":
        raise OAuthError("access_denied", "dynamic client registration is turned off on this server", 403)
    meta = parse_metadata(body)
    needs_token = mode == "token" or meta.token_endpoint_auth_method != PUBLIC or initial_token is not None
    with store.write():
        if needs_token:
            if not initial_token:
                raise invalid_token("an initial access token is required to register this client")
            if not store.oauth.registration_tokens.spend(hash_secret(initial_token), store.clock()):
                raise invalid_token("the initial access token is unknown, expired or already used")
        _refuse_a_taken_name(store, meta.client_name)
        try:
            return register_client(
                store, meta.client_name, meta.redirect_uris, auth_method=meta.token_endpoint_auth_method,
                jwks=meta.jwks, jwks_uri=meta.jwks_uri, post_logout_redirect_uris=meta.post_logout_redirect_uris,
                web_only=True, self_registered=True)
        except ValueError as exc:
            raise metadata_error(str(exc)) from None


def _refuse_a_taken_name(store: Store, name: str) -> None:
    """A stranger may not pass for an administrator's client: a name that reads the same as
    one of theirs (case and invisible characters aside) is refused. Strangers may share a
    name among themselves (an app that registers once per install does), all marked."""
    wanted = clean_name(name).casefold()
    if any(client.name.casefold() == wanted for client in store.oauth.clients.list() if not client.self_registered):
        raise metadata_error(f"client_name {clean_name(name)!r} is taken by a client of this server's administrator; choose another")


def registration_response(new: NewClient) -> dict[str, Any]:
    """RFC 7591 3.2.1: the client's metadata with its id (and secret, this once)."""
    client = new.client
    answer: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at),
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(GRANTS),
        "response_types": ["code"],
    }
    if client.jwks_uri:
        answer["jwks_uri"] = client.jwks_uri
    if client.jwks:
        answer["jwks"] = client.jwks
    if client.token_endpoint_auth_method in SECRET_METHODS:
        answer["client_secret"] = new.client_secret
        answer["client_secret_expires_at"] = 0
    return answer
