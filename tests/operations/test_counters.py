"""The rate-limit counters: fixed windows, per process and shared by forked workers."""

from __future__ import annotations

import os

import pytest

from auth_server.counters import PROBES, MemoryCounters, SharedCounters


@pytest.fixture(params=["memory", "shared"])
def counters(request):
    return MemoryCounters() if request.param == "memory" else SharedCounters(slots=64)


def test_limit_per_window_then_a_new_window(counters):
    assert [counters.hit("ip:a", 3, 60.0, 1000.0 + i) for i in range(3)] == [None, None, None]
    assert counters.hit("ip:a", 3, 60.0, 1010.0) == pytest.approx(50.0)  # seconds until the window ends
    assert counters.hit("ip:b", 3, 60.0, 1010.0) is None  # other keys have their own count
    assert counters.hit("ip:a", 3, 60.0, 1060.0) is None  # the next window


def test_a_zero_limit_refuses_everything(counters):
    assert counters.hit("k", 0, 60.0, 5.0) == pytest.approx(60.0)


def test_shared_counters_survive_crowding():
    """More live keys than one probe run holds: the window that ends first is forgotten,
    and every key still counts correctly while it is remembered."""
    counters = SharedCounters(slots=PROBES)  # one run: every key competes for the same slots
    for i in range(PROBES):
        assert counters.hit(f"k{i}", 1, 100.0 + i, 0.0) is None
    assert counters.hit("k7", 1, 60.0, 1.0) is not None  # still remembered
    assert counters.hit("new", 1, 60.0, 1.0) is None  # takes k0's slot (its window ends first)
    assert counters.hit("new", 1, 60.0, 2.0) is not None
    assert counters.hit("k0", 1, 60.0, 2.0) is None  # forgotten, so counted afresh


def test_forked_workers_count_in_one_table():
    counters = SharedCounters()
    counters.hit("ip:a", 5, 60.0, 0.0)
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            allowed = sum(counters.hit("ip:a", 5, 60.0, 1.0) is None for _ in range(2))
            os._exit(allowed)
        children.append(pid)
    allowed_in_children = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children)
    assert allowed_in_children == 4
    assert counters.hit("ip:a", 5, 60.0, 2.0) is not None  # 1 + 4 = the limit, seen by the parent too


def test_slot_count_must_be_a_power_of_two():
    with pytest.raises(ValueError):
        SharedCounters(slots=100)
