"""Change the unlock passphrase: the current one, the new one twice, its strength shown.

The re-encryption (and its crash safety) is :meth:`Wallet.change_passphrase`'s; this
dialog only collects the three fields and empties them when it closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from signer_app.ui.strength import StrengthMeter
from signer_app.ui.unlock import wallet_error_message
from signer_app.ui.widgets import button, label
from signer_app.wallet import WalletError, WrongPassphrase

if TYPE_CHECKING:
    from signer_app.service import SignerService


def _password_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


class ChangePassphraseDialog(QDialog):
    def __init__(self, service: SignerService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.changed = False
        self.setWindowTitle("Sigil — change passphrase")
        self.setMinimumWidth(480)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 22, 24, 20)
        outer.setSpacing(12)
        outer.addWidget(label("Change your unlock passphrase", "title"))
        outer.addWidget(label("It encrypts your keys on this computer. Your recovery phrase stays the same.",
                              "subtitle", wrap=True))
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.old_edit = _password_edit("Current passphrase")
        self.new_edit = _password_edit("New passphrase (at least 8 characters)")
        self.confirm_edit = _password_edit("Repeat the new passphrase")
        self.strength = StrengthMeter()
        form.addRow("Current", self.old_edit)
        form.addRow("New", self.new_edit)
        form.addRow("Repeat", self.confirm_edit)
        form.addRow("", self.strength)
        outer.addLayout(form)
        self.error = label("", "error", wrap=True)
        self.success = label("", "subtitle", wrap=True)
        outer.addWidget(self.error)
        outer.addWidget(self.success)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = button("Cancel", slot=self.reject)
        self.change_button = button("Change passphrase", "primary", self.change)
        self.change_button.setEnabled(False)
        for b in (self.cancel_button, self.change_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        outer.addLayout(row)
        for edit in (self.old_edit, self.new_edit, self.confirm_edit):
            edit.textChanged.connect(self._update)
        self.confirm_edit.returnPressed.connect(self.change)

    def _update(self) -> None:
        ok = self.strength.update_for(self.new_edit.text(), self.confirm_edit.text())
        self.change_button.setEnabled(ok and bool(self.old_edit.text()) and not self.changed)

    def change(self) -> None:
        if not self.change_button.isEnabled():
            return
        old, new = self.old_edit.text(), self.new_edit.text()
        if old == new:
            self.error.setText("The new passphrase is the same as the current one.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.service.change_passphrase(old, new)
        except WrongPassphrase as exc:
            self.error.setText(wallet_error_message(exc, "The current passphrase is wrong; nothing was changed."))
            self.old_edit.clear()
            self.old_edit.setFocus()
            return
        except WalletError as exc:
            self.error.setText(str(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.changed = True
        self._clear_fields()
        for edit in (self.old_edit, self.new_edit, self.confirm_edit):
            edit.setEnabled(False)
        self.error.setText("")
        self.success.setText("Passphrase changed. Use the new one the next time Sigil asks.")
        self.cancel_button.setText("Close")
        self.change_button.hide()

    def _clear_fields(self) -> None:
        for edit in (self.old_edit, self.new_edit, self.confirm_edit):
            edit.clear()

    def done(self, result: int) -> None:  # Close, Cancel, Escape and the close button all end here
        self._clear_fields()
        super().done(result)
