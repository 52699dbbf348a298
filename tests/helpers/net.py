"""Loopback ports for the servers, signers, browsers and proxies tests start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on right now (bind to 0, read it, release it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
