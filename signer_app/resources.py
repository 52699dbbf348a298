"""Where the app's icons, stylesheet and desktop entries are, however Sigil was installed.

The files live once, in the top-level ``resources/`` folder. This module finds that folder
in the three places it can be:

- a PyInstaller bundle (the .deb, the macOS .app, the Windows build): ``sys._MEIPASS/resources``
- a source checkout or an editable install: ``<repo>/resources``
- anywhere else, ``SIGIL_RESOURCES_DIR`` points at it (packagers of other formats)

Path lookups never import Qt, so the headless CLI can use them; the QIcon helpers import
it lazily. A missing resource is never fatal: callers get ``None`` and draw a fallback.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

APP_ID = "sigil"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TRAY_SIZES = (16, 32, 48)


def resources_dir() -> Path | None:
    """The folder holding ``icons/``, ``sigil.qss`` and the ``.desktop`` entries, or None."""
    candidates: list[Path] = []
    override = os.environ.get("SIGIL_RESOURCES_DIR")
    if override:
        candidates.append(Path(override))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    for path in candidates:
        if (path / "icons").is_dir():
            return path
    return None


def resource_path(*parts: str) -> Path | None:
    """A file under the resources folder, or None when it (or the folder) is missing."""
    root = resources_dir()
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.is_file() else None


def icon_files() -> list[Path]:
    """The app icon's PNGs, smallest first (for a QIcon with every size)."""
    files = (resource_path("icons", "hicolor", f"{n}x{n}", "apps", "sigil.png") for n in ICON_SIZES)
    return [path for path in files if path is not None]


def tray_icon_files(pending: bool = False) -> list[Path]:
    """The tray icon's PNGs: the plain seal, or the seal with the "requests waiting" dot."""
    name = "sigil-tray-pending" if pending else "sigil-tray"
    files = (resource_path("icons", f"{name}-{n}.png") for n in TRAY_SIZES)
    return [path for path in files if path is not None]


def stylesheet() -> str | None:
    """The Qt stylesheet (``resources/sigil.qss``), or None when it cannot be read."""
    path = resource_path("sigil.qss")
    if path is None:
        return None
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def launch_command() -> str:
    """The command line that starts this very installation of Sigil (for autostart).

    The .deb puts ``sigil`` on PATH; a frozen build elsewhere or a virtualenv may not,
    so the entry names the executable that is running now.
    """
    if getattr(sys, "frozen", False):
        return shlex.quote(str(Path(sys.executable).resolve()))
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == APP_ID and argv0.exists():
        return shlex.quote(str(argv0.resolve()))
    return APP_ID


def autostart_entry(command: str | None = None) -> str:
    """The XDG autostart entry that "launch at login" writes, with ``Exec`` set to ``command``."""
    path = resource_path("sigil-autostart.desktop")
    text = None
    if path is not None:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    if text is None:
        text = (
            "[Desktop Entry]\nType=Application\nName=Sigil\nExec=sigil\nIcon=sigil\n"
            "Comment=Bitcoin identity signer\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
        )
    command = command or launch_command()
    lines = [f"Exec={command}" if line.startswith("Exec=") else line for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def app_icon():  # -> QIcon | None  (Qt is imported lazily)
    """The application icon at every size, or None when the PNGs are missing."""
    return _icon(icon_files())


def tray_icon(pending: bool = False):  # -> QIcon | None
    """The tray icon (drawn to read at 16 px), with a red dot when ``pending``."""
    return _icon(tray_icon_files(pending))


def _icon(files: list[Path]):
    if not files:
        return None
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for path in files:
        icon.addFile(str(path))
    return icon
