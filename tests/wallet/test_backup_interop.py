"""``.bep`` backups made by the npm ``bitcoin-backup`` (with ``bsv-bap`` identity lists) import
into Sigil with the same BAP IDs and names, Sigil's derived keys match TokenPass's as the npm
packages compute them, and Sigil's exports open with ``bitcoin-backup`` and ``bsv-bap``."""

from __future__ import annotations

import hashlib
from typing import Any

import bip32
import coincurve
import pytest

from auth_server.crypto.encoding import decode_message
from auth_server.crypto.errors import BadCiphertext
from auth_server.crypto.keys import address_from_pubkey, private_key_from_wif, wif_from_private_key
from signer_app.wallet import Wallet
from tests.helpers.node_peer import NodePeer
from tests.helpers.fixtures.wallet import VECTOR_IDENTITIES, VECTOR_MNEMONIC, VECTOR_XPRV, WalletFactory

pytestmark = pytest.mark.interop

ROOT_PK = "L1uyy5qTuGrVXrmrsvHWHgVzW9kKdrp27wBC7Vs6nZDTF2BRUVwy"  # a fixed TokenPass rootPk
PASSWORD = "correct horse battery"
HOSTS = ["localhost:3000", "app.example.com", "xn--caf-dma.example:8443"]
FRIENDS = ["2mK26WotsEgzCGjmMx66rFXDpaYE", "Zo\u00eb's BAP ID", "default"]


def _bep(peer: NodePeer, payload: dict[str, Any], password: str = PASSWORD) -> str:
    return peer.request(op="backup-encrypt", payload=payload, password=password)["text"]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _child(peer: NodePeer, wif: str, invoice: str, pub: str | None = None) -> dict[str, str]:
    request: dict[str, Any] = {"op": "child", "wif": wif, "invoice": invoice}
    if pub is not None:
        request["pub"] = pub
    return peer.request(**request)


def _identity_facts(wallet: Wallet) -> list[tuple[str, str, str, str]]:
    return [(i.label, i.bap_id, i.address, i.pubkey) for i in wallet.identities(include_hidden=True)]


def _peer_facts(ids: list[dict[str, str]]) -> list[tuple[str, str, str, str]]:
    return [(i["name"], i["bapId"], i["rootAddress"], i["memberKey"]) for i in ids]


@pytest.fixture
def tokenpass_backup(tokenpass_peer: NodePeer) -> dict[str, Any]:
    """What TokenPass writes: a bsv-bap Type-42 master with three identities, label TokenPass."""
    made = tokenpass_peer.request(op="bap-new", rootPk=ROOT_PK, names=["Personal", "Work \u2713", "Anon"],
                                  label="TokenPass")
    return {"text": _bep(tokenpass_peer, made["backup"]), "ids": made["ids"]}


def test_tokenpass_backup_keeps_bap_ids_and_names(wallet: Wallet, tokenpass_backup: dict[str, Any]) -> None:
    contents = wallet.import_backup(tokenpass_backup["text"], PASSWORD, "unlock pass")
    assert contents.kind == "tokenpass" and wallet.kind == "tokenpass"
    assert _identity_facts(wallet) == _peer_facts(tokenpass_backup["ids"])
    assert [i.index for i in wallet.identities()] == [0, 1, 2]
    wallet.lock()
    wallet.unlock("unlock pass")
    assert wallet.export_secret("unlock pass") == ROOT_PK
    new = wallet.add_identity("Fourth")  # bap:3, as TokenPass's next newId() would make it
    assert new.index == 3


