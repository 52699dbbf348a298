"""What Sigil changes inside waitress: a quieter channel, a head timeout, a cap per address, and an optional loop-only mode.

:class:`QuietChannel` (always on) stops waitress's loop from spinning while a task thread
writes an answer. :class:`GuardedChannel` (every channel) answers waitress's own refusals
as JSON, gives a connection a short time to send each request head
(:func:`enforce_head_timeout`) and closes a new connection at once when its address
already holds its share of the connection slots (:func:`limit_connections_per_address`).

``--threads 0`` (:class:`LoopDispatcher`, :func:`run_loop`) runs each request on the I/O
loop thread instead of a thread pool. Waitress normally reads a request on its loop
thread, hands it to a task thread, and the task thread hands the answer back: two thread
switches, each a GIL hand-off, per request. On two shared cores those hand-offs cost more
than the app itself (a sign-in's own code is ~320 µs; a loaded threaded worker spent
~1,100 µs of CPU per sign-in, ~700 µs in this mode). With one process per core
(``--workers N``) the threads add no parallelism anyway, since the GIL runs one of them at
a time. So here the loop serves the queued requests itself right after each poll: same
parser, channels, buffers and timeouts as waitress, no thread switches.

The price: while one request runs, the other connections of that worker wait. Every
built-in endpoint answers in about a millisecond without waiting on the network (a
client's keys at a ``jwks_uri`` are fetched in a thread of their own, and a request waits
for them at most ``oauth.provider.LOOP_FETCH_WAIT``), so that is fine; an extension that blocks (a ``resolve_bap_id`` that calls a remote service)
should keep the thread pool.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

log = logging.getLogger("sigil.server")
#: poll timeout while nothing is queued; waitress's own loop uses the same second
IDLE_POLL_SECONDS = 1.0


class JsonErrorTask(ErrorTask):
    """Waitress's own refusals (413 body too large, 400 unparsable head, 431 head too large)
    in the JSON shape of every other answer (``{"message", "code"}``), not as plain text."""

    CODES = {400: "BAD_REQUEST", 413: "PAYLOAD_TOO_LARGE", 431: "HEADERS_TOO_LARGE", 500: "INTERNAL_ERROR",
             501: "NOT_IMPLEMENTED"}

    def execute(self) -> None:
        error = self.request.error
        if error.code == 413:
            message = f"request body is larger than {self.channel.adj.max_request_body_size - 1} bytes"
        else:
            message = f"{error.reason.lower()}: {error.body}"
        body = json.dumps({"message": message, "code": self.CODES.get(error.code, "BAD_REQUEST")}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class GuardedChannel(HTTPChannel):
    """Every channel here: waitress's refusals as JSON, and a deadline for each request head.

    The deadline: waitress has one timeout for every idle connection (60 s here). A client that opens
    connections and sends nothing, or half a head, holds one of the worker's 1,000
    connection slots for all that time: ~1,000 such sockets from one machine shut
    everyone else out. So waiting for a head gets a deadline of its own: from the
    connection's start, or from the last request's service. A request whose head has
    arrived (a body on its way) keeps the channel timeout.
    """

    error_task_class = JsonErrorTask

    _counted: str | None = None  # the address this channel counts against (None: not counted)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_since = self.creation_time
        cap: _AddressCap | None = getattr(self.server, "sigil_address_cap", None)
        if cap is not None and not cap.admit(self):
            self.handle_close()  # on the loop thread, before a byte is read: the slot is free again

    def del_channel(self, map: Any = None) -> None:
        cap: _AddressCap | None = getattr(self.server, "sigil_address_cap", None)
        if cap is not None:
            cap.release(self)
        super().del_channel(map)

    def service(self) -> None:
        self.head_since = time.time()  # set before too: the loop may look while this runs
        try:
            super().service()
        finally:
            self.head_since = time.time()

    def awaiting_head(self) -> bool:
        """Nothing to serve or send, and no complete head: the client owes the next head."""
        request = self.request
        return (not self.requests and not self.total_outbufs_len
                and (request is None or not request.headers_finished))


def enforce_head_timeout(socket_map: dict[int, Any], head_timeout: float) -> None:
    """Close, at each maintenance pass of the servers in ``socket_map``, every channel that
    has waited longer than ``head_timeout`` seconds for a request head."""
    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.maintenance = _HeadTimeoutMaintenance(dispatcher, head_timeout)  # type: ignore[method-assign]


class _HeadTimeoutMaintenance:
    """Waitress's own idle-channel pass, then the head deadline (runs on the loop thread)."""

    def __init__(self, server: BaseWSGIServer, head_timeout: float) -> None:
        self.server = server
        self.head_timeout = head_timeout
        self.waitress_pass = server.maintenance

    def __call__(self, now: float) -> None:
        self.waitress_pass(now)
        cutoff = now - self.head_timeout
        for channel in list(self.server.active_channels.values()):
            if isinstance(channel, GuardedChannel) and channel.head_since < cutoff and channel.awaiting_head():
                channel.will_close = True


