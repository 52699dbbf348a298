"""Identity metadata (add, rename, profile, hide, default) and signing per identity."""

from __future__ import annotations

import json
import threading

import pytest

from auth_server.crypto import parse_pubkey, verify_token
from auth_server.crypto.bsm import decode_bsm_signature, verify_bsm
from signer_app.wallet import Identity, Wallet, WalletError, WalletLocked
from tests.helpers.fixtures.wallet import VECTOR_IDENTITIES, VECTOR_MNEMONIC, WalletFactory


@pytest.fixture
def vector_wallet(wallet: Wallet) -> Wallet:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "pass", label="Personal")
    return wallet


def test_metadata_survives_restart_and_works_while_locked(vector_wallet: Wallet, make_wallet: WalletFactory) -> None:
    work = vector_wallet.add_identity("Work")
    vector_wallet.lock()
    fresh = make_wallet()
    assert fresh.is_locked
    assert [(i.label, i.index, i.is_default) for i in fresh.identities()] == [("Personal", 0, True), ("Work", 1, False)]
    assert fresh.get_identity(work.bap_id) == work
    with pytest.raises(WalletLocked):
        fresh.add_identity("Third")


def test_rename_profile_hide_default(vector_wallet: Wallet) -> None:
    first = vector_wallet.default_identity()
    second = vector_wallet.add_identity("Work")
    assert vector_wallet.rename_identity(second.bap_id, "  Day   job ").label == "Day job"
    profiled = vector_wallet.set_profile(second.bap_id, "Satoshi", "https://example.com/a.png")
    assert (profiled.name, profiled.image) == ("Satoshi", "https://example.com/a.png")
    assert vector_wallet.set_profile(second.bap_id, "", None).name is None

    assert vector_wallet.set_default(second.bap_id).is_default
    assert vector_wallet.default_identity().bap_id == second.bap_id
    assert not vector_wallet.get_identity(first.bap_id).is_default

    hidden = vector_wallet.hide_identity(second.bap_id)
    assert hidden.hidden and not hidden.is_default
    assert vector_wallet.default_identity().bap_id == first.bap_id  # the default moved
    assert [i.bap_id for i in vector_wallet.identities()] == [first.bap_id]
    assert [i.bap_id for i in vector_wallet.identities(include_hidden=True)] == [first.bap_id, second.bap_id]
    with pytest.raises(WalletError, match="hidden"):
        vector_wallet.set_default(second.bap_id)
    assert not vector_wallet.hide_identity(second.bap_id, hidden=False).hidden


def test_add_after_hide_uses_the_next_index(vector_wallet: Wallet) -> None:
    second = vector_wallet.add_identity("Two")
    vector_wallet.hide_identity(second.bap_id)
    assert vector_wallet.add_identity("Three").index == 2


def test_bad_input(vector_wallet: Wallet) -> None:
    with pytest.raises(WalletError, match="no identity"):
        vector_wallet.get_identity("nope")
    with pytest.raises(WalletError, match="empty"):
        vector_wallet.rename_identity(vector_wallet.default_identity().bap_id, "   ")
    with pytest.raises(WalletError, match="at most"):
        vector_wallet.add_identity("x" * 101)
    for path in ("no-slash", "/a|b"):
        with pytest.raises(WalletError, match="request path"):
            vector_wallet.sign_token(path)
    with pytest.raises(WalletError, match="scheme"):
        vector_wallet.sign_token("/x", scheme="rsa")


def test_metadata_file_holds_public_facts_only(vector_wallet: Wallet) -> None:
    data = json.loads(vector_wallet.meta_path.read_text())
    assert set(data) == {"version", "kind", "storage", "has_bip39_passphrase", "default", "identities"}
    assert set(data["identities"][0]) == {"bap_id", "pubkey", "address", "label", "index", "name", "image", "hidden"}


@pytest.mark.parametrize("scheme", ["brc77", "bsm"])
def test_sign_token_with_each_identity(vector_wallet: Wallet, scheme: str) -> None:
    second = vector_wallet.add_identity("Work")
    body = "grant_type=authorization_code&code=abc"
    default_token = vector_wallet.sign_token("/api/auth/oauth2/token", body, scheme=scheme)
    assert verify_token(default_token, "/api/auth/oauth2/token", body).pubkey == VECTOR_IDENTITIES[0][0]
    token = vector_wallet.sign_token("/api/auth/sign-in/sigma", scheme=scheme, bap_id=second.bap_id)
    parsed = verify_token(token, "/api/auth/sign-in/sigma")
    assert (parsed.pubkey, parsed.scheme) == (VECTOR_IDENTITIES[1][0], scheme)
    assert vector_wallet.sign_token("/b", body.encode()).split("|")[3] == "/b"


def test_sign_message_bsm(vector_wallet: Wallet) -> None:
    second = vector_wallet.add_identity("Work")
    for identity in (vector_wallet.default_identity(), second):
        signature = vector_wallet.sign_message(b"hello BAP", bap_id=identity.bap_id)
        assert verify_bsm(decode_bsm_signature(signature), b"hello BAP", parse_pubkey(identity.pubkey))


def test_concurrent_signing_and_locking(vector_wallet: Wallet) -> None:
    """API threads sign while another thread locks: each call signs correctly or says locked."""
    errors: list[BaseException] = []
    outcomes: list[str] = []

    def signer() -> None:
        for _ in range(15):
            try:
                token = vector_wallet.sign_token("/api/x", "b")
                verify_token(token, "/api/x", "b")
                outcomes.append("signed")
            except WalletLocked:
                outcomes.append("locked")
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=signer) for _ in range(6)]
    for thread in threads:
        thread.start()
    vector_wallet.lock()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(outcomes) == 90 and vector_wallet.is_locked


def test_identity_is_a_frozen_value() -> None:
    identity = Identity("b", "p", "a", "l", 0)
    with pytest.raises(AttributeError):
        identity.label = "x"  # type: ignore[misc]
