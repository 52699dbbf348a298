"""HTTP glue of the authorization endpoint (rules: :mod:`auth_server.oauth.authorize`).

``GET /oauth2/authorize`` shows the sign-in page (no session), the consent page, or
redirects back with a code; ``POST`` is the consent form's answer. Bad requests are
answered by the ``oauth="page"`` plugin (redirect back, or an error page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import bottle

from auth_server.oauth.authorize import AuthorizationRequest
from auth_server.oauth.endpoints import AUTHORIZE_PATH
from auth_server.oauth.errors import OAuthError
from auth_server.sessions import CurrentSession
from auth_server.web.request_context import current_session
from auth_server.web.forms import csrf_token, refused_form, single_valued
from auth_server.web.pages import describe_scopes, error_page, redirect, render, sign_in_page
from auth_server.web.parts import ServerParts

AUTHORIZE_PATHS = (AUTHORIZE_PATH, "/api/auth/oauth2/authorize")


def _consent_page(request: AuthorizationRequest, session: CurrentSession, params: Mapping[str, str]
                  ) -> bottle.HTTPResponse:
    return render(
        "consent",
        client_name=request.client.name,
        self_registered=request.client.self_registered,
        redirect_host=request.redirect_host,
        user_name=session.user.name,
        bap_id=session.bap_id,
        scopes=describe_scopes(request.scopes),
        action=bottle.request.path,
        params=sorted((k, v) for k, v in params.items() if k not in ("csrf", "decision")),
        csrf=csrf_token(session, "consent:" + request.client.client_id),
    )


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store, provider = parts.settings, parts.store, parts.provider

    def authorization_request(params: dict[str, str]) -> Any:
        """Shows the sign-in page (no session, or a fresh sign-in is asked for), the consent
        page, or redirects back with a code."""
        request = provider.parse_authorization(params)
        session = current_session(settings, store)
        if session is not None and request.bap_id and request.bap_id != session.bap_id:
            session = None  # another identity was asked for: sign in with that one
        if provider.needs_sign_in(request, session.auth_time if session else None):
            if "none" in request.prompt:
                return redirect(request.error_redirect(OAuthError("login_required", "the user is not signed in")))
            rest = provider.authorizer.after_sign_in(params)
            return sign_in_page(settings.signer_url, bottle.request.path + "?" + urlencode(rest),
                                request.client.name, request.bap_id, client_id=request.client.client_id)
        assert session is not None
        provider.ensure_allowed(request, session.user.id)
        if provider.needs_consent(request, session.user.id):
            if "none" in request.prompt:
                return redirect(request.error_redirect(OAuthError("consent_required", "the user has not consented")))
            return _consent_page(request, session, params)
        return redirect(provider.approve(request, session.user.id, session.bap_id, session.auth_time,
                                         remember=False))

    def authorize_get() -> Any:
        """OAuth 2.0 authorization endpoint (docs/PROTOCOL.md section 6).

        Shows the sign-in page (no session), the consent page, or redirects back with a code.
        """
        return authorization_request(single_valued(bottle.request.query.decode()))  # type: ignore[no-untyped-call]

    def authorize_post() -> Any:
        """An authorization request sent as a form (OIDC Core 3.1.2.1), or the consent form's
        answer (it carries ``decision``): approve (redirect with a code) or deny (access_denied)."""
        form = single_valued(bottle.request.forms.decode())  # type: ignore[no-untyped-call]
        if "decision" not in form:
            return authorization_request(form)
        request = provider.parse_authorization(form)
        session = current_session(settings, store)
        if session is None:
            return error_page("You are signed out", "Your session ended before you answered. Start again from the app.",
                              401)
        refused = refused_form(settings, session, "consent:" + request.client.client_id, form.get("csrf"))
        if refused is not None:
            return refused
        if form.get("decision") != "approve":
            return redirect(provider.deny(request))
        return redirect(provider.approve(request, session.user.id, session.bap_id, session.auth_time))

    for path in AUTHORIZE_PATHS:
        app.route(path, "GET", authorize_get, oauth="page")
        app.route(path, "POST", authorize_post, oauth="page")