def test_tokenpass_derived_keys_match_the_npm_packages(
    wallet: Wallet, tokenpass_backup: dict[str, Any], tokenpass_peer: NodePeer
) -> None:
    wallet.import_backup(tokenpass_backup["text"], PASSWORD, "unlock pass")
    master = tokenpass_peer.request(op="master", rootPk=ROOT_PK)["wif"]
    identities = [i.bap_id for i in wallet.identities()]
    for host in HOSTS:
        site = _child(tokenpass_peer, master, "2-tokenpass-" + host)
        site_address = address_from_pubkey(bytes.fromhex(site["pub"]))
        for bap_id in identities:  # TokenPass: every identity shares the per-site keys
            assert wallet.site_address(host, bap_id) == site_address
        address, signature = wallet.sign_site_message(host, decode_message("48656c6c6f", "hex"))
        assert address == site_address
        assert tokenpass_peer.request(op="bsm-verify", hex="48656c6c6f", address=address, sig=signature)["valid"]
        assert signature == tokenpass_peer.request(op="bsm-sign", wif=site["wif"], hex="48656c6c6f")["sig"]
        ops = wallet.sign_site_aip(host, ["6a", "deadbeef"])
        assert ops[:2] == ["BITCOIN_ECDSA", site_address]
        assert tokenpass_peer.request(op="bsm-verify", hex="6adeadbeef", address=site_address, sig=ops[2])["valid"]
    for friend in FRIENDS:
        friend_key = _child(tokenpass_peer, master, "2-friend-" + _sha(friend))
        assert wallet.friend_public_key(friend) == friend_key["pub"]
        assert wallet.friend_public_key(friend, identities[2]) == friend_key["pub"]
        encrypt_key = _child(tokenpass_peer, master, "2-encrypt-" + _sha(friend))
        secret = f"for {friend} \u2713".encode()
        theirs = tokenpass_peer.request(op="encrypt", pub=encrypt_key["pub"], hex=secret.hex())["hex"]
        assert wallet.decrypt(bytes.fromhex(theirs), friend_bap_id=friend) == secret
        ours = wallet.encrypt_for_friend(secret, friend)
        assert tokenpass_peer.request(op="decrypt", wif=encrypt_key["wif"], hex=ours.hex())["hex"] == secret.hex()
    default_key = _child(tokenpass_peer, master, "2-encrypt-" + _sha("default"))
    theirs = tokenpass_peer.request(op="encrypt", pub=default_key["pub"], hex="00ff")["hex"]
    assert wallet.decrypt(bytes.fromhex(theirs)) == b"\x00\xff"


def test_decrypt_with_their_public_key_is_the_ecdh_child(
    wallet: Wallet, tokenpass_backup: dict[str, Any], tokenpass_peer: NodePeer
) -> None:
    """A peer holding ``their`` encrypts to M's BRC-42 child as it sees it; Sigil decrypts."""
    wallet.import_backup(tokenpass_backup["text"], PASSWORD, "unlock pass")
    master = tokenpass_peer.request(op="master", rootPk=ROOT_PK)["wif"]
    master_pub = private_key_from_wif(master).public_key.format().hex()
    their_wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    their_pub = private_key_from_wif(their_wif).public_key.format().hex()
    for friend in (None, "2mK26WotsEgzCGjmMx66rFXDpaYE"):
        invoice = "2-encrypt-" + _sha(friend or "default")
        to = tokenpass_peer.request(op="child-pub", pub=master_pub, wif=their_wif, invoice=invoice)["pub"]
        assert to == _child(tokenpass_peer, master, invoice, pub=their_pub)["pub"]
        ciphertext = tokenpass_peer.request(op="encrypt", pub=to, hex="6869")["hex"]
        assert wallet.decrypt(bytes.fromhex(ciphertext), friend_bap_id=friend, their_pubkey=their_pub) == b"hi"
        keyless = tokenpass_peer.request(op="encrypt", pub=to, hex="6869", fromWif=their_wif, noKey=True)["hex"]
        assert wallet.decrypt(bytes.fromhex(keyless), friend_bap_id=friend, their_pubkey=their_pub) == b"hi"
        with pytest.raises(BadCiphertext):
            wallet.decrypt(bytes.fromhex(keyless), friend_bap_id=friend)
    ours = wallet.encrypt_to_pubkey(b"to them", their_pub)
    assert tokenpass_peer.request(op="decrypt", wif=their_wif, hex=ours.hex())["hex"] == b"to them".hex()


