"""The writes of one sign-in, in one transaction: spend the challenge, claim the token,
find or make the user (and record its BAP ID), create the session.

On SQLite these are the repositories' own statements inside one ``write()``: the file
is local, a statement costs microseconds. On PostgreSQL each statement is a round trip
(measured: ~90 µs of this server's CPU and ~30 µs of PostgreSQL's per statement); as
statements, a sign-in's writes were five of them (``BEGIN``, three inserts, ``COMMIT``). So there it is one call of the
server-side function ``sigil_sign_in`` (migration 3; since migration 10 it also finds the
user by key, so the sign-in does not look the user up first: :meth:`SignInRepository.finds_user`):
one round trip, one implicit transaction, the same rules. A refusal raises inside the function, which rolls back
everything it did (a spent challenge stays unspent when the token turns out replayed).
Inside the function every statement sees what committed before it ran (PL/pgSQL takes
a fresh snapshot per statement), so two first sign-ins of one key racing on two
instances still make one user: the second insert waits for the first, does nothing,
and the lookup after it finds the winner.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from auth_server.store.audit import AuditLog
from auth_server.store.challenges import ChallengeRepository
from auth_server.store.groups import GroupRepository
from auth_server.store.invitations import InvitationRepository
from auth_server.store.engine import Engine
from auth_server.store.hashing import hash_secret
from auth_server.store.models import Session, User
from auth_server.store.profiles import AvatarRepository, ProfileShareRepository
from auth_server.store.replay import ReplayGuard
from auth_server.store.sessions import SessionRepository
from auth_server.store.users import UserRepository, new_id, username_candidates

#: SQLSTATEs ``sigil_sign_in`` raises for a refusal (class "SG": Sigil's own)
REPLAYED_STATE = "SG001"
INVALID_CHALLENGE_STATE = "SG002"
DISABLED_STATE = "SG003"
NOT_ADMITTED_STATE = "SG004"


class SignInRefused(Exception):
    """The transaction was rolled back: ``reason`` is ``"replayed"``, ``"invalid_challenge"``,
    ``"invalid_invite"`` (unknown, used up, expired or revoked), ``"disabled"`` (an
    administrator disabled the account since it was looked up) or ``"not_admitted"`` (the
    admission a closed server needed was taken by a sign-in racing this one)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignInRecord:
    """What one sign-in writes. ``user`` is the user found before the transaction (None: make
    one with ``new_user_id`` and ``new_user_name``); with ``find_user`` nobody looked, and the
    transaction finds the key's user itself (or makes it)."""

    now: float
    replay_key: str
    replay_expires_at: float
    challenge: str | None
    pubkey: str
    user: User | None
    new_user_id: str
    new_user_name: str
    bap_id: str | None
    session_expires_at: float
    ip_address: str | None
    user_agent: str | None
    subscription: bool  # record the user's tier ("free" when none) on the session
    #: the SHA-256 of an invitation code to spend (its groups are joined), if the sign-in carries one
    invite_code_hash: str | None = None
    #: a new user's BAP ID: an admission made for it ahead of time is taken (name, groups) as the
    #: user is made (in the same statements: on PostgreSQL inside the sign-in function)
    admitted_bap_id: str | None = None
    #: refuse a new user unless the invitation or the admission above is there to spend
    admission_required: bool = False
    #: the body carried a signed profile: store ``profile_name`` and ``image`` (None clears them)
    profile: bool = False
    profile_name: str | None = None
    #: an https URL, or the avatar path of ``avatar_id``
    image: str | None = None
    #: the handle the signed profile asks for, and the default handle of a user who has none
    #: (users.username_base): a user without one gets the first free of users.username_candidates,
    #: a user with one changes it only for a free ``handle``
    handle: str | None = None
    username_base: str | None = None
    #: a picture re-encoded before the transaction, stored with it: (id, source hash, type, bytes)
    avatar: tuple[str, str, str, bytes] | None = None
    #: the app the sign-in is for and the user's choice to share their profile with it
    client_id: str | None = None
    share: bool | None = None
    #: the user was not looked up before the transaction (``user`` is None): find it by ``pubkey``
    find_user: bool = False

    def handles_for(self, user: User | None) -> list[str]:
        """The handles to try for ``user`` (None: a new user), in order; empty: keep theirs."""
        if user is None or user.username is None:
            return username_candidates(self.handle, self.username_base) if self.username_base else []
        return [self.handle] if self.handle and self.handle != user.username else []


