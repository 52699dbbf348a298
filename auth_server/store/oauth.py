"""OAuth storage: clients, authorization codes, access/refresh tokens, consents, device codes.

Migrations (versions 100+) are plain functions over a ``sqlite_utils.Database``; the
repositories below are the only code that writes SQL for these tables, so another
backend only has to reimplement them. Every credential is stored as its SHA-256 hex
(``auth_server.oauth.secrets.hash_credential``), never in clear. Single-use rules
(codes, refresh rotation, device codes) are enforced with one conditional UPDATE each,
so two racing requests can never both win.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from auth_server.store.db import ConnectionPool
from auth_server.store.migrations import Migration


# ---------------------------------------------------------------------------
# migrations


def migrate_100_oauth_clients(db: Database) -> None:
    """Relying parties: exact redirect URIs and the member pubkey that authenticates them."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS oauth_client (
            client_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            redirect_uris TEXT NOT NULL,      -- JSON array, matched exactly
            member_pubkey TEXT NOT NULL,      -- 33-byte compressed key, lowercase hex
            owner_bap_id TEXT,
            trusted INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )"""
    )


def migrate_101_oauth_grants(db: Database) -> None:
    """Codes, token families, access and refresh tokens, consents, device codes."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS oauth_code (
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
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS oauth_access_token (
            token_hash TEXT PRIMARY KEY,
            family_id TEXT NOT NULL,
            client_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            bap_id TEXT,
            scope TEXT NOT NULL,
            issued_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS oauth_access_token_family ON oauth_access_token(family_id)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS oauth_refresh_token (
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
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS oauth_refresh_token_family ON oauth_refresh_token(family_id)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS oauth_consent (
            user_id TEXT NOT NULL,
            client_id TEXT NOT NULL,
            scope TEXT NOT NULL,
            bap_id TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, client_id)
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS device_code (
            device_code_hash TEXT PRIMARY KEY,
            user_code TEXT NOT NULL UNIQUE,
            client_id TEXT NOT NULL,
            scope TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',   -- pending, approved, denied, consumed
            user_id TEXT,
            bap_id TEXT,
            auth_time INTEGER,
            interval INTEGER NOT NULL,
            last_polled_at REAL,
            expires_at REAL NOT NULL,
            created_at REAL NOT NULL
        )"""
    )


MIGRATIONS: list[Migration] = [
    Migration(100, "oauth clients", migrate_100_oauth_clients),
    Migration(101, "oauth codes, tokens, consents, device codes", migrate_101_oauth_grants),
]


# ---------------------------------------------------------------------------
# rows


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    member_pubkey: str
    owner_bap_id: str | None
    trusted: bool
    disabled: bool
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "member_pubkey": self.member_pubkey,
            "owner_bap_id": self.owner_bap_id,
            "trusted": self.trusted,
            "disabled": self.disabled,
            "createdAt": self.created_at,
        }


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    user_id: str
    bap_id: str | None
    redirect_uri: str
    scope: str
    code_challenge: str
    nonce: str | None
    auth_time: int | None
    family_id: str
    expires_at: float
    used_at: float | None


@dataclass(frozen=True)
class IssuedToken:
    """An access or refresh token row (``rotated``/``auth_time`` only matter for refresh)."""

    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    bap_id: str | None
    scope: str
    issued_at: float
    expires_at: float
    revoked: bool
    rotated: bool = False
    auth_time: int | None = None


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code_hash: str
    user_code: str
    client_id: str
    scope: str
    status: str
    user_id: str | None
    bap_id: str | None
    auth_time: int | None
    interval: int
    last_polled_at: float | None
    expires_at: float
    created_at: float


def _client(row: dict[str, Any]) -> OAuthClient:
    return OAuthClient(
        client_id=row["client_id"],
        name=row["name"],
        redirect_uris=tuple(json.loads(row["redirect_uris"])),
        member_pubkey=row["member_pubkey"],
        owner_bap_id=row["owner_bap_id"],
        trusted=bool(row["trusted"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


def _rows(pool: ConnectionPool, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in pool.conn.execute(sql, params).fetchall()]


def _one(pool: ConnectionPool, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    row = pool.conn.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


# ---------------------------------------------------------------------------
# repositories


class ClientRepository:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def add(self, client: OAuthClient) -> None:
        with self.pool.write() as conn:
            conn.execute(
                "INSERT INTO oauth_client (client_id, name, redirect_uris, member_pubkey, owner_bap_id,"
                " trusted, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (client.client_id, client.name, json.dumps(list(client.redirect_uris)), client.member_pubkey,
                 client.owner_bap_id, int(client.trusted), int(client.disabled), client.created_at),
            )

    def get(self, client_id: str) -> OAuthClient | None:
        row = _one(self.pool, "SELECT * FROM oauth_client WHERE client_id = ?", (client_id,))
        return _client(row) if row else None

    def list(self) -> list[OAuthClient]:
        return [_client(r) for r in _rows(self.pool, "SELECT * FROM oauth_client ORDER BY created_at, client_id")]

    def set_disabled(self, client_id: str, disabled: bool = True) -> bool:
        with self.pool.write() as conn:
            cur = conn.execute("UPDATE oauth_client SET disabled = ? WHERE client_id = ?", (int(disabled), client_id))
        return cur.rowcount == 1

    def remove(self, client_id: str) -> bool:
        """Delete the client and everything issued to it (codes, tokens, consents, device codes)."""
        with self.pool.write() as conn:
            cur = conn.execute("DELETE FROM oauth_client WHERE client_id = ?", (client_id,))
            for table in ("oauth_code", "oauth_access_token", "oauth_refresh_token", "oauth_consent", "device_code"):
                conn.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))
        return cur.rowcount == 1


class CodeRepository:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def add(self, code: AuthorizationCode) -> None:
        with self.pool.write() as conn:
            conn.execute(
                "INSERT INTO oauth_code (code_hash, client_id, user_id, bap_id, redirect_uri, scope,"
                " code_challenge, nonce, auth_time, family_id, expires_at, used_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (code.code_hash, code.client_id, code.user_id, code.bap_id, code.redirect_uri, code.scope,
                 code.code_challenge, code.nonce, code.auth_time, code.family_id, code.expires_at),
            )

    def get(self, code_hash: str) -> AuthorizationCode | None:
        row = _one(self.pool, "SELECT * FROM oauth_code WHERE code_hash = ?", (code_hash,))
        return AuthorizationCode(**row) if row else None

    def mark_used(self, code_hash: str, now: float) -> bool:
        """Claim the code; True for exactly one caller, however many race."""
        with self.pool.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", (now, code_hash)
            )
        return cur.rowcount == 1

    def purge_expired(self, before: float) -> int:
        with self.pool.write() as conn:
            cur = conn.execute("DELETE FROM oauth_code WHERE expires_at < ?", (before,))
        return cur.rowcount


class TokenRepository:
    """Access and refresh tokens, grouped in families (one family per code or device grant)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def add_tokens(self, access: IssuedToken, refresh: IssuedToken | None) -> None:
        with self.pool.write() as conn:
            self._insert_access(conn, access)
            if refresh is not None:
                self._insert_refresh(conn, refresh)

    def _insert_access(self, conn: sqlite3.Connection, t: IssuedToken) -> None:
        conn.execute(
            "INSERT INTO oauth_access_token (token_hash, family_id, client_id, user_id, bap_id, scope,"
            " issued_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (t.token_hash, t.family_id, t.client_id, t.user_id, t.bap_id, t.scope, t.issued_at, t.expires_at),
        )

    def _insert_refresh(self, conn: sqlite3.Connection, t: IssuedToken) -> None:
        conn.execute(
            "INSERT INTO oauth_refresh_token (token_hash, family_id, client_id, user_id, bap_id, scope,"
            " auth_time, issued_at, expires_at, rotated, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
            (t.token_hash, t.family_id, t.client_id, t.user_id, t.bap_id, t.scope, t.auth_time,
             t.issued_at, t.expires_at),
        )

    def get_access(self, token_hash: str) -> IssuedToken | None:
        row = _one(self.pool, "SELECT * FROM oauth_access_token WHERE token_hash = ?", (token_hash,))
        if row is None:
            return None
        row["revoked"] = bool(row["revoked"])
        return IssuedToken(**row)

    def get_refresh(self, token_hash: str) -> IssuedToken | None:
        row = _one(self.pool, "SELECT * FROM oauth_refresh_token WHERE token_hash = ?", (token_hash,))
        if row is None:
            return None
        row["revoked"] = bool(row["revoked"])
        row["rotated"] = bool(row["rotated"])
        return IssuedToken(**row)

    def redeem_code(self, code_hash: str, now: float, access: IssuedToken, refresh: IssuedToken | None) -> bool:
        """Mark the code used and store the tokens it buys in one transaction.

        False (and nothing stored) when the code was used already, however many requests race.
        """
        with self.pool.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", (now, code_hash)
            )
            if cur.rowcount != 1:
                return False
            self._insert_access(conn, access)
            if refresh is not None:
                self._insert_refresh(conn, refresh)
        return True

    def rotate_refresh(self, old_hash: str, access: IssuedToken, refresh: IssuedToken) -> bool:
        """Retire ``old_hash`` and store its successors, atomically; False if it was already used."""
        with self.pool.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_refresh_token SET rotated = 1 WHERE token_hash = ? AND rotated = 0 AND revoked = 0",
                (old_hash,),
            )
            if cur.rowcount != 1:
                return False
            self._insert_access(conn, access)
            self._insert_refresh(conn, refresh)
        return True

    def revoke_family(self, family_id: str) -> None:
        """RFC 9700 reuse response: every access and refresh token of the family stops working."""
        with self.pool.write() as conn:
            conn.execute("UPDATE oauth_access_token SET revoked = 1 WHERE family_id = ?", (family_id,))
            conn.execute("UPDATE oauth_refresh_token SET revoked = 1 WHERE family_id = ?", (family_id,))

    def revoke_access(self, token_hash: str, client_id: str) -> bool:
        with self.pool.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_access_token SET revoked = 1 WHERE token_hash = ? AND client_id = ?",
                (token_hash, client_id),
            )
        return cur.rowcount == 1

    def purge_expired(self, before: float) -> int:
        with self.pool.write() as conn:
            a = conn.execute("DELETE FROM oauth_access_token WHERE expires_at < ?", (before,)).rowcount
            r = conn.execute("DELETE FROM oauth_refresh_token WHERE expires_at < ?", (before,)).rowcount
        return a + r


