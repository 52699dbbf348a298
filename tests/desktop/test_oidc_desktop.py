"""The desktop's part of standard OIDC: the Server tab registers every kind of client, the
Access tab lists the identities' consents with Withdraw, and the profile dialog sets the
e-mail the embedded server hands to apps."""

from __future__ import annotations

from PySide6.QtCore import Qt

from auth_server.oauth.client_auth.secret import secret_matches
from auth_server.oauth.credentials import hash_secret
from signer_app.ui.profile_dialog import ProfileDialog


def _register(qtbot, panel, method: str, name: str, redirect: str, jwks_uri: str = "") -> str:
    panel.method_combo.setCurrentIndex(panel.method_combo.findData(method))
    panel.name_edit.setText(name)
    panel.redirects_edit.setPlainText(redirect)
    panel.jwks_uri_edit.setText(jwks_uri)
    qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
    return panel.register_result.text()


def test_server_tab_registers_every_kind_of_client(qtbot, window, ctx):
    panel = window.server_panel
    window.tabs.setCurrentIndex(3)
    assert panel.pubkey_edit.isEnabled() and not panel.jwks_uri_edit.isEnabled()

    text = _register(qtbot, panel, "client_secret_basic", "Wiki", "https://wiki.example/cb")
    assert "client_secret: <b>" in text and "shown this once" in text, text
    assert not panel.pubkey_edit.isEnabled()
    secret = text.split("client_secret: <b>")[1].split("</b>")[0]
    client_id = text.split("client_id: <b>")[1].split("</b>")[0]
    stored = ctx.server._open_store().oauth.clients.get(client_id)
    assert stored.token_endpoint_auth_method == "client_secret_basic" and stored.secret_hash == hash_secret(secret)
    assert secret_matches(stored, secret, 0.0)

    assert "(none)" in _register(qtbot, panel, "none", "SPA", "http://localhost:5173/cb")
    assert "client_secret" not in panel.register_result.text()
    assert "(private_key_jwt)" in _register(qtbot, panel, "private_key_jwt", "Jobs", "https://jobs.example/cb",
                                            "https://jobs.example/jwks.json")
    assert "jwks_uri" in _register(qtbot, panel, "private_key_jwt", "Jobs", "https://jobs.example/cb",
                                   "http://jobs.example/jwks.json")  # refused: https (or loopback) only
    assert "client_secret_post" in _register(qtbot, panel, "client_secret_post", "Form", "https://form.example/cb")
    listed = {c.name: c.auth_method for c in ctx.server.clients()}
    assert listed == {"Wiki": "client_secret_basic", "SPA": "none", "Jobs": "private_key_jwt",
                      "Form": "client_secret_post"}


def test_access_tab_lists_consents_and_withdraws_them(qtbot, window, ctx):
    identity = ctx.wallet.default_identity()
    new = ctx.server.register_client("Wiki", ["https://wiki.example/cb"], None, auth_method="client_secret_basic")
    store = ctx.server._open_store()
    user, _ = store.users.create(identity.pubkey, identity.address, store.clock())
    store.oauth.consents.grant(user.id, new.client_id, "openid profile", identity.bap_id, store.clock())
    window.tabs.setCurrentIndex(1)
    panel = window.consents_panel
    panel.refresh()
    assert panel.table.rowCount() == 1 and panel.table.item(0, 0).text() == "Wiki"
    assert panel.table.item(0, 1).text() == "openid, profile" and not panel.empty.isVisible()
    qtbot.mouseClick(panel.withdraw_buttons[(identity.pubkey, new.client_id)], Qt.MouseButton.LeftButton)
    assert panel.table.rowCount() == 0 and store.oauth.consents.get(user.id, new.client_id) is None


def test_profile_email_reaches_the_embedded_server(qtbot, window, ctx, monkeypatch):
    identity = ctx.wallet.default_identity()
    store = ctx.server._open_store()
    store.users.create(identity.pubkey, identity.address, store.clock())
    seen = {}

    def fill(dialog: ProfileDialog, email: str):
        dialog.email_edit.setText(email)
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        seen["error"] = dialog.error.text()
        return dialog.result()

    monkeypatch.setattr(ProfileDialog, "exec", lambda d: fill(d, "not an address"))
    qtbot.mouseClick(window.identities_panel.profile_button, Qt.MouseButton.LeftButton)
    assert "e-mail" in seen["error"] and ctx.wallet.get_identity(identity.bap_id).email is None

    monkeypatch.setattr(ProfileDialog, "exec", lambda d: fill(d, "alice@example.org"))
    qtbot.mouseClick(window.identities_panel.profile_button, Qt.MouseButton.LeftButton)
    assert ctx.wallet.get_identity(identity.bap_id).email == "alice@example.org"
    assert store.users.get_by_pubkey(identity.pubkey).email == "alice@example.org"
    assert store.users.get_by_pubkey(identity.pubkey).email_verified is False
