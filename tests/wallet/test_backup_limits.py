"""``.bep`` import against hostile or unlucky files (issue 22): nested JSON was a
``RecursionError``; identities were uncapped and their names kept control, bidi and
zero-width characters; a metadata write that failed (disk full) left the vault in the
keyring and raised a raw ``OSError``. Real gnome-keyring (tests/run-suite), real files."""

from __future__ import annotations

import base64
import errno
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auth_server.crypto.brc42 import self_child
from auth_server.crypto.ecies import electrum_encrypt
from auth_server.crypto.keys import wif_from_private_key
from signer_app.wallet import Wallet, WalletError
from signer_app.wallet import backup
from signer_app.wallet.backup import UnsupportedBackup
from signer_app.wallet.derivation import IDS_ENCRYPTION_PATH
from tests.wallet.test_backup_file import PASSWORD, ROOT, ROOT_WIF, _bep, _nothing_written, _type42_payload

DEEP = ['{"a":' * 5000 + "1" + "}" * 5000, "[" * 50000 + "]" * 50000, '{"wif": ' + "[" * 3000 + "]" * 3000 + "}"]


def _raw_bep(plaintext: bytes) -> str:
    salt, iv = os.urandom(16), os.urandom(12)
    sealed = AESGCM(backup._key(PASSWORD, salt, backup.ITERATIONS)).encrypt(iv, plaintext, None)
    return base64.b64encode(salt + iv + sealed).decode()


@pytest.mark.parametrize("document", DEEP)
def test_nested_payload_is_a_clear_error(wallet: Wallet, document: str) -> None:
    with pytest.raises(UnsupportedBackup, match="nests deeper than"):
        wallet.import_backup(_raw_bep(document.encode()), PASSWORD, "unlock")
    _nothing_written(wallet)


@pytest.mark.parametrize("document", DEEP)
def test_nested_identity_list_is_a_clear_error(wallet: Wallet, document: str) -> None:
    ids = base64.b64encode(electrum_encrypt(document.encode(), self_child(ROOT, IDS_ENCRYPTION_PATH).public_key))
    with pytest.raises(UnsupportedBackup, match="identity list nests deeper"):
        wallet.import_backup(_bep({"ids": ids.decode(), "rootPk": ROOT_WIF}), PASSWORD, "unlock")
    _nothing_written(wallet)


def test_nested_member_record_is_a_clear_error(wallet: Wallet) -> None:
    record = base64.b64encode(electrum_encrypt(DEEP[0].encode(), self_child(ROOT, IDS_ENCRYPTION_PATH).public_key))
    with pytest.raises(UnsupportedBackup, match="nests deeper"):
        wallet.import_backup(_bep({"wif": ROOT_WIF, "id": record.decode()}), PASSWORD, "unlock")
    _nothing_written(wallet)


def test_identities_per_backup_are_capped(wallet: Wallet) -> None:
    assert backup.MAX_IDENTITIES == 100
    with pytest.raises(UnsupportedBackup, match="101 identities; Sigil imports at most 100"):
        wallet.import_backup(_bep(_type42_payload([f"id {i}" for i in range(101)])), PASSWORD, "unlock")
    _nothing_written(wallet)


def test_identity_names_are_cleaned(wallet: Wallet) -> None:
    names = ["Acme Bank \u202egnp.exe", "Zero\u200bWidth\u2060Joiner\ufeff", "Ctl\x00\x1b[31mRed\x7f\x85",
             "\u200b\u202e\u2066", "L" * 500, "  many \t\n spaces  "]
    wallet.import_backup(_bep(_type42_payload(names)), PASSWORD, "unlock")
    labels = [i.label for i in wallet.identities()]
    assert labels == ["Acme Bank gnp.exe", "ZeroWidthJoiner", "Ctl[31mRed", "Identity 4", "L" * 100, "many spaces"]


def test_a_member_backup_label_is_cleaned(wallet: Wallet) -> None:
    wallet.import_backup(_bep({"wif": wif_from_private_key(ROOT), "label": "Work\u202e\u200bkrow"}), PASSWORD, "unlock")
    assert [i.label for i in wallet.identities()] == ["Workkrow"]


def test_renaming_and_adding_clean_names_too(wallet: Wallet) -> None:
    wallet.import_backup(_bep(_type42_payload(["Personal"])), PASSWORD, "unlock")
    added = wallet.add_identity("Side\u202eedis")
    assert added.label == "Sideedis"
    with pytest.raises(WalletError, match="empty"):
        wallet.add_identity("\u200b\u202e")


def test_failed_metadata_write_leaves_no_vault_and_no_raw_oserror(wallet: Wallet, store_kind: str,
                                                                  monkeypatch) -> None:
    """The disk fills while the wallet's metadata file is written (the OS write call fails)."""
    real_replace = os.replace

    def full_disk(src, dst, *args, **kwargs):
        if os.fspath(dst) == os.fspath(wallet.meta_path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(WalletError, match="No space left on device; nothing was saved") as caught:
        wallet.import_backup(_bep(_type42_payload(["Personal"])), PASSWORD, "unlock")
    assert not isinstance(caught.value, OSError)
    monkeypatch.setattr(os, "replace", real_replace)
    assert not wallet.exists()
    if store_kind == "keyring":
        assert wallet._keyring_store().get("main") is None
    assert wallet._file_store().get("main") is None
    assert not [p for p in wallet.data_dir.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
    wallet.import_backup(_bep(_type42_payload(["Personal"])), PASSWORD, "unlock")  # the retry works
    assert [i.label for i in wallet.identities()] == ["Personal"]
