"""The sign-in rules (docs/PROTOCOL.md section 6): an X-Auth-Token in, a session out.

Plain values in (the header, the raw body, the Origin and Referer, the client address,
the user agent), a :class:`SignedIn` out, or an ``ApiError``/``TokenError`` saying why
not; ``auth_server/web/signin.py`` is the HTTP glue.

The real client (``signIn.sigma({authToken})``) posts ``{}`` and signs without a body
hash, so that is what plain sign-in verifies. A client that first fetches a challenge
posts ``{"challenge": ...}`` signed *with* the body hash, which binds its token to this
server and this moment; ``require_challenge`` makes that mandatory.

A refused sign-in leaves no trace in the database: everything slow or refusable happens
before one write transaction, and inside it the challenge is spent, the token claimed
(single use), the user found or made and the session recorded, in one commit; a refusal
inside it (challenge already spent, token replayed) rolls all of it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from auth_server.client_errors import ApiError, json_object
from auth_server.request_token import ReplayedToken, replay_expiry, verify_request_token
from auth_server.config import Settings, effective_origin, is_trusted_origin
from auth_server.crypto import address_from_pubkey
from auth_server.ratelimit import RateLimiter
from auth_server.store import Store, User
from auth_server.store.sessions import new_token
from auth_server.store.signins import SignInRecord, SignInRefused
from auth_server.store.users import new_id

SIGN_IN_PATH = "/api/auth/sign-in/sigma"
CHALLENGE_PATH = "/api/auth/sigma/challenge"
BAP_CACHE_TTL = 3600.0
MAX_USER_AGENT = 512


@dataclass(frozen=True)
class SignedIn:
    """A new session: its raw token (for the cookie and the answer, never stored) and its user."""

    session_token: str
    user: User
    subscription_tier: str | None


class SignIn:
    """Sign-in and challenges for one server (its settings, store and rate limiters)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        window = settings.rate_limit_window_seconds
        self.ip_limiter = RateLimiter.from_settings(settings, "ip", settings.rate_limit_per_ip, window)
        self.key_limiter = RateLimiter.from_settings(settings, "pubkey", settings.rate_limit_per_pubkey, window)

    def challenge(self, client_ip: str) -> tuple[str, int]:
        """A single-use challenge and its lifetime in seconds."""
        self.ip_limiter.check(client_ip, "address")
        now = self.settings.clock()
        nonce = self.store.challenges.issue(now, now + self.settings.challenge_seconds)
        return nonce, int(self.settings.challenge_seconds)

    def resolve_bap_id(self, user_id: str, pubkey: str) -> str | None:
        """The BAP ID of ``pubkey`` through ``settings.resolve_bap_id``, cached per pubkey."""
        key = f"sigma:bap:{pubkey}"
        cached = self.settings.cache.get(key)
        if cached is not None:
            return cached or None
        bap_id = self.settings.resolve_bap_id(user_id, pubkey)
        self.settings.cache.set(key, bap_id or "", BAP_CACHE_TTL)
        return bap_id

    def sign_in(self, *, header: str | None, body: bytes, origin: str | None, referer: str | None,
                client_ip: str, user_agent: str | None) -> SignedIn:
        """Verify the token and make a session (and the user, on first sign-in)."""
        settings, store = self.settings, self.store
        self.ip_limiter.check(client_ip, "address")
        if origin is not None and not is_trusted_origin(settings, effective_origin(origin, referer)):
            raise ApiError(403, "INVALID_ORIGIN", "Invalid origin")
        data = json_object(body)
        nonce = data.get("challenge")
        if nonce is not None:
            if not isinstance(nonce, str) or len(nonce) > 256:
                raise ApiError(400, "BAD_REQUEST", "challenge must be a string")
            token = verify_request_token(header, SIGN_IN_PATH, body, settings, store, claim=False)
        elif settings.require_challenge:
            raise ApiError(401, "CHALLENGE_REQUIRED",
                           f"sign-in requires a challenge from GET {CHALLENGE_PATH}, covered by the token's body hash")
        else:
            token = verify_request_token(header, SIGN_IN_PATH, None, settings, store, claim=False)
        selected_bap_id = data.get("bapId")
        if selected_bap_id is not None and (not isinstance(selected_bap_id, str) or len(selected_bap_id) > 128):
            raise ApiError(400, "BAD_REQUEST", "bapId must be a string")
        self.key_limiter.check(token.pubkey, "key")

        now = settings.clock()
        user = store.users.get_by_pubkey(token.pubkey)
        if user is None and settings.disable_implicit_sign_up:
            raise ApiError(403, "SIGN_UP_DISABLED", "no account for this key, and sign-up is disabled")
        user_id = user.id if user is not None else new_id()
        bap_id = self.resolve_bap_id(user_id, token.pubkey)
        # The body is not signed, so a bapId in it is only a claim: it must name the identity
        # of the key that signed, or anyone could sign in with their own key and carry a
        # victim's BAP ID into the session, the id_token and userinfo.
        if selected_bap_id is not None and selected_bap_id != bap_id:
            raise ApiError(401, "BAP_ID_MISMATCH", "bapId is not the identity of the key that signed the token")
        user_agent = (user_agent or "")[:MAX_USER_AGENT] or None
        # A new user is named by their address: computed here, not under the writer lock.
        name = address_from_pubkey(token.public_key) if user is None else ""
        session_token = new_token()
        record = SignInRecord(
            now=now, replay_key=token.replay_key, replay_expires_at=replay_expiry(token, settings), challenge=nonce,
            pubkey=token.pubkey, user=user, new_user_id=user_id, new_user_name=name, bap_id=bap_id,
            session_expires_at=now + settings.session_seconds, ip_address=client_ip, user_agent=user_agent,
            subscription=settings.enable_subscription)
        try:
            user, session = store.signins.record(record, session_token)
        except SignInRefused as refused:
            if refused.reason == "replayed":
                raise ReplayedToken("token was already used") from None
            raise ApiError(401, "INVALID_CHALLENGE", "challenge is unknown, used or expired") from None
        tier = session.subscription_tier
        return SignedIn(session_token, user, tier)
