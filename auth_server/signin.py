"""The sign-in rules (docs/PROTOCOL.md section 6): an X-Auth-Token in, a session out.

Plain values in (the header, the raw body, the Origin and Referer, the client address,
the user agent), a :class:`SignedIn` out, or an ``ApiError``/``TokenError`` saying why
not; ``auth_server/web/signin.py`` is the HTTP glue.

The real client (``signIn.sigma({authToken})``) posts ``{}`` and signs without a body
hash, so that is what plain sign-in verifies. A client that first fetches a challenge
posts ``{"challenge": ...}`` signed *with* the body hash, which binds its token to this
server and this moment; ``require_challenge`` makes that mandatory. A sign-in that
carries an invitation (``{"invite": code}``) must be signed with the body hash too: an
invitation in a body the token does not cover is refused, so a code cannot be lifted
into someone else's signed request. So is a profile (``profile``, ``shareProfile``,
``clientId``, :mod:`auth_server.profile`): nobody can put a name or a picture on someone
else's sign-in. Its picture is decoded and re-encoded here, before the transaction.

Who may make an account is ``settings.sign_up``: ``open`` (any key), ``invite`` (an
invitation, or a BAP identity an administrator let in ahead of time) or ``closed`` (only
identities let in ahead of time). A disabled account is refused whatever it carries.

A refused sign-in leaves no trace in the database: everything slow or refusable happens
before one write transaction, and inside it the challenge is spent, the token claimed
(single use), the user found or made and the session recorded, in one commit; a refusal
inside it (challenge already spent, token replayed) rolls all of it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from auth_server.client_errors import ApiError, json_object
from auth_server.request_token import REPLAYED, ReplayedToken, replay_expiry, verify_request_token
from auth_server.config import Settings, effective_origin, is_trusted_origin
from auth_server.crypto import address_from_pubkey
from auth_server.extensions import derive_bap_id
from auth_server.ratelimit import RateLimiter
from auth_server.store import Store, User, hash_secret
from auth_server.store.sessions import new_token
from auth_server.profile import SIGNED_KEYS, ProfileRefused
from auth_server.profile import parse as parse_profile
from auth_server.store.profiles import AVATAR_PATH
from auth_server.store.signins import SignInRecord, SignInRefused
from auth_server.store.users import new_id, username_base

SIGN_IN_PATH = "/api/auth/sign-in/sigma"
CHALLENGE_PATH = "/api/auth/sigma/challenge"
BAP_CACHE_TTL = 3600.0
MAX_USER_AGENT = 512
MAX_INVITE_LENGTH = 128

#: what a key with no account is told, per sign-up mode: how to get in
SIGN_UP_REFUSALS = {
    "invite": "this server lets new people in by invitation only: ask its administrator for an invite link",
    "closed": "this server takes no new sign-ups: ask its administrator to add your key "
              "(sigil-server users add --pubkey <your public key>)",
}
DISABLED_MESSAGE = "this account is disabled on this server: ask its administrator"


def invite_guess_limiter(settings: Settings) -> RateLimiter:
    """Invitation codes tried per address: sign-ins carrying one and invite pages opened count
    against the same window (the limiter's name keys the shared counters)."""
    return RateLimiter.from_settings(settings, "invite", settings.invite_guesses_per_ip,
                                     settings.invite_guess_window_seconds)


@dataclass(frozen=True)
class SignedIn:
    """A new session: its raw token (for the cookie and the answer, never stored) and its user.
    ``notice``: something the page shows the user before going on (a handle that was taken);
    ``shared``: False when the sign-in said not to share the profile with its app."""

    session_token: str
    user: User
    subscription_tier: str | None
    notice: str | None = None
    shared: bool = True


class SignIn:
    """Sign-in and challenges for one server (its settings, store and rate limiters)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        window = settings.rate_limit_window_seconds
        self.ip_limiter = RateLimiter.from_settings(settings, "ip", settings.rate_limit_per_ip, window)
        self.key_limiter = RateLimiter.from_settings(settings, "pubkey", settings.rate_limit_per_pubkey, window)
        self.invite_limiter = invite_guess_limiter(settings)

    def challenge(self, client_ip: str) -> tuple[str, int]:
        """A single-use challenge and its lifetime in seconds."""
        self.ip_limiter.check(client_ip, "address")
        now = self.settings.clock()
        nonce = self.store.challenges.issue(now, now + self.settings.challenge_seconds)
        return nonce, int(self.settings.challenge_seconds)

    def _refused(self, now: float, pubkey: str, reason: str) -> None:
        """Put a sign-in refused for who the key is (not for a bad token) in the audit log."""
        self.store.audit.record(now, f"key:{pubkey}", "signin.refused", pubkey, reason=reason)

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
        invite = data.get("invite")
        if nonce is not None and (not isinstance(nonce, str) or len(nonce) > 256):
            raise ApiError(400, "BAD_REQUEST", "challenge must be a string")
        if invite is not None:
            if not isinstance(invite, str) or not 0 < len(invite) <= MAX_INVITE_LENGTH:
                raise ApiError(400, "BAD_REQUEST", "invite must be an invitation code")
            self.invite_limiter.check(client_ip, "address")
        if nonce is not None or invite is not None or any(key in data for key in SIGNED_KEYS):
            # the token must cover this exact body: a challenge, an invitation or a profile in a
            # body it does not cover fails here (BODY_MISMATCH)
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
        # after the signature (only a signer makes the server decode a picture), before any write
        try:
            profile = parse_profile(data, known_avatar=store.avatars.id_for_source)
        except ProfileRefused as refused:
            raise ApiError(400, "BAD_PROFILE", str(refused)) from None

        now = settings.clock()
        # On PostgreSQL the sign-in's one call finds the user itself (a lookup here would be a
        # second round trip); then the rules below that need the user are the call's, and its
        # refusals are the same. A resolver other than the default may read the user's id, so
        # it gets the real one, looked up first.
        find_user = (store.signins.finds_user(invitation=invite is not None)
                     and settings.resolve_bap_id is derive_bap_id)
        user = None if find_user else store.users.get_by_pubkey(token.pubkey)
        if user is not None and user.disabled:
            self._refused(now, token.pubkey, "account_disabled")
            raise ApiError(403, "ACCOUNT_DISABLED", DISABLED_MESSAGE)
        if invite is not None and settings.sign_up == "closed":
            self._refused(now, token.pubkey, "sign_up_closed")
            raise ApiError(403, "SIGN_UP_DISABLED", "this server accepts no invitations: " + SIGN_UP_REFUSALS["closed"])
        user_id = user.id if user is not None else new_id()
        bap_id = self.resolve_bap_id(user_id, token.pubkey)
        # An open server takes a new user's admission (name, groups) inside the sign-in's own
        # statements; a server that is not open looks first, to refuse a key it does not know
        # (where the call finds the user, the call refuses it: SignInRefused "not_admitted").
        if (user is None and not find_user and invite is None and settings.sign_up != "open"
                and (bap_id is None or store.invitations.admitted(bap_id) is None)):
            self._refused(now, token.pubkey, "sign_up_disabled")
            raise ApiError(403, "SIGN_UP_DISABLED", SIGN_UP_REFUSALS[settings.sign_up])
        # The body is not signed, so a bapId in it is only a claim: it must name the identity
        # of the key that signed, or anyone could sign in with their own key and carry a
        # victim's BAP ID into the session, the id_token and userinfo.
        if selected_bap_id is not None and selected_bap_id != bap_id:
            raise ApiError(401, "BAP_ID_MISMATCH", "bapId is not the identity of the key that signed the token")
        user_agent = (user_agent or "")[:MAX_USER_AGENT] or None
        # A new user is named by their address: computed here, not under the writer lock (also
        # when the call finds the user: it is used only if the call makes one).
        name = address_from_pubkey(token.public_key) if user is None else ""
        session_token = new_token()
        avatar = profile.avatar
        record = SignInRecord(
            now=now, replay_key=token.replay_key, replay_expires_at=replay_expiry(token, settings), challenge=nonce,
            pubkey=token.pubkey, user=user, new_user_id=user_id, new_user_name=name, bap_id=bap_id,
            session_expires_at=now + settings.session_seconds, ip_address=client_ip, user_agent=user_agent,
            subscription=settings.enable_subscription,
            invite_code_hash=hash_secret(invite) if invite is not None else None,
            admitted_bap_id=bap_id if user is None else None,
            admission_required=settings.sign_up != "open" and invite is None,
            profile=profile.present, profile_name=profile.name,
            image=AVATAR_PATH + profile.avatar_id if profile.avatar_id else profile.picture_url,
            handle=profile.username, username_base=username_base(bap_id, token.pubkey),
            avatar=(avatar.avatar_id, avatar.source_hash, avatar.content_type, avatar.data) if avatar else None,
            client_id=profile.client_id, share=profile.share, find_user=find_user)
        try:
            user, session = store.signins.record(record, session_token)
        except SignInRefused as refused:
            if refused.reason == "replayed":
                raise ReplayedToken(REPLAYED) from None
            if refused.reason == "invalid_invite":
                raise ApiError(403, "INVALID_INVITE",
                               "this invitation is unknown, used up, expired or revoked: ask for a new link") from None
            if refused.reason == "disabled":
                self._refused(now, token.pubkey, "account_disabled")
                raise ApiError(403, "ACCOUNT_DISABLED", DISABLED_MESSAGE) from None
            if refused.reason == "not_admitted":
                self._refused(now, token.pubkey, "sign_up_disabled")
                raise ApiError(403, "SIGN_UP_DISABLED", SIGN_UP_REFUSALS[settings.sign_up]) from None
            raise ApiError(401, "INVALID_CHALLENGE", "challenge is unknown, used or expired") from None
        tier = session.subscription_tier
        notice = None
        if profile.username and user.username != profile.username:
            notice = f"the username {profile.username} is taken on this server; you stay {user.username}"
        return SignedIn(session_token, user, tier, notice, profile.share is not False)
