"""``sigil-server token make|verify``, the integrators' debugging commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import coincurve
import pytest

from auth_server.cli import main
from auth_server.crypto import verify_token
from auth_server.crypto.keys import wif_from_private_key

KEY = coincurve.PrivateKey.from_int(424150)
WIF = wif_from_private_key(KEY)
PUBKEY = KEY.public_key.format().hex()


@pytest.mark.parametrize("scheme", ["brc77", "bsm"])
def test_make_then_verify(capsys: pytest.CaptureFixture[str], scheme: str) -> None:
    assert main(["token", "make", "--wif", WIF, "--path", "/api/x", "--body", "a=1", "--scheme", scheme]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(token, "/api/x", body="a=1").pubkey == PUBKEY
    assert main(["token", "verify", "--path", "/api/x", "--body", "a=1", token]) == 0
    assert capsys.readouterr().out.strip() == PUBKEY


def test_verify_prints_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "make", "--wif", WIF, "--path", "/api/x"])
    token = capsys.readouterr().out.strip()
    assert main(["token", "verify", "--path", "/api/y", token]) == 1
    assert "path_mismatch" in capsys.readouterr().out
    assert main(["token", "verify", "--path", "/api/x", "garbage"]) == 1
    assert "malformed" in capsys.readouterr().out


def test_bad_wif_is_a_clear_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "make", "--wif", "nope", "--path", "/x"]) == 2
    err = capsys.readouterr().err
    assert "not a WIF" in err and "Traceback" not in err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "sigil-server"
    result = subprocess.run([str(script), "token", "make", "--wif", WIF, "--path", "/p"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith(PUBKEY + "|brc77|")
