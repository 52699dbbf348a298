"""The desktop profile editor with real widgets and real image files: a photo becomes a small
square picture, previewed and stored; files that are not pictures are refused with a reason
and nothing entered is lost; the username is checked as it is typed; names lose bidi and
zero-width characters; a picture may be an https address. Its picture goes to the README."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog

from signer_app.profiles import MAX_PICTURE_BYTES, picture_bytes
from signer_app.ui.profile_dialog import ProfileDialog

REPO = Path(__file__).resolve().parents[2]
# test-artifacts/ by default; the README's copy comes from SIGIL_SCREENSHOT_DIR=docs/screenshots
SCREENSHOTS = Path(os.environ.get("SIGIL_SCREENSHOT_DIR") or REPO / "test-artifacts" / "gui")
RED, BLUE, GREEN = (220, 38, 38), (37, 99, 235), (22, 163, 74)


def photo(path: Path, width: int = 3200, height: int = 2000) -> Path:
    """A large landscape JPEG: red left, blue middle, green right."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 3, height))
    image.paste(GREEN, (2 * width // 3, 0, width, height))
    image.save(path, "JPEG", quality=92)
    return path


def avatar(path: Path) -> Path:
    """A friendlier picture for the README: a face on a circle."""
    from PIL import ImageDraw

    image = Image.new("RGB", (900, 600), (241, 245, 249))
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 50, 700, 550), fill=(79, 70, 229))
    draw.ellipse((340, 200, 400, 260), fill="white")
    draw.ellipse((500, 200, 560, 260), fill="white")
    draw.arc((330, 250, 570, 450), 20, 160, fill="white", width=18)
    image.save(path, "JPEG", quality=92)
    return path


def close(colour, expected, slack: int = 40) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour, expected))


@pytest.fixture
def dialog(qtbot, ctx):
    identity = ctx.wallet.default_identity()
    widget = ProfileDialog(identity, ctx.service.profiles.get(identity.bap_id))
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def save(dialog) -> bool:
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    return dialog.result() == QDialog.DialogCode.Accepted


def test_a_large_photo_becomes_a_small_square_picture_with_a_preview(dialog, tmp_path):
    assert dialog.preview.text() == "No picture" and not dialog.remove_button.isEnabled()
    assert dialog.load_image(str(photo(tmp_path / "holiday.jpg")))
    stored = dialog.picture_value()
    data = picture_bytes(stored)
    assert stored.startswith("data:image/png;base64,") and len(data) <= MAX_PICTURE_BYTES
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (256, 256)  # the centred square, scaled down
    assert close(image.getpixel((2, 128)), RED) and close(image.getpixel((128, 128)), BLUE)
    assert close(image.getpixel((253, 128)), GREEN)

    pixmap = dialog.preview.pixmap()
    assert not pixmap.isNull() and (pixmap.width(), pixmap.height()) == (96, 96)
    shown = pixmap.toImage().pixelColor(48, 48)
    assert close((shown.red(), shown.green(), shown.blue()), BLUE)
    assert "256 × 256" in dialog.picture_note.text() and dialog.remove_button.isEnabled()
    assert dialog.picture_edit.text() == "" and dialog.error.text() == ""
    assert save(dialog) and dialog.changes == {"displayName": None, "username": None, "picture": stored}


@pytest.mark.parametrize("name, content, words", [
    ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG"),
    ("notes.png", b"These are my notes, not a picture.\n", "not a PNG, JPEG, WebP or GIF"),
    ("huge.png", None, "too many pixels"),
])
def test_a_file_that_is_no_picture_is_refused_and_nothing_is_lost(dialog, tmp_path, name, content, words):
    dialog.name_edit.setText("Alice")
    dialog.username_edit.setText("alice")
    assert dialog.load_image(str(photo(tmp_path / "before.jpg", 600, 400)))
    before = dialog.picture_value()
    path = tmp_path / name
    if content is None:
        Image.new("1", (9000, 6000)).save(path)  # 54 megapixels, a few kilobytes
    else:
        path.write_bytes(content)
    assert not dialog.load_image(str(path))
    assert words in dialog.error.text()
    assert dialog.error.textFormat() == Qt.TextFormat.PlainText
    # the picture, its preview and the other fields are as they were
    assert dialog.picture_value() == before and not dialog.preview.pixmap().isNull()
    assert (dialog.name_edit.text(), dialog.username_edit.text()) == ("Alice", "alice")
    assert save(dialog) and dialog.changes["picture"] == before


def test_choose_image_opens_the_file_dialog_and_loads_the_choice(dialog, tmp_path, monkeypatch):
    path = photo(tmp_path / "me.jpg", 800, 500)
    asked = {}

    def pick(parent, caption, folder, filters):
        asked["filters"] = filters
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    dialog.choose_button.click()
    assert "*.png" in asked["filters"] and "*.webp" in asked["filters"] and "*.gif" in asked["filters"]
    assert picture_bytes(dialog.picture_value()) is not None
    # cancelling the file dialog changes nothing
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args: ("", "")))
    before = dialog.picture_value()
    dialog.choose_button.click()
    assert dialog.picture_value() == before


