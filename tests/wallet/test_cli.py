"""``sigil wallet ...``, ``sigil sign ...`` and ``sigil profile ...``: in-process for detail, and through the
installed console script; tokens are checked by Sigil and by the npm ``bitcoin-auth``."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from auth_server.crypto import verify_token
from signer_app.cli import run_cli
from signer_app.main import main
from signer_app.wallet import Wallet
from tests.helpers.node_peer import NodePeer
from tests.helpers.fixtures.wallet import VECTOR_IDENTITIES, VECTOR_MNEMONIC

SIGIL = Path(sys.executable).with_name("sigil")


class Cli:
    """One wallet (unique name, real Secret Service) driven through ``main()``."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = tmp_path / "data"
        self.name = f"cli-{uuid.uuid4().hex[:10]}"
        self.passphrase_file = tmp_path / "passphrase"
        self.passphrase_file.write_text("cli passphrase\n")
        self.capsys = capsys

    def common(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--wallet", self.name, "--passphrase-file", str(self.passphrase_file)]

    def __call__(self, *argv: str, code: int = 0) -> tuple[str, str]:
        self.capsys.readouterr()
        assert main([*argv, *self.common()]) == code
        captured = self.capsys.readouterr()
        return captured.out, captured.err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], secret_service: object) -> Iterator[Cli]:
    runner = Cli(tmp_path, capsys)
    yield runner
    Wallet(runner.data_dir, wallet_name=runner.name).delete()


def _identity_line(pubkey: str, address: str, bap_id: str) -> str:
    return f"{bap_id}  {pubkey}  {address}"


def _check_token(node_peer: NodePeer, token: str, path: str, body: str | None, pubkey: str) -> None:
    assert verify_token(token, path, body).pubkey == pubkey
    timestamp = token.split("|")[2]
    assert node_peer.verify(token, path, timestamp, body=body)
    assert not node_peer.verify(token, path, timestamp, body=(body or "") + "x")


def test_not_a_cli_command() -> None:
    assert run_cli([]) is None
    assert run_cli(["--gui-option"]) is None


def test_create_list_add_sign_export(cli: Cli, node_peer: NodePeer) -> None:
    out, err = cli("wallet", "create", "--words", "24", "--label", "Main")
    mnemonic, identity_line = out.splitlines()
    assert len(mnemonic.split()) == 24
    assert "WARNING" in err and "only backup" in err and "OS keyring (SecretService)" in err
    assert identity_line.endswith("  Main (default)")

    out, _ = cli("wallet", "identities")
    assert out.splitlines() == [identity_line]
    bap_id, pubkey, address = identity_line.split()[:3]

    out, _ = cli("wallet", "add-identity", "--label", "Work")
    second_bap_id, second_pubkey = out.split()[:2]
    assert out.rstrip().endswith("Work")
    assert len(cli("wallet", "identities")[0].splitlines()) == 2

    for scheme in ("brc77", "bsm"):
        out, _ = cli("sign", "--path", "/api/auth/oauth2/token", "--body", "grant_type=x&code=y", "--scheme", scheme)
        _check_token(node_peer, out.splitlines()[-1], "/api/auth/oauth2/token", "grant_type=x&code=y", pubkey)
    out, _ = cli("sign", "--path", "/api/auth/sign-in/sigma", "--identity", second_bap_id)
    _check_token(node_peer, out.splitlines()[-1], "/api/auth/sign-in/sigma", None, second_pubkey)

    out, err = cli("wallet", "export")
    assert out.strip() == mnemonic and "WARNING" in err

    out, _ = cli("wallet", "lock-status")
    assert f"default identity: {bap_id}" in out and "storage: OS keyring (SecretService)" in out
    assert "2 identities" in out and "state: locked" in out


def test_import_vector_from_file(cli: Cli, tmp_path: Path) -> None:
    mnemonic_file = tmp_path / "words.txt"
    mnemonic_file.write_text(VECTOR_MNEMONIC + "\n")
    out, err = cli("wallet", "import", "--mnemonic-file", str(mnemonic_file))
    assert out.splitlines() == [_identity_line(*VECTOR_IDENTITIES[0]) + "  Identity 1 (default)"]
    assert "mnemonic wallet" in err
    out, _ = cli("wallet", "add-identity")
    assert out.strip() == _identity_line(*VECTOR_IDENTITIES[1]) + "  Identity 2"
    cli("wallet", "create", code=1)  # refuses to overwrite


def test_import_with_prompts(tmp_path: Path, capsys: pytest.CaptureFixture[str], secret_service: object) -> None:
    name = f"cli-{uuid.uuid4().hex[:10]}"
    answers = iter([VECTOR_MNEMONIC, "typed pass", "typed pass"])
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return next(answers)

    try:
        assert run_cli(["wallet", "import", "--data-dir", str(tmp_path), "--wallet", name], prompt=prompt) == 0
        assert prompts[0].startswith("Mnemonic") and "Repeat" in prompts[2]
        assert VECTOR_IDENTITIES[0][2] in capsys.readouterr().out
        mismatch = iter(["a", "b"])
        assert run_cli(["wallet", "create", "--data-dir", str(tmp_path / "x")], prompt=lambda _: next(mismatch)) == 2
        assert "differ" in capsys.readouterr().err
    finally:
        Wallet(tmp_path, wallet_name=name).delete()


