"""``GET /invite/<code>``: the invitation page. It says which server invites you and signs you
in with your signer, the invitation signed into the sign-in body; then the account page.

Opening an invite page counts as a guess against the same per-address limit as sign-ins
that carry a code (``settings.invite_guesses_per_ip``), so codes cannot be tried in bulk.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import bottle

from auth_server import team
from auth_server.client_errors import ApiError
from auth_server.signin import MAX_INVITE_LENGTH, invite_guess_limiter
from auth_server.web.pages import error_page, sign_in_page
from auth_server.web.parts import ServerParts
from auth_server.web.request_context import client_ip

ACCOUNT_PAGE = "/"


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store = parts.settings, parts.store
    guesses = invite_guess_limiter(settings)
    inviter = urlsplit(settings.base_url).netloc or settings.base_url

    def invite_page(code: str) -> Any:
        try:
            guesses.check(client_ip(), "address")
        except ApiError as exc:
            return error_page("Too many tries", "Too many invitation links were opened from here. Try again later.",
                              exc.status)
        invitation = team.live_invitation(store, code) if len(code) <= MAX_INVITE_LENGTH else None
        if invitation is None:
            return error_page("This invitation does not work",
                              "It is unknown, used up, expired or revoked. Ask whoever sent it for a new link.", 404)
        if settings.sign_up == "closed":
            return error_page("This server takes no invitations",
                              "Sign-up is closed here. Ask its administrator to add your key.", 403)
        return sign_in_page(settings.signer_url, ACCOUNT_PAGE, invite=code, inviter=inviter,
                            groups=invitation.groups)

    app.route(team.INVITE_PATH + "<code:path>", "GET", invite_page)
