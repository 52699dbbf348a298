"""The approval dialog speaks in words: what each scope allows, how long ("until you revoke
it" for TokenPass's ``forever``), and for a sign-in the site, the app and the identity. A
real request over HTTP raises the real dialog; its picture goes to the README."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from signer_app.ui.approval_dialog import SCOPE_WORDS

REPO = Path(__file__).resolve().parents[2]
# test-artifacts/ by default; the README's copy comes from SIGIL_SCREENSHOT_DIR=docs/screenshots
SCREENSHOTS = Path(os.environ.get("SIGIL_SCREENSHOT_DIR") or REPO / "test-artifacts" / "gui")
ORIGIN = "https://chat.example"


def texts(dialog) -> str:
    from PySide6.QtWidgets import QLabel

    return "\n".join(widget.text() for widget in dialog.findChildren(QLabel))


def wait_dialog(qtbot, presenter):
    qtbot.waitUntil(lambda: presenter.dialog is not None and presenter.dialog.isVisible(), timeout=10000)
    return presenter.dialog


@pytest.fixture
def themed(qapp):
    """The app's stylesheet, as ``sigil`` applies it, for a picture that looks like the app."""
    from signer_app.ui.theme import apply_theme

    font, palette, style = qapp.font(), qapp.palette(), qapp.style().name()
    apply_theme(qapp)
    yield
    qapp.setStyleSheet("")
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setFont(font)


def test_an_encrypt_request_names_its_scopes_in_words(qtbot, themed, window, presenter, api, ctx):
    future = api.submit("POST", "/api/auth", {"host": "chat.example", "scopes": "encrypt,decrypt",
                                              "expire": "forever"}, {"Origin": ORIGIN})
    dialog = wait_dialog(qtbot, presenter)
    words = texts(dialog)
    assert SCOPE_WORDS["encrypt"] in words and SCOPE_WORDS["decrypt"] in words
    assert "encrypt,decrypt" not in words and SCOPE_WORDS["sign"] not in words  # words, not scope names
    assert "until you revoke it" in words and "for until" not in words
    assert ORIGIN in words and "Personal" in dialog.identity_combo.currentText()
    qtbot.wait(200)  # let the layout settle before the picture
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOTS / "approval-encrypt.png"))
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(future.done, timeout=10000)
    answer = future.result()
    assert answer.status == 200 and answer.body["expireTime"] == 0
    assert ctx.service.grants.lookup(answer.body["accessToken"]).scopes == ("encrypt", "decrypt")


def test_every_scope_has_words_and_a_month_reads_as_days(qtbot, window, presenter, api):
    future = api.submit("POST", "/api/auth", {"scopes": ["sign", "encrypt", "decrypt", "write_profile"],
                                              "expiry": "1m"}, {"Origin": ORIGIN})
    dialog = wait_dialog(qtbot, presenter)
    words = texts(dialog)
    for scope, phrase in SCOPE_WORDS.items():
        assert phrase in words, scope
    assert "30 days" in words and "1 minute" not in words
    qtbot.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(future.done, timeout=10000)
    assert future.result().status == 403


def test_a_sign_in_names_site_app_and_identity(qtbot, window, presenter, api, ctx):
    work = ctx.wallet.add_identity("Work")
    future = api.submit("POST", "/api/sign-in", {"path": "/api/auth/sign-in/sigma", "app": "Demo app",
                                                 "bapId": work.bap_id}, {"Origin": "http://127.0.0.1:4100"})
    dialog = wait_dialog(qtbot, presenter)
    words = texts(dialog)
    assert "Sign in through 127.0.0.1:4100?" in words and "Demo app" in words
    assert "http://127.0.0.1:4100" in words
    assert dialog.selected_bap_id() == work.bap_id and "Work" in dialog.identity_combo.currentText()
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(future.done, timeout=10000)
    answer = future.result()
    assert answer.status == 200 and answer.body["bapId"] == work.bap_id
    assert presenter.dialog is None or not presenter.dialog.isVisible()


HOSTILE_APP = "Sigil Security Check<b></b><br><font color='green'>&#10004; Verified by Sigil</font><!--"


@pytest.mark.parametrize("app", [HOSTILE_APP, "Acme Bank \u202egnp.exe", "A" * 400])
def test_a_claimed_app_name_is_plain_text_below_the_true_origin(qtbot, window, presenter, api, ctx, app):
    from PySide6.QtWidgets import QLabel

    future = api.submit("POST", "/api/sign-in", {"path": "/api/auth/sign-in/sigma", "app": app},
                        {"Origin": "https://evil.example"})
    dialog = wait_dialog(qtbot, presenter)
    labels = dialog.findChildren(QLabel)
    assert all(lab.textFormat() == Qt.TextFormat.PlainText for lab in labels if lab.text())
    assert labels and "Sign in through evil.example?" in texts(dialog)
    if app == HOSTILE_APP:
        assert any(lab.text() == app for lab in labels)  # the markup shown literally, never rendered
    qtbot.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(future.done, timeout=10000)
