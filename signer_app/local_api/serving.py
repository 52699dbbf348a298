"""Serve the local API with waitress in a background thread, on loopback only.

Each request waiting for an approval holds a worker thread for up to two minutes,
so the pool is larger than a server's usual one.
"""

from __future__ import annotations

import threading

import waitress
from waitress.server import BaseWSGIServer

LOOPBACK = "127.0.0.1"


class LocalApiServer:
    """``start()`` binds (raising OSError if the port is taken); ``stop()`` closes."""

    def __init__(self, app, port: int, threads: int = 24) -> None:
        self.app = app
        self.requested_port = port
        self.threads = threads
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port) if self._server else 0  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        server = waitress.create_server(
            self.app, host=LOOPBACK, port=self.requested_port, threads=self.threads,
            ident="sigil-signer", clear_untrusted_proxy_headers=True, channel_timeout=180,
        )
        self._server = server
        self._thread = threading.Thread(target=server.run, name="sigil-local-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        try:
            server.task_dispatcher.shutdown(timeout=2)
        except Exception:
            pass
        if self._thread:
            self._thread.join(timeout=3)
