"""Wallets on the real Secret Service (the private gnome-keyring of ``tests/run-suite``)
and on the 0600-file fallback, with a cheap scrypt setting passed in explicitly."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.backends import SecretService, fail

from signer_app.wallet import KdfParams, Wallet
from tests.helpers.clock import FakeClock

FAST_KDF = KdfParams(n=2**10, r=8, p=1)  # tests only; the default stays n=2**17
VECTOR_MNEMONIC = "abandon " * 11 + "about"
VECTOR_XPRV = (
    "xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu"
)
VECTOR_IDENTITIES = [
    ("029261ed9212734363d539b12a9dbee938574b99dba5568625ef80572385c66f97", "1NpBjNxx5whnaEMHGkvfrusFQEfPMo8SgT",
     "VpdSWHprjixzq5dX2kno1gEmw4C"),
    ("038e98668e70078996249886e4548286d7adbd3914b5150d5d74ca089e21f38117", "1KNCaocGpaukh6UTsETJmeCX5x5xHV7J7f",
     "4JYTL93kekJS2unATJcs8U2wvNjP"),
]


@pytest.fixture(scope="session")
def secret_service() -> keyring.backend.KeyringBackend:
    """The real Secret Service backend; the suite runner provides an unlocked gnome-keyring."""
    backend = keyring.get_keyring()
    if not isinstance(backend, SecretService.Keyring):
        if not os.environ.get("SIGIL_IN_TEST_SESSION"):
            pytest.skip("run through tests/run-suite, which starts a private gnome-keyring")
        pytest.fail(f"expected the Secret Service keyring backend, got {backend!r}")
    return backend


@pytest.fixture
def service() -> str:
    """A keyring service name of this test alone (tests may run in parallel)."""
    return f"sigil-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


WalletFactory = Callable[..., Wallet]


@pytest.fixture(params=["keyring", "file"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_wallet(
    request: pytest.FixtureRequest, tmp_path: Path, service: str, clock: FakeClock
) -> Iterator[WalletFactory]:
    """Build ``Wallet`` objects over one data dir, as separate processes would.

    The store follows the ``store_kind`` fixture when a test uses it (keyring when not).
    """
    kind = request.getfixturevalue("store_kind") if "store_kind" in request.fixturenames else "keyring"
    backend = request.getfixturevalue("secret_service") if kind == "keyring" else fail.Keyring()
    made: list[Wallet] = []

    def factory(**overrides: object) -> Wallet:
        options: dict[str, object] = dict(
            service=service, clock=clock, kdf=FAST_KDF, keyring_backend=backend,
            allow_file_fallback=(kind == "file"),
        )
        options.update(overrides)
        wallet = Wallet(tmp_path / "data", **options)  # type: ignore[arg-type]
        made.append(wallet)
        return wallet

    yield factory
    for wallet in made:
        wallet.delete()  # removes this test's keyring entries (idempotent)


@pytest.fixture
def wallet(make_wallet: WalletFactory) -> Wallet:
    return make_wallet()
