"""Device authorization grant (RFC 8628): the two JSON endpoints and the ``/device`` page.

A CLI or desktop app asks ``POST /api/auth/device/code`` for a user code, shows it, and
polls ``POST /api/auth/device/token``; the user opens ``/device`` in a browser where they
are signed in (or sign in through their signer), enters the code and approves.
Device clients are public clients (they cannot keep a key safe on every machine), so the
client is named by ``client_id``; when the client does send an X-Auth-Token it must be valid.
Guessing user codes and starting device authorizations are rate limited
(:class:`auth_server.ratelimit.DeviceFlowLimits`).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import bottle

from auth_server.oauth.endpoints import DEVICE_AUTHORIZATION_PATH
from auth_server.oauth.errors import OAuthError
from auth_server.oauth.credentials import normalize_user_code
from auth_server.ratelimit import DeviceFlowLimits, retry_after_header
from auth_server.store.models import OAuthClient
from auth_server.web.client_auth import client_request
from auth_server.web.request_context import client_ip, current_session
from auth_server.web.errors import NO_STORE, json_response
from auth_server.web.forms import csrf_token, page_form, refused_form, single_valued
from auth_server.web.pages import describe_scopes, render, sign_in_page
from auth_server.web.parts import ServerParts


def _slow_down(retry: float, source: str) -> OAuthError:
    """429 for too many device authorizations; ``slow_down`` is RFC 8628's word for it."""
    return OAuthError("slow_down", f"too many device authorizations from this {source}; "
                      f"retry in {max(1, math.ceil(retry))} seconds", 429, retry_after_header(retry))


def _locked_out(retry: float) -> bottle.HTTPResponse:
    """The page after too many user codes were tried: how long to wait, and why."""
    minutes = max(1, math.ceil(retry / 60))
    page = render("error", 429, title="Too many codes tried", detail="",
                  message=f"Too many device codes were entered from this browser or network. "
                          f"Wait {minutes} minute{'s' if minutes > 1 else ''}, then enter the code again.")
    for name, value in retry_after_header(retry).items():
        page.set_header(name, value)
    return page


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store, provider = parts.settings, parts.store, parts.provider
    limits = DeviceFlowLimits(settings)

    def admit_client(client: OAuthClient) -> None:
        retry = limits.start_for(client.client_id)
        if retry is not None:
            raise _slow_down(retry, "client")

    def device_code() -> Any:
        """Start a device authorization (RFC 8628 3.1): device_code, user_code, verification URIs.

        Limited per address and per client: 429 `slow_down` with Retry-After beyond that.
        """
        retry = limits.start_from(client_ip())
        if retry is not None:
            raise _slow_down(retry, "address")
        answer = provider.device_authorization_endpoint(client_request(), admit=admit_client)
        return json_response(answer, 200, NO_STORE)

    def device_token() -> Any:
        """Poll for the tokens (RFC 8628 3.4): authorization_pending, slow_down, expired_token, access_denied."""
        return json_response(provider.device_token_endpoint(client_request()), 200, NO_STORE)

    app.route(DEVICE_AUTHORIZATION_PATH, "POST", device_code, oauth="json")
    app.route("/api/auth/device/token", "POST", device_token, oauth="json")

    def enter_code_page(user_code: str, problem: str, status: int = 400) -> bottle.HTTPResponse:
        return render("device", status, stage="enter", action="/device", user_code=user_code, problem=problem)

    def device_page() -> Any:
        """The page where a signed-in user enters a device's code and approves it."""
        query = single_valued(bottle.request.query.decode())  # type: ignore[no-untyped-call]  # UTF-8, not latin-1
        user_code = normalize_user_code(query.get("user_code", "") or "")
        session = current_session(settings, store)
        if session is None:
            here = "/device" + ("?" + urlencode({"user_code": user_code}) if user_code else "")
            return sign_in_page(settings.signer_url, here)
        if not user_code:
            return enter_code_page("", "", 200)
        retry = limits.guess(session.session.id, client_ip())
        if retry is not None:
            return _locked_out(retry)
        try:
            record = provider.pending_device(user_code)
        except OAuthError as exc:
            return enter_code_page(user_code, exc.description)
        client = provider.client(record.client_id)
        return render(
            "device", stage="confirm", action="/device", user_code=record.user_code,
            client_name=client.name if client else record.client_id, user_name=session.user.name,
            self_registered=client is None or client.self_registered,
            bap_id=session.bap_id, scopes=describe_scopes(record.scope.split()),
            csrf=csrf_token(session, "device:" + record.user_code),
        )

    def device_decide() -> Any:
        """Approve or deny the device request named by user_code."""
        form = page_form()
        session = current_session(settings, store)
        if session is None:
            return render("error", 401, title="You are signed out", detail="",
                          message="Your session ended. Open this page again and sign in.")
        user_code = normalize_user_code(form.get("user_code", ""))
        retry = limits.guess(session.session.id, client_ip())
        if retry is not None:
            return _locked_out(retry)
        refused = refused_form(settings, session, "device:" + user_code, form.get("csrf"))
        if refused is not None:
            return refused
        approved = form.get("decision") == "approve"
        try:
            provider.decide_device(user_code, approved, session.user.id, session.bap_id, session.auth_time)
        except OAuthError as exc:
            return enter_code_page(user_code, exc.description)
        return render("device", stage="approved" if approved else "denied")

    app.route("/device", "GET", device_page, oauth="page")
    app.route("/device", "POST", device_decide, oauth="page")
