"""Back up the wallet: type the unlock passphrase again, then see the recovery phrase once.

The secret goes straight from :meth:`SignerService.export_backup` into labels of this
dialog and nowhere else: no attribute keeps it, nothing logs it, no copy button puts it
on the clipboard, and the labels are emptied and deleted when the dialog closes (by
Done, Escape or the window's close button).
"""

from __future__ import annotations

from html import escape

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from signer_app.ui.unlock import wallet_error_message
from signer_app.ui.widgets import button, label
from signer_app.wallet import WalletError

if TYPE_CHECKING:
    from signer_app.service import SignerService

SECRET_NAMES = {"mnemonic": "recovery phrase", "xprv": "master private key (xprv)", "wif": "private key (WIF)",
                "tokenpass": "TokenPass root key (WIF)", "tokenpass-xprv": "master private key (xprv)"}


class BackupDialog(QDialog):
    def __init__(self, service: SignerService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        wallet = service.wallet
        self.kind = wallet.kind or "mnemonic"
        self.secret_name = SECRET_NAMES.get(self.kind, "backup")
        self.setWindowTitle("Sigil — back up your wallet")
        self.setMinimumWidth(520)
        self.secret_labels: list[QLabel] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 22, 24, 20)
        outer.setSpacing(12)
        outer.addWidget(label("Back up your wallet", "title"))
        self.pages = QStackedWidget()
        outer.addWidget(self.pages)
        self._build_confirm_page()
        self._build_secret_page(wallet.has_bip39_passphrase)
        self.pages.setCurrentWidget(self.confirm_page)

    # -- pages -------------------------------------------------------------------------------

    def _build_confirm_page(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(label(
            f"Sigil will show your {self.secret_name}: it restores all your identities on any computer, and "
            "anyone who sees it can sign in as you. Make sure no one can see your screen, and write it on "
            "paper, not in a file, a photo or a chat.", "subtitle", wrap=True))
        layout.addWidget(label("Type your unlock passphrase to continue.", "muted"))
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setPlaceholderText("Unlock passphrase")
        self.passphrase_edit.returnPressed.connect(self.reveal)
        layout.addWidget(self.passphrase_edit)
        self.error = label("", "error", wrap=True)
        layout.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = button("Cancel", slot=self.reject)
        self.reveal_button = button(f"Show {self.secret_name.split(' (')[0]}", "primary", self.reveal)
        for b in (self.cancel_button, self.reveal_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        layout.addLayout(row)
        self.confirm_page = page
        self.pages.addWidget(page)

    def _build_secret_page(self, has_bip39_passphrase: bool) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(label(
            f"⚠ Write your {self.secret_name} down now, in order, and keep it offline. Never type it into a "
            "website or share it: Sigil will never ask for it, and neither will anyone honest.", "error", wrap=True))
        frame = QFrame()
        frame.setObjectName("mnemonic")
        self.secret_grid = QGridLayout(frame)
        self.secret_grid.setContentsMargins(18, 14, 18, 14)
        self.secret_grid.setHorizontalSpacing(24)
        self.secret_grid.setVerticalSpacing(8)
        layout.addWidget(frame)
        if has_bip39_passphrase:
            layout.addWidget(label("This wallet also uses a BIP39 passphrase: the words alone do not restore it. "
                                   "Keep that passphrase too.", "muted", wrap=True))
        row = QHBoxLayout()
        row.addStretch(1)
        self.done_button = button("Done", "primary", self.accept)
        self.done_button.setAutoDefault(False)
        row.addWidget(self.done_button)
        layout.addLayout(row)
        self.secret_page = page
        self.pages.addWidget(page)

    # -- flow --------------------------------------------------------------------------------

    def reveal(self) -> None:
        """Check the passphrase through the wallet; on success show the secret, once."""
        passphrase = self.passphrase_edit.text()
        self.passphrase_edit.clear()
        if not passphrase:
            self.error.setText("Type your unlock passphrase first.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._show_secret(self.service.export_backup(passphrase))
        except WalletError as exc:
            self.error.setText(wallet_error_message(exc, "Wrong passphrase: nothing is shown."))
            self.passphrase_edit.setFocus()
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.error.setText("")
        self.pages.setCurrentWidget(self.secret_page)
        self.done_button.setFocus()

    def _show_secret(self, secret: str) -> None:
        """Numbered words in columns; a key (xprv / WIF) in groups of four to copy by hand."""
        if self.kind == "mnemonic":
            words = secret.split()
            columns = 2 if len(words) <= 12 else 3
            rows = -(-len(words) // columns)
            for i, word in enumerate(words):
                cell = label(f"<span style='color:#9ca3af'>{i + 1:>2}.</span>&nbsp;&nbsp;<b>{escape(word)}</b>", rich=True)
                self._add_secret_label(cell, i % rows, i // rows)
        else:
            cell = label(" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), "mono", wrap=True)
            cell.setTextFormat(Qt.TextFormat.PlainText)
            self._add_secret_label(cell, 0, 0)

    def _add_secret_label(self, cell: QLabel, row: int, column: int) -> None:
        cell.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)  # no selection, no clipboard
        self.secret_grid.addWidget(cell, row, column)
        self.secret_labels.append(cell)

    def shown_secret(self) -> list[str]:
        """The words (or the one key) as a person reads them off the screen (tests use this)."""
        if self.kind != "mnemonic":
            return ["".join(cell.text().split()) for cell in self.secret_labels if cell.text()]
        return [cell.text().rsplit("<b>", 1)[1].split("</b>")[0] for cell in self.secret_labels if "<b>" in cell.text()]

    def _forget(self) -> None:
        """Empty every widget that held the secret or the passphrase, then delete the labels."""
        self.passphrase_edit.clear()
        for cell in self.secret_labels:
            cell.setText("")
            cell.deleteLater()
        self.secret_labels = []

    def done(self, result: int) -> None:  # Done, Cancel, Escape and the close button all end here
        self._forget()
        super().done(result)
