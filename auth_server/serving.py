"""Serving the WSGI app with waitress: in a background thread, or in the foreground for the CLI.

Never bottle's development server: waitress is a production server with a thread pool.
:class:`ServerThread` is what tests and the desktop app use (bind port 0 to get a free
port); :func:`serve_forever` is ``sigil-server serve``: one log line per request, clean
shutdown on SIGINT/SIGTERM.
"""

from __future__ import annotations

import gc
import logging
import os
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
from auth_server.counters import MemoryCounters, SharedCounters
from auth_server.forwarded import client_address
from auth_server.waitress_glue import (
    LoopDispatcher,
    QuietChannel,
    enforce_head_timeout,
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
) -> BaseWSGIServer | MultiSocketServer:
    """A bound (not yet running) waitress server; on ``sock`` when given (pre-fork workers).

    ``threads=0`` serves requests on the I/O loop itself (see :mod:`auth_server.waitress_glue`);
    such a server must be run with :func:`run_server`, not its own ``run()``. Bodies above
    ``max_body_bytes`` (default: the auth server's own limit) are refused by waitress before
    they are read; a connection has ``head_timeout`` seconds for each request head.
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
        from auth_server.web.request_context import MAX_BODY_BYTES

        max_body_bytes = MAX_BODY_BYTES
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
    ) -> None:
        self.app = app
        self.sock = sock
        self.limits: dict[str, Any] = {"max_body_bytes": max_body_bytes, "head_timeout": head_timeout}
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


def _wait_for_signal(stop: threading.Event) -> dict[int, Any]:
    def on_signal(signum: int, frame: Any) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    return {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}


def http_url(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _follow_bound_port(settings: Settings, port: int) -> str:
    """The URL served on ``port`` (the one the listening socket got); a base URL that asks
    for any free port (``:0``) becomes it, so the issuer names the real port."""
    url = http_url(settings.host, port)
    if settings.port == 0 and settings.base_url.endswith(":0"):
        settings.base_url = url
    return url


def _build_app(settings: Settings, store: Any) -> WSGIApp:
    """The app on ``store`` (bind first: see :func:`_follow_bound_port`)."""
    from auth_server.web import create_app

    app: WSGIApp = create_app(settings, store)
    return AccessLog(app) if settings.log_requests else app


def _freeze_startup_heap() -> None:
    """Keep the garbage collector's full passes short while serving.

    After start-up a worker holds ~40,000 long-lived objects (modules, the app, the
    libraries); every full collection walks them all, a 5-20 ms pause for whichever
    requests are in flight. Moved to the permanent generation, they are never scanned
    again, and the collector only looks at what requests allocate.
    """
    gc.collect()
    gc.freeze()


def serve_forever(settings: Settings, ready: Callable[[str], None] | None = None) -> int:
    """Run ``sigil-server serve`` until SIGINT/SIGTERM; returns the exit status."""
    from auth_server.store import Store

    if settings.workers > 1 and hasattr(os, "fork"):
        return _serve_prefork(settings, ready)
    store = Store.open(settings.db_path, clock=settings.clock)
    store.start_checkpointer()
    # Bound before the app is built: with port 0 the base URL (the issuer) follows the bound port.
    sock = listening_sockets(settings.host, settings.port, 1)[0]
    _follow_bound_port(settings, sock.getsockname()[1])
    server = ServerThread(_build_app(settings, store), settings.host, settings.port, settings.threads, sock,
                          head_timeout=settings.head_timeout_seconds)
    _freeze_startup_heap()
    stop = threading.Event()
    previous = _wait_for_signal(stop)
    try:
        server.start()
        url = server.url
        log.info("sigil-server listening on %s (database %s, base URL %s)", url, store.describe(), settings.base_url)
        if ready:
            ready(url)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("stopped")
    return 0


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


def _serve_prefork(settings: Settings, ready: Callable[[str], None] | None) -> int:
    """``--workers N``: N forked processes serve one port.

    The GIL lets one process use one core; forking lets a multi-core machine use them
    all. Each worker opens its own SQLite connections after the fork; writes are
    serialised across workers by the store's file lock; single use of tokens holds
    across workers (it lives in SQLite), and so do rate limits (shared memory).
    """
    from auth_server.store import Store

    store = Store.open(settings.db_path, clock=settings.clock)  # migrate once, before forking
    database = store.describe()  # (a URL without its password)
    store.close()
    if settings.rate_limit_enabled and isinstance(settings.rate_limit_counters, MemoryCounters):
        settings.rate_limit_counters = SharedCounters()  # mapped now, so every worker counts in it
    sockets = listening_sockets(settings.host, settings.port, settings.workers)
    url = _follow_bound_port(settings, sockets[0].getsockname()[1])
    supervisor = _WorkerSupervisor(settings, sockets)
    supervisor.start_all()
    log.info("sigil-server listening on %s with %d workers (database %s, base URL %s)",
             url, settings.workers, database, settings.base_url)
    if ready:
        ready(url)
    stop = threading.Event()
    previous = _wait_for_signal(stop)
    try:
        while not stop.wait(SUPERVISE_INTERVAL_SECONDS):
            supervisor.reap_and_restart()
    finally:
        supervisor.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("stopped")
    return 0


#: how often the master looks for exited workers (and restarts the ones due)
SUPERVISE_INTERVAL_SECONDS = 0.25
#: a worker that exits sooner than this after its start counts as a crash on start-up ...
QUICK_EXIT_SECONDS = 10.0
#: ... and each one in a row doubles the wait before the next restart, up to this
MAX_RESTART_DELAY_SECONDS = 30.0


class _WorkerSupervisor:
    """The master's side of ``--workers``: fork one worker per slot, restart a slot whose
    worker dies, and make every worker die with the master.

    A worker that exits (a crash, the OOM killer, an operator's ``kill -9``) is restarted
    at once; one that keeps dying right after its start is restarted after 0.5, 1, 2 ...
    up to 30 s, so a crash loop (an unreadable database) costs a fork every 30 s, not a
    spinning core. With a socket per worker (``SO_REUSEPORT``), the master closes a dead
    worker's socket, so the kernel sends new connections to the live workers meanwhile
    instead of leaving them in a backlog nobody accepts from, and opens a new one for
    the replacement.
    """

    def __init__(self, settings: Settings, sockets: list[socket.socket]) -> None:
        self.settings = settings
        self.sockets = sockets
        self.port = sockets[0].getsockname()[1]
        self.pids: dict[int, int] = {}  # pid -> slot
        self.started: dict[int, float] = {}  # slot -> when its current worker started
        self.quick_exits: dict[int, int] = {}  # slot -> crashes on start-up in a row
        self.due: dict[int, float] = {}  # slot -> when to restart it
        self.master_pid = os.getpid()
        # Every worker holds the read end; the master holds the only write end. When the
        # master dies, however it dies, the kernel closes that end and the workers read EOF.
        self.lifeline_read, self.lifeline_write = os.pipe()

    def start_all(self) -> None:
        for slot in range(self.settings.workers):
            self._fork(slot)

    def _fork(self, slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                own = self.sockets[slot % len(self.sockets)]
                for other in self.sockets:
                    if other is not own:
                        other.close()  # a socket left open here would outlive its worker
                os.close(self.lifeline_write)
                exit_with_master(self.master_pid, self.lifeline_read)
                code = _run_worker(self.settings, own)
            except BaseException:  # said here: os._exit below would drop the traceback
                log.exception("worker %d failed", os.getpid())
            finally:
                os._exit(code)
        self.pids[pid] = slot
        self.started[slot] = time.monotonic()

    def reap_and_restart(self) -> None:
        """Collect every exited worker, schedule its slot's restart, fork the ones due."""
        now = time.monotonic()
        while self.pids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            slot = self.pids.pop(pid, None)
            if slot is None:
                continue
            if len(self.sockets) > 1:
                self.sockets[slot].close()
            quick = now - self.started[slot] < QUICK_EXIT_SECONDS
            self.quick_exits[slot] = self.quick_exits.get(slot, 0) + 1 if quick else 0
            delay = 0.0 if not self.quick_exits[slot] else min(
                MAX_RESTART_DELAY_SECONDS, 0.5 * 2 ** (self.quick_exits[slot] - 1))
            self.due[slot] = now + delay
            log.error("worker %d exited (%s); restarting it in %.1f s", pid, _describe_exit(status), delay)
        for slot, when in list(self.due.items()):
            if when <= now:
                if len(self.sockets) > 1:
                    try:
                        self.sockets[slot] = reuseport_socket(self.settings.host, self.port)
                    except OSError as exc:
                        log.error("cannot listen again for worker slot %d: %s; retrying", slot, exc)
                        self.due[slot] = now + 1.0
                        continue
                del self.due[slot]
                self._fork(slot)
                log.info("started worker %d in place of the one that exited",
                         next(pid for pid, s in self.pids.items() if s == slot))

    def stop_all(self) -> None:
        """SIGTERM every worker and wait for it (each finishes its requests and closes its store)."""
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in self.pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.pids.clear()
        for sock in self.sockets:
            sock.close()
        os.close(self.lifeline_write)
        os.close(self.lifeline_read)


def _describe_exit(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def exit_with_master(master_pid: int, lifeline: int) -> None:
    """Make this worker get SIGTERM (its normal shutdown) when the master dies.

    Otherwise a ``kill -9`` of the master leaves its workers serving the port with no
    parent, and nothing that would ever stop or restart them. Two ways, for they
    complement each other: on Linux the kernel sends the signal itself
    (``PR_SET_PDEATHSIG``); everywhere a thread waits for EOF on the master's lifeline
    pipe. The master may already be gone by the time this runs; then it is SIGTERM now.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # until the worker installs its own handler
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _parent_death_signal(signal.SIGTERM)
    threading.Thread(target=watch_lifeline, args=(lifeline,), name="sigil-lifeline", daemon=True).start()
    if os.getppid() != master_pid:
        os.kill(os.getpid(), signal.SIGTERM)


def _parent_death_signal(signum: int) -> bool:
    """``prctl(PR_SET_PDEATHSIG, signum)`` on Linux; False where there is no such call."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(pr_set_pdeathsig, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_lifeline(fd: int) -> None:
    """Block until the master's end of the pipe closes, then stop this worker."""
    while True:
        try:
            if not os.read(fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    os.kill(os.getpid(), signal.SIGTERM)


def _run_worker(settings: Settings, sock: socket.socket) -> int:
    from auth_server.store import Store

    stop = threading.Event()
    _wait_for_signal(stop)
    store = Store.open(settings.db_path, clock=settings.clock, migrate_now=False)
    store.start_checkpointer()
    server = ServerThread(_build_app(settings, store), settings.host, settings.port, settings.threads, sock=sock,
                          head_timeout=settings.head_timeout_seconds)
    _freeze_startup_heap()
    try:
        server.start()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        store.close()
    return 0
