"""The TokenPass-compatible local signer API (PROTOCOL.md section 7) as a bottle app.

Browser access rules: ``GET /api/status`` and ``POST /api/auth`` answer any origin
(asking for a grant is what the approval dialog is for, and it shows the origin);
every other endpoint answers only origins that hold a live grant, or the embedded
server's own origin. Requests whose ``Host`` is not a loopback name are refused, so a
DNS-rebinding page cannot reach the API under its own origin.
"""

from __future__ import annotations

import json

import bottle

from auth_server.json_input import JSONInputError, load_json_object
from signer_app.service import SignerError, SignerService, bad_request

PUBLIC_PATHS = frozenset({"/api/status", "/api/auth"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
MAX_REQUEST_BYTES = 1_200_000


def _error(message: str, code: int, status: int) -> str:
    bottle.response.status = status
    bottle.response.content_type = "application/json"
    return json.dumps({"error": message, "code": code, "success": False})


def _ok(payload: dict) -> str:
    bottle.response.content_type = "application/json"
    return json.dumps(payload)


def _host_is_loopback(host_header: str) -> bool:
    if not host_header:
        return True
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    else:
        host = host.rsplit(":", 1)[0]
    return host in LOOPBACK_HOSTS


def _read_json() -> dict:
    """The JSON body whatever its content type (browsers send text/plain to skip preflight)."""
    length = bottle.request.content_length
    if length > MAX_REQUEST_BYTES:
        raise SignerError("Request body too large", 6, 413)
    raw = bottle.request.body.read(MAX_REQUEST_BYTES + 1)
    if len(raw) > MAX_REQUEST_BYTES:
        raise SignerError("Request body too large", 6, 413)
    try:
        return load_json_object(raw)
    except JSONInputError as exc:
        raise bad_request(str(exc)) from None


def _bearer() -> str | None:
    header = bottle.request.get_header("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def create_signer_api(service: SignerService) -> bottle.Bottle:
    """Build the local API around ``service`` (one app per service; tests build many)."""
    app = bottle.Bottle()
    app.config["json.enable"] = False

    def origin() -> str:
        return bottle.request.get_header("Origin", "") or ""

    def allowed(path: str, request_origin: str) -> bool:
        return path in PUBLIC_PATHS or service.origin_may_use_api(request_origin)

    def set_cors(request_origin: str) -> None:
        bottle.response.set_header("Access-Control-Allow-Origin", request_origin)
        bottle.response.set_header("Vary", "Origin")

    @app.hook("before_request")
    def _guard() -> None:
        if not _host_is_loopback(bottle.request.get_header("Host", "")):
            raise bottle.HTTPResponse(_error("Requests must address 127.0.0.1 or localhost", 6, 403), 403,
                                      {"Content-Type": "application/json"})
        request_origin = origin()
        if request_origin and bottle.request.method != "OPTIONS" and not allowed(bottle.request.path, request_origin):
            raise bottle.HTTPResponse(_error("This origin has no access grant", 3, 403), 403,
                                      {"Content-Type": "application/json"})

    @app.hook("after_request")
    def _cors() -> None:
        request_origin = origin()
        if request_origin and bottle.request.method != "OPTIONS" and allowed(bottle.request.path, request_origin):
            set_cors(request_origin)

    @app.route("/api/<name:path>", method="OPTIONS")
    def preflight(name: str) -> str:
        request_origin = origin()
        if not request_origin or not allowed(f"/api/{name}", request_origin):
            return _error("This origin has no access grant", 3, 403)
        set_cors(request_origin)
        bottle.response.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        bottle.response.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
        bottle.response.set_header("Access-Control-Max-Age", "600")
        if bottle.request.get_header("Access-Control-Request-Private-Network", "").lower() == "true":
            bottle.response.set_header("Access-Control-Allow-Private-Network", "true")
        bottle.response.status = 204
        return ""

    def handle(fn):  # translate SignerError into the {error, code, success} shape
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except SignerError as exc:
                return _error(exc.message, exc.code, exc.status)

        wrapper.__name__ = fn.__name__
        return wrapper

    @app.get("/api/status")
    @handle
    def status() -> str:
        return _ok(service.status())

    @app.post("/api/auth")
    @handle
    def auth() -> str:
        data = _read_json()
        result = service.request_grant(origin(), data.get("host", ""), data.get("scopes"), data.get("expiry"))
        return _ok({"accessToken": result.access_token, "expireTime": result.expire_time_ms,
                    "host": result.host, "success": True})

    @app.post("/api/sign")
    @handle
    def sign() -> str:
        bearer = _bearer()
        data = _read_json()
        token = service.sign(origin(), bearer, data.get("path"), data.get("body"), data.get("signatureType"))
        return _ok({"token": token, "success": True})

    @app.post("/api/logout")
    @handle
    def logout() -> str:
        service.lock(origin(), reason="locked (api)")
        return _ok({"success": True})

    def json_error(err: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        messages = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}
        return json.dumps({"error": messages.get(err.status_code, "Request failed"), "code": 6, "success": False})

    for status_code in (400, 404, 405, 413, 500):
        app.error_handler[status_code] = json_error
    return app
