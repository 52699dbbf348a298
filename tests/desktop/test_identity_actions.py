"""Identities tab: hide / unhide with the "show hidden" toggle, and the profile editor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from signer_app.ui.profile_dialog import ProfileDialog, image_url_problem

SECOND_BAP_ID = "4JYTL93kekJS2unATJcs8U2wvNjP"


def _listed(panel) -> list[str]:
    return [panel.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(panel.list.count())]


def test_hide_and_unhide_an_identity(qtbot, window, ctx):
    panel = window.identities_panel
    first = ctx.wallet.default_identity().bap_id
    ctx.wallet.add_identity("Work")
    panel.refresh()
    assert _listed(panel) == [first, SECOND_BAP_ID]
    assert not panel.show_hidden.isChecked()

    # hiding the default moves the default to the other identity, and the list drops it
    panel.list.setCurrentRow(0)
    assert panel.hide_button.text() == "Hide"
    qtbot.mouseClick(panel.hide_button, Qt.MouseButton.LeftButton)
    assert ctx.wallet.get_identity(first).hidden
    assert ctx.wallet.default_identity().bap_id == SECOND_BAP_ID
    assert _listed(panel) == [SECOND_BAP_ID]

    # the last visible identity cannot be hidden from the GUI
    qtbot.mouseClick(panel.hide_button, Qt.MouseButton.LeftButton)
    assert "at least one identity visible" in panel.error.text()
    assert not ctx.wallet.get_identity(SECOND_BAP_ID).hidden

    # "show hidden" lists it again, marked, and it cannot be made default while hidden
    panel.show_hidden.setChecked(True)
    assert _listed(panel) == [first, SECOND_BAP_ID]
    assert "(hidden)" in panel.list.item(0).text()
    panel.list.setCurrentRow(0)
    assert panel.hidden_badge.isVisibleTo(panel) and panel.hide_button.text() == "Unhide"
    assert not panel.default_button.isEnabled()
    qtbot.mouseClick(panel.hide_button, Qt.MouseButton.LeftButton)
    assert not ctx.wallet.get_identity(first).hidden
    assert panel.selected_bap_id() == first and panel.hide_button.text() == "Hide"
    assert panel.default_button.isEnabled() and not panel.hidden_badge.isVisibleTo(panel)

    panel.show_hidden.setChecked(False)
    assert _listed(panel) == [first, SECOND_BAP_ID]


def test_edit_profile(qtbot, window, ctx, monkeypatch):
    panel = window.identities_panel
    bap_id = panel.selected_bap_id()
    assert panel.profile_line.text() == "No profile name or picture"

    def fill(dialog: ProfileDialog, name: str, image: str):
        dialog.name_edit.setText(name)
        dialog.picture_edit.setText(image)
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        return dialog.result()

    # a bad image URL keeps the dialog open with a message; Cancel then changes nothing
    seen = {}

    def bad_then_cancel(dialog):
        fill(dialog, "Alice", "javascript:alert(1)")
        seen["error"] = dialog.error.text()
        seen["open"] = dialog.result() != QDialog.DialogCode.Accepted
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ProfileDialog, "exec", bad_then_cancel)
    qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    assert "https://" in seen["error"] and seen["open"]
    assert ctx.wallet.get_identity(bap_id).name is None and ctx.service.profiles.get(bap_id) == {}

    monkeypatch.setattr(ProfileDialog, "exec", lambda d: fill(d, "  Alice  ", "https://img.example/alice.png"))
    qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    identity = ctx.wallet.get_identity(bap_id)
    assert (identity.name, identity.image) == ("Alice", "https://img.example/alice.png")
    assert ctx.service.profiles.get(bap_id) == {"displayName": "Alice", "picture": "https://img.example/alice.png"}
    assert panel.profile_line.text() == "Profile: Alice · https://img.example/alice.png"

    # the dialog opens with the stored values; clearing both removes the profile
    prefilled = {}

    def clear(dialog):
        prefilled["values"] = dialog.values()
        return fill(dialog, "", "")

    monkeypatch.setattr(ProfileDialog, "exec", clear)
    qtbot.mouseClick(panel.profile_button, Qt.MouseButton.LeftButton)
    assert prefilled["values"] == ("Alice", "https://img.example/alice.png")
    identity = ctx.wallet.get_identity(bap_id)
    assert identity.name is None and identity.image is None and ctx.service.profiles.get(bap_id) == {}


def test_image_url_rule():
    assert image_url_problem("") == ""
    assert image_url_problem("https://a.example/x.png") == ""
    for bad in ("http://a.example/x.png", "a.example/x.png", "file:///etc/passwd", "data:image/png;base64,AAAA",
                "https://"):
        assert image_url_problem(bad)
