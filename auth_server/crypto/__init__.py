"""The wire protocols of docs/PROTOCOL.md sections 1-5 as pure functions (no I/O).

Everything here is deterministic given its inputs, except where a caller lets a
function draw randomness (BRC-77 key IDs) or read the clock (token timestamps);
both can be injected.
"""

from auth_server.crypto.errors import (
    BadPubkey,
    BadSignature,
    BodyMismatch,
    FutureToken,
    KeyNotBound,
    MalformedToken,
    PathMismatch,
    StaleToken,
    TokenError,
    UnknownScheme,
)
from auth_server.crypto.keys import (
    address_from_pubkey,
    bap_id_from_pubkey,
    parse_pubkey,
    private_key_from_wif,
    wif_from_private_key,
)
from auth_server.crypto.x_auth_token import (
    AuthToken,
    make_token,
    parse_token,
    verify_token,
)

__all__ = [
    "AuthToken",
    "BadPubkey",
    "BadSignature",
    "BodyMismatch",
    "FutureToken",
    "KeyNotBound",
    "MalformedToken",
    "PathMismatch",
    "StaleToken",
    "TokenError",
    "UnknownScheme",
    "address_from_pubkey",
    "bap_id_from_pubkey",
    "make_token",
    "parse_pubkey",
    "parse_token",
    "private_key_from_wif",
    "verify_token",
    "wif_from_private_key",
]
