"""``/admin``: the admin console, for members of the ``admin`` group.

Server-rendered pages in the style of the consent pages: users (search, details, disable and
enable, groups, sessions), invitations (make one with groups and expiry, its link and QR code
shown once, revoke), groups, apps (register every kind, a secret shown once, rotate, allowed
groups, disable), live sessions, and the audit log. The rules are :mod:`auth_server.team`'s;
this module parses forms and renders.

Every request finds the session again and checks it is an administrator's (signed out: the
sign-in page; not an admin: 403). Every form POST carries the session's CSRF token for
``admin`` and passes the Origin check before anything changes. Actions are logged as
``console:<user id>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import bottle

from auth_server import team
from auth_server.oauth.users import own_picture
from auth_server.sessions import CurrentSession, live_sessions
from auth_server.web.forms import csrf_token, page_form, refused_form
from auth_server.web.pages import error_page, render, sign_in_page
from auth_server.web.parts import ServerParts
from auth_server.web.request_context import current_session

ADMIN = "/admin"
CSRF_PURPOSE = "admin"
SECTIONS = (("users", "Users"), ("invitations", "Invitations"), ("groups", "Groups"), ("clients", "Apps"),
            ("sessions", "Sessions"), ("audit", "Audit log"))
#: the secret methods and the public one: what the form registers (member keys and JWKS: the CLI)
FORM_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def qr_svg_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (the pages' CSP allows ``img-src data:``)."""
    from urllib.parse import quote

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;charset=utf-8," + quote(image.to_string(encoding="unicode"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    settings, store = parts.settings, parts.store

    def admin_session() -> CurrentSession | bottle.HTTPResponse:
        """The administrator's session, or the page to answer instead."""
        session = current_session(settings, store)
        if session is None:
            return sign_in_page(settings.signer_url, bottle.request.fullpath)
        if not team.is_admin(store, session.user.id):
            return error_page("Administrators only",
                              "The admin console is for members of this server's admin group.", 403)
        return session

    def page(session: CurrentSession, section: str, status: int = 200, notice: str = "", problem: str = "",
             **values: Any) -> bottle.HTTPResponse:
        return render("admin", status, section=section, sections=SECTIONS, me=session.user,
                      csrf=csrf_token(session, CSRF_PURPOSE), notice=notice, problem=problem, when=when,
                      root=ADMIN, avatar=lambda user: own_picture(user, settings.base_url), **values)

    # ---- what each section shows ----------------------------------------------------

    def users_view(session: CurrentSession, **extra: Any) -> bottle.HTTPResponse:
        query = bottle.request.query
        search = (query.get("q") or "").strip()[:100]  # type: ignore[union-attr]
        group = (query.get("group") or "").strip()[:64] or None  # type: ignore[union-attr]
        found = team.users(store, search=search or None, group=group, limit=200)
        return page(session, "users", users=found, search=search, group=group or "",
                    groups=team.groups(store), **extra)

    def user_view(session: CurrentSession, user_id: str, **extra: Any) -> bottle.HTTPResponse:
        try:
            user = team.find_user(store, user_id)
        except team.NoSuchUser:
            return page(session, "users", 404, problem="No such user.", users=[], search="", group="",
                        groups=team.groups(store))
        sessions = live_sessions(store, user.id, store.clock())
        return page(session, "user", details=team.details(store, user), sessions=sessions,
                    groups=team.groups(store), **extra)

    def invitations_view(session: CurrentSession, **extra: Any) -> bottle.HTTPResponse:
        return page(session, "invitations", invitations=team.invitations(store), now=store.clock(),
                    groups=team.groups(store), **extra)

    def groups_view(session: CurrentSession, **extra: Any) -> bottle.HTTPResponse:
        return page(session, "groups", groups=team.groups(store), **extra)

    def clients_view(session: CurrentSession, **extra: Any) -> bottle.HTTPResponse:
        from auth_server import admin

        return page(session, "clients", clients=admin.clients(store), groups=team.groups(store),
                    auth_methods=FORM_AUTH_METHODS, **extra)

    def sessions_view(session: CurrentSession, **extra: Any) -> bottle.HTTPResponse:
        return page(session, "sessions", live=team.all_live_sessions(store), this_session=session.session.id, **extra)

    def audit_view(session: CurrentSession, **extra: Any) -> bottle.HTTPResponse:
        since = (bottle.request.query.get("since") or "7d")[:16]  # type: ignore[union-attr]
        try:
            seconds = team.parse_duration(since)
        except team.TeamError:
            since, seconds = "7d", 7 * 86400.0
        return page(session, "audit", entries=team.audit(store, seconds, limit=500), since=since, **extra)

    views: dict[str, Callable[..., bottle.HTTPResponse]] = {
        "users": users_view, "invitations": invitations_view, "groups": groups_view, "clients": clients_view,
        "sessions": sessions_view, "audit": audit_view,
    }

    # ---- what each form does --------------------------------------------------------

    def do_user(session: CurrentSession, form: dict[str, str], actor: str) -> bottle.HTTPResponse:
        user_id, action = team.find_user(store, form.get("user_id", "")).id, form.get("action", "")
        if action == "disable":
            if user_id == session.user.id:
                raise team.TeamError("you cannot disable your own account from its own session")
            user = team.set_disabled(store, user_id, True, actor=actor)
            return user_view(session, user.id, notice="Disabled: every session and token of this user has ended.")
        if action == "enable":
            user = team.set_disabled(store, user_id, False, actor=actor)
            return user_view(session, user.id, notice="Enabled: this user can sign in again.")
        if action == "join":
            team.change_groups(store, user_id, add=[form.get("group", "")], actor=actor)
            return user_view(session, user_id, notice="Added to the group.")
        if action == "leave":
            if user_id == session.user.id and form.get("group") == team.ADMIN_GROUP:
                raise team.TeamError("you cannot take yourself out of the admin group")
            team.change_groups(store, user_id, remove=[form.get("group", "")], actor=actor)
            return user_view(session, user_id, notice="Taken out of the group.")
        if action == "remove":
            if user_id == session.user.id:
                raise team.TeamError("you cannot remove your own account")
            removed = team.remove_user(store, user_id, actor=actor)
            return users_view(session, notice=f"Removed {removed.name} with their sessions and tokens.")
        if action == "end-session":
            team.end_session(store, form.get("session_id", ""), actor=actor)
            return user_view(session, user_id, notice="Session ended.")
        raise team.TeamError("unknown action")

    def do_invitation(session: CurrentSession, form: dict[str, str], actor: str) -> bottle.HTTPResponse:
        if form.get("action") == "revoke":
            team.revoke_invitation(store, form.get("invitation_id", ""), actor=actor)
            return invitations_view(session, notice="Revoked: the link no longer works.")
        try:
            uses = int(form.get("uses") or "1")
        except ValueError:
            raise team.TeamError("uses must be a whole number") from None
        new = team.invite(store, settings.base_url, groups=bottle.request.forms.getall("group"), uses=uses,
                          expires_in=team.parse_duration(form.get("expires") or "7d"), note=form.get("note", ""),
                          actor=actor)
        return invitations_view(session, created=new, qr=qr_svg_data_uri(new.url),
                                notice="Invitation made: send this link (it is shown this once).")

    def do_group(session: CurrentSession, form: dict[str, str], actor: str) -> bottle.HTTPResponse:
        if form.get("action") == "remove":
            team.remove_group(store, form.get("name", ""), actor=actor)
            return groups_view(session, notice="Group removed; its members left it.")
        group = team.add_group(store, form.get("name", "").strip(), form.get("description", ""), actor=actor)
        return groups_view(session, notice=f"Group {group.name} made.")

    def do_client(session: CurrentSession, form: dict[str, str], actor: str) -> bottle.HTTPResponse:
        client_id, action = form.get("client_id", ""), form.get("action", "")
        if action == "rotate":
            secret = team.rotate_client_secret(store, client_id, actor=actor)
            return clients_view(session, secret=(client_id, secret),
                                notice="New secret made: put it in the app's settings now (shown this once).")
        if action in ("disable", "enable"):
            team.set_client_disabled(store, client_id, action == "disable", actor=actor)
            return clients_view(session, notice=f"App {action}d.")
        if action == "groups":
            team.set_client_groups(store, client_id, bottle.request.forms.getall("group"), actor=actor)
            return clients_view(session, notice="Allowed groups saved.")
        method = form.get("auth_method", "client_secret_basic")
        if method not in FORM_AUTH_METHODS:
            raise team.TeamError(f"auth method must be one of {', '.join(FORM_AUTH_METHODS)}")
        new = team.register_client(store, form.get("name", ""), _lines(form.get("redirect_uris", "")),
                                   auth_method=method, allowed_groups=bottle.request.forms.getall("group"),
                                   post_logout_redirect_uris=_lines(form.get("post_logout_redirect_uris", "")),
                                   actor=actor)
        secret = (new.client_id, new.client_secret) if new.client_secret else None
        return clients_view(session, secret=secret, notice=f"App registered: client_id {new.client_id}."
                            + (" Its secret is shown this once." if secret else ""))

    def do_session(session: CurrentSession, form: dict[str, str], actor: str) -> bottle.HTTPResponse:
        ended = team.end_session(store, form.get("session_id", ""), actor=actor)
        return sessions_view(session, notice="Session ended." if ended else "That session had already ended.")

    actions: dict[str, Callable[[CurrentSession, dict[str, str], str], bottle.HTTPResponse]] = {
        "users": do_user, "invitations": do_invitation, "groups": do_group, "clients": do_client,
        "sessions": do_session,
    }

    # ---- routes ---------------------------------------------------------------------

    def overview() -> Any:
        return bottle.HTTPResponse("", 302, {"Location": f"{ADMIN}/users", "Cache-Control": "no-store"})

    def show(section: str) -> Any:
        session = admin_session()
        if not isinstance(session, CurrentSession):
            return session
        view = views.get(section)
        if view is None:
            return error_page("Not found", "There is no such page in the admin console.", 404)
        return view(session)

    def show_user(user_id: str) -> Any:
        session = admin_session()
        if not isinstance(session, CurrentSession):
            return session
        return user_view(session, user_id)

    def act(section: str) -> Any:
        form = page_form()
        session = admin_session()  # the admin is checked again on every form
        if not isinstance(session, CurrentSession):
            return session
        work = actions.get(section)
        if work is None:
            return error_page("Not found", "There is no such form in the admin console.", 404)
        refused = refused_form(settings, session, CSRF_PURPOSE, form.get("csrf"))
        if refused is not None:
            return refused
        try:
            return work(session, form, f"console:{session.user.id}")
        except ValueError as exc:  # TeamError, a bad client field, a client without a secret
            if section == "users":
                return user_or_list(session, form, str(exc))
            return views[section](session, problem=str(exc), status=400)

    def user_or_list(session: CurrentSession, form: dict[str, str], problem: str) -> bottle.HTTPResponse:
        if form.get("user_id"):
            return user_view(session, form["user_id"], problem=problem, status=400)
        return users_view(session, problem=problem, status=400)

    app.route(ADMIN, "GET", overview, oauth="page")
    app.route(ADMIN + "/", "GET", overview, oauth="page")
    app.route(ADMIN + "/users/<user_id>", "GET", show_user, oauth="page")
    app.route(ADMIN + "/<section>", "GET", show, oauth="page")
    app.route(ADMIN + "/<section>", "POST", act, oauth="page")
