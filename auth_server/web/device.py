"""Device authorization grant (RFC 8628): the two JSON endpoints and the ``/device`` page.

A CLI or desktop app asks ``POST /api/auth/device/code`` for a user code, shows it, and
polls ``POST /api/auth/device/token``; the user opens ``/device`` in a browser where they
are signed in (or sign in through their signer), enters the code and approves.
Device clients are public clients (they cannot keep a key safe on every machine), so the
client is named by ``client_id``; when the client does send an X-Auth-Token it must be valid.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import bottle

from auth_server.config import Settings
from auth_server.crypto import TokenError
from auth_server.oauth.clients import active_client, authenticate_client
from auth_server.oauth.errors import OAuthError, invalid_client
from auth_server.oauth.secrets import normalize_user_code
from auth_server.store import Store
from auth_server.store.oauth import OAuthClient
from auth_server.web.auth_token import verify_request_token
from auth_server.web.context import check_origin, current_session
from auth_server.web.errors import ApiError, json_response
from auth_server.web.oauth import (
    NO_STORE, SIGN_IN_PATH, check_csrf, csrf_token, describe_scopes, html_page, json_api, oauth_json_error,
    provider_for, read_form, render, session_bap_id, sync_issuer,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _device_client(settings: Settings, store: Store, raw: bytes, form: dict[str, str]) -> OAuthClient:
    client = active_client(store.oauth.clients, form.get("client_id"))
    header = bottle.request.get_header("X-Auth-Token")
    if header:
        try:
            token = verify_request_token(header, bottle.request.path, raw, settings, store)
        except TokenError as exc:
            raise invalid_client(f"X-Auth-Token rejected ({exc.code}): {exc.message}") from None
        authenticate_client(client, token.pubkey)
    return client


def install(app: bottle.Bottle, settings: Settings, store: Store) -> None:
    def provider() -> Any:
        p = provider_for(app, settings, store)
        sync_issuer(p, settings)
        return p

    def device_code() -> Any:
        """Start a device authorization (RFC 8628 3.1): device_code, user_code, verification URIs."""
        try:
            raw, form = read_form()
            client = _device_client(settings, store, raw, form)
            answer = provider().start_device(client, form.get("scope"))
        except OAuthError as exc:
            return oauth_json_error(exc)
        return json_response(answer, 200, NO_STORE)

    def device_token() -> Any:
        """Poll for the tokens (RFC 8628 3.4): authorization_pending, slow_down, expired_token, access_denied."""
        try:
            raw, form = read_form()
            client = _device_client(settings, store, raw, form)
            if form.get("grant_type") != DEVICE_GRANT:
                raise OAuthError("unsupported_grant_type", f"grant_type must be {DEVICE_GRANT}")
            answer = provider().device_token(client, form.get("device_code"))
        except OAuthError as exc:
            return oauth_json_error(exc)
        return json_response(answer, 200, NO_STORE)

    app.route("/api/auth/device/code", "POST", json_api(device_code))
    app.route("/api/auth/device/token", "POST", json_api(device_token))

    def device_page() -> Any:
        """The page where a signed-in user enters a device's code and approves it."""
        user_code = normalize_user_code(bottle.request.query.get("user_code", "") or "")
        session = current_session(settings, store)
        if session is None:
            here = "/device" + ("?" + urlencode({"user_code": user_code}) if user_code else "")
            return render("signin", client_name="", bap_id="", signer_url=settings.signer_url,
                          sign_in_path=SIGN_IN_PATH, continue_url=here)
        if not user_code:
            return render("device", stage="enter", action="/device", user_code="", problem="")
        try:
            record = provider().pending_device(user_code)
        except OAuthError as exc:
            return render("device", 400, stage="enter", action="/device", user_code=user_code,
                          problem=exc.description)
        client = store.oauth.clients.get(record.client_id)
        return render(
            "device", stage="confirm", action="/device", user_code=record.user_code,
            client_name=client.name if client else record.client_id, user_name=session.user.name,
            bap_id=session_bap_id(session), scopes=describe_scopes(record.scope.split()),
            csrf=csrf_token(session, "device:" + record.user_code),
        )

    def device_decide() -> Any:
        """Approve or deny the device request named by user_code."""
        form = dict(bottle.request.forms.decode().items())  # type: ignore[no-untyped-call]
        session = current_session(settings, store)
        if session is None:
            return render("error", 401, title="You are signed out", detail="",
                          message="Your session ended. Open this page again and sign in.")
        user_code = normalize_user_code(form.get("user_code", ""))
        try:
            check_origin(settings)
            check_csrf(session, "device:" + user_code, form.get("csrf"))
        except ApiError as exc:
            return render("error", exc.status, title="Request refused", message=exc.message, detail="")
        approved = form.get("decision") == "approve"
        try:
            provider().decide_device(user_code, approved, session.user.id, session_bap_id(session),
                                     int(session.session.created_at))
        except OAuthError as exc:
            return render("device", 400, stage="enter", action="/device", user_code=user_code,
                          problem=exc.description)
        return render("device", stage="approved" if approved else "denied")

    app.route("/device", "GET", html_page(device_page))
    app.route("/device", "POST", html_page(device_decide))
