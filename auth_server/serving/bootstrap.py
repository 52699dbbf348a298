"""The one way to start Sigil: settings -> store -> app -> a serving process.

``sigil-server serve`` (:func:`serve_forever`), the desktop app's embedded server and the
tests (:func:`start_server`) all come through here, so a setting added to
:class:`~auth_server.config.Settings` reaches every way of running Sigil. The order is
the same everywhere: bind the socket first, so that with port 0 the base URL (the issuer)
names the real port before the app is built; then open the store, build the app, serve.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from auth_server.config import Settings
from auth_server.counters import MemoryCounters, SharedCounters
from auth_server.forwarded import TrustedProxies, parse_address
from auth_server.oauth.signing_keys import SigningKeys, open_signing_keys
from auth_server.paths import is_postgres
from auth_server.serving.prefork import supervise
from auth_server.serving.server import (
    AccessLog,
    ServerThread,
    WSGIApp,
    http_url,
    listening_sockets,
    restore_signals,
    stop_on_signals,
)
from auth_server.store import Store
from auth_server.store.ratelimits import DatabaseCounters
from auth_server.web import create_app

log = logging.getLogger("sigil.server")


def open_store(settings: Settings, *, migrate_now: bool = True) -> Store:
    """The store ``settings.db_path`` names, on the settings' clock (migrated unless told not to).

    On PostgreSQL several instances share the database, so rate limits are counted there
    too (:class:`DatabaseCounters`): counted in each process's memory, every instance would
    let a client through once more. A counter the caller chose is kept.
    """
    if is_postgres(settings.db_path) and type(settings.rate_limit_counters) is MemoryCounters:
        settings.rate_limit_counters = DatabaseCounters(settings.db_path)
    return Store.open(settings.db_path, clock=settings.clock, migrate_now=migrate_now)


def bind(settings: Settings) -> socket.socket:
    """The listening socket of one server process on ``settings.host``/``port``; a base URL
    that asks for any free port (``:0``) becomes the bound one (see :func:`follow_bound_port`)."""
    sock = listening_sockets(settings.host, settings.port, 1)[0]
    follow_bound_port(settings, sock.getsockname()[1])
    return sock


def follow_bound_port(settings: Settings, port: int) -> str:
    """The URL served on ``port`` (the one the listening socket got); a base URL that asks
    for any free port (``:0``) becomes it, so the issuer names the real port."""
    url = http_url(settings.host, port)
    if settings.port == 0 and settings.base_url.endswith(":0"):
        settings.base_url = url
    return url


def open_keys(settings: Settings, store: Store) -> SigningKeys:
    """The signing keys in ``store``, opened with the settings' secret file (made in the data
    dir on SQLite): the first key made or imported, every key checked to open, so a missing
    or wrong secret file stops the start with a clear ``SecretFileError``, not a 500 later."""
    return open_signing_keys(settings, store)


def build_app(settings: Settings, store: Store) -> WSGIApp:
    """The app on ``store``, with the access log when the settings ask for it (bind first)."""
    app: WSGIApp = create_app(settings, store, open_keys(settings, store))
    return AccessLog(app) if settings.log_requests else app


@dataclass
class RunningServer:
    """A started server process's parts: its settings, its store and its waitress thread."""

    settings: Settings
    store: Store
    thread: ServerThread

    @property
    def url(self) -> str:
        return self.thread.url

    def stop(self, *, close_store: bool = True) -> None:
        """Stop serving, and close the store unless its owner keeps it (the desktop app does)."""
        self.thread.stop()
        if close_store:
            self.store.close()


def start_server(settings: Settings, *, store: Store | None = None, sock: socket.socket | None = None,
                 upkeep: bool = True, checkpoint_interval: float | None = None) -> RunningServer:
    """Serve ``settings`` in a background thread of this process (the embedded server, tests).

    ``store``: one already open (else opened here); ``sock``: one already bound (else bound
    here). ``upkeep`` starts the store's WAL checkpoints and purge of expired rows, every
    ``checkpoint_interval`` seconds when given; tests that drive a fake clock leave it off.
    """
    sock = sock if sock is not None else bind(settings)
    owned = store is None
    store = store if store is not None else open_store(settings)
    try:
        thread = _server_thread(settings, store, sock)  # the keys are opened here: a bad secret file stops it
    except BaseException:
        sock.close()
        if owned:
            store.close()
        raise
    if upkeep:
        if checkpoint_interval is None:
            store.start_checkpointer()
        else:
            store.start_checkpointer(interval=checkpoint_interval)
    return RunningServer(settings, store, thread.start())


def _server_thread(settings: Settings, store: Store, sock: socket.socket) -> ServerThread:
    """The (not yet started) waitress thread serving the app of ``settings`` on ``sock``."""
    proxies = TrustedProxies(settings.trusted_proxies)
    return ServerThread(build_app(settings, store), settings.host, settings.port, settings.threads, sock,
                        head_timeout=settings.head_timeout_seconds, per_address=settings.max_connections_per_address,
                        exempt=lambda address: proxies.trusts(parse_address(address)))


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
    if settings.workers > 1 and hasattr(os, "fork"):
        return _serve_prefork(settings, ready)
    sock = bind(settings)
    store = open_store(settings)
    try:
        server = _server_thread(settings, store, sock)
    except BaseException:
        sock.close()
        store.close()
        raise
    store.start_checkpointer()
    _freeze_startup_heap()
    stop = threading.Event()
    previous = stop_on_signals(stop)
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
        restore_signals(previous)
        log.info("stopped")
    return 0


def _serve_prefork(settings: Settings, ready: Callable[[str], None] | None) -> int:
    """``--workers N``: N forked processes serve one port (:mod:`auth_server.serving.prefork`).

    Each worker opens its own SQLite connections after the fork; writes are serialised
    across workers by the store's file lock; single use of tokens holds across workers
    (it lives in SQLite), and so do rate limits (shared memory).
    """
    store = open_store(settings)  # migrate once, before forking
    try:
        open_keys(settings, store)  # the first key made and the secret file checked once, before forking
    finally:
        database = store.describe()  # (a URL without its password)
        store.close()
    if settings.rate_limit_enabled and isinstance(settings.rate_limit_counters, MemoryCounters):
        settings.rate_limit_counters = SharedCounters()  # mapped now, so every worker counts in it
    sockets = listening_sockets(settings.host, settings.port, settings.workers)
    url = follow_bound_port(settings, sockets[0].getsockname()[1])

    def started() -> None:
        log.info("sigil-server listening on %s with %d workers (database %s, base URL %s)",
                 url, settings.workers, database, settings.base_url)
        if ready:
            ready(url)

    return supervise(settings.host, sockets, settings.workers, lambda sock: _run_worker(settings, sock), started)


def _run_worker(settings: Settings, sock: socket.socket) -> int:
    """One pre-forked worker's life: its own store and app on its socket, until SIGTERM."""
    stop = threading.Event()
    stop_on_signals(stop)
    store = open_store(settings, migrate_now=False)
    store.start_checkpointer()
    server = _server_thread(settings, store, sock)
    _freeze_startup_heap()
    try:
        server.start()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        store.close()
    return 0
