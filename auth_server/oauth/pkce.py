"""PKCE (RFC 7636), S256 only: ``plain`` gives no protection against a stolen code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from auth_server.oauth.errors import OAuthError, invalid_grant, invalid_request

# RFC 7636 section 4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~].
_VERIFIER_RE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# An S256 challenge is base64url(SHA-256) without padding: exactly 43 characters.
_CHALLENGE_RE = re.compile(r"[A-Za-z0-9\-_]{43}")


def s256_challenge(verifier: str) -> str:
    """The S256 code_challenge for ``verifier``: base64url(SHA-256(ASCII verifier)), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str | None, method: str | None) -> str:
    """Validate the authorize request's PKCE parameters; return the challenge to store."""
    if not challenge:
        raise invalid_request("code_challenge is required (PKCE with S256)")
    if (method or "plain") != "S256":
        raise invalid_request("code_challenge_method must be S256; plain is not accepted")
    if not _CHALLENGE_RE.fullmatch(challenge):
        raise invalid_request("code_challenge must be 43 base64url characters (an S256 digest)")
    return challenge


def challenge_of(verifier: str | None) -> str | None:
    """The S256 challenge of a well-formed ``verifier``, else None (the store then refuses the
    code and :func:`verify_verifier` says why)."""
    if not verifier or not _VERIFIER_RE.fullmatch(verifier):
        return None
    return s256_challenge(verifier)


def verify_verifier(verifier: str | None, challenge: str) -> None:
    """Raise ``invalid_grant`` unless ``verifier`` hashes to the stored S256 ``challenge``."""
    if not verifier:
        raise invalid_grant("code_verifier is required")
    if not _VERIFIER_RE.fullmatch(verifier):
        raise invalid_grant("code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~")
    if not hmac.compare_digest(s256_challenge(verifier), challenge):
        raise invalid_grant("code_verifier does not match the code_challenge")


__all__ = ["OAuthError", "challenge_of", "check_challenge", "s256_challenge", "verify_verifier"]
