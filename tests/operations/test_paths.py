"""One answer for where Sigil keeps its files, shared by the server, the app and the wallet."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from auth_server import paths
from auth_server.config import Settings
from signer_app.settings import SettingsStore
from signer_app.wallet import default_data_dir


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv("SIGIL_DATA_DIR", raising=False)
    monkeypatch.delenv("SIGIL_DB", raising=False)


def test_server_app_and_wallet_agree_on_the_data_dir():
    expected = Path(platformdirs.user_data_dir("sigil", appauthor=False))
    assert paths.data_dir() == default_data_dir() == Settings().db_path.parent == expected
    assert SettingsStore().path == paths.config_dir() / "settings.json"


def test_sigil_data_dir_isolates_data_settings_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGIL_DATA_DIR", str(tmp_path))
    assert paths.data_dir() == paths.config_dir() == default_data_dir() == tmp_path
    assert paths.cache_dir() == tmp_path / "cache"
    assert not (tmp_path / "new").exists()
    assert paths.data_dir({"SIGIL_DATA_DIR": str(tmp_path / "new")}, create=True).is_dir()
