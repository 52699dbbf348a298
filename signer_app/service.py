"""What the signer does, without Qt or HTTP: grant access, sign, lock, log.

The local API (``local_api/``) translates HTTP to these calls; the GUI answers the
approval requests they raise through the :class:`~signer_app.approvals.ApprovalBroker`.
Which key, scope, prompt, limits and origin rule each endpoint has is one table,
:data:`signer_app.policy.POLICY`: :meth:`SignerService.resolve` applies a row's grant and
lock rules once per request, then the row's handler (a method here) runs. A key is used only
after the user approved: an access grant needs approval, a sign-in token (a path ending in
``/sign-in/sigma``) always needs approval, and other requests are answered without a prompt
within the live grant's scopes, host and duration.

Which key answers (docs/PROTOCOL.md section 7): X-Auth-Tokens (``/api/sign {path}``) are signed
by the identity's member key, which is what a Sigma server binds to the BAP ID; only a wallet
imported from TokenPass signs other sites' tokens with TokenPass's per-site key, so the sites
that knew it keep knowing it. Plain messages, AIP and the crypto endpoints use the keys
derived for the grant's site (``Wallet.sign_site_*`` and friends), as TokenPass does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from auth_server.crypto.encoding import decode_hex, decode_message
from auth_server.crypto.errors import CodedError
from signer_app.activity import ActivityLog
from signer_app.approvals import ApprovalBroker, ApprovalDecision, ApprovalRequest, format_duration
from signer_app.grants import Grant, GrantError, GrantExpired, GrantStore, parse_expiry, parse_scopes
from signer_app.policy import Access, Endpoint, KeyKind, Prompt
from signer_app.profiles import PROFILES_FILE, ProfileError, ProfileStore, validate_profile
from signer_app.sharing import SharingStore
from signer_app.wallet import NoWallet, Wallet, WalletError, WalletLocked

SIGN_IN_SUFFIX = "/sign-in/sigma"


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def normalise_path(path: str) -> str | None:
    """``path`` as a lenient server might route it: fragment, query and ``;params`` dropped,
    percent-decoded once, lowercased, ``\\`` read as ``/``, repeated slashes collapsed, ``.``
    and ``..`` resolved, no trailing slash. ``None`` when the decoding is ambiguous: an escape
    left after one decoding (``%252f``), or a decoded ``?``, ``#``, ``;`` or control
    character, which one server would take literally and another as a delimiter."""
    raw = path.split("#", 1)[0].split("?", 1)[0]
    decoded = unquote(raw, errors="strict") if "%" in raw else raw
    if _ESCAPE.search(decoded) or any(c in "?#" or ord(c) < 32 or ord(c) == 127 for c in decoded):
        return None
    if "%3b" in raw.lower():  # an encoded ";": a parameter to one server, part of a name to another
        return None
    segments: list[str] = []
    for segment in decoded.lower().replace("\\", "/").split("/"):
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def is_sign_in_path(path: str) -> bool:
    """Whether a server could route ``path`` to a Sigma sign-in (``/.../sign-in/sigma``,
    whatever its case, encoding, slashes, dot segments or parameters), or cannot be sure it
    would not: then ``/api/sign`` asks exactly as for a sign-in, never signs it silently."""
    try:
        normal = normalise_path(path)
    except UnicodeDecodeError:  # an escape that is not UTF-8: ambiguous too
        return True
    return normal is None or normal.endswith(SIGN_IN_SUFFIX)


class ErrorKind(Enum):
    """Why a request failed. The local API maps each kind to its HTTP status and wire code
    in one place (``signer_app.local_api.app.ERROR_WIRE``); the value is the default message."""

    LOCKED = "Wallet is locked"
    NO_AUTHORIZATION = "Missing authorization: send Authorization: Bearer <accessToken>"
    BAD_TOKEN = "invalid access token"
    GRANT_EXPIRED = "access token expired"
    WRONG_ORIGIN = "This access token belongs to another origin"
    ORIGIN_REFUSED = "This origin has no access grant"
    OPAQUE_ORIGIN = "A page with an opaque origin (Origin: null) cannot use the signer"
    DENIED = "Request denied by the user"
    TIMED_OUT = "No answer from the user in time; request denied"
    OVERLOADED = "Too many requests are waiting for approval"
    BAD_REQUEST = "Malformed request"
    NOT_LOOPBACK = "Requests must address 127.0.0.1 or localhost"
    MISSING_SCOPES = "Missing required scopes"
    TOO_LARGE = "Request body too large"
    NO_WALLET = "No wallet yet: create one in the Sigil app"
    WALLET_REFUSED = "The wallet refused the operation"


class SignerError(Exception):
    """A failure the local API reports as ``{error, code, success: false}``; ``kind`` decides
    the HTTP status and code, ``message`` (the kind's default unless given) is the ``error``."""

    def __init__(self, kind: ErrorKind, message: str | None = None) -> None:
        self.kind = kind
        self.message = message if message is not None else kind.value
        super().__init__(self.message)


def bad_request(message: str) -> SignerError:
    """The most common failure: a field that is missing, of the wrong type or too large."""
    return SignerError(ErrorKind.BAD_REQUEST, message)


def is_opaque_origin(origin: str | None) -> bool:
    """``Origin: null`` (a sandboxed frame, a ``file://`` page, some redirects): no site to bind to."""
    return origin is not None and origin.strip().lower() == "null"


def host_of(origin: str | None) -> str:
    """``https://app.example:8443`` -> ``app.example:8443`` (empty for no origin)."""
    if not origin or origin == "null":
        return ""
    try:
        return urlsplit(origin).netloc.lower()
    except ValueError:
        return ""


def _printable(value: object, limit: int) -> str:
    """A name a caller gives itself, cut to ``limit`` and without control characters
    (anything but a string is no name); shown as plain text wherever it appears."""
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value[:limit] if c.isprintable())


