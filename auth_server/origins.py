"""Which web origins the registered clients stand for: CORS at the token endpoints, and the
pages that may embed the signer frame.

An origin counts when it is the origin of a redirect URI of an enabled client (plus, for
the frame, the configured trusted origins). The web layer asks here; it never lists the
clients itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from auth_server.config import Settings, origin_of
from auth_server.store import Store

# What may stand in a CSP source list: a plain http(s) origin. A redirect URI is only
# validated as a URI, so anything else (spaces, ';', userinfo, IPv6 literals) is left out
# rather than risk a header that says more than the registration meant.
_PLAIN_ORIGIN = re.compile(r"^https?://[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$")


def redirect_origins(redirect_uris: Iterable[str]) -> set[str]:
    """The origins of a client's http(s) redirect URIs: the pages that may read its answers."""
    return {origin_of(u) for u in redirect_uris if u.startswith(("https://", "http://"))}


def is_client_origin(store: Store, origin: str) -> bool:
    """Whether some enabled client redirects to ``origin`` (a CORS preflight's question)."""
    return any(origin in redirect_origins(c.redirect_uris) for c in store.oauth.clients.list() if not c.disabled)


def plain_origin(url: str) -> str | None:
    """The origin of ``url`` when it is a plain ``http(s)://host[:port]``, else None."""
    origin = origin_of(url)
    return origin if _PLAIN_ORIGIN.match(origin) else None


#: the most characters of origins the signer frame's CSP lists (a header stays small
#: whatever is registered: proxies refuse answers whose headers pass a few KiB)
MAX_FRAME_PARENTS_CHARS = 4096


def frame_parent_origins(settings: Settings, store: Store) -> list[str]:
    """Origins allowed to embed the signer frame: the trusted origins, then the redirect
    URIs' origins of enabled clients an administrator registered.

    A self-registered client is a stranger: any page could register its own origin and
    then drive signatures through the frame, so it never becomes a parent. The server's
    own origin is not among them unless it is configured as trusted: the frame has no
    business inside this server's own pages. The list stops at
    :data:`MAX_FRAME_PARENTS_CHARS` (trusted origins first, then clients oldest first).
    """
    candidates = list(settings.trusted_origins)
    candidates += [uri for client in store.oauth.clients.list()
                   if not client.disabled and not client.self_registered for uri in client.redirect_uris]
    parents: list[str] = []
    size = 0
    for origin in dict.fromkeys(filter(None, map(plain_origin, candidates))):
        size += len(origin) + 1
        if size > MAX_FRAME_PARENTS_CHARS:
            break
        parents.append(origin)
    return sorted(parents)
