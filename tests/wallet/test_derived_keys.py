"""The per-site, friend and encryption keys of a Sigil wallet come from the selected
identity's member key (identities stay unlinkable); a TokenPass wallet shares one master."""

from __future__ import annotations

import bip32
import coincurve
import pytest

from auth_server.crypto import BadPubkey, verify_token
from auth_server.crypto.brc42 import derive_child_public_key
from auth_server.crypto.bsm import decode_bsm_signature, verify_bsm
from auth_server.crypto.ecies import electrum_encrypt
from auth_server.crypto.errors import BadCiphertext, BadMac, MalformedHex
from auth_server.crypto.keys import address_from_pubkey, wif_from_private_key
from signer_app.wallet import Wallet, WalletError, WalletLocked, derivation, member_path
from tests.helpers.fixtures.wallet import VECTOR_MNEMONIC, VECTOR_XPRV

HOST = "localhost:3000"


def _member(index: int) -> coincurve.PrivateKey:
    return coincurve.PrivateKey(bip32.BIP32.from_xpriv(VECTOR_XPRV).get_privkey_from_path(member_path(index)))


@pytest.fixture
def sigil(wallet: Wallet) -> Wallet:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "unlock", label="Main")
    wallet.add_identity("Side")
    return wallet


def test_sigil_keys_come_from_the_selected_identity(sigil: Wallet) -> None:
    first, second = (i.bap_id for i in sigil.identities())
    for index, bap_id in enumerate((first, second)):
        member = _member(index)
        site = derivation.site_key(member, HOST)
        assert sigil.site_address(HOST, bap_id) == address_from_pubkey(site.public_key)
        assert sigil.friend_public_key("friend", bap_id) == derivation.friend_public_key(member, "friend").hex()
    assert sigil.site_address(HOST) == sigil.site_address(HOST, first)  # the default identity
    assert sigil.site_address(HOST, first) != sigil.site_address(HOST, second)
    assert sigil.friend_public_key("friend", first) != sigil.friend_public_key("friend", second)
    assert sigil.site_address(HOST) != sigil.site_address("localhost:3001")


def test_site_signatures_verify(sigil: Wallet) -> None:
    address, signature = sigil.sign_site_message(HOST, b"hello")
    site = derivation.site_key(_member(0), HOST)
    assert address == address_from_pubkey(site.public_key)
    assert verify_bsm(decode_bsm_signature(signature), b"hello", site.public_key)
    token = sigil.sign_site_token(HOST, "/api/x", '{"a":1}', scheme="bsm")
    assert verify_token(token, "/api/x", '{"a":1}').pubkey == site.public_key.format().hex()
    sign_in = sigil.sign_token("/api/auth/sign-in/sigma")  # Sigil's own sign-in: the member key
    assert verify_token(sign_in, "/api/auth/sign-in/sigma").pubkey == _member(0).public_key.format().hex()
    with pytest.raises(MalformedHex):
        sigil.sign_site_aip(HOST, ["zz"])
    with pytest.raises(WalletError):
        sigil.sign_site_message(HOST, "text")  # type: ignore[arg-type]
    with pytest.raises(WalletError, match="host"):
        sigil.site_address("")


def test_encryption_round_trips_and_failures(sigil: Wallet) -> None:
    second = sigil.identities()[1].bap_id
    ciphertext = sigil.encrypt_for_friend(b"note", "friend")
    assert sigil.decrypt(ciphertext, friend_bap_id="friend") == b"note"
    with pytest.raises(BadMac):
        sigil.decrypt(ciphertext, friend_bap_id="another")
    with pytest.raises(BadMac):
        sigil.decrypt(ciphertext, friend_bap_id="friend", bap_id=second)  # identities are unlinkable
    with pytest.raises(BadCiphertext):
        sigil.decrypt(b"BIE1garbage", friend_bap_id="friend")
    other = coincurve.PrivateKey()
    base_pub = _member(0).public_key
    to = derive_child_public_key(base_pub, other, derivation.encrypt_invoice(None))
    sent = electrum_encrypt(b"from other", to)
    assert sigil.decrypt(sent, their_pubkey=other.public_key.format().hex()) == b"from other"
    with pytest.raises(BadPubkey):
        sigil.decrypt(sent, their_pubkey="02" + "00" * 32)


def test_locked_wallet_derives_nothing(sigil: Wallet) -> None:
    sigil.lock()
    for call in (lambda: sigil.site_address(HOST), lambda: sigil.friend_public_key("f"),
                 lambda: sigil.sign_site_message(HOST, b"x"), lambda: sigil.encrypt_for_friend(b"x", "f"),
                 lambda: sigil.decrypt(b"x"), lambda: sigil.sign_site_aip(HOST, ["00"]),
                 lambda: sigil.encrypt_to_pubkey(b"x", _member(1).public_key.format().hex())):
        with pytest.raises(WalletLocked):
            call()


def test_unknown_identity_is_refused(sigil: Wallet) -> None:
    with pytest.raises(WalletError, match="no identity"):
        sigil.site_address(HOST, "1NotAnIdentity")


def test_tokenpass_identities_share_the_master(wallet: Wallet) -> None:
    from signer_app.wallet import backup
    from auth_server.crypto.brc42 import self_child

    root = coincurve.PrivateKey.from_int(12345)
    records = [backup.type42_id_record(n, root, i) for i, n in enumerate(["A", "B"])]
    ids = backup.encrypt_ids(records, "bap:1", self_child(root, derivation.IDS_ENCRYPTION_PATH).public_key)
    text = backup.seal_backup({"rootPk": wif_from_private_key(root), "ids": ids}, "password1")
    wallet.import_backup(text, "password1", "unlock")
    first, second = (i.bap_id for i in wallet.identities())
    master = derivation.tokenpass_master(root)
    assert wallet.site_address(HOST, first) == wallet.site_address(HOST, second) == address_from_pubkey(
        derivation.site_key(master, HOST).public_key)
    assert wallet.identities()[1].pubkey == derivation.type42_member_key(root, 1).public_key.format().hex()
