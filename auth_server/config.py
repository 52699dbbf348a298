"""Server settings: one dataclass, filled from defaults, ``SIGIL_*`` environment variables and flags.

Everything the server reads at run time lives here, including the injectable clock
(tests move time instead of sleeping) and the extension points of the reference
Sigma plugin (``resolve_bap_id``, ``cache``, ``enable_subscription``; see
:mod:`auth_server.extensions`). Precedence: explicit overrides (CLI flags) beat the
environment, which beats the defaults.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from auth_server.counters import Counters, MemoryCounters
from auth_server.extensions import BapIdResolver, Cache, MemoryCache, derive_bap_id
from auth_server.forwarded import TrustedProxies

from auth_server.paths import DatabaseURLError, check_database_target, default_db_path, is_postgres, sqlite_path


@dataclass
class Settings:
    """Every knob of the auth server. Build with ``Settings(...)`` or :meth:`from_env`."""

    host: str = "127.0.0.1"
    port: int = 3000
    # a SQLite file, or a ``postgresql://`` URL shared by several instances (auth_server/store/engine.py)
    db_path: Path | str = field(default_factory=default_db_path)
    base_url: str = ""  # "" means f"http://{host}:{port}"
    # X-Auth-Token rules (docs/PROTOCOL.md section 1)
    token_window_seconds: float = 300.0
    # sessions
    session_days: float = 7.0
    # sign-in
    require_challenge: bool = False
    challenge_seconds: float = 120.0
    disable_implicit_sign_up: bool = False  # the old switch: True means sign_up="closed"
    # who may make an account (auth_server/signin.py): "open" (any key), "invite" (an invitation
    # or an identity an administrator let in), "closed" (only identities let in ahead of time)
    sign_up: str = "open"
    # invitation codes tried (sign-ins carrying one, invite pages opened) per address and window
    invite_guess_window_seconds: float = 600.0
    invite_guesses_per_ip: int = 20
    trusted_origins: list[str] = field(default_factory=list)
    # reverse proxies (addresses or CIDR networks) whose X-Forwarded-For/-Proto are believed
    # (auth_server/forwarded.py); from any other peer those headers are ignored
    trusted_proxies: list[str] = field(default_factory=list)
    # rate limits on sign-in (fixed window; counted in memory shared by --workers, or in
    # the PostgreSQL database shared by every instance)
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: float = 60.0
    rate_limit_per_ip: int = 60
    rate_limit_per_pubkey: int = 10
    rate_limit_counters: Counters = field(default_factory=MemoryCounters)
    # device flow (RFC 8628 5.1-5.2), same counters, off with rate_limit_enabled: user codes
    # looked up (GET /device?user_code=, POST /device) per session and per address, and
    # device codes started (POST /api/auth/device/code) per client and per address
    device_guess_window_seconds: float = 600.0
    device_guesses_per_session: int = 10
    device_guesses_per_ip: int = 30
    device_code_window_seconds: float = 60.0
    device_codes_per_client: int = 120
    device_codes_per_ip: int = 10
    # serving
    threads: int = 8  # per worker; 0 runs requests on the I/O loop (auth_server/waitress_glue.py)
    workers: int = 1  # >1: pre-forked processes on one port (POSIX)
    log_requests: bool = True
    # seconds a connection gets to send each request head (and to idle between requests);
    # half-open connections would otherwise hold a slot for the 60 s channel timeout
    head_timeout_seconds: float = 10.0
    # open connections one client address may hold per worker (0: no cap; trusted proxies are
    # never capped): one machine's half-open sockets must not fill the 1,000 slots
    max_connections_per_address: int = 64
    # extension points of the reference plugin
    enable_subscription: bool = False
    # OAuth 2.0 / OpenID Connect provider (auth_server/oauth)
    code_ttl: int = 60
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 86400
    id_token_ttl: int = 3600
    always_issue_refresh_token: bool = False
    # Client tokens are single use where they buy sessions or tokens (docs/PROTOCOL.md section 1);
    # introspection is a read, so by default a replay within the window just asks again.
    single_use_introspection: bool = False
    id_token_alg: str = "RS256"  # or "ES256"
    # the key-encryption key of the signing keys in the store (auth_server/oauth/secret_file.py);
    # None: <data dir>/secret.key on SQLite (made when absent); PostgreSQL needs one given
    secret_file: Path | None = None
    device_code_ttl: int = 600
    device_poll_interval: int = 5
    signer_url: str = "http://127.0.0.1:21000"  # the local signer the sign-in page asks
    # dynamic client registration (RFC 7591): "off"; "token" (an initial access token from
    # `sigil-server clients registration-token` for every registration); "public" (public
    # clients may register without one, every other client still needs one)
    dynamic_registration: str = "off"
    resolve_bap_id: BapIdResolver = derive_bap_id
    cache: Cache = field(default_factory=MemoryCache)
    # injectable time source (seconds since the epoch)
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.db_path = _database(self.db_path)
        TrustedProxies(self.trusted_proxies)  # a bad entry fails here, naming itself
        if self.threads < 0:
            raise ValueError("threads must be 0 (serve requests on the I/O loop) or more")
        if self.workers < 1:
            raise ValueError("workers must be 1 or more")
        if self.max_connections_per_address < 0:
            raise ValueError("max_connections_per_address (SIGIL_MAX_CONNECTIONS_PER_ADDRESS) must be 0 (no cap) or more")
        if not self.head_timeout_seconds > 0:
            raise ValueError("head_timeout_seconds (SIGIL_HEAD_TIMEOUT_SECONDS) must be positive")
        if self.sign_up not in SIGN_UP_MODES:
            raise ValueError(f"sign_up (SIGIL_SIGN_UP) must be one of {', '.join(SIGN_UP_MODES)}")
        if self.disable_implicit_sign_up:
            self.sign_up = "closed"
        if self.dynamic_registration not in REGISTRATION_MODES:
            raise ValueError(f"dynamic_registration must be one of {', '.join(REGISTRATION_MODES)}")
        if not self.base_url:
            self.base_url = f"http://{self.host}:{self.port}"
        self.base_url = self.base_url.rstrip("/")

    @property
    def data_dir(self) -> Path:
        """Where the server keeps its own files (the default secret file on SQLite, key files
        of earlier versions to import): the SQLite file's directory, or (with PostgreSQL)
        the user data dir."""
        if isinstance(self.db_path, str):
            return default_db_path().parent
        return self.db_path.parent

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def session_seconds(self) -> float:
        return self.session_days * 86400.0

    def allowed_origins(self) -> set[str]:
        """Origins allowed to send cookie-authenticated state-changing requests."""
        return {origin_of(self.base_url)} | {origin_of(o) for o in self.trusted_origins}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``SIGIL_<FIELD>`` variables (see :data:`ENV_VARS`), then ``overrides``.

        Overrides whose value is ``None`` are ignored, so argparse results can be passed as is.
        Raises ``ValueError`` naming the variable when a value does not parse.
        """
        environ = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        for name, (var, convert) in ENV_VARS.items():
            raw = environ.get(var)
            if raw is None or raw == "":
                continue
            try:
                kwargs[name] = convert(raw)
            except DatabaseURLError as exc:  # its message hides the password the value may carry
                raise DatabaseURLError(f"{var}: {exc}") from None
            except ValueError:
                raise ValueError(f"{var}: cannot read {raw!r}") from None
        known = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise TypeError(f"unknown setting {name!r}")
            if value is not None:
                kwargs[name] = value
        return cls(**kwargs)


