"""JSON errors for every failure, and the map from token errors to HTTP.

Clients get ``{"message", "code"}`` with a fitting status; a genuine bug answers a
bare JSON 500 ("internal error") and is logged with its traceback, never sent one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import bottle

from auth_server.client_errors import ApiError
from auth_server.crypto import MalformedToken, TokenError
from auth_server.oauth.errors import OAuthError, invalid_request
from auth_server.outages import StoreUnavailable
from auth_server.web.pages import carry_cookies, error_page, oauth_error_page

log = logging.getLogger("sigil.server")


# json.dumps with non-default separators builds a new encoder on every call; one will do.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> bottle.HTTPResponse:
    """A JSON answer that carries the cookies already set on ``bottle.response``."""
    res = bottle.HTTPResponse(_COMPACT_JSON.encode(data), status, headers)
    res.content_type = "application/json"
    return carry_cookies(res)  # HTTPResponse replaces bottle.response: keep cookies set during the request


def token_error_status(exc: TokenError) -> tuple[int, str, str]:
    """(status, code, message) for a token failure: 400 when malformed, 401 otherwise."""
    status = 400 if isinstance(exc, MalformedToken) else 401
    return status, exc.code.upper(), exc.message


def api_error_from_token_error(exc: TokenError) -> ApiError:
    return ApiError(*token_error_status(exc))


def api_error_response(exc: ApiError) -> bottle.HTTPResponse:
    """``{"message", "code"}`` with the error's status and headers."""
    return json_response({"message": exc.message, "code": exc.code}, exc.status, exc.headers)


#: what a client is told when the database does not answer (the reason goes to the log only)
STORE_UNAVAILABLE_MESSAGE = "the server's database is not available; try again in a few seconds"
RETRY_SOON = {"Retry-After": "2"}


def log_store_unavailable(exc: StoreUnavailable) -> None:
    """One line per refused request, no traceback: an outage is not a bug."""
    log.warning("%s %s answered 503: %s", bottle.request.method, bottle.request.path, exc)


def _json_errors_plugin(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Route wrapper: ApiError -> its JSON; TokenError -> 400/401; an ``OAuthError`` from a route
    that did not opt in to :class:`OAuthErrorsPlugin` (a form check shared by every page) -> its
    RFC 6749 JSON; anything else -> logged JSON 500."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except bottle.HTTPResponse:
            raise
        except ApiError as exc:
            return api_error_response(exc)
        except TokenError as exc:
            return api_error_response(api_error_from_token_error(exc))
        except OAuthError as exc:
            return oauth_json_error(exc)
        except UnicodeError:  # bottle decodes headers, cookies and query strings lazily
            return json_response({"message": "request is not valid UTF-8", "code": "BAD_REQUEST"}, 400)
        except StoreUnavailable as exc:
            log_store_unavailable(exc)
            return json_response({"message": STORE_UNAVAILABLE_MESSAGE, "code": "DB_UNAVAILABLE"}, 503,
                                 RETRY_SOON)
        except Exception:
            log.exception("unhandled error in %s %s", bottle.request.method, bottle.request.path)
            return json_response({"message": "internal error", "code": "INTERNAL_ERROR"}, 500)

    return wrapper


_STATUS_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE", 500: "INTERNAL_ERROR"}


def _default_error_handler(res: bottle.HTTPError) -> str:
    """Bottle's own errors (404, 405, aborts, and bugs outside routes) as JSON, never HTML."""
    if res.status_code >= 500:
        if res.exception is not None:
            log.error("unhandled error: %r\n%s", res.exception, res.traceback or "")
        message = "internal error"
    elif isinstance(res.body, str) and res.body:
        message = res.body
    else:
        message = res.status_line.split(" ", 1)[-1]
    bottle.response.content_type = "application/json"
    code = _STATUS_CODES.get(res.status_code, "ERROR")
    return json.dumps({"message": message, "code": code})


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_json_error(exc: OAuthError) -> bottle.HTTPResponse:
    """RFC 6749 5.2 ``{"error", "error_description"}``; a 401 names the scheme to use: the one
    the error chose (the scheme the client tried), Bearer for access tokens, else Basic."""
    headers = {**NO_STORE, **exc.headers}
    if exc.status == 401:
        if exc.challenge:
            headers["WWW-Authenticate"] = exc.challenge
        elif exc.error == "invalid_token":
            headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
        else:
            headers["WWW-Authenticate"] = 'Basic realm="sigil"'
    return json_response(exc.as_json(), exc.status, headers)


class OAuthErrorsPlugin:
    """Route wrapper for the OAuth routes: ``OAuthError`` (and undecodable bytes, the client's
    error too) become the route's answer in one place.

    A route opts in with ``oauth="json"`` (token-style JSON errors) or ``oauth="page"``
    (the HTML answer of :func:`auth_server.web.pages.oauth_error_page`) in ``app.route``.
    Installed after :func:`_json_errors_plugin`, so it runs inside it.
    """

    name = "oauth_errors"
    api = 2

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        kind = route.config.get("oauth")
        if kind is None:
            return callback
        if kind == "json":
            def json_wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return callback(*args, **kwargs)
                except OAuthError as exc:
                    return oauth_json_error(exc)
                except UnicodeError:
                    return oauth_json_error(invalid_request("request contains bytes that are not UTF-8"))

            return json_wrapper

        def page_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except (OAuthError, UnicodeError) as exc:
                return oauth_error_page(exc)
            except StoreUnavailable as exc:
                log_store_unavailable(exc)
                res = error_page("Sign-in is unavailable for a moment", STORE_UNAVAILABLE_MESSAGE.capitalize() + ".",
                                 503, "temporarily_unavailable")
                res.set_header("Retry-After", RETRY_SOON["Retry-After"])
                return res

        return page_wrapper


def install_error_handling(app: bottle.Bottle, around_oauth: tuple[Any, ...] = ()) -> None:
    """The error plugins; ``around_oauth`` are plugins that must see the OAuth error answers
    (they run inside the JSON-errors plugin and outside the OAuth one)."""
    app.catchall = True
    app.install(_json_errors_plugin)
    for plugin in around_oauth:
        app.install(plugin)
    app.install(OAuthErrorsPlugin())  # after, so it runs inside _json_errors_plugin
    app.default_error_handler = _default_error_handler  # type: ignore[method-assign]
