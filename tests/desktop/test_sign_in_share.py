"""The sign-in dialog's "Share my name and picture with <app>" checkbox and the Access tab's
list of remembered choices (issue 24), with the real dialog, the real main window and the
local API over loopback: what the box starts from, what the body then carries (signed), and
that a change in the Access tab is what the next sign-in sends."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox

from auth_server.crypto import verify_token
from tests.desktop.test_approvals import result, wait_dialog

SIGN_IN = "/api/auth/sign-in/sigma"
SERVER = "http://127.0.0.1:4100"
CLIENT = "sigil_demo_client"


def start(api, **fields):
    return api.submit("POST", "/api/sign-in", {"path": SIGN_IN, "app": "Demo app", **fields}, {"Origin": SERVER})


def approve(qtbot, dialog, future) -> dict:
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200, answer.body
    assert verify_token(answer.body["token"], SIGN_IN, body=answer.body["body"]).pubkey
    return json.loads(answer.body["body"])


def test_the_box_is_ticked_by_default_and_unticking_it_is_signed_and_remembered(qtbot, window, presenter, api, ctx):
    me = ctx.wallet.default_identity()
    ctx.service.profiles.update(me.bap_id, {"displayName": "Alice", "username": "alice",
                                            "picture": "https://pics.example/a.png"})
    future = start(api, clientId=CLIENT)
    dialog = wait_dialog(qtbot, presenter)
    box = dialog.share_box
    assert box is not None and box.isVisible() and box.isChecked()
    assert box.text() == "&Share my name and picture with Demo app"
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not box.isChecked()
    body = approve(qtbot, dialog, future)
    assert body["shareProfile"] is False and body["profile"]["name"] == "Alice" and body["clientId"] == CLIENT
    assert ctx.service.sharing.get(SERVER, CLIENT, me.bap_id) is False

    future = start(api, clientId=CLIENT)
    dialog = wait_dialog(qtbot, presenter, dialog.request.id)
    assert not dialog.share_box.isChecked()  # starts from the remembered choice
    assert approve(qtbot, dialog, future)["shareProfile"] is False


def test_without_a_client_there_is_no_box_and_no_share_key(qtbot, window, presenter, api, ctx):
    future = start(api)
    dialog = wait_dialog(qtbot, presenter)
    assert dialog.share_box is None and dialog.findChildren(QCheckBox) == []
    assert approve_plain(qtbot, dialog, future) == "{}"


def approve_plain(qtbot, dialog, future) -> str:
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200
    return answer.body["body"]


def test_switching_identity_in_the_dialog_sends_that_identitys_profile_and_choice(qtbot, window, presenter, api, ctx):
    me = ctx.wallet.default_identity()
    work = ctx.wallet.add_identity("Work")
    ctx.service.profiles.update(me.bap_id, {"displayName": "Alice", "picture": "https://pics.example/a.png"})
    ctx.service.profiles.update(work.bap_id, {"displayName": "Alice at Work", "username": "alice.work",
                                              "picture": "https://pics.example/w.png"})
    ctx.service.sharing.remember(SERVER, CLIENT, work.bap_id, False)
    future = start(api, clientId=CLIENT, bapId=me.bap_id)
    dialog = wait_dialog(qtbot, presenter)
    assert dialog.share_box.isChecked()  # the proposed identity never decided: ticked
    dialog.identity_combo.setCurrentIndex(dialog.identity_combo.findData(work.bap_id))
    assert dialog.selected_bap_id() == work.bap_id
    assert not dialog.share_box.isChecked()  # the box follows the identity picked
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    answer = result(qtbot, future)
    assert answer.status == 200 and answer.body["bapId"] == work.bap_id
    body = json.loads(answer.body["body"])
    assert body == {"clientId": CLIENT, "shareProfile": False, "profile": {
        "name": "Alice at Work", "username": "alice.work", "picture": "https://pics.example/w.png"}}
    assert verify_token(answer.body["token"], SIGN_IN, body=answer.body["body"]).pubkey == work.pubkey


def test_the_access_tab_lists_the_choices_and_a_change_there_is_what_the_next_sign_in_sends(
        qtbot, window, presenter, api, ctx):
    me = ctx.wallet.default_identity()
    ctx.service.profiles.update(me.bap_id, {"displayName": "Alice"})
    future = start(api, clientId=CLIENT)
    first = wait_dialog(qtbot, presenter)
    assert approve(qtbot, first, future)["shareProfile"] is True

    window.tabs.setCurrentIndex([window.tabs.tabText(i) for i in range(window.tabs.count())].index("Access"))
    window.refresh_data()
    panel = window.sharing_panel
    assert panel.isVisible() and panel.table.rowCount() == 1
    assert panel.table.item(0, 0).text() == f"Demo app\n{CLIENT}"
    assert panel.table.item(0, 1).text() == SERVER and panel.table.item(0, 2).text() == me.label
    box = panel.share_boxes[(SERVER, CLIENT, me.bap_id)]
    assert box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert ctx.service.sharing.get(SERVER, CLIENT, me.bap_id) is False
    assert any(entry.outcome == "sharing changed" for entry in ctx.service.activity.recent(10))

    future = start(api, clientId=CLIENT)
    dialog = wait_dialog(qtbot, presenter, first.request.id)
    assert not dialog.share_box.isChecked()
    assert approve(qtbot, dialog, future)["shareProfile"] is False
    window.refresh_data()
    assert not panel.share_boxes[(SERVER, CLIENT, me.bap_id)].isChecked()


HOSTILE = ["<b>Evil</b> &Approve <img src=x>", "&&&", "Acme Bank \u202egnp.exe", "A" * 400]


@pytest.mark.parametrize("app", HOSTILE)
def test_a_hostile_app_name_is_plain_text_in_the_box_and_the_access_tab(qtbot, window, presenter, api, ctx, app):
    future = start(api, clientId=CLIENT, app=app)
    dialog = wait_dialog(qtbot, presenter)
    text = dialog.share_box.text()
    shown = app.replace("\u202e", "")[:100]
    if len(shown) > 60:
        shown = shown[:59] + "…"
    # every "&" doubled: the checkbox shows it literally and no name makes a keyboard shortcut
    assert text == "&Share my name and picture with " + shown.replace("&", "&&")
    assert QKeySequence.mnemonic(text) == QKeySequence("Alt+S")  # its own, fixed shortcut; none from the name
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    assert result(qtbot, future).status == 200
    window.refresh_data()
    item = window.sharing_panel.table.item(0, 0)
    assert item.text().startswith(app.replace("\u202e", "")[:100]) and item.text().endswith(CLIENT)


def test_the_dialog_names_the_client_when_the_app_gives_no_name(qtbot, window, presenter, api, ctx):
    future = api.submit("POST", "/api/sign-in", {"path": SIGN_IN, "clientId": CLIENT}, {"Origin": SERVER})
    dialog = wait_dialog(qtbot, presenter)
    assert dialog.share_box.text() == f"&Share my name and picture with {CLIENT}"
    qtbot.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
    assert result(qtbot, future).status == 403
    assert ctx.service.sharing.all() == []