#: migration 3 (PostgreSQL only), as released; migration 5 replaces it with SIGN_IN_FUNCTION
SIGN_IN_FUNCTION_3 = """
CREATE OR REPLACE FUNCTION sigil_sign_in(
    p_now DOUBLE PRECISION, p_replay_key TEXT, p_replay_expires DOUBLE PRECISION, p_challenge TEXT,
    p_pubkey TEXT, p_create BOOLEAN, p_user_id TEXT, p_name TEXT, p_bap_id TEXT,
    p_token_hash TEXT, p_session_id TEXT, p_session_expires DOUBLE PRECISION,
    p_ip TEXT, p_user_agent TEXT, p_subscription BOOLEAN
) RETURNS "user" LANGUAGE plpgsql AS $fn$
DECLARE
    u "user"%ROWTYPE;
BEGIN
    IF p_challenge IS NOT NULL THEN
        DELETE FROM sigma_challenge c WHERE c.nonce = p_challenge AND c."expiresAt" > p_now;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'challenge is unknown, used or expired' USING ERRCODE = 'SG002';
        END IF;
    END IF;
    INSERT INTO replay_guard AS r (key, "expiresAt") VALUES (p_replay_key, p_replay_expires)
        ON CONFLICT (key) DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE r."expiresAt" <= p_now;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'token was already used' USING ERRCODE = 'SG001';
    END IF;
    IF p_create THEN
        INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt")
            VALUES (p_user_id, p_pubkey, p_name, 0, p_bap_id, p_now, p_now)
            ON CONFLICT (pubkey) DO NOTHING RETURNING * INTO u;
    END IF;
    IF u.id IS NULL THEN
        SELECT * INTO STRICT u FROM "user" WHERE "user".pubkey = p_pubkey;
    END IF;
    IF p_bap_id IS DISTINCT FROM u."bapId" THEN
        UPDATE "user" SET "bapId" = p_bap_id, "updatedAt" = p_now WHERE "user".id = u.id RETURNING * INTO u;
    END IF;
    INSERT INTO "session" ("tokenHash", id, "userId", "expiresAt", "ipAddress", "userAgent", "bapId",
                           "subscriptionTier", "createdAt", "updatedAt")
        VALUES (p_token_hash, p_session_id, u.id, p_session_expires, p_ip, p_user_agent, p_bap_id,
                CASE WHEN p_subscription THEN COALESCE(u."subscriptionTier", 'free') END, p_now, p_now);
    RETURN u;
END
$fn$
"""

