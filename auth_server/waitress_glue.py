"""What Sigil changes inside waitress: a quieter channel, and an optional loop-only mode.

:class:`QuietChannel` (always on) stops waitress's loop from spinning while a task thread
writes an answer.

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
built-in endpoint answers in about a millisecond without waiting on the network, so that
is fine; an extension that blocks (a ``resolve_bap_id`` that calls a remote service)
should keep the thread pool.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

log = logging.getLogger("sigil.server")
#: poll timeout while nothing is queued; waitress's own loop uses the same second
IDLE_POLL_SECONDS = 1.0


class QuietChannel(HTTPChannel):
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


class LoopChannel(HTTPChannel):
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
