"""Fixtures of the interop tests that need more than ``bitcoin-auth`` (``tokenpass_peer`` is
suite-wide, in tests/conftest.py: the browser tests check their answers with it too)."""

from tests.wallet.conftest import clock, make_wallet, secret_service, service, wallet  # noqa: F401 -- shared fixtures
