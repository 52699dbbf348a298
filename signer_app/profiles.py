"""The public profile each identity shows apps (``GET``/``POST /api/profile``) and the Sigil
servers it signs in to.

TokenPass keeps one small record per wallet: a display name, a paymail, a logo and an
icon. Sigil keeps one per identity, so identities stay apart, in a JSON file next to the
grants; it holds nothing secret. Every field is checked before anything is written:
``displayName`` has at most 100 characters, none of them control, bidi-override or zero-width
characters; ``paymail`` is an e-mail address, ``logo`` and ``icon`` are http(s) URLs. Sigil adds
what its sign-in carries to the server (docs/PROTOCOL.md): ``username``, a lowercase handle,
and ``picture``, an https URL or a small inline image (``data:image/png|jpeg|webp;base64,…``,
at most 256 KiB, decoded here to prove it is the image it says it is).

The picture is also made here from an image file the user picks (:func:`picture_from_file`):
cropped to a centred square, scaled down, re-encoded small. The rules live without Qt so the
local API, the desktop editor and the tests share one of each.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

MAX_DISPLAY_NAME = 100
MAX_URL = 2048
MAX_PAYMAIL = 254
FIELDS = ("displayName", "paymail", "logo", "icon", "username", "picture")
#: the handle a server keeps for an identity (``preferred_username``): lowercase, so apps that
#: lowercase names keep it exact
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}", re.ASCII)

#: the decoded bytes of an inline picture (the contract with the server, docs/PROTOCOL.md)
MAX_PICTURE_BYTES = 256 * 1024
#: an inline picture's pixels: a 256 KiB PNG of one colour can claim a billion pixels, and
#: decoding those would take gigabytes; the editor's own pictures are at most 256 × 256
MAX_PICTURE_PIXELS = 2048 * 2048
#: the side of the square picture the editor makes from a file
PICTURE_SIDE = 256
#: an image file the user chooses: its bytes and pixels (a 50-megapixel photo is fine)
MAX_SOURCE_BYTES = 50 * 1024 * 1024
MAX_SOURCE_PIXELS = 50_000_000
#: MIME subtype of an inline picture -> the Pillow format its bytes must be
PICTURE_TYPES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
#: what the editor reads from a file (GIF only as a source: its first frame is re-encoded)
SOURCE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF"}
#: EXIF's Orientation tag and, for each value, the turn or flip that shows the image upright
_EXIF_ORIENTATION = 0x0112
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}

# Characters that reorder or hide text: a name such as "Alice\u202egnp.exe" would read
# differently on every page that shows it. Removed, not refused: they carry no meaning.
_INVISIBLE = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x200B, 0x2010),
                            0x2060, 0xFEFF])
_DATA_URL = re.compile(r"data:image/(png|jpeg|webp);base64,([A-Za-z0-9+/]*={0,2})", re.ASCII)
_DATA_URL_MAX = len("data:image/jpeg;base64,") + 4 * math.ceil(MAX_PICTURE_BYTES / 3)

# local@domain.tld, ASCII only (paymail handles are addresses people type into wallets)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+", re.ASCII)


class ProfileError(ValueError):
    """A field that fails validation; the message names it (the API answers 400)."""


class PictureError(ValueError):
    """An image file the editor cannot turn into a picture; the message says why, for the user."""


def _url(value: str, name: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    what = "an https URL" if schemes == ("https",) else "an http(s) URL"
    if len(value) > MAX_URL or any(ord(c) <= 32 or ord(c) == 127 for c in value):
        raise ProfileError(f"{name} must be {what} of at most {MAX_URL} characters, without spaces")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ProfileError(f"{name} must be {what}") from None
    if parts.scheme not in schemes or not parts.netloc:
        raise ProfileError(f"{name} must be {what}")
    return value


def clean_display_name(value: str) -> str:
    """``value`` without bidi-override, isolate and zero-width characters, trimmed; raises
    :class:`ProfileError` when it is too long or holds control characters."""
    value = value.translate(_INVISIBLE).strip()
    if len(value) > MAX_DISPLAY_NAME or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ProfileError(f"displayName must be at most {MAX_DISPLAY_NAME} characters, without control characters")
    return value


def username_problem(value: str) -> str:
    """Why ``value`` cannot be a username ("" when it can, or is empty: no username)."""
    if not value or USERNAME.fullmatch(value):
        return ""
    if USERNAME.fullmatch(value.lower()):
        return "username must be lowercase: use " + value.lower()
    return "username must be 3 to 32 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"


def _open_image(data: bytes, formats: tuple[str, ...], max_pixels: int) -> Image.Image:
    """The image in ``data``, its header read (not yet decoded) and its size checked.

    Raises ``ValueError`` with a message for the user. Pillow raises many kinds of errors for
    bytes it cannot read (OSError, SyntaxError, struct.error, …); every one of them means the
    same to us, "not an image we take", so all are caught here and nowhere else.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=list(formats))
    except Image.DecompressionBombError:
        raise ValueError("the image has too many pixels") from None
    except Exception:
        kinds = ", ".join(_FORMAT_NAMES[f] for f in formats[:-1]) + " or " + _FORMAT_NAMES[formats[-1]]
        raise ValueError(f"it is not a {kinds} image that can be read") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        image.close()
        raise ValueError(f"the image has too many pixels ({width} × {height}; at most {max_pixels:,})")
    return image


