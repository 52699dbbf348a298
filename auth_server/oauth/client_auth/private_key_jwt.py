"""``private_key_jwt`` (RFC 7523 2.2, OIDC Core 9): the client signs a short-lived JWT with a
key whose public half it registered, inline (``jwks``) or by URL (``jwks_uri``).

Checked: the signature (ES256, RS256, EdDSA/Ed25519 only; never ``none`` or a shared-key
algorithm), ``iss`` = ``sub`` = the client_id, ``aud`` naming this server (its issuer, its
token endpoint or the endpoint called), ``exp`` in the future and at most
:data:`MAX_LIFETIME` away, and ``jti`` single use until the assertion expires: the jti is
claimed in the store's replay guard, one atomic insert in the database, so a replay fails
on any instance of a shared PostgreSQL store too.
"""

from __future__ import annotations

import json
import threading
import urllib.request
import warnings
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet

from auth_server.oauth.client_auth.base import ClientRequest, MethodDeps, registered_for
from auth_server.oauth.clients import CLIENT_ASSERTION_ALGS, validate_jwks
from auth_server.oauth.errors import invalid_client, invalid_request
from auth_server.store.models import PRIVATE_KEY_JWT, OAuthClient

# RFC 9864 prefers "Ed25519" to "EdDSA"; both name the same signatures and clients still send EdDSA.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = (*CLIENT_ASSERTION_ALGS, "Ed25519")
MAX_LIFETIME = 600  # seconds: bounds how long a jti must be remembered
LEEWAY = 30
JWKS_TTL = 300
MAX_JWKS_BYTES = 64 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A jwks_uri is fetched where it was registered, never where a redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch_url(url: str) -> bytes:
    """GET a client's jwks_uri (https, or http on loopback: checked at registration)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with _OPENER.open(request, timeout=5) as answer:
        data = answer.read(MAX_JWKS_BYTES + 1)
    if len(data) > MAX_JWKS_BYTES:
        raise ValueError("jwks_uri answered more than 64 KiB")
    return data


class PrivateKeyJWTMethod:
    name = PRIVATE_KEY_JWT

    def __init__(self, deps: MethodDeps) -> None:
        self.clients = deps.clients
        self.claim_once = deps.claim_once
        self.clock = deps.clock
        self.issuer = deps.issuer
        self.token_endpoint = deps.token_endpoint
        self.fetch = deps.fetch or fetch_url
        self._lock = threading.Lock()
        self._fetched: dict[str, tuple[float, dict[str, Any]]] = {}

    def presented(self, request: ClientRequest) -> bool:
        return "client_assertion" in request.form or "client_assertion_type" in request.form

    def _remote_keys(self, uri: str, refresh: bool) -> dict[str, Any]:
        now = self.clock()
        with self._lock:
            cached = self._fetched.get(uri)
        if cached is not None and not refresh and now - cached[0] < JWKS_TTL:
            return cached[1]
        try:
            keys = validate_jwks(json.loads(self.fetch(uri)))
        except Exception as exc:  # network, JSON or key errors: the client's problem, not a 500
            raise invalid_client(f"the client's jwks_uri could not be read: {type(exc).__name__}") from None
        with self._lock:
            self._fetched[uri] = (now, keys)
        return keys

    def _verify(self, value: str, client: OAuthClient, kid: str | None) -> dict[str, Any]:
        attempts = [client.jwks] if client.jwks else []
        if client.jwks_uri:
            cached = self._remote_keys(client.jwks_uri, refresh=False)
            attempts.append(cached)
            if kid and not any(k.get("kid") == kid for k in cached["keys"]):
                attempts.append(self._remote_keys(client.jwks_uri, refresh=True))  # the client rotated its keys
        for keys in attempts:
            try:
                return dict(jwt.decode(value, KeySet.import_key_set(keys), algorithms=list(ALGORITHMS)).claims)
            except (JoseError, ValueError):
                continue
        raise invalid_client("the client assertion's signature does not verify with the client's registered keys")

    def _audiences(self, request: ClientRequest) -> set[str]:
        return {self.issuer, self.issuer + "/", self.token_endpoint, self.issuer + request.path}

    def authenticate(self, request: ClientRequest, *, claim: bool = True) -> OAuthClient:
        form = request.form
        if form.get("client_assertion_type") != JWT_BEARER:
            raise invalid_request(f"client_assertion_type must be {JWT_BEARER}")
        value = form.get("client_assertion") or ""
        try:
            parts = jws.extract_compact(value.encode("ascii"))
            header = parts.headers()
            unverified = json.loads(parts.payload)
        except (JoseError, ValueError, UnicodeError):
            raise invalid_client("client_assertion is not a compact JWT") from None
        if not isinstance(unverified, dict) or not isinstance(unverified.get("sub"), str):
            raise invalid_client("the client assertion must name the client in sub")
        if header.get("alg") not in ALGORITHMS:
            raise invalid_client(f"client assertions must be signed with one of {', '.join(ALGORITHMS)}")
        client_id = unverified["sub"]
        if form.get("client_id") and form["client_id"] != client_id:
            raise invalid_client("client_id does not match the client assertion's sub")
        client = registered_for(self.clients, client_id, self.name)
        claims = self._verify(value, client, header.get("kid"))
        self._check_claims(claims, client.client_id, request)
        if not self.claim_once(f"jwt:{client.client_id}:{claims['jti']}", float(claims["exp"]) + LEEWAY):
            raise invalid_client("this client assertion (its jti) was already used")
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
