"""Every schema migration, numbered, applied in order at start and by ``sigil-server migrate``.

A migration is ``(version, name, apply)``; ``apply(schema)`` runs DDL through a
:class:`Schema` inside one transaction together with its bookkeeping row in
``schema_version``, so a failed migration leaves nothing behind. Applied versions are
never re-run; never edit a released migration, add a new one.

One text serves both engines: DDL is written in SQLite's words and :meth:`Schema.execute`
translates the few that differ (``REAL`` times become ``DOUBLE PRECISION``, PostgreSQL's
``REAL`` being 4 bytes; ``INTEGER`` becomes ``BIGINT``; ``WITHOUT ROWID`` is dropped).
Two instances starting at once are safe: each migration takes the engine's schema lock
(SQLite's write lock, a PostgreSQL advisory lock) and re-checks its version under it.

Version ranges: 1-99 core (users, sessions, replay guard, challenges, rate limits),
100-199 OAuth. Column names follow Better Auth's models (camelCase, so always
double-quoted) where a table matches one of its models (``user``, ``session``). Times
are Unix seconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import NamedTuple

from auth_server.store.engine import Connection, Engine


class Schema:
    """What a migration sees: DDL execution in the right dialect."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect

    def execute(self, sql: str) -> None:
        if self.dialect == "postgresql":
            sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
            sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
            sql = sql.replace(" WITHOUT ROWID", "")
        self.conn.execute(sql)


class Migration(NamedTuple):
    version: int
    name: str
    apply: Callable[[Schema], None]


def _core_schema(schema: Schema) -> None:
    schema.execute("""CREATE TABLE "user" (
        id TEXT PRIMARY KEY,
        pubkey TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        image TEXT,
        email TEXT UNIQUE,
        "emailVerified" INTEGER NOT NULL DEFAULT 0,
        "bapId" TEXT,
        "subscriptionTier" TEXT,
        "createdAt" REAL NOT NULL,
        "updatedAt" REAL NOT NULL
    )""")
    schema.execute("""CREATE TABLE "session" (
        id TEXT PRIMARY KEY,
        "tokenHash" TEXT NOT NULL UNIQUE,
        "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
        "expiresAt" REAL NOT NULL,
        "ipAddress" TEXT,
        "userAgent" TEXT,
        "bapId" TEXT,
        "subscriptionTier" TEXT,
        "createdAt" REAL NOT NULL,
        "updatedAt" REAL NOT NULL
    )""")
    schema.execute('CREATE INDEX idx_session_user ON "session"("userId")')
    schema.execute('CREATE INDEX idx_session_expires ON "session"("expiresAt")')
    schema.execute("""CREATE TABLE replay_guard (
        key TEXT PRIMARY KEY,
        "expiresAt" REAL NOT NULL
    ) WITHOUT ROWID""")
    schema.execute('CREATE INDEX idx_replay_expires ON replay_guard("expiresAt")')
    schema.execute("""CREATE TABLE sigma_challenge (
        nonce TEXT PRIMARY KEY,
        "expiresAt" REAL NOT NULL
    ) WITHOUT ROWID""")


def _rate_limits(schema: Schema) -> None:
    """Fixed-window hit counters shared by every instance on one database (PostgreSQL)."""
    schema.execute("""CREATE TABLE rate_limit (
        key TEXT PRIMARY KEY,
        "windowEnds" REAL NOT NULL,
        hits INTEGER NOT NULL
    ) WITHOUT ROWID""")
    schema.execute('CREATE INDEX idx_rate_limit_ends ON rate_limit("windowEnds")')


def _sign_in_function(schema: Schema) -> None:
    """PostgreSQL: a sign-in's writes as one server-side call (auth_server/store/signins.py).
    SQLite runs them as statements and needs nothing."""
    if schema.dialect == "postgresql":
        from auth_server.store.signins import SIGN_IN_FUNCTION_3

        schema.conn.execute(SIGN_IN_FUNCTION_3)