def _checked_data_url(value: str) -> str:
    """``value`` when it is an inline PNG, JPEG or WebP picture within the limits."""
    match = _DATA_URL.fullmatch(value) if len(value) <= _DATA_URL_MAX else None
    if match is None:
        if value.startswith("data:") and len(value) > _DATA_URL_MAX:
            raise ProfileError(f"picture must be at most {MAX_PICTURE_BYTES // 1024} KiB")
        raise ProfileError("picture must be an https URL or a data:image/png, image/jpeg or image/webp "
                           "base64 URL")
    subtype, payload = match.groups()
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ProfileError("picture holds invalid base64") from None
    if len(data) > MAX_PICTURE_BYTES:
        raise ProfileError(f"picture must be at most {MAX_PICTURE_BYTES // 1024} KiB")
    declared = PICTURE_TYPES[subtype]
    try:
        image = _open_image(data, tuple(PICTURE_TYPES.values()), MAX_PICTURE_PIXELS)
    except ValueError as exc:
        raise ProfileError(f"picture: {exc}") from None
    with image:
        if image.format != declared:
            raise ProfileError(f"picture says image/{subtype} but holds a {image.format} image")
        try:
            image.load()  # the whole first frame: a truncated or corrupt image fails here
        except Exception:  # any Pillow failure: see _open_image
            raise ProfileError("picture: the image data is damaged") from None
    return value


def _picture(value: str) -> str:
    if value.startswith("data:"):
        return _checked_data_url(value)
    return _url(value, "picture", ("https",))


def validate_profile(data: dict[str, object]) -> dict[str, str | None]:
    """The fields of ``data`` that are profile fields, checked; ``None`` or ``""`` clears one."""
    clean: dict[str, str | None] = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if value is None or value == "":
            clean[name] = None
            continue
        if not isinstance(value, str):
            raise ProfileError(f"{name} must be a string")
        value = value.strip()
        if name == "displayName":
            clean[name] = clean_display_name(value) or None
        elif name == "paymail":
            if len(value) > MAX_PAYMAIL or not _EMAIL.fullmatch(value):
                raise ProfileError("paymail must be an e-mail address such as alice@example.com")
            clean[name] = value
        elif name == "username":
            if problem := username_problem(value):
                raise ProfileError(problem)
            clean[name] = value
        elif name == "picture":
            clean[name] = _picture(value)
        else:
            clean[name] = _url(value, name)
    return clean


def picture_bytes(value: str) -> bytes | None:
    """The image bytes of an inline picture (for a preview); ``None`` for a URL or bad data."""
    match = _DATA_URL.fullmatch(value) if len(value) <= _DATA_URL_MAX else None
    if match is None:
        return None
    try:
        return base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return None


