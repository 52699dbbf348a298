"""First-run wizard (create with the backup quiz, import) and the unlock screen."""

from __future__ import annotations

from PySide6.QtCore import Qt

from signer_app.ui.main_window import MainWindow
from tests.helpers.signer import PASSPHRASE, VECTOR_MNEMONIC


def _window(qtbot, tmp_path, data_dir, wallet):
    from signer_app.assembly import AppContext
    from signer_app.settings import AppSettings, SettingsStore

    store = SettingsStore(tmp_path / "settings.json")
    store.save(AppSettings(signer_port=0, server_port=0, start_server=False))
    ctx = AppContext.build(data_dir, store, wallet=wallet)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    return ctx, win


def test_wizard_creates_wallet_after_backup_quiz(qtbot, tmp_path, data_dir, make_wallet):
    wallet = make_wallet()
    ctx, win = _window(qtbot, tmp_path, data_dir, wallet)
    wiz = win.wizard
    assert win.stack.currentWidget() is wiz

    qtbot.mouseClick(wiz.create_button, Qt.MouseButton.LeftButton)
    words = wiz.shown_words()
    assert len(words) == 12 and wiz.currentWidget() is wiz.show_page
    assert not wiz.show_next.isEnabled()  # must confirm the words are written down
    wiz.written_check.setChecked(True)
    qtbot.mouseClick(wiz.show_next, Qt.MouseButton.LeftButton)
    assert wiz.currentWidget() is wiz.verify_page and len(wiz.quiz) == 3

    for edit in wiz.verify_edits:
        edit.setText("wrong")
    qtbot.mouseClick(wiz.verify_next, Qt.MouseButton.LeftButton)
    assert wiz.currentWidget() is wiz.verify_page
    assert "does not match" in wiz.verify_page.error.text()

    for edit, pos in zip(wiz.verify_edits, wiz.quiz):
        edit.setText(words[pos].upper() + " ")  # case and spaces do not matter
    qtbot.mouseClick(wiz.verify_next, Qt.MouseButton.LeftButton)
    assert wiz.currentWidget() is wiz.passphrase_page

    qtbot.keyClicks(wiz.passphrase_edit, "abc")
    assert wiz.strength_label.text() == "Too weak" and not wiz.passphrase_next.isEnabled()
    wiz.passphrase_edit.setText(PASSPHRASE)
    wiz.confirm_edit.setText(PASSPHRASE + "x")
    assert not wiz.passphrase_next.isEnabled() and "differ" in wiz.strength_label.text()
    wiz.confirm_edit.setText(PASSPHRASE)
    assert wiz.passphrase_next.isEnabled()
    assert wiz.strength_label.text() in ("Strong", "Very strong", "Fair")
    qtbot.mouseClick(wiz.passphrase_next, Qt.MouseButton.LeftButton)

    wiz.name_edit.setText("Work")
    qtbot.mouseClick(wiz.finish_button, Qt.MouseButton.LeftButton)
    assert wallet.exists() and not wallet.is_locked
    assert [i.label for i in wallet.identities()] == ["Work"]
    assert win.stack.currentWidget() is win.main_view
    assert all(not w.text() for w in wiz.word_labels)  # the words are gone from the screen
    wallet.lock()
    wallet.unlock(PASSPHRASE)  # the chosen passphrase is the one that unlocks
    win._poll.stop()
    ctx.shutdown()


def test_wizard_import_restores_protocol_vector(qtbot, tmp_path, data_dir, make_wallet):
    wallet = make_wallet()
    ctx, win = _window(qtbot, tmp_path, data_dir, wallet)
    wiz = win.wizard
    qtbot.mouseClick(wiz.import_button, Qt.MouseButton.LeftButton)
    wiz.import_edit.setPlainText("abandon " * 11 + "abandon")
    qtbot.mouseClick(wiz.import_next, Qt.MouseButton.LeftButton)
    assert "checksum" in wiz.import_page.error.text()
    wiz.import_edit.setPlainText("  " + VECTOR_MNEMONIC.upper() + "\n")
    qtbot.mouseClick(wiz.import_next, Qt.MouseButton.LeftButton)
    assert wiz.currentWidget() is wiz.passphrase_page
    wiz.passphrase_edit.setText(PASSPHRASE)
    wiz.confirm_edit.setText(PASSPHRASE)
    qtbot.mouseClick(wiz.passphrase_next, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wiz.finish_button, Qt.MouseButton.LeftButton)
    identity = wallet.default_identity()
    assert identity.bap_id == "VpdSWHprjixzq5dX2kno1gEmw4C"
    assert identity.label == "Personal"
    assert win.stack.currentWidget() is win.main_view
    assert win.identities_panel.bap_field.value() == "VpdSWHprjixzq5dX2kno1gEmw4C"
    assert win.identities_panel.qr.pixmap() is not None and not win.identities_panel.qr.pixmap().isNull()
    win._poll.stop()
    ctx.shutdown()


def test_unlock_screen(qtbot, window, ctx):
    window.lock()
    assert ctx.wallet.is_locked
    assert window.stack.currentWidget() is window.unlock_view
    view = window.unlock_view
    qtbot.keyClicks(view.passphrase_edit, "not the passphrase")
    qtbot.mouseClick(view.unlock_button, Qt.MouseButton.LeftButton)
    assert ctx.wallet.is_locked and view.error.text()
    assert view.passphrase_edit.text() == ""
    qtbot.keyClicks(view.passphrase_edit, PASSPHRASE)
    qtbot.keyClick(view.passphrase_edit, Qt.Key.Key_Return)
    assert not ctx.wallet.is_locked
    assert window.stack.currentWidget() is window.main_view
    assert any(row[0] == "locked" for row in window.activity_panel.rows())


def test_identities_tab_adds_and_sets_default(qtbot, window, ctx, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    panel = window.identities_panel
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Work", True))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.list.count() == 2
    panel.list.setCurrentRow(1)
    assert panel.bap_field.value() == "4JYTL93kekJS2unATJcs8U2wvNjP"
    qtbot.mouseClick(panel.default_button, Qt.MouseButton.LeftButton)
    assert ctx.wallet.default_identity().bap_id == "4JYTL93kekJS2unATJcs8U2wvNjP"