def _sign_in_refuses_disabled(schema: Schema) -> None:
    """PostgreSQL: the sign-in function also refuses a user disabled since the lookup before it."""
    if schema.dialect == "postgresql":
        from auth_server.store.signins import SIGN_IN_FUNCTION

        schema.conn.execute(SIGN_IN_FUNCTION)


def _profiles(schema: Schema) -> None:
    """Issue 24: the signed profile on the user (``profileName``; ``image`` is the picture), a
    handle per user (``username``, unique, given to every existing user here, in place) and the
    pictures the server re-encoded (``avatar``, the bytes as base64 text)."""
    from auth_server.store.users import username_base

    schema.execute('ALTER TABLE "user" ADD COLUMN username TEXT')
    schema.execute('ALTER TABLE "user" ADD COLUMN "profileName" TEXT')
    taken: set[str] = set()
    rows = schema.conn.execute('SELECT id, pubkey, "bapId" FROM "user" ORDER BY "createdAt", id').fetchall()
    for row in rows:
        base = username_base(row["bapId"], row["pubkey"])
        handle, n = base, 1
        while handle in taken:
            n += 1
            handle = f"{base[:27]}-{n}"
        taken.add(handle)
        schema.conn.execute('UPDATE "user" SET username = ? WHERE id = ?', (handle, row["id"]))
    schema.execute('CREATE UNIQUE INDEX idx_user_username ON "user"(username)')
    schema.execute("""CREATE TABLE avatar (
        id TEXT PRIMARY KEY,
        "sourceHash" TEXT NOT NULL UNIQUE,   -- SHA-256 of the data URL it was made from
        "contentType" TEXT NOT NULL,
        data TEXT NOT NULL,                  -- base64 of the re-encoded image
        "createdAt" REAL NOT NULL
    )""")


def _user_image_index(schema: Schema) -> None:
    """The purge finds pictures no user shows any more through an index on ``image``
    (auth_server/store/profiles.py), not by reading the whole user table for each."""
    schema.execute('CREATE INDEX IF NOT EXISTS idx_user_image ON "user"(image)')


def _sign_in_profiles(schema: Schema) -> None:
    """PostgreSQL: the sign-in function also stores the signed profile, the handle and the
    per-app sharing choice (auth_server/store/signins.py)."""
    if schema.dialect == "postgresql":
        from auth_server.store.signins import SIGN_IN_FUNCTION_7

        schema.conn.execute(SIGN_IN_FUNCTION_7)


def _sign_in_finds_user(schema: Schema) -> None:
    """PostgreSQL: the sign-in function also finds the user by key, so a sign-in is one round
    trip, not a lookup and then the call (auth_server/store/signins.py)."""
    if schema.dialect == "postgresql":
        from auth_server.store.signins import SIGN_IN_FUNCTION_10

        schema.conn.execute(SIGN_IN_FUNCTION_10)


def _profile_shares(schema: Schema) -> None:
    """Per user and app, whether the user shares their name and picture with it (no row: yes)."""
    schema.execute("""CREATE TABLE IF NOT EXISTS profile_share (
        "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
        "clientId" TEXT NOT NULL,
        share INTEGER NOT NULL,
        "updatedAt" REAL NOT NULL,
        PRIMARY KEY ("userId", "clientId")
    )""")


def _oauth_clients(schema: Schema) -> None:
    """Relying parties: exact redirect URIs and the member pubkey that authenticates them."""
    schema.execute("""CREATE TABLE IF NOT EXISTS oauth_client (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        redirect_uris TEXT NOT NULL,      -- JSON array, matched exactly
        member_pubkey TEXT NOT NULL,      -- 33-byte compressed key, lowercase hex
        owner_bap_id TEXT,
        trusted INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    )""")


