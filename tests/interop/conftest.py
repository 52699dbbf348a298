"""Fixtures of the interop tests that need more than ``bitcoin-auth``."""

from collections.abc import Iterator

import pytest

from tests.helpers.node_peer import TOKENPASS_PEER_SCRIPT, NodePeer
from tests.wallet.conftest import clock, make_wallet, secret_service, service, wallet  # noqa: F401 -- shared fixtures


@pytest.fixture(scope="session")
def tokenpass_peer() -> Iterator[NodePeer]:
    """bitcoin-backup, bsv-bap and @bsv/sdk in one Node process (``tokenpass_peer.mjs``)."""
    peer = NodePeer(TOKENPASS_PEER_SCRIPT, needs="bsv-bap")
    yield peer
    peer.close()