def test_legacy_backup_from_a_known_mnemonic(wallet: Wallet, tokenpass_peer: NodePeer) -> None:
    made = tokenpass_peer.request(op="bap-new", xprv=VECTOR_XPRV, mnemonic=VECTOR_MNEMONIC, names=["Main", "Side"])
    assert [(i["memberKey"], i["rootAddress"], i["bapId"]) for i in made["ids"]] == VECTOR_IDENTITIES
    contents = wallet.import_backup(_bep(tokenpass_peer, made["backup"]), PASSWORD, "unlock pass")
    assert contents.kind == wallet.kind == "tokenpass-xprv"
    assert _identity_facts(wallet) == _peer_facts(made["ids"])
    master = wif_from_private_key(coincurve.PrivateKey(bip32.BIP32.from_xpriv(VECTOR_XPRV).privkey))
    site = _child(tokenpass_peer, master, "2-tokenpass-localhost:3000")  # M = the xprv's own key
    assert wallet.site_address("localhost:3000") == address_from_pubkey(bytes.fromhex(site["pub"]))


def test_member_and_wif_backups(make_wallet: WalletFactory, tokenpass_peer: NodePeer) -> None:
    wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    member = tokenpass_peer.request(op="member-backup", wif=wif, name="Shop till")["backup"]
    first = make_wallet(wallet_name="member")
    first.import_backup(_bep(tokenpass_peer, member), PASSWORD, "unlock pass")
    [identity] = first.identities()
    assert (first.kind, identity.label) == ("wif", "Shop till")
    assert identity.pubkey == private_key_from_wif(wif).public_key.format().hex()
    second = make_wallet(wallet_name="plainwif")
    second.import_backup(_bep(tokenpass_peer, {"wif": wif, "label": "Old key"}), PASSWORD, "unlock pass")
    assert [(i.label, i.pubkey) for i in second.identities()] == [("Old key", identity.pubkey)]


def _opened(peer: NodePeer, text: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    payload = peer.request(op="backup-decrypt", text=text, password=PASSWORD)["payload"]
    return payload, peer.request(op="bap-open", backup=payload)["ids"]


def test_sigil_export_opens_in_bitcoin_backup_and_bsv_bap(make_wallet: WalletFactory, tokenpass_peer: NodePeer) -> None:
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "unlock pass", label="Main")
    wallet.add_identity("Side")
    payload, ids = _opened(tokenpass_peer, wallet.export_backup("unlock pass", PASSWORD))
    assert (payload["xprv"], payload["mnemonic"]) == (VECTOR_XPRV, VECTOR_MNEMONIC)
    assert _peer_facts(ids) == _identity_facts(wallet)
    again = make_wallet(wallet_name="again")
    assert again.import_backup(wallet.export_backup("unlock pass", PASSWORD), PASSWORD, "pass 2").kind == "mnemonic"
    assert again.site_address("a.example") == wallet.site_address("a.example")


def test_tokenpass_wallet_exports_as_tokenpass_wrote_it(
    make_wallet: WalletFactory, tokenpass_backup: dict[str, Any], tokenpass_peer: NodePeer
) -> None:
    wallet = make_wallet()
    wallet.import_backup(tokenpass_backup["text"], PASSWORD, "unlock pass")
    wallet.rename_identity(wallet.identities()[0].bap_id, "Renamed")
    payload, ids = _opened(tokenpass_peer, wallet.export_backup("unlock pass", PASSWORD))
    assert payload["rootPk"] == ROOT_PK and "xprv" not in payload
    assert _peer_facts(ids) == _identity_facts(wallet)
    assert ids[0]["name"] == "Renamed"


def test_wif_wallet_exports_a_wif_backup(make_wallet: WalletFactory, tokenpass_peer: NodePeer) -> None:
    wallet = make_wallet()
    wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    wallet.import_wif(wif, "unlock pass", label="Solo")
    payload = tokenpass_peer.request(op="backup-decrypt", text=wallet.export_backup("unlock pass", PASSWORD),
                                     password=PASSWORD)["payload"]
    assert (payload["wif"], payload["label"]) == (wif, "Solo")
