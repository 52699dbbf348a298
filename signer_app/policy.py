"""The signer's policy, declared once: for every local API endpoint, which key answers,
which grant scope it needs, when it asks the user, how much it accepts and which origins
may call it.

Nothing else decides these things. ``local_api/app.py`` builds its routes and its origin
guard (CORS included) from :data:`POLICY`; :meth:`SignerService.resolve
<signer_app.service.SignerService.resolve>` settles the origin's grant and the lock state of
a request from its row, once, before the row's handler runs; the handlers read their field
limits from the row; README.md's endpoint table is :func:`readme_table`
(``tests/signer/test_policy.py`` checks that table, routes and README agree). A new
endpoint is one row here and one :class:`~signer_app.service.SignerService` method, named by
the row's ``handler``, taking ``(call, data)`` and returning the answer's fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

#: the largest request body any endpoint reads (a 1 MB body to sign, JSON-escaped)
MAX_REQUEST_BYTES = 1_200_000


class KeyKind(Enum):
    """Which key answers: the identity's member key (what a Sigma server binds to the BAP
    ID), a key derived for the grant's site (per-site, friend and encryption keys), or none."""

    MEMBER = "member key"
    SITE = "per-site key"
    NONE = "none"


class Prompt(Enum):
    """When the user is asked. ``ALWAYS`` endpoints need a wallet before the dialog opens;
    ``NEVER`` endpoints that use a key answer code 1 when the wallet is locked (as TokenPass
    does) instead of asking for the passphrase."""

    ALWAYS = "always"
    LOCKED_OR_SIGN_IN = "when locked, or for a sign-in path"
    NEVER = "never"

    def asks(self, *, locked: bool, sign_in: bool) -> bool:
        """Whether a request under this rule opens a dialog."""
        if self is Prompt.ALWAYS:
            return True
        if self is Prompt.LOCKED_OR_SIGN_IN:
            return locked or sign_in
        return False


class Access(Enum):
    """Which browser origins may call an endpoint (requests without an Origin are programs
    on this computer and pass; the grant, when the row needs one, is checked either way)."""

    ANYONE = "any page (an opaque origin gets no CORS)"
    PUBLIC = "any named origin"
    GRANT = "origins with a live grant, or the embedded server"


@dataclass(frozen=True)
class Endpoint:
    """One row of the policy.

    ``scope``: ``None`` when no grant is needed, ``""`` for a grant of any scope, else the
    scope the grant must hold. ``shape``: among rows sharing a route, the JSON field that
    picks this one (the row without a shape is the default). ``max_request``: the largest
    body read (0: the body is ignored). ``limits``: each field's bound, read by the handler.
    """

    method: str
    path: str
    handler: str
    key: KeyKind
    scope: str | None
    prompt: Prompt
    access: Access
    summary: str
    limits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    shape: str | None = None
    max_request: int = MAX_REQUEST_BYTES

    @property
    def needs_grant(self) -> bool:
        return self.scope is not None

    @property
    def scopes(self) -> tuple[str, ...]:
        return (self.scope,) if self.scope else ()

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path

    def limit(self, name: str) -> int:
        return self.limits[name]


def _limits(**values: int) -> Mapping[str, int]:
    return MappingProxyType(dict(values))


_BODY = 1_000_000
_ID = 200  # a BAP ID is 27 characters; friend ids are opaque strings, kept short

