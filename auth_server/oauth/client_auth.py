"""Client authentication (RFC 6749 2.3): who is calling the token, revocation,
introspection and device endpoints.

A method is a small object with a ``name`` (the value discovery lists), ``presented``
(does this request carry this method's credentials?) and ``authenticate`` (the client
those credentials prove, or ``invalid_client``). It sees the raw request parts in a
:class:`ClientRequest`, never a framework request. Methods are registered by name in
:data:`METHOD_FACTORIES`; a :class:`ClientAuthenticator` holds one instance of each and
chooses among them. Today there is one, ``x_auth_token`` (a Sigma X-Auth-Token signed by
the client's member key over the exact body); further methods (``none``,
``client_secret_basic``, ...) are siblings of :class:`XAuthTokenMethod`, and the choice
becomes the client's registered method once clients record one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from auth_server.crypto import AuthToken, TokenError
from auth_server.oauth.clients import active_client, authenticate_client
from auth_server.oauth.errors import invalid_client
from auth_server.store.oauth import ClientRepository, OAuthClient


@dataclass(frozen=True)
class ClientRequest:
    """The parts of an HTTP request client authentication may look at.

    ``headers`` must look names up case-insensitively (a WSGI header dict does);
    ``body`` is the raw body exactly as sent (signatures cover it), ``form`` its parsed form.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str]

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


class XAuthTokenMethod:
    """``X-Auth-Token`` signed by the client's member key for this path over the raw body.

    The client is named by ``client_id``; without one, by the signing key when exactly one
    enabled client is registered with it. Any token failure is ``invalid_client``.
    """

    name = "x_auth_token"
    HEADER = "X-Auth-Token"

    def __init__(self, clients: ClientRepository, verify: TokenVerifier) -> None:
        self.clients = clients
        self.verify = verify

    def presented(self, request: ClientRequest) -> bool:
        return request.header(self.HEADER) is not None

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        try:
            token = self.verify(request.header(self.HEADER), request.path, request.body, claim)
        except TokenError as exc:
            raise invalid_client(f"X-Auth-Token rejected ({exc.code}): {exc.message}") from None
        client_id = request.form.get("client_id")
        if not client_id:
            matches = [c for c in self.clients.list() if c.member_pubkey == token.pubkey and not c.disabled]
            if len(matches) != 1:
                raise invalid_client("client_id is required")
            return matches[0]
        client = active_client(self.clients, client_id)
        authenticate_client(client, token.pubkey)
        return client


MethodFactory = Callable[[ClientRepository, TokenVerifier], ClientAuthMethod]

#: method name (as discovery lists it) -> how to build it
METHOD_FACTORIES: dict[str, MethodFactory] = {
    XAuthTokenMethod.name: XAuthTokenMethod,
}
DEFAULT_METHOD = XAuthTokenMethod.name


class ClientAuthenticator:
    """Picks the client-authentication method a request uses and runs it."""

    def __init__(self, clients: ClientRepository, methods: Mapping[str, ClientAuthMethod],
                 default: str = DEFAULT_METHOD) -> None:
        self.clients = clients
        self.methods = dict(methods)
        self.default = self.methods[default]

    @classmethod
    def build(cls, clients: ClientRepository, verify: TokenVerifier) -> ClientAuthenticator:
        """One instance of every registered method."""
        return cls(clients, {name: make(clients, verify) for name, make in METHOD_FACTORIES.items()})

    @property
    def method_names(self) -> list[str]:
        """What discovery lists as ``*_endpoint_auth_methods_supported``."""
        return list(self.methods)

    def _method_of(self, request: ClientRequest) -> ClientAuthMethod | None:
        return next((m for m in self.methods.values() if m.presented(request)), None)

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        """A confidential client's proof; without any credentials the default method's error."""
        method = self._method_of(request) or self.default
        return method.authenticate(request, claim=claim)

    def authenticate_public(self, request: ClientRequest) -> OAuthClient:
        """A public client named by ``client_id``; credentials, when sent, must still be valid."""
        client = active_client(self.clients, request.form.get("client_id"))
        method = self._method_of(request)
        if method is not None:
            method.authenticate(request)
        return client
