"""The resources the installed app loads: icons at every size, the tray icons, the
stylesheet, the .desktop entries, and the lookup that finds them in a PyInstaller bundle."""

from __future__ import annotations

import configparser
import struct
import sys
from pathlib import Path

import pytest

from signer_app import resources

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_every_icon_size_is_a_png_of_that_size() -> None:
    files = resources.icon_files()
    assert len(files) == len(resources.ICON_SIZES)
    for size, path in zip(resources.ICON_SIZES, files):
        assert png_size(path) == (size, size)


def test_tray_icons_exist_at_16_px_plain_and_pending() -> None:
    for pending in (False, True):
        files = resources.tray_icon_files(pending)
        assert [png_size(path) for path in files] == [(n, n) for n in resources.TRAY_SIZES]
    assert resources.tray_icon_files(False) != resources.tray_icon_files(True)


def test_pending_tray_icon_differs_from_the_plain_one_at_16_px() -> None:
    plain, pending = (resources.tray_icon_files(flag)[0].read_bytes() for flag in (False, True))
    assert plain != pending


@pytest.mark.parametrize("name", ["sigil.desktop", "sigil-autostart.desktop"])
def test_desktop_entries_start_sigil_with_its_icon(name: str) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(ROOT / "resources" / name, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "sigil"
    assert section["Icon"] == "sigil"
    assert section["Terminal"] == "false"


def test_autostart_entry_names_the_running_installation() -> None:
    text = resources.autostart_entry("/opt/sigil/sigil")
    assert "Exec=/opt/sigil/sigil\n" in text
    assert "X-GNOME-Autostart-enabled=true" in text
    assert text.count("Exec=") == 1


def test_bundle_folder_wins_when_frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a PyInstaller bundle the files are under sys._MEIPASS/resources."""
    bundled = tmp_path / "resources"
    (bundled / "icons").mkdir(parents=True)
    (bundled / "sigil.qss").write_text("QWidget { color: red; }", "utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == bundled
    assert resources.stylesheet() == "QWidget { color: red; }"


def test_missing_resources_give_none_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGIL_RESOURCES_DIR", str(tmp_path))  # exists, but holds no icons/
    monkeypatch.setattr(resources, "__file__", str(tmp_path / "signer_app" / "resources.py"))
    assert resources.resources_dir() is None
    assert resources.stylesheet() is None
    assert resources.icon_files() == []
    assert "Exec=sigil" in resources.autostart_entry("sigil")


def test_stylesheet_parses_in_qt(qapp) -> None:
    """Qt says nothing on a bad stylesheet except a warning; a styled widget proves it parsed."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QLabel

    sheet = resources.stylesheet()
    assert sheet and "QPushButton#primary" in sheet
    label = QLabel("x")
    label.setObjectName("error")
    label.setStyleSheet(sheet)
    label.ensurePolished()
    assert label.palette().color(QPalette.ColorRole.WindowText) == QColor("#dc2626")


def test_icons_load_in_qt(qapp) -> None:
    icon = resources.app_icon()
    assert icon is not None and not icon.isNull()
    assert icon.pixmap(16, 16).width() == 16
    tray = resources.tray_icon(pending=True)
    assert tray is not None and not tray.isNull()


def test_about_dialog_shows_the_one_version_and_where_data_lives(qapp, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from auth_server import __version__
    from signer_app.ui.about import AboutDialog

    monkeypatch.setenv("SIGIL_DATA_DIR", str(tmp_path))
    dialog = AboutDialog()
    text = dialog.text.text()
    assert f"Sigil {__version__}" in text
    assert str(tmp_path) in text
    assert "service <code>sigil</code>" in text
    dialog.close()


def test_tray_menu_offers_about(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from signer_app.ui.tray import Tray

    monkeypatch.setenv("SIGIL_DATA_DIR", str(tmp_path))
    tray = Tray()
    assert "About Sigil" in [action.text() for action in tray.menu.actions()]
    tray.about_action.trigger()
    assert tray.about_dialog.isVisible()
    tray.about_dialog.close()
    tray.hide()
