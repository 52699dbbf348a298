"""Suite-wide fixtures. Run the suite through ``tests/run-suite`` (``make test``),
which provides a private D-Bus session and an unlocked gnome-keyring."""

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

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

# What makes a test slow (``make test-quick`` runs ``-m 'not slow'``): real parts that take
# seconds to start: a browser, PostgreSQL, a real relying party, the .deb.
SLOW_MARKERS = ("e2e", "postgres", "relying_party", "packaging")
DESKTOP_DIR = Path(__file__).resolve().parent / "desktop"


def _uses_postgres(item: pytest.Item) -> bool:
    """The ``postgres_server`` fixture, a fixture that gives a PostgreSQL server, a store
    parametrised to ``postgresql``, or the HTTP servers under ``SIGIL_TEST_DB=postgresql``."""
    names = getattr(item, "fixturenames", ())
    if "postgres_server" in names:
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in callspec.params.values():
        return True
    if os.environ.get("SIGIL_TEST_DB") == "postgresql" and "server_factory" in names:
        return True
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        for fixturedef in defs:
            if "PostgresServer" in str(getattr(fixturedef.func, "__annotations__", {}).get("return", "")):
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if DESKTOP_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.gui)
        if _uses_postgres(item):
            item.add_marker(pytest.mark.postgres)
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


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
