"""The Server tab (embedded server start/stop, client registration, figures), the Settings
dialog and its env overrides (the broker's queue on its own: tests/signer/test_broker.py)."""

from __future__ import annotations

import urllib.request

from PySide6.QtCore import Qt

from signer_app.settings import AppSettings, SettingsStore


def test_server_tab_starts_server_and_registers_a_client(qtbot, window, ctx):
    panel = window.server_panel
    window.tabs.setCurrentIndex(3)
    assert not ctx.server.running
    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
    assert ctx.server.running, panel.error.text()
    assert panel.state.text() == "Running"
    url = panel.url_field.value()
    assert url == ctx.server.url and url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=10) as response:
        assert response.status == 200
    assert ctx.service.origin_may_use_api(url)  # the server's own pages may use the signer

    panel.name_edit.setText("Demo")
    panel.redirects_edit.setPlainText("http://localhost:5173/callback")
    qtbot.mouseClick(panel.use_identity_button, Qt.MouseButton.LeftButton)
    assert panel.pubkey_edit.text() == ctx.wallet.default_identity().pubkey
    qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
    assert "client_id" in panel.register_result.text(), panel.register_result.text()
    assert panel.clients_label.text() == "<b>1</b> clients"
    assert ctx.server.app_name_for("http://localhost:5173") == "Demo"

    panel.redirects_edit.setPlainText("http://evil.example/cb")
    panel.name_edit.setText("Bad")
    qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
    assert "loopback" in panel.register_result.text()

    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
    assert not ctx.server.running and panel.state.text() == "Stopped"
    assert not ctx.service.origin_may_use_api(url)


def test_settings_file_env_overrides_and_dialog(qtbot, tmp_path, monkeypatch):
    from signer_app.ui.settings_dialog import SettingsDialog

    store = SettingsStore(tmp_path / "settings.json")
    assert store.load() == AppSettings()
    store.save(AppSettings(auto_lock_minutes=5, signer_port=22000, server_port=3100))
    monkeypatch.setenv("SIGIL_SIGNER_PORT", "23000")
    monkeypatch.setenv("SIGIL_PORT", "not a port")
    effective = store.effective()
    assert (effective.auto_lock_minutes, effective.signer_port, effective.server_port) == (5, 23000, 3100)

    dialog = SettingsDialog(effective)
    qtbot.addWidget(dialog)
    assert not dialog.signer_port.isEnabled() and dialog.server_port.isEnabled()
    dialog.auto_lock.setValue(30)
    dialog.server_port.setValue(3200)
    dialog.base_url.setText("https://auth.example ")
    result = dialog.result_settings(store.load())
    assert result.signer_port == 22000  # the env value is not written into the file
    assert (result.auto_lock_minutes, result.server_port, result.server_base_url) == (30, 3200, "https://auth.example")

    (tmp_path / "settings.json").write_text("{broken")
    assert store.load() == AppSettings()
