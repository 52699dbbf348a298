"""``sigil-server token make|verify``, the integrators' debugging commands.

Neither the private key nor a token ever goes on a command line (``ps`` and shell history
keep it): the WIF comes from a file or a hidden prompt, the token to check from stdin or a file.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import subprocess
import sys
import termios
import time
from pathlib import Path

import coincurve
import pytest

from auth_server.cli import main
from auth_server.crypto import verify_token
from auth_server.crypto.keys import wif_from_private_key

KEY = coincurve.PrivateKey.from_int(424150)
WIF = wif_from_private_key(KEY)
PUBKEY = KEY.public_key.format().hex()


@pytest.fixture
def wif_file(tmp_path: Path) -> str:
    path = tmp_path / "key.wif"
    path.write_text(WIF + "\n")
    path.chmod(0o600)
    return str(path)


def _verify(monkeypatch: pytest.MonkeyPatch, token: str, *args: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    return main(["token", "verify", *args])


@pytest.mark.parametrize("scheme", ["brc77", "bsm"])
def test_make_then_verify(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, wif_file: str,
                          scheme: str) -> None:
    assert main(["token", "make", "--wif-file", wif_file, "--path", "/api/x", "--body", "a=1", "--scheme", scheme]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(token, "/api/x", body="a=1").pubkey == PUBKEY
    assert _verify(monkeypatch, token, "--path", "/api/x", "--body", "a=1") == 0
    assert capsys.readouterr().out.strip() == PUBKEY


def test_verify_prints_the_reason(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                  wif_file: str, tmp_path: Path) -> None:
    main(["token", "make", "--wif-file", wif_file, "--path", "/api/x"])
    token = capsys.readouterr().out.strip()
    assert _verify(monkeypatch, token, "--path", "/api/y") == 1
    assert "path_mismatch" in capsys.readouterr().out
    assert _verify(monkeypatch, "garbage", "--path", "/api/x") == 1
    assert "malformed" in capsys.readouterr().out
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    assert main(["token", "verify", "--path", "/api/x", "--token-file", str(token_file)]) == 0
    assert capsys.readouterr().out.strip() == PUBKEY


def test_bad_wif_is_a_clear_error_not_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.wif"
    bad.write_text("nope\n")
    assert main(["token", "make", "--wif-file", str(bad), "--path", "/x"]) == 2
    err = capsys.readouterr().err
    assert "not a WIF" in err and "Traceback" not in err and "nope" not in err
    assert main(["token", "make", "--wif-file", str(tmp_path / "missing"), "--path", "/x"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_secrets_on_the_command_line_are_refused(capsys: pytest.CaptureFixture[str], wif_file: str) -> None:
    """``--wif W`` and ``verify TOKEN`` are refused with the reason, and the value is not echoed."""
    assert main(["token", "make", "--wif", WIF, "--path", "/x"]) == 2
    captured = capsys.readouterr()
    assert "--wif-file" in captured.err and "ps" in captured.err and captured.out == ""
    assert WIF not in captured.err
    main(["token", "make", "--wif-file", wif_file, "--path", "/x"])
    token = capsys.readouterr().out.strip()
    assert main(["token", "verify", "--path", "/x", token]) == 2
    captured = capsys.readouterr()
    assert "stdin" in captured.err and token not in captured.err + captured.out


def test_console_script_prompts_for_the_wif_on_a_terminal() -> None:
    """No --wif-file: the real ``sigil-server`` asks on its terminal (a pty here) without echo."""
    script = Path(sys.executable).parent / "sigil-server"
    primary, secondary = pty.openpty()

    def take_terminal() -> None:  # the pty becomes the child's controlling terminal, as a shell's would
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([str(script), "token", "make", "--path", "/p"], stdin=secondary, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=take_terminal)
    os.close(secondary)
    try:
        shown = b""
        deadline = time.monotonic() + 30
        while b"WIF" not in shown and time.monotonic() < deadline:
            shown += os.read(primary, 1024)
        assert b"WIF private key" in shown
        os.write(primary, WIF.encode() + b"\n")
        out, err = proc.communicate(timeout=30)
        try:
            shown += os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            pass
    finally:
        os.close(primary)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.decode().startswith(PUBKEY + "|brc77|")
    assert WIF.encode() not in shown  # not echoed
