"""No secret escapes: after a full session (CLI and API, both schemes, passphrase change,
wrong passphrases, a crash), the keyring entries, every file in the data dir, the logs
and the captured output hold no mnemonic word pair, seed, master key or member key
(as WIF or hex). Only ``create`` and ``export`` show the mnemonic, once each, on purpose."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import bip32
import coincurve
import pytest
from mnemonic import Mnemonic

from auth_server.crypto.keys import wif_from_private_key
from signer_app.main import main
from signer_app.wallet import Wallet, WalletError, member_path
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.wallet import FAST_KDF, VECTOR_MNEMONIC


def _secrets_of(mnemonic: str, indices: range, bip39_passphrase: str = "") -> dict[str, str]:
    """Every form in which this wallet's secrets could leak."""
    words = mnemonic.split()
    found = {f"words {i + 1}-{i + 2}": f"{words[i]} {words[i + 1]}" for i in range(len(words) - 1)}
    seed = Mnemonic.to_seed(mnemonic, bip39_passphrase)
    master = bip32.BIP32.from_seed(seed)
    found.update({
        "mnemonic": mnemonic,
        "seed hex": seed.hex(),
        "master xprv": master.get_xpriv(),
        "master key hex": master.privkey.hex(),
        "master chain code hex": master.chaincode.hex(),
    })
    for index in indices:
        key = coincurve.PrivateKey(master.get_privkey_from_path(member_path(index)))
        found[f"member {index} hex"] = key.secret.hex()
        found[f"member {index} WIF"] = wif_from_private_key(key)
    return found


def _leaks(haystacks: dict[str, str], secrets: dict[str, str]) -> list[str]:
    problems = []
    for where, text in haystacks.items():
        flat = " ".join(text.split()).lower()
        for what, secret in secrets.items():
            if secret.lower() in flat:
                problems.append(f"{what} found in {where}")
    return problems


def _files_under(root: Path) -> dict[str, str]:
    return {
        f"file {path}": path.read_bytes().decode("utf-8", errors="replace")
        for path in root.rglob("*") if path.is_file()
    }


def test_no_secret_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
    secret_service, service: str, monkeypatch: pytest.MonkeyPatch, clock: FakeClock,
) -> None:
    caplog.set_level(logging.DEBUG)
    data_dir = tmp_path / "data"
    cli_name, api_name = f"leak-{uuid.uuid4().hex[:8]}", f"leak-{uuid.uuid4().hex[:8]}"
    passfile = tmp_path / "pass"
    passfile.write_text("unlock me\n")
    common = ["--data-dir", str(data_dir), "--wallet", cli_name, "--passphrase-file", str(passfile)]
    outputs: dict[str, str] = {}
    intended: dict[str, str] = {}

    def cli(*argv: str, shows_secret: bool = False) -> str:
        capsys.readouterr()
        main([*argv, *common])
        captured = capsys.readouterr()
        (intended if shows_secret else outputs)[" ".join(argv)] = captured.out + captured.err
        return captured.out

    try:
        # --- the CLI: create (shows the words once), identities, sign, export --------------
        created = cli("wallet", "create", shows_secret=True).splitlines()[0]
        cli("wallet", "add-identity", "--label", "Work")
        cli("wallet", "identities", "--all")
        cli("wallet", "lock-status")
        for scheme in ("brc77", "bsm"):
            cli("sign", "--path", "/api/auth/oauth2/token", "--body", "grant_type=x", "--scheme", scheme)
        passfile.write_text("wrong\n")
        cli("sign", "--path", "/x")
        passfile.write_text("unlock me\n")
        cli("wallet", "export", shows_secret=True)

        # --- the API: the vector wallet, everything the GUI and local API do ----------------
        wallet = Wallet(data_dir, service=service, wallet_name=api_name, kdf=FAST_KDF, keyring_backend=secret_service,
                        clock=clock)
        wallet.import_mnemonic(VECTOR_MNEMONIC, "api pass", label="Personal")
        for label in ("Work", "Play"):
            wallet.add_identity(label)
        errors: list[str] = []
        for identity in wallet.identities():
            outputs[f"token {identity.index}"] = wallet.sign_token("/p", "b", bap_id=identity.bap_id)
            outputs[f"bsm token {identity.index}"] = wallet.sign_token("/p", scheme="bsm", bap_id=identity.bap_id)
            outputs[f"bsm message {identity.index}"] = wallet.sign_message(b"m", bap_id=identity.bap_id)
        for attempt in (lambda: wallet.unlock("nope"), lambda: wallet.export_secret("nope"),
                        lambda: wallet.change_passphrase("nope", "x"),
                        lambda: wallet.import_mnemonic("abandon " * 12, "p"),
                        lambda: Wallet(tmp_path / "other", service=service, kdf=FAST_KDF,
                                       keyring_backend=secret_service).import_mnemonic("abandon " * 12, "p")):
            try:
                attempt()
            except WalletError as exc:
                errors.append(f"{type(exc).__name__}: {exc} {exc!r}")
        outputs["error messages"] = "\n".join(errors)
        clock.advance(60)  # past the growing delay the wrong passphrases caused
        monkeypatch.setattr(wallet, "_change_step", lambda step: (_ for _ in ()).throw(KeyboardInterrupt)
                            if step == "pending-verified" else None)
        with pytest.raises(KeyboardInterrupt):
            wallet.change_passphrase("api pass", "new pass")  # leaves a pending entry behind
        pending_entry = secret_service.get_password(service, f"{api_name}.pending")
        assert pending_entry is not None
        monkeypatch.undo()
        wallet.lock()
        intended["api export"] = wallet.export_secret("api pass")

        # --- gather every place a secret could land --------------------------------------------
        haystacks = {**_files_under(data_dir), **outputs, "logs": caplog.text}
        haystacks["keyring cli"] = secret_service.get_password("sigil", cli_name) or ""
        haystacks["keyring api"] = secret_service.get_password(service, api_name) or ""
        haystacks["keyring api pending"] = pending_entry
        assert haystacks["keyring cli"] and haystacks["keyring api"]
        assert caplog.records and any("unlocked" in r.getMessage() for r in caplog.records)

        secrets = {
            **{f"created {k}": v for k, v in _secrets_of(created, range(2)).items()},
            **{f"vector {k}": v for k, v in _secrets_of(VECTOR_MNEMONIC, range(3)).items()},
            "created unlock passphrase": "unlock me",
            "api unlock passphrase": "api pass",
        }
        assert _leaks(haystacks, secrets) == []
        # the detector works: the two intended displays do contain the mnemonics
        assert _leaks(intended, {"created": created, "vector": VECTOR_MNEMONIC}) == [
            "created found in wallet create", "created found in wallet export", "vector found in api export"]
    finally:
        Wallet(data_dir, wallet_name=cli_name).delete()
        Wallet(data_dir, service=service, wallet_name=api_name, keyring_backend=secret_service).delete()


