"""The ``device_code`` table: RFC 8628 device authorization requests, by device-code hash.

A request goes pending -> approved|denied -> consumed; each step is one conditional
UPDATE on the expected status, so it happens once across all instances.
"""

from __future__ import annotations

from auth_server.store.models import DeviceAuthorization
from auth_server.store.engine import Engine, fetch_one, purge_batch


class DeviceRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, d: DeviceAuthorization) -> None:
        with self._engine.write() as conn:
            conn.execute(
                'INSERT INTO device_code (device_code_hash, user_code, client_id, scope, status, "interval",'
                " expires_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                (d.device_code_hash, d.user_code, d.client_id, d.scope, d.interval, d.expires_at, d.created_at),
            )

    def get(self, device_code_hash: str) -> DeviceAuthorization | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM device_code WHERE device_code_hash = ?", (device_code_hash,))
        return DeviceAuthorization(**row) if row else None

    def get_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        row = fetch_one(self._engine.conn, "SELECT * FROM device_code WHERE user_code = ?", (user_code,))
        return DeviceAuthorization(**row) if row else None

    def record_poll(self, device_code_hash: str, now: float, interval: int) -> None:
        with self._engine.write() as conn:
            conn.execute(
                'UPDATE device_code SET last_polled_at = ?, "interval" = ? WHERE device_code_hash = ?',
                (now, interval, device_code_hash),
            )

    def decide(self, user_code: str, approved: bool, user_id: str, bap_id: str | None, auth_time: int | None) -> bool:
        """Approve or deny a pending request; False if it is no longer pending."""
        with self._engine.write() as conn:
            cur = conn.execute(
                "UPDATE device_code SET status = ?, user_id = ?, bap_id = ?, auth_time = ?"
                " WHERE user_code = ? AND status = 'pending'",
                ("approved" if approved else "denied", user_id, bap_id, auth_time, user_code),
            )
        return cur.rowcount == 1

    def consume(self, device_code_hash: str) -> bool:
        """Turn an approved request into tokens exactly once."""
        with self._engine.write() as conn:
            cur = conn.execute(
                "UPDATE device_code SET status = 'consumed' WHERE device_code_hash = ? AND status = 'approved'",
                (device_code_hash,),
            )
        return cur.rowcount == 1

    def purge_expired(self, before: float, limit: int) -> int:
        return purge_batch(self._engine, "device_code", "device_code_hash", "expires_at", before, limit)