def _code(value: object, limit: int) -> bool:
    """Whether ``value`` is a code a page may pass on: printable ASCII, 1 to ``limit`` long."""
    return isinstance(value, str) and 0 < len(value) <= limit and value.isascii() and value.isprintable()


def summarize_body(body: str | None, limit: int = 240) -> str:
    """A short, readable view of what is being signed (the dialog shows it)."""
    if not body:
        return ""
    text = body
    try:
        text = json.dumps(json.loads(body), separators=(", ", ": "), ensure_ascii=False)
    except ValueError:
        pass
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{text}  ({len(body.encode('utf-8'))} bytes)"


#: signer profile field -> the sign-in body's ``profile`` key (docs/PROTOCOL.md section 7)
PROFILE_CLAIMS = (("displayName", "name"), ("picture", "picture"), ("username", "username"))


def sign_in_body(client_id: str | None, invite: str | None, profile: dict[str, str], share: bool | None) -> str:
    """The exact sign-in body a token signs: compact JSON with only the keys that apply, or
    ``"{}"`` when none does. ``profile`` is the chosen identity's stored record; only the
    fields it has are sent, under the server's names. ``shareProfile`` rides with ``clientId``."""
    body: dict[str, object] = {}
    if client_id is not None:
        body["clientId"] = client_id
    if invite is not None:
        body["invite"] = invite
    shown = {claim: profile[field] for field, claim in PROFILE_CLAIMS
             if isinstance(profile.get(field), str) and profile[field]}
    if shown:
        body["profile"] = shown
    if client_id is not None:
        body["shareProfile"] = True if share is None else bool(share)
    return json.dumps(body, separators=(",", ":")) if body else "{}"


@dataclass(frozen=True)
class Call:
    """One request as :meth:`SignerService.resolve` settled it, once: the policy row it
    matched, the page's origin, and the live grant behind its token when the row needs one."""

    endpoint: Endpoint
    origin: str
    grant: Grant | None = None

    @property
    def granted(self) -> Grant:
        """The grant of a row that needs one (``resolve`` refused the request otherwise)."""
        if self.grant is None:
            raise SignerError(ErrorKind.NO_AUTHORIZATION)
        return self.grant

    @property
    def where(self) -> str:
        """Who the activity log names: the page's origin, else the grant's host."""
        return self.origin or (self.grant.host if self.grant else "")

    def limit(self, name: str) -> int:
        return self.endpoint.limit(name)


