"""The encrypted vault on the real Secret Service and on the 0600 file fallback:
create, import, lock, unlock, export, change passphrase, crashes in the middle."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from keyring.backends import fail

from signer_app.wallet import (
    KeyringUnavailable,
    NoWallet,
    TooManyAttempts,
    Wallet,
    WalletError,
    WalletExists,
    WalletLocked,
    WrongPassphrase,
)
from signer_app.wallet.envelope import DEFAULT_SCRYPT_N
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.wallet import FAST_KDF, VECTOR_MNEMONIC, WalletFactory

pytestmark = pytest.mark.usefixtures("store_kind")


class Crash(BaseException):
    """Stands for the process dying between two steps."""


def _stored_envelopes(wallet: Wallet) -> dict[str, str | None]:
    store = wallet._store_for(wallet._require_meta())
    return {slot: store.get(slot) for slot in ("main", "pending")}


def test_create_stores_where_expected(make_wallet: WalletFactory, store_kind: str, secret_service, service: str) -> None:
    wallet = make_wallet()
    assert not wallet.exists()
    wallet.create("correct horse")
    assert wallet.exists() and not wallet.is_locked
    vault_file = wallet.data_dir / "vault-default.json"
    if store_kind == "keyring":
        assert wallet.storage_description() == "OS keyring (SecretService)"
        envelope = json.loads(secret_service.get_password(service, "default"))
        assert not vault_file.exists()
    else:
        assert wallet.storage_description() == f"file {vault_file} (0600)"
        assert stat.S_IMODE(vault_file.stat().st_mode) == 0o600
        envelope = json.loads(vault_file.read_text())
        assert secret_service.get_password(service, "default") is None
    assert envelope["kdf"] == {**envelope["kdf"], "name": "scrypt", "n": FAST_KDF.n, "r": 8, "p": 1}
    assert (envelope["version"], envelope["kind"], envelope["cipher"], envelope["wallet"]) == (
        1, "mnemonic", "aes-256-gcm", "default")


def test_default_kdf_is_strong() -> None:
    assert DEFAULT_SCRYPT_N >= 2**17
    assert Wallet(Path("/nonexistent"))._kdf.n == DEFAULT_SCRYPT_N


def test_lock_unlock_and_wrong_passphrase(make_wallet: WalletFactory) -> None:
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "right one")
    wallet.lock()
    assert wallet.is_locked
    with pytest.raises(WalletLocked):
        wallet.sign_token("/api/x")
    with pytest.raises(WrongPassphrase, match="wrong passphrase") as caught:
        wallet.unlock("wrong one")
    assert caught.value.retry_after == 0.0
    # another process (a new Wallet object) unlocks with the right one
    other = make_wallet()
    other.unlock("right one")
    assert not other.is_locked and wallet.is_locked
    assert other.sign_token("/api/x").startswith(other.default_identity().pubkey + "|brc77|")


def test_lock_zeroes_the_key_buffer(wallet: Wallet) -> None:
    wallet.import_mnemonic(VECTOR_MNEMONIC, "pass")
    buffer = wallet._keystore.material
    assert len(buffer) == 64 and any(buffer)
    wallet.lock()
    assert not any(buffer) and wallet._keystore is None


def test_no_wallet_errors(wallet: Wallet) -> None:
    with pytest.raises(NoWallet):
        wallet.unlock("pass")
    with pytest.raises(NoWallet):
        wallet.export_secret("pass")
    assert wallet.identities() == [] and wallet.default_identity() is None


def test_missing_vault_entry_is_no_wallet(wallet: Wallet) -> None:
    wallet.create("pass")
    wallet._store_for(wallet._require_meta()).delete("main")
    with pytest.raises(NoWallet, match="missing"):
        wallet.unlock("pass")


def test_create_refuses_to_overwrite(wallet: Wallet) -> None:
    wallet.create("pass")
    with pytest.raises(WalletExists):
        wallet.import_mnemonic(VECTOR_MNEMONIC, "pass")
    with pytest.raises(WalletError, match="empty"):
        Wallet(wallet.data_dir, wallet_name="x").create("")


@pytest.mark.parametrize(
    ("kind", "secret"),
    [("mnemonic", VECTOR_MNEMONIC),
     ("xprv", "xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu"),
     ("wif", "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn")],
)
def test_export_needs_the_passphrase(make_wallet: WalletFactory, kind: str, secret: str) -> None:
    wallet = make_wallet()
    getattr(wallet, f"import_{kind}")(secret, "pass")
    wallet.lock()
    with pytest.raises(WrongPassphrase):
        wallet.export_secret("guess")
    assert make_wallet().export_secret("pass") == secret
    assert wallet.kind == kind


def test_create_then_export_returns_the_mnemonic(wallet: Wallet) -> None:
    mnemonic = wallet.create("pass", words=24)
    assert wallet.export_secret("pass") == mnemonic


def test_change_passphrase(make_wallet: WalletFactory) -> None:
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "old")
    with pytest.raises(WrongPassphrase):
        wallet.change_passphrase("not old", "new")
    wallet.change_passphrase("old", "new")
    assert _stored_envelopes(wallet)["pending"] is None
    fresh = make_wallet()
    with pytest.raises(WrongPassphrase):
        fresh.unlock("old")
    fresh.unlock("new")
    assert fresh.export_secret("new") == VECTOR_MNEMONIC


@pytest.mark.parametrize("step", ["pending-written", "pending-verified"])
def test_crash_before_the_swap_keeps_the_old_passphrase(
    make_wallet: WalletFactory, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "old")
    _crash_at(wallet, step, monkeypatch)
    with pytest.raises(Crash):
        wallet.change_passphrase("old", "new")
    assert _stored_envelopes(wallet)["pending"] is not None  # the crash left the half-done change
    restarted = make_wallet()
    restarted.unlock("old")
    assert _stored_envelopes(restarted)["pending"] is None  # cleaned up on the next unlock
    assert restarted.export_secret("old") == VECTOR_MNEMONIC
    with pytest.raises(WrongPassphrase):
        make_wallet().unlock("new")


def test_crash_before_the_swap_then_new_passphrase_finishes_the_change(
    make_wallet: WalletFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "old")
    _crash_at(wallet, "pending-verified", monkeypatch)
    with pytest.raises(Crash):
        wallet.change_passphrase("old", "new")
    restarted = make_wallet()
    restarted.unlock("new")
    assert _stored_envelopes(restarted)["pending"] is None
    with pytest.raises(WrongPassphrase):
        make_wallet().unlock("old")
    make_wallet().unlock("new")


def test_crash_after_the_swap_has_the_new_passphrase(
    make_wallet: WalletFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "old")
    _crash_at(wallet, "main-replaced", monkeypatch)
    with pytest.raises(Crash):
        wallet.change_passphrase("old", "new")
    restarted = make_wallet()
    with pytest.raises(WrongPassphrase):
        restarted.unlock("old")
    restarted.unlock("new")
    assert _stored_envelopes(restarted)["pending"] is None


def test_crash_while_writing_pending_keeps_the_old_passphrase(
    make_wallet: WalletFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend itself fails on the first write of the change."""
    wallet = make_wallet()
    wallet.import_mnemonic(VECTOR_MNEMONIC, "old")
    store = wallet._store_for(wallet._require_meta())
    store_cls = type(store)
    real_set = store_cls.set

    def failing_set(self, slot, value):  # type: ignore[no-untyped-def]
        raise Crash()

    monkeypatch.setattr(store_cls, "set", failing_set)
    with pytest.raises(Crash):
        wallet.change_passphrase("old", "new")
    monkeypatch.setattr(store_cls, "set", real_set)
    make_wallet().unlock("old")


