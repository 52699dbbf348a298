"""Suite-wide fixtures. Run the suite through ``tests/run-suite`` (``make test``),
which provides a private D-Bus session and an unlocked gnome-keyring."""

from collections.abc import Iterator

import pytest

from tests.helpers.node_peer import NodePeer


@pytest.fixture(scope="session")
def node_peer() -> Iterator[NodePeer]:
    """The reference ``bitcoin-auth`` in Node, one process for the whole run."""
    peer = NodePeer()
    yield peer
    peer.close()