#: migration 5 (as released; migration 7 replaces it with SIGN_IN_FUNCTION_7): as migration 3's, and (a) a user disabled since the lookup before the call is
#: refused, (b) a new user's admission made ahead of time is taken: its name and groups
SIGN_IN_FUNCTION = """
DROP FUNCTION IF EXISTS sigil_sign_in(DOUBLE PRECISION, TEXT, DOUBLE PRECISION, TEXT, TEXT, BOOLEAN, TEXT, TEXT,
                                      TEXT, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, BOOLEAN);
CREATE OR REPLACE FUNCTION sigil_sign_in(
    p_now DOUBLE PRECISION, p_replay_key TEXT, p_replay_expires DOUBLE PRECISION, p_challenge TEXT,
    p_pubkey TEXT, p_create BOOLEAN, p_user_id TEXT, p_name TEXT, p_bap_id TEXT,
    p_token_hash TEXT, p_session_id TEXT, p_session_expires DOUBLE PRECISION,
    p_ip TEXT, p_user_agent TEXT, p_subscription BOOLEAN, p_admit TEXT, p_admission_required BOOLEAN
) RETURNS "user" LANGUAGE plpgsql AS $fn$
DECLARE
    u "user"%ROWTYPE;
    v_name TEXT;
    v_groups TEXT;
BEGIN
    IF p_challenge IS NOT NULL THEN
        DELETE FROM sigma_challenge c WHERE c.nonce = p_challenge AND c."expiresAt" > p_now;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'challenge is unknown, used or expired' USING ERRCODE = 'SG002';
        END IF;
    END IF;
    INSERT INTO replay_guard AS r (key, "expiresAt") VALUES (p_replay_key, p_replay_expires)
        ON CONFLICT (key) DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE r."expiresAt" <= p_now;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'token was already used' USING ERRCODE = 'SG001';
    END IF;
    IF p_create THEN
        IF p_admit IS NOT NULL THEN
            DELETE FROM admitted_identity a WHERE a."bapId" = p_admit RETURNING a.name, a.groups INTO v_name, v_groups;
        END IF;
        IF v_groups IS NULL AND p_admission_required THEN
            RAISE EXCEPTION 'not let in' USING ERRCODE = 'SG004';
        END IF;
        INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt")
            VALUES (p_user_id, p_pubkey, COALESCE(v_name, p_name), 0, p_bap_id, p_now, p_now)
            ON CONFLICT (pubkey) DO NOTHING RETURNING * INTO u;
        IF u.id IS NOT NULL AND v_groups IS NOT NULL THEN
            INSERT INTO user_group_member ("userId", "group", "addedAt")
                SELECT u.id, g.name, p_now FROM user_group g
                WHERE g.name IN (SELECT json_array_elements_text(v_groups::json))
                ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF u.id IS NULL THEN
        SELECT * INTO STRICT u FROM "user" WHERE "user".pubkey = p_pubkey;
    END IF;
    IF u.disabled <> 0 THEN
        RAISE EXCEPTION 'account is disabled' USING ERRCODE = 'SG003';
    END IF;
    IF p_bap_id IS DISTINCT FROM u."bapId" THEN
        UPDATE "user" SET "bapId" = p_bap_id, "updatedAt" = p_now WHERE "user".id = u.id RETURNING * INTO u;
    END IF;
    INSERT INTO "session" ("tokenHash", id, "userId", "expiresAt", "ipAddress", "userAgent", "bapId",
                           "subscriptionTier", "createdAt", "updatedAt")
        VALUES (p_token_hash, p_session_id, u.id, p_session_expires, p_ip, p_user_agent, p_bap_id,
                CASE WHEN p_subscription THEN COALESCE(u."subscriptionTier", 'free') END, p_now, p_now);
    RETURN u;
END
$fn$
"""

