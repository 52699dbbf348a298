"""The ``oauth_client`` table: relying parties registered with ``sigil-server clients add``."""

from __future__ import annotations

import json
from typing import Any

from auth_server.oauth.models import OAuthClient
from auth_server.store.engine import Engine, fetch_all, fetch_one

#: tables whose rows belong to a client and go with it
_ISSUED_TO_CLIENT = ("oauth_code", "oauth_access_token", "oauth_refresh_token", "oauth_consent", "device_code")


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


class ClientRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, client: OAuthClient) -> None:
        with self._engine.write() as conn:
            conn.execute(
                "INSERT INTO oauth_client (client_id, name, redirect_uris, member_pubkey, owner_bap_id,"
                " trusted, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (client.client_id, client.name, json.dumps(list(client.redirect_uris)), client.member_pubkey,
                 client.owner_bap_id, int(client.trusted), int(client.disabled), client.created_at),
            )

    def get(self, client_id: str) -> OAuthClient | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM oauth_client WHERE client_id = ?", (client_id,))
        return _client(row) if row else None

    def list(self) -> list[OAuthClient]:
        return [_client(r) for r in fetch_all(self._engine.conn,
                                              "SELECT * FROM oauth_client ORDER BY created_at, client_id")]

    def set_disabled(self, client_id: str, disabled: bool = True) -> bool:
        with self._engine.write() as conn:
            cur = conn.execute("UPDATE oauth_client SET disabled = ? WHERE client_id = ?", (int(disabled), client_id))
        return cur.rowcount == 1

    def remove(self, client_id: str) -> bool:
        """Delete the client and everything issued to it (codes, tokens, consents, device codes)."""
        with self._engine.write() as conn:
            cur = conn.execute("DELETE FROM oauth_client WHERE client_id = ?", (client_id,))
            for table in _ISSUED_TO_CLIENT:
                conn.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))
        return cur.rowcount == 1
