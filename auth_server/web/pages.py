"""Server-rendered pages (sign-in, consent, device, errors): templates, their security
headers, and the page answer to a bad OAuth request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bottle

from auth_server.config import origin_of
from auth_server.display import shown_text
from auth_server.oauth.authorize import RedirectableError
from auth_server.oauth.errors import OAuthError
from auth_server.oauth.scopes import SCOPE_DESCRIPTIONS
from auth_server.signin import SIGN_IN_PATH
from auth_server.web.parts import ServerParts

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/oauth2/static"
# Pages that carry codes or CSRF tokens: no caching, no framing, scripts and styles from here only.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # "same-origin", not "no-referrer": under no-referrer Chromium sends `Origin: null` (and no
    # Referer) with the consent form's same-origin POST, and the CSRF origin check refuses it.
    "Referrer-Policy": "same-origin",
}


def _shown_html(value: str) -> str:
    """How every ``{{value}}`` of every page is written: invisible characters removed
    (:func:`~auth_server.display.shown_text`), then HTML-escaped."""
    return bottle.html_escape(shown_text(value))


def render(name: str, status: int = 200, **values: Any) -> bottle.HTTPResponse:
    """A server-rendered page (bottle SimpleTemplate, auto-escaped) with the page headers.

    The Content-Security-Policy allows this server's own script and styles only, and
    network access to this server plus the local signer (``signer_url``, sign-in page).
    """
    html = bottle.template(name, template_lookup=[str(TEMPLATES)], static=STATIC_PREFIX,
                           template_settings={"escape_func": _shown_html}, **values)
    headers = dict(PAGE_HEADERS)
    headers["Content-Type"] = "text/html; charset=utf-8"
    connect = " ".join(["'self'"] + ([origin_of(values["signer_url"])] if values.get("signer_url") else []))
    headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src {connect}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return bottle.HTTPResponse(html, status, headers)


def carry_cookies(res: bottle.HTTPResponse) -> bottle.HTTPResponse:
    """``res`` with the cookies already set on ``bottle.response`` (an HTTPResponse replaces it)."""
    if bottle.response._cookies:  # type: ignore[attr-defined]
        for morsel in bottle.response._cookies.values():  # type: ignore[attr-defined]
            res.add_header("Set-Cookie", morsel.OutputString())
    return res


def error_page(title: str, message: str, status: int = 400, detail: str = "") -> bottle.HTTPResponse:
    return render("error", status, title=title, message=message, detail=detail)



def redirect(location: str) -> bottle.HTTPResponse:
    return bottle.HTTPResponse("", 302, {"Location": location, **PAGE_HEADERS})


def oauth_error_page(exc: OAuthError | UnicodeError) -> bottle.HTTPResponse:
    """The answer of a page route to a bad request: back to the client when the redirect_uri
    is verified (RFC 6749 4.1.2.1), otherwise a page and never a redirect."""
    if isinstance(exc, RedirectableError):
        return redirect(exc.location)
    if isinstance(exc, OAuthError):
        return error_page("This sign-in link is not valid", exc.description or exc.error, 400, exc.error)
    return error_page("This link is not valid", "The request contains bytes that are not UTF-8.", 400)


def sign_in_page(signer_url: str, continue_url: str, client_name: str = "", bap_id: str | None = None,
                 *, invite: str = "", inviter: str = "", groups: tuple[str, ...] = (),
                 client_id: str = "") -> bottle.HTTPResponse:
    """The page that asks the local signer to sign in, then goes on to ``continue_url``; with
    ``invite``, the invitation page: ``inviter`` invites you (into ``groups``). ``client_id``:
    the app the sign-in is for (the authorize page), whom the signer asks about sharing the
    profile with."""
    return render("signin", client_name=client_name, bap_id=bap_id or "", signer_url=signer_url,
                  sign_in_path=SIGN_IN_PATH, continue_url=continue_url, invite=invite, inviter=inviter,
                  groups=list(groups), client_id=client_id)


def describe_scopes(scopes: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in scopes]


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    """The pages' own stylesheet and script."""

    def static(name: str) -> Any:
        res = bottle.static_file(name, root=str(STATIC))
        res.set_header("Cache-Control", "public, max-age=3600")
        res.set_header("X-Content-Type-Options", "nosniff")
        return res

    app.route(STATIC_PREFIX + "/<name:re:[a-z0-9_-]+\\.(css|js)>", "GET", static)
