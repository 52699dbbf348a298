"""One server process: its listening sockets and waitress, in a background thread.

Never bottle's development server: waitress is a production server with a thread pool.
:class:`ServerThread` runs any WSGI app (bind port 0 to get a free port); what app, on
which store and settings, is :mod:`auth_server.serving.bootstrap`'s business. What Sigil
changes inside waitress is :mod:`auth_server.serving.waitress_glue`.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from waitress.server import BaseWSGIServer, MultiSocketServer

from auth_server.config import Settings
from auth_server.forwarded import client_address
from auth_server.serving.waitress_glue import (
    LoopDispatcher,
    QuietChannel,
    enforce_head_timeout,
    limit_connections_per_address,
    prepare_loop_mode,
    run_loop,
)

log = logging.getLogger("sigil.server")
access_log = logging.getLogger("sigil.access")
# waitress warns "Task queue depth is N" for every request that finds all threads busy,
# which is the normal state of a loaded server with keep-alive clients: a log record and
# a stderr write per request (~7 % of a worker's Python time in bench.signin). Errors
# from that logger still show.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: how long a connection may sit with a request head half-sent, or idle between requests
DEFAULT_HEAD_TIMEOUT_SECONDS: float = Settings.head_timeout_seconds
#: how long a connection whose request head has arrived may go without traffic (a slow body)
CHANNEL_TIMEOUT_SECONDS = 60


class AccessLog:
    """WSGI middleware: ``METHOD /path STATUS 1.2ms``. The query string is left out (it can
    carry codes and tokens), and so are all headers (cookies, X-Auth-Token, Authorization)."""

    def __init__(self, app: WSGIApp, logger: logging.Logger = access_log) -> None:
        self.app = app
        self.logger = logger

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status_holder: list[str] = []

        def _start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            status_holder.append(status)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self.app(environ, _start_response)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                status = status_holder[-1].split(" ", 1)[0] if status_holder else "-"
                self.logger.info("%s %s %s %.1fms %s", environ.get("REQUEST_METHOD", "-"),
                                 environ.get("PATH_INFO", "-"), status, (time.perf_counter() - started) * 1000,
                                 client_address(environ))


def create_server(
    app: WSGIApp, host: str, port: int, threads: int = 8, sock: socket.socket | None = None, *,
    max_body_bytes: int | None = None, head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS,
    per_address: int = 0, exempt: Callable[[str], bool] | None = None,
) -> BaseWSGIServer | MultiSocketServer:
    """A bound (not yet running) waitress server; on ``sock`` when given (pre-fork workers).

    ``threads=0`` serves requests on the I/O loop itself (see :mod:`auth_server.serving.waitress_glue`);
    such a server must be run with :func:`run_server`, not its own ``run()``. Bodies above
    ``max_body_bytes`` (default: the auth server's own limit) are refused by waitress before
    they are read; a connection has ``head_timeout`` seconds for each request head; one
    client address holds at most ``per_address`` connections (0: no cap) unless ``exempt``
    says it is a trusted proxy.
    """
    if threads < 0:
        raise ValueError("threads must be 0 (serve on the I/O loop) or more")
    where: dict[str, Any] = {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
    if threads == 0:
        where["_dispatcher"] = LoopDispatcher()
    server = waitress.create_server(
        app, threads=max(threads, 1), ident="sigil",
        # the app reads (trusted) or drops (anyone else) the proxy headers itself: auth_server/forwarded.py
        clear_untrusted_proxy_headers=False,
        connection_limit=1000, backlog=1024, expose_tracebacks=False, **where,
        # poll() instead of select(): no FD_SETSIZE limit, and measurably less work per loop
        asyncore_use_poll=True,
        **_limit_adjustments(max_body_bytes, head_timeout),
    )
    socket_map = _socket_map(server)
    if threads == 0:
        prepare_loop_mode(socket_map)
    else:
        for dispatcher in list(socket_map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                dispatcher.channel_class = QuietChannel  # type: ignore[misc]
    enforce_head_timeout(socket_map, head_timeout)
    limit_connections_per_address(socket_map, per_address, exempt or (lambda address: False))
    return server


def _limit_adjustments(max_body_bytes: int | None, head_timeout: float) -> dict[str, Any]:
    """Waitress adjustments that bound what one client can make the server hold.

    ``max_request_body_size``: waitress reads a whole body into a buffer before the app
    sees it, so the app's own size check only answers after a 200 MB upload has arrived.
    At the server, a ``Content-Length`` above the limit is answered 413 right after the
    head, and a chunked body is cut as it passes the limit. (Waitress refuses a length
    *equal* to its setting, hence the + 1: a body of exactly the limit reaches the app.)
    ``cleanup_interval``: how often idle channels are looked at; once a second, so that
    the head timeout (:func:`enforce_head_timeout`) holds to about a second.
    """
    if max_body_bytes is None:
        from auth_server.web.request_context import SERVER_MAX_BODY_BYTES

        max_body_bytes = SERVER_MAX_BODY_BYTES  # the sign-in's; every other route refuses more than 64 KiB
    if head_timeout <= 0:
        raise ValueError("head timeout must be positive")
    return {"max_request_body_size": max_body_bytes + 1, "channel_timeout": CHANNEL_TIMEOUT_SECONDS,
            "cleanup_interval": 1}


def run_server(server: Any) -> None:
    """Run a server from :func:`create_server` until it is shut down."""
    if isinstance(server.task_dispatcher, LoopDispatcher):
        run_loop(server.adj, _socket_map(server), server.task_dispatcher)
    else:
        server.run()


class ServerThread:
    """Waitress in a daemon thread: ``start()``, then ``port``/``url``; ``stop()`` shuts it down."""

    def __init__(
        self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0, threads: int = 8, sock: socket.socket | None = None,
        *, max_body_bytes: int | None = None, head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS,
        per_address: int = 0, exempt: Callable[[str], bool] | None = None,
    ) -> None:
        self.app = app
        self.sock = sock
        self.limits: dict[str, Any] = {"max_body_bytes": max_body_bytes, "head_timeout": head_timeout,
                                       "per_address": per_address, "exempt": exempt}
        self.host = host
        self.requested_port = port
        self.threads = threads
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> ServerThread:
        self._server = create_server(self.app, self.host, self.requested_port, self.threads, self.sock, **self.limits)
        self._thread = threading.Thread(target=run_server, args=(self._server,), name=f"sigil-waitress-{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        """The bound port (the real one when port 0 was asked)."""
        if self._server is None:
            raise RuntimeError("server not started")
        if isinstance(self._server, MultiSocketServer):
            return int(self._server.effective_listen[0][1])
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        return http_url(self.host, self.port)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listening socket and every connection, then end the worker threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        _shutdown(server)
        thread.join(timeout)
        self._server = None
        self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _socket_map(server: Any) -> dict[int, Any]:
    return server.map if isinstance(server, MultiSocketServer) else server._map


def _shutdown(server: Any) -> None:
    """Stop a running waitress server from another thread.

    The asyncore loop runs while its socket map has entries, so the loop thread itself
    (woken by a trigger) closes every channel, listener and trigger; the loop then ends
    and the task threads finish their current request and exit.
    """
    socket_map = _socket_map(server)
    trigger = next((d.trigger for d in list(socket_map.values()) if isinstance(d, BaseWSGIServer)), None)
    done = threading.Event()

    def close_everything() -> None:
        try:
            for dispatcher in list(socket_map.values()):
                try:
                    dispatcher.close()
                except OSError:
                    pass
            socket_map.clear()
        finally:
            done.set()

    pulled = False
    if trigger is not None:
        try:
            trigger.pull_trigger(close_everything)
            pulled = True
        except OSError:  # the trigger pipe is already gone: the loop cannot be woken
            log.warning("waitress trigger unusable at shutdown; closing sockets from this thread")
    if pulled:
        done.wait(5.0)
    else:
        close_everything()
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


def stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """Set ``stop`` on SIGINT/SIGTERM (a clean shutdown); returns the handlers it replaced."""
    def on_signal(signum: int, frame: Any) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    return {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}


def restore_signals(previous: dict[int, Any]) -> None:
    """Put back the handlers :func:`stop_on_signals` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def http_url(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listening_sockets(host: str, port: int, workers: int) -> list[socket.socket]:
    """One listening socket per worker on Linux (``SO_REUSEPORT``), else one shared by all.

    With one shared socket, whichever worker wakes first accepts: a burst of new
    connections can land on one worker while the other idles (measured: all 32 of a
    benchmark's connections on one of two workers, in some runs). With a socket each,
    the kernel spreads connections over the workers by a hash of their addresses.
    (Other systems' ``SO_REUSEPORT`` does not balance, so they share one socket.)
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if workers == 1 or not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        return [socket.create_server((host, port), family=family, backlog=1024)]
    sockets: list[socket.socket] = []
    try:
        for _ in range(workers):
            sockets.append(reuseport_socket(host, port))
            port = sockets[-1].getsockname()[1]  # port 0: the others join the port the first one got
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def reuseport_socket(host: str, port: int) -> socket.socket:
    """One more listening socket in the ``SO_REUSEPORT`` group of ``host:port``."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock
