"""Profile pictures the server re-encoded (``avatar``) and each user's choice, per app, to share
their name and picture with it (``profile_share``).

An avatar row is written once per image (its id is derived from its bytes, ``INSERT ... ON
CONFLICT DO NOTHING``) and found again by the hash of the data URL it came from, so a signer
sending the same picture at every sign-in costs one indexed read, not a decode. The bytes are
kept as base64 text: one column type both engines and ``sigil-server db copy`` treat alike.
A picture no user shows any more (its user changed it, or was deleted) is purged a day after
it was made (:meth:`AvatarRepository.purge_unused`).
"""

from __future__ import annotations

import base64

from auth_server.store.engine import Engine, skip_locked

#: a picture is kept at least this long after it was made, shown or not
UNUSED_AVATAR_GRACE_SECONDS = 86400.0

#: where a stored avatar is served; ``user.image`` holds this path for an inline picture
AVATAR_PATH = "/api/auth/avatar/"


class AvatarRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def id_for_source(self, source_hash: str) -> str | None:
        """The id of the image made from the data URL with this hash, if the store has it."""
        row = self._engine.conn.execute('SELECT id FROM avatar WHERE "sourceHash" = ?', (source_hash,)).fetchone()
        return row["id"] if row else None

    def put(self, avatar_id: str, source_hash: str, content_type: str, data: bytes, now: float) -> None:
        """Store an image (nothing happens when the same image, or the same source, is there)."""
        with self._engine.write() as conn:
            conn.execute('INSERT INTO avatar (id, "sourceHash", "contentType", data, "createdAt") '
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         (avatar_id, source_hash, content_type, base64.b64encode(data).decode(), now))

    def purge_unused(self, made_before: float, limit: int) -> int:
        """Delete up to ``limit`` pictures made before ``made_before`` that no user's ``image``
        names. (A sign-in that found one by its source just before is shown no picture until
        the signer sends it again, which makes it anew.)"""
        with self._engine.write() as conn:
            return conn.execute(
                'DELETE FROM avatar WHERE id IN (SELECT a.id FROM avatar a WHERE a."createdAt" <= ? AND NOT EXISTS'
                f' (SELECT 1 FROM "user" u WHERE u.image = ? || a.id) LIMIT ?{skip_locked(self._engine)})',
                (made_before, AVATAR_PATH, limit)).rowcount

    def get(self, avatar_id: str) -> tuple[str, bytes] | None:
        """``(content type, bytes)`` of a stored image, None for an unknown id."""
        row = self._engine.conn.execute('SELECT "contentType", data FROM avatar WHERE id = ?',
                                        (avatar_id,)).fetchone()
        return (row["contentType"], base64.b64decode(row["data"])) if row else None


class ProfileShareRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def set(self, user_id: str, client_id: str, share: bool, now: float) -> None:
        """Record the user's choice for the app (the newest signed choice wins)."""
        with self._engine.write() as conn:
            conn.execute('INSERT INTO profile_share ("userId", "clientId", share, "updatedAt") VALUES (?, ?, ?, ?) '
                         'ON CONFLICT ("userId", "clientId") DO UPDATE SET share = excluded.share, '
                         '"updatedAt" = excluded."updatedAt"', (user_id, client_id, int(share), now))

    def shares(self, user_id: str, client_id: str) -> bool:
        """Whether the user shares their name and picture with the app: yes unless they said no."""
        row = self._engine.conn.execute('SELECT share FROM profile_share WHERE "userId" = ? AND "clientId" = ?',
                                        (user_id, client_id)).fetchone()
        return True if row is None else bool(row["share"])