POLICY: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/status", "status", KeyKind.NONE, None, Prompt.NEVER, Access.ANYONE,
             "`{unlocked, hasWallet}` and nothing else (no granted sites, no keys)", max_request=0),
    Endpoint("POST", "/api/auth", "request_grant", KeyKind.NONE, None, Prompt.ALWAYS, Access.PUBLIC,
             "asks you for a grant: `{host, scopes: [..] or \"a,b\", expiry or expire: once / 1h / 1d / 1w / "
             "1m (a month) / forever}`; answers `{accessToken, expireTime (ms, 0 = never), host, bapId}`",
             _limits(host=253)),
    Endpoint("POST", "/api/sign-in", "sign_in", KeyKind.MEMBER, None, Prompt.ALWAYS, Access.PUBLIC,
             "Sigil's one-dialog sign-in (its authorize and invite pages use it): `{path ending in "
             "/sign-in/sigma, signatureType?, app?, bapId?, invite?, clientId?}` → `{token, bapId, body}`, "
             "the token covering `body` (docs/PROTOCOL.md section 7)",
             _limits(path=2048, app=100, invite=128, clientId=128)),
    Endpoint("POST", "/api/sign", "sign", KeyKind.MEMBER, "sign", Prompt.LOCKED_OR_SIGN_IN, Access.GRANT,
             "`{path, body?, signatureType: brc77 / bsm}` → `{token}`, an X-Auth-Token by the identity's "
             "member key (a wallet imported from TokenPass: TokenPass's key for this site)",
             _limits(path=2048, body=_BODY)),
    Endpoint("POST", "/api/sign", "sign_message", KeyKind.SITE, "sign", Prompt.NEVER, Access.GRANT,
             "`{message, encoding: utf8 / hex / base64}` → `{address, message, sig, ts}`, a BSM signature",
             _limits(message=_BODY), shape="message"),
    Endpoint("POST", "/api/sign-aip", "sign_aip", KeyKind.SITE, "sign", Prompt.NEVER, Access.GRANT,
             "`{data: [hex, ...]}` → `{signedOps: [\"BITCOIN_ECDSA\", address, signature]}`",
             _limits(items=1000, chars=2 * _BODY)),
    Endpoint("POST", "/api/encrypt", "encrypt", KeyKind.SITE, "encrypt", Prompt.NEVER, Access.GRANT,
             "`{data, friendBapId}` or `{data, theirPublicKey}` → `{ciphertext}` (BIE1 ECIES, hex)",
             _limits(data=_BODY, id=_ID)),
    Endpoint("POST", "/api/decrypt", "decrypt", KeyKind.SITE, "decrypt", Prompt.NEVER, Access.GRANT,
             "`{ciphertext, friendBapId?, theirPublicKey?}` → `{data}` (UTF-8)",
             _limits(ciphertext=2 * _BODY, id=_ID)),
    Endpoint("POST", "/api/friend-pubkey", "friend_public_key", KeyKind.SITE, "", Prompt.NEVER, Access.GRANT,
             "`{friendBapId}` → `{publicKey}` this identity shows that friend", _limits(id=_ID)),
    Endpoint("GET", "/api/profile", "profile", KeyKind.NONE, "", Prompt.NEVER, Access.GRANT,
             "the identity's stored `{displayName, paymail, logo, icon, username, picture}`", max_request=0),
    Endpoint("POST", "/api/profile", "update_profile", KeyKind.NONE, "write_profile", Prompt.NEVER, Access.GRANT,
             "stores them (displayName ≤ 100 characters, paymail an e-mail, logo and icon http(s) URLs, username a lowercase handle, picture an https URL or a PNG/JPEG/WebP data URL ≤ 256 KiB)"),
    Endpoint("POST", "/api/logout", "logout", KeyKind.NONE, None, Prompt.NEVER, Access.GRANT,
             "locks the wallet", max_request=0),
)


def routes() -> Iterator[tuple[tuple[str, str], tuple[Endpoint, ...]]]:
    """Each ``(method, path)`` once, with its rows in table order."""
    seen: dict[tuple[str, str], list[Endpoint]] = {}
    for endpoint in POLICY:
        seen.setdefault(endpoint.route, []).append(endpoint)
    for route, rows in seen.items():
        yield route, tuple(rows)


def access_for(path: str) -> Access:
    """The origin rule of ``path`` (every row of one path shares it; unknown paths: grant-only)."""
    for endpoint in POLICY:
        if endpoint.path == path:
            return endpoint.access
    return Access.GRANT


def pick(rows: tuple[Endpoint, ...], data: Mapping[str, object]) -> Endpoint:
    """The row of a route that a request's JSON selects (its ``shape`` field, else the default)."""
    for endpoint in rows:
        if endpoint.shape is not None and endpoint.shape in data:
            return endpoint
    return next(endpoint for endpoint in rows if endpoint.shape is None)


_CALLERS = {Access.ANYONE: "any page", Access.PUBLIC: "any origin", Access.GRANT: "grant holders"}


def readme_table() -> str:
    """README.md's endpoint table, written from :data:`POLICY` (the README holds this text)."""
    lines = ["| method | path | scope | key | asks | callers | what it does |",
             "|---|---|---|---|---|---|---|"]
    for e in POLICY:
        scope = e.scope or ("any grant" if e.scope == "" else "–")
        lines.append(f"| {e.method} | `{e.path}` | {scope} | {e.key.value} | {e.prompt.value} "
                     f"| {_CALLERS[e.access]} | {e.summary} |")
    return "\n".join(lines)


__all__ = ["MAX_REQUEST_BYTES", "POLICY", "Access", "Endpoint", "KeyKind", "Prompt", "access_for", "pick",
           "readme_table", "routes"]
