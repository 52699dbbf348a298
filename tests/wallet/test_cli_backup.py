"""``sigil wallet import --backup FILE.bep`` and ``sigil wallet export --backup FILE.bep``:
passwords from a prompt or a file (never an argument), failures leave nothing behind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import coincurve
import pytest

from auth_server.crypto.brc42 import self_child
from auth_server.crypto.keys import wif_from_private_key
from signer_app.cli import run_cli
from signer_app.wallet import Wallet, backup
from signer_app.wallet.derivation import IDS_ENCRYPTION_PATH
from tests.helpers.fixtures.wallet import VECTOR_IDENTITIES, VECTOR_MNEMONIC
from tests.wallet.test_cli import Cli

ROOT = coincurve.PrivateKey.from_int(0xB4C7)
BACKUP_PASSWORD = "the backup's own password"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], secret_service: object) -> Iterator[Cli]:
    runner = Cli(tmp_path, capsys)
    yield runner
    Wallet(runner.data_dir, wallet_name=runner.name).delete()


@pytest.fixture
def bep(tmp_path: Path) -> Path:
    records = [backup.type42_id_record(n, ROOT, i) for i, n in enumerate(["Personal", "Work"])]
    ids = backup.encrypt_ids(records, "bap:1", self_child(ROOT, IDS_ENCRYPTION_PATH).public_key)
    path = tmp_path / "tokenpass.bep"
    path.write_text(backup.seal_backup({"ids": ids, "label": "TokenPass", "rootPk": wif_from_private_key(ROOT)},
                                       BACKUP_PASSWORD))
    return path


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "backup-password"
    path.write_text(BACKUP_PASSWORD + "\n")
    return path


def test_import_then_export_and_reimport(cli: Cli, bep: Path, password_file: Path, tmp_path: Path) -> None:
    out, err = cli("wallet", "import", "--backup", str(bep), "--backup-password-file", str(password_file))
    lines = out.splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == ["Personal (default)", "Work"]
    assert "TokenPass" in err and BACKUP_PASSWORD not in out + err
    exported = tmp_path / "sigil.bep"
    _, err = cli("wallet", "export", "--backup", str(exported), "--backup-password-file", str(password_file))
    assert "2 identities" in err and exported.stat().st_mode & 0o777 == 0o600
    assert backup.open_backup(exported.read_text(), BACKUP_PASSWORD)["rootPk"] == wif_from_private_key(ROOT)
    _, err = cli("wallet", "export", "--backup", str(exported), "--backup-password-file", str(password_file), code=2)
    assert "already exists" in err
    cli.name = f"cli-{uuid.uuid4().hex[:10]}"
    try:
        out, _ = cli("wallet", "import", "--backup", str(exported), "--backup-password-file", str(password_file))
        assert out.splitlines() == lines
    finally:
        Wallet(cli.data_dir, wallet_name=cli.name).delete()


def test_import_with_prompts_asks_the_backup_password_first(
    tmp_path: Path, bep: Path, capsys: pytest.CaptureFixture[str], secret_service: object
) -> None:
    name = f"cli-{uuid.uuid4().hex[:10]}"
    prompts: list[str] = []
    answers = iter(["wrong password"])

    def prompt(text: str) -> str:
        prompts.append(text)
        return next(answers)

    argv = ["wallet", "import", "--backup", str(bep), "--data-dir", str(tmp_path / "d"), "--wallet", name]
    try:
        assert run_cli(argv, prompt=prompt) == 1
        assert prompts == ["Backup file password: "]  # refused before a new passphrase is asked
        assert "wrong backup password" in capsys.readouterr().err
        assert not Wallet(tmp_path / "d", wallet_name=name).exists()
        answers = iter([BACKUP_PASSWORD, "new unlock", "new unlock"])
        prompts.clear()
        assert run_cli(argv, prompt=prompt) == 0
        assert prompts[0] == "Backup file password: " and "Repeat" in prompts[2]
    finally:
        Wallet(tmp_path / "d", wallet_name=name).delete()


def test_export_prompts_for_a_new_password_twice(cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mnemonic_file = tmp_path / "words"
    mnemonic_file.write_text(VECTOR_MNEMONIC)
    cli("wallet", "import", "--mnemonic-file", str(mnemonic_file))
    target = tmp_path / "out.bep"
    argv = ["wallet", "export", "--backup", str(target), *cli.common()]
    answers = iter(["password one", "password two"])
    assert run_cli(argv, prompt=lambda _: next(answers)) == 2
    assert "differ" in capsys.readouterr().err and not target.exists()
    answers = iter(["short", "short"])
    assert run_cli(argv, prompt=lambda _: next(answers)) == 1
    assert "at least 8" in capsys.readouterr().err and not target.exists()
    answers = iter(["password one", "password one"])
    assert run_cli(argv, prompt=lambda _: next(answers)) == 0
    payload = backup.open_backup(target.read_text(), "password one")
    assert payload["mnemonic"] == VECTOR_MNEMONIC


def test_bad_files_are_messages(cli: Cli, tmp_path: Path, password_file: Path, bep: Path) -> None:
    _, err = cli("wallet", "import", "--backup", str(tmp_path / "missing.bep"),
                 "--backup-password-file", str(password_file), code=2)
    assert "cannot read" in err
    truncated = tmp_path / "short.bep"
    truncated.write_text(bep.read_text()[:41])
    _, err = cli("wallet", "import", "--backup", str(truncated), "--backup-password-file", str(password_file), code=1)
    assert "truncated" in err and "Traceback" not in err
    unknown = tmp_path / "onesat.bep"
    unknown.write_text(backup.seal_backup({"ordPk": "a", "payPk": "b", "identityPk": "c"}, BACKUP_PASSWORD))
    _, err = cli("wallet", "import", "--backup", str(unknown), "--backup-password-file", str(password_file), code=1)
    assert "1Sat" in err
    assert not Wallet(cli.data_dir, wallet_name=cli.name).exists()
    words = tmp_path / "w"
    words.write_text(VECTOR_MNEMONIC)
    with pytest.raises(SystemExit):
        cli("wallet", "import", "--backup", str(bep), "--mnemonic-file", str(words))
    out, _ = cli("wallet", "import", "--mnemonic-file", str(words))
    assert VECTOR_IDENTITIES[0][2] in out
