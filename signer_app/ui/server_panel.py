"""Server tab: the embedded auth server's status, start/stop, OAuth client registration
(every client-authentication method ``sigil-server clients add`` knows), and its team."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from signer_app.embedded_server import EmbeddedServer, EmbeddedServerError
from signer_app.ui.team_panel import TeamCard
from signer_app.ui.widgets import CopyField, button, card, label
from signer_app.wallet import Wallet, WalletError


#: (method, what the person picking it reads), in the order offered
AUTH_METHOD_CHOICES = (
    ("x_auth_token", "Sigma app: X-Auth-Token signed by a member key"),
    ("client_secret_basic", "Standard OIDC app: client secret (HTTP Basic)"),
    ("client_secret_post", "Standard OIDC app: client secret in the form"),
    ("private_key_jwt", "App with its own key pair: private_key_jwt (JWKS URL)"),
    ("none", "Public client (SPA, native app, CLI): PKCE only"),
)


class ServerPanel(QWidget):
    def __init__(self, server: EmbeddedServer, wallet: Wallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = server
        self.wallet = wallet
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(16)
        layout = QHBoxLayout()
        layout.setSpacing(16)
        column.addLayout(layout)
        self.team = TeamCard(server)
        column.addWidget(self.team, 1)

        status, s = card(20, 10)
        head = QHBoxLayout()
        head.addWidget(label("Auth server", "section"))
        self.state = label("", "pill_off")
        head.addWidget(self.state)
        head.addStretch(1)
        self.toggle_button = button("Start", slot=self.toggle)
        head.addWidget(self.toggle_button)
        s.addLayout(head)
        self.url_field = CopyField("URL")
        s.addWidget(self.url_field)
        figures = QHBoxLayout()
        self.clients_label = label("", "muted", rich=True)
        self.users_label = label("", "muted", rich=True)
        self.sessions_label = label("", "muted", rich=True)
        for w in (self.clients_label, self.users_label, self.sessions_label):
            figures.addWidget(w)
        figures.addStretch(1)
        s.addLayout(figures)
        s.addWidget(label("Registered clients", "muted"))
        self.clients_list = label("", wrap=True, rich=True)  # names escaped in refresh()
        s.addWidget(self.clients_list)
        s.addStretch(1)
        self.error = label("", "error", wrap=True)
        s.addWidget(self.error)
        layout.addWidget(status, 1)

        register, r = card(20, 10)
        r.addWidget(label("Register an OAuth client", "section"))
        form = QFormLayout()
        form.setVerticalSpacing(8)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("My web app")
        self.redirects_edit = QPlainTextEdit()
        self.redirects_edit.setPlaceholderText("https://app.example/callback (one per line)")
        self.redirects_edit.setFixedHeight(64)
        self.method_combo = QComboBox()
        for method, text in AUTH_METHOD_CHOICES:
            self.method_combo.addItem(text, method)
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.pubkey_edit = QLineEdit()
        self.pubkey_edit.setObjectName("mono")
        self.pubkey_edit.setPlaceholderText("member pubkey of the app's signing key (hex)")
        self.jwks_uri_edit = QLineEdit()
        self.jwks_uri_edit.setPlaceholderText("https://app.example/jwks.json")
        form.addRow("Name", self.name_edit)
        form.addRow("Redirect URIs", self.redirects_edit)
        form.addRow("Authentication", self.method_combo)
        form.addRow("Member pubkey", self.pubkey_edit)
        form.addRow("JWKS URL", self.jwks_uri_edit)
        r.addLayout(form)
        row = QHBoxLayout()
        self.use_identity_button = button("Use my default identity", "link", self.use_default_identity)
        row.addWidget(self.use_identity_button)
        row.addStretch(1)
        self.register_button = button("Register", "primary", self.register)
        row.addWidget(self.register_button)
        r.addLayout(row)
        self.register_result = label("", "ok", wrap=True, rich=True)  # values escaped in register()
        self.register_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        r.addWidget(self.register_result)
        r.addStretch(1)
        layout.addWidget(register, 1)
        self._method_changed()

    @property
    def auth_method(self) -> str:
        return str(self.method_combo.currentData())

    def _method_changed(self) -> None:
        method = self.auth_method
        self.pubkey_edit.setEnabled(method == "x_auth_token")
        self.use_identity_button.setEnabled(method == "x_auth_token")
        self.jwks_uri_edit.setEnabled(method == "private_key_jwt")

    def refresh(self) -> None:
        running = self.server.running
        self.state.setText("Running" if running else "Stopped")
        self.state.setObjectName("pill_on" if running else "pill_off")
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        self.toggle_button.setText("Stop" if running else "Start")
        self.url_field.set_value(self.server.url)
        stats = self.server.stats()
        self.clients_label.setText(f"<b>{stats.clients}</b> clients")
        self.users_label.setText(f"<b>{stats.users}</b> users")
        self.sessions_label.setText(f"<b>{stats.sessions}</b> sessions")
        clients = self.server.clients()
        self.clients_list.setText("<br>".join(f"<b>{escape(c.name)}</b> <span style='color:#6b7280'>{escape(c.client_id)} · {escape(c.auth_method)}</span>"
                                              for c in clients) or "<span style='color:#6b7280'>none yet</span>")
        if not self.error.text() and self.server.last_error:
            self.error.setText(self.server.last_error)
        self.team.refresh()

    def toggle(self) -> None:
        self.error.setText("")
        if self.server.running:
            self.server.stop()
        else:
            try:
                self.server.start()
            except EmbeddedServerError as exc:
                self.error.setText(str(exc))
        self.refresh()

    def use_default_identity(self) -> None:
        try:
            identity = self.wallet.default_identity()
        except WalletError:
            identity = None
        if identity:
            self.pubkey_edit.setText(identity.pubkey)

    def register(self) -> None:
        uris = [u.strip() for u in self.redirects_edit.toPlainText().split() if u.strip()]
        method = self.auth_method
        try:
            client = self.server.register_client(
                self.name_edit.text(), uris, self.pubkey_edit.text() if method == "x_auth_token" else None,
                auth_method=method, jwks_uri=self.jwks_uri_edit.text().strip() if method == "private_key_jwt" else None)
        except (ValueError, EmbeddedServerError) as exc:
            self.register_result.setObjectName("error")
            self.register_result.setText(escape(str(exc)))
        except Exception as exc:  # store missing or unreadable: say so, keep the app running
            self.register_result.setObjectName("error")
            self.register_result.setText(f"Could not register the client ({type(exc).__name__}).")
        else:
            self.register_result.setObjectName("ok")
            text = f"Registered ({escape(client.auth_method)}). client_id: <b>{escape(client.client_id)}</b>"
            if client.client_secret:
                text += (f"<br>client_secret: <b>{escape(client.client_secret)}</b><br>Copy it into the app now: "
                         "it is shown this once (the server keeps only a hash).")
            self.register_result.setText(text)
            self.name_edit.clear()
            self.redirects_edit.clear()
        self.register_result.style().unpolish(self.register_result)
        self.register_result.style().polish(self.register_result)
        self.refresh()
