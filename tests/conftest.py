"""Suite-wide fixtures. Run the suite through ``tests/run-suite`` (``make test``),
which provides a private D-Bus session and an unlocked gnome-keyring."""

import importlib.util
from collections.abc import Iterator

import pytest

from tests.helpers.node_peer import TOKENPASS_PEER_SCRIPT, NodePeer, OpenIDClientPeer
from tests.helpers.postgres import PostgresServer


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


# Without the GUI extra (no PySide6) the widget tests (tests/desktop) are not collected; tests/signer still runs.
collect_ignore = [] if _installed("PySide6") else ["desktop"]


@pytest.fixture(scope="session")
def node_peer() -> Iterator[NodePeer]:
    """The reference ``bitcoin-auth`` in Node, one process for the whole run."""
    peer = NodePeer()
    yield peer
    peer.close()


@pytest.fixture(scope="session")
def openid_client() -> Iterator[OpenIDClientPeer]:
    """``openid-client`` in Node (the certified relying-party library), one process per run."""
    peer = OpenIDClientPeer()
    yield peer
    peer.close()


@pytest.fixture(scope="session")
def tokenpass_peer() -> Iterator[NodePeer]:
    """bitcoin-backup, bsv-bap and @bsv/sdk in one Node process (``tokenpass_peer.mjs``)."""
    peer = NodePeer(TOKENPASS_PEER_SCRIPT, needs="bsv-bap")
    yield peer
    peer.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL (Debian's package) in a temp dir, one for the whole run."""
    from tests.helpers import postgres

    if not postgres.available():
        pytest.skip(f"PostgreSQL binaries not found in {postgres.PG_BIN} (apt-get install postgresql)")
    server = postgres.PostgresServer()
    yield server
    server.stop()
