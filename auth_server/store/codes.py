"""The ``oauth_code`` table: authorization codes, stored by hash, redeemed once.

Redeeming a code (:meth:`CodeRepository.redeem`) is one store operation: find the code,
check it (the client's, unused, live, same redirect_uri, the PKCE challenge, a user who
is still there and in a group the client allows), mark it used, store the tokens it buys
and read the user's claims. A code used before revokes the tokens its first use obtained
(RFC 6749 4.1.2), and that revocation is kept.

On SQLite that is the statements below in one ``write()`` (the file is local; a statement
costs microseconds). On PostgreSQL every statement is a round trip, so it is one call of
the server-side function ``sigil_redeem_code`` (migration 108), joined with the user's
claims (:func:`~auth_server.store.users.profile_columns`) in the same statement. Its
``SELECT ... FOR UPDATE`` makes two exchanges of one code, on any number of instances,
take turns: the second finds the code used and revokes the family.

The same call checks that the client is still as the caller authenticated it (its row
version, :mod:`auth_server.store.clients`) and spends the client's single-use proof (an
X-Auth-Token, a client assertion: a :class:`~auth_server.store.replay.Claim`), so that a
code exchange by any client is one round trip (migration 112 wraps 108's function).
"""

from __future__ import annotations

from dataclasses import dataclass

from auth_server.store.clients import ClientChanged
from auth_server.store.engine import Connection, Engine, fetch_one, purge_batch
from auth_server.store.models import AuthorizationCode, IssuedToken
from auth_server.store.oauth_tokens import insert_access, insert_refresh, revoke_family
from auth_server.store.replay import Claim, claim_in, storable_key
from auth_server.store.users import UserProfile, profile_columns, profile_from_row

#: what :meth:`CodeRepository.redeem` answers besides ``"ok"``
REFUSALS = ("replayed", "unknown", "used", "expired", "redirect_uri", "pkce", "user_gone", "not_in_group")


@dataclass(frozen=True)
class Redemption:
    """One attempt to redeem a code: what the client sent and the tokens it would get.
    Only hashes of the credentials reach the store."""

    code_hash: str
    client_id: str
    now: float
    redirect_uri: str | None
    #: S256 of the client's code_verifier; None when it sent none or a malformed one
    code_challenge: str | None
    access_hash: str
    access_expires_at: float
    #: stored only when the code's scope has offline_access, or when ``always_refresh``
    refresh_hash: str
    refresh_expires_at: float
    always_refresh: bool = False
    #: the client's allowed groups (empty: anyone)
    allowed_groups: tuple[str, ...] = ()
    #: the version of the client row the caller authenticated with (None: not checked);
    #: when the row has changed, :meth:`CodeRepository.redeem` raises ``ClientChanged``
    client_version: str | None = None
    #: the client's single-use proof, spent first (``"replayed"`` when it was spent before)
    claim: Claim | None = None


@dataclass(frozen=True)
class Redeemed:
    """The outcome: ``status`` is ``"ok"`` or one of :data:`REFUSALS`; on ``"ok"``, the code's
    grant (``code``), whether a refresh token was stored and the user's profile."""

    status: str
    code: AuthorizationCode | None = None
    refresh: bool = False
    profile: UserProfile | None = None


