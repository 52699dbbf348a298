"""Who the client is: the TCP peer, or, behind a trusted reverse proxy, what it forwards.

Behind nginx every connection comes from the proxy, so counting the TCP peer would put
every user on the proxy's one rate-limit budget and write the proxy's address into every
session record. ``--trusted-proxy ADDR`` (``SIGIL_TRUSTED_PROXIES``) names the proxies;
for a connection from one of them, and only then, the client is the rightmost
``X-Forwarded-For`` hop that is not itself a trusted proxy, and the scheme is
``X-Forwarded-Proto``. Anyone else could write any address into those headers, so from
any other peer they are dropped unread.

:func:`apply_forwarded` runs once per request, before anything reads the address, and
leaves the answer in the WSGI environ (``REMOTE_ADDR``, ``wsgi.url_scheme``; the TCP peer
stays in ``sigil.peer_addr``). :func:`client_address` is the one way everything else
(rate limits, session records, the access log) reads it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: the environ keys of the proxy headers; dropped from every request that did not come from a trusted proxy
PROXY_HEADER_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_BY", "HTTP_FORWARDED")
#: the TCP peer, kept when REMOTE_ADDR is replaced by the forwarded client
PEER_KEY = "sigil.peer_addr"
#: hops of X-Forwarded-For looked at, from the right; a longer chain is not a real deployment
MAX_HOPS = 16
SCHEMES = frozenset({"http", "https"})


def parse_address(text: str) -> IPAddress | None:
    """An IP address as a peer or a proxy header writes it, or None.

    Accepts ``1.2.3.4``, ``::1``, ``[::1]``, ``1.2.3.4:5678`` and ``[::1]:5678`` (some proxies
    add the port); an IPv4-mapped IPv6 address (a dual-stack socket's ``::ffff:1.2.3.4``)
    is its IPv4 address, so one client has one rate-limit key either way.
    """
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_proxy(entry: str) -> IPNetwork:
    """One ``--trusted-proxy`` value: an address (``127.0.0.1``, ``::1``) or a network in
    CIDR form (``10.0.0.0/8``). Raises ``ValueError`` naming the value."""
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        raise ValueError(f"trusted proxy {entry!r} is neither an IP address nor a CIDR network") from None


class TrustedProxies:
    """The set of peers whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks: tuple[IPNetwork, ...] = tuple(parse_proxy(entry) for entry in entries)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: IPAddress | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: IPAddress, forwarded_for: str) -> IPAddress:
        """The client behind trusted ``peer``: walking ``forwarded_for`` from the right, the
        first hop that is not a trusted proxy.

        Each proxy appends the address it was connected from, so hops right of the client
        are proxies; anything left of it the client wrote itself and is not looked at. A
        hop that is not an address ends the walk at the last trusted hop before it (a chain
        the proxies themselves wrote badly); so does a chain of only trusted proxies.
        """
        nearest = peer
        for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
            address = parse_address(hop)
            if address is None:
                break
            nearest = address
            if not self.trusts(address):
                break
        return nearest


def apply_forwarded(environ: dict[str, Any], proxies: TrustedProxies) -> None:
    """Settle this request's client address and scheme in ``environ`` (see the module doc).

    Never raises, whatever the headers hold: a malformed header is the same as none.
    """
    if PEER_KEY in environ:
        return  # settled already (the app is wrapped twice)
    peer_text = environ.get("REMOTE_ADDR") or ""
    environ[PEER_KEY] = peer_text
    forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    for key in PROXY_HEADER_KEYS:
        environ.pop(key, None)  # read here and nowhere else
    if not proxies:
        return
    peer = parse_address(peer_text)
    if not proxies.trusts(peer):
        return
    assert peer is not None
    if forwarded_for:
        environ["REMOTE_ADDR"] = str(proxies.client(peer, forwarded_for))
    if proto is not None and proto.strip().lower() in SCHEMES:
        environ["wsgi.url_scheme"] = proto.strip().lower()


def client_address(environ: dict[str, Any]) -> str:
    """The client's address for rate limits, session records and the access log."""
    return str(environ.get("REMOTE_ADDR") or "unknown")