class SignerService:
    """Wallet + grants + approvals + activity log; shared by the local API and the GUI."""

    def __init__(
        self,
        wallet: Wallet,
        data_dir: Path,
        broker: ApprovalBroker | None = None,
        clock: Callable[[], float] = time.time,
        server_origin: Callable[[], str | None] = lambda: None,
        app_name_for: Callable[[str], str] = lambda origin: "",
    ) -> None:
        self.wallet = wallet
        self.broker = broker or ApprovalBroker()
        self.grants = GrantStore(Path(data_dir) / "grants.sqlite", clock=clock)
        self.activity = ActivityLog(Path(data_dir) / "activity.sqlite", clock=clock)
        self.profiles = ProfileStore(Path(data_dir) / PROFILES_FILE)
        self.sharing = SharingStore(Path(data_dir) / "sharing.sqlite", clock=clock)
        self._clock = clock
        # Given by AppContext.build when the app embeds the auth server: its origin may use
        # every endpoint, and its registered OAuth clients give names to the hosts that ask.
        self.server_origin = server_origin
        self.app_name_for = app_name_for
        wallet.on_lock(self._on_wallet_locked)

    # -- browser access ----------------------------------------------------------------

    def origin_may_use_api(self, origin: str) -> bool:
        """CORS for /api/sign and the rest: a live grant for the origin, or our own server."""
        if not origin:
            return False
        own = self.server_origin()
        if own and origin.rstrip("/") == own.rstrip("/"):
            return True
        return self.grants.origin_has_live_grant(origin)

    def resolve(self, endpoint: Endpoint, origin: str, bearer: str | None) -> Call:
        """Everything the policy row decides before its handler runs, in one place and once
        per request: an opaque origin only where the row lets anyone in, a wallet before any
        dialog, the grant (origin and scope) when the row needs one, and ``locked`` (code 1)
        for a key the row uses without asking."""
        if is_opaque_origin(origin) and endpoint.access is not Access.ANYONE:
            raise SignerError(ErrorKind.OPAQUE_ORIGIN)
        if endpoint.prompt is Prompt.ALWAYS and not self._wallet_exists():
            raise SignerError(ErrorKind.NO_WALLET)
        grant = self.authorize(origin, bearer, *endpoint.scopes) if endpoint.needs_grant else None
        if endpoint.prompt is Prompt.NEVER and endpoint.key is not KeyKind.NONE and self._is_locked():
            raise SignerError(ErrorKind.LOCKED)
        return Call(endpoint, origin, grant)

    def authorize(self, origin: str, bearer: str | None, *scopes: str) -> Grant:
        """The live grant behind ``bearer`` for this origin, holding every scope in ``scopes``."""
        if not bearer:
            raise SignerError(ErrorKind.NO_AUTHORIZATION)
        try:
            grant = self.grants.lookup(bearer)
        except GrantError as exc:
            kind = ErrorKind.GRANT_EXPIRED if isinstance(exc, GrantExpired) else ErrorKind.BAD_TOKEN
            raise SignerError(kind, str(exc)) from None
        if origin and origin != grant.origin:
            raise SignerError(ErrorKind.WRONG_ORIGIN)
        missing = grant.missing_scopes(*scopes)
        if missing:
            raise SignerError(ErrorKind.MISSING_SCOPES, f"Missing required scopes: {', '.join(missing)}")
        return grant

    # -- endpoints: one method per row of signer_app.policy.POLICY, each (call, data) -> answer

    def status(self, call: Call, data: dict) -> dict:
        """Only whether a wallet exists and is unlocked: nothing an unknown page may learn more."""
        exists = self._wallet_exists()
        return {"unlocked": exists and not self.wallet.is_locked, "hasWallet": exists}

    def request_grant(self, call: Call, data: dict) -> dict:
        """Ask the user for an access grant; blocks until approved, denied or timed out."""
        origin = call.origin
        try:
            scope_list = parse_scopes(data.get("scopes"))
            seconds = parse_expiry(data.get("expiry", data.get("expire")))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        claimed_host = _printable(data.get("host"), call.limit("host"))
        host = host_of(origin) or (f"local program ({claimed_host})" if claimed_host else "local program")
        # The per-site key belongs to the page's real origin; only a program without one
        # (no Origin header) is keyed by what it says it is, as the dialog shows.
        site = host_of(origin) or claimed_host or "local program"
        request = ApprovalRequest(
            kind="grant", origin=origin, host=host, claimed_host=claimed_host,
            app_name=self._app_name(origin), scopes=scope_list, duration_seconds=seconds,
            bap_id=self._default_bap_id(),
        )
        request, decision = self._ask(request)
        bap_id = decision.bap_id or self._default_bap_id()
        if bap_id is None:
            raise SignerError(ErrorKind.LOCKED)
        token, grant = self.grants.create(host, origin, scope_list, bap_id, seconds, site=site)
        self.activity.record("approved", origin or host, request.what(), bap_id)
        return {"accessToken": token, "expireTime": grant.expire_time_ms, "host": host, "bapId": bap_id}

    def sign_in(self, call: Call, data: dict) -> dict:
        """One decision for one sign-in: a dialog naming the site, the app and the identity.

        For the authorize and invite pages of a Sigil server: no access grant is created, the
        token (for a path ending in ``/sign-in/sigma`` only) is signed by the chosen identity's
        member key. The body is built after the decision, from the identity the user chose
        (:func:`sign_in_body`): the ``clientId`` the page signs in for, an ``invite`` code, that
        identity's ``profile`` and, with a client, the dialog's ``shareProfile``; the token
        covers it whenever it holds any key (the server refuses what a token does not cover).
        Answers ``{token, bapId, body}``: the page posts ``body`` unchanged.
        """
        origin = call.origin
        path, _, scheme = self._parse_sign(call, data.get("path"), None, data.get("signatureType"))
        if not path.split("?", 1)[0].endswith(SIGN_IN_SUFFIX):
            raise bad_request(f"path must be a sign-in path ending in {SIGN_IN_SUFFIX}")
        invite = data.get("invite")
        if invite is not None and not _code(invite, call.limit("invite")):
            raise bad_request("invite must be an invitation code")
        client_id = data.get("clientId")
        if client_id is not None and not _code(client_id, call.limit("clientId")):
            raise bad_request(f"clientId must be printable ASCII of at most {call.limit('clientId')} characters")
        claimed_app = _printable(data.get("app"), call.limit("app")).strip()
        bap_id = data.get("bapId")
        identities = self._bap_ids()
        proposed = bap_id if isinstance(bap_id, str) and bap_id in identities else self._default_bap_id()
        host = host_of(origin) or "a program on this computer"
        shares = tuple((each, self.sharing.choice(origin, client_id, each)) for each in sorted(identities)) \
            if client_id is not None else ()
        request = ApprovalRequest(
            kind="sign-in", origin=origin, host=host, app_name=claimed_app or self._app_name(origin),
            path=path, bap_id=proposed, client_id=client_id or "", shares=shares,
        )
        request, decision = self._ask(request)
        chosen = decision.bap_id or proposed
        share = None
        if client_id is not None and chosen:
            share = request.share_for(chosen) if decision.share_profile is None else bool(decision.share_profile)
            self.sharing.remember(origin, client_id, chosen, share, request.app_name)
        body = sign_in_body(client_id, invite, self.profiles.get(chosen) if chosen else {}, share)
        covered = body if body != "{}" else None  # the plain sign-in is signed without a body hash
        token = self._wallet_call(lambda: self.wallet.sign_token(path, covered, scheme=scheme, bap_id=chosen))
        self.activity.record("approved", origin or host, request.what(), chosen)
        return {"token": token, "bapId": str(chosen or self._default_bap_id() or ""), "body": body}

    def set_share_choice(self, server: str, client_id: str, bap_id: str, share: bool) -> None:
        """The Access tab changes a remembered share choice; the next sign-in starts from it."""
        self.sharing.remember(server, client_id, bap_id, share)
        what = "shares name and picture" if share else "does not share name and picture"
        self.activity.record("sharing changed", server or "Sigil", f"{what} with {client_id}", bap_id)

    def sign(self, call: Call, data: dict) -> dict:
        """An X-Auth-Token for ``path``/``body`` by the identity's member key; a wallet imported
        from TokenPass signs other sites' requests with TokenPass's per-site key instead."""
        grant, origin = call.granted, call.origin
        path, body, scheme = self._parse_sign(call, data.get("path"), data.get("body"), data.get("signatureType"))
        bap_id = grant.bap_id
        is_sign_in = is_sign_in_path(path)  # any spelling a server could route to a sign-in asks
        if call.endpoint.prompt.asks(locked=self._is_locked(), sign_in=is_sign_in):
            kind = "sign-in" if is_sign_in else "sign"
            request = ApprovalRequest(
                kind=kind, origin=origin, host=grant.host, app_name=self._app_name(origin or grant.origin),
                path=path, body_summary=summarize_body(body), bap_id=bap_id,
            )
            request, decision = self._ask(request)
            bap_id = decision.bap_id or bap_id
            outcome, what = "approved", request.what()
        else:
            outcome, what = "signed (grant)", f"signature for {path}"
        if is_sign_in or self._is_own_server(origin or grant.origin):
            token = self._wallet_call(lambda: self.wallet.sign_token(path, body, scheme=scheme, bap_id=bap_id))
        else:  # the wallet decides: member key, or a TokenPass wallet's per-site key
            token = self._wallet_call(lambda: self.wallet.sign_request_token(
                self._site(grant), path, body, scheme=scheme, bap_id=bap_id))
        self.activity.record(outcome, call.where, what, bap_id)
        return {"token": token}

    def sign_message(self, call: Call, data: dict) -> dict:
        """``/api/sign {message, encoding}``: a BSM signature by the site's key."""
        grant = call.granted
        message, encoding = data.get("message"), data.get("encoding")
        if encoding is None:
            encoding = "utf8"
        if not isinstance(message, str) or not isinstance(encoding, str):
            raise bad_request("message and encoding must be strings")
        if len(message) > call.limit("message"):
            raise bad_request("message is too large")
        raw = self._input(lambda: decode_message(message, encoding))
        address, sig = self._wallet_call(lambda: self.wallet.sign_site_message(self._site(grant), raw, grant.bap_id))
        self.activity.record("signed (grant)", call.where, f"message signature ({len(raw)} bytes)", grant.bap_id)
        return {"address": address, "message": message, "sig": sig, "ts": int(self._clock() * 1000)}

    def sign_aip(self, call: Call, data: dict) -> dict:
        """``/api/sign-aip {data: [hex, ...]}``: AIP ``signedOps`` by the site's key."""
        grant, items = call.granted, data.get("data")
        if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
            raise bad_request("data must be a non-empty list of hex strings")
        if len(items) > call.limit("items") or sum(len(item) for item in items) > call.limit("chars"):
            raise bad_request("data is too large")
        for item in items:
            self._input(lambda item=item: decode_hex(item))
        ops = self._wallet_call(lambda: self.wallet.sign_site_aip(self._site(grant), list(items), grant.bap_id))
        self.activity.record("signed (grant)", call.where, f"AIP signature ({len(items)} items)", grant.bap_id)
        return {"signedOps": ops}

    def encrypt(self, call: Call, data: dict) -> dict:
        """``/api/encrypt``: BIE1 hex of UTF-8 ``data``, to ``theirPublicKey`` or to the friend key."""
        grant, text = call.granted, data.get("data")
        if not isinstance(text, str):
            raise bad_request("data must be a string")
        if len(text) > call.limit("data"):
            raise bad_request("data is too large")
        plaintext = text.encode("utf-8", "surrogatepass")
        if data.get("theirPublicKey") is not None:
            pubkey = self._text(call, data.get("theirPublicKey"), "theirPublicKey")
            ciphertext = self._wallet_call(lambda: self.wallet.encrypt_to_pubkey(plaintext, pubkey))
            what = "encryption to a public key"
        else:
            friend = self._text(call, data.get("friendBapId"), "friendBapId", "send friendBapId or theirPublicKey")
            ciphertext = self._wallet_call(lambda: self.wallet.encrypt_for_friend(plaintext, friend, grant.bap_id))
            what = f"encryption for {friend}"
        self.activity.record("encrypted (grant)", call.where, what, grant.bap_id)
        return {"ciphertext": ciphertext.hex()}

    def decrypt(self, call: Call, data: dict) -> dict:
        """``/api/decrypt``: the UTF-8 text of a BIE1 ciphertext (hex)."""
        grant, ciphertext = call.granted, data.get("ciphertext")
        friend_bap_id, their_public_key = data.get("friendBapId"), data.get("theirPublicKey")
        if not isinstance(ciphertext, str) or len(ciphertext) > call.limit("ciphertext"):
            raise bad_request("ciphertext must be a hex string")
        raw = self._input(lambda: decode_hex(ciphertext))
        if their_public_key is None and friend_bap_id is None:
            raise bad_request("send friendBapId or theirPublicKey")
        pubkey = self._text(call, their_public_key, "theirPublicKey") if their_public_key is not None else None
        friend = self._text(call, friend_bap_id, "friendBapId") if friend_bap_id is not None else None
        plaintext = self._wallet_call(lambda: self.wallet.decrypt(raw, friend, pubkey, grant.bap_id))
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the decrypted data is not UTF-8 text") from None
        self.activity.record("decrypted (grant)", call.where, f"decryption ({len(raw)} bytes)", grant.bap_id)
        return {"data": text}

    def friend_public_key(self, call: Call, data: dict) -> dict:
        """``/api/friend-pubkey``: the public key this identity shows ``friendBapId``."""
        grant = call.granted
        friend = self._text(call, data.get("friendBapId"), "friendBapId")
        return {"publicKey": self._wallet_call(lambda: self.wallet.friend_public_key(friend, grant.bap_id))}

    def profile(self, call: Call, data: dict) -> dict:
        """``GET /api/profile``: the grant identity's stored profile."""
        return self.profiles.get(call.granted.bap_id)

    def update_profile(self, call: Call, data: dict) -> dict:
        """``POST /api/profile``: validate every field first, then store (``write_profile``)."""
        grant = call.granted
        try:
            changes = validate_profile(data)
        except ProfileError as exc:
            raise bad_request(str(exc)) from None
        self.profiles.update(grant.bap_id, changes)
        self.activity.record("profile updated (grant)", call.where, ", ".join(changes) or "no change", grant.bap_id)
        return {}

    def logout(self, call: Call, data: dict) -> dict:
        """``/api/logout``: lock the wallet."""
        self.lock(call.origin, reason="locked (api)")
        return {}

    # -- the GUI's actions ----------------------------------------------------------------

    def lock(self, origin: str = "", reason: str = "locked") -> None:
        """Lock the wallet (``/api/logout``, the tray, the lock button, auto-lock)."""
        if self._wallet_exists():
            self.wallet.lock()
            self.activity.record(reason, origin or "Sigil", "wallet locked")

    def _on_wallet_locked(self, reason: str, idle_seconds: float | None) -> None:
        """The auto-lock happens inside the wallet; log it here (manual locks log in :meth:`lock`)."""
        if reason == "idle":
            self.activity.record("locked", "Sigil", f"locked after {format_duration(idle_seconds)} idle")

    # -- wallet maintenance (the GUI's Wallet menu) ----------------------------------------

    def export_backup(self, passphrase: str) -> str:
        """The backup secret, after the unlock passphrase is typed again (``WrongPassphrase`` otherwise).

        The log says that it was shown, never what: the caller owns the only copy.
        """
        secret = self.wallet.export_secret(passphrase)
        self.activity.record("backup shown", "Sigil", "recovery phrase shown after the passphrase was typed")
        return secret

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-encrypt the wallet under ``new`` (``WrongPassphrase`` when ``old`` is wrong)."""
        self.wallet.change_passphrase(old, new)
        self.activity.record("passphrase changed", "Sigil", "unlock passphrase changed")

    def revoke_grant(self, token_hash: str) -> bool:
        grants = {g.token_hash: g for g in self.grants.active()}
        revoked = self.grants.revoke(token_hash)
        if revoked and token_hash in grants:
            g = grants[token_hash]
            self.activity.record("revoked", g.origin or g.host, f"access grant ({', '.join(g.scopes)})", g.bap_id)
        return revoked

    def close(self) -> None:
        self.broker.deny_all()
        self.grants.close()
        self.sharing.close()
        self.activity.close()

    # -- helpers -------------------------------------------------------------------------

    def _wallet_exists(self) -> bool:
        try:
            return bool(self.wallet.exists())
        except WalletError:
            return False

    def _is_locked(self) -> bool:
        try:
            return bool(self.wallet.is_locked)
        except WalletError:
            return True

    def _touch(self) -> None:
        """A person just approved something: restart the idle auto-lock timer."""
        try:
            self.wallet.touch()
        except WalletError:
            pass

    def _default_bap_id(self) -> str | None:
        try:
            identity = self.wallet.default_identity()
        except WalletError:
            return None
        return identity.bap_id if identity else None

    def _app_name(self, origin: str) -> str:
        try:
            return self.app_name_for(origin) or ""
        except Exception:
            return ""

    def _bap_ids(self) -> set[str]:
        try:
            return {identity.bap_id for identity in self.wallet.identities()}
        except WalletError:
            return set()

    def _is_own_server(self, origin: str) -> bool:
        own = self.server_origin()
        return bool(origin and own and origin.rstrip("/") == own.rstrip("/"))

    @staticmethod
    def _site(grant: Grant) -> str:
        """The host the grant's per-site key is derived for (older grants: their host)."""
        return grant.site or grant.host

    def _wallet_call(self, call: Callable[[], object]):
        """Run a wallet operation, its failures mapped to the API's codes (never a 500)."""
        try:
            return call()
        except WalletLocked:
            raise SignerError(ErrorKind.LOCKED) from None
        except NoWallet:
            raise SignerError(ErrorKind.NO_WALLET) from None
        except CodedError as exc:  # malformed hex, bad ciphertext or MAC, bad public key
            raise bad_request(str(exc)) from None
        except WalletError as exc:
            raise SignerError(ErrorKind.WALLET_REFUSED, str(exc)) from None

    @staticmethod
    def _input(call: Callable[[], bytes]) -> bytes:
        try:
            return call()
        except CodedError as exc:
            raise bad_request(str(exc)) from None

    @staticmethod
    def _text(call: Call, value: object, name: str, missing: str = "") -> str:
        if value is None and missing:
            raise bad_request(missing)
        limit = call.limit("id")
        if not isinstance(value, str) or not value or len(value) > limit:
            raise bad_request(f"{name} must be a non-empty string of at most {limit} characters")
        return value

    @staticmethod
    def _parse_sign(call: Call, path: object, body: object, scheme: object) -> tuple[str, str | None, str]:
        if not isinstance(path, str) or not path.startswith("/"):
            raise bad_request("path must be a request path starting with '/'")
        if "|" in path or len(path) > call.limit("path") or any(ord(c) < 32 for c in path):
            raise bad_request("path must not contain '|' or control characters")
        if body is not None and not isinstance(body, str):
            raise bad_request("body must be the exact request body as a string")
        if body is not None and len(body) > call.limit("body"):
            raise bad_request("body is too large")
        if scheme is None:
            scheme = "brc77"
        if scheme not in ("brc77", "bsm"):
            raise bad_request("signatureType must be 'brc77' or 'bsm'")
        return path, (body or None), scheme  # type: ignore[return-value]

    def _ask(self, request: ApprovalRequest) -> tuple[ApprovalRequest, ApprovalDecision]:
        """Every dialog goes through here: a refusal (denied, timed out, too many waiting) is
        logged and raised; an approval restarts the idle auto-lock timer."""
        request, decision = self.broker.submit(request)
        if not decision.approved:
            self._record_denial(request, decision.outcome)
            raise self._denial_error(decision.outcome)
        self._touch()
        return request, decision

    def _record_denial(self, request: ApprovalRequest, outcome: str) -> None:
        label = {"timeout": "timed out", "overloaded": "denied (too many pending)"}.get(outcome, "denied")
        self.activity.record(label, request.origin or request.host, request.what(), request.bap_id)

    @staticmethod
    def _denial_error(outcome: str) -> SignerError:
        kinds = {"timeout": ErrorKind.TIMED_OUT, "overloaded": ErrorKind.OVERLOADED}
        return SignerError(kinds.get(outcome, ErrorKind.DENIED))


__all__ = ["PROFILE_CLAIMS", "Call", "ErrorKind", "sign_in_body", "SignerError", "bad_request", "SignerService", "format_duration", "host_of", "is_opaque_origin",
           "summarize_body"]
