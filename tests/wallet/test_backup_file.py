"""``.bep`` backup files made here: every way a file can be wrong gives a clear message and
writes nothing; the vault records what kind of wallet it holds. (Files made by the npm
``bitcoin-backup`` are in tests/wallet/test_backup_interop.py.)"""

from __future__ import annotations

import base64
import json

import coincurve
import pytest

from auth_server.crypto.brc42 import self_child
from auth_server.crypto.keys import wif_from_private_key
from signer_app.wallet import Wallet, WalletError
from signer_app.wallet import backup
from signer_app.wallet.backup import BackupError, UnsupportedBackup, WrongBackupPassword
from signer_app.wallet.derivation import IDS_ENCRYPTION_PATH
from signer_app.wallet.envelope import Envelope
from tests.helpers.fixtures.wallet import VECTOR_IDENTITIES, VECTOR_MNEMONIC, WalletFactory

PASSWORD = "tr0ub4dor & 3"
ROOT = coincurve.PrivateKey.from_int(0x5EC12E7)
ROOT_WIF = wif_from_private_key(ROOT)


def _type42_payload(names: list[str], root: coincurve.PrivateKey = ROOT) -> dict[str, str]:
    records = [backup.type42_id_record(name, root, i) for i, name in enumerate(names)]
    to_key = self_child(root, IDS_ENCRYPTION_PATH).public_key
    return {"ids": backup.encrypt_ids(records, f"bap:{len(names) - 1}", to_key), "label": "TokenPass",
            "rootPk": wif_from_private_key(root)}


def _bep(payload: dict[str, str], iterations: int = backup.ITERATIONS) -> str:
    return backup.seal_backup(payload, PASSWORD, iterations)


def _nothing_written(wallet: Wallet) -> None:
    assert not wallet.exists()
    assert not wallet.data_dir.exists() or not list(wallet.data_dir.iterdir())
    assert wallet._keyring_store().get("main") is None


def test_file_layout_is_salt_iv_gcm() -> None:
    raw = base64.b64decode(_bep({"wif": ROOT_WIF}))
    assert len(raw) == 16 + 12 + len(json.dumps({"wif": ROOT_WIF, "createdAt": "2026-12-01T00:00:00.000Z"},
                                                   separators=(",", ":"))) + 16


def test_old_files_with_100000_rounds_open() -> None:
    assert backup.open_backup(_bep({"wif": ROOT_WIF}, backup.LEGACY_ITERATIONS), PASSWORD)["wif"] == ROOT_WIF


