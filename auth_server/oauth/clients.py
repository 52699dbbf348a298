"""Registering relying parties and checking what they send against their registration."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from auth_server.crypto import BadPubkey, parse_pubkey
from auth_server.display import clean_name, has_control_characters
from auth_server.oauth.errors import OAuthError, invalid_client
from auth_server.store.models import AUTH_METHODS, PRIVATE_KEY_JWT, SECRET_METHODS, X_AUTH_TOKEN, OAuthClient
from auth_server.store.oauth import ClientRepository

if TYPE_CHECKING:
    from auth_server.store import Store

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
#: schemes a browser would run or read locally instead of navigating to an app
_DANGEROUS_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})
#: RFC 3986 2.2/2.3: unreserved, reserved and '%' (for escapes); nothing else may appear in a URI
_URI_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: asymmetric algorithms accepted for ``private_key_jwt`` client assertions
CLIENT_ASSERTION_ALGS: tuple[str, ...] = ("ES256", "RS256", "EdDSA")


def is_loopback(host: str | None) -> bool:
    host = host or ""
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


def validate_redirect_uri(uri: str, *, web_only: bool = False) -> str:
    """An absolute URI without a fragment (RFC 6749 3.1.2); http only for loopback hosts.

    Only the characters RFC 3986 allows, so the URI means one thing to every parser: a
    backslash (``http://evil.example\\@localhost/cb`` is loopback to one parser and
    evil.example to a browser), whitespace, controls (a CR/LF would split the Location
    header) and a malformed ``%`` escape are refused, and so is userinfo, which makes
    ``https://bank.example@evil.example/cb`` read as the bank on a consent page.
    ``web_only`` (dynamic registration) allows only https and loopback http; otherwise an
    app's own scheme (``com.example.app:/cb``) is allowed, never one a browser runs itself
    (``javascript:``, ``data:``, ...).
    """
    bad = next((ch for ch in uri if ch not in _URI_CHARACTERS), None)
    if bad is not None:
        raise ValueError(f"redirect URI may hold only the characters RFC 3986 allows, not {bad!r}: {uri!r}")
    if _BAD_ESCAPE.search(uri):
        raise ValueError(f"redirect URI has a '%' that is not followed by two hex digits: {uri!r}")
    parts = urlsplit(uri)
    if "@" in parts.netloc:
        raise ValueError(f"redirect URI must not carry a user name or password before the host: {uri!r}")
    scheme = parts.scheme.lower()
    if not scheme or not (parts.netloc or scheme not in ("http", "https")):
        raise ValueError(f"redirect URI must be absolute: {uri!r}")
    if scheme in _DANGEROUS_SCHEMES:
        raise ValueError(f"redirect URI scheme {scheme!r} is not allowed: {uri!r}")
    if parts.fragment or "#" in uri:
        raise ValueError(f"redirect URI must not contain a fragment: {uri!r}")
    if web_only and scheme not in ("http", "https"):
        raise ValueError(f"redirect URI must be https (or http on a loopback host): {uri!r}")
    if scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(f"http redirect URIs are only allowed for loopback hosts; use https: {uri!r}")
    return uri


def validate_jwks_uri(uri: str, *, https_only: bool = False) -> str:
    """Where a ``private_key_jwt`` client publishes its keys: https, or (registered by the
    admin) http on loopback. ``https_only`` (dynamic registration: a stranger must not make
    the server fetch from its own machine or network) also refuses local names and
    non-public addresses (:func:`auth_server.oauth.outbound.check_public_url`)."""
    from auth_server.oauth.outbound import AddressRefused, check_public_url

    if https_only:
        try:
            return check_public_url(uri)
        except AddressRefused as exc:
            raise ValueError(f"jwks_uri {exc}") from None
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.netloc:
        return uri
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return uri
    raise ValueError(f"jwks_uri must be an https URL (or http on a loopback host): {uri!r}")


def validate_jwks(jwks: Any) -> dict[str, Any]:
    """A public JWK set of keys usable for client assertions (no private parts, no shared keys)."""
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except ValueError:
            raise ValueError("jwks is not valid JSON") from None
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise ValueError('jwks must be a JSON object {"keys": [...]} with at least one key')
    for key in jwks["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("EC", "RSA", "OKP"):
            raise ValueError("jwks keys must be EC, RSA or OKP public keys")
        if any(name in key for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise ValueError("jwks must hold public keys only (a private key was given)")
    try:
        KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"jwks could not be read: {exc}") from None
    return jwks


def new_client(
    name: str,
    redirect_uris: list[str],
    member_pubkey: str | None,
    *,
    now: float,
    owner_bap_id: str | None = None,
    trusted: bool = False,
    client_id: str | None = None,
    auth_method: str | None = None,
    secret_hash: str | None = None,
    jwks: Any = None,
    jwks_uri: str | None = None,
    post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
    web_only: bool = False,
    self_registered: bool = False,
) -> OAuthClient:
    """Build a validated client record; ``ValueError`` names the first bad field.

    ``auth_method`` defaults to ``x_auth_token`` (the Sigma client's), which needs
    ``member_pubkey``; secret methods need ``secret_hash`` (the caller made the secret),
    ``private_key_jwt`` needs ``jwks`` or ``jwks_uri``.
    """
    method = auth_method or X_AUTH_TOKEN
    if method not in AUTH_METHODS:
        raise ValueError(f"auth method must be one of {', '.join(AUTH_METHODS)}")
    shown_name = clean_name(name)  # what every page will show: no bidi, zero-width or control characters
    if not shown_name:
        raise ValueError("name must not be empty (it needs visible characters)")
    if not redirect_uris:
        raise ValueError("at least one redirect URI is required")
    uris = tuple(dict.fromkeys(validate_redirect_uri(u, web_only=web_only) for u in redirect_uris))
    logout_uris = tuple(dict.fromkeys(validate_redirect_uri(u, web_only=web_only) for u in post_logout_redirect_uris))
    pubkey = None
    if method == X_AUTH_TOKEN:
        if not member_pubkey:
            raise ValueError("member pubkey: required for x_auth_token clients")
        try:
            pubkey = parse_pubkey(member_pubkey.strip()).format(compressed=True).hex()
        except BadPubkey as exc:
            raise ValueError(f"member pubkey: {exc}") from None
    elif member_pubkey:
        raise ValueError(f"member pubkey: only x_auth_token clients have one, not {method} clients")
    if method in SECRET_METHODS and not secret_hash:
        raise ValueError(f"{method} clients need a secret")
    keys, keys_uri = None, None
    if method == PRIVATE_KEY_JWT:
        if (jwks is None) == (jwks_uri is None):
            raise ValueError("private_key_jwt clients need either jwks or jwks_uri (one of them)")
        keys = validate_jwks(jwks) if jwks is not None else None
        keys_uri = validate_jwks_uri(jwks_uri, https_only=web_only) if jwks_uri is not None else None
    elif jwks is not None or jwks_uri is not None:
        raise ValueError("jwks and jwks_uri are only for private_key_jwt clients")
    return OAuthClient(
        client_id=client_id or "sigil_" + secrets.token_urlsafe(12),
        name=shown_name,
        redirect_uris=uris,
        member_pubkey=pubkey,
        owner_bap_id=owner_bap_id,
        trusted=trusted,
        disabled=False,
        created_at=now,
        token_endpoint_auth_method=method,
        secret_hash=secret_hash if method in SECRET_METHODS else None,
        jwks=keys,
        jwks_uri=keys_uri,
        post_logout_redirect_uris=logout_uris,
        self_registered=self_registered,
    )


def active_client(clients: ClientRepository, client_id: str | None, *, recent: bool = False) -> OAuthClient:
    """The enabled client ``client_id``, or ``invalid_client``. ``recent``: this instance's
    copy of it may do (:meth:`~auth_server.store.clients.ClientRepository.recent`)."""
    if not client_id:
        raise invalid_client("client_id is required")
    if has_control_characters(client_id):  # names no client (and PostgreSQL refuses a NUL: a 500)
        raise invalid_client("unknown or disabled client")
    client = clients.recent(client_id) if recent else clients.get(client_id)
    if client is None or client.disabled:
        raise invalid_client("unknown or disabled client")
    return client


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its query (a registered redirect URI may have one already)."""
    return uri + ("&" if urlsplit(uri).query else "?") + urlencode(params)


def require_redirect_uri(client: OAuthClient, redirect_uri: str | None) -> str:
    """Exact string match against the registration (no prefix or wildcard matching)."""
    if not redirect_uri or redirect_uri not in client.redirect_uris:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
    return redirect_uri


def authenticate_client(client: OAuthClient, token_pubkey: str) -> None:
    """The verified X-Auth-Token must come from the client's registered member key."""
    if token_pubkey != client.member_pubkey:
        raise invalid_client("X-Auth-Token is not signed by this client's member key")


class ClientExists(ValueError):
    """``register_client`` was given a ``client_id`` that is already taken."""


@dataclass(frozen=True)
class NewClient:
    """A registered client and, for the secret methods, its secret: shown this once, never
    stored (the store keeps its hash), never logged."""

    client: OAuthClient
    client_secret: str | None = None

    @property
    def client_id(self) -> str:
        return self.client.client_id

    def as_dict(self) -> dict[str, Any]:
        data = self.client.as_dict()
        if self.client_secret is not None:
            data["client_secret"] = self.client_secret
        return data


def register_client(
    store: Store,
    name: str,
    redirect_uris: list[str],
    member_pubkey: str | None = None,
    *,
    auth_method: str | None = None,
    jwks: Any = None,
    jwks_uri: str | None = None,
    post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
    owner_bap_id: str | None = None,
    trusted: bool = False,
    client_id: str | None = None,
    web_only: bool = False,
    strict_auth_method: bool = False,
    self_registered: bool = False,
) -> NewClient:
    """Validate and store a new OAuth client; for the secret methods make its secret.

    ``auth_method`` defaults to ``x_auth_token`` with a member pubkey, else
    ``client_secret_basic``. ``ValueError`` names the first bad field;
    :class:`ClientExists` when ``client_id`` is taken. ``strict_auth_method``: a secret
    client must use exactly ``auth_method`` (by default it may use either secret method).
    """
    from auth_server.oauth.credentials import new_client_secret

    method = auth_method or (X_AUTH_TOKEN if member_pubkey else "client_secret_basic")
    secret, secret_hash = new_client_secret() if method in SECRET_METHODS else (None, None)
    new = new_client(name, redirect_uris, member_pubkey, now=store.clock(), owner_bap_id=owner_bap_id,
                     trusted=trusted, client_id=client_id, auth_method=method, secret_hash=secret_hash,
                     jwks=jwks, jwks_uri=jwks_uri, post_logout_redirect_uris=post_logout_redirect_uris,
                     web_only=web_only, self_registered=self_registered)
    if strict_auth_method:
        if method not in SECRET_METHODS:
            raise ValueError("--strict-auth-method applies to client_secret_basic and client_secret_post only "
                             f"(a {method} client always uses exactly its method)")
        new = dataclasses.replace(new, strict_auth_method=True)
    if store.oauth.clients.get(new.client_id) is not None:
        raise ClientExists(f"a client with id {new.client_id!r} exists already")
    store.oauth.clients.add(new)
    return NewClient(new, secret)
