"""Registering clients of every authentication method on a test server, and the client
assertions a ``private_key_jwt`` client signs (with joserfc, as a Python RP would)."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from auth_server import admin
from auth_server.oauth.client_auth.private_key_jwt import JWT_BEARER
from tests.helpers.fixtures.oauth_server import REDIRECT, Server

LOGOUT_REDIRECT = "http://localhost:3000/signed-out"


@dataclass
class StandardClient:
    """A registered client and what it proves itself with (secret, or private JWK)."""

    client_id: str
    method: str
    secret: str | None = None
    key: Any = None  # joserfc key with the private half (private_key_jwt)
    alg: str = ""

    @property
    def private_jwk(self) -> dict[str, Any]:
        return self.key.as_dict(private=True)

    def assertion(self, audience: str, *, jti: str | None = None, lifetime: int = 60, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.client_id, "sub": self.client_id, "aud": audience, "iat": now,
                   "exp": now + lifetime, "jti": secrets.token_urlsafe(12) if jti is None else jti, **claims}
        return jwt.encode({"alg": self.alg, "kid": self.key.kid}, payload, self.key, algorithms=[self.alg])

    def auth(self, server: Server, form: dict[str, str], path: str) -> tuple[dict[str, str], dict[str, str]]:
        """(form, headers) authenticated the way this client is registered to."""
        form = dict(form)
        headers: dict[str, str] = {}
        if self.method == "client_secret_basic":
            raw = f"{self.client_id}:{self.secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif self.method == "client_secret_post":
            form.update(client_id=self.client_id, client_secret=self.secret or "")
        elif self.method == "private_key_jwt":
            form.update(client_id=self.client_id, client_assertion_type=JWT_BEARER,
                        client_assertion=self.assertion(server.url))
        else:
            form["client_id"] = self.client_id
        return form, headers

    def post(self, server: Server, path: str, form: dict[str, str]) -> httpx.Response:
        form, headers = self.auth(server, form, path)
        return server.request("POST", path, data=form, headers=headers)


def new_key(alg: str) -> Any:
    key: Any = {"ES256": lambda: ECKey.generate_key("P-256"), "RS256": lambda: RSAKey.generate_key(2048),
                "EdDSA": lambda: OKPKey.generate_key("Ed25519")}[alg]()
    key.ensure_kid()
    return key


def register_standard(server: Server, method: str, *, alg: str = "ES256", jwks_uri: str | None = None,
                      key: Any = None, trusted: bool = False, redirect: str = REDIRECT) -> StandardClient:
    """A client of ``method`` on ``server``'s store (through :mod:`auth_server.admin`, as the CLI)."""
    if method == "private_key_jwt":
        key = key or new_key(alg)
        jwks = None if jwks_uri else {"keys": [key.as_dict(private=False)]}
        new = admin.register_client(server.store, "Standard App", [redirect], auth_method=method, jwks=jwks,
                                    jwks_uri=jwks_uri, post_logout_redirect_uris=[LOGOUT_REDIRECT], trusted=trusted)
        return StandardClient(new.client_id, method, key=key, alg=alg)
    new = admin.register_client(server.store, "Standard App", [redirect], auth_method=method,
                                post_logout_redirect_uris=[LOGOUT_REDIRECT], trusted=trusted)
    return StandardClient(new.client_id, method, secret=new.client_secret)
