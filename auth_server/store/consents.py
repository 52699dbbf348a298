"""The ``oauth_consent`` table: which scopes a user granted a client, widened by later grants."""

from __future__ import annotations

from auth_server.store.engine import Engine, fetch_all, fetch_one


class ConsentRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str, client_id: str) -> str | None:
        """The scope string granted earlier, or None."""
        row = fetch_one(self._engine.conn, "SELECT scope FROM oauth_consent WHERE user_id = ? AND client_id = ?",
                        (user_id, client_id))
        return row["scope"] if row else None

    def grant(self, user_id: str, client_id: str, scope: str, bap_id: str | None, now: float) -> None:
        """Remember a consent; a later grant widens (unions) the stored scope.

        The union is computed from the row read under a lock (``FOR UPDATE`` on PostgreSQL,
        SQLite's writer lock), after an insert that makes sure a row exists to lock, so two
        instances granting different scopes at once keep both.
        """
        with self._engine.write() as conn:
            conn.execute(
                "INSERT INTO oauth_consent (user_id, client_id, scope, bap_id, updated_at) VALUES (?, ?, '', ?, ?)"
                " ON CONFLICT(user_id, client_id) DO NOTHING",
                (user_id, client_id, bap_id, now),
            )
            row = conn.execute(
                "SELECT scope FROM oauth_consent WHERE user_id = ? AND client_id = ?" + self._engine.for_update,
                (user_id, client_id),
            ).fetchone()
            merged = " ".join(dict.fromkeys(row["scope"].split() + scope.split()))
            conn.execute(
                "UPDATE oauth_consent SET scope = ?, bap_id = ?, updated_at = ? WHERE user_id = ? AND client_id = ?",
                (merged, bap_id, now, user_id, client_id),
            )

    def list_for_user(self, user_id: str) -> list[dict[str, object]]:
        """The user's consents, newest first: ``client_id, scope, bap_id, updated_at``."""
        return fetch_all(self._engine.conn, "SELECT client_id, scope, bap_id, updated_at FROM oauth_consent"
                         " WHERE user_id = ? AND scope != '' ORDER BY updated_at DESC, client_id", (user_id,))

    def withdraw(self, user_id: str, client_id: str) -> bool:
        with self._engine.write() as conn:
            cur = conn.execute("DELETE FROM oauth_consent WHERE user_id = ? AND client_id = ?", (user_id, client_id))
        return cur.rowcount == 1
