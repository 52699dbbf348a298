"""Keys, addresses and BAP IDs against the vectors in docs/PROTOCOL.md section 5."""

import coincurve
import pytest
from bip32 import BIP32
from mnemonic import Mnemonic

from auth_server.crypto import BadPubkey, address_from_pubkey, bap_id_from_pubkey, parse_pubkey
from auth_server.crypto.keys import bap_id_from_address, private_key_from_wif, wif_from_private_key

MNEMONIC = "abandon " * 11 + "about"
MASTER = "xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu"
IDENTITIES = [
    (0, "029261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f97", "1NpBjNxx5whnaEMHGkvfrusFQEfPMo8SgT", "VpdSWHprjixzq5dX2kno1gEmw4C"),
    (1, "038e98668e70078996249886e4548286d7adbd3914b5150d5d74ca089e21f38117", "1KNCaocGpaukh6UTsETJmeCX5x5xHV7J7f", "4JYTL93kekJS2unATJcs8U2wvNjP"),
]


def test_master_key_from_mnemonic() -> None:
    seed = Mnemonic("english").to_seed(MNEMONIC, "")
    assert BIP32.from_seed(seed).get_xpriv() == MASTER


@pytest.mark.parametrize(("index", "pubkey", "address", "bap_id"), IDENTITIES)
def test_bap_identity_vector(index: int, pubkey: str, address: str, bap_id: str) -> None:
    member = BIP32.from_xpriv(MASTER).get_pubkey_from_path(f"m/424150'/0'/0'/0'/{index}'/0'")
    assert member.hex() == pubkey
    assert address_from_pubkey(member) == address
    assert bap_id_from_address(address) == bap_id
    assert bap_id_from_pubkey(pubkey) == bap_id


def test_wif_round_trip_and_known_value() -> None:
    # The private key 1 has a well-known compressed WIF.
    one = coincurve.PrivateKey.from_int(1)
    assert wif_from_private_key(one) == "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    assert private_key_from_wif("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn").to_int() == 1
    key = coincurve.PrivateKey()
    assert private_key_from_wif(wif_from_private_key(key)).secret == key.secret


def test_address_of_generator_point() -> None:
    assert address_from_pubkey(coincurve.PrivateKey.from_int(1).public_key) == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"


@pytest.mark.parametrize(
    "bad",
    ["", "cNJFgo1driFnPcBdBX8BrJrpxchBWXwXCvNH5SoSkdcF6JXXwHMm", "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWm", "not a key"],
)
def test_bad_wif_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        private_key_from_wif(bad)
    if bad:
        assert bad not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "02" + "00" * 32,  # x = 0 is not on the curve
        "04" + "11" * 32,  # wrong prefix
        "029261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f9",  # 65 chars
        "zz9261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f97",
        "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8",
    ],
)
def test_bad_pubkeys(bad: str) -> None:
    with pytest.raises(BadPubkey):
        parse_pubkey(bad)
