"""The main window: first-run wizard, unlock screen, or the tabs (identities, access,
activity, server), with a header that shows the server and signer status."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog, QFrame, QHBoxLayout, QMainWindow, QMenu, QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)

from typing import TYPE_CHECKING, Protocol

from signer_app.ui.qtcompat import emit
from signer_app.ui.tray import app_icon
from signer_app.ui.widgets import button, label

if TYPE_CHECKING:
    from signer_app.embedded_server import EmbeddedServer
    from signer_app.service import SignerService
    from signer_app.settings import AppSettings, SettingsStore
    from signer_app.wallet import Identity, Wallet


class ApiStatus(Protocol):
    """What the header shows of the local API server (the UI does not import ``local_api``)."""

    @property
    def running(self) -> bool: ...

    @property
    def url(self) -> str: ...


class AppParts(Protocol):
    """The built parts the window works with (``signer_app.assembly.AppContext`` is one).

    Declared here so that the window depends on what it uses, not on the module that builds
    the app, which sits above the UI.
    """

    wallet: Wallet
    service: SignerService
    server: EmbeddedServer
    api: ApiStatus
    settings: AppSettings
    settings_store: SettingsStore

    def apply_settings(self, settings: AppSettings) -> None: ...


class MainWindow(QMainWindow):
    shown = Signal()
    quit_requested = Signal()
    _data_changed = Signal()

    def __init__(self, ctx: AppParts | None = None, keep_in_tray: bool = False) -> None:
        """With ``ctx=None`` the window shows at once, with "Starting…", and :meth:`attach`
        fills it in: the app shows its window before it imports the wallet and servers."""
        super().__init__()
        self.keep_in_tray = keep_in_tray
        self.quitting = False
        self._shown_once = False
        self.setWindowTitle("Sigil")
        self.setWindowIcon(app_icon())
        self.resize(980, 640)
        self.stack = QStackedWidget()
        self.stack.setObjectName("root")
        starting = label("Starting Sigil…", "subtitle")
        starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(starting)
        self.setCentralWidget(self.stack)
        if ctx is not None:
            self.attach(ctx)

    def attach(self, ctx: AppParts) -> None:
        """Build the wizard, unlock screen and tabs around the app's parts."""
        from signer_app.ui.unlock import UnlockView
        from signer_app.ui.wizard import FirstRunWizard

        self.ctx = ctx
        self.wizard = FirstRunWizard(ctx.wallet)
        self.wizard.completed.connect(self.show_current)
        self.unlock_view = UnlockView(ctx.wallet)
        self.unlock_view.unlocked.connect(self.show_current)
        self.main_view = self._build_main_view()
        for w in (self.wizard, self.unlock_view, self.main_view):
            self.stack.addWidget(w)

        self._data_changed.connect(self.refresh_data)
        ctx.service.grants.subscribe(self._notify_changed)  # HTTP threads -> GUI thread
        ctx.service.activity.subscribe(self._notify_changed)
        self._poll = QTimer(self)
        self._poll.setInterval(2000)
        self._poll.timeout.connect(self._periodic)
        self._poll.start()
        self.show_current()

    def _notify_changed(self) -> None:
        """Called from any thread; the queued signal runs ``refresh_data`` in the GUI thread."""
        emit(self._data_changed)

    def _build_main_view(self) -> QWidget:
        from signer_app.ui.activity_panel import ActivityPanel
        from signer_app.ui.consents_panel import ConsentsPanel
        from signer_app.ui.grants_panel import GrantsPanel
        from signer_app.ui.identities import IdentitiesPanel
        from signer_app.ui.server_panel import ServerPanel
        from signer_app.ui.sharing_panel import SharingPanel

        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        header = QFrame()
        header.setObjectName("header")
        h = QHBoxLayout(header)
        h.setContentsMargins(24, 14, 24, 14)
        h.setSpacing(12)
        brand = label("Sigil", "title")
        h.addWidget(brand)
        self.status_line = label("", "muted")
        h.addWidget(self.status_line, 1)
        self.wallet_button = button("Wallet")
        self.wallet_menu = QMenu(self.wallet_button)
        self.backup_action = self.wallet_menu.addAction("Back up recovery phrase…", self.open_backup)
        self.change_passphrase_action = self.wallet_menu.addAction("Change passphrase…", self.open_change_passphrase)
        self.wallet_button.setMenu(self.wallet_menu)
        self.settings_button = button("Settings", slot=self.open_settings)
        self.lock_button = button("Lock", "primary", self.lock)
        h.addWidget(self.wallet_button)
        h.addWidget(self.settings_button)
        h.addWidget(self.lock_button)
        layout.addWidget(header)

        body = QVBoxLayout()
        body.setContentsMargins(24, 12, 24, 20)
        self.tabs = QTabWidget()
        self.identities_panel = IdentitiesPanel(self.ctx.wallet, self.ctx.service.profiles,
                                                on_profile_saved=self._profile_saved)
        self.grants_panel = GrantsPanel(self.ctx.service)
        self.consents_panel = ConsentsPanel(self.ctx.server, self.ctx.wallet)
        self.sharing_panel = SharingPanel(self.ctx.service)
        access = QWidget()
        access_layout = QVBoxLayout(access)
        access_layout.setContentsMargins(0, 0, 0, 0)
        access_layout.addWidget(self.grants_panel, 1)
        access_layout.addWidget(self.consents_panel, 1)
        access_layout.addWidget(self.sharing_panel, 1)
        self.activity_panel = ActivityPanel(self.ctx.service.activity)
        self.server_panel = ServerPanel(self.ctx.server, self.ctx.wallet)
        for panel, title in ((self.identities_panel, "Identities"), (access, "Access"),
                             (self.activity_panel, "Activity"), (self.server_panel, "Server")):
            wrapper = QWidget()
            wl = QVBoxLayout(wrapper)
            wl.setContentsMargins(0, 14, 0, 0)
            wl.addWidget(panel)
            self.tabs.addTab(wrapper, title)
        body.addWidget(self.tabs)
        layout.addLayout(body, 1)
        return view

    # -- state -----------------------------------------------------------------------------

    def show_current(self) -> None:
        """Wizard without a wallet, unlock screen while locked, else the tabs."""
        wallet = self.ctx.wallet
        if not wallet.exists():
            self.stack.setCurrentWidget(self.wizard)
        elif wallet.is_locked:
            self.stack.setCurrentWidget(self.unlock_view)
        else:
            self.stack.setCurrentWidget(self.main_view)
            self.identities_panel.refresh()
            self.refresh_data()

    def refresh_data(self) -> None:
        self.grants_panel.refresh()
        try:
            identities = self.ctx.wallet.identities(include_hidden=True)  # one read of the metadata for both
        except Exception:
            identities = None
        if identities is not None:
            self._sync_emails(identities)
        self.consents_panel.refresh(identities or [])
        self.sharing_panel.refresh()
        self.activity_panel.refresh()
        self.server_panel.refresh()
        self._update_status_line()

    def _profile_saved(self, identity) -> None:
        """The e-mail set on an identity is what OIDC apps of the embedded server see."""
        try:
            self.ctx.server.set_email(identity.pubkey, identity.email)
        except ValueError as exc:
            self.identities_panel.error.setText(f"The auth server kept the old e-mail: {exc}")
        except Exception:
            pass  # the identity never signed in on the embedded server: synced after its first sign-in

    def _sync_emails(self, identities: list[Identity]) -> None:
        self.ctx.server.sync_emails({i.pubkey: i.email for i in identities if i.email})

    def _update_status_line(self) -> None:
        api = self.ctx.api
        server = self.ctx.server
        parts = [f"Signer API {'on ' + api.url if api.running else 'not running'}",
                 f"Server {'on ' + server.url if server.running else 'stopped'}"]
        self.status_line.setText("   ·   ".join(parts))

    def _periodic(self) -> None:
        current = self.stack.currentWidget()
        if current is self.main_view and self.ctx.wallet.is_locked:
            self.show_current()  # auto-lock or /api/logout happened
        elif current is self.unlock_view and not self.ctx.wallet.is_locked:
            self.show_current()  # unlocked inside an approval dialog
        elif self.stack.currentWidget() is self.main_view:
            self.grants_panel.refresh()  # expiry countdowns, expired grants disappear
            self._update_status_line()

    def lock(self) -> None:
        self.ctx.service.lock("Sigil", reason="locked")
        self.show_current()

    def open_settings(self) -> None:
        from signer_app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx.settings, self)
        if dialog.exec():
            self.ctx.apply_settings(dialog.result_settings(self.ctx.settings_store.load()))
            self.refresh_data()

    def open_backup(self) -> QDialog:
        """The Wallet menu's backup: passphrase again, then the recovery phrase once."""
        from signer_app.ui.backup_dialog import BackupDialog

        return self._open_dialog(BackupDialog(self.ctx.service, self))

    def open_change_passphrase(self) -> QDialog:
        from signer_app.ui.passphrase_dialog import ChangePassphraseDialog

        return self._open_dialog(ChangePassphraseDialog(self.ctx.service, self))

    def _open_dialog(self, dialog: QDialog) -> QDialog:
        """Window-modal and non-blocking (``open``, not ``exec``); deleted once closed."""
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _result: self.refresh_data())
        dialog.open()
        return dialog

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.raise_()
        self.activateWindow()

    # -- Qt events ---------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            emit(self.shown)

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.keep_in_tray and not self.quitting:
            event.ignore()
            self.hide()
            return
        event.accept()
        emit(self.quit_requested)
