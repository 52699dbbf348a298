"""The ``audit_log`` table: who did what when. Callers never put a secret in ``detail``."""

from __future__ import annotations

import json
from typing import Any

from auth_server.store.engine import Engine, purge_batch
from auth_server.store.models import AuditEntry
from auth_server.store.users import new_id


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, now: float, actor: str, action: str, target: str = "", **detail: Any) -> None:
        with self._engine.write() as conn:
            conn.execute("INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
                         (new_id(), now, actor, action, target, json.dumps(detail, sort_keys=True)))

    def since(self, moment: float, limit: int = 1000, *, action: str | None = None) -> list[AuditEntry]:
        """Entries at or after ``moment``, newest first."""
        sql, args = "SELECT id, at, actor, action, target, detail FROM audit_log WHERE at >= ?", [moment]
        if action is not None:
            sql += " AND action = ?"
            args.append(action)
        rows = self._engine.conn.execute(sql + " ORDER BY at DESC, id LIMIT ?", (*args, limit)).fetchall()
        return [AuditEntry(r["id"], r["at"], r["actor"], r["action"], r["target"], json.loads(r["detail"]))
                for r in rows]

    def purge_older_than(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` entries made before ``before`` (the purger keeps a retention period)."""
        return purge_batch(self._engine, "audit_log", "id", "at", before, limit)