class ConsentRepository:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def get(self, user_id: str, client_id: str) -> str | None:
        """The scope string granted earlier, or None."""
        row = _one(self.pool, "SELECT scope FROM oauth_consent WHERE user_id = ? AND client_id = ?", (user_id, client_id))
        return row["scope"] if row else None

    def grant(self, user_id: str, client_id: str, scope: str, bap_id: str | None, now: float) -> None:
        """Remember a consent; a later grant widens (unions) the stored scope."""
        earlier = self.get(user_id, client_id) or ""
        merged = " ".join(dict.fromkeys(earlier.split() + scope.split()))
        with self.pool.write() as conn:
            conn.execute(
                "INSERT INTO oauth_consent (user_id, client_id, scope, bap_id, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(user_id, client_id) DO UPDATE SET scope = excluded.scope, bap_id = excluded.bap_id,"
                " updated_at = excluded.updated_at",
                (user_id, client_id, merged, bap_id, now),
            )


class DeviceRepository:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def add(self, d: DeviceAuthorization) -> None:
        with self.pool.write() as conn:
            conn.execute(
                "INSERT INTO device_code (device_code_hash, user_code, client_id, scope, status, interval,"
                " expires_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                (d.device_code_hash, d.user_code, d.client_id, d.scope, d.interval, d.expires_at, d.created_at),
            )

    def get(self, device_code_hash: str) -> DeviceAuthorization | None:
        row = _one(self.pool, "SELECT * FROM device_code WHERE device_code_hash = ?", (device_code_hash,))
        return DeviceAuthorization(**row) if row else None

    def get_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        row = _one(self.pool, "SELECT * FROM device_code WHERE user_code = ?", (user_code,))
        return DeviceAuthorization(**row) if row else None

    def record_poll(self, device_code_hash: str, now: float, interval: int) -> None:
        with self.pool.write() as conn:
            conn.execute(
                "UPDATE device_code SET last_polled_at = ?, interval = ? WHERE device_code_hash = ?",
                (now, interval, device_code_hash),
            )

    def decide(self, user_code: str, approved: bool, user_id: str, bap_id: str | None, auth_time: int | None) -> bool:
        """Approve or deny a pending request; False if it is no longer pending."""
        with self.pool.write() as conn:
            cur = conn.execute(
                "UPDATE device_code SET status = ?, user_id = ?, bap_id = ?, auth_time = ?"
                " WHERE user_code = ? AND status = 'pending'",
                ("approved" if approved else "denied", user_id, bap_id, auth_time, user_code),
            )
        return cur.rowcount == 1

    def consume(self, device_code_hash: str) -> bool:
        """Turn an approved request into tokens exactly once."""
        with self.pool.write() as conn:
            cur = conn.execute(
                "UPDATE device_code SET status = 'consumed' WHERE device_code_hash = ? AND status = 'approved'",
                (device_code_hash,),
            )
        return cur.rowcount == 1


class OAuthStore:
    """All OAuth repositories over one database, as ``store.oauth`` hands them out."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.clients = ClientRepository(pool)
        self.codes = CodeRepository(pool)
        self.tokens = TokenRepository(pool)
        self.consents = ConsentRepository(pool)
        self.devices = DeviceRepository(pool)