def test_no_secret_from_a_backup_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, secret_service,
) -> None:
    """A TokenPass backup imported and exported through the CLI, and every derived-key call:
    rootPk, TokenPass's master, the derived keys and both passwords stay out of the output,
    the logs, the data dir and the keyring entry (which holds only ciphertext)."""
    from auth_server.crypto.brc42 import self_child
    from signer_app.wallet import backup, derivation

    caplog.set_level(logging.DEBUG)
    root = coincurve.PrivateKey.from_int(0xC0FFEE)
    records = [backup.type42_id_record(n, root, i) for i, n in enumerate(["Personal", "Work"])]
    ids = backup.encrypt_ids(records, "bap:1", self_child(root, derivation.IDS_ENCRYPTION_PATH).public_key)
    source = tmp_path / "in.bep"
    source.write_text(backup.seal_backup({"ids": ids, "rootPk": wif_from_private_key(root)}, "backup password 1"))
    (tmp_path / "bp").write_text("backup password 1\n")
    (tmp_path / "pass").write_text("unlock me too\n")
    data_dir, name = tmp_path / "data", f"leak-{uuid.uuid4().hex[:8]}"
    common = ["--data-dir", str(data_dir), "--wallet", name, "--passphrase-file", str(tmp_path / "pass"),
              "--backup-password-file", str(tmp_path / "bp")]
    try:
        capsys.readouterr()
        main(["wallet", "import", "--backup", str(source), *common])
        main(["wallet", "import", "--backup", str(source), *common])  # refused: exists
        main(["wallet", "export", "--backup", str(tmp_path / "out.bep"), *common])
        wallet = Wallet(data_dir, wallet_name=name)
        wallet.unlock("unlock me too")
        outputs = {
            "site": " ".join(wallet.sign_site_message("a.example", b"m")),
            "aip": " ".join(wallet.sign_site_aip("a.example", ["00"])),
            "friend": wallet.friend_public_key("f"),
            "token": wallet.sign_site_token("a.example", "/p"),
        }
        try:
            wallet.decrypt(b"BIE1" + bytes(100), friend_bap_id="f")
        except ValueError as exc:
            outputs["decrypt error"] = repr(exc)
        wallet.lock()
        captured = capsys.readouterr()
        master = derivation.tokenpass_master(root)
        keys = {"rootPk": root, "master": master, "site key": derivation.site_key(master, "a.example"),
                "encrypt key": derivation.friend_encryption_key(master, "f"),
                "member 0": derivation.type42_member_key(root, 0)}
        secrets = {f"{what} {form}": value for what, key in keys.items()
                   for form, value in (("hex", key.secret.hex()), ("WIF", wif_from_private_key(key)))}
        secrets.update({"backup password": "backup password 1", "unlock passphrase": "unlock me too"})
        haystacks = {**_files_under(data_dir), **outputs, "stdout": captured.out, "stderr": captured.err,
                     "logs": caplog.text, "keyring": secret_service.get_password("sigil", name) or ""}
        assert haystacks["keyring"] and "Personal" in captured.out and (tmp_path / "out.bep").exists()
        assert _leaks(haystacks, secrets) == []
        assert _leaks({"backup": backup.open_backup((tmp_path / "out.bep").read_text(), "backup password 1")["rootPk"]},
                      secrets) == ["rootPk WIF found in backup"]  # the detector works
    finally:
        Wallet(data_dir, wallet_name=name).delete()
