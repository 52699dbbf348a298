"""HTTP glue of RP-initiated logout (rules: :mod:`auth_server.oauth.logout`).

``GET`` or ``POST`` ``/api/auth/oauth2/end-session``: an app sends the browser here (from
its own origin: no Origin check, it is a top-level navigation). When the app's
``id_token_hint`` names the signed-in user, the Sigil session ends at once; otherwise the
user is asked first (a same-origin form with a CSRF token), so a link on another site
cannot sign anybody out. Then back to the app's registered ``post_logout_redirect_uri``
(with ``state``), or a signed-out page.
"""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.oauth.endpoints import END_SESSION_PATH
from auth_server.oauth.logout import LogoutRequest
from auth_server.sessions import close_session
from auth_server.web.request_context import clear_session_cookie, current_session
from auth_server.web.forms import csrf_token, refused_form, single_valued
from auth_server.web.pages import carry_cookies, redirect, render
from auth_server.web.parts import ServerParts

LOGOUT_PARAMS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


def _finish(request: LogoutRequest, stage: str = "signed_out") -> bottle.HTTPResponse:
    location = request.redirect()
    if location is not None:
        return redirect(location)
    return render("logout", stage=stage, client_name=request.client.name if request.client else "")


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store, provider = parts.settings, parts.store, parts.provider

    def end_session() -> Any:
        """RP-initiated logout: end the Sigil session, then back to the app's registered logout URI."""
        source = bottle.request.forms if bottle.request.method == "POST" else bottle.request.query
        params = single_valued(source.decode())  # type: ignore[no-untyped-call]
        request = provider.parse_logout(params)
        session = current_session(settings, store)
        if session is None or session.via != "cookie":
            return _finish(request)  # nobody is signed in in this browser
        confirmed = request.subject is not None and request.subject == session.user.id
        if not confirmed and "csrf" in params:  # the answer to our own question below
            refused = refused_form(settings, session, "logout", params.get("csrf"))
            if refused is not None:
                return refused
            if params.get("decision") != "logout":
                return _finish(request, "stayed")
            confirmed = True
        if not confirmed:
            return render("logout", stage="confirm", action=END_SESSION_PATH, user_name=session.user.name,
                          client_name=request.client.name if request.client else "",
                          params=[(k, params[k]) for k in LOGOUT_PARAMS if params.get(k)],
                          csrf=csrf_token(session, "logout"))
        close_session(store, session.session.id)
        clear_session_cookie(settings)
        return carry_cookies(_finish(request))

    for method in ("GET", "POST"):
        app.route(END_SESSION_PATH, method, end_session, oauth="page")
