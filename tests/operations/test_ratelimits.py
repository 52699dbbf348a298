"""Rate limits: shared memory per machine on SQLite, the shared database with PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from auth_server.config import Settings
from auth_server.counters import MemoryCounters
from auth_server.store.ratelimits import DatabaseCounters


def test_sqlite_keeps_memory_counters(tmp_path: Path) -> None:
    assert type(Settings(db_path=tmp_path / "s.db").rate_limit_counters) is MemoryCounters


def test_postgresql_counts_in_the_database_for_every_instance(postgres_server) -> None:
    url = postgres_server.new_database()
    first, second = Settings(db_path=url).rate_limit_counters, Settings(db_path=url).rate_limit_counters
    assert isinstance(first, DatabaseCounters) and first is not second  # two instances
    now = 1_800_000_000.0
    answers = [counters.hit("ip:198.51.100.7", 3, 60.0, now) for counters in (first, second, first, second)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == 60.0
    assert first.hit("ip:198.51.100.7", 3, 60.0, now + 60.0) is None  # a new window
    assert second.hit("ip:other", 3, 60.0, now) is None
    first.close()
    second.close()
