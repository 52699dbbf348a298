"""The Server tab's team card on the embedded server: users and their groups, making a
group, putting someone in it, an invitation link, disabling someone (real Qt widgets, the
real embedded server and its SQLite file)."""

from __future__ import annotations

import coincurve
import httpx
from PySide6.QtCore import Qt

from auth_server.crypto import make_token

SIGN_IN = "/api/auth/sign-in/sigma"


def _sign_in(url: str, key: coincurve.PrivateKey) -> str:
    res = httpx.post(url + SIGN_IN, content="{}", headers={
        "Content-Type": "application/json", "X-Auth-Token": make_token(key, SIGN_IN), "Origin": url})
    assert res.status_code == 200, res.text
    return res.json()["token"]


def test_the_team_card_manages_the_embedded_servers_users(qtbot, window, ctx) -> None:
    panel = window.server_panel
    team = panel.team
    window.tabs.setCurrentIndex(3)
    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
    assert ctx.server.running, panel.error.text()
    key = coincurve.PrivateKey()
    session = _sign_in(ctx.server.url, key)
    store = ctx.server._open_store()
    user = store.users.get_by_pubkey(key.public_key.format().hex())
    store.users.update(user.id, store.clock(), name="<b>Eve</b> \u202eevil")
    panel.refresh()
    assert team.table.rowCount() == 1
    assert team.table.item(0, 0).text() == "<b>Eve</b> \u202eevil"  # a table item is plain text
    assert not team.join_button.isEnabled()  # nobody selected yet

    team.new_group_edit.setText("staff")
    qtbot.mouseClick(team.make_group_button, Qt.MouseButton.LeftButton)
    assert "staff" in [team.group_combo.itemText(i) for i in range(team.group_combo.count())], team.message.text()
    team.group_combo.setCurrentText("staff")
    team.table.selectRow(0)
    qtbot.mouseClick(team.join_button, Qt.MouseButton.LeftButton)
    assert store.groups.of_user(user.id) == ["staff"], team.message.text()
    assert team.table.item(0, 2).text() == "staff"

    qtbot.mouseClick(team.invite_button, Qt.MouseButton.LeftButton)
    link = team.invite_field.value()
    assert link.startswith(ctx.server.url + "/invite/") and team.invite_field.isVisible()
    assert store.invitations.list()[0].groups == ("staff",)

    team.table.selectRow(0)
    assert team.disable_button.text() == "Disable"
    qtbot.mouseClick(team.disable_button, Qt.MouseButton.LeftButton)
    assert team.table.item(0, 3).text() == "disabled"
    me = httpx.get(ctx.server.url + "/api/auth/get-session", headers={"Authorization": f"Bearer {session}"})
    assert me.json() is None
    assert [e.actor for e in store.audit.since(0)][0] == "desktop"

    team.new_group_edit.setText("Not A Name")
    qtbot.mouseClick(team.make_group_button, Qt.MouseButton.LeftButton)
    assert "not a group name" in team.message.text()
    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
