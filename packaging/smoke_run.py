#!/usr/bin/env python3
"""Start an installed Sigil the way a user's session would, and time it until it answers.

Runs ``sigil`` (default: the one on PATH, i.e. /usr/bin/sigil from the .deb) on a real X
server (its own Xvfb), inside a private D-Bus session with an unlocked gnome-keyring, with a
throwaway HOME and data dir and free loopback ports. Then it checks, from outside:

- the wallet CLI of the same executable stores a new wallet in that keyring (Secret Service,
  found through keyring's entry points inside the bundle) before the app starts
- the local signer API: ``GET /api/status`` answers 200 with ``"success": true`` and
  ``"hasWallet": true`` (the GUI process found the wallet in the keyring)
- the embedded auth server: ``/healthz`` reports the packaged version, and a page rendered
  from a template (``/device``) plus a static file load, so the bundle carries both

and prints the start-up time (process start -> first 200 from ``/api/status``). Exits 1
with the app's output when anything fails. Standard library only: it runs on the machine
the .deb was installed on, with no virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

KEYRING_SHIM = (
    'eval "$(printf sigil-smoke | gnome-keyring-daemon --unlock --components=secrets)"; '
    'export GNOME_KEYRING_CONTROL; exec "$@"'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """(status, body); status 0 when nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """An X server on a display number it picks itself (no clash with others' displays)."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        proc.kill()
        raise SystemExit("smoke_run: Xvfb did not start")
    return proc, f":{number}"


def wait_for(url: str, deadline: float, app: subprocess.Popen, check=lambda status, body: status == 200):
    """Poll ``url`` until ``check`` passes; None if the app died or time ran out."""
    while time.monotonic() < deadline:
        status, body = get(url, timeout=1.0)
        if check(status, body):
            return status, body
        if app.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def stop(app: subprocess.Popen) -> None:
    """SIGTERM the app's process group (the app, its D-Bus session, the keyring), then KILL."""
    if app.poll() is not None:
        return
    try:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(app.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        app.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", default=shutil.which("sigil") or "/usr/bin/sigil", help="the sigil to start")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the API")
    parser.add_argument("--expect-version", default="", help="the version /healthz must report")
    parser.add_argument("--screenshot", default="", help="save a picture of the window here")
    parser.add_argument("--no-wallet", action="store_true", help="start with no wallet (the wizard)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="sigil-smoke-"))
    xvfb, display = start_xvfb()
    signer_port, server_port = free_port(), free_port()
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(runtime),
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "SIGIL_DATA_DIR": str(home / "data"),
        "SIGIL_SIGNER_PORT": str(signer_port),
        "SIGIL_PORT": str(server_port),
    }
    if args.screenshot:
        env["SIGIL_SCREENSHOT"] = args.screenshot
    in_session: list[str] = []
    if shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon"):
        in_session = ["dbus-run-session", "--", "sh", "-c", KEYRING_SHIM, "sh"]
    command = [*in_session, args.exe]
    log = home / "app.log"
    failures: list[str] = []
    with_wallet = bool(in_session) and not args.no_wallet
    if with_wallet:
        # A throwaway wallet; its mnemonic goes to /dev/null, never to a log.
        passfile = home / "passphrase"
        passfile.write_text("smoke-run passphrase 42\n")
        passfile.chmod(0o600)
        created = subprocess.run([*command, "wallet", "create", "--passphrase-file", str(passfile)], env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 timeout=120)
        if created.returncode != 0:
            failures.append(f"sigil wallet create failed: {created.stderr.decode(errors='replace')[-500:]}")
        else:
            print("installed app: sigil wallet create -> stored in the keyring")
    started = time.monotonic()
    with open(log, "wb") as out:
        app = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = started + args.timeout
        api = f"http://127.0.0.1:{signer_port}/api/status"
        answer = wait_for(api, deadline, app)
        if answer is None:
            failures.append(f"GET {api} never answered 200 within {args.timeout:.0f} s")
        else:
            ready = time.monotonic() - started
            body = json.loads(answer[1])
            if body.get("success") is not True:
                failures.append(f"/api/status answered {body!r}")
            if with_wallet and body.get("hasWallet") is not True:
                failures.append(f"the app did not find the wallet made by the CLI: {body!r}")
            print(f"installed app: GET /api/status -> 200 {json.dumps(body)}")
            print(f"installed app start-up: {ready:.2f} s (process start -> first 200 from /api/status)")

            server = f"http://127.0.0.1:{server_port}"
            health = wait_for(f"{server}/healthz", deadline, app)
            if health is None:
                failures.append(f"the embedded server never answered {server}/healthz")
            else:
                version = json.loads(health[1]).get("version")
                print(f"embedded server: /healthz -> {health[1].decode()}")
                if args.expect_version and version != args.expect_version:
                    failures.append(f"/healthz reports version {version!r}, expected {args.expect_version!r}")
                for path in ("/device", "/oauth2/static/sigil.css"):
                    status, _ = get(server + path)
                    print(f"embedded server: GET {path} -> {status}")
                    if status != 200:
                        failures.append(f"GET {path} answered {status} (templates/static missing from the bundle?)")
            if args.screenshot:
                shot_deadline = time.monotonic() + 10
                while time.monotonic() < shot_deadline and not Path(args.screenshot).exists():
                    time.sleep(0.1)
                time.sleep(0.3)
                print(f"screenshot: {args.screenshot if Path(args.screenshot).exists() else 'not saved'}")
    finally:
        stop(app)
        xvfb.terminate()
        xvfb.wait(timeout=10)
        output = log.read_text(errors="replace")
        shutil.rmtree(home, ignore_errors=True)

    if failures:
        print("smoke run FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        print("---- app output ----\n" + output[-6000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
