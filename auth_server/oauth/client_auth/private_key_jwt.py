"""``private_key_jwt`` (RFC 7523 2.2, OIDC Core 9): the client signs a short-lived JWT with a
key whose public half it registered, inline (``jwks``) or by URL (``jwks_uri``).

Checked: the signature (ES256, RS256, EdDSA/Ed25519 only; never ``none`` or a shared-key
algorithm), ``iss`` = ``sub`` = the client_id, ``aud`` naming this server (its issuer, its
token endpoint or the endpoint called), ``exp`` in the future and at most
:data:`MAX_LIFETIME` away, and ``jti`` single use until the assertion expires: the jti is
claimed in the store's replay guard, one atomic insert in the database, so a replay fails
on any instance of a shared PostgreSQL store too.

The claims are checked before the signature, on the unverified payload first: an
assertion for another audience, another client or an expired one makes the server fetch
nothing. Keys at a ``jwks_uri`` come from :mod:`.jwks_cache` (bounded fetches, per-client
cache); :meth:`PrivateKeyJWTMethod.prepare` runs all of this before the token endpoint's
transaction opens, and only the jti is claimed inside it.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet

from auth_server.oauth import outbound
from auth_server.oauth.client_auth.base import ClientRequest, MethodDeps, registered_for
from auth_server.oauth.client_auth.jwks_cache import JwksCache
from auth_server.oauth.clients import CLIENT_ASSERTION_ALGS
from auth_server.oauth.errors import invalid_client, invalid_request
from auth_server.store.models import PRIVATE_KEY_JWT, OAuthClient
from auth_server.store.replay import Claim

# RFC 9864 prefers "Ed25519" to "EdDSA"; both name the same signatures and clients still send EdDSA.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = (*CLIENT_ASSERTION_ALGS, "Ed25519")
MAX_LIFETIME = 600  # seconds: bounds how long a jti must be remembered
LEEWAY = 30
MAX_JWKS_BYTES = 64 * 1024


def fetch_keys(url: str, public_only: bool) -> bytes:
    """GET a client's jwks_uri: one total deadline, a size cap, no redirects, and for a
    self-registered client public addresses only (:mod:`auth_server.oauth.outbound`)."""
    return outbound.fetch(url, public_only=public_only, max_bytes=MAX_JWKS_BYTES)


class PrivateKeyJWTMethod:
    name = PRIVATE_KEY_JWT

    def __init__(self, deps: MethodDeps) -> None:
        self.clients = deps.clients
        self.claim_once = deps.claim_once
        self.clock = deps.clock
        self.issuer = deps.issuer
        self.token_endpoint = deps.token_endpoint
        self.remote_keys = JwksCache(deps.fetch or fetch_keys, deps.clock, wait=deps.fetch_wait)

    def presented(self, request: ClientRequest) -> bool:
        return "client_assertion" in request.form or "client_assertion_type" in request.form

    def _verify(self, value: str, client: OAuthClient, kid: str | None) -> dict[str, Any]:
        keys = [client.jwks] if client.jwks else [self.remote_keys.keys(client, kid)]
        for key_set in keys:
            try:
                return dict(jwt.decode(value, KeySet.import_key_set(key_set), algorithms=list(ALGORITHMS)).claims)
            except (JoseError, ValueError):
                continue
        raise invalid_client("the client assertion's signature does not verify with the client's registered keys")

    def _audiences(self, request: ClientRequest) -> set[str]:
        return {self.issuer, self.issuer + "/", self.token_endpoint, self.issuer + request.path}

    def prepare(self, request: ClientRequest) -> None:
        """Everything but spending the jti, before any transaction opens: the claims are
        checked before any key is fetched, and a fetch (bounded, see :mod:`.jwks_cache`)
        never runs while the database's writer lock is held."""
        self._checked(request)

    def _checked(self, request: ClientRequest) -> tuple[OAuthClient, dict[str, Any]]:
        value = request.form.get("client_assertion") or ""
        noted = request.notes.get("assertion")
        if noted is not None and noted[0] == value:
            return noted[1], noted[2]
        if request.form.get("client_assertion_type") != JWT_BEARER:
            raise invalid_request(f"client_assertion_type must be {JWT_BEARER}")
        try:
            parts = jws.extract_compact(value.encode("ascii"))
            header = parts.headers()
            unverified = json.loads(parts.payload)
        except (JoseError, ValueError, UnicodeError):
            raise invalid_client("client_assertion is not a compact JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise invalid_client(f"client assertions must be signed with one of {', '.join(ALGORITHMS)}")
        kid = header.get("kid")
        if kid is not None and (not isinstance(kid, str) or not kid or len(kid) > 256):
            raise invalid_client("the client assertion's kid must be a short string")
        if "crit" in header:
            raise invalid_client("the client assertion may not carry critical header extensions")
        if not isinstance(unverified, dict) or not isinstance(unverified.get("sub"), str):
            raise invalid_client("the client assertion must name the client in sub")
        client_id = unverified["sub"]
        if request.form.get("client_id") and request.form["client_id"] != client_id:
            raise invalid_client("client_id does not match the client assertion's sub")
        # what the assertion claims is checked before anything is fetched or looked up for it
        self._check_claims(unverified, client_id, request)
        client = registered_for(self.clients, request, client_id, self.name)
        claims = self._verify(value, client, kid)
        self._check_claims(claims, client.client_id, request)
        request.notes["assertion"] = (value, client, claims)
        return client, claims

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        client, claims = self._checked(request)
        # an assertion is not bound to the request's body: it is single use wherever it is shown
        proof = Claim(f"jwt:{client.client_id}:{claims['jti']}", float(claims["exp"]) + LEEWAY,
                      "this client assertion (its jti) was already used")
        if request.defer_claim:
            request.notes["claim"] = proof
        elif not self.claim_once(proof.key, proof.expires_at):
            raise invalid_client(proof.refusal)
        return client

    def _check_claims(self, claims: dict[str, Any], client_id: str, request: ClientRequest) -> None:
        now = self.clock()
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise invalid_client("the client assertion's iss and sub must both be the client_id")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(isinstance(a, str) and a in self._audiences(request) for a in audiences):
            raise invalid_client("the client assertion is for another audience")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise invalid_client("the client assertion needs a numeric exp")
        if exp + LEEWAY < now:
            raise invalid_client("the client assertion has expired")
        if exp > now + MAX_LIFETIME + LEEWAY:
            raise invalid_client(f"the client assertion lives too long (at most {MAX_LIFETIME} seconds)")
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if value is not None and (not isinstance(value, (int, float)) or value > now + LEEWAY):
                raise invalid_client(f"the client assertion's {name} is in the future")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            raise invalid_client("the client assertion needs a jti (single use)")
