"""A real server per test: waitress on a free loopback port, a real SQLite file in tmp_path.

``server(**overrides)`` starts one (settings overrides as keyword arguments) and returns a
:class:`RunningServer`; the npm ``bitcoin-auth`` package makes the tokens (``node_peer``
from the suite's conftest; ``peer_key`` gives a fresh key from @bsv/sdk).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.helpers.node_peer import NodePeer
from tests.helpers.server import RunningServer
from tests.helpers.server import server_factory as servers

SIGN_IN = "/api/auth/sign-in/sigma"


@pytest.fixture(params=[8, 0], ids=["thread-pool", "loop-mode"])
def server_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Every HTTP test runs twice: on waitress's thread pool and with ``threads=0``
    (requests served on the I/O loop, auth_server/serving/waitress_glue.py)."""
    with servers(request, tmp_path, request.param) as make:
        yield make


@pytest.fixture
def server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory()


@pytest.fixture
def peer(node_peer: NodePeer) -> NodePeer:
    return node_peer


@pytest.fixture
def peer_key(node_peer: NodePeer) -> tuple[str, str]:
    """(WIF, pubkey) of a fresh key made by @bsv/sdk."""
    return node_peer.key()


def js_timestamp(offset_seconds: float = 0.0) -> str:
    """``Date.toISOString()`` of now plus an offset."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
