"""Locking shows in the Activity tab: the idle auto-lock ("locked after N minutes idle")
and the Lock button; an approval counts as activity and restarts the idle timer."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt

from signer_app.wallet import Wallet
from tests.helpers.signer import FAST_KDF, PASSPHRASE, VECTOR_MNEMONIC
from tests.desktop.test_approvals import ORIGIN, result, wait_dialog
from tests.helpers.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def wallet(data_dir, clock) -> Wallet:
    """Overrides conftest's: auto-lock after 2 minutes idle, on a clock the test moves."""
    w = Wallet(data_dir, service=f"sigil-test-{uuid.uuid4().hex[:10]}", kdf=FAST_KDF,
               auto_lock_seconds=120, clock=clock)
    w.import_mnemonic(VECTOR_MNEMONIC, PASSPHRASE, label="Personal")
    yield w
    w.delete()


def _lock_rows(window) -> list[tuple[str, str, str]]:
    window.refresh_data()
    return [row for row in window.activity_panel.rows() if row[0] == "locked"]


def test_auto_lock_is_logged_once_and_shows_the_unlock_screen(qtbot, window, ctx, clock):
    assert window.stack.currentWidget() is window.main_view
    clock.now += 119
    window._periodic()
    assert window.stack.currentWidget() is window.main_view and _lock_rows(window) == []
    clock.now += 1
    window._periodic()
    assert window.stack.currentWidget() is window.unlock_view
    window._periodic()  # noticing again adds nothing
    assert _lock_rows(window) == [("locked", "Sigil", "locked after 2 minutes idle")]


def test_manual_lock_is_logged(qtbot, window, ctx):
    qtbot.mouseClick(window.lock_button, Qt.MouseButton.LeftButton)
    assert ctx.wallet.is_locked and window.stack.currentWidget() is window.unlock_view
    assert _lock_rows(window) == [("locked", "Sigil", "wallet locked")]


def test_an_approval_restarts_the_idle_timer(qtbot, window, presenter, api, ctx, clock):
    clock.now += 100
    future = api.submit("POST", "/api/auth", {"scopes": ["sign"], "expiry": "1h"}, {"Origin": ORIGIN})
    dialog = wait_dialog(qtbot, presenter)
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    assert result(qtbot, future).status == 200
    clock.now += 100  # 200 s after unlocking, 100 s after the approval
    assert not ctx.wallet.is_locked
    clock.now += 20
    assert ctx.wallet.is_locked
    assert _lock_rows(window) == [("locked", "Sigil", "locked after 2 minutes idle")]
