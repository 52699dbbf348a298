"""The Wallet menu: back up the recovery phrase (passphrase again, shown once, then wiped
from the dialog) and change the unlock passphrase, on the real keyring-backed wallet."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt

from signer_app.wallet import WrongPassphrase
from tests.helpers.signer import PASSPHRASE, VECTOR_MNEMONIC

NEW_PASSPHRASE = "a much longer passphrase, 2nd edition!"


def _files_text(folder) -> str:
    """Every byte under the data dir (SQLite files, WAL/journal files, JSON), as text."""
    return "\n".join(p.read_bytes().decode("latin-1") for p in sorted(folder.rglob("*")) if p.is_file())


def test_backup_needs_the_passphrase_shows_the_words_once_and_wipes_them(qtbot, window, ctx, caplog):
    caplog.set_level(logging.DEBUG)
    assert window.backup_action.text().startswith("Back up")
    from signer_app.ui.backup_dialog import BackupDialog

    window.backup_action.trigger()
    (dialog,) = [d for d in window.findChildren(BackupDialog) if d.isVisible()]
    assert dialog.pages.currentWidget() is dialog.confirm_page
    assert "anyone who sees it" in " ".join(w.text() for w in dialog.findChildren(type(dialog.error)))

    qtbot.keyClicks(dialog.passphrase_edit, "not my passphrase")
    qtbot.mouseClick(dialog.reveal_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("Wrong passphrase: nothing is shown.")
    assert dialog.pages.currentWidget() is dialog.confirm_page
    assert dialog.shown_secret() == [] and dialog.passphrase_edit.text() == ""

    qtbot.keyClicks(dialog.passphrase_edit, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase_edit, Qt.Key.Key_Return)
    assert dialog.pages.currentWidget() is dialog.secret_page
    assert dialog.shown_secret() == VECTOR_MNEMONIC.split()
    assert dialog.error.text() == ""
    labels = list(dialog.secret_labels)
    assert all(cell.textInteractionFlags() == Qt.TextInteractionFlag.NoTextInteraction for cell in labels)

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # closing (any way) wipes the words from the widgets
    assert not dialog.isVisible()
    assert dialog.secret_labels == [] and all(not cell.text() for cell in labels)

    # the log says a backup was shown, never what; the data dir and the Python log hold no word of it
    window.refresh_data()
    rows = window.activity_panel.rows()
    assert rows[0][0] == "backup shown"
    everything = _files_text(ctx.data_dir) + "\n".join(str(r) for r in rows) + caplog.text
    assert VECTOR_MNEMONIC not in everything
    assert "abandon" not in everything and PASSPHRASE not in everything
    assert "backup exported" in caplog.text  # the event itself is logged


def test_backup_of_a_key_wallet_shows_the_key_in_groups(qtbot, tmp_path, make_wallet):
    from signer_app.service import SignerService
    from signer_app.ui.backup_dialog import BackupDialog

    wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    wallet = make_wallet()
    wallet.import_wif(wif, PASSPHRASE)
    service = SignerService(wallet, tmp_path)
    dialog = BackupDialog(service)
    qtbot.addWidget(dialog)
    assert "WIF" in dialog.secret_name
    dialog.passphrase_edit.setText(PASSPHRASE)
    dialog.reveal()
    assert dialog.shown_secret() == [wif]
    assert dialog.secret_labels[0].text().split()[0] == wif[:4]
    dialog.reject()
    assert dialog.secret_labels == []
    service.close()


def test_change_passphrase(qtbot, window, ctx):
    from signer_app.ui.passphrase_dialog import ChangePassphraseDialog

    window.change_passphrase_action.trigger()
    (dialog,) = [d for d in window.findChildren(ChangePassphraseDialog) if d.isVisible()]
    assert not dialog.change_button.isEnabled()

    qtbot.keyClicks(dialog.old_edit, PASSPHRASE)
    qtbot.keyClicks(dialog.new_edit, "abc")
    assert dialog.strength.label.text() == "Too weak" and not dialog.change_button.isEnabled()
    dialog.new_edit.setText(NEW_PASSPHRASE)
    dialog.confirm_edit.setText(NEW_PASSPHRASE + "x")
    assert "differ" in dialog.strength.label.text() and not dialog.change_button.isEnabled()
    dialog.confirm_edit.setText(NEW_PASSPHRASE)
    assert dialog.strength.label.text() in ("Strong", "Very strong") and dialog.strength.bar.value() >= 3
    assert dialog.change_button.isEnabled()

    # a wrong current passphrase changes nothing
    dialog.old_edit.setText("not my passphrase")
    qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("The current passphrase is wrong; nothing was changed.")
    assert dialog.old_edit.text() == "" and not dialog.changed

    dialog.old_edit.setText(PASSPHRASE)
    qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    assert dialog.changed and "Passphrase changed" in dialog.success.text()
    assert all(not e.text() for e in (dialog.old_edit, dialog.new_edit, dialog.confirm_edit))
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # now labelled Close
    assert not dialog.isVisible()

    ctx.wallet.lock()
    with pytest.raises(WrongPassphrase):
        ctx.wallet.unlock(PASSPHRASE)
    ctx.wallet.unlock(NEW_PASSPHRASE)
    window.refresh_data()
    assert window.activity_panel.rows()[0][:3] == ("passphrase changed", "Sigil", "unlock passphrase changed")
    text = _files_text(ctx.data_dir)
    assert NEW_PASSPHRASE not in text and PASSPHRASE not in text
