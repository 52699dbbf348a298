"""Raw sockets against a loopback server, for what an HTTP client library will not send:
a Content-Length with no body behind it, a chunked body that never ends, a half-sent head."""

from __future__ import annotations

import socket
import time


def connect(url: str, timeout: float = 10.0) -> socket.socket:
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    """What the server sends until it closes or ``timeout`` passes (b"" when nothing came)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data and data.startswith(b"HTTP/1.1 413"):
            break
    return data


def send_chunks_until_refused(sock: socket.socket, total: int, chunk: int = 16384) -> tuple[int, bool]:
    """Send ``total`` bytes of chunked body (without the final empty chunk); returns the bytes
    sent and whether the server stopped taking them (reset or closed) before the end."""
    sent = 0
    payload = b"%x\r\n" % chunk + b"a" * chunk + b"\r\n"
    try:
        while sent < total:
            sock.sendall(payload)
            sent += chunk
    except (BrokenPipeError, ConnectionResetError):
        return sent, True
    return sent, False
