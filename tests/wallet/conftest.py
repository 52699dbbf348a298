"""The wallet on the real Secret Service and the file fallback (tests/helpers/fixtures/wallet.py)."""

from tests.helpers.fixtures.wallet import (  # noqa: F401
    clock,
    make_wallet,
    secret_service,
    service,
    store_kind,
    wallet,
)
