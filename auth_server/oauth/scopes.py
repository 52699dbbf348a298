"""Scopes this provider understands and how a requested scope string is narrowed."""

from __future__ import annotations

SUPPORTED_SCOPES: tuple[str, ...] = ("openid", "profile", "email", "groups", "offline_access")
DEFAULT_SCOPE = "openid profile email"


def parse_scope(value: str | None, default: str = DEFAULT_SCOPE) -> tuple[str, ...]:
    """Split a space-separated scope, keep known scopes in a stable order, drop duplicates.

    Scopes this provider does not know (``address``, ``phone``, ...) are left out, never
    granted: OIDC Core 3.1.2.1 asks to ignore them, and many apps ask for a few extra.
    The granted scope is in every token answer, so the app sees what it got.
    """
    words = scope_words(value) or scope_words(default)
    return tuple(s for s in SUPPORTED_SCOPES if s in words)


def scope_words(value: str | None) -> list[str]:
    """The space-separated words of a scope or prompt value (RFC 6749 3.3: ``SP``, and only it).

    Not ``str.split()``: that also splits on no-break and ideographic spaces and the other
    Unicode separators, so ``openid\u00a0profile`` would pass as two known scopes.
    """
    return [word for word in (value or "").split(" ") if word]


def format_scope(scopes: tuple[str, ...] | list[str]) -> str:
    return " ".join(scopes)


def covers(granted: str, requested: tuple[str, ...]) -> bool:
    """True when every requested scope is inside an earlier grant."""
    have = set(granted.split())
    return all(s in have for s in requested)


SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": "Confirm your identity (your BAP ID)",
    "profile": "Your name, picture and public key",
    "email": "Your email address, if the server knows one",
    "groups": "The groups you are in on this server",
    "offline_access": "Stay signed in (refresh tokens)",
}
