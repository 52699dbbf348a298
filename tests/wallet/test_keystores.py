"""One Keystore class per wallet kind (signer_app/wallet/keystore.py): every kind has its
class, each answers only what its kind holds, and a wiped one answers nothing."""

from __future__ import annotations

import typing

import pytest

from signer_app.wallet.errors import WalletError
from signer_app.wallet.keystore import KEYSTORES, Keystore, SecretKind

MNEMONIC = "abandon " * 11 + "about"
XPRV = ("xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu")
WIF = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"


def test_every_kind_has_its_own_class():
    assert set(KEYSTORES) == set(typing.get_args(SecretKind))
    assert all(cls.kind == kind and issubclass(cls, Keystore) for kind, cls in KEYSTORES.items())
    assert len(set(KEYSTORES.values())) == len(KEYSTORES)


@pytest.mark.parametrize("kind, secret", [("mnemonic", MNEMONIC), ("xprv", XPRV), ("tokenpass-xprv", XPRV),
                                          ("wif", WIF), ("tokenpass", WIF)])
def test_each_kind_answers_what_it_holds(kind, secret):
    store = Keystore.from_secret(kind, secret)
    assert type(store) is KEYSTORES[kind] and store.kind == kind
    assert store.is_hd == (kind != "wif") and store.is_tokenpass == kind.startswith("tokenpass")
    assert len(store.member_pubkey(0)) == 33
    base = store.derivation_base(0)
    assert (base.secret == store.member_key(0).secret) == (not store.is_tokenpass)
    if kind in ("mnemonic", "xprv", "tokenpass-xprv"):
        assert store.xprv().startswith("xprv")
    else:
        with pytest.raises(WalletError):
            store.xprv()
    if kind == "tokenpass":
        assert store.root_key().secret == store.material
    else:
        with pytest.raises(WalletError):
            store.root_key()
    if kind == "wif":
        with pytest.raises(WalletError):
            store.member_key(1)
    store.wipe()
    assert store.material == bytearray()
    with pytest.raises(WalletError):
        store.member_key(0)


def test_an_unknown_kind_is_refused():
    with pytest.raises(WalletError):
        Keystore.from_secret("seedless", WIF)  # type: ignore[arg-type]
