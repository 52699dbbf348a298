"""Start the desktop app: single instance, wallet + local API + embedded server + windows.

Prints two marker lines on stdout that ``bench/startup.py`` and the e2e test read:
``sigil: window shown after <s> s`` and ``sigil: signer API ready at <url> after <s> s``.
``SIGIL_SCREENSHOT=<path>`` saves a picture of the window once it has settled.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from auth_server.paths import data_dir
from signer_app.settings import SettingsStore
from signer_app.ui.main_window import MainWindow
from signer_app.ui.single_instance import SingleInstance
from signer_app.ui.theme import apply_theme
from signer_app.ui.tray import Tray, app_icon


def _marker(text: str) -> None:
    print(f"sigil: {text}", flush=True)


def run_gui(argv: list[str], started: float) -> int:
    """Run the desktop app; ``started`` is when ``sigil`` started (the entry point notes it on
    its first line and passes it in, so the GUI never imports the entry point), from which the
    startup markers count."""
    app = QApplication([sys.argv[0], *argv])
    app.setApplicationName("Sigil")
    app.setDesktopFileName("sigil")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)

    folder = data_dir(create=True)
    instance = SingleInstance(folder)
    if instance.notify_running():
        _marker("already running; asked it to come to the front")
        return 0
    instance.listen()

    tray = Tray()
    window = MainWindow(keep_in_tray=tray.available)
    instance.focus_requested.connect(window.bring_to_front)
    tray.open_requested.connect(window.bring_to_front)
    parts: dict = {}

    def quit_app() -> None:
        window.quitting = True
        app.quit()

    tray.quit_requested.connect(quit_app)
    window.quit_requested.connect(quit_app)

    def on_shown() -> None:
        now = time.time()
        _marker(f"window shown after {now - started:.3f} s (at {now:.3f})")
        QTimer.singleShot(0, boot)

    def boot() -> None:
        """After the first paint: import and wire the wallet, API and server, fill the window."""
        from signer_app.assembly import AppContext
        from signer_app.ui.approvals_presenter import ApprovalPresenter

        ctx = AppContext.build(folder, SettingsStore())
        parts["ctx"] = ctx
        window.attach(ctx)
        presenter = ApprovalPresenter(ctx.service.broker, ctx.wallet, window)
        parts["presenter"] = presenter
        presenter.pending_changed.connect(tray.set_pending)
        tray.lock_requested.connect(window.lock)
        now = time.time()
        _marker(f"window ready after {now - started:.3f} s (at {now:.3f})")
        if ctx.start_api():
            _marker(f"signer API ready at {ctx.api.url} after {time.time() - started:.3f} s")
        if ctx.settings.start_server and ctx.start_server():
            _marker(f"auth server ready at {ctx.server.url} after {time.time() - started:.3f} s")
        if window.stack.currentWidget() is window.main_view:
            window.refresh_data()
        if ctx.errors:
            QMessageBox.warning(window, "Sigil", "\n".join(ctx.errors))
        shot = os.environ.get("SIGIL_SCREENSHOT")
        if shot:
            QTimer.singleShot(1200, lambda: _screenshot(window, shot))

    window.shown.connect(on_shown)
    window.show()
    code = app.exec()
    tray.hide()
    instance.close()
    if "ctx" in parts:
        parts["ctx"].shutdown()
    return code


def _screenshot(window: MainWindow, path: str) -> None:
    window.grab().save(path)
    _marker(f"screenshot saved to {path}")
