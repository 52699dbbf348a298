"""``client_secret_basic`` and ``client_secret_post`` (RFC 6749 2.3.1): a random secret of
256 bits, shown once at registration and stored only as its SHA-256 (like every other
random credential here: a value that cannot be guessed needs no slow hash). The presented
secret's hash is compared in constant time with the current one and, during a rotation's
grace period, with the previous one."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from urllib.parse import unquote_plus

from auth_server.oauth.client_auth.base import CHALLENGES, ClientRequest, MethodDeps, require_method
from auth_server.oauth.clients import active_client
from auth_server.oauth.errors import OAuthError, invalid_client
from auth_server.oauth.credentials import hash_secret
from auth_server.store.models import OAuthClient


def secret_matches(client: OAuthClient, secret: str, now: float) -> bool:
    """Constant-time check of ``secret`` against the client's current and (unexpired) previous secret."""
    digest = hash_secret(secret)
    current = hmac.compare_digest(digest, client.secret_hash or "")
    previous = hmac.compare_digest(digest, client.previous_secret_hash or "")
    in_grace = client.previous_secret_expires_at is not None and now < client.previous_secret_expires_at
    return current or (previous and in_grace)


#: the one answer to failed secret authentication, whatever failed
SECRET_REFUSED = "client authentication failed (unknown client or wrong secret)"


class _SecretMethod:
    name = ""
    challenge: str | None = None

    def __init__(self, deps: MethodDeps) -> None:
        self.clients = deps.clients
        self.clock: Callable[[], float] = deps.clock

    def _check(self, request: ClientRequest, client_id: str | None, secret: str) -> OAuthClient:
        """The client these credentials prove. An unknown or disabled client and a wrong
        secret are the same answer, so guessing cannot tell a live client id from a typo
        (a client registered for another method is named as such: that is configuration)."""
        try:
            client = active_client(self.clients, client_id, recent=request.use_recent_client)
        except OAuthError:
            raise invalid_client(SECRET_REFUSED, self.challenge) from None
        require_method(client, self.name)
        if not secret or not secret_matches(client, secret, self.clock()):
            raise invalid_client(SECRET_REFUSED, self.challenge)
        return client


class ClientSecretBasic(_SecretMethod):
    """``Authorization: Basic base64(urlencode(client_id) ":" urlencode(secret))``."""

    name = "client_secret_basic"
    challenge = CHALLENGES[name]

    def presented(self, request: ClientRequest) -> bool:
        return (request.header("Authorization") or "")[:6].lower() == "basic "

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        encoded = (request.header("Authorization") or "")[6:].strip()
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise invalid_client("the Basic credentials are not valid base64 of UTF-8", self.challenge) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise invalid_client("the Basic credentials must be client_id:client_secret", self.challenge)
        return self._check(request, unquote_plus(client_id), unquote_plus(secret))


class ClientSecretPost(_SecretMethod):
    """``client_id`` and ``client_secret`` in the form body."""

    name = "client_secret_post"

    def presented(self, request: ClientRequest) -> bool:
        return "client_secret" in request.form

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        return self._check(request, request.form.get("client_id"), request.form.get("client_secret", ""))
