"""The whole stack on one machine, for the browser tests.

One module-scoped :class:`Stack`: ``sigil-server serve`` (temp SQLite), the demo app and
the Sigma client example (each registered with ``sigil-server clients add``), and the
``sigil`` desktop app on its own Xvfb display with a wallet imported from the docs/PROTOCOL.md
test mnemonic. Every port is a free one; nothing touches 3000 or 21000. Chromium is
Debian's, driven by Playwright (which never downloads a browser here).

Screenshots go to ``test-artifacts/e2e/`` (``SIGIL_E2E_SCREENSHOT_DIR`` overrides it; the
README's pictures in ``docs/screenshots/`` come from such a run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import coincurve
import pytest

from auth_server.crypto import wif_from_private_key
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DesktopHand,
    ManagedProcess,
    Xvfb,
    require_tools,
)
from tests.helpers.net import free_port

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SIGMA_CLIENT_DIR = REPO / "examples" / "sigma_client"

TEST_MNEMONIC = "abandon " * 11 + "about"
WALLET_PASSPHRASE = "correct horse battery staple"
# Identity 0 of the test mnemonic (docs/PROTOCOL.md section 5).
EXPECTED_BAP_ID = "VpdSWHprjixzq5dX2kno1gEmw4C"
EXPECTED_PUBKEY = "029261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f97"


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("SIGIL_E2E_SCREENSHOT_DIR") or REPO / "test-artifacts" / "e2e")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def e2e_tools() -> None:
    """Chromium, Xvfb, xdotool, ImageMagick and Node must be there: fail, never skip."""
    try:
        require_tools()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    if not (SIGMA_CLIENT_DIR / "node_modules" / "esbuild").exists():
        pytest.fail(f"run `npm ci` in {SIGMA_CLIENT_DIR} (make test does it)", pytrace=False)


@dataclass
class Client:
    client_id: str
    url: str  # where the relying party listens
    process: ManagedProcess


@dataclass
class Stack:
    root: Path
    logs: Path
    server_url: str
    server_db: Path
    signer_port: int
    data_dir: Path
    env: dict[str, str]
    processes: list[ManagedProcess] = field(default_factory=list)
    demo: Client | None = None
    sigma: Client | None = None
    xvfb: Xvfb | None = None
    hand: DesktopHand | None = None
    desktop: ManagedProcess | None = None

    @property
    def signer_url(self) -> str:
        return f"http://127.0.0.1:{self.signer_port}"

    def sigil_server(self, *args: str) -> str:
        result = subprocess.run(
            [str(VENV_BIN / "sigil-server"), *args], env=self.env, capture_output=True, text=True, timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"sigil-server {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def register_client(self, name: str, redirect_uri: str, member_pubkey: str) -> str:
        out = self.sigil_server("clients", "add", "--db", str(self.server_db), "--name", name,
                                "--redirect-uri", redirect_uri, "--member-pubkey", member_pubkey)
        return out.strip().splitlines()[-1].split()[-1]

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> ManagedProcess:
        process = ManagedProcess(name, argv, env or self.env, self.logs, cwd=cwd)
        self.processes.append(process)
        return process

    def logs_text(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log_tail(30)}" for p in self.processes)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.xvfb:
            self.xvfb.stop()


def _member_key() -> tuple[str, str]:
    key = coincurve.PrivateKey()
    return wif_from_private_key(key), key.public_key.format().hex()


def _start_server(stack: Stack, port: int) -> None:
    process = stack.start("sigil-server", [
        str(VENV_BIN / "sigil-server"), "serve", "--port", str(port), "--db", str(stack.server_db),
    ], env={**stack.env, "SIGIL_SIGNER_URL": stack.signer_url})
    process.wait_http(stack.server_url + "/.well-known/openid-configuration")


def _start_demo_app(stack: Stack) -> Client:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wif, pubkey = _member_key()
    client_id = stack.register_client("Demo app", url + "/callback", pubkey)
    process = stack.start("demo-app", [
        sys.executable, "-m", "examples.demo_app", "--port", str(port), "--issuer", stack.server_url,
        "--client-id", client_id,
    ], env={**stack.env, "SIGIL_DEMO_MEMBER_WIF": wif}, cwd=REPO)
    process.wait_http(url + "/")
    return Client(client_id, url, process)


def _start_sigma_client(stack: Stack) -> Client:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wif, pubkey = _member_key()
    client_id = stack.register_client("Sigma client example", url + "/auth/sigma/callback", pubkey)
    process = stack.start("sigma-client", ["node", "server.mjs"], env={
        **stack.env, "PORT": str(port), "NEXT_PUBLIC_SIGMA_AUTH_URL": stack.server_url,
        "NEXT_PUBLIC_SIGMA_CLIENT_ID": client_id, "SIGMA_MEMBER_PRIVATE_KEY": wif,
    }, cwd=SIGMA_CLIENT_DIR)
    process.wait_http(url + "/", timeout=60)
    return Client(client_id, url, process)


def _import_wallet(stack: Stack) -> None:
    secrets_dir = Path(tempfile.mkdtemp(dir=stack.root))
    (secrets_dir / "mnemonic").write_text(TEST_MNEMONIC + "\n")
    (secrets_dir / "passphrase").write_text(WALLET_PASSPHRASE + "\n")
    result = subprocess.run([
        str(VENV_BIN / "sigil"), "wallet", "import", "--data-dir", str(stack.data_dir),
        "--mnemonic-file", str(secrets_dir / "mnemonic"), "--passphrase-file", str(secrets_dir / "passphrase"),
    ], env=stack.env, capture_output=True, text=True, timeout=120)
    for name in ("mnemonic", "passphrase"):
        (secrets_dir / name).unlink()
    if result.returncode != 0:
        raise RuntimeError(f"sigil wallet import failed: {result.stderr}")
    assert EXPECTED_BAP_ID in result.stdout, result.stdout


def start_desktop(stack: Stack) -> ManagedProcess:
    """The real ``sigil`` app on the Xvfb display, its local API on the stack's signer port."""
    assert stack.xvfb is not None
    # The desktop app's own embedded server stays off: the stack's sigil-server is the one.
    (stack.data_dir / "settings.json").write_text(json.dumps({"start_server": False, "auto_lock_minutes": 60}))
    env = {
        **stack.xvfb.env(), **{k: v for k, v in stack.env.items() if k != "DISPLAY"},
        "DISPLAY": stack.xvfb.display, "QT_QPA_PLATFORM": "xcb",
        "SIGIL_DATA_DIR": str(stack.data_dir), "SIGIL_SIGNER_PORT": str(stack.signer_port),
        "SIGIL_PORT": str(free_port()),
    }
    process = stack.start("sigil-desktop", [str(VENV_BIN / "sigil")], env=env)
    process.wait_http(stack.signer_url + "/api/status", timeout=60)
    stack.desktop = process
    return process


@pytest.fixture(scope="module")
def stack(e2e_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("e2e")
    logs = root / "logs"
    logs.mkdir()
    server_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGIL_", "NEXT_PUBLIC_"))}
    env["PYTHONPATH"] = str(REPO)
    stack = Stack(
        root=root, logs=logs, server_url=f"http://127.0.0.1:{server_port}", server_db=root / "server" / "sigil.db",
        signer_port=free_port(), data_dir=root / "desktop", env=env,
    )
    stack.server_db.parent.mkdir()
    stack.data_dir.mkdir()
    try:
        _start_server(stack, server_port)
        stack.demo = _start_demo_app(stack)
        stack.sigma = _start_sigma_client(stack)
        _import_wallet(stack)
        stack.xvfb = Xvfb(logs)
        stack.hand = DesktopHand(stack.xvfb.display)
        yield stack
    except BaseException:
        print(stack.logs_text())
        raise
    finally:
        stack.close()


@pytest.fixture(scope="module")
def browser(e2e_tools: None):
    """Module scope: Playwright's sync API allows one instance per thread at a time, and other
    test modules (tests/oauth) start their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
