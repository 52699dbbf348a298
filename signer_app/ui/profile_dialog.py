"""Edit an identity's profile: a display name, an image URL and an e-mail address (all
optional; the e-mail is what OIDC apps of this computer's auth server see, never verified).

Only collects the fields; :meth:`Wallet.set_profile` cleans and stores them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from auth_server.admin import clean_user_email
from signer_app.ui.widgets import label
from signer_app.wallet import Identity


def image_url_problem(url: str) -> str:
    """Why ``url`` cannot be a profile image ("" when it is fine or empty)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return "The image URL must be a web address starting with https:// (or http://)."
    return ""


class ProfileDialog(QDialog):
    def __init__(self, identity: Identity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sigil — edit profile")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(12)
        layout.addWidget(label(f"Profile of “{identity.label}”", "title"))
        layout.addWidget(label("Both are optional and stay on this computer with the identity.", "muted", wrap=True))
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.name_edit = QLineEdit(identity.name or "")
        self.name_edit.setPlaceholderText("Display name")
        self.image_edit = QLineEdit(identity.image or "")
        self.image_edit.setPlaceholderText("https://…/avatar.png")
        self.email_edit = QLineEdit(identity.email or "")
        self.email_edit.setPlaceholderText("you@example.org (for apps that want one; not verified)")
        form.addRow("Name", self.name_edit)
        form.addRow("Image URL", self.image_edit)
        form.addRow("E-mail", self.email_edit)
        layout.addLayout(form)
        self.error = label("", "error", wrap=True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        problem = image_url_problem(self.image_edit.text())
        try:
            clean_user_email(self.email_edit.text())
        except ValueError as exc:
            problem = problem or f"The e-mail address: {exc}."
        if problem:
            self.error.setText(problem)
            return
        super().accept()

    def email_value(self) -> str | None:
        return clean_user_email(self.email_edit.text())

    def values(self) -> tuple[str | None, str | None]:
        """(name, image URL), ``None`` for an empty field."""
        return self.name_edit.text().strip() or None, self.image_edit.text().strip() or None
