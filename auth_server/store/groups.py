"""The ``user_group`` and ``user_group_member`` tables: named groups and who is in them."""

from __future__ import annotations

from auth_server.store.engine import Engine
from auth_server.store.models import Group


class GroupRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, name: str, description: str, now: float) -> bool:
        """Make the group; False when one of that name exists."""
        with self._engine.write() as conn:
            return conn.execute('INSERT INTO user_group (name, description, "createdAt") VALUES (?, ?, ?) '
                                "ON CONFLICT (name) DO NOTHING", (name, description, now)).rowcount == 1

    def get(self, name: str) -> Group | None:
        row = self._engine.conn.execute(
            'SELECT g.name, g.description, g."createdAt", (SELECT count(*) FROM user_group_member m '
            'WHERE m."group" = g.name) AS members FROM user_group g WHERE g.name = ?', (name,)).fetchone()
        return Group(row["name"], row["description"], row["createdAt"], row["members"]) if row else None

    def list(self) -> list[Group]:
        rows = self._engine.conn.execute(
            'SELECT g.name, g.description, g."createdAt", count(m."userId") AS members FROM user_group g '
            'LEFT JOIN user_group_member m ON m."group" = g.name '
            'GROUP BY g.name, g.description, g."createdAt" ORDER BY g.name').fetchall()
        return [Group(r["name"], r["description"], r["createdAt"], r["members"]) for r in rows]

    def remove(self, name: str) -> bool:
        """Delete the group; its memberships go with it (foreign key)."""
        with self._engine.write() as conn:
            return conn.execute("DELETE FROM user_group WHERE name = ?", (name,)).rowcount == 1

    def existing(self, names: list[str] | tuple[str, ...]) -> set[str]:
        """Those of ``names`` that are groups."""
        if not names:
            return set()
        marks = ", ".join("?" for _ in names)
        rows = self._engine.conn.execute(f"SELECT name FROM user_group WHERE name IN ({marks})", tuple(names))
        return {r["name"] for r in rows.fetchall()}

    def of_user(self, user_id: str) -> list[str]:
        """The user's groups, sorted (what the ``groups`` claim carries)."""
        rows = self._engine.conn.execute('SELECT "group" FROM user_group_member WHERE "userId" = ? ORDER BY "group"',
                                         (user_id,)).fetchall()
        return [r["group"] for r in rows]

    def join(self, user_id: str, names: list[str] | tuple[str, ...], now: float) -> list[str]:
        """Put the user in each of ``names`` (groups that exist); the ones added now."""
        added = []
        with self._engine.write() as conn:
            for name in names:
                if conn.execute('INSERT INTO user_group_member ("userId", "group", "addedAt") '
                                'SELECT ?, name, ? FROM user_group WHERE name = ? '
                                'ON CONFLICT ("userId", "group") DO NOTHING', (user_id, now, name)).rowcount == 1:
                    added.append(name)
        return added

    def leave(self, user_id: str, names: list[str] | tuple[str, ...]) -> list[str]:
        """Take the user out of each of ``names``; the ones removed now."""
        removed = []
        with self._engine.write() as conn:
            for name in names:
                if conn.execute('DELETE FROM user_group_member WHERE "userId" = ? AND "group" = ?',
                                (user_id, name)).rowcount == 1:
                    removed.append(name)
        return removed
