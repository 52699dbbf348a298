"""``sigil`` installed without the GUI extra: one line saying what to install, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Loaded by `site` before the entry point runs: PySide6 cannot be imported, as after
# `pip install sigil-identity` without `[gui]`.
NO_PYSIDE = '''
import sys

class _NoPySide:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoPySide())
'''

SIGIL = Path(sys.executable).parent / "sigil"


def run_sigil(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(NO_PYSIDE)
    env = {**os.environ, "PYTHONPATH": str(hook), "SIGIL_DATA_DIR": str(tmp_path / "data")}
    env.pop("DISPLAY", None)
    return subprocess.run([str(SIGIL), *args], env=env, capture_output=True, text=True, timeout=60)


def test_without_pyside6_the_app_says_what_to_install(tmp_path):
    done = run_sigil(tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "pip install 'sigil-identity[gui]'" in lines[0] and "PySide6" in lines[0]
    assert "Traceback" not in done.stderr


def test_without_pyside6_the_headless_commands_still_work(tmp_path):
    version = run_sigil(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("sigil ")
    listed = run_sigil(tmp_path, "wallet", "list")
    assert "Traceback" not in listed.stderr, listed.stderr