def _oauth_grants(schema: Schema) -> None:
    """Codes, token families, access and refresh tokens, consents, device codes."""
    schema.execute("""CREATE TABLE IF NOT EXISTS oauth_code (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        bap_id TEXT,
        redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        nonce TEXT,
        auth_time INTEGER,
        family_id TEXT NOT NULL,          -- the tokens this code leads to
        expires_at REAL NOT NULL,
        used_at REAL
    )""")
    schema.execute("""CREATE TABLE IF NOT EXISTS oauth_access_token (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        bap_id TEXT,
        scope TEXT NOT NULL,
        issued_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    )""")
    schema.execute("CREATE INDEX IF NOT EXISTS oauth_access_token_family ON oauth_access_token(family_id)")
    schema.execute("""CREATE TABLE IF NOT EXISTS oauth_refresh_token (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        bap_id TEXT,
        scope TEXT NOT NULL,
        auth_time INTEGER,
        issued_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        rotated INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0
    )""")
    schema.execute("CREATE INDEX IF NOT EXISTS oauth_refresh_token_family ON oauth_refresh_token(family_id)")
    schema.execute("""CREATE TABLE IF NOT EXISTS oauth_consent (
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        bap_id TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (user_id, client_id)
    )""")
    schema.execute("""CREATE TABLE IF NOT EXISTS device_code (
        device_code_hash TEXT PRIMARY KEY,
        user_code TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',   -- pending, approved, denied, consumed
        user_id TEXT,
        bap_id TEXT,
        auth_time INTEGER,
        "interval" INTEGER NOT NULL,
        last_polled_at REAL,
        expires_at REAL NOT NULL,
        created_at REAL NOT NULL
    )""")


def _user_lookup_indexes(schema: Schema) -> None:
    """Finding a user by BAP ID (``users show``, admissions) without scanning every user."""
    schema.execute('CREATE INDEX IF NOT EXISTS idx_user_bap_id ON "user"("bapId")')


def _token_user_indexes(schema: Schema) -> None:
    """Revoking a user's tokens (disabling, leaving a group, withdrawing consent) touches that
    user's rows only: without these, locking someone out scans every token on the server."""
    schema.execute("CREATE INDEX IF NOT EXISTS idx_access_token_user ON oauth_access_token(user_id, client_id)")
    schema.execute("CREATE INDEX IF NOT EXISTS idx_refresh_token_user ON oauth_refresh_token(user_id, client_id)")
    schema.execute("CREATE INDEX IF NOT EXISTS idx_oauth_code_user ON oauth_code(user_id, client_id)")


def _expiry_indexes(schema: Schema) -> None:
    """Let the background purger find expired rows without scanning whole tables."""
    schema.execute('CREATE INDEX IF NOT EXISTS idx_challenge_expires ON sigma_challenge("expiresAt")')
    schema.execute("CREATE INDEX IF NOT EXISTS idx_oauth_code_expires ON oauth_code(expires_at)")
    schema.execute("CREATE INDEX IF NOT EXISTS idx_device_code_expires ON device_code(expires_at)")
    schema.execute("CREATE INDEX IF NOT EXISTS idx_access_token_expires ON oauth_access_token(expires_at)")
    schema.execute("CREATE INDEX IF NOT EXISTS idx_refresh_token_expires ON oauth_refresh_token(expires_at)")


def _client_auth_methods(schema: Schema) -> None:
    """Standard client authentication (RFC 6749 2.3, OIDC Core 9) and RP-initiated logout.

    ``member_pubkey`` stays NOT NULL (SQLite cannot relax a constraint without rebuilding
    the table): clients of other methods store ``''``, which the repository reads as None.
    Secrets are stored as SHA-256 hex only; during a rotation's grace period the previous
    secret's hash is kept with its expiry.
    """
    for column in (
        "token_endpoint_auth_method TEXT NOT NULL DEFAULT 'x_auth_token'",
        "secret_hash TEXT",
        "previous_secret_hash TEXT",
        "previous_secret_expires_at REAL",
        "jwks TEXT",  # a JSON JWK set registered inline
        "jwks_uri TEXT",
        "post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]'",
    ):
        schema.execute(f"ALTER TABLE oauth_client ADD COLUMN {column}")


def _registration_tokens(schema: Schema) -> None:
    """Initial access tokens for dynamic client registration (RFC 7591), by hash, single use."""
    schema.execute("""CREATE TABLE IF NOT EXISTS oauth_registration_token (
        token_hash TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL
    )""")


