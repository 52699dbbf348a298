"""``sigil`` on a machine without a display (a server, an SSH session): help is printed and
the GUI is refused with a sentence, instead of Qt aborting the process (exit 134, "could
not load the Qt platform plugin")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SIGIL = Path(sys.executable).parent / "sigil"


def run_headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``sigil args`` with no display and no Qt platform chosen, as on a fresh server."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["SIGIL_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run([str(SIGIL), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help_without_a_display(tmp_path: Path, args: list[str]) -> None:
    done = run_headless(tmp_path, *args)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "usage: sigil" in done.stdout and "sigil wallet" in done.stdout and "sigil-server" in done.stdout
    assert "Qt" not in done.stderr and "Traceback" not in done.stderr


def test_help_for_a_command(tmp_path: Path) -> None:
    done = run_headless(tmp_path, "help", "wallet")
    assert done.returncode == 0 and "usage: sigil wallet" in done.stdout, done.stderr


def test_the_gui_without_a_display_says_what_to_use(tmp_path: Path) -> None:
    done = run_headless(tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stdout == ""
    assert done.stderr.startswith("sigil: no display") and "sigil wallet" in done.stderr
    assert "sigil-server" in done.stderr and "Qt" not in done.stderr


def test_headless_commands_still_run_without_a_display(tmp_path: Path) -> None:
    done = run_headless(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.startswith("sigil ")


def test_the_display_check() -> None:
    from signer_app.launch import no_display

    assert no_display({}, "linux")
    assert not no_display({"DISPLAY": ":0"}, "linux")
    assert not no_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not no_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not no_display({}, "darwin") and not no_display({}, "win32")
