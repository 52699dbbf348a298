"""The first-run wizard's "Import a backup file": a wrong password or a bad file is told on
the backup page and writes nothing; a good one skips naming (identities keep their names)."""

from __future__ import annotations

import coincurve
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from auth_server.crypto.brc42 import self_child
from auth_server.crypto.keys import wif_from_private_key
from signer_app.ui.wizard import FirstRunWizard
from signer_app.wallet import backup
from signer_app.wallet.derivation import IDS_ENCRYPTION_PATH
from tests.helpers.fixtures.qt import PASSPHRASE

BACKUP_PASSWORD = "tokenpass backup pw"
ROOT = coincurve.PrivateKey.from_int(0x7E57)


def _bep(tmp_path, names):
    records = [backup.type42_id_record(n, ROOT, i) for i, n in enumerate(names)]
    ids = backup.encrypt_ids(records, f"bap:{len(names) - 1}", self_child(ROOT, IDS_ENCRYPTION_PATH).public_key)
    path = tmp_path / "tokenpass.bep"
    path.write_text(backup.seal_backup({"ids": ids, "label": "TokenPass", "rootPk": wif_from_private_key(ROOT)},
                                       BACKUP_PASSWORD))
    return path


def test_wizard_imports_a_backup_file(qtbot, tmp_path, make_wallet, monkeypatch):
    wallet = make_wallet()
    path = _bep(tmp_path, ["Personal", "Work"])
    wiz = FirstRunWizard(wallet)
    qtbot.addWidget(wiz)
    wiz.show()
    done = []
    wiz.completed.connect(lambda: done.append(True))
    qtbot.mouseClick(wiz.backup_button, Qt.MouseButton.LeftButton)
    assert wiz.currentWidget() is wiz.backup_page

    qtbot.mouseClick(wiz.backup_next, Qt.MouseButton.LeftButton)
    assert "Choose a backup file" in wiz.backup_page.error.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(wiz.backup_choose_button, Qt.MouseButton.LeftButton)
    assert wiz.backup_path_edit.text() == str(path)

    qtbot.keyClicks(wiz.backup_password_edit, "not the password")
    qtbot.mouseClick(wiz.backup_next, Qt.MouseButton.LeftButton)
    assert "Wrong backup password" in wiz.backup_page.error.text()
    assert wiz.currentWidget() is wiz.backup_page and not wallet.exists()

    broken = tmp_path / "broken.bep"
    broken.write_text(path.read_text()[:30])
    wiz.backup_path_edit.setText(str(broken))
    wiz.backup_password_edit.setText(BACKUP_PASSWORD)
    qtbot.mouseClick(wiz.backup_next, Qt.MouseButton.LeftButton)
    assert "truncated" in wiz.backup_page.error.text() and not wallet.exists()

    wiz.backup_path_edit.setText(str(path))
    wiz.backup_password_edit.setText(BACKUP_PASSWORD)
    qtbot.keyClick(wiz.backup_password_edit, Qt.Key.Key_Return)
    assert wiz.currentWidget() is wiz.passphrase_page
    assert wiz.backup_password_edit.text() == ""  # the backup's password does not stay on screen
    assert "Personal, Work" in wiz.backup_note.text() and "TokenPass" in wiz.backup_note.text()
    assert not wallet.exists()

    wiz.passphrase_edit.setText(PASSPHRASE)
    wiz.confirm_edit.setText(PASSPHRASE)
    qtbot.mouseClick(wiz.passphrase_next, Qt.MouseButton.LeftButton)
    assert done == [True] and not wallet.is_locked
    assert [i.label for i in wallet.identities()] == ["Personal", "Work"]
    assert wallet.kind == "tokenpass"
    wallet.lock()
    wallet.unlock(PASSPHRASE)
    wallet.delete()