def test_a_bare_wif_payload_is_a_wif_backup(wallet: Wallet) -> None:
    """The oldest files hold the WIF itself, not JSON."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, iv = b"s" * 16, b"i" * 12
    sealed = AESGCM(backup._key(PASSWORD, salt, backup.ITERATIONS)).encrypt(iv, ROOT_WIF.encode(), None)
    wallet.import_backup(base64.b64encode(salt + iv + sealed).decode(), PASSWORD, "unlock")
    assert wallet.kind == "wif" and wallet.identities()[0].pubkey == ROOT.public_key.format().hex()


def test_type42_import_keeps_names_and_records_the_kind_in_the_vault(wallet: Wallet) -> None:
    contents = wallet.import_backup(_bep(_type42_payload(["Personal", "Work"])), PASSWORD, "unlock")
    assert [(i.index, i.label) for i in wallet.identities()] == [(0, "Personal"), (1, "Work")]
    assert contents.source.startswith("TokenPass") and wallet.kind == "tokenpass"
    meta = wallet._require_meta()
    envelope = Envelope.parse(wallet._store_for(meta).get("main"))
    assert envelope.kind == "tokenpass"
    assert json.loads(envelope.open("unlock"))["kind"] == "tokenpass"


def test_wrong_password_writes_nothing(wallet: Wallet) -> None:
    text = _bep(_type42_payload(["Personal"]))
    with pytest.raises(WrongBackupPassword, match="wrong backup password") as caught:
        wallet.import_backup(text, "not the password", "unlock")
    assert PASSWORD not in str(caught.value) and "not the password" not in str(caught.value)
    _nothing_written(wallet)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_file_writes_nothing(wallet: Wallet, cut: float) -> None:
    text = _bep(_type42_payload(["Personal"]))
    short = text[: int(len(text) * cut) // 4 * 4 + 1]  # not a whole base64 quantum
    with pytest.raises(BackupError, match="truncated"):
        wallet.import_backup(short, PASSWORD, "unlock")
    aligned = text[: int(len(text) * cut) // 4 * 4]
    with pytest.raises(WrongBackupPassword, match="damaged or truncated"):
        wallet.import_backup(aligned, PASSWORD, "unlock")
    with pytest.raises(BackupError, match="truncated"):
        wallet.import_backup(text[:24], PASSWORD, "unlock")
    _nothing_written(wallet)


@pytest.mark.parametrize("garbage", ["", "not a backup at all!", "\u00e9\u00e9\u00e9\u00e9", b"\xff\xfe\x00\x01"])
def test_not_a_backup(wallet: Wallet, garbage: str | bytes) -> None:
    with pytest.raises(BackupError):
        wallet.import_backup(garbage, PASSWORD, "unlock")
    _nothing_written(wallet)


@pytest.mark.parametrize(("payload", "named"), [
    ({"ordPk": "x", "payPk": "y", "identityPk": "z"}, "1Sat"),
    ({"payPk": "x", "ordPk": "y", "mnemonic": "z"}, "Yours"),
    ({"chromeStorage": {}, "accountData": {}}, "Yours Wallet browser"),
    ({"encryptedVault": "abc"}, "vault"),
    ({"hello": "world"}, "no key Sigil knows"),
    ({"wif": "5notawif"}, "not a WIF"),
    ({"rootPk": ROOT_WIF, "ids": "bm90IGVuY3J5cHRlZA=="}, "does not decrypt"),
    ({"rootPk": ROOT_WIF, "ids": 5}, "'ids' field"),
])
def test_unknown_payloads_are_named_and_write_nothing(wallet: Wallet, payload: dict, named: str) -> None:
    with pytest.raises(UnsupportedBackup, match=named):
        wallet.import_backup(_bep(payload), PASSWORD, "unlock")
    _nothing_written(wallet)


def test_a_json_list_is_not_a_backup(wallet: Wallet) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, iv = b"s" * 16, b"i" * 12
    sealed = AESGCM(backup._key(PASSWORD, salt, backup.ITERATIONS)).encrypt(iv, b"[1, 2]", None)
    with pytest.raises(UnsupportedBackup, match="not a backup record"):
        wallet.import_backup(base64.b64encode(salt + iv + sealed).decode(), PASSWORD, "unlock")


def test_identities_must_belong_to_the_key(wallet: Wallet) -> None:
    other = coincurve.PrivateKey.from_int(99)
    records = [backup.type42_id_record("Stolen", other, 0)]
    payload = {"rootPk": ROOT_WIF, "ids": backup.encrypt_ids(records, "bap:0", self_child(ROOT, IDS_ENCRYPTION_PATH).public_key)}
    with pytest.raises(UnsupportedBackup, match="does not belong"):
        wallet.import_backup(_bep(payload), PASSWORD, "unlock")
    seeded = [dict(backup.type42_id_record("Seeded", ROOT, 0), idSeed="x")]
    payload["ids"] = backup.encrypt_ids(seeded, "bap:0", self_child(ROOT, IDS_ENCRYPTION_PATH).public_key)
    with pytest.raises(UnsupportedBackup, match="idSeed"):
        wallet.import_backup(_bep(payload), PASSWORD, "unlock")
    odd = [dict(backup.type42_id_record("Odd", ROOT, 0), rootPath="m/1/2")]
    payload["ids"] = backup.encrypt_ids(odd, "bap:0", self_child(ROOT, IDS_ENCRYPTION_PATH).public_key)
    with pytest.raises(UnsupportedBackup, match="root path"):
        wallet.import_backup(_bep(payload), PASSWORD, "unlock")
    _nothing_written(wallet)


def test_import_refuses_an_existing_wallet(make_wallet: WalletFactory) -> None:
    first = make_wallet()
    first.import_mnemonic(VECTOR_MNEMONIC, "unlock")
    with pytest.raises(WalletError, match="already exists"):
        make_wallet().import_backup(_bep(_type42_payload(["X"])), PASSWORD, "unlock")
    assert first.identities()[0].bap_id == VECTOR_IDENTITIES[0][2]


def test_export_needs_the_unlock_passphrase_and_a_long_password(wallet: Wallet) -> None:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "unlock")
    with pytest.raises(WalletError, match="wrong passphrase"):
        wallet.export_backup("wrong", PASSWORD)
    with pytest.raises(BackupError, match="at least 8"):
        wallet.export_backup("unlock", "short")


def test_bip39_passphrase_wallet_exports_no_words(wallet: Wallet) -> None:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "unlock", bip39_passphrase="TREZOR")
    payload = backup.open_backup(wallet.export_backup("unlock", PASSWORD), PASSWORD)
    assert payload["mnemonic"] == "" and payload["xprv"].startswith("xprv")


def test_legacy_words_survive_a_passphrase_change(make_wallet: WalletFactory) -> None:
    source = make_wallet(wallet_name="source")
    source.import_mnemonic(VECTOR_MNEMONIC, "unlock")
    payload = backup.open_backup(source.export_backup("unlock", PASSWORD), PASSWORD)
    payload.pop(backup.KEY_ORIGIN_FIELD)  # as another BAP tool would write it
    legacy = make_wallet(wallet_name="legacy")
    assert legacy.import_backup(_bep(payload), PASSWORD, "unlock").kind == "tokenpass-xprv"
    legacy.change_passphrase("unlock", "new unlock")
    again = backup.open_backup(legacy.export_backup("new unlock", PASSWORD), PASSWORD)
    assert again["mnemonic"] == VECTOR_MNEMONIC and backup.KEY_ORIGIN_FIELD not in again


def test_type42_round_trip(make_wallet: WalletFactory) -> None:
    first = make_wallet(wallet_name="first")
    first.import_backup(_bep(_type42_payload(["A", "B", "C"])), PASSWORD, "unlock")
    first.hide_identity(first.identities()[1].bap_id)
    second = make_wallet(wallet_name="second")
    second.import_backup(first.export_backup("unlock", PASSWORD), PASSWORD, "unlock")
    assert [(i.bap_id, i.label) for i in second.identities(include_hidden=True)] == [
        (i.bap_id, i.label) for i in first.identities(include_hidden=True)]
    assert second.friend_public_key("f") == first.friend_public_key("f")
