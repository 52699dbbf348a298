"""HTTP/1.1 requests written byte for byte on a socket, for tests that send what a client
library refuses to (header values that are not ASCII, bodies that lie about themselves)."""

from __future__ import annotations

import socket


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


def _exchange(url: str, head: bytes, body: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    status_line, _, rest = data.partition(b"\r\n")
    header_block, _, payload = rest.partition(b"\r\n\r\n")
    headers = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, payload
