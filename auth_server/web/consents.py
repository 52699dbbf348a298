"""``/oauth2/consents``: the signed-in user's page: the e-mail address apps may see (never
verified), and the consents given, each with a Withdraw button (rules:
:mod:`auth_server.oauth.consents`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import bottle

from auth_server.oauth.endpoints import CONSENTS_PATH
from auth_server.oauth.users import clean_email
from auth_server.sessions import CurrentSession, change_email
from auth_server.web.request_context import current_session
from auth_server.web.forms import csrf_token, page_form, refused_form
from auth_server.web.pages import error_page, render, sign_in_page
from auth_server.web.parts import ServerParts


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d")


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store, provider = parts.settings, parts.store, parts.provider

    def page(session: CurrentSession, notice: str = "", problem: str = "", status: int = 200) -> bottle.HTTPResponse:
        """The page for ``session``'s user."""
        user = session.user
        return render("consents", status, user_name=user.name, email=user.email or "",
                      consents=provider.consents(session.user.id), action=CONSENTS_PATH,
                      csrf=csrf_token(session, "consents"), notice=notice, problem=problem, when=_when)

    def consents_page() -> Any:
        """The apps the signed-in user allowed to sign them in, with Withdraw."""
        session = current_session(settings, store)
        if session is None:
            return sign_in_page(settings.signer_url, CONSENTS_PATH)
        return page(session)

    def withdraw() -> Any:
        """Withdraw the consent given to `client_id`: its tokens for this user are revoked."""
        form = page_form()
        session = current_session(settings, store)
        if session is None:
            return error_page("You are signed out", "Sign in again to manage the apps you allowed.", 401)
        refused = refused_form(settings, session, "consents", form.get("csrf"))
        if refused is not None:
            return refused
        if "email" in form:
            try:
                email = clean_email(form["email"])
            except ValueError as exc:
                return page(session, problem=str(exc), status=400)
            changed = change_email(store, session.user.id, email, settings.clock())
            if changed is None:
                return page(session, problem="Another identity on this server uses that address.", status=400)
            return page(replace(session, user=changed), "Saved: apps that ask for your e-mail see it from your "
                        "next sign-in." if email else "Removed: apps no longer see an e-mail address.")
        withdrawn = provider.withdraw_consent(session.user.id, form.get("client_id", ""))
        return page(session, "Withdrawn: the app's access has ended." if withdrawn else "Nothing to withdraw.")

    app.route(CONSENTS_PATH, "GET", consents_page, oauth="page")
    app.route(CONSENTS_PATH, "POST", withdraw, oauth="page")
