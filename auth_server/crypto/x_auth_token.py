"""The X-Auth-Token header (docs/PROTOCOL.md section 1): make, parse, verify.

``verify_token`` is stricter than the reference verifier: the ``brc77`` sender key
must equal the token's pubkey, and the timestamp must lie within a window of the
server clock in both directions. Replay memory is the caller's job; every parsed
token offers a ``replay_key`` that is the same for every encoding of one signature.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

import coincurve

from auth_server.crypto import brc77, bsm
from auth_server.crypto.errors import (
    BadSignature,
    BodyMismatch,
    FutureToken,
    KeyNotBound,
    MalformedToken,
    PathMismatch,
    StaleToken,
    UnknownScheme,
)
from auth_server.crypto.keys import parse_pubkey, sha256

Scheme = Literal["brc77", "bsm"]
BodyEncoding = Literal["utf8", "hex", "base64"]
SCHEMES: tuple[str, ...] = ("brc77", "bsm")
DEFAULT_WINDOW_SECONDS = 300.0
MAX_TOKEN_LENGTH = 8192

# ``[0-9]``, not ``\d``: in Python ``\d`` matches every Unicode digit (fullwidth, Arabic-Indic, ...),
# and ``int()`` reads them all, so a token stamped "２０２６-..." would pass. The wire format is ASCII.
_TIMESTAMP_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})Z")


def format_timestamp(moment: datetime | float) -> str:
    """ISO-8601 UTC with milliseconds, as JavaScript's ``Date.toISOString()`` prints it."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> float:
    """Seconds since the epoch of a ``toISOString()`` timestamp; ``MalformedToken`` otherwise."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise MalformedToken("timestamp must look like 2026-11-21T23:28:13.148Z")
    year, month, day, hour, minute, second, millis = map(int, match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=timezone.utc)
    except ValueError:
        raise MalformedToken("timestamp is not a valid date") from None
    return moment.timestamp()


def body_bytes(body: str | bytes | None, encoding: BodyEncoding = "utf8") -> bytes:
    """The bytes a body string stands for, as the reference reads it (utf8, hex or base64)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if encoding == "utf8":
        return body.encode("utf-8")
    if encoding == "hex":
        return bytes.fromhex(body)
    return base64.b64decode(body)


def signed_message(request_path: str, timestamp: str, body: bytes) -> bytes:
    """``<requestPath>|<timestamp>|<bodyHash>``, with an empty hash for an empty body."""
    body_hash = sha256(body).hex() if body else ""
    return f"{request_path}|{timestamp}|{body_hash}".encode("utf-8")


@dataclass(frozen=True)
class AuthToken:
    """A token split into its fields, each already decoded and checked for shape."""

    pubkey: str
    scheme: Scheme
    timestamp: str
    request_path: str
    signature: str
    signature_bytes: bytes
    issued_at: float
    public_key: coincurve.PublicKey = field(repr=False, compare=False)
    signed_message: brc77.SignedMessage | None = field(default=None, repr=False, compare=False)

    @property
    def replay_key(self) -> str:
        """Hex digest that identifies this signature however it was encoded."""
        return sha256(self.scheme.encode() + b"|" + self.signature_bytes).hex()

    def __str__(self) -> str:
        return "|".join((self.pubkey, self.scheme, self.timestamp, self.request_path, self.signature))


def make_token(
    key: coincurve.PrivateKey,
    request_path: str,
    body: str | bytes | None = None,
    scheme: Scheme = "brc77",
    timestamp: datetime | float | str | None = None,
    body_encoding: BodyEncoding = "utf8",
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> str:
    """Sign an X-Auth-Token for ``request_path`` (and ``body``, when not empty)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; use brc77 or bsm")
    if "|" in request_path:
        raise ValueError("request path must not contain '|'")
    if timestamp is None:
        timestamp = time.time()
    stamp = timestamp if isinstance(timestamp, str) else format_timestamp(timestamp)
    message = signed_message(request_path, stamp, body_bytes(body, body_encoding))
    if scheme == "bsm":
        signature = bsm.sign_bsm(key, message)
    else:
        signature = base64.b64encode(brc77.sign_brc77(key, message, random_bytes=random_bytes)).decode("ascii")
    pubkey = key.public_key.format(compressed=True).hex()
    return f"{pubkey}|{scheme}|{stamp}|{request_path}|{signature}"


def _decode_base64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedToken("signature is not standard base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedToken("signature is not canonical base64")
    return raw


def parse_token(token: str) -> AuthToken:
    """Split and check the shape of every field; raises a :class:`MalformedToken` subclass."""
    if not isinstance(token, str):
        raise MalformedToken("token must be text")
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken("token is too long")
    parts = token.split("|")
    if len(parts) != 5:
        raise MalformedToken("token must have exactly five '|'-separated fields")
    pubkey, scheme, timestamp, request_path, signature = parts
    if scheme not in SCHEMES:
        raise UnknownScheme("scheme must be brc77 or bsm")
    public_key = parse_pubkey(pubkey)
    if pubkey != pubkey.lower():
        raise MalformedToken("pubkey must be lowercase hex")
    issued_at = parse_timestamp(timestamp)
    if not request_path.startswith("/"):
        raise MalformedToken("request path must start with '/'")
    raw = _decode_base64(signature)
    signed: brc77.SignedMessage | None = None
    if scheme == "bsm" and len(raw) != 65:
        raise MalformedToken("bsm signature must be 65 bytes")
    if scheme == "brc77":
        try:
            signed = brc77.parse_brc77(raw)
        except ValueError as exc:
            raise MalformedToken(str(exc)) from None
    return AuthToken(pubkey, scheme, timestamp, request_path, signature, raw, issued_at, public_key, signed)  # type: ignore[arg-type]


def _signature_valid(token: AuthToken, message: bytes) -> bool:
    if token.signed_message is None:
        return bsm.verify_bsm(token.signature_bytes, message, token.public_key)
    if token.signed_message.verifier is not None:
        return False  # addressed to one verifier; this server is "anyone"
    return brc77.verify_brc77(token.signed_message, message, sender=token.public_key)


def verify_token(
    token: str | AuthToken,
    request_path: str,
    body: str | bytes | None = None,
    *,
    clock: Callable[[], float] = time.time,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
    body_encoding: BodyEncoding = "utf8",
) -> AuthToken:
    """Verify a token for ``request_path`` and ``body``; return it (its ``pubkey`` is proven).

    Raises exactly one :class:`TokenError` subclass naming the first rule broken.
    """
    parsed = token if isinstance(token, AuthToken) else parse_token(token)
    if parsed.request_path != request_path:
        raise PathMismatch("token was signed for another request path")
    age = clock() - parsed.issued_at
    if age > window_seconds:
        raise StaleToken(f"token is older than {window_seconds:g} seconds")
    if age < -window_seconds:
        raise FutureToken(f"token timestamp is more than {window_seconds:g} seconds ahead")
    # (``pubkey`` is checked lowercase hex of a valid key, so comparing its bytes is exact.)
    if parsed.signed_message is not None and parsed.signed_message.sender != bytes.fromhex(parsed.pubkey):
        raise KeyNotBound("signature was made by another key than the token's pubkey")
    expected = body_bytes(body, body_encoding)
    if _signature_valid(parsed, signed_message(parsed.request_path, parsed.timestamp, expected)):
        return parsed
    if expected and _signature_valid(parsed, signed_message(parsed.request_path, parsed.timestamp, b"")):
        raise BodyMismatch("token was signed without a body, but the request has one")
    raise BadSignature("signature does not match this request path, timestamp and body")
