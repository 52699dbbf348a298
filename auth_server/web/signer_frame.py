"""``GET /signer``: the page the Sigma client plugin loads in a hidden iframe.

An app built on ``@sigma-auth/better-auth-plugin`` without ``preferLocal`` signs through
``<issuer>/signer``: it posts requests to the frame, and the frame's script
(``static/signer-frame.js``) relays them to the desktop signer's local API on this
computer, where the user approves them. The keys never leave the desktop signer; this
server only hands out the page.

Which pages may embed the frame is decided here: the origins of the redirect URIs of the
enabled clients an administrator registered (a self-registered client is a stranger, see
:func:`auth_server.origins.frame_parent_origins`) and the configured trusted origins. They go into the
``frame-ancestors`` directive (the browser refuses to render the frame anywhere else) and
into the page, where the script checks every message's origin against the same list.
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.origins import frame_parent_origins, plain_origin
from auth_server.web.pages import STATIC_PREFIX, TEMPLATES
from auth_server.web.parts import ServerParts

SIGNER_PATH = "/signer"
def frame_headers(parents: list[str], signer_url: str) -> dict[str, str]:
    """Headers of the frame page: embeddable by ``parents`` only, network access to the signer only."""
    ancestors = " ".join(parents) or "'none'"
    signer = plain_origin(signer_url) or "'none'"
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",  # the list of parents changes with every registration
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'self'; style-src 'self'; connect-src {signer}; "
            f"frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
        ),
    }


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store = parts.settings, parts.store

    def signer_page() -> Any:
        """The signer frame for the Sigma client plugin (postMessage, both the 0.0.75 and the CWI protocol)."""
        parents = frame_parent_origins(settings, store)
        html = bottle.template("signer", template_lookup=[str(TEMPLATES)], static=STATIC_PREFIX,
                               parents=" ".join(parents), signer_url=settings.signer_url.rstrip("/"))
        return bottle.HTTPResponse(html, 200, frame_headers(parents, settings.signer_url))

    app.route(SIGNER_PATH, "GET", signer_page)
