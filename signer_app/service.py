"""What the signer does, without Qt or HTTP: grant access, sign, lock, log.

The local API (``local_api/``) translates HTTP to these calls; the GUI answers the
approval requests they raise through the :class:`~signer_app.approvals.ApprovalBroker`.
A key is used only after the user approved: an access grant needs approval, a
sign-in token (a path ending in ``/sign-in/sigma``) always needs approval, and other
requests are answered without a prompt within the live grant's scopes, host and duration.

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
from signer_app.profiles import ProfileError, ProfileStore, validate_profile
from signer_app.wallet import NoWallet, Wallet, WalletError, WalletLocked

SIGN_IN_SUFFIX = "/sign-in/sigma"
MAX_PATH = 2048
MAX_BODY = 1_000_000
MAX_AIP_ITEMS = 1000
MAX_ID = 200  # a BAP ID is 27 characters; friend ids are opaque strings, kept short


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


@dataclass(frozen=True)
class GrantResult:
    access_token: str
    expire_time_ms: int  # 0 = until revoked
    host: str
    bap_id: str


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
        self.profiles = ProfileStore(Path(data_dir) / "profiles.json")
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

    # -- endpoints -----------------------------------------------------------------------

    def status(self) -> dict:
        """Only whether a wallet exists and is unlocked: nothing an unknown page may learn more."""
        exists = self._wallet_exists()
        return {"unlocked": exists and not self.wallet.is_locked, "hasWallet": exists, "success": True}

    def request_grant(self, origin: str, claimed_host: str, scopes: object, expiry: object) -> GrantResult:
        """Ask the user for an access grant; blocks until approved, denied or timed out."""
        if is_opaque_origin(origin):
            raise SignerError(ErrorKind.OPAQUE_ORIGIN)
        if not self._wallet_exists():
            raise SignerError(ErrorKind.NO_WALLET)
        try:
            scope_list = parse_scopes(scopes)
            seconds = parse_expiry(expiry)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        if not isinstance(claimed_host, str):
            claimed_host = ""
        claimed_host = "".join(c for c in claimed_host[:253] if c.isprintable())
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
        return GrantResult(token, grant.expire_time_ms, host, bap_id)

    def sign_in(self, origin: str, path: object, scheme: object, app_name: object = None,
                bap_id: object = None, invite: object = None) -> tuple[str, str, str]:
        """One decision for one sign-in: a dialog naming the site, the app and the identity.

        For the authorize and invite pages of a Sigil server: no access grant is created, the
        token (for a path ending in ``/sign-in/sigma`` only) is signed by the chosen identity's
        member key. With an ``invite`` code the sign-in body is ``{"invite": code}`` and the
        token covers it (the server refuses an invitation the token does not cover). Returns
        ``(token, bap_id, body)``: the page posts ``body`` unchanged.
        """
        if is_opaque_origin(origin):
            raise SignerError(ErrorKind.OPAQUE_ORIGIN)
        if not self._wallet_exists():
            raise SignerError(ErrorKind.NO_WALLET)
        path, _, scheme = self._parse_sign(path, None, scheme)
        if not path.split("?", 1)[0].endswith(SIGN_IN_SUFFIX):
            raise bad_request(f"path must be a sign-in path ending in {SIGN_IN_SUFFIX}")
        if invite is not None and (not isinstance(invite, str) or not 0 < len(invite) <= 128
                                   or not invite.isascii() or not invite.isprintable()):
            raise bad_request("invite must be an invitation code")
        body = json.dumps({"invite": invite}, separators=(",", ":")) if invite is not None else "{}"
        claimed_app = app_name if isinstance(app_name, str) else ""
        claimed_app = "".join(c for c in claimed_app[:100] if c.isprintable()).strip()
        proposed = bap_id if isinstance(bap_id, str) and bap_id in self._bap_ids() else self._default_bap_id()
        host = host_of(origin) or "a program on this computer"
        request = ApprovalRequest(
            kind="sign-in", origin=origin, host=host, app_name=claimed_app or self._app_name(origin),
            path=path, bap_id=proposed,
        )
        request, decision = self._ask(request)
        chosen = decision.bap_id or proposed
        covered = body if invite is not None else None  # the plain sign-in is signed without a body hash
        token = self._wallet_call(lambda: self.wallet.sign_token(path, covered, scheme=scheme, bap_id=chosen))
        self.activity.record("approved", origin or host, request.what(), chosen)
        return token, str(chosen or self._default_bap_id() or ""), body

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

    def sign(self, origin: str, bearer: str | None, path: object, body: object, scheme: object) -> str:
        """An X-Auth-Token for ``path``/``body`` by the identity's member key; a wallet imported
        from TokenPass signs other sites' requests with TokenPass's per-site key instead."""
        grant = self.authorize(origin, bearer, "sign")
        path, body, scheme = self._parse_sign(path, body, scheme)
        bap_id = grant.bap_id
        is_sign_in = is_sign_in_path(path)  # any spelling a server could route to a sign-in asks
        needs_prompt = is_sign_in or self._is_locked()
        if needs_prompt:
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
        self.activity.record(outcome, origin or grant.host, what, bap_id)
        return token

    # -- the crypto and profile endpoints (no prompt: the grant's scopes decide) -------------

    def sign_message(self, origin: str, bearer: str | None, message: object, encoding: object) -> dict:
        """``/api/sign {message, encoding}``: a BSM signature by the site's key."""
        grant = self._unlocked_grant(origin, bearer, "sign")
        if encoding is None:
            encoding = "utf8"
        if not isinstance(message, str) or not isinstance(encoding, str):
            raise bad_request("message and encoding must be strings")
        if len(message) > MAX_BODY:
            raise bad_request("message is too large")
        raw = self._input(lambda: decode_message(message, encoding))
        address, sig = self._wallet_call(lambda: self.wallet.sign_site_message(self._site(grant), raw, grant.bap_id))
        self.activity.record("signed (grant)", origin or grant.host, f"message signature ({len(raw)} bytes)", grant.bap_id)
        return {"address": address, "message": message, "sig": sig, "ts": int(self._clock() * 1000)}

    def sign_aip(self, origin: str, bearer: str | None, data: object) -> list[str]:
        """``/api/sign-aip {data: [hex, ...]}``: AIP ``signedOps`` by the site's key."""
        grant = self._unlocked_grant(origin, bearer, "sign")
        if not isinstance(data, list) or not data or not all(isinstance(item, str) for item in data):
            raise bad_request("data must be a non-empty list of hex strings")
        if len(data) > MAX_AIP_ITEMS or sum(len(item) for item in data) > 2 * MAX_BODY:
            raise bad_request("data is too large")
        for item in data:
            self._input(lambda item=item: decode_hex(item))
        ops = self._wallet_call(lambda: self.wallet.sign_site_aip(self._site(grant), list(data), grant.bap_id))
        self.activity.record("signed (grant)", origin or grant.host, f"AIP signature ({len(data)} items)", grant.bap_id)
        return ops

    def encrypt(self, origin: str, bearer: str | None, data: object, friend_bap_id: object,
                their_public_key: object) -> str:
        """``/api/encrypt``: BIE1 hex of UTF-8 ``data``, to ``theirPublicKey`` or to the friend key."""
        grant = self._unlocked_grant(origin, bearer, "encrypt")
        if not isinstance(data, str):
            raise bad_request("data must be a string")
        if len(data) > MAX_BODY:
            raise bad_request("data is too large")
        plaintext = data.encode("utf-8", "surrogatepass")
        if their_public_key is not None:
            pubkey = self._text(their_public_key, "theirPublicKey")
            ciphertext = self._wallet_call(lambda: self.wallet.encrypt_to_pubkey(plaintext, pubkey))
            what = "encryption to a public key"
        else:
            friend = self._text(friend_bap_id, "friendBapId", "send friendBapId or theirPublicKey")
            ciphertext = self._wallet_call(lambda: self.wallet.encrypt_for_friend(plaintext, friend, grant.bap_id))
            what = f"encryption for {friend}"
        self.activity.record("encrypted (grant)", origin or grant.host, what, grant.bap_id)
        return ciphertext.hex()

    def decrypt(self, origin: str, bearer: str | None, ciphertext: object, friend_bap_id: object,
                their_public_key: object) -> str:
        """``/api/decrypt``: the UTF-8 text of a BIE1 ciphertext (hex)."""
        grant = self._unlocked_grant(origin, bearer, "decrypt")
        if not isinstance(ciphertext, str) or len(ciphertext) > 2 * MAX_BODY:
            raise bad_request("ciphertext must be a hex string")
        raw = self._input(lambda: decode_hex(ciphertext))
        if their_public_key is None and friend_bap_id is None:
            raise bad_request("send friendBapId or theirPublicKey")
        pubkey = self._text(their_public_key, "theirPublicKey") if their_public_key is not None else None
        friend = self._text(friend_bap_id, "friendBapId") if friend_bap_id is not None else None
        plaintext = self._wallet_call(lambda: self.wallet.decrypt(raw, friend, pubkey, grant.bap_id))
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the decrypted data is not UTF-8 text") from None
        self.activity.record("decrypted (grant)", origin or grant.host, f"decryption ({len(raw)} bytes)", grant.bap_id)
        return text

    def friend_public_key(self, origin: str, bearer: str | None, friend_bap_id: object) -> str:
        """``/api/friend-pubkey``: the public key this identity shows ``friendBapId``."""
        grant = self._unlocked_grant(origin, bearer)
        friend = self._text(friend_bap_id, "friendBapId")
        return self._wallet_call(lambda: self.wallet.friend_public_key(friend, grant.bap_id))

    def profile(self, origin: str, bearer: str | None) -> dict:
        """``GET /api/profile``: the grant identity's stored profile."""
        grant = self.authorize(origin, bearer)
        return self.profiles.get(grant.bap_id)

    def update_profile(self, origin: str, bearer: str | None, data: dict) -> dict:
        """``POST /api/profile``: validate every field first, then store (``write_profile``)."""
        grant = self.authorize(origin, bearer, "write_profile")
        try:
            changes = validate_profile(data)
        except ProfileError as exc:
            raise bad_request(str(exc)) from None
        record = self.profiles.update(grant.bap_id, changes)
        self.activity.record("profile updated (grant)", origin or grant.host, ", ".join(changes) or "no change", grant.bap_id)
        return record

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

    def _unlocked_grant(self, origin: str, bearer: str | None, *scopes: str) -> Grant:
        """The crypto endpoints answer ``locked`` (code 1) instead of asking, as TokenPass does."""
        grant = self.authorize(origin, bearer, *scopes)
        if self._is_locked():
            raise SignerError(ErrorKind.LOCKED)
        return grant

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
    def _text(value: object, name: str, missing: str = "") -> str:
        if value is None and missing:
            raise bad_request(missing)
        if not isinstance(value, str) or not value or len(value) > MAX_ID:
            raise bad_request(f"{name} must be a non-empty string of at most {MAX_ID} characters")
        return value

    @staticmethod
    def _parse_sign(path: object, body: object, scheme: object) -> tuple[str, str | None, str]:
        if not isinstance(path, str) or not path.startswith("/"):
            raise bad_request("path must be a request path starting with '/'")
        if "|" in path or len(path) > MAX_PATH or any(ord(c) < 32 for c in path):
            raise bad_request("path must not contain '|' or control characters")
        if body is not None and not isinstance(body, str):
            raise bad_request("body must be the exact request body as a string")
        if body is not None and len(body) > MAX_BODY:
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


__all__ = ["ErrorKind", "GrantResult", "SignerError", "bad_request", "SignerService", "format_duration", "host_of", "is_opaque_origin",
           "summarize_body"]
