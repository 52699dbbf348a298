"""Importing bad secrets: clear messages, and the secret is never echoed back."""

from __future__ import annotations

import pytest

from signer_app.wallet import InvalidMnemonic, InvalidSecret, Wallet, detect_kind
from tests.helpers.fixtures.wallet import VECTOR_MNEMONIC, VECTOR_XPRV


def test_first_unknown_word_is_named(wallet: Wallet) -> None:
    typed = "abandon abandon abandn abandon abandon abandon zebraa abandon abandon abandon abandon about"
    with pytest.raises(InvalidMnemonic, match=r'word 3 \("abandn"\) is not in the BIP39') as caught:
        wallet.import_mnemonic(typed, "pass")
    assert "zebraa" not in str(caught.value)
    assert not wallet.exists()


def test_word_count_and_checksum(wallet: Wallet) -> None:
    with pytest.raises(InvalidMnemonic, match="not 11"):
        wallet.import_mnemonic("abandon " * 11, "pass")
    with pytest.raises(InvalidMnemonic, match="checksum") as caught:
        wallet.import_mnemonic("abandon " * 12, "pass")
    assert "abandon" not in str(caught.value)
    with pytest.raises(InvalidMnemonic, match="empty"):
        wallet.import_mnemonic("  ", "pass")


@pytest.mark.parametrize(
    ("xprv", "reason"),
    [(VECTOR_XPRV[:-1] + "v", "not a valid"),
     ("xprv9s21ZrQH143K", "not a valid"),
     # m/0' of the vector: a child key, not a master
     ("xprv9ukW2Usuz4v7Yd2EC4vNXaMckdsEdgBA9n7MQbqMJbW9FuHDWWjDwzEM2h6XmFnrzX7JVmfcNWMEVoRauU6hQpbokqPPNTbdycW9fHSPYyF",
      "child xprv")],
)
def test_bad_xprv(wallet: Wallet, xprv: str, reason: str) -> None:
    with pytest.raises(InvalidSecret, match=reason) as caught:
        wallet.import_xprv(xprv, "pass")
    assert xprv not in str(caught.value)


def test_bad_wif(wallet: Wallet) -> None:
    bad = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWx"
    with pytest.raises(InvalidSecret) as caught:
        wallet.import_wif(bad, "pass")
    assert bad not in str(caught.value)


def test_detect_kind() -> None:
    assert detect_kind(VECTOR_MNEMONIC) == "mnemonic"
    assert detect_kind(" " + VECTOR_XPRV + "\n") == "xprv"
    assert detect_kind("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn\n") == "wif"
