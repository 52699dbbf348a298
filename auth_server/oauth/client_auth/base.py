"""What every client-authentication method shares: the request parts it may look at, the
method interface, what methods are built from, and the registered-method check."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from auth_server.crypto import AuthToken
from auth_server.oauth.clients import active_client
from auth_server.oauth.errors import invalid_client
from auth_server.store.models import SECRET_METHODS, OAuthClient
from auth_server.store.oauth import ClientRepository

#: ``WWW-Authenticate`` of a failed attempt, by the method the client tried or is registered for
CHALLENGES = {"client_secret_basic": 'Basic realm="sigil"', "x_auth_token": "X-Auth-Token"}


@dataclass(frozen=True)
class ClientRequest:
    """The parts of an HTTP request client authentication may look at.

    ``headers`` must look names up case-insensitively (a WSGI header dict does);
    ``body`` is the raw body exactly as sent (signatures cover it), ``form`` its parsed form.
    ``notes`` is where authentication leaves what it learned (``"client"``: the client it
    proved), for the web layer's answer (CORS) also when the endpoint then fails, and
    (``"claim"``) the proof it left unspent when told to defer it.

    ``use_recent_client``: the endpoint's one store call re-checks the client's row version,
    so the client may be this instance's copy of it
    (:meth:`~auth_server.store.clients.ClientRepository.recent`; the code exchange and
    introspection). ``defer_claim``: that call also spends the client's single-use proof,
    so it is left unspent as a :class:`~auth_server.store.replay.Claim` in ``notes`` (the
    code exchange).
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str]
    notes: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    use_recent_client: bool = False
    defer_claim: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name) or None


class ClientAuthMethod(Protocol):
    """One way for a client to prove who it is."""

    name: str

    def presented(self, request: ClientRequest) -> bool:
        """Whether ``request`` carries this method's credentials at all."""

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        """The client proven by ``request``; ``invalid_client`` (401) otherwise.

        ``claim=False`` checks the credentials without spending them (single use)."""


#: verify(header, path, body, claim) -> the verified token; raises ``TokenError``
TokenVerifier = Callable[[str | None, str, bytes, bool], AuthToken]


def _no_replay_window(token: AuthToken) -> float:
    raise RuntimeError("a deferred X-Auth-Token claim needs its expiry (MethodDeps.replay_expiry)")


def _no_replay_memory(key: str, expires_at: float) -> bool:
    raise RuntimeError("client assertions need a replay guard (MethodDeps.claim_once)")


@dataclass(frozen=True)
class MethodDeps:
    """What the methods are built from. ``claim_once(key, expires_at)`` is the store's replay
    guard (True the first time only, atomic in the database); ``issuer`` and
    ``token_endpoint`` are the audiences a client assertion may name."""

    clients: ClientRepository
    verify: TokenVerifier
    claim_once: Callable[[str, float], bool] = _no_replay_memory
    #: until when a verified X-Auth-Token's claim must be remembered (a deferred claim's expiry)
    replay_expiry: Callable[[AuthToken], float] = _no_replay_window
    issuer: str = ""
    token_endpoint: str = ""
    clock: Callable[[], float] = field(default=time.time)
    #: fetch(jwks_uri, public_only) reads a client's keys; None: the bounded HTTP fetch of
    #: :mod:`auth_server.oauth.outbound`
    fetch: Callable[[str, bool], bytes] | None = None
    #: how long a request waits for its client's key fetch; None: the fetch's deadline
    #: (a server serving on its I/O loop, ``--threads 0``, waits briefly instead)
    fetch_wait: float | None = None


def registered_for(clients: ClientRepository, request: ClientRequest, client_id: str | None,
                   method: str) -> OAuthClient:
    """The enabled client ``client_id`` (read as ``request`` allows), which must be registered
    for ``method``: a request authenticated another way is ``invalid_client`` (also a secret
    client sending nothing, and a public client sending a secret)."""
    return require_method(active_client(clients, client_id, recent=request.use_recent_client), method)


def require_method(client: OAuthClient, method: str) -> OAuthClient:
    """``client``, if it is registered for ``method``; else ``invalid_client`` naming the
    method it is registered for. A secret client may present its secret either way (Basic
    or in the body: RPs differ in their default, e.g. JupyterHub posts it) unless it is
    registered with ``strict_auth_method``."""
    registered = client.token_endpoint_auth_method
    both_secret = registered in SECRET_METHODS and method in SECRET_METHODS
    if registered != method and not (both_secret and not client.strict_auth_method):
        what = "no client authentication" if method == "none" else method
        raise invalid_client(f"this client is registered for {registered}, not {what}", CHALLENGES.get(registered))
    return client
