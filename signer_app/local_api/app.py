"""The TokenPass-compatible local signer API (docs/PROTOCOL.md section 7) as a bottle app.

Browser access rules: ``GET /api/status``, ``POST /api/auth`` and ``POST /api/sign-in``
answer any named origin (asking for a grant or a sign-in is what the approval dialog is
for, and it shows the origin); every other endpoint answers only origins that hold a live
grant, or the embedded server's own origin. An opaque origin (``Origin: null``) has no site
to bind a grant to: it is refused everywhere but ``/api/status``, before any dialog, and is
never echoed in ``Access-Control-Allow-Origin``. Requests whose ``Host`` is not a loopback
name are refused, so a DNS-rebinding page cannot reach the API under its own origin.

Routes, the origin guard and the endpoint list all come from the policy table,
:data:`signer_app.policy.POLICY`: each route reads the request's origin, token and JSON once,
lets :meth:`~signer_app.service.SignerService.resolve` settle the row's grant and lock rules,
and calls the row's handler, which owns the rest. Nothing here names an endpoint.
"""

from __future__ import annotations

import json
import re

import bottle

from auth_server.json_input import JSONInputError, load_json_object
from signer_app.policy import MAX_REQUEST_BYTES, Access, Endpoint, access_for, pick, routes
from signer_app.service import ErrorKind, SignerError, SignerService, bad_request, is_opaque_origin

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
# An origin as browsers serialize it: scheme://host[:port], ASCII (IDNs arrive as punycode)
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[A-Za-z0-9._~\-\[\]:]+", re.ASCII)
_TOKEN = re.compile(r"[\x21-\x7e]+", re.ASCII)
_REQUEST_ORIGIN = "sigil.origin"
_CORS_ORIGIN = "sigil.cors_origin"  # where the guard leaves the origin it let in, for the answer's CORS

#: (method, path, scope, what it does) of each route, from the policy table (tests walk it)
ENDPOINTS: tuple[tuple[str, str, str, str], ...] = tuple(
    (method, path, " / ".join(sorted({row.scope or "–" for row in rows})), " or ".join(row.summary for row in rows))
    for (method, path), rows in routes()
)


#: (wire code, HTTP status) of each failure; codes 1, 2, 3 and 5 are those of docs/PROTOCOL.md
#: section 7, 4 (denied by the user or timed out), 6 (malformed request) and 7 (no wallet) are ours
ERROR_WIRE: dict[ErrorKind, tuple[int, int]] = {
    ErrorKind.LOCKED: (1, 401),
    ErrorKind.NO_AUTHORIZATION: (2, 401),
    ErrorKind.BAD_TOKEN: (3, 401),
    ErrorKind.WRONG_ORIGIN: (3, 401),
    ErrorKind.ORIGIN_REFUSED: (3, 403),
    ErrorKind.OPAQUE_ORIGIN: (3, 403),
    ErrorKind.WALLET_REFUSED: (3, 409),
    ErrorKind.DENIED: (4, 403),
    ErrorKind.TIMED_OUT: (4, 403),
    ErrorKind.OVERLOADED: (4, 429),
    ErrorKind.GRANT_EXPIRED: (5, 401),
    ErrorKind.BAD_REQUEST: (6, 400),
    ErrorKind.MISSING_SCOPES: (6, 401),
    ErrorKind.NOT_LOOPBACK: (6, 403),
    ErrorKind.TOO_LARGE: (6, 413),
    ErrorKind.NO_WALLET: (7, 409),
}


def _error_body(error: SignerError) -> tuple[str, int]:
    """The one translation of a :class:`SignerError` into its JSON body and HTTP status."""
    code, status = ERROR_WIRE[error.kind]
    return json.dumps({"error": error.message, "code": code, "success": False}), status


def _error(error: SignerError) -> str:
    body, status = _error_body(error)
    bottle.response.status = status
    bottle.response.content_type = "application/json"
    return body


def _ok(payload: dict) -> str:
    bottle.response.content_type = "application/json"
    return json.dumps({**payload, "success": True})


def _refusal(error: SignerError) -> bottle.HTTPResponse:
    """An error raised from a hook, before any handler runs."""
    body, status = _error_body(error)
    return bottle.HTTPResponse(body, status, {"Content-Type": "application/json"})


def _host_is_loopback(host_header: str) -> bool:
    if not host_header:
        return True
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    else:
        host = host.rsplit(":", 1)[0]
    return host in LOOPBACK_HOSTS


def _read_json(limit: int = MAX_REQUEST_BYTES) -> dict:
    """The JSON body whatever its content type (browsers send text/plain to skip preflight)."""
    length = bottle.request.content_length
    if length > limit:
        raise SignerError(ErrorKind.TOO_LARGE)
    raw = bottle.request.body.read(limit + 1)
    if len(raw) > limit:
        raise SignerError(ErrorKind.TOO_LARGE)
    try:
        return load_json_object(raw)
    except JSONInputError as exc:
        raise bad_request(str(exc)) from None


