"""Fixtures for the GUI tests: the signer's parts from :mod:`tests.helpers.signer` plus real Qt
widgets (offscreen)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from tests.helpers.signer import *  # noqa: E402,F401,F403  (the fixtures and names the tests use)

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _collect_qt_garbage(qapp):
    """Free each test's widgets while the QApplication lives: PySide6 can abort at
    interpreter exit when many dead wrappers are left for the final garbage collection."""
    yield
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def window(qtbot, ctx):
    from signer_app.ui.main_window import MainWindow

    win = MainWindow(ctx, keep_in_tray=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win._poll.stop()
    win.quitting = True
    win.close()


@pytest.fixture
def presenter(ctx, window):
    from signer_app.ui.approvals_presenter import ApprovalPresenter

    return ApprovalPresenter(ctx.service.broker, ctx.wallet, window)
