"""Raw sockets against a loopback server, for what an HTTP client library will not send:
a Content-Length with no body behind it, a chunked body that never ends, a half-sent head,
header values that are not ASCII."""

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


def announce_huge_body(url: str, path: str, size: int = 200 * 1024 * 1024) -> tuple[bytes, float]:
    """POST ``path`` announcing a ``size``-byte JSON body and send none of it: the server's
    answer, and the seconds it took to come (a server that waits for the body never answers)."""
    with connect(url) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {size}\r\n\r\n".encode())
        started = time.monotonic()
        answer = read_answer(sock, timeout=5)
    return answer, time.monotonic() - started


def send_endless_chunked_body(url: str, path: str, total: int, chunk: int = 16384) -> tuple[int, bool, bytes]:
    """POST ``path`` with ``total`` bytes of chunked body and never the final empty chunk.

    Returns the bytes sent, whether the server stopped taking them (reset or closed) before
    the end, and its answer.
    """
    sent, refused = 0, False
    payload = b"%x\r\n" % chunk + b"a" * chunk + b"\r\n"
    with connect(url) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        try:
            while sent < total:
                sock.sendall(payload)
                sent += chunk
        except (BrokenPipeError, ConnectionResetError):
            refused = True
        answer = read_answer(sock, timeout=5)
    return sent, refused, answer


def raw_request(url: str, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send bytes exactly as given (httpx would refuse to send non-ASCII header values).

    A server that refuses a request head answers and closes without reading the body; the
    unread bytes make the kernel reset the connection, which can swallow that answer. Then
    the head is sent again alone, which is what the server answered.
    """
    try:
        return _exchange(url, head, body)
    except (ConnectionResetError, BrokenPipeError):
        return _exchange(url, head, b"")


def exchange(url: str, data: bytes, *, tolerate_reset: bool = False) -> bytes:
    """Send ``data`` exactly as given and read the answer until the server closes.

    With ``tolerate_reset``, a reset ends the answer (what arrived before it is returned)
    instead of raising.
    """
    chunks: list[bytes] = []
    with connect(url) as sock:
        try:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            if not tolerate_reset:
                raise
    return b"".join(chunks)


def _exchange(url: str, head: bytes, body: bytes) -> tuple[int, dict[str, str], bytes]:
    data = exchange(url, head + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    status_line, _, rest = data.partition(b"\r\n")
    header_block, _, payload = rest.partition(b"\r\n\r\n")
    headers = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, payload
