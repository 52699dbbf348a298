"""One client address holds at most SIGIL_MAX_CONNECTIONS_PER_ADDRESS connections (issue 22):
~1,100 half-open sockets from one machine, reopened as the head timeout closed them, filled
the worker's 1,000 connection slots and everyone else waited. A real ``sigil-server serve``
on loopback; the attacker's sockets come from 127.0.0.2, the other client from 127.0.0.1."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.operations.test_hardening import _closed_by_server, serving

ATTACKER = "127.0.0.2"


def _half_open(url: str, count: int) -> list[socket.socket]:
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    opened = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=10, source_address=(ATTACKER, 0))
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # half a head, never finished
        except OSError:
            pass  # already closed by the server: that is the point
        opened.append(sock)
    return opened


def _healthz_seconds(url: str) -> float:
    started = time.monotonic()
    assert httpx.get(f"{url}/healthz", timeout=15).status_code == 200
    return time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("threads", ["4", "0"], ids=["thread-pool", "loop-mode"])
def test_one_address_cannot_fill_the_connection_slots(tmp_path, threads) -> None:
    with serving(tmp_path, "--threads", threads, "--quiet") as served:
        sockets = _half_open(served.url, 1100)
        try:
            time.sleep(0.5)  # let the loop accept what it will
            assert _healthz_seconds(served.url) < 2.0  # another client is answered at once
            closed = [_closed_by_server(sock, within=0.05) for sock in sockets[-200:]]
            assert all(closed), f"{closed.count(False)} of the last 200 still open"
            held = [not _closed_by_server(sock, within=0.01) for sock in sockets[:64]]
            assert all(held), "the first 64 (the default cap) are kept"
            assert "SIGIL_MAX_CONNECTIONS_PER_ADDRESS" in served.log()  # the operator is told, once
        finally:
            for sock in sockets:
                sock.close()


@pytest.mark.slow
def test_the_cap_is_a_setting_and_trusted_proxies_are_not_capped(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with serving(tmp_path / "a", "--quiet", env={"SIGIL_MAX_CONNECTIONS_PER_ADDRESS": "5"}) as served:
        sockets = _half_open(served.url, 8)
        try:
            time.sleep(0.3)
            assert [_closed_by_server(sock, within=0.2) for sock in sockets] == [False] * 5 + [True] * 3
        finally:
            for sock in sockets:
                sock.close()
    with serving(tmp_path / "b", "--quiet", "--trusted-proxy", ATTACKER,
                 env={"SIGIL_MAX_CONNECTIONS_PER_ADDRESS": "5"}) as served:
        sockets = _half_open(served.url, 20)
        try:
            time.sleep(0.3)
            assert not any(_closed_by_server(sock, within=0.05) for sock in sockets)
        finally:
            for sock in sockets:
                sock.close()


def test_a_bad_cap_is_a_clear_error(tmp_path) -> None:
    from auth_server.config import Settings

    with pytest.raises(ValueError, match="SIGIL_MAX_CONNECTIONS_PER_ADDRESS"):
        Settings(db_path=tmp_path / "x.db", max_connections_per_address=-1)
    assert Settings(db_path=tmp_path / "x.db").max_connections_per_address == 64
