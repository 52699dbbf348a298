"""Serve the local API with waitress in a background thread, on loopback only.

Reuses the auth server's :class:`~auth_server.serving.server.ServerThread` (clean shutdown, the
head timeout), with a larger pool: each request waiting for an approval holds a worker for
up to two minutes. Bodies above the API's own limit are refused by waitress from the
``Content-Length`` (or as a chunked body passes it), before they are read.
"""

from __future__ import annotations

from auth_server.serving.server import ServerThread
from signer_app.local_api.app import MAX_REQUEST_BYTES

LOOPBACK = "127.0.0.1"


class LocalApiServer:
    """``start()`` binds (raising OSError if the port is taken); ``stop()`` closes."""

    def __init__(self, app, port: int, threads: int = 24) -> None:
        self.app = app
        self.requested_port = port
        self.threads = threads
        self._thread: ServerThread | None = None

    @property
    def port(self) -> int:
        return self._thread.port if self._thread else 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def _server(self):  # the waitress server (tests check what it is bound to)
        return self._thread._server if self._thread else None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = ServerThread(self.app, LOOPBACK, self.requested_port, threads=self.threads,
                                    max_body_bytes=MAX_REQUEST_BYTES).start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop()
