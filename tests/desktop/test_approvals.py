"""Approve, deny, timeout, a queue of three, revocation and lock, with the local API
called over real HTTP from other threads while the real dialog is driven in the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt

from auth_server.crypto import verify_token
from tests.helpers.signer import PASSPHRASE

ORIGIN = "https://app.example"
VECTOR_PUBKEY = "029261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f97"


def wait_dialog(qtbot, presenter, request_id: int | None = None):
    qtbot.waitUntil(lambda: presenter.dialog is not None and presenter.dialog.isVisible()
                    and (request_id is None or presenter.dialog.request.id != request_id), timeout=10000)
    return presenter.dialog


def result(qtbot, future, timeout: int = 15000):
    qtbot.waitUntil(future.done, timeout=timeout)
    return future.result()


def grant(qtbot, presenter, api, origin: str = ORIGIN, expiry: str = "1h") -> str:
    future = api.submit("POST", "/api/auth", {"host": "claims.example", "scopes": ["sign"], "expiry": expiry},
                        {"Origin": origin})
    dialog = wait_dialog(qtbot, presenter)
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200, answer.body
    return answer.body["accessToken"]


def test_approve_grant_then_sign_without_prompt(qtbot, window, presenter, api, ctx):
    future = api.submit("POST", "/api/auth", {"host": "claims.example", "scopes": ["sign"], "expiry": "2h"},
                        {"Origin": ORIGIN})
    dialog = wait_dialog(qtbot, presenter)
    # the dialog says who asks (from Origin, not the JSON host), what, and with which identity
    assert dialog.request.kind == "grant"
    assert dialog.request.host == "app.example" and dialog.request.origin == ORIGIN
    assert dialog.request.claimed_host == "claims.example"
    assert dialog.request.scopes == ("sign",) and dialog.request.duration_seconds == 7200
    assert dialog.selected_bap_id() == "VpdSWHprjixzq5dX2kno1gEmw4C"
    assert dialog.windowModality() == Qt.WindowModality.ApplicationModal
    assert dialog.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert not dialog.passphrase_edit.isVisible()
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200 and answer.body["success"] is True
    assert answer.body["host"] == "app.example"
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    token = answer.body["accessToken"]
    assert token not in (ctx.data_dir / "grants.sqlite").read_bytes().decode("latin-1")  # stored hashed

    body = '{"hello":"world"}'
    signed = api.request("POST", "/api/sign", {"path": "/api/profile", "body": body, "signatureType": "brc77"},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert signed.status == 200, signed.body
    assert presenter.dialog is None  # ordinary API requests need no new prompt
    parsed = verify_token(signed.body["token"], "/api/profile", body=body)
    assert parsed.pubkey == VECTOR_PUBKEY

    qtbot.waitUntil(lambda: len(window.activity_panel.rows()) >= 2)
    rows = window.activity_panel.rows()
    assert rows[0] == ("signed (grant)", ORIGIN, "signature for /api/profile")
    assert rows[1][0] == "approved" and "access grant" in rows[1][2]
    assert window.grants_panel.table.rowCount() == 1
    assert window.grants_panel.table.item(0, 0).text().startswith("app.example")


def test_sign_in_always_prompts_and_identity_is_selectable(qtbot, window, presenter, api, ctx):
    second = ctx.wallet.add_identity("Work")
    token = grant(qtbot, presenter, api)
    future = api.submit("POST", "/api/sign", {"path": "/api/auth/sign-in/sigma", "signatureType": "bsm"},
                        {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    dialog = wait_dialog(qtbot, presenter)
    assert dialog.request.kind == "sign-in" and dialog.request.path == "/api/auth/sign-in/sigma"
    dialog.identity_combo.setCurrentIndex(dialog.identity_combo.findData(second.bap_id))
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200, answer.body
    assert verify_token(answer.body["token"], "/api/auth/sign-in/sigma").pubkey == second.pubkey


def test_deny(qtbot, window, presenter, api):
    future = api.submit("POST", "/api/auth", {"host": "x", "scopes": ["sign"], "expiry": "1h"}, {"Origin": ORIGIN})
    dialog = wait_dialog(qtbot, presenter)
    qtbot.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 403
    assert answer.body == {"error": "Request denied by the user", "code": 4, "success": False}
    qtbot.waitUntil(lambda: window.activity_panel.rows() and window.activity_panel.rows()[0][0] == "denied")
    assert window.grants_panel.table.rowCount() == 0


def test_timeout_denies_and_closes_the_dialog(qtbot, window, presenter, api, ctx):
    ctx.service.broker.timeout = 1.0
    future = api.submit("POST", "/api/auth", {"scopes": ["sign"], "expiry": "1h"}, {"Origin": ORIGIN})
    wait_dialog(qtbot, presenter)
    answer = result(qtbot, future)
    assert answer.status == 403 and answer.body["code"] == 4
    assert "in time" in answer.body["error"]
    qtbot.waitUntil(lambda: presenter.dialog is None)
    qtbot.waitUntil(lambda: window.activity_panel.rows() and window.activity_panel.rows()[0][0] == "timed out")


def test_three_concurrent_requests_queue_and_none_is_lost(qtbot, window, presenter, api, ctx):
    origins = ["https://one.example", "https://two.example", "https://three.example"]
    futures = [api.submit("POST", "/api/auth", {"scopes": ["sign"], "expiry": "1h"}, {"Origin": o}) for o in origins]
    qtbot.waitUntil(lambda: len(ctx.service.broker.pending()) == 3, timeout=10000)
    seen = []
    previous = None
    for index in range(3):
        dialog = wait_dialog(qtbot, presenter, previous)
        seen.append(dialog.request.origin)
        previous = dialog.request.id
        button = dialog.deny_button if index == 1 else dialog.approve_button
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    answers = [result(qtbot, f) for f in futures]
    assert sorted(seen) == sorted(origins)  # each shown exactly once, one after another
    by_origin = dict(zip(origins, answers))
    statuses = sorted(a.status for a in answers)
    assert statuses == [200, 200, 403]
    tokens = {a.body["accessToken"] for a in answers if a.status == 200}
    assert len(tokens) == 2
    denied_origin = seen[1]
    assert by_origin[denied_origin].status == 403
    assert {g.origin for g in ctx.service.grants.active()} == set(origins) - {denied_origin}


def test_revoking_a_grant_in_the_gui(qtbot, window, presenter, api, ctx):
    token = grant(qtbot, presenter, api)
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    assert api.request("POST", "/api/sign", {"path": "/x"}, headers).status == 200
    qtbot.waitUntil(lambda: window.grants_panel.table.rowCount() == 1)
    (revoke,) = window.grants_panel.revoke_buttons.values()
    qtbot.mouseClick(revoke, Qt.MouseButton.LeftButton)
    assert window.grants_panel.table.rowCount() == 0
    # the origin lost its grant: no CORS and no signature any more
    answer = api.request("POST", "/api/sign", {"path": "/x"}, headers)
    assert answer.status == 403 and answer.body["code"] == 3
    assert "access-control-allow-origin" not in answer.headers
    answer = api.request("POST", "/api/sign", {"path": "/x"}, {"Authorization": f"Bearer {token}"})
    assert answer.status == 401 and answer.body["code"] == 3
    qtbot.waitUntil(lambda: window.activity_panel.rows()[0][0] == "revoked")


def test_lock_then_sign_asks_for_the_passphrase_in_the_same_flow(qtbot, window, presenter, api, ctx):
    token = grant(qtbot, presenter, api)
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    answer = api.request("POST", "/api/logout", None, {"Origin": ORIGIN})
    assert answer.status == 200 and answer.body == {"success": True}
    assert ctx.wallet.is_locked
    assert api.request("GET", "/api/status").body == {"unlocked": False, "hasWallet": True, "success": True}
    window._periodic()
    assert window.stack.currentWidget() is window.unlock_view

    future = api.submit("POST", "/api/sign", {"path": "/api/profile"}, headers)
    dialog = wait_dialog(qtbot, presenter)
    assert dialog.passphrase_edit.isVisible()
    qtbot.keyClicks(dialog.passphrase_edit, "wrong passphrase")
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.error.text()  # still asking
    qtbot.keyClicks(dialog.passphrase_edit, PASSPHRASE)
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200, answer.body
    assert verify_token(answer.body["token"], "/api/profile").pubkey == VECTOR_PUBKEY
    assert not ctx.wallet.is_locked
    window._periodic()
    assert window.stack.currentWidget() is window.main_view


def test_keyboard_alt_a_approves_escape_denies_and_return_never_approves(qtbot, window, presenter, api, ctx):
    token = grant(qtbot, presenter, api)
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    sign_in = {"path": "/api/auth/sign-in/sigma", "signatureType": "brc77"}

    future = api.submit("POST", "/api/sign", sign_in, headers)
    dialog = wait_dialog(qtbot, presenter)
    assert dialog.request.kind == "sign-in"
    assert dialog.approve_button.text() == "&Approve" and dialog.deny_button.text() == "&Deny"
    assert not any(b.isDefault() or b.autoDefault() for b in (dialog.approve_button, dialog.deny_button))
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    # a stray Return (or Enter) on the dialog or on whatever has focus does not sign anything
    for target in (dialog, dialog.focusWidget() or dialog, dialog.identity_combo):
        qtbot.keyClick(target, Qt.Key.Key_Return)
        qtbot.keyClick(target, Qt.Key.Key_Enter)
    qtbot.wait(50)
    assert ctx.service.broker.is_pending(dialog.request.id) and dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    answer = result(qtbot, future)
    assert answer.status == 200, answer.body
    assert verify_token(answer.body["token"], "/api/auth/sign-in/sigma").pubkey == VECTOR_PUBKEY

    for deny_key in ((Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)):
        future = api.submit("POST", "/api/sign", sign_in, headers)
        dialog = wait_dialog(qtbot, presenter, dialog.request.id)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        qtbot.keyClick(dialog, *deny_key)
        answer = result(qtbot, future)
        assert answer.status == 403 and answer.body["code"] == 4
