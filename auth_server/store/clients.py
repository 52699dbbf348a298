"""The ``oauth_client`` table: relying parties registered with ``sigil-server clients add``
(or RFC 7591 dynamic registration).

On PostgreSQL every statement is a round trip, and a code exchange or an introspection
would spend one of its two on reading the client. So each instance keeps the rows it has
read (:meth:`ClientRepository.recent`), each with its version (PostgreSQL's ``xmin``,
which every update of the row changes), and the endpoint's one statement re-checks that
version where it acts (:data:`CURRENT_VERSION`): a client disabled, re-keyed or removed
through any instance is refused at its next request, exactly as with a fresh read (the
statement raises :class:`ClientChanged` before it spends anything, and the caller
authenticates again from a fresh read, which also renews the copy). userinfo's one
statement reads the token's client's version instead, and :meth:`ClientRepository.as_of`
uses the copy only when it is that version. Nothing else reads the copies. SQLite reads
are a local file's microseconds: it keeps none.
"""

from __future__ import annotations

import json
from typing import Any

from auth_server.store.models import OAuthClient
from auth_server.store.engine import Engine, fetch_all, fetch_one

#: copies kept per instance at most (beyond it they are dropped and read again as needed)
RECENT_LIMIT = 4096

#: tables whose rows belong to a client and go with it
_ISSUED_TO_CLIENT = ("oauth_code", "oauth_access_token", "oauth_refresh_token", "oauth_consent", "device_code")

_COLUMNS = ("client_id", "name", "redirect_uris", "member_pubkey", "owner_bap_id", "trusted", "disabled",
            "created_at", "token_endpoint_auth_method", "secret_hash", "previous_secret_hash",
            "previous_secret_expires_at", "jwks", "jwks_uri", "post_logout_redirect_uris",
            "strict_auth_method", "self_registered", "allowed_groups")


