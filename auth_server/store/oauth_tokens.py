"""Access and refresh tokens (``oauth_access_token``, ``oauth_refresh_token``), by hash.

Tokens come in families: one per code or device grant, so a replayed code or refresh
token can revoke everything that grant produced (RFC 9700). Rotating a refresh token is
one conditional UPDATE plus the inserts, in one transaction: however many requests race,
on however many instances, one wins. Spending a code is
:meth:`auth_server.store.codes.CodeRepository.redeem`, which writes its tokens with
:func:`insert_access` and :func:`insert_refresh`.
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass

from auth_server.store.clients import CURRENT_VERSION, ClientChanged
from auth_server.store.models import IssuedToken, OAuthClient
from auth_server.store.engine import Connection, Engine, fetch_one, purge_batch
from auth_server.store.users import UserProfile, profile_columns, profile_from_row


def _token(row: dict[str, Any]) -> IssuedToken:
    row["revoked"] = bool(row["revoked"])
    if "rotated" in row:
        row["rotated"] = bool(row["rotated"])
    return IssuedToken(**row)


def insert_access(conn: Connection, t: IssuedToken) -> None:
    conn.execute(
        "INSERT INTO oauth_access_token (token_hash, family_id, client_id, user_id, bap_id, scope,"
        " issued_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (t.token_hash, t.family_id, t.client_id, t.user_id, t.bap_id, t.scope, t.issued_at, t.expires_at),
    )


def insert_refresh(conn: Connection, t: IssuedToken) -> None:
    conn.execute(
        "INSERT INTO oauth_refresh_token (token_hash, family_id, client_id, user_id, bap_id, scope,"
        " auth_time, issued_at, expires_at, rotated, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
        (t.token_hash, t.family_id, t.client_id, t.user_id, t.bap_id, t.scope, t.auth_time,
         t.issued_at, t.expires_at),
    )


def revoke_family(conn: Connection, family_id: str) -> None:
    """RFC 9700 reuse response: every access and refresh token of the family stops working."""
    conn.execute("UPDATE oauth_access_token SET revoked = 1 WHERE family_id = ?", (family_id,))
    conn.execute("UPDATE oauth_refresh_token SET revoked = 1 WHERE family_id = ?", (family_id,))


@dataclass(frozen=True)
class FoundToken:
    """A token found by hash, what kind it is, and its user's profile (None: the user is gone)."""

    token: IssuedToken
    kind: str  # "access_token" or "refresh_token"
    profile: UserProfile | None
    #: :meth:`TokenRepository.find_access` on PostgreSQL: the token's client's row version
    #: when the statement ran (None: no such client; see :meth:`ClientRepository.as_of`)
    client_version: str | None = None


_TOKEN_COLUMNS = "token_hash, family_id, client_id, user_id, bap_id, scope, issued_at, expires_at, revoked"


def _token_of(row: dict[str, Any]) -> IssuedToken:
    """The token of a row that selected :data:`_TOKEN_COLUMNS`, ``rotated`` and ``auth_time``
    beside other tables' columns (so not :func:`_token`, which takes a whole token row)."""
    return IssuedToken(row["token_hash"], row["family_id"], row["client_id"], row["user_id"], row["bap_id"],
                       row["scope"], row["issued_at"], row["expires_at"], bool(row["revoked"]),
                       bool(row["rotated"]), row["auth_time"])


def _find_statement(dialect: str) -> str:
    """One statement for introspection: the token (access or refresh, the hinted kind first)
    and its user's claims; on PostgreSQL also the asking client's row version (one row
    always, the token's columns NULL when there is none)."""
    tokens = (f"SELECT {_TOKEN_COLUMNS}, 0 AS rotated, NULL AS auth_time, 'access_token' AS kind"
              " FROM oauth_access_token WHERE token_hash = ?"
              f" UNION ALL SELECT {_TOKEN_COLUMNS}, rotated, auth_time, 'refresh_token' AS kind"
              " FROM oauth_refresh_token WHERE token_hash = ?")
    if dialect == "postgresql":
        version = ", v.client_version"
        source = f"(SELECT {CURRENT_VERSION} AS client_version) v LEFT JOIN ({tokens}) t ON TRUE"
    else:
        version, source = "", f"({tokens}) t"
    return (f"SELECT t.*, {profile_columns(dialect)}{version}"
            f' FROM {source} LEFT JOIN "user" u ON u.id = t.user_id'
            " ORDER BY CASE WHEN t.kind = ? THEN 0 ELSE 1 END LIMIT 1")


def _find_access_statement(dialect: str) -> str:
    """One statement for userinfo: the access token, its user's claims and, on PostgreSQL, its
    client's row version (so this instance's copy of the client can stand in for a read)."""
    version = (", (SELECT xmin::text FROM oauth_client c WHERE c.client_id = t.client_id) AS client_version"
               if dialect == "postgresql" else ", NULL AS client_version")
    return (f"SELECT {_TOKEN_COLUMNS}, 0 AS rotated, NULL AS auth_time, {profile_columns(dialect)}{version}"
            ' FROM oauth_access_token t LEFT JOIN "user" u ON u.id = t.user_id WHERE t.token_hash = ?')


class TokenRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._find = _find_statement(engine.dialect)
        self._find_access = _find_access_statement(engine.dialect)

    def add_tokens(self, access: IssuedToken, refresh: IssuedToken | None) -> None:
        with self._engine.write() as conn:
            insert_access(conn, access)
            if refresh is not None:
                insert_refresh(conn, refresh)

    def get_access(self, token_hash: str) -> IssuedToken | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM oauth_access_token WHERE token_hash = ?", (token_hash,))
        return _token(row) if row else None

    def get_refresh(self, token_hash: str) -> IssuedToken | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM oauth_refresh_token WHERE token_hash = ?", (token_hash,))
        return _token(row) if row else None

    def find(self, token_hash: str, kind_first: str = "access_token", client: OAuthClient | None = None
             ) -> FoundToken | None:
        """The access or refresh token of that hash (``kind_first`` wins if, impossibly, both
        exist) with its user's profile, in one statement on either engine. With ``client``
        (the asker, as it was authenticated), ``ClientChanged`` when its row has changed since
        (PostgreSQL; see :mod:`auth_server.store.clients`)."""
        if self._engine.dialect == "postgresql":
            client_id = client.client_id if client is not None else None
            row = self._engine.conn.execute(self._find, (client_id, token_hash, token_hash, kind_first)).fetchone()
            if client is not None and client.version is not None and row["client_version"] != client.version:
                raise ClientChanged(client.client_id)
        else:
            row = self._engine.conn.execute(self._find, (token_hash, token_hash, kind_first)).fetchone()
        if row is None or row["token_hash"] is None:
            return None
        return FoundToken(_token_of(row), row["kind"], profile_from_row(row))

    def find_access(self, token_hash: str) -> FoundToken | None:
        """The access token of that hash with its user's profile and (PostgreSQL) its client's
        current row version, in one statement: all userinfo reads when this instance already
        holds a copy of the client at that version."""
        row = self._engine.conn.execute(self._find_access, (token_hash,)).fetchone()
        if row is None:
            return None
        return FoundToken(_token_of(row), "access_token", profile_from_row(row), row["client_version"])

    def rotate_refresh(self, old_hash: str, access: IssuedToken, refresh: IssuedToken) -> bool:
        """Retire ``old_hash`` and store its successors, atomically; False if it was already used."""
        with self._engine.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_refresh_token SET rotated = 1 WHERE token_hash = ? AND rotated = 0 AND revoked = 0",
                (old_hash,),
            )
            if cur.rowcount != 1:
                return False
            insert_access(conn, access)
            insert_refresh(conn, refresh)
        return True

    def revoke_family(self, family_id: str) -> None:
        """RFC 9700 reuse response: every access and refresh token of the family stops working."""
        with self._engine.write() as conn:
            revoke_family(conn, family_id)

    def revoke_for_user(self, user_id: str, client_id: str) -> int:
        """Every token the client holds for the user stops working, and its unused codes go."""
        with self._engine.write() as conn:
            n = conn.execute("UPDATE oauth_access_token SET revoked = 1 WHERE user_id = ? AND client_id = ?"
                             " AND revoked = 0", (user_id, client_id)).rowcount
            n += conn.execute("UPDATE oauth_refresh_token SET revoked = 1 WHERE user_id = ? AND client_id = ?"
                              " AND revoked = 0", (user_id, client_id)).rowcount
            conn.execute("DELETE FROM oauth_code WHERE user_id = ? AND client_id = ? AND used_at IS NULL",
                         (user_id, client_id))
        return n

    def revoke_everything_of_user(self, user_id: str) -> int:
        """The user is locked out: every access and refresh token of every app stops working and
        unused codes go (a device request they approved fails at the exchange, as the user is
        disabled). Returns how many tokens were live."""
        with self._engine.write() as conn:
            n = conn.execute("UPDATE oauth_access_token SET revoked = 1 WHERE user_id = ? AND revoked = 0",
                             (user_id,)).rowcount
            n += conn.execute("UPDATE oauth_refresh_token SET revoked = 1 WHERE user_id = ? AND revoked = 0",
                              (user_id,)).rowcount
            conn.execute("DELETE FROM oauth_code WHERE user_id = ? AND used_at IS NULL", (user_id,))
        return n

    def remove_everything_of_user(self, user_id: str) -> None:
        """The user is deleted: their codes, tokens, consents and device requests go too."""
        with self._engine.write() as conn:
            for table in ("oauth_code", "oauth_access_token", "oauth_refresh_token", "oauth_consent", "device_code"):
                conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))

    def users_of_client(self, client_id: str) -> list[str]:
        """Users for whom the client holds a token that is not revoked."""
        rows = self._engine.conn.execute(
            "SELECT DISTINCT user_id FROM oauth_refresh_token WHERE client_id = ? AND revoked = 0 "
            "UNION SELECT DISTINCT user_id FROM oauth_access_token WHERE client_id = ? AND revoked = 0",
            (client_id, client_id)).fetchall()
        return [r["user_id"] for r in rows]

    def revoke_access(self, token_hash: str, client_id: str) -> bool:
        with self._engine.write() as conn:
            cur = conn.execute(
                "UPDATE oauth_access_token SET revoked = 1 WHERE token_hash = ? AND client_id = ?",
                (token_hash, client_id),
            )
        return cur.rowcount == 1

    def purge_expired(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` access and up to ``limit`` refresh tokens that expired before ``before``."""
        return (purge_batch(self._engine, "oauth_access_token", "token_hash", "expires_at", before, limit)
                + purge_batch(self._engine, "oauth_refresh_token", "token_hash", "expires_at", before, limit))
