"""Every URL this server fetches (today: a ``private_key_jwt`` client's ``jwks_uri``), and
where it may point.

Two rules, each in one place:

* :func:`address_allowed` is the address policy: for a URL a stranger (a self-registered
  client) gave us, only globally routable unicast addresses; never loopback, private,
  link-local (cloud metadata at 169.254.169.254), shared, reserved, multicast or
  unspecified ones, also when wrapped in IPv6 (``::ffff:127.0.0.1``). The check is made
  when the URL is registered (:func:`check_public_url`, :func:`check_public_resolution`)
  and again when it is fetched: the name is resolved once, every address it gives must
  pass, and the connection goes to a checked address, so a name that resolves elsewhere
  the second time (DNS rebinding) still reaches no internal host.
* :func:`fetch` has one total deadline (resolving, connecting, the TLS handshake and every
  read count against it, so a host dripping a byte a second is cut off at the deadline,
  not kept forever) and a size cap, follows no redirect and answers only 200.

Admin-registered clients may point at internal hosts (``public_only=False``): the
administrator chose them, and tests serve keys on loopback.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

#: the whole of one fetch, in seconds: a slow or dead host costs at most this much
FETCH_DEADLINE = 3.0
MAX_BYTES = 64 * 1024
_MAX_HEAD = 8 * 1024
#: a host whose last label is a number (``0177.0.0.1``, ``2130706433``, ``0x7f.1``): the C
#: resolver reads such forms as IPv4 addresses, so they are refused unless canonical
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class FetchError(Exception):
    """A fetch that failed: the message says why, for the client's error description."""


class AddressRefused(FetchError, ValueError):
    """The URL names (or resolves to) an address a stranger may not make the server reach."""


def address_allowed(address: IPAddress) -> bool:
    """The one address policy for URLs from strangers: a global unicast address only."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:  # RFC 6052: the IPv4 address is the last 32 bits
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not address_allowed(embedded):
            return False
    return address.is_global and not address.is_multicast


def check_public_url(url: str) -> str:
    """``url`` when it may be given by a stranger: https, a host that is neither a local
    name nor a non-public address literal; ``AddressRefused`` otherwise (names are resolved
    by :func:`check_public_resolution` and again at every fetch)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise AddressRefused(f"must be an https URL: {url!r}")
    if "@" in parts.netloc:
        raise AddressRefused(f"must not carry a user name or password: {url!r}")
    host = (parts.hostname or "").rstrip(".")
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise AddressRefused(f"has a bad port: {url!r}") from None
    if not host:
        raise AddressRefused(f"needs a host: {url!r}")
    if host == "localhost" or host.endswith(".localhost"):
        raise AddressRefused(f"must not point at this machine: {url!r}")
    literal = _literal(host)
    if literal is not None:
        if not address_allowed(literal):
            raise AddressRefused(f"must not point at a loopback, private, link-local or reserved address: {url!r}")
    elif _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        raise AddressRefused(f"names an address in a non-canonical form; write it as a.b.c.d: {url!r}")
    return url


def check_public_resolution(url: str, deadline: float = FETCH_DEADLINE) -> None:
    """At registration: when the host resolves now, every address must be public
    (``AddressRefused``). A name that does not resolve now is let through: the check is
    made again, and binds, at every fetch."""
    parts = urlsplit(check_public_url(url))
    try:
        addresses = _resolve(parts.hostname or "", parts.port or 443, time.monotonic() + deadline)
    except FetchError:
        return
    _require_public(addresses, url)


