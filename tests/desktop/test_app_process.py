"""The real app process under Xvfb: window and API come up, unlock by typing, an approval
dialog appears for a real HTTP request, a second launch hands over; screenshots for the README."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from signer_app.activity import ActivityLog
from signer_app.grants import GrantStore
from signer_app.wallet import Wallet
from tests.helpers.net import free_port
from tests.helpers.signer import FAST_KDF, PASSPHRASE, VECTOR_MNEMONIC

REPO = Path(__file__).resolve().parents[2]
SIGIL = REPO / ".venv" / "bin" / "sigil"
# Pictures go to test-artifacts/ so a test run leaves the work tree clean; the README's copies
# in docs/screenshots/ come from a run with SIGIL_SCREENSHOT_DIR=docs/screenshots.
SCREENSHOTS = Path(os.environ.get("SIGIL_SCREENSHOT_DIR") or REPO / "test-artifacts" / "gui")

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool") and shutil.which("import")),
                                reason="needs Xvfb, xdotool and imagemagick")


@pytest.fixture
def display():
    """A private X server; Xvfb picks a free display number and tells us on a pipe."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1180x760x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


@contextlib.contextmanager
def running_sigil(env: dict, log: Path) -> Iterator[subprocess.Popen]:
    """The real ``sigil`` with its output in ``log``; stopped as the desktop's logout would (SIGTERM)."""
    with log.open("w") as log_file:
        app = subprocess.Popen([str(SIGIL)], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield app
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()


def xdotool(env: dict, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=10).stdout.strip()


def test_real_app_under_xvfb(tmp_path, display):
    data = tmp_path / "data"
    data.mkdir()
    service = f"sigil-e2e-{uuid.uuid4().hex[:8]}"
    wallet = Wallet(data, service=service, kdf=FAST_KDF)
    wallet.import_mnemonic(VECTOR_MNEMONIC, PASSPHRASE, label="Personal")
    wallet.add_identity("Work")
    wallet.lock()
    # some history, written through the same stores the app uses
    grants = GrantStore(data / "grants.sqlite")
    grants.create("shop.example", "https://shop.example", ("sign",), "VpdSWHprjixzq5dX2kno1gEmw4C", 3600)
    grants.close()
    log = ActivityLog(data / "activity.sqlite")
    log.record("approved", "https://shop.example", "access grant (sign) for 1 hour", "VpdSWHprjixzq5dX2kno1gEmw4C")
    log.record("signed (grant)", "https://shop.example", "signature for /api/orders", "VpdSWHprjixzq5dX2kno1gEmw4C")
    log.close()

    signer_port, server_port = free_port(), free_port()
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "SIGIL_DATA_DIR": str(data),
           "SIGIL_SIGNER_PORT": str(signer_port), "SIGIL_PORT": str(server_port),
           "SIGIL_KEYRING_SERVICE": service}
    env.pop("SIGIL_SCREENSHOT", None)
    out = tmp_path / "app.log"
    api = f"http://127.0.0.1:{signer_port}"
    with running_sigil(env, out):
        window = wait_for(lambda: xdotool(env, "search", "--onlyvisible", "--name", "^Sigil$"), what="the window")
        status = wait_for(lambda: http("GET", f"{api}/api/status")[0] == 200 and http("GET", f"{api}/api/status")[1],
                          what="the API")
        assert status == {"unlocked": False, "hasWallet": True, "success": True}
        wait_for(lambda: http("GET", f"http://127.0.0.1:{server_port}/healthz")[0] != 0, what="the embedded server")

        # unlock by typing into the real window
        window = window.splitlines()[0]
        xdotool(env, "windowactivate", "--sync", window)
        xdotool(env, "windowfocus", "--sync", window)
        xdotool(env, "type", "--delay", "5", PASSPHRASE)
        xdotool(env, "key", "Return")
        wait_for(lambda: http("GET", f"{api}/api/status")[1].get("unlocked"), what="unlock")
        time.sleep(1.0)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", window, str(SCREENSHOTS / "main-window.png")], env=env, check=True)

        # a real request raises the approval dialog above the window
        answer: dict = {}
        caller = threading.Thread(target=lambda: answer.update(result=http(
            "POST", f"{api}/api/auth", {"host": "news.example", "scopes": ["sign"], "expiry": "1h"},
            {"Origin": "https://news.example", "Content-Type": "application/json"})))
        caller.start()
        dialog = wait_for(lambda: xdotool(env, "search", "--onlyvisible", "--name", "approval needed"),
                          what="the approval dialog")
        time.sleep(0.8)
        # the window with the dialog on top (no window manager: crop the root to the window)
        geometry = xdotool(env, "getwindowgeometry", "--shell", window)
        g = dict(line.split("=", 1) for line in geometry.splitlines())
        crop = f"{g['WIDTH']}x{g['HEIGHT']}+{g['X']}+{g['Y']}"
        subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(SCREENSHOTS / "approval.png")],
                       env=env, check=True)
        xdotool(env, "windowactivate", "--sync", dialog.splitlines()[0])
        xdotool(env, "key", "Escape")  # Escape denies
        caller.join(30)
        assert answer["result"][0] == 403 and answer["result"][1]["code"] == 4

        # a second launch asks the first to come forward, then exits
        second = subprocess.run([str(SIGIL)], env=env, capture_output=True, text=True, timeout=30)
        assert second.returncode == 0 and "already running" in second.stdout
    text = out.read_text()
    assert "window shown after" in text and "signer API ready" in text