def _client(row: dict[str, Any]) -> OAuthClient:
    return OAuthClient(
        client_id=row["client_id"],
        name=row["name"],
        redirect_uris=tuple(json.loads(row["redirect_uris"])),
        member_pubkey=row["member_pubkey"] or None,
        owner_bap_id=row["owner_bap_id"],
        trusted=bool(row["trusted"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        token_endpoint_auth_method=row["token_endpoint_auth_method"],
        secret_hash=row["secret_hash"],
        previous_secret_hash=row["previous_secret_hash"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
        jwks=json.loads(row["jwks"]) if row["jwks"] else None,
        jwks_uri=row["jwks_uri"],
        post_logout_redirect_uris=tuple(json.loads(row["post_logout_redirect_uris"] or "[]")),
        strict_auth_method=bool(row["strict_auth_method"]),
        self_registered=bool(row["self_registered"]),
        allowed_groups=tuple(json.loads(row["allowed_groups"] or "[]")),
        version=row.get("row_version"),
    )


class ClientChanged(Exception):
    """The client's row changed (or went) since the copy a request was authenticated with
    was read: the request must authenticate again with a fresh read."""


#: PostgreSQL: a scalar subquery, with one ``?`` for the client_id, giving the client's current
#: version (NULL when there is no such client); SQLite rows have no versions
CURRENT_VERSION = "(SELECT xmin::text FROM oauth_client WHERE client_id = ?)"


def _values(client: OAuthClient) -> tuple[Any, ...]:
    return (client.client_id, client.name, json.dumps(list(client.redirect_uris)), client.member_pubkey or "",
            client.owner_bap_id, int(client.trusted), int(client.disabled), client.created_at,
            client.token_endpoint_auth_method, client.secret_hash, client.previous_secret_hash,
            client.previous_secret_expires_at, json.dumps(client.jwks) if client.jwks else None, client.jwks_uri,
            json.dumps(list(client.post_logout_redirect_uris)), int(client.strict_auth_method),
            int(client.self_registered), json.dumps(list(client.allowed_groups)))


class ClientRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        versioned = engine.dialect == "postgresql"
        self._select = ("SELECT xmin::text AS row_version, * FROM oauth_client" if versioned
                        else "SELECT * FROM oauth_client")
        #: client_id -> the copy last read (PostgreSQL only; see the module docstring)
        self._recent: dict[str, OAuthClient] | None = {} if versioned else None

    def add(self, client: OAuthClient) -> None:
        with self._engine.write() as conn:
            conn.execute(f"INSERT INTO oauth_client ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                         _values(client))

    def get(self, client_id: str) -> OAuthClient | None:
        """The client as the database has it now."""
        row = fetch_one(self._engine.conn, self._select + " WHERE client_id = ?", (client_id,))
        client = _client(row) if row else None
        if self._recent is not None and client is not None:
            if len(self._recent) >= RECENT_LIMIT:
                self._recent.clear()
            self._recent[client_id] = client
        return client

    def recent(self, client_id: str) -> OAuthClient | None:
        """This instance's copy of the client when it has one, else :meth:`get`. Only for a
        caller whose statement then checks ``client.version`` (:data:`CURRENT_VERSION`), or
        that reads again with :meth:`get` when the copy fails authentication."""
        copy = self._recent.get(client_id) if self._recent is not None else None
        return copy if copy is not None else self.get(client_id)

    def as_of(self, client_id: str, version: str | None) -> OAuthClient | None:
        """The client whose current row version a statement just read as ``version`` (None:
        there is no such client): this instance's copy when it is of that version, else a fresh
        read. On SQLite (no versions, no copies) always a fresh read."""
        if self._recent is None:
            return self.get(client_id)
        if version is None:
            return None
        copy = self._recent.get(client_id)
        return copy if copy is not None and copy.version == version else self.get(client_id)

    def forget(self, client_id: str) -> None:
        """Drop this instance's copy of the client (it changed)."""
        if self._recent is not None:
            self._recent.pop(client_id, None)

    def enabled_with_member_key(self, pubkey: str, method: str) -> list[OAuthClient]:
        """The enabled clients registered for ``method`` with the member key ``pubkey`` (a Sigma
        client that names itself by its key only)."""
        return [_client(r) for r in fetch_all(
            self._engine.conn, self._select + " WHERE member_pubkey = ? AND token_endpoint_auth_method = ?"
            " AND disabled = 0", (pubkey, method))]

    def list(self) -> list[OAuthClient]:
        return [_client(r) for r in fetch_all(self._engine.conn,
                                              "SELECT * FROM oauth_client ORDER BY created_at, client_id")]

    def count(self) -> int:
        return self._engine.conn.execute("SELECT count(*) AS n FROM oauth_client").fetchone()["n"]

    def set_disabled(self, client_id: str, disabled: bool = True) -> bool:
        self.forget(client_id)
        with self._engine.write() as conn:
            cur = conn.execute("UPDATE oauth_client SET disabled = ? WHERE client_id = ?", (int(disabled), client_id))
        return cur.rowcount == 1

    def set_allowed_groups(self, client_id: str, groups: list[str] | tuple[str, ...]) -> bool:
        """Only members of ``groups`` may use the client (empty: everyone); False: no such client."""
        self.forget(client_id)
        with self._engine.write() as conn:
            return conn.execute("UPDATE oauth_client SET allowed_groups = ? WHERE client_id = ?",
                                (json.dumps(sorted(set(groups))), client_id)).rowcount == 1

    def approve(self, client_id: str) -> bool:
        """An administrator vouches for a self-registered client: it is theirs from now on."""
        self.forget(client_id)
        with self._engine.write() as conn:
            cur = conn.execute("UPDATE oauth_client SET self_registered = 0 WHERE client_id = ?", (client_id,))
        return cur.rowcount == 1

    def rotate_secret(self, client_id: str, new_hash: str, previous_expires_at: float | None) -> bool:
        """Replace the secret in one statement: the old hash becomes the previous one, valid
        until ``previous_expires_at`` (None: not at all). False when the client has no secret."""
        keep_old = "secret_hash" if previous_expires_at is not None else "NULL"
        self.forget(client_id)
        with self._engine.write() as conn:
            cur = conn.execute(
                f"UPDATE oauth_client SET previous_secret_hash = {keep_old}, previous_secret_expires_at = ?,"
                " secret_hash = ? WHERE client_id = ? AND secret_hash IS NOT NULL",
                (previous_expires_at, new_hash, client_id),
            )
        return cur.rowcount == 1

    def remove(self, client_id: str) -> bool:
        """Delete the client and everything issued to it (codes, tokens, consents, device codes)."""
        self.forget(client_id)
        with self._engine.write() as conn:
            cur = conn.execute("DELETE FROM oauth_client WHERE client_id = ?", (client_id,))
            for table in _ISSUED_TO_CLIENT:
                conn.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))
        return cur.rowcount == 1