def fetch(url: str, *, public_only: bool, deadline: float = FETCH_DEADLINE, max_bytes: int = MAX_BYTES) -> bytes:
    """GET ``url`` and return its body (HTTP 200 only, no redirects), within ``deadline``
    seconds in all and at most ``max_bytes``; ``FetchError`` otherwise. ``public_only``:
    the URL came from a stranger, so every address the host resolves to must pass
    :func:`address_allowed`, and the connection goes to one of those checked addresses."""
    end = time.monotonic() + deadline
    if public_only:
        check_public_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("only http(s) URLs are fetched")
    tls = parts.scheme == "https"
    try:
        port = parts.port or (443 if tls else 80)
    except ValueError:
        raise FetchError("the URL has a bad port") from None
    addresses = _resolve(parts.hostname, port, end)
    if public_only:
        _require_public(addresses, url)
    sock = _connect(addresses, end, deadline)
    try:
        if tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname,
                                                            do_handshake_on_connect=False)
            sock.settimeout(_remaining(end))
            sock.do_handshake()  # CPython bounds the whole handshake by the timeout set here
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        request = (f"GET {target} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n"
                   "User-Agent: sigil-server\r\nConnection: close\r\n\r\n")
        sock.settimeout(_remaining(end))
        sock.sendall(request.encode("ascii", "strict"))
        raw = _read_all(sock, end, max_bytes + _MAX_HEAD)
    except (OSError, UnicodeError) as exc:  # timeouts, resets, TLS failures
        raise FetchError(_describe(exc, deadline)) from None
    finally:
        sock.close()
    return _body(raw, max_bytes)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _require_public(addresses: list[tuple[int, tuple]], url: str) -> None:
    for _family, sockaddr in addresses:
        if not address_allowed(ipaddress.ip_address(sockaddr[0].split("%", 1)[0])):
            raise AddressRefused(f"resolves to a loopback, private, link-local or reserved address: {url!r}")


def _remaining(end: float) -> float:
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _describe(exc: BaseException, deadline: float) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"it did not answer in full within {deadline:g} seconds"
    if isinstance(exc, ssl.SSLError):
        return "its TLS connection failed"
    return f"it could not be reached ({type(exc).__name__})"


def _resolve(host: str, port: int, end: float) -> list[tuple[int, tuple]]:
    """``getaddrinfo`` within the deadline (it has no timeout of its own, so a slow
    resolver is left behind in a daemon thread rather than waited for)."""
    literal = _literal(host)
    if literal is not None:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        return [(family, (str(literal), port))]
    found: list[list[tuple[int, tuple]]] = []
    failed: list[BaseException] = []

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
            found.append([(info[0], info[4]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)])
        except (OSError, UnicodeError) as exc:
            failed.append(exc)

    worker = threading.Thread(target=look_up, name="sigil-resolve", daemon=True)
    worker.start()
    worker.join(max(0.0, end - time.monotonic()))
    if found and found[0]:
        return found[0]
    if worker.is_alive():
        raise FetchError("its host name did not resolve in time")
    raise FetchError("its host name does not resolve")


def _connect(addresses: list[tuple[int, tuple]], end: float, deadline: float) -> socket.socket:
    last: BaseException | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_remaining(end))
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
            if isinstance(exc, TimeoutError):
                break
    raise FetchError(_describe(last or OSError(), deadline))


def _read_all(sock: socket.socket, end: float, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        sock.settimeout(_remaining(end))
        chunk = sock.recv(16 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise FetchError(f"it answered more than {limit // 1024} KiB")
        chunks.append(chunk)


def _body(raw: bytes, max_bytes: int) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise FetchError("its answer was not HTTP")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/1.") or not status[1].isdigit():
        raise FetchError("its answer was not HTTP")
    if status[1] != b"200":
        raise FetchError(f"it answered HTTP {status[1].decode('ascii')} (redirects are not followed)")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get(b"transfer-encoding", b"identity") != b"identity":
        body = _unchunk(body)
    if len(body) > max_bytes:
        raise FetchError(f"it answered more than {max_bytes // 1024} KiB")
    return body


def _unchunk(data: bytes) -> bytes:
    """A chunked body (a server may send one even to an HTTP/1.0 request)."""
    out = bytearray()
    while True:
        size_line, sep, rest = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise FetchError("its chunked answer was malformed") from None
        if not sep or size < 0 or len(rest) < size:
            raise FetchError("its chunked answer was cut short")
        if size == 0:
            return bytes(out)
        out += rest[:size]
        data = rest[size + 2:]
