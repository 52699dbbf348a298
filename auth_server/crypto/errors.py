"""One exception type per way an X-Auth-Token can fail.

Callers map these to HTTP answers; each carries a short machine ``code`` and a
message safe to show a client (it never contains key material).
"""


class CodedError(ValueError):
    """A failure with a stable machine ``code`` and a ``message`` safe to show a client."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenError(CodedError):
    """Base of every token failure. ``code`` is stable; the message is for people."""

    code = "invalid_token"


class MalformedToken(TokenError):
    """The header is not five well-formed ``|``-separated fields."""

    code = "malformed"


class UnknownScheme(MalformedToken):
    """The scheme field is neither ``brc77`` nor ``bsm``."""

    code = "unknown_scheme"


class BadPubkey(MalformedToken):
    """The pubkey field is not a valid compressed secp256k1 point."""

    code = "bad_pubkey"


class PathMismatch(TokenError):
    """The token was signed for another request path than the one it was sent to."""

    code = "path_mismatch"


class StaleToken(TokenError):
    """The timestamp is older than the freshness window allows."""

    code = "stale"


class FutureToken(TokenError):
    """The timestamp is further ahead of the server clock than the window allows."""

    code = "future"


class BadSignature(TokenError):
    """The signature does not verify for this path, timestamp and body."""

    code = "bad_signature"


class BodyMismatch(BadSignature):
    """The signature is valid, but for another body than the one that was sent.

    This can only be told apart from :class:`BadSignature` when one of the two
    bodies is empty: a signature carries no copy of the body hash it covers.
    """

    code = "body_mismatch"


class KeyNotBound(BadSignature):
    """A ``brc77`` signature names another sender key than the token's pubkey field."""

    code = "key_not_bound"


class InputError(CodedError):
    """Base of every malformed input to the message-level crypto (hex, base64, ciphertexts),
    so an HTTP layer maps the whole family to one 400 answer."""

    code = "bad_input"


class MalformedHex(InputError):
    """A hex field has a character outside ``[0-9a-fA-F]``."""

    code = "malformed_hex"


class MalformedBase64(InputError):
    """A base64 field is not valid standard base64."""

    code = "malformed_base64"


class UnknownEncoding(InputError):
    """A message encoding other than ``utf8``, ``hex`` or ``base64``."""

    code = "unknown_encoding"


class BadCiphertext(InputError):
    """An ECIES ciphertext is not a well-formed ``BIE1`` message (or does not decrypt)."""

    code = "bad_ciphertext"


class BadMac(BadCiphertext):
    """The ciphertext's HMAC does not match: the wrong key, or the bytes were changed."""

    code = "bad_mac"
