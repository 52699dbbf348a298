"""docs/PROTOCOL.md section 5: BAP identities from the HD master, and the other secret kinds."""

from __future__ import annotations

import coincurve
import pytest
from mnemonic import Mnemonic

from auth_server.crypto import address_from_pubkey, bap_id_from_pubkey
from auth_server.crypto.keys import wif_from_private_key
from signer_app.wallet import Wallet, WalletError, member_path
from tests.helpers.fixtures.wallet import VECTOR_IDENTITIES, VECTOR_MNEMONIC, VECTOR_XPRV, WalletFactory


def _facts(wallet: Wallet) -> list[tuple[str, str, str]]:
    return [(i.pubkey, i.address, i.bap_id) for i in wallet.identities()]


def test_member_path() -> None:
    assert member_path(0) == "m/424150'/0'/0'/0'/0'/0'"
    assert member_path(7) == "m/424150'/0'/0'/0'/7'/0'"


def test_mnemonic_vector_gives_the_protocol_bap_ids(wallet: Wallet) -> None:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "pass")
    second = wallet.add_identity("Work")
    assert _facts(wallet) == VECTOR_IDENTITIES
    assert (second.index, second.label, second.is_default) == (1, "Work", False)
    assert wallet.default_identity().bap_id == "VpdSWHprjixzq5dX2kno1gEmw4C"


def test_mnemonic_is_normalised_before_use(wallet: Wallet) -> None:
    wallet.import_mnemonic("  ABANDON " + "abandon  " * 10 + "About\n", "pass")
    assert _facts(wallet)[0] == VECTOR_IDENTITIES[0]


def test_master_xprv_vector_gives_the_same_identities(wallet: Wallet) -> None:
    wallet.import_xprv(VECTOR_XPRV, "pass")
    wallet.add_identity("Second")
    assert _facts(wallet) == VECTOR_IDENTITIES
    assert wallet.kind == "xprv"


def test_bip39_passphrase_changes_the_identities(wallet: Wallet) -> None:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "pass", bip39_passphrase="TREZOR")
    assert _facts(wallet)[0] != VECTOR_IDENTITIES[0]
    assert wallet.has_bip39_passphrase


def test_wif_wallet_has_one_identity(wallet: Wallet) -> None:
    key = coincurve.PrivateKey.from_int(424150)
    wallet.import_wif(wif_from_private_key(key), "pass", label="Solo")
    pubkey = key.public_key.format()
    [identity] = wallet.identities()
    assert (identity.pubkey, identity.address, identity.bap_id, identity.label) == (
        pubkey.hex(), address_from_pubkey(pubkey), bap_id_from_pubkey(pubkey), "Solo")
    with pytest.raises(WalletError, match="exactly one identity"):
        wallet.add_identity("More")


@pytest.mark.parametrize("words", [12, 24])
def test_create_makes_a_valid_fresh_mnemonic(make_wallet: WalletFactory, words: int) -> None:
    wallet = make_wallet()
    mnemonic = wallet.create("pass", words=words)
    assert len(mnemonic.split()) == words and Mnemonic("english").check(mnemonic)
    assert not wallet.is_locked
    other = make_wallet(wallet_name="other").create("pass", words=words)
    assert other != mnemonic


def test_create_rejects_odd_word_counts(wallet: Wallet) -> None:
    with pytest.raises(WalletError, match="12 or 24"):
        wallet.create("pass", words=13)
    assert not wallet.exists()