#: migration 7 (as released; migration 10 adds SIGN_IN_FUNCTION_10 beside it): as migration 5's,
#: and the signed profile (name, picture, an avatar made before the call), the first free handle
#: of ``p_usernames`` (a handle another user has, or takes at the same moment, meets the unique
#: index: that try is undone by its block's savepoint) and the choice to share the profile with
#: ``p_client_id``. A sign-in without any of these runs no new statement.
SIGN_IN_FUNCTION_7 = """
DROP FUNCTION IF EXISTS sigil_sign_in(DOUBLE PRECISION, TEXT, DOUBLE PRECISION, TEXT, TEXT, BOOLEAN, TEXT, TEXT,
                                      TEXT, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, BOOLEAN, TEXT, BOOLEAN);
CREATE OR REPLACE FUNCTION sigil_sign_in(
    p_now DOUBLE PRECISION, p_replay_key TEXT, p_replay_expires DOUBLE PRECISION, p_challenge TEXT,
    p_pubkey TEXT, p_create BOOLEAN, p_user_id TEXT, p_name TEXT, p_bap_id TEXT,
    p_token_hash TEXT, p_session_id TEXT, p_session_expires DOUBLE PRECISION,
    p_ip TEXT, p_user_agent TEXT, p_subscription BOOLEAN, p_admit TEXT, p_admission_required BOOLEAN,
    p_profile BOOLEAN, p_profile_name TEXT, p_image TEXT, p_usernames TEXT[],
    p_avatar_id TEXT, p_avatar_source TEXT, p_avatar_type TEXT, p_avatar_data TEXT,
    p_client_id TEXT, p_share BOOLEAN
) RETURNS "user" LANGUAGE plpgsql AS $fn$
DECLARE
    u "user"%ROWTYPE;
    v_name TEXT;
    v_groups TEXT;
    v_handle TEXT;
BEGIN
    IF p_challenge IS NOT NULL THEN
        DELETE FROM sigma_challenge c WHERE c.nonce = p_challenge AND c."expiresAt" > p_now;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'challenge is unknown, used or expired' USING ERRCODE = 'SG002';
        END IF;
    END IF;
    INSERT INTO replay_guard AS r (key, "expiresAt") VALUES (p_replay_key, p_replay_expires)
        ON CONFLICT (key) DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE r."expiresAt" <= p_now;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'token was already used' USING ERRCODE = 'SG001';
    END IF;
    IF p_create THEN
        IF p_admit IS NOT NULL THEN
            DELETE FROM admitted_identity a WHERE a."bapId" = p_admit RETURNING a.name, a.groups INTO v_name, v_groups;
        END IF;
        IF v_groups IS NULL AND p_admission_required THEN
            RAISE EXCEPTION 'not let in' USING ERRCODE = 'SG004';
        END IF;
        INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt")
            VALUES (p_user_id, p_pubkey, COALESCE(v_name, p_name), 0, p_bap_id, p_now, p_now)
            ON CONFLICT (pubkey) DO NOTHING RETURNING * INTO u;
        IF u.id IS NOT NULL AND v_groups IS NOT NULL THEN
            INSERT INTO user_group_member ("userId", "group", "addedAt")
                SELECT u.id, g.name, p_now FROM user_group g
                WHERE g.name IN (SELECT json_array_elements_text(v_groups::json))
                ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF u.id IS NULL THEN
        SELECT * INTO STRICT u FROM "user" WHERE "user".pubkey = p_pubkey;
    END IF;
    IF u.disabled <> 0 THEN
        RAISE EXCEPTION 'account is disabled' USING ERRCODE = 'SG003';
    END IF;
    IF p_bap_id IS DISTINCT FROM u."bapId" THEN
        UPDATE "user" SET "bapId" = p_bap_id, "updatedAt" = p_now WHERE "user".id = u.id RETURNING * INTO u;
    END IF;
    IF p_profile THEN
        IF p_avatar_data IS NOT NULL THEN
            INSERT INTO avatar (id, "sourceHash", "contentType", data, "createdAt")
                VALUES (p_avatar_id, p_avatar_source, p_avatar_type, p_avatar_data, p_now) ON CONFLICT DO NOTHING;
        END IF;
        IF p_profile_name IS DISTINCT FROM u."profileName" OR p_image IS DISTINCT FROM u.image THEN
            UPDATE "user" SET "profileName" = p_profile_name, image = p_image, "updatedAt" = p_now
                WHERE "user".id = u.id RETURNING * INTO u;
        END IF;
    END IF;
    IF p_usernames IS NOT NULL THEN
        <<handles>>
        FOREACH v_handle IN ARRAY p_usernames LOOP
            EXIT handles WHEN u.username IS NOT DISTINCT FROM v_handle;
            BEGIN
                UPDATE "user" SET username = v_handle, "updatedAt" = p_now WHERE "user".id = u.id RETURNING * INTO u;
                EXIT handles;
            EXCEPTION WHEN unique_violation THEN
                NULL;  -- another user has it: try the next
            END;
        END LOOP;
    END IF;
    IF p_client_id IS NOT NULL AND p_share IS NOT NULL THEN
        INSERT INTO profile_share ("userId", "clientId", share, "updatedAt") VALUES (u.id, p_client_id, p_share::int, p_now)
            ON CONFLICT ("userId", "clientId") DO UPDATE SET share = excluded.share, "updatedAt" = excluded."updatedAt";
    END IF;
    INSERT INTO "session" ("tokenHash", id, "userId", "expiresAt", "ipAddress", "userAgent", "bapId",
                           "subscriptionTier", "createdAt", "updatedAt")
        VALUES (p_token_hash, p_session_id, u.id, p_session_expires, p_ip, p_user_agent, p_bap_id,
                CASE WHEN p_subscription THEN COALESCE(u."subscriptionTier", 'free') END, p_now, p_now);
    RETURN u;
END
$fn$
"""

