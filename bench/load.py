"""The load generator of the HTTP benchmarks: keep-alive connections on one event loop per process.

The load generator shares the machine's two cores with the server, so every microsecond
it spends is taken from the server. Each client process therefore runs one ``selectors``
loop over its connections (no threads, so no GIL hand-offs), sends requests whose bytes
were built before the timed run, and reads only the status line and Content-Length of
each answer. Every connection has one request in flight at a time, as a browser or an
HTTP client library with keep-alive would: no pipelining. This is enough for this
server's answers (always a Content-Length, never chunked) and refuses anything else.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import selectors
import socket
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.server import server_cpu_seconds

_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def build_request(method: str, path: str, host: str, port: int, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 keep-alive request."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


@dataclass
class Connection:
    sock: socket.socket
    queue: list[bytes]
    next_index: int = 0
    buffer: bytes = b""
    sent_at: float = 0.0


@dataclass
class Figures:
    """What one timed run measured."""

    rate: float
    latencies: list[float]  # seconds, sorted
    bodies: list[bytes] = field(default_factory=list)
    server_cpu_us: float | None = None  # server CPU (all its processes) per request
    database_cpu_us: float | None = None  # PostgreSQL's CPU (all its processes) per request, when it was measured
    client_cpu_us: float = 0.0  # the load generator's CPU per request

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * 0.99))] * 1000


def _answer_length(buffer: bytes) -> int | None:
    """Length of the first whole answer in ``buffer``, or None while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    match = _LENGTH.search(buffer, 0, end + 2)
    if match is None:
        raise ValueError(f"answer without Content-Length: {buffer[:200]!r}")
    total = end + 4 + int(match.group(1))
    return total if len(buffer) >= total else None


def _client_process(host: str, port: int, queues: list[list[bytes]], start_at: float, keep_bodies: bool,
                    out: mp.Queue) -> None:
    selector = selectors.DefaultSelector()
    connections = []
    for queue in queues:
        sock = socket.create_connection((host, port), timeout=30)  # connected before the clock starts
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        connections.append(Connection(sock, queue))
    latencies: list[float] = []
    bodies: list[bytes] = []
    errors: list[str] = []
    time.sleep(max(0.0, start_at - time.time()))
    began = time.perf_counter()
    for conn in connections:
        if conn.queue:
            conn.sent_at = time.perf_counter()
            conn.sock.sendall(conn.queue[0])
            selector.register(conn.sock, selectors.EVENT_READ, conn)
    open_count = len(selector.get_map())
    while open_count:
        for key, _ in selector.select():
            conn = key.data
            chunk = conn.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed a keep-alive connection")
            conn.buffer += chunk
            total = _answer_length(conn.buffer)
            if total is None:
                continue
            latencies.append(time.perf_counter() - conn.sent_at)
            answer, conn.buffer = conn.buffer[:total], conn.buffer[total:]
            if answer[9:12] != b"200":
                errors.append(answer[:300].decode("latin-1"))
            if keep_bodies:
                bodies.append(answer[answer.find(b"\r\n\r\n") + 4:])
            conn.next_index += 1
            if conn.next_index < len(conn.queue):
                conn.sent_at = time.perf_counter()
                conn.sock.sendall(conn.queue[conn.next_index])
            else:
                selector.unregister(conn.sock)
                open_count -= 1
    elapsed = time.perf_counter() - began
    for conn in connections:
        conn.sock.close()
    out.put((latencies, bodies, errors, elapsed))


def _cpu(pids: list[int]) -> float | None:
    seconds = [server_cpu_seconds(pid) for pid in pids]
    return None if not seconds or None in seconds else sum(s for s in seconds if s is not None)


def drive(host: str, port: int | Sequence[int], requests: list[bytes], concurrency: int, *, processes: int = 2,
          server_pid: int | Sequence[int] | None = None, keep_bodies: bool = False,
          database_pid: int | None = None) -> Figures:
    """Send ``requests`` over ``concurrency`` keep-alive connections spread over ``processes``.

    Several ports (server instances): client process ``i`` talks to ``port[i % len(port)]``,
    and the server CPU is summed over every ``server_pid``; ``database_pid`` (PostgreSQL's
    postmaster) is measured apart, with all its backends.
    Raises SystemExit when any answer is not 200 (a benchmark of errors measures nothing).
    """
    ports = [port] if isinstance(port, int) else list(port)
    pids = [] if server_pid is None else [server_pid] if isinstance(server_pid, int) else list(server_pid)
    processes = max(len(ports), min(processes, concurrency))
    queues = [requests[i::concurrency] for i in range(concurrency)]
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    start_at = time.time() + 0.5
    workers = [ctx.Process(target=_client_process,
                           args=(host, ports[i % len(ports)], queues[i::processes], start_at, keep_bodies, out))
               for i in range(processes)]
    cpu_before = _cpu(pids)
    db_before = _cpu([database_pid]) if database_pid else None
    clients_before = os.times()
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    cpu_after = _cpu(pids)
    db_after = _cpu([database_pid]) if database_pid else None
    for worker in workers:
        worker.join()
    clients_after = os.times()
    errors = [e for r in results for e in r[2]]
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]!r}")
    latencies = sorted(x for r in results for x in r[0])
    figures = Figures(len(latencies) / max(r[3] for r in results), latencies, [b for r in results for b in r[1]])
    figures.client_cpu_us = (clients_after.children_user + clients_after.children_system
                             - clients_before.children_user - clients_before.children_system) / len(latencies) * 1e6
    if cpu_before is not None and cpu_after is not None:
        figures.server_cpu_us = (cpu_after - cpu_before) / len(latencies) * 1e6
    if db_before is not None and db_after is not None:
        figures.database_cpu_us = (db_after - db_before) / len(latencies) * 1e6
    return figures
