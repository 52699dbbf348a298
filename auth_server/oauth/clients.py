"""Registering relying parties and checking what they send against their registration."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from auth_server.crypto import BadPubkey, parse_pubkey
from auth_server.oauth.errors import OAuthError, invalid_client
from auth_server.store.oauth import ClientRepository, OAuthClient


def validate_redirect_uri(uri: str) -> str:
    """An absolute URI without a fragment (RFC 6749 3.1.2); http only for loopback hosts."""
    parts = urlsplit(uri)
    if not parts.scheme or not (parts.netloc or parts.scheme not in ("http", "https")):
        raise ValueError(f"redirect URI must be absolute: {uri!r}")
    if parts.fragment:
        raise ValueError(f"redirect URI must not contain a fragment: {uri!r}")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1") and not (
        parts.hostname or ""
    ).endswith(".localhost"):
        raise ValueError(f"http redirect URIs are only allowed for loopback hosts; use https: {uri!r}")
    return uri


def new_client(
    name: str,
    redirect_uris: list[str],
    member_pubkey: str,
    *,
    now: float,
    owner_bap_id: str | None = None,
    trusted: bool = False,
    client_id: str | None = None,
) -> OAuthClient:
    """Build a validated client record; ``ValueError`` names the first bad field."""
    if not name.strip():
        raise ValueError("name must not be empty")
    if not redirect_uris:
        raise ValueError("at least one redirect URI is required")
    uris = tuple(dict.fromkeys(validate_redirect_uri(u) for u in redirect_uris))
    try:
        pubkey = parse_pubkey(member_pubkey.strip()).format(compressed=True).hex()
    except BadPubkey as exc:
        raise ValueError(f"member pubkey: {exc}") from None
    return OAuthClient(
        client_id=client_id or "sigil_" + secrets.token_urlsafe(12),
        name=name.strip(),
        redirect_uris=uris,
        member_pubkey=pubkey,
        owner_bap_id=owner_bap_id,
        trusted=trusted,
        disabled=False,
        created_at=now,
    )


def active_client(clients: ClientRepository, client_id: str | None) -> OAuthClient:
    """The enabled client ``client_id``, or ``invalid_client``."""
    if not client_id:
        raise invalid_client("client_id is required")
    client = clients.get(client_id)
    if client is None or client.disabled:
        raise invalid_client("unknown or disabled client")
    return client


def require_redirect_uri(client: OAuthClient, redirect_uri: str | None) -> str:
    """Exact string match against the registration (no prefix or wildcard matching)."""
    if not redirect_uri or redirect_uri not in client.redirect_uris:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
    return redirect_uri


def authenticate_client(client: OAuthClient, token_pubkey: str) -> None:
    """The verified X-Auth-Token must come from the client's registered member key."""
    if token_pubkey != client.member_pubkey:
        raise invalid_client("X-Auth-Token is not signed by this client's member key")
