"""About Sigil: the version (the same one `sigil --version` and the package carry) and where
this installation keeps its data, so a user knows what to back up."""

from __future__ import annotations

import os
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from signer_app import __version__, resources


def about_html() -> str:
    """The dialog's text: version, data dir, keyring service (never any secret)."""
    from auth_server.paths import config_dir, data_dir

    service = os.environ.get("SIGIL_KEYRING_SERVICE", "sigil")
    return (
        f"<h2 style='margin:0'>Sigil {escape(__version__)}</h2>"
        "<p>Sign in to web apps with a Bitcoin identity, approved on this machine.</p>"
        f"<p><b>Data</b><br><code>{escape(str(data_dir()))}</code></p>"
        f"<p><b>Settings</b><br><code>{escape(str(config_dir()))}</code></p>"
        f"<p><b>Keyring</b><br>service <code>{escape(service)}</code>, entries for the encrypted wallet</p>"
        "<p>Back up your recovery phrase (or <code>sigil wallet export</code>) and the data folder.</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Sigil")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(18)
        icon = resources.app_icon()
        if icon is not None:
            picture = QLabel()
            picture.setPixmap(icon.pixmap(64, 64))
            picture.setAlignment(Qt.AlignmentFlag.AlignTop)
            layout.addWidget(picture)
        column = QVBoxLayout()
        self.text = QLabel(about_html())
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(380)
        column.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)
        layout.addLayout(column)