def test_errors_are_messages(cli: Cli, tmp_path: Path) -> None:
    _, err = cli("sign", "--path", "/x", code=1)
    assert "no wallet" in err and "Traceback" not in err
    bad = tmp_path / "bad.txt"
    bad.write_text("abandon abandon abandn " + "abandon " * 8 + "about")
    _, err = cli("wallet", "import", "--mnemonic-file", str(bad), code=1)
    assert 'word 3 ("abandn")' in err
    _, err = cli("wallet", "import", "--mnemonic-file", str(tmp_path / "missing"), code=2)
    assert "cannot read" in err
    cli("wallet", "create")
    cli.passphrase_file.write_text("wrong\n")
    _, err = cli("sign", "--path", "/x", code=1)
    assert "wrong passphrase" in err
    cli.passphrase_file.write_text("cli passphrase\n")
    _, err = cli("sign", "--path", "no-slash", code=1)
    assert "request path" in err


def _run_sigil(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SIGIL), *argv], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_console_script_sign_verifies_with_bitcoin_auth(tmp_path: Path, node_peer: NodePeer, secret_service: object) -> None:
    name = f"cli-{uuid.uuid4().hex[:10]}"
    (tmp_path / "p").write_text("pass\n")
    (tmp_path / "m").write_text(VECTOR_MNEMONIC)
    common = ["--wallet", name, "--passphrase-file", str(tmp_path / "p")]
    env = {"SIGIL_DATA_DIR": str(tmp_path / "data")}
    try:
        assert _run_sigil("--version").stdout.startswith("sigil ")
        done = _run_sigil("wallet", "import", "--mnemonic-file", str(tmp_path / "m"), *common, env=env)
        assert done.returncode == 0, done.stderr
        for scheme in ("brc77", "bsm"):
            done = _run_sigil("sign", "--path", "/api/items?page=2", "--body", '{"q":"Zoë ✓"}', "--scheme", scheme,
                              *common, env=env)
            assert done.returncode == 0, done.stderr
            token = done.stdout.splitlines()[-1]
            _check_token(node_peer, token, "/api/items?page=2", '{"q":"Zoë ✓"}', VECTOR_IDENTITIES[0][0])
    finally:
        Wallet(tmp_path / "data", wallet_name=name).delete()


def test_console_script_file_fallback_needs_consent(tmp_path: Path) -> None:
    (tmp_path / "p").write_text("pass\n")
    env = {"SIGIL_DATA_DIR": str(tmp_path / "data"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    args = ["wallet", "create", "--passphrase-file", str(tmp_path / "p")]
    refused = _run_sigil(*args, env=env)
    assert refused.returncode == 1 and "--allow-file-fallback" in refused.stderr
    assert not (tmp_path / "data" / "vault-default.json").exists()
    agreed = _run_sigil(*args, "--allow-file-fallback", env=env)
    assert agreed.returncode == 0, agreed.stderr
    assert (tmp_path / "data" / "vault-default.json").stat().st_mode & 0o777 == 0o600
    status = _run_sigil("wallet", "lock-status", env=env)
    assert "vault-default.json (0600)" in status.stdout


def test_profile_set_and_show(cli: Cli, tmp_path: Path) -> None:
    """``sigil profile``: the same checks and the same picture pipeline as the desktop editor."""
    mnemonic_file = tmp_path / "mnemonic"
    mnemonic_file.write_text(VECTOR_MNEMONIC + "\n")
    cli("wallet", "import", "--mnemonic-file", str(mnemonic_file))
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (900, 500), (200, 40, 40)).save(photo, "JPEG")
    out, _ = cli("profile", "set", "--name", "Alice \u202eeviL", "--username", "alice", "--picture-file", str(photo))
    assert VECTOR_IDENTITIES[0][2] in out
    shown = json.loads(cli("profile", "show")[0])
    assert shown["bapId"] == VECTOR_IDENTITIES[0][2]
    assert shown["displayName"] == "Alice eviL" and shown["username"] == "alice"
    header, _, data = shown["picture"].partition(",")
    assert header.startswith("data:image/")
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (256, 256)  # cropped square, scaled down

    svg = tmp_path / "x.png"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    _, err = cli("profile", "set", "--picture-file", str(svg), code=2)
    assert "Traceback" not in err and err.startswith("sigil: ")
    _, err = cli("profile", "set", "--username", "Alice", code=2)
    assert "username" in err
    _, err = cli("profile", "set", "--picture-url", "javascript:alert(1)", code=2)
    assert "picture" in err
    _, err = cli("profile", "show", "--identity", "nobody", code=2)
    assert "no identity" in err
    assert json.loads(cli("profile", "show")[0])["username"] == "alice"  # refusals lost nothing
    cli("profile", "set", "--picture-url", "")
    assert "picture" not in json.loads(cli("profile", "show")[0])
