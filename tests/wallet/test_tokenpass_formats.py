"""TokenPass's crypto formats, byte for byte against @bsv/sdk and bsv-bap in Node:
BRC-42 children, TokenPass's master key, BIE1 ECIES both ways, BSM and AIP signedOps."""

from __future__ import annotations

import hashlib
import random

import coincurve
import pytest

from auth_server.crypto.aip import aip_signed_ops
from auth_server.crypto.brc42 import derive_child_private_key, derive_child_public_key, self_child
from auth_server.crypto.bsm import sign_bsm
from auth_server.crypto.ecies import electrum_decrypt, electrum_encrypt
from auth_server.crypto.errors import BadMac
from auth_server.crypto.keys import address_from_pubkey, private_key_from_wif, wif_from_private_key
from signer_app.wallet import derivation
from tests.helpers.node_peer import NodePeer, NodePeerError

pytestmark = pytest.mark.interop

INVOICES = ["2-tokenpass-localhost:3000", "bap:0", "bap:17", derivation.IDS_ENCRYPTION_PATH,
            "2-friend-" + hashlib.sha256(b"Zo\xc3\xab").hexdigest(), "2-encrypt-caf\u00e9 \u2713 \U0001f680", ""]


def _keys(seed: int, count: int) -> list[coincurve.PrivateKey]:
    rng = random.Random(seed)
    return [coincurve.PrivateKey(rng.randbytes(32)) for _ in range(count)]


@pytest.mark.parametrize("invoice", INVOICES)
def test_self_child_is_sdk_derive_child_with_own_pubkey(tokenpass_peer: NodePeer, invoice: str) -> None:
    for key in _keys(1, 5):
        theirs = tokenpass_peer.request(op="child", wif=wif_from_private_key(key), invoice=invoice)
        assert wif_from_private_key(self_child(key, invoice)) == theirs["wif"]


def test_ecdh_children_match_both_sides(tokenpass_peer: NodePeer) -> None:
    for ours, other in zip(_keys(2, 5), _keys(3, 5)):
        invoice = derivation.encrypt_invoice("friend")
        other_pub = other.public_key.format().hex()
        theirs = tokenpass_peer.request(op="child", wif=wif_from_private_key(ours), pub=other_pub, invoice=invoice)
        child = derive_child_private_key(ours, other.public_key, invoice)
        assert wif_from_private_key(child) == theirs["wif"]
        seen = tokenpass_peer.request(op="child-pub", pub=ours.public_key.format().hex(),
                                      wif=wif_from_private_key(other), invoice=invoice)["pub"]
        assert derive_child_public_key(ours.public_key, other, invoice).format().hex() == seen
        assert child.public_key.format().hex() == seen


def test_tokenpass_master_is_the_bip32_master_of_rootpk_bytes(tokenpass_peer: NodePeer) -> None:
    for root in [coincurve.PrivateKey.from_int(1), *_keys(4, 5)]:
        theirs = tokenpass_peer.request(op="master", rootPk=wif_from_private_key(root))["wif"]
        assert wif_from_private_key(derivation.tokenpass_master(root)) == theirs


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100, 1000])
def test_bie1_both_ways(tokenpass_peer: NodePeer, size: int) -> None:
    key = coincurve.PrivateKey()
    message = random.Random(size).randbytes(size)
    pub = key.public_key.format().hex()
    ours = electrum_encrypt(message, key.public_key)
    assert ours[:4] == b"BIE1" and len(ours) == 4 + 33 + (size // 16 + 1) * 16 + 32
    assert tokenpass_peer.request(op="decrypt", wif=wif_from_private_key(key), hex=ours.hex())["hex"] == message.hex()
    theirs = bytes.fromhex(tokenpass_peer.request(op="encrypt", pub=pub, hex=message.hex())["hex"])
    assert electrum_decrypt(theirs, key) == message
    changed = bytearray(theirs)
    changed[40] ^= 1
    with pytest.raises(BadMac):
        electrum_decrypt(bytes(changed), key)
    with pytest.raises(NodePeerError, match="checksum"):
        tokenpass_peer.request(op="decrypt", wif=wif_from_private_key(key), hex=bytes(changed).hex())


def test_bsm_signatures_are_byte_identical(tokenpass_peer: NodePeer) -> None:
    rng = random.Random(7)
    for key in _keys(5, 10):
        message = rng.randbytes(rng.randint(0, 300))
        theirs = tokenpass_peer.request(op="bsm-sign", wif=wif_from_private_key(key), hex=message.hex())["sig"]
        assert sign_bsm(key, message) == theirs


def test_aip_signed_ops_verify_with_bsv_bap(tokenpass_peer: NodePeer) -> None:
    key = private_key_from_wif(wif_from_private_key(coincurve.PrivateKey.from_int(424150)))
    data = ["6a", "313550636948473232534e4c514a584d6f5355615756693757537163376843667661", "abc", ""]
    algorithm, address, signature = aip_signed_ops(key, data)
    assert (algorithm, address) == ("BITCOIN_ECDSA", address_from_pubkey(key.public_key))
    joined = "6a" "313550636948473232534e4c514a584d6f5355615756693757537163376843667661" "0abc"
    assert tokenpass_peer.request(op="bsm-verify", hex=joined, address=address, sig=signature)["valid"]
    assert not tokenpass_peer.request(op="bsm-verify", hex=joined + "00", address=address, sig=signature)["valid"]
