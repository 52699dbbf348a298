"""The ``oauth_client`` table: relying parties registered with ``sigil-server clients add``
(or RFC 7591 dynamic registration)."""

from __future__ import annotations

import json
from typing import Any

from auth_server.store.models import OAuthClient
from auth_server.store.engine import Engine, fetch_all, fetch_one

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
    )


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

    def add(self, client: OAuthClient) -> None:
        with self._engine.write() as conn:
            conn.execute(f"INSERT INTO oauth_client ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                         _values(client))

    def get(self, client_id: str) -> OAuthClient | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM oauth_client WHERE client_id = ?", (client_id,))
        return _client(row) if row else None

    def list(self) -> list[OAuthClient]:
        return [_client(r) for r in fetch_all(self._engine.conn,
                                              "SELECT * FROM oauth_client ORDER BY created_at, client_id")]

    def count(self) -> int:
        return self._engine.conn.execute("SELECT count(*) AS n FROM oauth_client").fetchone()["n"]

    def set_disabled(self, client_id: str, disabled: bool = True) -> bool:
        with self._engine.write() as conn:
            cur = conn.execute("UPDATE oauth_client SET disabled = ? WHERE client_id = ?", (int(disabled), client_id))
        return cur.rowcount == 1

    def set_allowed_groups(self, client_id: str, groups: list[str] | tuple[str, ...]) -> bool:
        """Only members of ``groups`` may use the client (empty: everyone); False: no such client."""
        with self._engine.write() as conn:
            return conn.execute("UPDATE oauth_client SET allowed_groups = ? WHERE client_id = ?",
                                (json.dumps(sorted(set(groups))), client_id)).rowcount == 1

    def approve(self, client_id: str) -> bool:
        """An administrator vouches for a self-registered client: it is theirs from now on."""
        with self._engine.write() as conn:
            cur = conn.execute("UPDATE oauth_client SET self_registered = 0 WHERE client_id = ?", (client_id,))
        return cur.rowcount == 1

    def rotate_secret(self, client_id: str, new_hash: str, previous_expires_at: float | None) -> bool:
        """Replace the secret in one statement: the old hash becomes the previous one, valid
        until ``previous_expires_at`` (None: not at all). False when the client has no secret."""
        keep_old = "secret_hash" if previous_expires_at is not None else "NULL"
        with self._engine.write() as conn:
            cur = conn.execute(
                f"UPDATE oauth_client SET previous_secret_hash = {keep_old}, previous_secret_expires_at = ?,"
                " secret_hash = ? WHERE client_id = ? AND secret_hash IS NOT NULL",
                (previous_expires_at, new_hash, client_id),
            )
        return cur.rowcount == 1

    def remove(self, client_id: str) -> bool:
        """Delete the client and everything issued to it (codes, tokens, consents, device codes)."""
        with self._engine.write() as conn:
            cur = conn.execute("DELETE FROM oauth_client WHERE client_id = ?", (client_id,))
            for table in _ISSUED_TO_CLIENT:
                conn.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))
        return cur.rowcount == 1