def _looks_like_svg(data: bytes) -> bool:
    """Whether bytes Pillow could not read are an SVG document (to say so, not to read it)."""
    head = data[:4096].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def _encode(image: Image.Image) -> tuple[str, bytes]:
    """(subtype, bytes): PNG when it fits, else WebP, else JPEG, each at falling quality."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    if out.tell() <= MAX_PICTURE_BYTES:
        return "png", out.getvalue()
    for quality in (90, 80, 65, 50):
        out = io.BytesIO()
        image.save(out, "WEBP", quality=quality, method=4)
        if out.tell() <= MAX_PICTURE_BYTES:
            return "webp", out.getvalue()
    rgb = image.convert("RGB")
    for quality in (85, 70, 50, 30):
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_PICTURE_BYTES:
            return "jpeg", out.getvalue()
    raise PictureError("The image could not be made small enough.")  # not reached at 256 × 256


def picture_from_bytes(data: bytes) -> str:
    """An inline picture (``data:image/…;base64,…``) made from the image file ``data``: its
    first frame, turned upright (EXIF), cropped to a centred square, scaled to at most
    :data:`PICTURE_SIDE` pixels a side and re-encoded under :data:`MAX_PICTURE_BYTES`.

    Re-encoding, never passing the file on, drops whatever else it carried (EXIF, GPS, text
    chunks) and gives the server a picture it can check. Raises :class:`PictureError`.
    """
    if len(data) > MAX_SOURCE_BYTES:
        raise PictureError(f"The file is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB.")
    try:
        image = _open_image(data, SOURCE_FORMATS, MAX_SOURCE_PIXELS)
    except ValueError as exc:
        if _looks_like_svg(data):
            raise PictureError("SVG images are not accepted (they can carry scripts and links); "
                               "choose a PNG, JPEG, WebP or GIF image.") from None
        raise PictureError(f"This image cannot be used: {exc}.") from None
    try:
        with image:
            if image.format == "JPEG":
                image.draft(None, (PICTURE_SIDE, PICTURE_SIDE))  # decode at a fraction of the size
            orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
            # the centred square first, so only it is copied, converted and scaled; EXIF's turns
            # and flips keep the centre where it is, so turning the square after is the same
            width, height = image.size
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            square = image.crop((left, top, left + side, top + side))
            alpha = square.mode in ("RGBA", "LA", "PA") or "transparency" in square.info
            square = square.convert("RGBA" if alpha else "RGB")
            if side > PICTURE_SIDE:
                square = square.resize((PICTURE_SIDE, PICTURE_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
            if orientation in _UPRIGHT:
                square = square.transpose(_UPRIGHT[orientation])
    except Exception:  # any Pillow failure: see _open_image
        raise PictureError("This image cannot be used: its data is damaged.") from None
    subtype, encoded = _encode(square)
    return f"data:image/{subtype};base64," + base64.b64encode(encoded).decode("ascii")


def picture_from_file(path: str | os.PathLike[str]) -> str:
    """:func:`picture_from_bytes` of the file at ``path`` (read up to the size limit)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise PictureError(f"The file cannot be read: {exc.strerror or exc}.") from None
    return picture_from_bytes(data)


#: the profiles' file in the signer's data dir (the app and ``sigil profile`` share it)
PROFILES_FILE = "profiles.json"


class ProfileStore:
    """Profiles by BAP ID in one JSON file, written whole and atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, bap_id: str) -> dict[str, str]:
        with self._lock:
            record = self._load().get(bap_id)
        return {k: v for k, v in record.items() if k in FIELDS and isinstance(v, str)} if isinstance(record, dict) else {}

    def update(self, bap_id: str, changes: dict[str, str | None]) -> dict[str, str]:
        """Merge validated ``changes`` (``None`` removes a field); returns the stored record."""
        with self._lock:
            profiles = self._load()
            record = {k: v for k, v in dict(profiles.get(bap_id) or {}).items() if k in FIELDS}
            for name, value in changes.items():
                if value is None:
                    record.pop(name, None)
                else:
                    record[name] = value
            profiles[bap_id] = record
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(profiles, indent=1, ensure_ascii=False), "utf-8")
            os.replace(tmp, self.path)
        return record
