"""The server's id_token signing key: created on first use in the data dir, published as JWKS.

One PEM file per algorithm (``oidc-rs256.pem``, ``oidc-es256.pem``) with 0600 permissions.
Every key file present is published in the JWKS, so switching ``id_token_alg`` does not
break id_tokens signed a moment earlier; new tokens are signed with the configured one.
The ``kid`` is the RFC 7638 thumbprint, so it is stable across restarts.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, RSAKey

SUPPORTED_ALGS: tuple[str, ...] = ("RS256", "ES256")
_FILE_NAMES = {"RS256": "oidc-rs256.pem", "ES256": "oidc-es256.pem"}


def _generate_pem(alg: str) -> bytes:
    if alg == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _import(alg: str, pem: bytes) -> RSAKey | ECKey:
    key: RSAKey | ECKey = RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)
    key.ensure_kid()
    return key


class SigningKeys:
    """The id_token keys of one data dir. Thread-safe; the key is loaded once."""

    def __init__(self, data_dir: str | os.PathLike[str], alg: str = "RS256") -> None:
        if alg not in SUPPORTED_ALGS:
            raise ValueError(f"id_token algorithm must be one of {', '.join(SUPPORTED_ALGS)}")
        self.data_dir = Path(data_dir)
        self.alg = alg
        self._lock = threading.Lock()
        self._current: RSAKey | ECKey | None = None
        self._header_segment = b""

    def _load_or_create(self, alg: str) -> RSAKey | ECKey:
        path = self.data_dir / _FILE_NAMES[alg]
        if not path.exists():
            _write_private(path, _generate_pem(alg))
        return _import(alg, path.read_bytes())

    @property
    def current(self) -> RSAKey | ECKey:
        if self._current is None:
            with self._lock:
                if self._current is None:
                    key = self._load_or_create(self.alg)
                    header = {"alg": self.alg, "kid": key.kid, "typ": "JWT"}
                    self._header_segment = _b64url(json.dumps(header, separators=(",", ":")).encode())
                    self._current = key
        return self._current

    @property
    def kid(self) -> str:
        return str(self.current.kid)

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` with the current key (header: alg, kid, typ=JWT).

        Signed with ``cryptography`` directly: the token endpoint signs one per exchange,
        and the generic JOSE layer doubled the cost of that step. Verified by joserfc and
        Authlib in the tests.
        """
        private: Any = self.current.private_key
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self._header_segment + b"." + payload
        if self.alg == "RS256":
            signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return (signing_input + b"." + _b64url(signature)).decode("ascii")

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Public JWKS of every key in the data dir (current first)."""
        keys = [self.current]
        for alg in SUPPORTED_ALGS:
            if alg != self.alg and (self.data_dir / _FILE_NAMES[alg]).exists():
                keys.append(_import(alg, (self.data_dir / _FILE_NAMES[alg]).read_bytes()))
        out = []
        for key, alg in zip(keys, [self.alg] + [a for a in SUPPORTED_ALGS if a != self.alg]):
            public = key.as_dict(private=False)
            public.update({"use": "sig", "alg": "RS256" if public["kty"] == "RSA" else "ES256", "kid": key.kid})
            out.append(public)
        return {"keys": out}


def id_token_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    issued_at: int,
    expires_in: int,
    auth_time: int | None,
    nonce: str | None,
    profile: dict[str, Any],
) -> dict[str, Any]:
    """The OIDC Core 2 claims plus the profile claims the scopes allow."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + expires_in,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if nonce:
        claims["nonce"] = nonce
    for name, value in profile.items():
        if name not in claims and value is not None:
            claims[name] = value
    return claims
