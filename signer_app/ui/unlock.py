"""The unlock screen shown while the wallet is locked."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from signer_app.ui.qtcompat import emit

from signer_app.ui.widgets import button, card, label
from signer_app.wallet import TooManyAttempts, Wallet, WalletError, WrongPassphrase


def retry_hint(exc: WalletError) -> str:
    """`` Try again in N s.`` after a wrong passphrase that started a wait, else ""."""
    wait = getattr(exc, "retry_after", 0.0) or 0.0
    return f" Try again in {wait:.0f} s." if isinstance(exc, WrongPassphrase) and wait >= 1 else ""


def wallet_error_message(exc: WalletError, wrong: str = "") -> str:
    """What to tell the user about a failed passphrase check, with the wait, if any.

    ``wrong`` replaces the wallet's short "wrong passphrase" with the caller's own words
    (a pause after repeated failures keeps its own message).
    """
    if isinstance(exc, WrongPassphrase) and not isinstance(exc, TooManyAttempts) and wrong:
        return wrong + retry_hint(exc)
    return f"{exc}" + retry_hint(exc)


def try_unlock(wallet: Wallet, passphrase: str) -> str:
    """Unlock; return "" on success or a message for the user (with the wait, if any)."""
    try:
        wallet.unlock(passphrase)
    except WalletError as exc:
        return wallet_error_message(exc)
    return ""


class UnlockView(QWidget):
    unlocked = Signal()

    def __init__(self, wallet: Wallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = wallet
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        frame, layout = card(28, 12)
        frame.setFixedWidth(400)
        layout.addWidget(label("Sigil is locked", "title"))
        layout.addWidget(label("Enter your passphrase to use your identities.", "subtitle", wrap=True))
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setPlaceholderText("Passphrase")
        self.passphrase_edit.returnPressed.connect(self.unlock)
        layout.addWidget(self.passphrase_edit)
        self.error = label("", "error", wrap=True)
        layout.addWidget(self.error)
        self.unlock_button = button("Unlock", "primary", self.unlock)
        layout.addWidget(self.unlock_button)
        outer.addWidget(frame, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        QTimer.singleShot(0, self.passphrase_edit.setFocus)

    def unlock(self) -> None:
        message = try_unlock(self.wallet, self.passphrase_edit.text())
        self.passphrase_edit.clear()
        if message:
            self.error.setText(message)
            return
        self.error.setText("")
        emit(self.unlocked)
