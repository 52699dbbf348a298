"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): which app asks, who for, and
where the browser may go afterwards.

``id_token_hint`` is an id_token this provider issued (its signature and issuer checked;
an expired one is still a good hint, as the spec allows). ``post_logout_redirect_uri``
must match one of the client's registered logout URIs exactly, and the client must be
known (from the hint's ``aud`` or ``client_id``); otherwise nothing redirects anywhere.
A self-registered client (anyone may make one) is redirected to only with a valid
``id_token_hint`` issued to it: its ``client_id`` alone proves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth_server.oauth.clients import active_client, with_query
from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import OAuthError, invalid_request
from auth_server.oauth.idtoken import SUPPORTED_ALGS
from auth_server.store.models import OAuthClient


@dataclass(frozen=True)
class LogoutRequest:
    client: OAuthClient | None
    subject: str | None  # the hint's ``sub``: whose session the app means
    post_logout_redirect_uri: str | None
    state: str | None

    def redirect(self) -> str | None:
        """Where to send the browser once signed out (with ``state``), or None: show a page."""
        uri = self.post_logout_redirect_uri
        if uri is None:
            return None
        if self.state is None:
            return uri
        return with_query(uri, {"state": self.state})


def _hint_claims(ctx: ProviderContext, hint: str) -> dict:
    try:
        token = jwt.decode(hint, KeySet.import_key_set(ctx.keys.jwks()), algorithms=list(SUPPORTED_ALGS))
    except (JoseError, ValueError):
        raise invalid_request("id_token_hint is not an id_token this server issued") from None
    claims = dict(token.claims)
    if claims.get("iss") != ctx.config.issuer:
        raise invalid_request("id_token_hint was issued by another server")
    return claims


def parse_logout(ctx: ProviderContext, params: Mapping[str, str]) -> LogoutRequest:
    """Check a logout request; ``OAuthError`` (shown on a page, never redirected) when bad."""
    hint = params.get("id_token_hint") or None
    claims = _hint_claims(ctx, hint) if hint else {}
    aud = claims.get("aud")
    hinted_client = aud if isinstance(aud, str) else (aud[0] if isinstance(aud, list) and len(aud) == 1 else None)
    client_id = params.get("client_id") or None
    if client_id and hinted_client and client_id != hinted_client:
        raise invalid_request("client_id does not match the id_token_hint's audience")
    client_id = client_id or hinted_client
    client = None
    if client_id:
        try:
            client = active_client(ctx.store.clients, client_id)
        except OAuthError:
            raise invalid_request("unknown or disabled client") from None
    uri = params.get("post_logout_redirect_uri") or None
    if uri is not None:
        if client is None:
            raise invalid_request("post_logout_redirect_uri needs client_id or id_token_hint to name the app")
        if uri not in client.post_logout_redirect_uris:
            raise invalid_request("post_logout_redirect_uri is not registered for this client")
        if client.self_registered and hinted_client != client.client_id:
            # anyone may register a client: its client_id alone would make this an open redirect
            raise invalid_request("this app registered itself: logout redirects to it only with an id_token_hint")
    subject = claims.get("sub")
    return LogoutRequest(client, subject if isinstance(subject, str) else None, uri, params.get("state"))
