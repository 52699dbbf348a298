"""A real server per test: waitress on a free loopback port, a real SQLite file in tmp_path.

``server(**overrides)`` starts one (settings overrides as keyword arguments) and returns a
:class:`RunningServer`; the npm ``bitcoin-auth`` package makes the tokens (``node_peer``
from the suite's conftest; ``peer_key`` gives a fresh key from @bsv/sdk).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth_server.config import Settings
from auth_server.serving import ServerThread
from auth_server.store import Store
from auth_server.web import create_app
from tests.helpers.node_peer import NodePeer
from tests.helpers.postgres import database_for_test

SIGN_IN = "/api/auth/sign-in/sigma"


class Clock:
    """Real time plus an offset tests can move (sessions expiring, challenges ageing)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class RunningServer:
    settings: Settings
    store: Store
    thread: ServerThread
    clock: Clock
    db_path: Path
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.thread.url

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request on a fresh connection with no cookie jar (cookies only when passed)."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            return client.request(method, path, **kwargs)

    def sign_in(self, token: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"X-Auth-Token": token, **kwargs.pop("headers", {})}
        if body is None:
            return self.request("POST", SIGN_IN, json={}, headers=headers, **kwargs)
        if isinstance(body, (str, bytes)):
            return self.request("POST", SIGN_IN, content=body, headers={"Content-Type": "application/json", **headers}, **kwargs)
        return self.request("POST", SIGN_IN, json=body, headers=headers, **kwargs)

    def stop(self) -> None:
        self.thread.stop()
        self.store.close()


def start_server(db_path: Path, threads: int = 8, **overrides: Any) -> RunningServer:
    clock = overrides.pop("clock", None) or Clock()
    settings = Settings(db_path=db_path, port=0, clock=clock, **{"rate_limit_enabled": False, **overrides})
    store = Store.open(db_path, clock=clock)
    explicit_base = "base_url" in overrides
    thread = ServerThread(create_app(settings, store), "127.0.0.1", 0, threads=threads).start()
    if not explicit_base:
        settings.base_url = thread.url
    return RunningServer(settings, store, thread, clock, db_path)


@pytest.fixture(params=[8, 0], ids=["thread-pool", "loop-mode"])
def server_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Every HTTP test runs twice: on waitress's thread pool and with ``threads=0``
    (requests served on the I/O loop, auth_server/waitress_glue.py)."""
    started: list[RunningServer] = []

    def make(db_path: Path | None = None, **overrides: Any) -> RunningServer:
        db = db_path or database_for_test(request, tmp_path / "sigil.db")
        running = start_server(db, request.param, **overrides)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


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
