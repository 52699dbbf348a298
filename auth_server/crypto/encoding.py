"""How message-level inputs arrive as text: ``utf8``, ``hex`` or ``base64``.

The hex rules follow what TokenPass's clients send: ``^[0-9a-fA-F]*$``, an odd
number of digits is read with a leading ``0`` (``"abc"`` is ``0x0a 0xbc``), and
``""`` is no bytes. Anything else raises a typed :class:`InputError`.
"""

from __future__ import annotations

import base64
import binascii
import re

from auth_server.crypto.errors import InputError, MalformedBase64, MalformedHex, UnknownEncoding

ENCODINGS: tuple[str, ...] = ("utf8", "hex", "base64")
_HEX_RE = re.compile(r"[0-9a-fA-F]*")


def decode_hex(text: str) -> bytes:
    """Bytes of a hex string under the rules above; :class:`MalformedHex` otherwise."""
    if not isinstance(text, str) or not _HEX_RE.fullmatch(text):
        raise MalformedHex("expected hex digits only (0-9, a-f, A-F)")
    if len(text) % 2:
        text = "0" + text
    return bytes.fromhex(text)


def decode_base64(text: str) -> bytes:
    """Bytes of standard (padded) base64; :class:`MalformedBase64` otherwise."""
    if not isinstance(text, str):
        raise MalformedBase64("expected base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise MalformedBase64("not valid base64") from None


def decode_message(message: str, encoding: str = "utf8") -> bytes:
    """The bytes a client means by ``message`` in ``encoding`` (``utf8``, ``hex``, ``base64``)."""
    if encoding == "utf8":
        if not isinstance(message, str):
            raise InputError("the message must be text")
        return message.encode("utf-8")
    if encoding == "hex":
        return decode_hex(message)
    if encoding == "base64":
        return decode_base64(message)
    raise UnknownEncoding("the encoding must be utf8, hex or base64")