#: migration 108 (PostgreSQL only): a code exchange's reads and writes in one call
REDEEM_FUNCTION = """
CREATE OR REPLACE FUNCTION sigil_redeem_code(
    p_code_hash TEXT, p_client_id TEXT, p_now DOUBLE PRECISION, p_redirect_uri TEXT, p_challenge TEXT,
    p_access_hash TEXT, p_access_expires DOUBLE PRECISION, p_refresh_hash TEXT, p_refresh_expires DOUBLE PRECISION,
    p_always_refresh BOOLEAN, p_allowed_groups TEXT[])
RETURNS TABLE (status TEXT, user_id TEXT, bap_id TEXT, scope TEXT, nonce TEXT, auth_time BIGINT, family_id TEXT,
               redirect_uri TEXT, code_challenge TEXT, expires_at DOUBLE PRECISION, refresh BOOLEAN)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    c oauth_code%ROWTYPE;
BEGIN
    refresh := FALSE;
    SELECT * INTO c FROM oauth_code WHERE oauth_code.code_hash = p_code_hash FOR UPDATE;
    IF NOT FOUND OR c.client_id <> p_client_id THEN
        status := 'unknown'; RETURN NEXT; RETURN;
    END IF;
    IF c.used_at IS NOT NULL THEN
        UPDATE oauth_access_token SET revoked = 1 WHERE oauth_access_token.family_id = c.family_id;
        UPDATE oauth_refresh_token SET revoked = 1 WHERE oauth_refresh_token.family_id = c.family_id;
        status := 'used'; RETURN NEXT; RETURN;
    END IF;
    IF p_now > c.expires_at THEN
        status := 'expired'; RETURN NEXT; RETURN;
    END IF;
    IF p_redirect_uri IS DISTINCT FROM c.redirect_uri THEN
        status := 'redirect_uri'; RETURN NEXT; RETURN;
    END IF;
    IF p_challenge IS NULL OR p_challenge <> c.code_challenge THEN
        status := 'pkce'; RETURN NEXT; RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM "user" WHERE "user".id = c.user_id AND "user".disabled = 0) THEN
        status := 'user_gone'; RETURN NEXT; RETURN;
    END IF;
    IF cardinality(p_allowed_groups) > 0 AND NOT EXISTS (
            SELECT 1 FROM user_group_member m WHERE m."userId" = c.user_id AND m."group" = ANY (p_allowed_groups)) THEN
        status := 'not_in_group'; RETURN NEXT; RETURN;
    END IF;
    refresh := p_always_refresh OR 'offline_access' = ANY (string_to_array(c.scope, ' '));
    UPDATE oauth_code SET used_at = p_now WHERE oauth_code.code_hash = p_code_hash;
    INSERT INTO oauth_access_token (token_hash, family_id, client_id, user_id, bap_id, scope, issued_at,
                                    expires_at, revoked)
        VALUES (p_access_hash, c.family_id, c.client_id, c.user_id, c.bap_id, c.scope, p_now, p_access_expires, 0);
    IF refresh THEN
        INSERT INTO oauth_refresh_token (token_hash, family_id, client_id, user_id, bap_id, scope, auth_time,
                                         issued_at, expires_at, rotated, revoked)
            VALUES (p_refresh_hash, c.family_id, c.client_id, c.user_id, c.bap_id, c.scope, c.auth_time, p_now,
                    p_refresh_expires, 0, 0);
    END IF;
    status := 'ok'; user_id := c.user_id; bap_id := c.bap_id; scope := c.scope; nonce := c.nonce;
    auth_time := c.auth_time; family_id := c.family_id; redirect_uri := c.redirect_uri;
    code_challenge := c.code_challenge; expires_at := c.expires_at;
    RETURN NEXT;
END
$fn$
"""


#: migration 112 (PostgreSQL only): 108's function, after the client's version check and the
#: claim of its proof; an old instance's calls (11 arguments) still reach 108's function.
#: ``ROWS 1``: the call's join with the user then looks the user up by its key. With the
#: default estimate (1,000 rows) PostgreSQL hashed the whole user table for every exchange
#: while it was small enough (7.5 ms of its CPU per exchange at 10^4 users, bench.scale).
REDEEM_FOR_CLIENT_FUNCTION = """
CREATE OR REPLACE FUNCTION sigil_redeem_code(
    p_code_hash TEXT, p_client_id TEXT, p_now DOUBLE PRECISION, p_redirect_uri TEXT, p_challenge TEXT,
    p_access_hash TEXT, p_access_expires DOUBLE PRECISION, p_refresh_hash TEXT, p_refresh_expires DOUBLE PRECISION,
    p_always_refresh BOOLEAN, p_allowed_groups TEXT[], p_client_version TEXT, p_claim_key TEXT,
    p_claim_expires DOUBLE PRECISION)
RETURNS TABLE (status TEXT, user_id TEXT, bap_id TEXT, scope TEXT, nonce TEXT, auth_time BIGINT, family_id TEXT,
               redirect_uri TEXT, code_challenge TEXT, expires_at DOUBLE PRECISION, refresh BOOLEAN)
LANGUAGE plpgsql ROWS 1 AS $fn$
#variable_conflict use_column
BEGIN
    refresh := FALSE;
    IF p_client_version IS NOT NULL AND p_client_version IS DISTINCT FROM
            (SELECT c.xmin::text FROM oauth_client c WHERE c.client_id = p_client_id) THEN
        status := 'client_changed'; RETURN NEXT; RETURN;
    END IF;
    IF p_claim_key IS NOT NULL THEN
        INSERT INTO replay_guard (key, "expiresAt") VALUES (p_claim_key, p_claim_expires)
            ON CONFLICT (key) DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE replay_guard."expiresAt" <= p_now;
        IF NOT FOUND THEN
            status := 'replayed'; RETURN NEXT; RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM sigil_redeem_code(p_code_hash, p_client_id, p_now, p_redirect_uri, p_challenge,
        p_access_hash, p_access_expires, p_refresh_hash, p_refresh_expires, p_always_refresh, p_allowed_groups);
END
$fn$
"""


