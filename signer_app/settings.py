"""The desktop app's settings: a small JSON file in the config dir, overridden by env vars.

Environment variables win over the file so that tests, the e2e run and packagers can
isolate an instance without touching the user's choices:

- ``SIGIL_DATA_DIR``: where the wallet metadata, grants, activity and the embedded
  server's SQLite database live (and, when set, the settings file too)
- ``SIGIL_SIGNER_PORT``: the local signer API port (default 21000)
- ``SIGIL_PORT``: the embedded auth server port (default 3000)
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import platformdirs

from auth_server.paths import config_dir

DEFAULT_SIGNER_PORT = 21000
DEFAULT_SERVER_PORT = 3000


@dataclass(frozen=True)
class AppSettings:
    """What the user can change in the Settings dialog."""

    auto_lock_minutes: int = 15
    signer_port: int = DEFAULT_SIGNER_PORT
    server_port: int = DEFAULT_SERVER_PORT
    server_base_url: str = ""  # empty: http://127.0.0.1:<server_port>
    start_server: bool = True
    launch_at_login: bool = False


def _port_from_env(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError:
        return None
    return port if 0 <= port <= 65535 else None


class SettingsStore:
    """Loads and saves :class:`AppSettings`; ``effective()`` applies the env overrides."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (config_dir() / "settings.json")

    def load(self) -> AppSettings:
        """The saved settings (defaults for anything missing or malformed)."""
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return AppSettings()
        if not isinstance(raw, dict):
            return AppSettings()
        defaults = AppSettings()
        values = {}
        for field in fields(AppSettings):
            value = raw.get(field.name, getattr(defaults, field.name))
            if isinstance(value, type(getattr(defaults, field.name))):
                values[field.name] = value
        return replace(defaults, **values)

    def save(self, settings: AppSettings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2), "utf-8")
        tmp.replace(self.path)
        apply_launch_at_login(settings.launch_at_login)

    def effective(self) -> AppSettings:
        """The saved settings with ``SIGIL_SIGNER_PORT`` / ``SIGIL_PORT`` applied."""
        settings = self.load()
        signer = _port_from_env("SIGIL_SIGNER_PORT")
        server = _port_from_env("SIGIL_PORT")
        if signer is not None:
            settings = replace(settings, signer_port=signer)
        if server is not None:
            settings = replace(settings, server_port=server)
        return settings

    @staticmethod
    def env_overrides() -> dict[str, str]:
        """Which settings an env var currently overrides (the dialog greys them out)."""
        result = {}
        if _port_from_env("SIGIL_SIGNER_PORT") is not None:
            result["signer_port"] = "SIGIL_SIGNER_PORT"
        if _port_from_env("SIGIL_PORT") is not None:
            result["server_port"] = "SIGIL_PORT"
        return result


def autostart_path() -> Path:
    """The XDG autostart entry that "launch at login" writes (Linux desktops)."""
    return Path(platformdirs.user_config_dir("autostart")) / "sigil.desktop"


def apply_launch_at_login(enabled: bool) -> None:
    """Create or remove the XDG autostart entry; a no-op on other platforms."""
    if not sys.platform.startswith("linux"):
        return
    path = autostart_path()
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        from signer_app.resources import autostart_entry

        path.write_text(autostart_entry(), "utf-8")
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
