"""The one way tests start a real Sigil server: the startup path of ``sigil-server serve``
(:func:`auth_server.serving.bootstrap.start_server`) on a free loopback port and a real
database. The socket is bound before the app is built, so the base URL (the issuer) is
the real one from the start."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from auth_server.config import Settings
from auth_server.paths import is_postgres
from auth_server.serving import bootstrap
from auth_server.signin import SIGN_IN_PATH
from tests.helpers.clock import FakeClock
from tests.helpers.secrets_file import shared_secret_file


@dataclass
class RunningServer(bootstrap.RunningServer):
    """A server from :func:`start_server`, with the clock it runs on and request helpers."""

    clock: Any
    db_path: Path | str

    def http(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request on a fresh connection with no cookie jar (cookies only when passed)."""
        with self.http() as client:
            return client.request(method, path, **kwargs)

    def sign_in(self, token: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """``POST`` the sign-in endpoint with ``token``; ``body`` as JSON, or raw when a string."""
        headers = {"X-Auth-Token": token, **kwargs.pop("headers", {})}
        if body is None:
            return self.request("POST", SIGN_IN_PATH, json={}, headers=headers, **kwargs)
        if isinstance(body, (str, bytes)):
            return self.request("POST", SIGN_IN_PATH, content=body,
                                headers={"Content-Type": "application/json", **headers}, **kwargs)
        return self.request("POST", SIGN_IN_PATH, json=body, headers=headers, **kwargs)


def start_server(db_path: Path | str, threads: int = 8, **overrides: Any) -> RunningServer:
    """A started server on ``db_path``; ``overrides`` are :class:`Settings` fields (rate limits
    and the access log are off unless asked for; the clock follows real time unless one is
    given). No background upkeep: a test drives the clock and the purge itself."""
    clock = overrides.pop("clock", None) or FakeClock(None)
    if is_postgres(db_path) and "secret_file" not in overrides:
        overrides["secret_file"] = shared_secret_file()  # PostgreSQL needs one given explicitly
    settings = Settings(db_path=db_path, host="127.0.0.1", port=0, threads=threads, clock=clock,
                        **{"rate_limit_enabled": False, "log_requests": False, **overrides})
    started = bootstrap.start_server(settings, upkeep=False)
    return RunningServer(settings, started.store, started.thread, clock, db_path)


@contextmanager
def server_factory(request: Any, tmp_path: Path, threads: int, **defaults: Any) -> Iterator[Callable[..., RunningServer]]:
    """What a suite's ``server_factory`` fixture yields: ``make(db_path=None, **overrides)``
    starts a server (``threads``; ``defaults`` then ``overrides`` as :class:`Settings` fields)
    on ``db_path`` or the test's database (tests/helpers/postgres.py: SQLite in ``tmp_path``,
    or PostgreSQL); every one started is stopped when the block ends."""
    from tests.helpers.postgres import database_for_test

    started: list[RunningServer] = []

    def make(db_path: Path | str | None = None, **overrides: Any) -> RunningServer:
        running = start_server(db_path or database_for_test(request, tmp_path / "sigil.db"), threads,
                               **{**defaults, **overrides})
        started.append(running)
        return running

    try:
        yield make
    finally:
        for running in started:
            running.stop()
