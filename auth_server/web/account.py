"""``/``, the account page: signed out, the server's name and "Sign in with Sigil" (the signer
flow of the sign-in page); signed in, who you are, your sessions (end any other), the apps you
allowed (withdraw) and sign out. Rules: :mod:`auth_server.account`, the consents of
:mod:`auth_server.oauth.consents` through the provider.

Every form posts here with this session's CSRF token and the Origin check, then comes back to
``/`` (post, redirect, get), with a notice named by a fixed key, so no text from the request
is ever shown back.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import bottle

from auth_server.account import Ended, account_sessions, end_session, groups_of, sign_out
from auth_server.oauth.users import described, own_picture
from auth_server.oauth.endpoints import CONSENTS_PATH
from auth_server.sessions import CurrentSession
from auth_server.signin import SIGN_IN_PATH
from auth_server.web.forms import csrf_token, page_form, refused_form
from auth_server.web.pages import PAGE_HEADERS, carry_cookies, error_page, render
from auth_server.web.parts import ServerParts
from auth_server.web.request_context import clear_session_cookie, current_session

ACCOUNT_PATH = "/"
END_SESSION_PATH = "/account/sessions/end"
WITHDRAW_PATH = "/account/apps/withdraw"
SIGN_OUT_PATH = "/account/sign-out"
CSRF_PURPOSE = "account"

#: the notices a redirect back to the page may name (``?done=<key>``): fixed text only
NOTICES = {
    "ended": "Session ended: that device is signed out.",
    "gone": "That session had already ended.",
    "withdrawn": "Withdrawn: the app's access has ended.",
    "nothing": "Nothing to withdraw.",
    "signed-out": "You are signed out.",
}


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d")


def _back(done: str) -> bottle.HTTPResponse:
    """303 to the account page with the notice ``done`` (a key of :data:`NOTICES`)."""
    return bottle.HTTPResponse("", 303, {"Location": f"{ACCOUNT_PATH}?done={done}", **PAGE_HEADERS})


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store, provider = parts.settings, parts.store, parts.provider
    server_name = urlsplit(settings.base_url).netloc or settings.base_url

    def account_page() -> Any:
        """The signed-in user's account, or the page that signs in with the local signer."""
        notice = NOTICES.get(bottle.request.query.get("done") or "", "")
        session = current_session(settings, store)
        if session is None:
            return render("account", signed_in=False, server_name=server_name, signer_url=settings.signer_url,
                          sign_in_path=SIGN_IN_PATH, continue_url=ACCOUNT_PATH,
                          notice=notice if notice == NOTICES["signed-out"] else "")
        user = session.user
        shown = described(user, settings.base_url)
        return render(
            "account", signed_in=True, server_name=server_name, notice=notice,
            user_name=shown["name"], picture=own_picture(user, settings.base_url) or "", username=shown["username"],
            bap_id=session.bap_id or "", pubkey=user.pubkey,
            sessions=account_sessions(store, session, settings.clock()), groups=groups_of(store, session),
            consents=provider.consents(user.id), csrf=csrf_token(session, CSRF_PURPOSE),
            end_action=END_SESSION_PATH, withdraw_action=WITHDRAW_PATH, sign_out_action=SIGN_OUT_PATH,
            email_page=CONSENTS_PATH, when=_when, day=_day,
        )

    def checked_form() -> tuple[CurrentSession, dict[str, str]] | bottle.HTTPResponse:
        """The form and the session it came with, or the page that refuses it (signed out,
        another site's request, a missing or wrong CSRF token)."""
        form = page_form()
        session = current_session(settings, store)
        if session is None:
            return error_page("You are signed out", "Sign in again to manage your account.", 401)
        return refused_form(settings, session, CSRF_PURPOSE, form.get("csrf")) or (session, form)

    def end_other_session() -> Any:
        """End one of this user's other sessions, named by `session_id`."""
        checked = checked_form()
        if isinstance(checked, bottle.HTTPResponse):
            return checked
        session, form = checked
        ended = end_session(store, session, form.get("session_id", ""))
        if ended is Ended.CURRENT:
            return error_page("This is the session you are using", "Use Sign out to end it.", 400)
        return _back("ended" if ended is Ended.ENDED else "gone")

    def withdraw() -> Any:
        """Withdraw the consent given to `client_id`: the app's tokens for this user are revoked."""
        checked = checked_form()
        if isinstance(checked, bottle.HTTPResponse):
            return checked
        session, form = checked
        withdrawn = provider.withdraw_consent(session.user.id, form.get("client_id", ""))
        return _back("withdrawn" if withdrawn else "nothing")

    def sign_out_here() -> Any:
        """End this session and clear its cookie."""
        checked = checked_form()
        if isinstance(checked, bottle.HTTPResponse):
            return checked
        session, _ = checked
        sign_out(store, session)
        clear_session_cookie(settings)
        return carry_cookies(_back("signed-out"))

    app.route(ACCOUNT_PATH, "GET", account_page, oauth="page")
    app.route(END_SESSION_PATH, "POST", end_other_session, oauth="page")
    app.route(WITHDRAW_PATH, "POST", withdraw, oauth="page")
    app.route(SIGN_OUT_PATH, "POST", sign_out_here, oauth="page")
