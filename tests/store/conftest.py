"""Every store test runs on both engines: a SQLite file in tmp_path and a fresh database
on the suite's real PostgreSQL server (tests/helpers/postgres.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from auth_server.store import Store
from tests.helpers.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.25)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the test's database lives (migrated on PostgreSQL, a new file on SQLite)."""
    if request.param == "sqlite":
        return tmp_path / "sigil.db"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def open_store(target: Path | str, clock: FakeClock) -> Iterator[Callable[[], Store]]:
    """Opens another :class:`Store` on the same database: another server instance."""
    opened: list[Store] = []

    def make() -> Store:
        store = Store.open(target, clock=clock)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()
