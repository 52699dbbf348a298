"""What the signer does, without Qt or HTTP: grant access, sign, lock, log.

The local API (``local_api/``) translates HTTP to these calls; the GUI answers the
approval requests they raise through the :class:`~signer_app.approvals.ApprovalBroker`.
A key is used only after the user approved: an access grant needs approval, a
sign-in token (a path ending in ``/sign-in/sigma``) always needs approval, and other
paths are signed without a prompt for the live grant's host and duration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from signer_app.activity import ActivityLog
from signer_app.approvals import ApprovalBroker, ApprovalRequest, format_duration
from signer_app.grants import KNOWN_SCOPES, GrantError, GrantStore, parse_expiry
from signer_app.wallet import NoWallet, Wallet, WalletError, WalletLocked

SIGN_IN_SUFFIX = "/sign-in/sigma"
MAX_PATH = 2048
MAX_BODY = 1_000_000


class SignerError(Exception):
    """A failure the local API reports as ``{error, code, success: false}``.

    Codes 1, 2, 3 and 5 are those of PROTOCOL.md section 7; 4 (denied by the user or
    timed out), 6 (malformed request) and 7 (no wallet) are ours.
    """

    def __init__(self, message: str, code: int, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def locked() -> SignerError:
    return SignerError("Wallet is locked", 1, 401)


def missing_authorization() -> SignerError:
    return SignerError("Missing authorization: send Authorization: Bearer <accessToken>", 2, 401)


def denied(message: str = "Request denied by the user") -> SignerError:
    return SignerError(message, 4, 403)


def bad_request(message: str) -> SignerError:
    return SignerError(message, 6, 400)


def no_wallet() -> SignerError:
    return SignerError("No wallet yet: create one in the Sigil app", 7, 409)


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
    expire_time_ms: int
    host: str


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
        if not self._wallet_exists():
            raise no_wallet()
        scope_list = self._parse_scopes(scopes)
        try:
            seconds = parse_expiry(expiry)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        if not isinstance(claimed_host, str):
            claimed_host = ""
        claimed_host = claimed_host[:253]
        host = host_of(origin) or (f"local program ({claimed_host})" if claimed_host else "local program")
        request = ApprovalRequest(
            kind="grant", origin=origin, host=host, claimed_host=claimed_host,
            app_name=self._app_name(origin), scopes=scope_list, duration_seconds=seconds,
            bap_id=self._default_bap_id(),
        )
        request, decision = self.broker.submit(request)
        if not decision.approved:
            self._record_denial(request, decision.outcome)
            raise self._denial_error(decision.outcome)
        self._touch()
        bap_id = decision.bap_id or self._default_bap_id()
        if bap_id is None:
            raise locked()
        token, grant = self.grants.create(host, origin, scope_list, bap_id, seconds)
        self.activity.record("approved", origin or host, request.what(), bap_id)
        return GrantResult(token, int(grant.expires * 1000), host)

    def sign(self, origin: str, bearer: str | None, path: object, body: object, scheme: object) -> str:
        """An X-Auth-Token for ``path``/``body`` made with the grant's identity."""
        if not bearer:
            raise missing_authorization()
        try:
            grant = self.grants.lookup(bearer)
        except GrantError as exc:
            raise SignerError(str(exc), exc.code, 401) from None
        if origin and origin != grant.origin:
            raise SignerError("This access token belongs to another origin", 3, 401)
        if "sign" not in grant.scopes:
            raise SignerError("This access token does not allow signing", 3, 403)
        path, body, scheme = self._parse_sign(path, body, scheme)
        bap_id = grant.bap_id
        bare_path = path.split("?", 1)[0]
        needs_prompt = bare_path.endswith(SIGN_IN_SUFFIX) or self._is_locked()
        if needs_prompt:
            kind = "sign-in" if bare_path.endswith(SIGN_IN_SUFFIX) else "sign"
            request = ApprovalRequest(
                kind=kind, origin=origin, host=grant.host, app_name=self._app_name(origin or grant.origin),
                path=path, body_summary=summarize_body(body), bap_id=bap_id,
            )
            request, decision = self.broker.submit(request)
            if not decision.approved:
                self._record_denial(request, decision.outcome)
                raise self._denial_error(decision.outcome)
            self._touch()
            bap_id = decision.bap_id or bap_id
            outcome, what = "approved", request.what()
        else:
            outcome, what = "signed (grant)", f"signature for {path}"
        try:
            token = self.wallet.sign_token(path, body, scheme=scheme, bap_id=bap_id)
        except WalletLocked:
            raise locked() from None
        except NoWallet:
            raise no_wallet() from None
        except WalletError as exc:
            raise SignerError(str(exc), 3, 409) from None
        self.activity.record(outcome, origin or grant.host, what, bap_id)
        return token

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

    @staticmethod
    def _parse_scopes(scopes: object) -> tuple[str, ...]:
        if scopes is None:
            return ("sign",)
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise bad_request("scopes must be a list of strings")
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            raise bad_request(f"unknown scope {unknown[0][:40]!r}; known: {', '.join(KNOWN_SCOPES)}")
        result = tuple(dict.fromkeys(scopes))
        return result or ("sign",)

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

    def _record_denial(self, request: ApprovalRequest, outcome: str) -> None:
        label = {"timeout": "timed out", "overloaded": "denied (too many pending)"}.get(outcome, "denied")
        self.activity.record(label, request.origin or request.host, request.what(), request.bap_id)

    @staticmethod
    def _denial_error(outcome: str) -> SignerError:
        if outcome == "timeout":
            return denied("No answer from the user in time; request denied")
        if outcome == "overloaded":
            return SignerError("Too many requests are waiting for approval", 4, 429)
        return denied()


__all__ = ["GrantResult", "SignerError", "SignerService", "format_duration", "host_of", "summarize_body"]
