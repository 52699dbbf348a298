"""A relying party in one file: "Sign in with Bitcoin" against a Sigil (or any Sigma) server.

Read it top to bottom; this is the whole integration:

1. ``GET /login`` makes a PKCE verifier, a ``state`` and a ``nonce``, keeps them in the
   visitor's server-side session, and redirects the browser to ``/oauth2/authorize``.
2. The user signs in with their desktop signer and consents on the Sigil server, which
   redirects back to ``GET /callback?code=...&state=...`` (or ``?error=access_denied``).
3. The callback checks ``state`` and exchanges the code at ``/api/auth/oauth2/token``. The
   app authenticates itself with an ``X-Auth-Token`` header signed by its *member key*
   over the exact form body. The key comes from an environment variable and never
   reaches the browser.
4. It checks the id_token's ``nonce``, asks ``/api/auth/oauth2/userinfo`` who signed in,
   and greets the user by the name they share with it (and shows their picture), else by a
   neutral label; then their username, pubkey and BAP ID. ``POST /logout`` forgets them.

Configuration (environment, or the flags of ``python -m examples.demo_app --help``):

``SIGIL_ISSUER``           the Sigil server, e.g. ``http://127.0.0.1:3000``
``SIGIL_CLIENT_ID``        what ``sigil-server clients add`` printed
``SIGIL_DEMO_MEMBER_WIF``  the app's member private key (``python -m examples.demo_app new-key``)
``DEMO_PORT``              where this app listens (default 8000); its redirect URI is
                           ``http://127.0.0.1:<port>/callback`` unless ``DEMO_BASE_URL`` says otherwise
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import bottle

from auth_server.crypto import make_token, private_key_from_wif

TOKEN_PATH = "/api/auth/oauth2/token"
USERINFO_PATH = "/api/auth/oauth2/userinfo"
AUTHORIZE_PATH = "/oauth2/authorize"
SESSION_COOKIE = "demo_session"


@dataclass(frozen=True)
class DemoConfig:
    issuer: str  # the Sigil server's base URL
    client_id: str
    member_wif: str = field(repr=False)  # the app's member key; only signs the token request
    base_url: str  # where this app is reachable; the redirect URI is base_url + "/callback"
    scope: str = "openid profile"

    @property
    def redirect_uri(self) -> str:
        return self.base_url.rstrip("/") + "/callback"


# -- OAuth helpers (plain functions, no framework) -------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 defines them."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(config: DemoConfig, state: str, nonce: str, challenge: str) -> str:
    query = urllib.parse.urlencode({
        "client_id": config.client_id,
        "redirect_uri": config.redirect_uri,
        "response_type": "code",
        "scope": config.scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    return f"{config.issuer.rstrip('/')}{AUTHORIZE_PATH}?{query}"


class SignInFailed(Exception):
    """Anything that went wrong after the redirect back; shown to the user as error + description."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


def _http_json(request: urllib.request.Request) -> dict[str, Any]:
    """Send ``request`` and parse its JSON answer; OAuth error bodies become ``SignInFailed``."""
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = {}
        raise SignInFailed(body.get("error") or f"http_{exc.code}", body.get("error_description", "")) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SignInFailed("server_unreachable", f"cannot reach {request.full_url}: {exc}") from None


def exchange_code(config: DemoConfig, code: str, verifier: str) -> dict[str, Any]:
    """POST the code to the token endpoint, authenticated by the member key's signature."""
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "client_id": config.client_id,
        "code_verifier": verifier,
    })
    # The signature covers the path and the exact body bytes, so nobody can alter the request.
    auth_token = make_token(private_key_from_wif(config.member_wif), TOKEN_PATH, body=body)
    request = urllib.request.Request(
        config.issuer.rstrip("/") + TOKEN_PATH,
        data=body.encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Auth-Token": auth_token},
    )
    return _http_json(request)


def id_token_claims(id_token: str) -> dict[str, Any]:
    """The id_token's payload. It came straight from the token endpoint over our own request
    (OIDC Core 3.1.3.7 lets a code-flow client skip the signature check then); we still
    check the nonce, audience and issuer below."""
    try:
        payload = id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise SignInFailed("invalid_id_token", "the id_token is not a JWT") from None


def fetch_userinfo(config: DemoConfig, access_token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        config.issuer.rstrip("/") + USERINFO_PATH, headers={"Authorization": f"Bearer {access_token}"}
    )
    return _http_json(request)


