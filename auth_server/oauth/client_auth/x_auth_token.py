"""``x_auth_token``: the Sigma client's method, an X-Auth-Token signed by the client's member
key for the request path over the exact body."""

from __future__ import annotations

from auth_server.crypto import TokenError
from auth_server.oauth.client_auth.base import ClientRequest, MethodDeps, registered_for
from auth_server.oauth.clients import authenticate_client
from auth_server.oauth.errors import invalid_client
from auth_server.request_token import REPLAYED, ReplayedToken
from auth_server.store.models import X_AUTH_TOKEN, OAuthClient
from auth_server.store.replay import Claim


class XAuthTokenMethod:
    """The client is named by ``client_id``; without one, by the signing key when exactly one
    enabled ``x_auth_token`` client is registered with it. Any token failure is ``invalid_client``.
    """

    name = X_AUTH_TOKEN
    HEADER = "X-Auth-Token"

    def __init__(self, deps: MethodDeps) -> None:
        self.clients = deps.clients
        self.verify = deps.verify
        self.replay_expiry = deps.replay_expiry

    def presented(self, request: ClientRequest) -> bool:
        return request.header(self.HEADER) is not None

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        try:
            token = self.verify(request.header(self.HEADER), request.path, request.body,
                                claim and not request.defer_claim)
        except TokenError as exc:
            raise invalid_client(f"X-Auth-Token rejected ({exc.code}): {exc.message}") from None
        if claim and request.defer_claim:
            request.notes["claim"] = Claim(token.replay_key, self.replay_expiry(token),
                                           f"X-Auth-Token rejected ({ReplayedToken.code}): {REPLAYED}")
        client_id = request.form.get("client_id")
        if not client_id:
            matches = self.clients.enabled_with_member_key(token.pubkey, self.name)
            if len(matches) != 1:
                raise invalid_client("client_id is required")
            return matches[0]
        client = registered_for(self.clients, request, client_id, self.name)
        authenticate_client(client, token.pubkey)
        return client