def _header(name: str) -> str:
    """A request header as WSGI hands it over (latin-1 text, any byte possible).

    Not ``bottle.request.get_header``: bottle re-decodes header values as UTF-8 and raises
    ``UnicodeDecodeError`` (a 500) on bytes that are not; every check here works on ASCII
    and refuses anything else.
    """
    return bottle.request.environ.get("HTTP_" + name.upper().replace("-", "_"), "") or ""


def _origin() -> str:
    """The Origin header, or ``""``; one that is not an ASCII origin is refused here rather
    than compared later. Read once per request (the guard reads it first), then kept."""
    environ = bottle.request.environ
    if _REQUEST_ORIGIN in environ:
        return environ[_REQUEST_ORIGIN]
    value = _header("Origin").strip()
    if value and not is_opaque_origin(value) and not _ORIGIN.fullmatch(value):
        raise SignerError(ErrorKind.ORIGIN_REFUSED, "The Origin header is not a valid origin")
    environ[_REQUEST_ORIGIN] = value
    return value


def _bearer() -> str | None:
    """The access token of ``Authorization: [Bearer ]<token>`` (prefix optional, any case)."""
    header = _header("Authorization").strip()
    scheme, _, rest = header.partition(" ")
    value = rest.strip() if scheme.lower() == "bearer" else header
    if not value:
        return None
    if not _TOKEN.fullmatch(value):
        raise SignerError(ErrorKind.BAD_TOKEN)
    return value


def create_signer_api(service: SignerService) -> bottle.Bottle:
    """Build the local API around ``service`` (one app per service; tests build many)."""
    app = bottle.Bottle()
    app.config["json.enable"] = False

    def allowed(path: str, request_origin: str) -> bool:
        if is_opaque_origin(request_origin):
            return False
        return access_for(path) is not Access.GRANT or service.origin_may_use_api(request_origin)

    def set_cors(request_origin: str) -> None:
        bottle.response.set_header("Access-Control-Allow-Origin", request_origin)
        bottle.response.set_header("Vary", "Origin")

    @app.hook("before_request")
    def _guard() -> None:
        if not _host_is_loopback(_header("Host")):
            raise _refusal(SignerError(ErrorKind.NOT_LOOPBACK))
        try:
            request_origin = _origin()
        except SignerError as exc:
            raise _refusal(exc) from None
        path = bottle.request.path
        if is_opaque_origin(request_origin):
            if access_for(path) is Access.ANYONE and bottle.request.method != "OPTIONS":
                return  # answered, but without CORS: the opaque page cannot read it
            raise _refusal(SignerError(ErrorKind.OPAQUE_ORIGIN))
        if request_origin and bottle.request.method != "OPTIONS":
            if not allowed(path, request_origin):
                raise _refusal(SignerError(ErrorKind.ORIGIN_REFUSED))
            bottle.request.environ[_CORS_ORIGIN] = request_origin  # decided once; the answer gets CORS

    @app.hook("after_request")
    def _cors() -> None:
        request_origin = bottle.request.environ.get(_CORS_ORIGIN)
        if request_origin:
            set_cors(request_origin)

    @app.route("/api/<name:path>", method="OPTIONS")
    def preflight(name: str) -> str:
        request_origin = _origin()
        if not request_origin or not allowed(f"/api/{name}", request_origin):
            return _error(SignerError(ErrorKind.ORIGIN_REFUSED))
        set_cors(request_origin)
        bottle.response.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        bottle.response.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
        bottle.response.set_header("Access-Control-Max-Age", "600")
        if _header("Access-Control-Request-Private-Network").lower() == "true":
            bottle.response.set_header("Access-Control-Allow-Private-Network", "true")
        bottle.response.status = 204
        return ""

    def route(rows: tuple[Endpoint, ...]):
        """One route for the rows of one (method, path): origin, token and JSON read once,
        the row picked by the JSON's shape, resolved by the service, then its handler."""
        reads_token = any(row.needs_grant for row in rows)
        body_limit = max(row.max_request for row in rows)

        def answer() -> str:
            try:
                request_origin = _origin()
                bearer = _bearer() if reads_token else None
                data = _read_json(body_limit) if body_limit else {}
                row = pick(rows, data)
                call = service.resolve(row, request_origin, bearer)
                return _ok(getattr(service, row.handler)(call, data))
            except SignerError as exc:
                return _error(exc)

        return answer

    for (method, path), rows in routes():
        app.route(path, method=method, callback=route(rows), name=rows[0].handler)

    def json_error(err: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        messages = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}
        return json.dumps({"error": messages.get(err.status_code, "Request failed"), "code": 6, "success": False})

    for status_code in (400, 404, 405, 413, 500):
        app.error_handler[status_code] = json_error
    return app
