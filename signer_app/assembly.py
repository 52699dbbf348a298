"""Everything the running app is made of, wired once (by ``signer_app.gui.run_gui``) or by tests.

The top of the signer: it imports the core, the local API and the embedded server, and nothing
below imports it; the windows receive the built parts.

No Qt here: the GUI receives an :class:`AppContext` and calls plain methods on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from signer_app.approvals import ApprovalBroker
from signer_app.embedded_server import EmbeddedServer, EmbeddedServerError
from signer_app.local_api.app import create_signer_api
from signer_app.local_api.serving import LOOPBACK, LocalApiServer
from signer_app.service import SignerService
from signer_app.settings import DEFAULT_SIGNER_PORT, AppSettings, SettingsStore
from signer_app.wallet import Wallet


def signer_url(api: LocalApiServer) -> str:
    """Where browsers reach the signer API: its bound port, or the configured one before it runs."""
    return api.url if api.running else f"http://{LOOPBACK}:{api.requested_port or DEFAULT_SIGNER_PORT}"


@dataclass
class AppContext:
    data_dir: Path
    wallet: Wallet
    service: SignerService
    settings_store: SettingsStore
    settings: AppSettings
    api: LocalApiServer
    server: EmbeddedServer
    errors: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, data_dir: Path, settings_store: SettingsStore, wallet: Wallet | None = None,
              approval_timeout: float = 120.0) -> AppContext:
        settings = settings_store.effective()
        if wallet is None:
            # SIGIL_KEYRING_SERVICE keeps a test or second install apart in the keyring
            service = os.environ.get("SIGIL_KEYRING_SERVICE", "sigil")
            wallet = Wallet(data_dir, service=service, auto_lock_seconds=settings.auto_lock_minutes * 60)
        # The server's sign-in pages point browsers at the signer API, and the signer trusts the
        # server's origin: each learns the other's address when it starts, through a callable.
        server = EmbeddedServer(data_dir, settings.server_port, settings.server_base_url,
                                signer_url=lambda: signer_url(api))
        service = SignerService(wallet, data_dir, broker=ApprovalBroker(timeout=approval_timeout),
                                server_origin=lambda: server.origin, app_name_for=server.app_name_for)
        api = LocalApiServer(create_signer_api(service), settings.signer_port)
        return cls(data_dir, wallet, service, settings_store, settings, api, server)

    def start_api(self) -> bool:
        try:
            self.api.start()
        except OSError as exc:
            self.errors.append(f"Signer API: cannot listen on 127.0.0.1:{self.api.requested_port} ({exc.strerror or exc})")
            return False
        return True

    def start_server(self) -> bool:
        try:
            self.server.start()
        except EmbeddedServerError as exc:
            self.errors.append(f"Auth server: {exc}")
            return False
        return True

    def apply_settings(self, settings: AppSettings) -> None:
        """Save; ports and base URL take effect when the server / app restarts."""
        self.settings_store.save(settings)
        self.settings = self.settings_store.effective()
        if hasattr(self.wallet, "auto_lock_seconds"):
            try:
                self.wallet.auto_lock_seconds = self.settings.auto_lock_minutes * 60
            except AttributeError:
                pass
        if not self.server.running:
            self.server.port = self.settings.server_port
            self.server.base_url = self.settings.server_base_url

    def shutdown(self) -> None:
        self.service.broker.deny_all()
        self.api.stop()
        self.server.close()
        self.service.close()