def test_real_app_sign_in_page_sends_browsers_to_the_signer_port_it_serves(tmp_path, display):
    """The embedded server's authorize page names this app's signer API, on the port the
    Settings dialog saved (not the default 21000): in ``data-signer-url`` and in the CSP."""
    from auth_server import admin
    from auth_server.oauth.pkce import s256_challenge
    from auth_server.store import Store
    from signer_app.settings import AppSettings, SettingsStore

    data = tmp_path / "data"
    data.mkdir()
    signer_port, server_port = free_port(), free_port()
    # what the Settings dialog writes (SIGIL_DATA_DIR puts settings.json in the data dir)
    SettingsStore(data / "settings.json").save(AppSettings(signer_port=signer_port, server_port=server_port))
    with Store.open(data / "sigil.db") as store:
        client = admin.register_client(store, "Demo", ["http://localhost:5173/callback"],
                                       "029261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f97")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "SIGIL_DATA_DIR": str(data),
           "SIGIL_KEYRING_SERVICE": f"sigil-e2e-{uuid.uuid4().hex[:8]}"}
    for name in ("SIGIL_SIGNER_PORT", "SIGIL_PORT", "SIGIL_SCREENSHOT", "SIGIL_SIGNER_URL"):
        env.pop(name, None)
    query = urllib.parse.urlencode({
        "client_id": client.client_id, "redirect_uri": "http://localhost:5173/callback", "response_type": "code",
        "scope": "openid", "state": "st4te", "code_challenge": s256_challenge("v" * 50),
        "code_challenge_method": "S256"})
    url = f"http://127.0.0.1:{server_port}/oauth2/authorize?{query}"
    with running_sigil(env, tmp_path / "app.log"):
        wait_for(lambda: http("GET", f"http://127.0.0.1:{signer_port}/api/status")[0] == 200, what="the API")

        def page():
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    return response.status, response.headers["Content-Security-Policy"], response.read().decode()
            except OSError:
                return None

        status, csp, html = wait_for(page, what="the embedded server's authorize page")
    signer = f"http://127.0.0.1:{signer_port}"
    assert status == 200
    assert f'data-signer-url="{signer}"' in html
    connect = next(part for part in csp.split(";") if part.strip().startswith("connect-src"))
    assert connect.split()[1:] == ["'self'", signer]
    assert "21000" not in html and "21000" not in csp
