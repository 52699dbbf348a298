"""Settings: auto-lock minutes, ports, base URL, start server on launch, launch at login."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from signer_app.settings import AppSettings, SettingsStore
from signer_app.ui.widgets import label


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sigil settings")
        self.setMinimumWidth(440)
        self._settings = settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(12)
        layout.addWidget(label("Settings", "title"))
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.auto_lock = QSpinBox()
        self.auto_lock.setRange(1, 1440)
        self.auto_lock.setSuffix(" min")
        self.auto_lock.setValue(settings.auto_lock_minutes)
        self.signer_port = QSpinBox()
        self.signer_port.setRange(1, 65535)
        self.signer_port.setValue(settings.signer_port or 21000)
        self.server_port = QSpinBox()
        self.server_port.setRange(1, 65535)
        self.server_port.setValue(settings.server_port or 3000)
        self.base_url = QLineEdit(settings.server_base_url)
        self.base_url.setPlaceholderText(f"http://127.0.0.1:{settings.server_port}")
        self.start_server = QCheckBox("Start the auth server when Sigil starts")
        self.start_server.setChecked(settings.start_server)
        self.launch_at_login = QCheckBox("Launch Sigil when I log in")
        self.launch_at_login.setChecked(settings.launch_at_login)
        form.addRow("Lock after idle", self.auto_lock)
        form.addRow("Signer API port", self.signer_port)
        form.addRow("Server port", self.server_port)
        form.addRow("Server base URL", self.base_url)
        form.addRow("", self.start_server)
        form.addRow("", self.launch_at_login)
        overrides = SettingsStore.env_overrides()
        for field, widget in (("signer_port", self.signer_port), ("server_port", self.server_port)):
            if field in overrides:
                widget.setEnabled(False)
                widget.setToolTip(f"Set by the environment variable {overrides[field]}")
        layout.addLayout(form)
        layout.addWidget(label("Port and URL changes apply the next time Sigil (or the server) starts. "
                               "SIGIL_SIGNER_PORT and SIGIL_PORT override the ports.", "muted", wrap=True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def result_settings(self, saved: AppSettings) -> AppSettings:
        """The edited values on top of the saved file's (env-overridden ports stay as saved)."""
        overrides = SettingsStore.env_overrides()
        return replace(
            saved,
            auto_lock_minutes=self.auto_lock.value(),
            signer_port=saved.signer_port if "signer_port" in overrides else self.signer_port.value(),
            server_port=saved.server_port if "server_port" in overrides else self.server_port.value(),
            server_base_url=self.base_url.text().strip(),
            start_server=self.start_server.isChecked(),
            launch_at_login=self.launch_at_login.isChecked(),
        )
