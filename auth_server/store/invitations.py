"""The ``invitation`` and ``admitted_identity`` tables: the ways into a server that is not open.

An invitation is found by the SHA-256 of its code (the code itself is shown once, when it
is made). Using one is a single conditional ``UPDATE``, so two keys racing for the last
use of a code get one success between them, on one instance or many.
"""

from __future__ import annotations

import json

from auth_server.store.engine import Engine
from auth_server.store.models import AdmittedIdentity, Invitation
from auth_server.store.users import new_id

_COLUMNS = 'id, groups, "usesLeft", uses, note, "expiresAt", "createdAt", "createdBy", "revokedAt"'


class InvitationRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, code_hash: str, groups: list[str], uses: int, note: str, expires_at: float, now: float,
               created_by: str) -> Invitation:
        invitation = Invitation(new_id()[:12], tuple(groups), uses, 0, note, expires_at, now, created_by, None)
        with self._engine.write() as conn:
            conn.execute(f'INSERT INTO invitation ("codeHash", {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                         (code_hash, invitation.id, json.dumps(groups), uses, 0, note, expires_at, now, created_by,
                          None))
        return invitation

    def get(self, invitation_id: str) -> Invitation | None:
        row = self._engine.conn.execute(f"SELECT {_COLUMNS} FROM invitation WHERE id = ?", (invitation_id,)).fetchone()
        return Invitation.from_row(row) if row else None

    def get_by_code_hash(self, code_hash: str) -> Invitation | None:
        row = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM invitation WHERE "codeHash" = ?',
                                        (code_hash,)).fetchone()
        return Invitation.from_row(row) if row else None

    def list(self) -> list[Invitation]:
        rows = self._engine.conn.execute(f'SELECT {_COLUMNS} FROM invitation ORDER BY "createdAt" DESC').fetchall()
        return [Invitation.from_row(r) for r in rows]

    def use(self, code_hash: str, now: float) -> Invitation | None:
        """Count one use of a live invitation and return it; None when it is unknown, used up,
        expired or revoked (nothing is counted then)."""
        with self._engine.write() as conn:
            row = conn.execute(
                'UPDATE invitation SET "usesLeft" = "usesLeft" - 1, uses = uses + 1 WHERE "codeHash" = ? '
                'AND "usesLeft" > 0 AND "expiresAt" > ? AND "revokedAt" IS NULL '
                f"RETURNING {_COLUMNS}", (code_hash, now)).fetchone()
        return Invitation.from_row(row) if row else None

    def revoke(self, invitation_id: str, now: float) -> bool:
        with self._engine.write() as conn:
            return conn.execute('UPDATE invitation SET "revokedAt" = ? WHERE id = ? AND "revokedAt" IS NULL',
                                (now, invitation_id)).rowcount == 1

    def admit(self, bap_id: str, name: str | None, groups: list[str], now: float) -> bool:
        """Let the BAP identity ``bap_id`` in ahead of its first sign-in; False if it already is."""
        with self._engine.write() as conn:
            return conn.execute('INSERT INTO admitted_identity ("bapId", name, groups, "createdAt") '
                                'VALUES (?, ?, ?, ?) ON CONFLICT ("bapId") DO NOTHING',
                                (bap_id, name, json.dumps(groups), now)).rowcount == 1

    def admitted(self, bap_id: str) -> AdmittedIdentity | None:
        row = self._engine.conn.execute('SELECT "bapId", name, groups, "createdAt" FROM admitted_identity '
                                        'WHERE "bapId" = ?', (bap_id,)).fetchone()
        return AdmittedIdentity(row["bapId"], row["name"], tuple(json.loads(row["groups"])),
                                row["createdAt"]) if row else None

    def list_admitted(self) -> list[AdmittedIdentity]:
        rows = self._engine.conn.execute('SELECT "bapId", name, groups, "createdAt" FROM admitted_identity '
                                         'ORDER BY "createdAt"').fetchall()
        return [AdmittedIdentity(r["bapId"], r["name"], tuple(json.loads(r["groups"])), r["createdAt"]) for r in rows]

    def take_admission(self, bap_id: str) -> AdmittedIdentity | None:
        """Remove and return the admission of ``bap_id`` (its first sign-in is making the account)."""
        with self._engine.write() as conn:
            row = conn.execute('DELETE FROM admitted_identity WHERE "bapId" = ? RETURNING "bapId", name, groups, '
                               '"createdAt"', (bap_id,)).fetchone()
        return AdmittedIdentity(row["bapId"], row["name"], tuple(json.loads(row["groups"])),
                                row["createdAt"]) if row else None

    def remove_admission(self, bap_id: str) -> bool:
        return self.take_admission(bap_id) is not None