def _crash_at(wallet: Wallet, step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def hook(name: str) -> None:
        if name == step:
            raise Crash()

    monkeypatch.setattr(wallet, "_change_step", hook)


def test_envelope_is_bound_to_the_wallet_name(make_wallet: WalletFactory) -> None:
    """An envelope copied under another wallet name does not open (AAD binds the name)."""
    first = make_wallet()
    first.import_mnemonic(VECTOR_MNEMONIC, "pass")
    second = make_wallet(wallet_name="second")
    second.create("pass")
    second_store = second._store_for(second._require_meta())
    second_store.set("main", _stored_envelopes(first)["main"])
    second.lock()
    with pytest.raises(WrongPassphrase):
        second.unlock("pass")


def test_growing_delay_after_wrong_passphrases(make_wallet: WalletFactory, clock: FakeClock) -> None:
    wallet = make_wallet()
    wallet.create("right")
    wallet.lock()
    for expected in [0.0, 0.0, 1.0, 2.0, 4.0]:
        with pytest.raises(WrongPassphrase) as caught:
            wallet.unlock("wrong")
        assert caught.value.retry_after == expected
        if expected:
            with pytest.raises(TooManyAttempts):
                wallet.unlock("right")  # refused without being checked
        clock.advance(expected)
    with pytest.raises(WrongPassphrase):
        wallet.export_secret("wrong")
    with pytest.raises(TooManyAttempts) as early:
        wallet.unlock("right")
    assert early.value.retry_after == pytest.approx(8.0)
    clock.advance(8.0)
    wallet.unlock("right")
    wallet.lock()
    with pytest.raises(WrongPassphrase) as reset:
        wallet.unlock("wrong")
    assert reset.value.retry_after == 0.0


def test_auto_lock_after_idle(make_wallet: WalletFactory, clock: FakeClock) -> None:
    wallet = make_wallet(auto_lock_seconds=60)
    wallet.create("pass")
    clock.advance(50)
    assert wallet.auto_lock_remaining() == 10
    wallet.touch()
    clock.advance(50)
    assert not wallet.is_locked and wallet.auto_lock_remaining() == 10
    wallet.sign_token("/api/x")
    clock.advance(10)
    assert wallet.is_locked and wallet.auto_lock_remaining() is None
    with pytest.raises(WalletLocked):
        wallet.sign_token("/api/x")
    wallet.unlock("pass")
    assert not wallet.is_locked


def test_lock_listeners_tell_idle_from_manual(make_wallet: WalletFactory, clock: FakeClock) -> None:
    wallet = make_wallet(auto_lock_seconds=60)
    heard: list[tuple[str, float | None]] = []
    wallet.on_lock(lambda reason, idle: heard.append((reason, idle)))
    wallet.on_lock(lambda reason, idle: 1 / 0)  # a failing listener neither keeps the keys nor hides others
    wallet.create("pass")
    clock.advance(60)
    assert wallet.is_locked and wallet.is_locked
    assert heard == [("idle", 60)]
    wallet.lock()  # already locked: nothing to tell
    wallet.unlock("pass")
    wallet.lock()
    assert heard == [("idle", 60), ("manual", None)]


def test_auto_lock_applies_before_signing(make_wallet: WalletFactory, clock: FakeClock) -> None:
    wallet = make_wallet(auto_lock_seconds=5)
    wallet.create("pass")
    clock.advance(5)
    with pytest.raises(WalletLocked):
        wallet.sign_message(b"hello")


def test_no_auto_lock_when_disabled(make_wallet: WalletFactory, clock: FakeClock) -> None:
    wallet = make_wallet(auto_lock_seconds=None)
    wallet.create("pass")
    clock.advance(10**9)
    assert not wallet.is_locked


def test_keyring_unavailable_without_consent(tmp_path: Path, service: str) -> None:
    wallet = Wallet(tmp_path, service=service, kdf=FAST_KDF, keyring_backend=fail.Keyring())
    assert "no OS keyring" in wallet.storage_description()
    with pytest.raises(KeyringUnavailable, match="no OS keyring"):
        wallet.create("pass")
    assert not wallet.exists() and list(tmp_path.iterdir()) == []
    agreed = Wallet(tmp_path, service=service, kdf=FAST_KDF, keyring_backend=fail.Keyring(), allow_file_fallback=True)
    agreed.create("pass")
    assert agreed.storage_description().startswith("file ")
    # the choice is remembered: a later instance finds the file even without the flag
    later = Wallet(tmp_path, service=service, kdf=FAST_KDF, keyring_backend=fail.Keyring())
    later.unlock("pass")
