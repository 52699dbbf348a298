"""``none``: a public client (SPA, native app, CLI) is named by ``client_id`` and proves
nothing; PKCE (S256, mandatory for every client) binds its code to the app instance."""

from __future__ import annotations

from auth_server.oauth.client_auth.base import ClientRequest, MethodDeps, registered_for
from auth_server.store.models import PUBLIC, OAuthClient


class NoneMethod:
    name = PUBLIC

    def __init__(self, deps: MethodDeps) -> None:
        self.clients = deps.clients

    def presented(self, request: ClientRequest) -> bool:
        """Chosen when no other method's credentials are present (never "presented" itself)."""
        return False

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        return registered_for(self.clients, request, request.form.get("client_id"), self.name)