#: migration 10: as migration 7's (whose overload stays, for instances not yet upgraded), and the
#: user is looked up by key here, first, so a sign-in needs no lookup before the call (one round
#: trip, not two). Which handles to try is decided here too, on the user found: for a user without
#: a handle ``p_usernames`` (users.username_candidates), for one with a handle only ``p_handle``,
#: the one the signed profile asks for. ``p_create`` says whether a key without a user may make one.
SIGN_IN_FUNCTION_10 = """
CREATE OR REPLACE FUNCTION sigil_sign_in(
    p_now DOUBLE PRECISION, p_replay_key TEXT, p_replay_expires DOUBLE PRECISION, p_challenge TEXT,
    p_pubkey TEXT, p_create BOOLEAN, p_user_id TEXT, p_name TEXT, p_bap_id TEXT,
    p_token_hash TEXT, p_session_id TEXT, p_session_expires DOUBLE PRECISION,
    p_ip TEXT, p_user_agent TEXT, p_subscription BOOLEAN, p_admit TEXT, p_admission_required BOOLEAN,
    p_profile BOOLEAN, p_profile_name TEXT, p_image TEXT, p_usernames TEXT[],
    p_avatar_id TEXT, p_avatar_source TEXT, p_avatar_type TEXT, p_avatar_data TEXT,
    p_client_id TEXT, p_share BOOLEAN, p_handle TEXT
) RETURNS "user" LANGUAGE plpgsql AS $fn$
DECLARE
    u "user"%ROWTYPE;
    v_name TEXT;
    v_groups TEXT;
    v_handle TEXT;
    v_handles TEXT[];
BEGIN
    IF p_challenge IS NOT NULL THEN
        DELETE FROM sigma_challenge c WHERE c.nonce = p_challenge AND c."expiresAt" > p_now;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'challenge is unknown, used or expired' USING ERRCODE = 'SG002';
        END IF;
    END IF;
    INSERT INTO replay_guard AS r (key, "expiresAt") VALUES (p_replay_key, p_replay_expires)
        ON CONFLICT (key) DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE r."expiresAt" <= p_now;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'token was already used' USING ERRCODE = 'SG001';
    END IF;
    SELECT * INTO u FROM "user" WHERE "user".pubkey = p_pubkey;
    IF u.id IS NULL AND p_create THEN
        IF p_admit IS NOT NULL THEN
            DELETE FROM admitted_identity a WHERE a."bapId" = p_admit RETURNING a.name, a.groups INTO v_name, v_groups;
        END IF;
        IF v_groups IS NULL AND p_admission_required THEN
            RAISE EXCEPTION 'not let in' USING ERRCODE = 'SG004';
        END IF;
        INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", "updatedAt")
            VALUES (p_user_id, p_pubkey, COALESCE(v_name, p_name), 0, p_bap_id, p_now, p_now)
            ON CONFLICT (pubkey) DO NOTHING RETURNING * INTO u;
        IF u.id IS NOT NULL AND v_groups IS NOT NULL THEN
            INSERT INTO user_group_member ("userId", "group", "addedAt")
                SELECT u.id, g.name, p_now FROM user_group g
                WHERE g.name IN (SELECT json_array_elements_text(v_groups::json))
                ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF u.id IS NULL THEN
        SELECT * INTO STRICT u FROM "user" WHERE "user".pubkey = p_pubkey;
    END IF;
    IF u.disabled <> 0 THEN
        RAISE EXCEPTION 'account is disabled' USING ERRCODE = 'SG003';
    END IF;
    IF p_bap_id IS DISTINCT FROM u."bapId" THEN
        UPDATE "user" SET "bapId" = p_bap_id, "updatedAt" = p_now WHERE "user".id = u.id RETURNING * INTO u;
    END IF;
    IF p_profile THEN
        IF p_avatar_data IS NOT NULL THEN
            INSERT INTO avatar (id, "sourceHash", "contentType", data, "createdAt")
                VALUES (p_avatar_id, p_avatar_source, p_avatar_type, p_avatar_data, p_now) ON CONFLICT DO NOTHING;
        END IF;
        IF p_profile_name IS DISTINCT FROM u."profileName" OR p_image IS DISTINCT FROM u.image THEN
            UPDATE "user" SET "profileName" = p_profile_name, image = p_image, "updatedAt" = p_now
                WHERE "user".id = u.id RETURNING * INTO u;
        END IF;
    END IF;
    IF u.username IS NULL THEN
        v_handles := p_usernames;
    ELSIF p_handle IS NOT NULL AND p_handle IS DISTINCT FROM u.username THEN
        v_handles := ARRAY[p_handle];
    END IF;
    IF v_handles IS NOT NULL THEN
        <<handles>>
        FOREACH v_handle IN ARRAY v_handles LOOP
            EXIT handles WHEN u.username IS NOT DISTINCT FROM v_handle;
            BEGIN
                UPDATE "user" SET username = v_handle, "updatedAt" = p_now WHERE "user".id = u.id RETURNING * INTO u;
                EXIT handles;
            EXCEPTION WHEN unique_violation THEN
                NULL;  -- another user has it: try the next
            END;
        END LOOP;
    END IF;
    IF p_client_id IS NOT NULL AND p_share IS NOT NULL THEN
        INSERT INTO profile_share ("userId", "clientId", share, "updatedAt") VALUES (u.id, p_client_id, p_share::int, p_now)
            ON CONFLICT ("userId", "clientId") DO UPDATE SET share = excluded.share, "updatedAt" = excluded."updatedAt";
    END IF;
    INSERT INTO "session" ("tokenHash", id, "userId", "expiresAt", "ipAddress", "userAgent", "bapId",
                           "subscriptionTier", "createdAt", "updatedAt")
        VALUES (p_token_hash, p_session_id, u.id, p_session_expires, p_ip, p_user_agent, p_bap_id,
                CASE WHEN p_subscription THEN COALESCE(u."subscriptionTier", 'free') END, p_now, p_now);
    RETURN u;
END
$fn$
"""

