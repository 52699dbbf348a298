"""The moving parts of the end-to-end run: processes, an Xvfb display, and a hand on it.

Everything here starts real programs (``sigil-server``, the demo app, the ``sigil``
desktop app, Xvfb) on free loopback ports, keeps their output in log files, and shows
those logs when something fails, because an e2e failure is otherwise a riddle.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Debian packages each tool comes from; the e2e suite fails (never skips) without them.
REQUIRED_TOOLS = {"Xvfb": "xvfb", "xdotool": "xdotool", "import": "imagemagick", "node": "nodejs"}


def require_tools() -> None:
    """Fail with the apt-get line that fixes it when a tool of the e2e run is missing."""
    missing = [pkg for tool, pkg in REQUIRED_TOOLS.items() if shutil.which(tool) is None]
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    if missing:
        raise RuntimeError(
            "the e2e suite needs " + ", ".join(missing) + ": apt-get install " + " ".join(missing)
            + " (.ci/run installs them)"
        )


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.1) -> object:
    """Poll ``predicate`` until it returns something truthy; ``TimeoutError`` names ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


class ManagedProcess:
    """A child process with its output in ``log_path``; ``stop()`` ends it (and only it)."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        """Wait until ``url`` answers; fail early, with the log, if the process died."""
        def ready() -> bool:
            if not self.running():
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            return http_ok(url)

        try:
            wait_until(ready, timeout, f"{self.name} at {url}")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- {self.name} log ---\n{self.log_tail()}") from None

    def stop(self, timeout: float = 10.0) -> None:
        if self.running():
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class Xvfb:
    """A private X display (Xvfb picks a free display number and tells us through a pipe)."""

    def __init__(self, log_dir: Path, size: str = "1280x800x24") -> None:
        read_fd, write_fd = os.pipe()
        self._log = open(log_dir / "xvfb.log", "ab")
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            raise RuntimeError(f"Xvfb did not start; see {log_dir / 'xvfb.log'}")
        self.display = f":{number}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


@dataclass(frozen=True)
class Geometry:
    x: int
    y: int
    width: int
    height: int


class DesktopHand:
    """What a person does on the Xvfb screen: find a window, click, type, take a picture.

    Real X input (xdotool uses the XTEST extension), so the app sees ordinary mouse
    and keyboard events; it has no test hooks and no auto-approve switch.
    """

    def __init__(self, display: str) -> None:
        self.env = {**os.environ, "DISPLAY": display}

    def _run(self, *args: str, check: bool = True, stdin: str | None = None) -> str:
        result = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=20, input=stdin)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def find_windows(self, title_pattern: str) -> list[str]:
        out = self._run("xdotool", "search", "--onlyvisible", "--name", title_pattern, check=False)
        return [line for line in out.split() if line.strip()]

    def wait_window(self, title_pattern: str, timeout: float = 30.0) -> str:
        found = wait_until(lambda: self.find_windows(title_pattern), timeout, f"a window named {title_pattern!r}")
        return found[-1]  # type: ignore[index]

    def wait_gone(self, window: str, title_pattern: str, timeout: float = 30.0) -> None:
        wait_until(lambda: window not in self.find_windows(title_pattern), timeout, f"window {window} to close")

    def geometry(self, window: str) -> Geometry:
        out = self._run("xdotool", "getwindowgeometry", "--shell", window)
        values = dict(re.findall(r"(\w+)=(\d+)", out))
        return Geometry(int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"]))

    def wait_until_mapped(self, window: str, timeout: float = 10.0) -> Geometry:
        """Wait until the window has kept its size for a moment (laid out and painted)."""
        last: list[Geometry] = []

        def settled() -> bool:
            last.append(self.geometry(window))
            return len(last) >= 3 and last[-1] == last[-2] == last[-3] and last[-1].width > 1

        wait_until(settled, timeout, f"window {window} to settle", interval=0.15)
        return last[-1]

    def click_inside(self, window: str) -> None:
        """Click an empty spot in the window's top-left margin: it gets the keyboard, no widget is hit."""
        g = self.geometry(window)
        self.click(g.x + 10, g.y + 8)

    def click(self, x: int, y: int) -> None:
        # `mousemove --sync` waits for the pointer to move, and stalls ~15 s when it is already
        # there (the next dialog of the same size opens where the last one was).
        here = dict(re.findall(r"(\w+)=(\d+)", self._run("xdotool", "getmouselocation", "--shell")))
        if (int(here.get("X", -1)), int(here.get("Y", -1))) == (x, y):
            self._run("xdotool", "click", "1")
        else:
            self._run("xdotool", "mousemove", "--sync", str(x), str(y), "click", "1")

    def focus(self, window: str) -> None:
        self._run("xdotool", "windowfocus", "--sync", window, check=False)

    def type_text(self, text: str) -> None:
        """Type ``text`` (often a passphrase): given on stdin, never on xdotool's command line."""
        self._run("xdotool", "type", "--delay", "20", "--file", "-", stdin=text)

    def key(self, *keys: str) -> None:
        self._run("xdotool", "key", "--delay", "50", *keys)

    def screenshot(self, path: Path, window: str | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._run("import", "-window", window or "root", str(path))
        return path
