"""Profile pictures sent inline (``data:image/...;base64,``): checked, decoded and re-encoded
before anything is stored (issue 24).

Why re-encode rather than store what came: the bytes a signer sends are anyone's bytes. A
PNG may carry a script after its IEND chunk, a GIF may also be an HTML page, a "PNG" may be a
JPEG or an SVG, metadata may hold GPS positions. Decoding with Pillow (the declared format
only, checked against the real one), refusing anything too large to decode safely, and
writing fresh pixels (RGB or RGBA, at most 256×256, no metadata) means the server only ever
serves an image it made itself. Pure: bytes in, bytes out; no store, no HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import warnings
from dataclasses import dataclass

#: the largest decoded picture a profile may carry (what the signer's editor enforces too)
MAX_PICTURE_BYTES = 256 * 1024
#: the longest side of a stored picture
AVATAR_SIZE = 256
#: refuse to decode more pixels than this (a small file can announce a huge canvas)
MAX_PIXELS = 4096 * 4096
#: declared media type -> the Pillow format the bytes must really be
DECLARED = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|webp));base64,([A-Za-z0-9+/=]*)")


class PictureRefused(ValueError):
    """The picture is not one the server takes; ``str()`` says why (shown to the client)."""


@dataclass(frozen=True)
class Avatar:
    """A picture as the server will serve it: its bytes, its media type, and the hash of the data
    URL it was made from (the same data URL again is not decoded twice)."""

    data: bytes
    content_type: str
    source_hash: str

    @property
    def avatar_id(self) -> str:
        """An opaque id that changes whenever the served image does (derived from its bytes)."""
        return hashlib.sha256(b"sigil-avatar\0" + self.data).hexdigest()[:32]


def is_data_url(value: str) -> bool:
    return value[:5].lower() == "data:"


def source_hash(data_url: str) -> str:
    """The SHA-256 of a data URL as sent: the key under which its re-encoded image is kept."""
    return hashlib.sha256(data_url.encode("ascii", "replace")).hexdigest()


def decode_data_url(data_url: str) -> tuple[str, bytes]:
    """``(media type, bytes)`` of an inline picture; :class:`PictureRefused` for any other data
    URL (SVG, HTML, text, not base64, too large)."""
    match = _DATA_URL.fullmatch(data_url)
    if match is None:
        raise PictureRefused("picture: an inline picture must be data:image/png, image/jpeg or image/webp;base64")
    encoded = match.group(2)
    if len(encoded) > (MAX_PICTURE_BYTES * 4) // 3 + 4:
        raise PictureRefused(f"picture: larger than {MAX_PICTURE_BYTES // 1024} KiB")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PictureRefused("picture: the base64 data is malformed") from None
    if len(raw) > MAX_PICTURE_BYTES:
        raise PictureRefused(f"picture: larger than {MAX_PICTURE_BYTES // 1024} KiB")
    if not raw:
        raise PictureRefused("picture: empty image")
    return match.group(1), raw


def reencode(data_url: str) -> Avatar:
    """Decode an inline picture and draw it again: at most :data:`AVATAR_SIZE` a side, RGB(A),
    no metadata, as WebP (PNG when this Pillow has no WebP). Slow (milliseconds): call it before
    any transaction opens."""
    from PIL import Image, features

    declared, raw = decode_data_url(data_url)
    expected = DECLARED[declared]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw), formats=[expected]) as image:
                if image.format != expected:
                    raise PictureRefused(f"picture: declared {declared} but is not")
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise PictureRefused("picture: the image is too large to decode")
                image.seek(0)  # the first frame of an animation
                image.load()
                mode = "RGBA" if image.mode in ("RGBA", "LA", "PA", "La") or "transparency" in image.info else "RGB"
                fresh = image.convert(mode)
        except PictureRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PictureRefused("picture: the image is too large to decode") from None
        except Exception:  # noqa: BLE001 - whatever Pillow raises for a hostile file
            raise PictureRefused(f"picture: not a valid {declared} image") from None
    fresh.thumbnail((AVATAR_SIZE, AVATAR_SIZE))
    out = io.BytesIO()
    if features.check("webp"):
        fresh.save(out, "WEBP", quality=85, method=2)
        content_type = "image/webp"
    else:
        fresh.save(out, "PNG")
        content_type = "image/png"
    return Avatar(out.getvalue(), content_type, source_hash(data_url))