def _strict_auth_method(schema: Schema) -> None:
    """Whether a secret client must use exactly its registered secret method (1) or may use
    either of ``client_secret_basic`` and ``client_secret_post`` (0, the default: RPs such as
    JupyterHub's GenericOAuthenticator post the secret, others send Basic)."""
    schema.execute("ALTER TABLE oauth_client ADD COLUMN strict_auth_method INTEGER NOT NULL DEFAULT 0")


def _team(schema: Schema) -> None:
    """A team's server: disabled accounts, groups, invitations, identities let in ahead of
    time, and the audit log. ``admin`` is the group of Sigil's own administrators; it always
    exists. Invitation codes are stored as SHA-256 hex only."""
    schema.execute('ALTER TABLE "user" ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0')
    schema.execute("""CREATE TABLE user_group (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        "createdAt" REAL NOT NULL
    )""")
    schema.execute("""CREATE TABLE user_group_member (
        "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
        "group" TEXT NOT NULL REFERENCES user_group(name) ON DELETE CASCADE,
        "addedAt" REAL NOT NULL,
        PRIMARY KEY ("userId", "group")
    )""")
    schema.execute('CREATE INDEX idx_group_member_group ON user_group_member("group")')
    schema.conn.execute("INSERT INTO user_group (name, description, \"createdAt\") VALUES (?, ?, ?)",
                        ("admin", "Sigil's administrators: the admin console and every team command", time.time()))
    schema.execute("""CREATE TABLE invitation (
        id TEXT PRIMARY KEY,
        "codeHash" TEXT NOT NULL UNIQUE,
        groups TEXT NOT NULL DEFAULT '[]',   -- JSON array of group names
        "usesLeft" INTEGER NOT NULL,
        uses INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        "expiresAt" REAL NOT NULL,
        "createdAt" REAL NOT NULL,
        "createdBy" TEXT NOT NULL,
        "revokedAt" REAL
    )""")
    schema.execute("""CREATE TABLE admitted_identity (
        "bapId" TEXT PRIMARY KEY,
        name TEXT,
        groups TEXT NOT NULL DEFAULT '[]',   -- JSON array of group names
        "createdAt" REAL NOT NULL
    )""")
    schema.execute("""CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '{}'   -- JSON object; never a secret
    )""")
    schema.execute("CREATE INDEX idx_audit_at ON audit_log(at)")


def _client_groups(schema: Schema) -> None:
    """Per app, the groups whose members may use it (JSON array; empty: everyone)."""
    schema.execute("ALTER TABLE oauth_client ADD COLUMN allowed_groups TEXT NOT NULL DEFAULT '[]'")


def _self_registered(schema: Schema) -> None:
    """Whether a client registered itself (RFC 7591 dynamic registration, 1) or an
    administrator registered it (0): a stranger may not embed the signer frame, fetch
    from inside the network or be sent to by logout without an id_token. Rows made before
    this column existed count as the administrator's."""
    schema.execute("ALTER TABLE oauth_client ADD COLUMN self_registered INTEGER NOT NULL DEFAULT 0")


def _code_redemption_function(schema: Schema) -> None:
    """PostgreSQL: a code exchange's checks and writes as one server-side call
    (auth_server/store/codes.py). SQLite runs them as statements and needs nothing."""
    if schema.dialect == "postgresql":
        from auth_server.store.codes import REDEEM_FUNCTION

        schema.conn.execute(REDEEM_FUNCTION)


def _code_redemption_for_client(schema: Schema) -> None:
    """PostgreSQL: the code exchange's call also checks the client's row version and spends
    its single-use proof (auth_server/store/codes.py), so any client's exchange is one call."""
    if schema.dialect == "postgresql":
        from auth_server.store.codes import REDEEM_FOR_CLIENT_FUNCTION

        schema.conn.execute(REDEEM_FOR_CLIENT_FUNCTION)


