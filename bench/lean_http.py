"""A lean keep-alive HTTP/1.1 client for the HTTP benchmarks.

The load generator shares the machine's two cores with the server, so every microsecond
it spends is taken from the server. ``http.client`` parses each answer's headers with
the email package (~250 us of client CPU per request measured in bench.signin); this
client builds the request bytes itself and reads only the status line, Content-Length
and Connection of each answer. It is enough for this server's answers (always a
Content-Length, never chunked) and refuses anything else loudly.
"""

from __future__ import annotations

import re
import socket

_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)


class LeanConnection:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def open(self) -> None:
        """Connect now, so a benchmark's timed requests do not include the TCP handshake."""
        if self.sock is None:
            self._connect()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buffer = sock, b""
        return sock

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        """Send one request; return (status, body)."""
        sock = self.sock or self._connect()
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        data = self.buffer
        while (end := data.find(b"\r\n\r\n")) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection mid-answer")
            data += chunk
        header = data[:end]
        match = _LENGTH.search(header)
        if match is None:
            raise ValueError(f"answer without Content-Length: {header[:200]!r}")
        length = int(match.group(1))
        start = end + 4
        while len(data) < start + length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection mid-body")
            data += chunk
        status = int(header[9:12])
        answer, self.buffer = data[start:start + length], data[start + length:]
        if _CLOSE.search(header):
            self.close()
        return status, answer

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