def test_the_username_is_checked_as_it_is_typed(dialog):
    assert "Lowercase" in dialog.username_hint.text()
    assert not dialog.username_problem.isVisibleTo(dialog)
    dialog.username_edit.setText("Alice")
    assert dialog.username_problem.isVisibleTo(dialog)
    assert "lowercase: use alice" in dialog.username_problem.text()
    assert not save(dialog) and "lowercase" in dialog.error.text()
    for bad in ("al", "-alice", "al ice", "a" * 33):
        dialog.username_edit.setText(bad)
        assert dialog.username_problem.isVisibleTo(dialog) and "3 to 32" in dialog.username_problem.text()
    dialog.username_edit.setText("alice.b")
    assert not dialog.username_problem.isVisibleTo(dialog)
    assert save(dialog) and dialog.changes["username"] == "alice.b"


def test_names_lose_bidi_and_zero_width_characters(dialog):
    dialog.name_edit.setText("\u202eAl\u200bice\u2066 \ufeff")
    assert save(dialog) and dialog.changes["displayName"] == "Alice"


def test_a_name_too_long_keeps_the_dialog_open(dialog):
    dialog.name_edit.setText("x" * 101)
    assert not save(dialog) and "100 characters" in dialog.error.text()
    assert dialog.name_edit.text() == "x" * 101


def test_url_pictures_and_remove(qtbot, dialog, tmp_path):
    dialog.picture_edit.setText("http://img.example/alice.png")
    assert not save(dialog) and "https://" in dialog.error.text()
    dialog.picture_edit.setText("https://img.example/alice.png")
    assert save(dialog) and dialog.changes["picture"] == "https://img.example/alice.png"

    # a chosen image replaces the address; typing an address replaces the image
    dialog.setResult(0)
    assert dialog.load_image(str(photo(tmp_path / "p.jpg", 500, 300)))
    assert dialog.picture_edit.text() == "" and dialog.picture_value().startswith("data:")
    qtbot.keyClicks(dialog.picture_edit, "https://img.example/b.png")
    assert dialog.picture_value() == "https://img.example/b.png"
    assert dialog.preview.pixmap().isNull() and dialog.preview.text() == "Web address"

    dialog.remove_picture()
    assert dialog.picture_value() is None and dialog.preview.text() == "No picture"
    assert save(dialog) and dialog.changes["picture"] is None


def test_the_identities_tab_saves_the_profile_that_sign_ins_carry(qtbot, window, ctx, tmp_path, monkeypatch):
    panel = window.identities_panel
    bap_id = panel.selected_bap_id()
    ctx.service.profiles.update(bap_id, {"paymail": "alice@example.com"})  # set by an app: kept
    path = photo(tmp_path / "holiday.jpg")

    def fill(dialog: ProfileDialog):
        dialog.name_edit.setText("Alice \u202e")
        dialog.username_edit.setText("alice")
        assert dialog.load_image(str(path))
        save(dialog)
        return dialog.result()

    monkeypatch.setattr(ProfileDialog, "exec", fill)
    qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    record = ctx.service.profiles.get(bap_id)
    assert record["displayName"] == "Alice" and record["username"] == "alice"
    assert record["paymail"] == "alice@example.com" and record["picture"].startswith("data:image/png;base64,")
    assert panel.profile_line.text() == "Profile: Alice · alice · picture from a file"
    identity = ctx.wallet.get_identity(bap_id)
    assert identity.name == "Alice" and identity.image is None  # the wallet keeps no inline picture

    # the editor opens on what is stored, the picture previewed
    opened = {}

    def look(dialog: ProfileDialog):
        opened["values"] = dialog.profile_values()
        opened["preview"] = not dialog.preview.pixmap().isNull()
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ProfileDialog, "exec", look)
    qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    assert opened["values"] == {"displayName": "Alice", "username": "alice", "picture": record["picture"]}
    assert opened["preview"]
    assert ctx.service.profiles.get(bap_id) == record  # Cancel changed nothing


def test_picture_of_the_editor(qtbot, qapp, ctx, tmp_path):
    from signer_app.ui.theme import apply_theme

    font, palette, style = qapp.font(), qapp.palette(), qapp.style().name()
    apply_theme(qapp)
    try:
        identity = ctx.wallet.default_identity()
        dialog = ProfileDialog(identity, {})
        qtbot.addWidget(dialog)
        dialog.name_edit.setText("Alice Martin")
        dialog.username_edit.setText("alice")
        dialog.email_edit.setText("alice@example.org")
        assert dialog.load_image(str(avatar(tmp_path / "alice.jpg")))
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.wait(200)  # let the layout settle before the picture
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(SCREENSHOTS / "profile-editor.png"))
    finally:
        qapp.setStyleSheet("")
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setFont(font)
