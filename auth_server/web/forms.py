"""Request bodies the OAuth endpoints read (form or JSON, repeated parameters refused) and
the CSRF tokens of the pages' own forms.

Every parameter a client sends passes :func:`refuse_controls` here, in the readers every
endpoint uses, so no field (``client_id``, ``user_code``, ``state``, a token...) carries a NUL,
another control character or a lone surrogate into the store: PostgreSQL refuses NUL in
text (``psycopg.DataError``, a 500) and no OAuth or OIDC parameter has a use for them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl

import bottle

from auth_server.display import has_control_characters
from auth_server.json_input import JSONInputError, load_json_object
from auth_server.oauth.errors import invalid_request
from auth_server.sessions import CurrentSession
from auth_server.config import Settings
from auth_server.web.request_context import check_origin, read_body
from auth_server.web.errors import ApiError
from auth_server.web.pages import error_page


def refuse_controls(pairs: Iterable[tuple[str, str]]) -> None:
    """``invalid_request`` if a parameter's name or value holds a control character or a lone
    surrogate; the message names the parameter, never echoes its value."""
    for key, value in pairs:
        if has_control_characters(key):
            raise invalid_request("a parameter name contains a control character")
        if has_control_characters(value):
            raise invalid_request(f"parameter {key!r} contains a control character")


def parse_form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; repeated parameters are refused (RFC 6749 3.2)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("request body is not UTF-8") from None
    form: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in form:
            raise invalid_request(f"parameter {key!r} is repeated")
        form[key] = value
    refuse_controls(form.items())
    return form


def read_form() -> tuple[bytes, dict[str, str]]:
    """Raw body (what the client signed) and its parsed form; JSON bodies are accepted too."""
    try:
        raw = read_body()
    except ApiError as exc:
        raise invalid_request(exc.message) from None
    content_type = (bottle.request.content_type or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = load_json_object(raw)
        except JSONInputError as exc:
            raise invalid_request(str(exc)) from None
        form = {str(k): str(v) for k, v in data.items() if v is not None}
        refuse_controls(form.items())
        return raw, form
    return raw, parse_form(raw)


def single_valued(params: bottle.MultiDict) -> dict[str, str]:
    """A query or form as a dict; a repeated parameter is ``invalid_request`` (RFC 6749 3.1),
    never "the last one wins"."""
    out: dict[str, str] = {}
    for key in params.keys():
        values = params.getall(key)
        if len(values) > 1:
            raise invalid_request(f"parameter {key!r} is repeated")
        out[key] = values[0]
    refuse_controls(out.items())
    return out


def page_form() -> dict[str, str]:
    """The fields of a form posted by one of this server's pages."""
    form = dict(bottle.request.forms.decode().items())  # type: ignore[no-untyped-call]
    refuse_controls(form.items())
    return form


def csrf_token(session: CurrentSession, purpose: str) -> str:
    """A form token only the holder of the session cookie can know (HMAC keyed by it)."""
    return hmac.new(session.token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def check_csrf(session: CurrentSession, purpose: str, value: str | None) -> None:
    """403 unless ``value`` is this session's token for ``purpose``.

    Compared as bytes: ``hmac.compare_digest`` raises ``TypeError`` on a ``str`` with
    non-ASCII characters, and a form field can hold anything (even lone surrogates).
    """
    sent = (value or "").encode("utf-8", "surrogatepass")
    if not sent or not hmac.compare_digest(csrf_token(session, purpose).encode("ascii"), sent):
        raise ApiError(403, "INVALID_CSRF", "the form expired or did not come from this server; reload and retry")


def refused_form(settings: Settings, session: CurrentSession, purpose: str, csrf: str | None
                 ) -> bottle.HTTPResponse | None:
    """The page that refuses a form POST from another site or without this session's CSRF
    token for ``purpose``; None when the form may be acted on. Every page form asks here."""
    try:
        check_origin(settings)
        check_csrf(session, purpose, csrf)
    except ApiError as exc:
        return error_page("Request refused", exc.message, exc.status)
    return None