# -- pages ----------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo app · Sign in with Bitcoin</title>
<style>
 body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; color: #1d2330; }}
 .card {{ border: 1px solid #d6dae3; border-radius: 12px; padding: 2rem; }}
 button, .button {{ font-size: 1rem; padding: .7rem 1.4rem; border-radius: 8px; border: 0;
   background: #f7931a; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }}
 .secondary {{ background: #5b6475; }}
 dt {{ font-weight: 600; margin-top: .8rem; }} dd {{ margin: .2rem 0; font-family: monospace; word-break: break-all; }}
 .error {{ border-color: #d64545; }} .error h2 {{ color: #b02a2a; }}
</style></head>
<body><h1>Demo app</h1><div class="card {kind}">{content}</div></body></html>"""


def page(content: str, kind: str = "") -> str:
    return PAGE.format(content=content, kind=kind)


def signed_out_page() -> str:
    return page(
        "<p>This little app has no passwords. Sign in with the Bitcoin identity in your Sigil wallet.</p>"
        '<p><a class="button" id="sign-in" href="/login">Sign in with Bitcoin</a></p>'
    )


def greeting_name(user: dict[str, Any]) -> str:
    """Who to greet: the name the user shares with this app (the ``name`` claim), else a neutral label."""
    return str(user.get("name") or "Sigil user")


def signed_in_page(user: dict[str, Any]) -> str:
    e = html.escape
    picture = user.get("picture")
    image = ""
    if isinstance(picture, str) and picture.startswith(("https://", "http://")):  # never javascript: or data:
        image = f'<img id="picture" src="{e(picture, quote=True)}" alt="" width="64" height="64">'

    return page(
        f'{image}<h2 id="welcome">Signed in as {e(greeting_name(user))}</h2><dl>'
        f'<dt>Username</dt><dd id="username">{e(str(user.get("preferred_username") or "-"))}</dd>'
        f'<dt>BAP ID</dt><dd id="bap-id">{e(str(user.get("bap_id") or "-"))}</dd>'
        f'<dt>Public key</dt><dd id="pubkey">{e(str(user.get("pubkey") or "-"))}</dd>'
        f'<dt>Subject</dt><dd id="sub">{e(str(user.get("sub") or "-"))}</dd></dl>'
        '<form method="post" action="/logout"><button class="secondary" id="sign-out">Sign out</button></form>'
    )


def error_page(error: str, description: str) -> str:
    e = html.escape
    return page(
        f'<h2>Sign-in did not complete</h2><p>Error: <code id="error">{e(error)}</code></p>'
        f'<p id="error-description">{e(description)}</p><p><a class="button" href="/">Back</a></p>',
        kind="error",
    )


# -- the app --------------------------------------------------------------------------------


class Sessions:
    """Server-side sessions in memory: the cookie holds only a random id."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def current(self, create: bool = False) -> dict[str, Any]:
        sid = bottle.request.get_cookie(SESSION_COOKIE)
        with self._lock:
            if sid and sid in self._data:
                return self._data[sid]
            if not create:
                return {}
            sid = secrets.token_urlsafe(24)
            self._data[sid] = {}
        bottle.response.set_cookie(SESSION_COOKIE, sid, path="/", httponly=True, samesite="lax")
        return self._data[sid]

    def end(self) -> None:
        sid = bottle.request.get_cookie(SESSION_COOKIE)
        with self._lock:
            self._data.pop(sid or "", None)
        bottle.response.delete_cookie(SESSION_COOKIE, path="/")


def create_app(config: DemoConfig) -> bottle.Bottle:
    """The demo relying party; one app per config (tests build several)."""
    app = bottle.Bottle()
    sessions = Sessions()

    @app.get("/")
    def home() -> str:
        user = sessions.current().get("user")
        return signed_in_page(user) if user else signed_out_page()

    @app.get("/login")
    def login() -> None:
        session = sessions.current(create=True)
        verifier, challenge = pkce_pair()
        session["pending"] = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
                              "verifier": verifier}
        bottle.redirect(authorize_url(config, session["pending"]["state"], session["pending"]["nonce"], challenge))

    @app.get("/callback")
    def callback() -> str:
        session = sessions.current()
        pending = session.pop("pending", None)
        query = bottle.request.query
        try:
            if query.get("error"):  # e.g. access_denied when the user said no
                raise SignInFailed(query.get("error"), query.get("error_description", ""))
            if not pending or not query.get("state") or query.get("state") != pending["state"]:
                raise SignInFailed("invalid_state", "this answer does not belong to a sign-in started here")
            if not query.get("code"):
                raise SignInFailed("invalid_request", "the server sent no authorization code")
            tokens = exchange_code(config, query.get("code"), pending["verifier"])
            claims = id_token_claims(tokens.get("id_token", ""))
            if claims.get("nonce") != pending["nonce"]:
                raise SignInFailed("invalid_id_token", "the id_token's nonce does not match this sign-in")
            if claims.get("iss", "").rstrip("/") != config.issuer.rstrip("/"):
                raise SignInFailed("invalid_id_token", "the id_token comes from another issuer")
            audience = claims.get("aud")
            if config.client_id not in (audience if isinstance(audience, list) else [audience]):
                raise SignInFailed("invalid_id_token", "the id_token was issued to another app")
            user = fetch_userinfo(config, tokens["access_token"])
            if user.get("sub") != claims.get("sub"):
                raise SignInFailed("invalid_id_token", "userinfo and id_token name different users")
        except SignInFailed as exc:
            bottle.response.status = 400
            return error_page(exc.error, exc.description)
        session["user"] = user
        bottle.redirect("/")
        return ""  # not reached

    @app.post("/logout")
    def logout() -> None:
        sessions.end()
        bottle.redirect("/")

    return app
