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
from tests.wallet.conftest import FAST_KDF, VECTOR_MNEMONIC


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