class _AddressCap:
    """Connections open per client address of one server (channels are made and normally
    closed on its loop thread; a lock keeps the count right should a task thread close one).
    An address past ``limit`` has its new connection
    closed at once, so ~1,100 half-open sockets from one machine, reopened as the head
    timeout closes them, no longer fill the 1,000 slots everyone else needs."""

    def __init__(self, limit: int, exempt: Callable[[str], bool]) -> None:
        self.limit = limit
        self.exempt = exempt
        self.open: Counter[str] = Counter()
        self._warned_at = 0.0
        self._lock = threading.Lock()

    def admit(self, channel: GuardedChannel) -> bool:
        addr = channel.addr
        address = str(addr[0]) if isinstance(addr, tuple) and addr else ""
        if not address or self.exempt(address):
            return True
        with self._lock:
            full = self.open[address] >= self.limit
            if not full:
                self.open[address] += 1
                channel._counted = address
        if full:
            now = time.monotonic()
            if now - self._warned_at > 60:  # one line a minute, not one per refused socket
                self._warned_at = now
                log.warning("closing new connections from %s: it already holds %d (SIGIL_MAX_CONNECTIONS_PER_ADDRESS)",
                            address, self.limit)
        return not full

    def release(self, channel: GuardedChannel) -> None:
        with self._lock:
            address, channel._counted = channel._counted, None
            if address is not None:
                self.open[address] -= 1
                if self.open[address] <= 0:
                    del self.open[address]


def limit_connections_per_address(socket_map: dict[int, Any], limit: int,
                                  exempt: Callable[[str], bool] = lambda address: False) -> None:
    """At most ``limit`` open connections per client address on the servers of ``socket_map``
    (0: no cap); addresses for which ``exempt`` is true (trusted proxies) are not counted."""
    if limit <= 0:
        return
    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.sigil_address_cap = _AddressCap(limit, exempt)  # type: ignore[attr-defined]


class QuietChannel(GuardedChannel):
    """Waitress's HTTP channel without its busy loop while a task thread writes.

    A task thread's ``write_soon`` counts the response as buffered, then sends it itself
    while holding the channel's output lock. Meanwhile waitress's main loop sees the
    channel as writable, fails to take the lock, does nothing, and polls again: measured
    at ~10 empty passes over every connection per request under load, holding the GIL
    the writing thread needs back (about half of a worker's Python time at concurrency
    32). So the channel does not ask for POLLOUT while its task thread is inside
    ``write_soon``; when that thread leaves bytes unsent (a slow client), it wakes the
    loop (the trigger) on the way out, and the loop flushes them as before. Closing,
    errors and the high-watermark wait keep waitress's own behaviour.
    """

    _writing = 0  # task thread inside write_soon (one task per channel at a time)

    def write_soon(self, data: Any) -> int:
        self._writing += 1
        try:
            return int(super().write_soon(data))
        finally:
            self._writing -= 1
            if self.total_outbufs_len and self.connected:
                self.server.pull_trigger()  # leftovers: let the main loop see them as writable now

    def writable(self) -> bool:
        if (self._writing and not self.will_close and not self.close_when_flushed
                and self.total_outbufs_len <= self.adj.outbuf_high_watermark):
            return False
        return bool(super().writable())


class LoopDispatcher:
    """Waitress's task-dispatcher interface, queueing channels for :func:`run_loop`."""

    def __init__(self) -> None:
        self.pending: deque[Any] = deque()

    def set_thread_count(self, count: int) -> None:
        """Part of waitress's interface; there are no threads to size."""

    def add_task(self, channel: Any) -> None:
        # Called from inside the channel's ``received`` while it holds its requests lock,
        # so the request must not run here: the loop runs it after this poll pass.
        self.pending.append(channel)

    def run_pending(self) -> None:
        """Serve every queued request (a channel re-queues itself for its next pipelined one)."""
        pending = self.pending
        while pending:
            channel = pending.popleft()
            try:
                channel.service()
            except Exception:  # waitress answers app errors itself; this is a bug in between
                log.exception("request failed outside the app; closing the connection")
                channel.will_close = True

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        # Nothing to stop: the loop ends once shutdown has emptied its socket map. (The
        # queue is left to the loop thread, which is the only one to touch it.)
        return True


class LoopChannel(GuardedChannel):
    """A channel whose writes never wait for the loop (they run on it)."""

    def _flush_outbufs_below_high_watermark(self) -> None:
        # Waitress makes a task thread wait here until the loop has sent what is above the
        # high watermark (16 MB); on the loop thread that wait would never end. The answers
        # stay buffered instead (spilling to a temporary file past 1 MB) and go out as the
        # socket takes them.
        return None


def prepare_loop_mode(socket_map: dict[int, Any]) -> None:
    """Switch the servers of a waitress server created with a :class:`LoopDispatcher` to loop channels."""
    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = LoopChannel  # type: ignore[misc]
            # Channels wake the loop after each answer; here they run on it already.
            dispatcher.pull_trigger = _already_awake  # type: ignore[method-assign]


def _already_awake(*_: Any) -> None:
    return None


def run_loop(adjustments: Any, socket_map: dict[int, Any], dispatcher: LoopDispatcher) -> None:
    """Poll, then serve what the poll queued, until the socket map is empty (shutdown)."""
    poll = wasyncore.poll2 if adjustments.asyncore_use_poll else wasyncore.poll
    while socket_map:
        poll(0.0 if dispatcher.pending else IDLE_POLL_SECONDS, socket_map)
        dispatcher.run_pending()