def redeem_statement() -> str:
    """The one PostgreSQL statement of a code exchange: the function, and the user's claims."""
    return ("SELECT r.status, r.user_id, r.bap_id, r.scope, r.nonce, r.auth_time, r.family_id, r.redirect_uri,"
            " r.code_challenge, r.expires_at, r.refresh, " + profile_columns("postgresql") +
            " FROM sigil_redeem_code(?::text, ?::text, ?::float8, ?::text, ?::text, ?::text, ?::float8, ?::text,"
            " ?::float8, ?::boolean, ?::text[], ?::text, ?::text, ?::float8) r LEFT JOIN \"user\" u ON u.id = r.user_id")


class CodeRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._call = redeem_statement() if engine.dialect == "postgresql" else ""

    def add(self, code: AuthorizationCode) -> None:
        with self._engine.write() as conn:
            conn.execute(
                "INSERT INTO oauth_code (code_hash, client_id, user_id, bap_id, redirect_uri, scope,"
                " code_challenge, nonce, auth_time, family_id, expires_at, used_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (code.code_hash, code.client_id, code.user_id, code.bap_id, code.redirect_uri, code.scope,
                 code.code_challenge, code.nonce, code.auth_time, code.family_id, code.expires_at),
            )

    def get(self, code_hash: str) -> AuthorizationCode | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM oauth_code WHERE code_hash = ?", (code_hash,))
        return AuthorizationCode(**row) if row else None

    def redeem(self, r: Redemption) -> Redeemed:
        """Spend the code and store its tokens, or say why not (see the module docstring).
        Nothing is stored on a refusal except the revocation a reused code causes."""
        if self._call:
            return self._one_call(r)
        with self._engine.write() as conn:
            return self._statements(conn, r)

    def _one_call(self, r: Redemption) -> Redeemed:
        row = self._engine.conn.execute(self._call, (
            r.code_hash, r.client_id, r.now, r.redirect_uri, r.code_challenge, r.access_hash, r.access_expires_at,
            r.refresh_hash, r.refresh_expires_at, r.always_refresh, list(r.allowed_groups), r.client_version,
            storable_key(r.claim.key) if r.claim else None, r.claim.expires_at if r.claim else None)).fetchone()
        if row["status"] == "client_changed":
            raise ClientChanged(r.client_id)
        if row["status"] != "ok":
            return Redeemed(row["status"])
        code = AuthorizationCode(r.code_hash, r.client_id, row["user_id"], row["bap_id"], row["redirect_uri"],
                                 row["scope"], row["code_challenge"], row["nonce"], row["auth_time"],
                                 row["family_id"], row["expires_at"], r.now)
        return Redeemed("ok", code, row["refresh"], profile_from_row(row))

    def _statements(self, conn: Connection, r: Redemption) -> Redeemed:
        # (SQLite: the caller authenticated the client with a fresh read, r.client_version is None)
        if r.claim is not None and not claim_in(conn, r.claim.key, r.claim.expires_at, r.now):
            return Redeemed("replayed")
        row = fetch_one(conn, "SELECT * FROM oauth_code WHERE code_hash = ?", (r.code_hash,))
        code = AuthorizationCode(**row) if row else None
        if code is None or code.client_id != r.client_id:
            return Redeemed("unknown")
        if code.used_at is not None:
            revoke_family(conn, code.family_id)
            return Redeemed("used")
        if r.now > code.expires_at:
            return Redeemed("expired")
        if r.redirect_uri != code.redirect_uri:
            return Redeemed("redirect_uri")
        if r.code_challenge is None or r.code_challenge != code.code_challenge:
            return Redeemed("pkce")
        user = conn.execute(f'SELECT {profile_columns("sqlite")} FROM "user" u WHERE u.id = ?',
                            (code.user_id,)).fetchone()
        profile = profile_from_row(user) if user else None
        if profile is None or profile.user.disabled:
            return Redeemed("user_gone")
        if r.allowed_groups and set(r.allowed_groups).isdisjoint(profile.groups):
            return Redeemed("not_in_group")
        refresh = r.always_refresh or "offline_access" in code.scope.split()
        if conn.execute("UPDATE oauth_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
                        (r.now, r.code_hash)).rowcount != 1:
            revoke_family(conn, code.family_id)  # (the writer lock makes this unreachable; kept as the rule)
            return Redeemed("used")
        insert_access(conn, IssuedToken(r.access_hash, code.family_id, code.client_id, code.user_id, code.bap_id,
                                        code.scope, r.now, r.access_expires_at, False))
        if refresh:
            insert_refresh(conn, IssuedToken(r.refresh_hash, code.family_id, code.client_id, code.user_id,
                                             code.bap_id, code.scope, r.now, r.refresh_expires_at, False, False,
                                             code.auth_time))
        return Redeemed("ok", code, refresh, profile)

    def purge_expired(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` codes that expired before ``before``."""
        return purge_batch(self._engine, "oauth_code", "code_hash", "expires_at", before, limit)
