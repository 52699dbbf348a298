"""The authorization_code grant (RFC 6749 4.1.3) with mandatory PKCE (RFC 7636).

Its own checks are the code's (the client's, unused, live, the same redirect_uri, the
verifier): they run inside the store's one redemption call
(:meth:`~auth_server.store.codes.CodeRepository.redeem`), which also stores the tokens, so
the tokens' values are made before it and the answer after it (:mod:`.common`). That call
also spends the client's single-use proof when it is handed over (``claim``), and re-checks
the client's row when the client was this instance's copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auth_server.oauth import pkce
from auth_server.oauth.credentials import hash_secret
from auth_server.oauth.client_auth.base import CHALLENGES
from auth_server.oauth.errors import invalid_client, invalid_grant, required
from auth_server.oauth.grants.common import TokenGrant, answer, new_credentials
from auth_server.oauth.provider_context import ProviderContext
from auth_server.store.codes import Redemption
from auth_server.store.models import OAuthClient
from auth_server.store.replay import Claim

GRANT_TYPE = "authorization_code"

#: the answer to each refusal of the store's redemption ("pkce" says more, see below)
_REFUSED = {
    "unknown": "unknown authorization code",
    "used": "authorization code was already used; its tokens are revoked",
    "expired": "authorization code has expired",
    "redirect_uri": "redirect_uri does not match the authorization request",
    "user_gone": "the user of this grant no longer exists or is disabled",
    "not_in_group": "the user is not in a group allowed to use this app",
}


def exchange(ctx: ProviderContext, client: OAuthClient, form: Mapping[str, str], claim: Claim | None = None
             ) -> dict[str, Any]:
    """Redeem a code once; a second use revokes every token the first use obtained.
    ``claim``: the client's proof, not yet spent (``invalid_client`` if it was before)."""
    code_value = required(form, "code")
    verifier = form.get("code_verifier")
    now = ctx.clock()
    config = ctx.config
    # a refresh token's value is made either way: whether one is stored depends on the code's scope
    credentials = new_credentials(with_refresh=True)
    assert credentials.refresh_hash is not None
    redeemed = ctx.store.codes.redeem(Redemption(
        code_hash=hash_secret(code_value), client_id=client.client_id, now=now,
        redirect_uri=form.get("redirect_uri"), code_challenge=pkce.challenge_of(verifier),
        access_hash=credentials.access_hash, access_expires_at=now + config.access_token_ttl,
        refresh_hash=credentials.refresh_hash, refresh_expires_at=now + config.refresh_token_ttl,
        always_refresh=config.always_issue_refresh_token, allowed_groups=client.allowed_groups,
        client_version=client.version, claim=claim,
    ))
    if redeemed.status == "replayed" and claim is not None:
        raise invalid_client(claim.refusal, CHALLENGES.get(client.token_endpoint_auth_method))
    if redeemed.status == "pkce":
        pkce.verify_verifier(verifier, "")  # raises invalid_grant with the reason
    if redeemed.status != "ok" or redeemed.code is None:
        raise invalid_grant(_REFUSED.get(redeemed.status, "authorization code refused"))
    profile = ctx.users.claims(redeemed.profile, client.client_id)
    if profile is None:  # (the store checked: the user was there and not disabled)
        raise invalid_grant(_REFUSED["user_gone"])
    code = redeemed.code
    return answer(ctx, TokenGrant(
        client_id=client.client_id, user_id=code.user_id, bap_id=code.bap_id, scope=code.scope,
        family_id=code.family_id, auth_time=code.auth_time, nonce=code.nonce, with_refresh=redeemed.refresh,
        allowed_groups=client.allowed_groups,
    ), credentials, profile, now)
