"""Rate limits: shared memory per machine on SQLite, the shared database with PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from auth_server.config import Settings
from auth_server.counters import MemoryCounters
from auth_server.serving.bootstrap import open_store
from auth_server.store.ratelimits import DatabaseCounters


def test_sqlite_keeps_memory_counters(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "s.db")
    open_store(settings).close()
    assert type(settings.rate_limit_counters) is MemoryCounters


def _counters_of_a_started_instance(url: str) -> DatabaseCounters:
    settings = Settings(db_path=url)
    open_store(settings).close()
    assert isinstance(settings.rate_limit_counters, DatabaseCounters)
    return settings.rate_limit_counters


def test_postgresql_counts_in_the_database_for_every_instance(postgres_server) -> None:
    url = postgres_server.new_database()
    first, second = _counters_of_a_started_instance(url), _counters_of_a_started_instance(url)
    assert first is not second  # two instances
    now = 1_800_000_000.0
    answers = [counters.hit("ip:198.51.100.7", 3, 60.0, now) for counters in (first, second, first, second)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == 60.0
    assert first.hit("ip:198.51.100.7", 3, 60.0, now + 60.0) is None  # a new window
    assert second.hit("ip:other", 3, 60.0, now) is None
    first.close()
    second.close()
