"""Client authentication (RFC 6749 2.3, OIDC Core 9): who is calling the token, revocation,
introspection and device endpoints.

A method is a small object with a ``name`` (the IANA name discovery lists), ``presented``
(does this request carry this method's credentials?) and ``authenticate`` (the client
those credentials prove, or ``invalid_client``). It sees the raw request parts in a
:class:`ClientRequest`, never a framework request. Methods are registered by name in
:data:`METHOD_FACTORIES`, one module each:

* ``x_auth_token`` (:mod:`.x_auth_token`): the Sigma client's Bitcoin signature;
* ``client_secret_basic``, ``client_secret_post`` (:mod:`.secret`);
* ``private_key_jwt`` (:mod:`.private_key_jwt`, RFC 7523);
* ``none`` (:mod:`.public`): public clients, chosen when no credentials are sent.

A :class:`ClientAuthenticator` holds one instance of each. A request may carry one
method's credentials only (RFC 6749 2.3); the client must be registered for that method
(``token_endpoint_auth_method``), so a secret client sending nothing and a public client
sending a secret are both ``invalid_client``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TypeVar

from auth_server.oauth.client_auth.base import (
    CHALLENGES, ClientAuthMethod, ClientRequest, MethodDeps, TokenVerifier, registered_for, require_method,
)
from auth_server.oauth.client_auth.private_key_jwt import ALGORITHMS as ASSERTION_ALGORITHMS
from auth_server.oauth.client_auth.private_key_jwt import PrivateKeyJWTMethod
from auth_server.oauth.client_auth.public import NoneMethod
from auth_server.oauth.client_auth.secret import ClientSecretBasic, ClientSecretPost
from auth_server.oauth.client_auth.x_auth_token import XAuthTokenMethod
from auth_server.oauth.clients import active_client
from auth_server.oauth.errors import OAuthError, invalid_client, invalid_request
from auth_server.store.models import PUBLIC, X_AUTH_TOKEN, OAuthClient
from auth_server.store.oauth import ClientRepository

__all__ = [
    "ASSERTION_ALGORITHMS", "ClientAuthMethod", "ClientAuthenticator", "ClientRequest",
    "METHOD_FACTORIES", "MethodDeps", "TokenVerifier", "XAuthTokenMethod", "confidential",
    "registered_for",
]

T = TypeVar("T")
MethodFactory = Callable[[MethodDeps], ClientAuthMethod]

#: method name (as discovery lists it) -> how to build it
METHOD_FACTORIES: dict[str, MethodFactory] = {
    XAuthTokenMethod.name: XAuthTokenMethod,
    ClientSecretBasic.name: ClientSecretBasic,
    ClientSecretPost.name: ClientSecretPost,
    PrivateKeyJWTMethod.name: PrivateKeyJWTMethod,
    NoneMethod.name: NoneMethod,
}


class ClientAuthenticator:
    """Picks the client-authentication method a request uses and runs it."""

    def __init__(self, clients: ClientRepository, methods: Mapping[str, ClientAuthMethod]) -> None:
        self.clients = clients
        self.methods = dict(methods)

    @classmethod
    def build(cls, deps: MethodDeps) -> ClientAuthenticator:
        """One instance of every registered method."""
        return cls(deps.clients, {name: make(deps) for name, make in METHOD_FACTORIES.items()})

    @property
    def method_names(self) -> list[str]:
        """What discovery lists as ``token_endpoint_auth_methods_supported``."""
        return list(self.methods)

    def _method_of(self, request: ClientRequest) -> ClientAuthMethod:
        found = [m for m in self.methods.values() if m.presented(request)]
        if len(found) > 1:
            raise invalid_request("use one client authentication method per request, not "
                                  + " and ".join(m.name for m in found))
        return found[0] if found else self.methods[PUBLIC]

    def prepare(self, request: ClientRequest) -> None:
        """What may be slow or reach outside (fetching a client's keys), done before the
        caller opens a transaction; the later :meth:`authenticate` reuses it and only
        spends what is single use. Raises what :meth:`authenticate` would."""
        method = self._method_of(request)
        prepare = getattr(method, "prepare", None)
        if prepare is not None:
            self._run(method, lambda: prepare(request))

    def _run(self, method: ClientAuthMethod, work: Callable[[], T]) -> T:
        try:
            return work()
        except OAuthError as exc:
            if exc.status == 401 and method.name in CHALLENGES:
                exc.challenge = CHALLENGES[method.name]
            raise

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        """The client the request's credentials prove; ``invalid_client`` (401) otherwise.

        A failed attempt's ``WWW-Authenticate`` names the scheme the client tried (``Basic``,
        ``X-Auth-Token``), else the one it is registered for.
        """
        method = self._method_of(request)
        try:
            client = self._run(method, lambda: method.authenticate(request, claim=claim))
        except OAuthError:
            if not request.use_recent_client:
                raise
            # the instance's copy of the client may be older than what the client now shows
            # (a rotated secret): the answer is the fresh row's (which also renews the copy)
            fresh = dataclasses.replace(request, use_recent_client=False)
            client = self._run(method, lambda: method.authenticate(fresh, claim=claim))
        request.notes["client"] = client
        return client

    def authenticate_public(self, request: ClientRequest) -> OAuthClient:
        """The device endpoints: a public client by ``client_id``, and so (as before this
        provider knew other methods) an ``x_auth_token`` client that sends no token; every
        other client, and any client sending credentials, must prove itself."""
        if self._method_of(request).name != PUBLIC:
            return self.authenticate(request)
        client = active_client(self.clients, request.form.get("client_id"))
        if client.token_endpoint_auth_method != X_AUTH_TOKEN:
            require_method(client, PUBLIC)  # what the none method would check, on the client read once
        request.notes["client"] = client
        return client


def confidential(client: OAuthClient) -> OAuthClient:
    """Introspection answers confidential clients only (a public client proves nothing)."""
    if client.is_public:
        raise invalid_client("public clients cannot use token introspection")
    return client