REGISTRATION_MODES = ("off", "token", "public")
SIGN_UP_MODES = ("open", "invite", "closed")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, without path or trailing slash."""
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.lower()
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"


def is_trusted_origin(settings: Settings, origin: str | None) -> bool:
    """``origin`` is the base URL's or one of the trusted origins."""
    return origin is not None and origin in settings.allowed_origins()


def effective_origin(origin: str | None, referer: str | None) -> str | None:
    """The origin a request comes from: its ``Origin`` header, or the origin of ``Referer``
    when a browser sent none (or ``Origin: null``); None when neither says."""
    if origin and origin != "null":
        return origin_of(origin)
    if referer:
        return origin_of(referer)
    return None


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _database(value: Path | str) -> Path | str:
    """A PostgreSQL URL stays a string (a Path would fold its ``//``); anything else is a file;
    a malformed URL is refused (:func:`check_database_target`)."""
    check_database_target(value)
    return value if is_postgres(value) else sqlite_path(value)


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


#: setting name -> (environment variable, parser)
ENV_VARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "host": ("SIGIL_HOST", str),
    "port": ("SIGIL_PORT", int),
    "db_path": ("SIGIL_DB", _database),
    "base_url": ("SIGIL_BASE_URL", str),
    "token_window_seconds": ("SIGIL_TOKEN_WINDOW_SECONDS", float),
    "session_days": ("SIGIL_SESSION_DAYS", float),
    "require_challenge": ("SIGIL_REQUIRE_CHALLENGE", _bool),
    "challenge_seconds": ("SIGIL_CHALLENGE_SECONDS", float),
    "disable_implicit_sign_up": ("SIGIL_DISABLE_IMPLICIT_SIGN_UP", _bool),
    "sign_up": ("SIGIL_SIGN_UP", str),
    "invite_guess_window_seconds": ("SIGIL_INVITE_GUESS_WINDOW_SECONDS", float),
    "invite_guesses_per_ip": ("SIGIL_INVITE_GUESSES_PER_IP", int),
    "trusted_origins": ("SIGIL_TRUSTED_ORIGINS", _list),
    "trusted_proxies": ("SIGIL_TRUSTED_PROXIES", _list),
    "rate_limit_enabled": ("SIGIL_RATE_LIMIT", _bool),
    "rate_limit_window_seconds": ("SIGIL_RATE_LIMIT_WINDOW_SECONDS", float),
    "rate_limit_per_ip": ("SIGIL_RATE_LIMIT_PER_IP", int),
    "rate_limit_per_pubkey": ("SIGIL_RATE_LIMIT_PER_PUBKEY", int),
    "device_guess_window_seconds": ("SIGIL_DEVICE_GUESS_WINDOW_SECONDS", float),
    "device_guesses_per_session": ("SIGIL_DEVICE_GUESSES_PER_SESSION", int),
    "device_guesses_per_ip": ("SIGIL_DEVICE_GUESSES_PER_IP", int),
    "device_code_window_seconds": ("SIGIL_DEVICE_CODE_WINDOW_SECONDS", float),
    "device_codes_per_client": ("SIGIL_DEVICE_CODES_PER_CLIENT", int),
    "device_codes_per_ip": ("SIGIL_DEVICE_CODES_PER_IP", int),
    "threads": ("SIGIL_THREADS", int),
    "workers": ("SIGIL_WORKERS", int),
    "log_requests": ("SIGIL_LOG_REQUESTS", _bool),
    "head_timeout_seconds": ("SIGIL_HEAD_TIMEOUT_SECONDS", float),
    "max_connections_per_address": ("SIGIL_MAX_CONNECTIONS_PER_ADDRESS", int),
    "enable_subscription": ("SIGIL_ENABLE_SUBSCRIPTION", _bool),
    "code_ttl": ("SIGIL_CODE_TTL", int),
    "access_token_ttl": ("SIGIL_ACCESS_TOKEN_TTL", int),
    "refresh_token_ttl": ("SIGIL_REFRESH_TOKEN_TTL", int),
    "id_token_ttl": ("SIGIL_ID_TOKEN_TTL", int),
    "always_issue_refresh_token": ("SIGIL_ALWAYS_ISSUE_REFRESH_TOKEN", _bool),
    "single_use_introspection": ("SIGIL_SINGLE_USE_INTROSPECTION", _bool),
    "id_token_alg": ("SIGIL_ID_TOKEN_ALG", str),
    "secret_file": ("SIGIL_SECRET_FILE", Path),
    "device_code_ttl": ("SIGIL_DEVICE_CODE_TTL", int),
    "device_poll_interval": ("SIGIL_DEVICE_POLL_INTERVAL", int),
    "signer_url": ("SIGIL_SIGNER_URL", str),
    "dynamic_registration": ("SIGIL_DYNAMIC_REGISTRATION", str),
}