def _signing_keys(schema: Schema) -> None:
    """The id_token signing keys every instance shares (auth_server/store/signing_keys.py); the
    private half sealed with the operator's secret file, never in the clear."""
    schema.execute("""CREATE TABLE IF NOT EXISTS signing_key (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        generation INTEGER NOT NULL,      -- 1, 2, ... per alg: one winner per rotation
        public_jwk TEXT NOT NULL,         -- JSON, as published in the JWKS
        sealed_private TEXT NOT NULL,     -- AES-GCM under the secret file's key; '' once retired
        created_at REAL NOT NULL,
        activates_at REAL NOT NULL,
        retired_at REAL,
        UNIQUE (alg, generation)
    )""")


#: Every migration the server knows, in the order they are applied.
MIGRATIONS: list[Migration] = [
    Migration(1, "core: user, session, replay_guard, sigma_challenge", _core_schema),
    Migration(2, "core: rate_limit", _rate_limits),
    Migration(3, "core: sign-in in one call (PostgreSQL)", _sign_in_function),
    Migration(4, "core: team: disabled users, groups, invitations, admitted identities, audit log", _team),
    Migration(5, "core: sign-in refuses a disabled user (PostgreSQL)", _sign_in_refuses_disabled),
    Migration(6, "core: profiles: usernames, profile names, avatars", _profiles),
    Migration(7, "core: sign-in stores the signed profile (PostgreSQL)", _sign_in_profiles),
    Migration(8, "core: users found by BAP ID through an index", _user_lookup_indexes),
    Migration(9, "core: pictures no user shows found through an index", _user_image_index),
    Migration(10, "core: sign-in finds its user in the same call (PostgreSQL)", _sign_in_finds_user),
    Migration(100, "oauth clients", _oauth_clients),
    Migration(101, "oauth codes, tokens, consents, device codes", _oauth_grants),
    Migration(102, "expiry indexes for the purger", _expiry_indexes),
    Migration(103, "oauth clients: authentication methods, secrets, JWKS, logout URIs", _client_auth_methods),
    Migration(104, "oauth registration tokens (RFC 7591)", _registration_tokens),
    Migration(105, "oauth clients: strict secret method", _strict_auth_method),
    Migration(106, "oauth clients: self-registered", _self_registered),
    Migration(107, "oauth clients: allowed groups", _client_groups),
    Migration(108, "oauth: code exchange in one call (PostgreSQL)", _code_redemption_function),
    Migration(109, "oauth: a user's tokens and codes found through an index", _token_user_indexes),
    Migration(110, "signing keys in the store (sealed), with rotation", _signing_keys),
    Migration(111, "profile sharing per app", _profile_shares),
    Migration(112, "oauth: a code exchange checks its client and spends its proof in the same call (PostgreSQL)",
              _code_redemption_for_client),
]

_VERSION_TABLE = (
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "appliedAt" REAL NOT NULL)'
)


def applied_versions(engine: Engine) -> set[int]:
    with engine.write() as conn:
        engine.lock_schema(conn)
        Schema(conn, engine.dialect).execute(_VERSION_TABLE)
        return {row["version"] for row in conn.execute("SELECT version FROM schema_version").fetchall()}


def pending(engine: Engine, migrations: list[Migration] | None = None) -> list[Migration]:
    done = applied_versions(engine)
    return sorted((m for m in (MIGRATIONS if migrations is None else migrations) if m.version not in done),
                  key=lambda m: m.version)


def migrate(engine: Engine, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction under the schema lock.

    Safe to call from several processes or instances at once: the version check is
    repeated under the lock. Returns the migrations applied now.
    """
    migrations = list(MIGRATIONS if migrations is None else migrations)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migrations share a version number")
    applied: list[Migration] = []
    for migration in pending(engine, migrations):
        with engine.write() as conn:
            engine.lock_schema(conn)
            if conn.execute("SELECT 1 AS done FROM schema_version WHERE version = ?", (migration.version,)).fetchone():
                continue  # another instance was quicker
            migration.apply(Schema(conn, engine.dialect))
            conn.execute('INSERT INTO schema_version (version, name, "appliedAt") VALUES (?, ?, ?)',
                         (migration.version, migration.name, time.time()))
        applied.append(migration)
    return applied
