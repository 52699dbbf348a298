"""Profile pictures and names (signer_app/profiles.py): an inline picture is taken only when
its bytes really are the small PNG, JPEG or WebP it says; a picture made from a file is a
centred square of at most 256 pixels under 256 KiB; names lose the characters that reorder or
hide text. ``POST /api/profile`` over the real local API applies the same rules."""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from signer_app.profiles import (
    MAX_PICTURE_BYTES,
    PictureError,
    ProfileError,
    picture_bytes,
    picture_from_bytes,
    picture_from_file,
    validate_profile,
)

ORIGIN = "https://app.example"
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def data_url(subtype: str, data: bytes) -> str:
    return f"data:image/{subtype};base64," + base64.b64encode(data).decode()


def three_bands(width: int = 3000, height: int = 1800) -> Image.Image:
    """Red left, blue middle, green right: a centred crop keeps all three, a left crop loses green."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 3, height))
    image.paste(GREEN, (2 * width // 3, 0, width, height))
    return image


def decoded(picture: str) -> Image.Image:
    data = picture_bytes(picture)
    assert data is not None and len(data) <= MAX_PICTURE_BYTES
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel, colour, slack: int = 40) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel[:3], colour))


def png_claiming(width: int, height: int) -> bytes:
    """A real 1×1 PNG whose header claims ``width`` × ``height``: tiny bytes, a billion pixels."""
    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


# -- a picture made from an image file --------------------------------------------------------

def test_a_large_non_square_jpeg_becomes_a_centred_square_png(tmp_path: Path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(encoded(three_bands(), "JPEG", quality=95))
    picture = picture_from_file(path)
    assert picture.startswith("data:image/png;base64,")
    image = decoded(picture)
    assert image.format == "PNG" and image.size == (256, 256)
    rgb = image.convert("RGB")
    # the centred 1800-pixel square of a 3000-pixel-wide image: a red edge, blue, a green edge
    assert near(rgb.getpixel((3, 128)), RED) and near(rgb.getpixel((128, 128)), BLUE)
    assert near(rgb.getpixel((252, 128)), GREEN)
    assert validate_profile({"picture": picture}) == {"picture": picture}


def test_what_a_png_cannot_hold_in_256_kib_is_re_encoded_smaller():
    # cropped to 256 × 256, not scaled (scaling would smooth the noise): as PNG > 256 KiB
    noise = Image.frombytes("RGBA", (400, 256), os.urandom(400 * 256 * 4))
    picture = picture_from_bytes(encoded(noise, "PNG"))
    image = decoded(picture)
    assert image.format in ("WEBP", "JPEG") and image.size == (256, 256)
    assert validate_profile({"picture": picture}) == {"picture": picture}


def test_a_small_gif_is_squared_not_enlarged_and_loses_its_metadata():
    gif = encoded(Image.new("P", (120, 80), 3), "GIF", comment=b"secret note")
    exif = Image.Exif()
    exif[0x010E] = "GPS and more"
    jpeg = encoded(three_bands(400, 300), "JPEG", exif=exif)
    from_gif, from_jpeg = decoded(picture_from_bytes(gif)), decoded(picture_from_bytes(jpeg))
    assert from_gif.size == (80, 80) and from_gif.format == "PNG"
    assert from_jpeg.size == (256, 256) and not from_jpeg.getexif()
    assert b"secret note" not in picture_bytes(picture_from_bytes(gif))


def test_a_photo_is_turned_upright_from_its_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": a 400 × 200 landscape shown as portrait
    image = Image.new("RGB", (400, 200), BLUE)
    image.paste(RED, (0, 0, 200, 200))
    upright = decoded(picture_from_bytes(encoded(image, "JPEG", exif=exif))).convert("RGB")
    assert upright.size == (200, 200)
    # portrait 200 × 400, the red half on top after the turn; its centre square straddles both
    assert near(upright.getpixel((100, 5)), RED) and near(upright.getpixel((100, 195)), BLUE)


@pytest.mark.parametrize("content, words", [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", "SVG"),
    (b"just some text, renamed to .png\n", "not a PNG, JPEG, WebP or GIF"),
    (png_claiming(100_000, 100_000), "too many pixels"),
    (png_claiming(8000, 7000), "too many pixels"),
    (encoded(three_bands(800, 600), "JPEG")[:3000], "damaged"),
    (encoded(Image.new("RGB", (64, 64)), "BMP"), "not a PNG, JPEG, WebP or GIF"),
])
def test_files_that_are_not_pictures_are_refused_with_a_reason(tmp_path: Path, content: bytes, words: str):
    path = tmp_path / "picture.png"
    path.write_bytes(content)
    with pytest.raises(PictureError) as refused:
        picture_from_file(path)
    assert words in str(refused.value)


def test_a_real_image_past_the_pixel_limit_is_refused_before_it_is_decoded(tmp_path: Path):
    path = tmp_path / "huge.png"
    Image.new("1", (8000, 7000)).save(path)  # 56 megapixels, a few kilobytes
    with pytest.raises(PictureError, match="too many pixels"):
        picture_from_file(path)
    with pytest.raises(PictureError, match="cannot be read"):
        picture_from_file(tmp_path / "missing.png")


# -- an inline picture as stored and sent -----------------------------------------------------

def bad_pictures() -> list[tuple[str, str]]:
    png = encoded(Image.new("RGB", (32, 32), RED), "PNG")
    noisy_png = encoded(Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)), "PNG")
    jpeg = encoded(Image.new("RGB", (32, 32), RED), "JPEG")
    big = encoded(Image.frombytes("RGBA", (300, 300), os.urandom(300 * 300 * 4)), "PNG")
    assert len(big) > MAX_PICTURE_BYTES
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    return [
        (data_url("png", jpeg), "holds a JPEG"),              # a declared type that does not match
        (data_url("webp", png), "holds a PNG"),
        (data_url("svg+xml", svg), "https URL or a data:image/png"),
        (data_url("png", svg), "not a PNG, JPEG or WebP"),
        (data_url("gif", encoded(Image.new("P", (4, 4)), "GIF")), "data:image/png"),
        (data_url("png", b"not an image at all"), "not a PNG, JPEG or WebP"),
        (data_url("png", big), "at most 256 KiB"),
        (data_url("png", png_claiming(5000, 5000)), "too many pixels"),
        (data_url("png", noisy_png[: len(noisy_png) // 2]), "damaged"),
        ("data:image/png;base64,iVBO RW0K", "https URL or a data:image/png"),
        ("data:image/png;base64,iVBORw0", "invalid base64"),
        ("data:image/png,raw-bytes", "https URL or a data:image/png"),
        ("DATA:image/png;base64," + base64.b64encode(png).decode(), "https URL"),
        ("http://img.example/a.png", "https URL"),
        ("javascript:alert(1)", "https URL"),
        ("https://", "https URL"),
    ]


@pytest.mark.parametrize("picture, words", bad_pictures())
def test_inline_pictures_are_checked_to_the_byte(picture: str, words: str):
    with pytest.raises(ProfileError) as refused:
        validate_profile({"picture": picture})
    assert words in str(refused.value) and "picture" in str(refused.value)


def test_pictures_that_fit_are_taken():
    for fmt, subtype in (("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")):
        picture = data_url(subtype, encoded(Image.new("RGB", (64, 40), GREEN), fmt))
        assert validate_profile({"picture": picture}) == {"picture": picture}
    assert validate_profile({"picture": "https://img.example/a.png"}) == {"picture": "https://img.example/a.png"}
    # TokenPass's logo and icon keep taking http(s) URLs
    assert validate_profile({"logo": "http://img.example/l.png", "icon": "https://img.example/i.png"})
    with pytest.raises(ProfileError):
        validate_profile({"logo": data_url("png", encoded(Image.new("RGB", (4, 4)), "PNG"))})


# -- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, kept", [
    ("\u202eAlice", "Alice"),                                 # right-to-left override
    ("Bob\u2066\u2067\u2068\u2069", "Bob"),                   # isolates
    ("Ca\u200brol\u200c\u200d\u200e\u200f", "Carol"),         # zero-width and marks
    ("\ufeffDave\u2060", "Dave"),                             # BOM, word joiner
    ("\u202a\u202b\u202c\u202d Eve \u202e", "Eve"),
    ("Zoë Ångström 王", "Zoë Ångström 王"),
    ("\u200b\u202e", None),                                   # nothing left: no name
])
def test_display_names_lose_characters_that_reorder_or_hide_text(given: str, kept: str | None):
    assert validate_profile({"displayName": given}) == {"displayName": kept}


def test_display_name_length_counts_what_is_kept():
    assert validate_profile({"displayName": "a" * 100 + "\u200b" * 20}) == {"displayName": "a" * 100}
    for bad in ("a" * 101, "Al\x00ice", "Al\x85ice", "Al\x7fice"):
        with pytest.raises(ProfileError, match="displayName"):
            validate_profile({"displayName": bad})


def test_usernames():
    assert validate_profile({"username": "alice.b_c-1"}) == {"username": "alice.b_c-1"}
    with pytest.raises(ProfileError, match="lowercase: use alice"):
        validate_profile({"username": "Alice"})
    for bad in ("al", "a" * 33, "-alice", "al ice", "alïce", "al\u200bice"):
        with pytest.raises(ProfileError, match="username"):
            validate_profile({"username": bad})


# -- POST /api/profile over the real local API ----------------------------------------------

def grant(ctx) -> dict:
    bap_id = ctx.wallet.default_identity().bap_id
    token, _ = ctx.service.grants.create("app.example", ORIGIN, ("write_profile",), bap_id, 600, site="app.example")
    return {"Origin": ORIGIN, "Authorization": "Bearer " + token}


def test_the_local_api_stores_an_inline_picture_and_refuses_a_bad_one(api, ctx):
    headers = grant(ctx)
    noise = Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3))
    picture = data_url("png", encoded(noise, "PNG", compress_level=0))  # ~197 KiB: ~262 KB of JSON
    profile = {"displayName": "\u202eAlice\u200b", "username": "alice", "picture": picture}
    answer = api.request("POST", "/api/profile", profile, headers)
    assert answer.status == 200, answer.body
    stored = api.request("GET", "/api/profile", None, headers).body
    assert stored == {"displayName": "Alice", "username": "alice", "picture": picture, "success": True}

    jpeg_as_png = data_url("png", encoded(noise, "JPEG"))
    too_big = data_url("png", os.urandom(MAX_PICTURE_BYTES + 1))
    for bad in (jpeg_as_png, too_big, "http://img.example/a.png",
                data_url("svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>")):
        answer = api.request("POST", "/api/profile", {"displayName": "Mallory", "picture": bad}, headers)
        assert answer.status == 400 and answer.body["code"] == 6 and "picture" in answer.body["error"], answer.body
    assert api.request("GET", "/api/profile", None, headers).body == stored  # nothing changed