_CALL = ("SELECT * FROM sigil_sign_in(?::float8, ?::text, ?::float8, ?::text, ?::text, ?::boolean, ?::text, "
         "?::text, ?::text, ?::text, ?::text, ?::float8, ?::text, ?::text, ?::boolean, ?::text, ?::boolean, "
         "?::boolean, ?::text, ?::text, ?::text[], ?::text, ?::text, ?::text, ?::text, ?::text, ?::boolean, ?::text)")
_REFUSALS = {REPLAYED_STATE: "replayed", INVALID_CHALLENGE_STATE: "invalid_challenge", DISABLED_STATE: "disabled",
             NOT_ADMITTED_STATE: "not_admitted"}


class SignInRepository:
    def __init__(self, engine: Engine, *, challenges: ChallengeRepository, replay: ReplayGuard,
                 users: UserRepository, sessions: SessionRepository, groups: GroupRepository,
                 invitations: InvitationRepository, audit: AuditLog, avatars: AvatarRepository,
                 shares: ProfileShareRepository) -> None:
        self._engine = engine
        # the repositories the statements path writes through, one statement each
        self._challenges, self._replay, self._users, self._sessions = challenges, replay, users, sessions
        self._groups, self._invitations, self._audit = groups, invitations, audit
        self._avatars, self._shares = avatars, shares

    def record(self, r: SignInRecord, session_token: str) -> tuple[User, Session]:
        """Write the sign-in ``r`` with the session token ``session_token``; the user and the
        new session. Raises :class:`SignInRefused` (and writes nothing) for a spent or
        unknown challenge and for a replayed token."""
        session = Session(new_id(), "", r.session_expires_at, r.ip_address, r.user_agent, r.bap_id, None,
                          r.now, r.now)
        if self.finds_user(invitation=r.invite_code_hash is not None):
            return self._one_call(r, session, hash_secret(session_token))
        return self._statements(r, session, hash_secret(session_token))

    def finds_user(self, *, invitation: bool) -> bool:
        """Whether :meth:`record` is one call to the database, which finds the key's user itself:
        on PostgreSQL, unless the sign-in spends an invitation (rare: it takes the statements
        path on both engines rather than a second server-side function). Then a lookup before
        it would be a second round trip, so the sign-in should pass ``find_user`` instead."""
        return self._engine.dialect == "postgresql" and not invitation

    def _one_call(self, r: SignInRecord, session: Session, token_hash: str) -> tuple[User, Session]:
        import psycopg

        try:
            row = self._engine.conn.execute(_CALL, (
                r.now, r.replay_key, r.replay_expires_at, r.challenge, r.pubkey, r.user is None, r.new_user_id,
                r.new_user_name, r.bap_id, token_hash, session.id, r.session_expires_at, r.ip_address,
                r.user_agent, r.subscription, r.admitted_bap_id, r.admission_required,
                r.profile, r.profile_name, r.image, r.handles_for(r.user) or None, *_avatar_args(r.avatar),
                r.client_id, r.share, r.handle)).fetchone()
        except psycopg.Error as exc:
            reason = _REFUSALS.get(exc.sqlstate or "")
            if reason is None:
                raise
            raise SignInRefused(reason) from None
        user = User.from_row(row)
        return user, _with_user(session, user, r.subscription)

    def _statements(self, r: SignInRecord, session: Session, token_hash: str) -> tuple[User, Session]:
        with self._engine.write():
            if r.challenge is not None and not self._challenges.consume(r.challenge, r.now):
                raise SignInRefused("invalid_challenge")
            if not self._replay.claim(r.replay_key, r.replay_expires_at):
                raise SignInRefused("replayed")
            groups: list[str] = []
            if r.invite_code_hash is not None:
                invitation = self._invitations.use(r.invite_code_hash, r.now)
                if invitation is None:
                    raise SignInRefused("invalid_invite")
                groups += invitation.groups
                self._audit.record(r.now, f"key:{r.pubkey}", "invite.use", invitation.id,
                                   groups=list(invitation.groups))
            if r.find_user:
                user = self._users.get_by_pubkey(r.pubkey)
            elif r.user is not None:  # as it is now, not as it was at the lookup before this transaction
                user = self._users.get(r.user.id) or r.user
            else:
                user = None
            if user is not None and user.disabled:
                raise SignInRefused("disabled")
            if user is None:
                name = r.new_user_name
                admitted = self._invitations.take_admission(r.admitted_bap_id) if r.admitted_bap_id else None
                if admitted is not None:
                    groups += admitted.groups
                    name = admitted.name or name
                elif r.admission_required:
                    raise SignInRefused("not_admitted")
                user, created = self._users.create(r.pubkey, name, r.now, bap_id=r.bap_id, user_id=r.new_user_id,
                                                   usernames=r.handles_for(None))
                handles = [] if created else r.handles_for(user)  # a new user got its handle as it was made
            else:
                handles = r.handles_for(user)
            if groups:
                self._groups.join(user.id, groups, r.now)
            if r.bap_id != user.bap_id:
                user = self._users.update(user.id, r.now, bap_id=r.bap_id) or user
            if r.profile:
                if r.avatar is not None:
                    self._avatars.put(*r.avatar, r.now)
                if (r.profile_name, r.image) != (user.profile_name, user.image):
                    user = self._users.update(user.id, r.now, profile_name=r.profile_name, image=r.image) or user
            if handles and self._users.claim_username(user.id, handles, r.now) != user.username:
                user = self._users.get(user.id) or user
            if r.client_id is not None and r.share is not None:
                self._shares.set(user.id, r.client_id, r.share, r.now)
            session = _with_user(session, user, r.subscription)
            self._sessions.insert(session, token_hash)
        return user, session


def _avatar_args(avatar: tuple[str, str, str, bytes] | None) -> tuple[str | None, ...]:
    """The function's avatar parameters: the bytes go as base64 text (the column's form)."""
    if avatar is None:
        return None, None, None, None
    avatar_id, source, content_type, data = avatar
    return avatar_id, source, content_type, base64.b64encode(data).decode()


def _with_user(session: Session, user: User, subscription: bool) -> Session:
    tier = (user.subscription_tier or "free") if subscription else None
    return Session(session.id, user.id, session.expires_at, session.ip_address, session.user_agent, session.bap_id,
                   tier, session.created_at, session.updated_at)
