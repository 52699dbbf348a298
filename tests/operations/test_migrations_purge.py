"""Migrations on both engines (also two instances starting at once) and the background purge."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from auth_server.store import Store
from auth_server.store.migrations import MIGRATIONS, applied_versions
from auth_server.store.profiles import AVATAR_PATH
from auth_server.store.purge import CODE_GRACE_SECONDS, Purger, purge_tables
from tests.operations.test_repositories import make_code

DAY = 86400.0


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "fresh.db"
    return request.getfixturevalue("postgres_server").new_database(migrated=False)


def test_instances_starting_at_once_migrate_once(empty_target) -> None:
    barrier = threading.Barrier(4)
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            with Store.open(empty_target) as store:
                applied.append([m.version for m in store.migrate()])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Store.open(empty_target, migrate_now=False) as store:
        assert applied_versions(store.engine) == {m.version for m in MIGRATIONS}
        assert store.migrate() == []
        assert store.conn.execute("SELECT count(*) AS n FROM schema_version").fetchone()["n"] == len(MIGRATIONS)


def test_failed_migration_leaves_nothing(store: Store) -> None:
    from auth_server.store.migrations import Migration

    def broken(schema) -> None:
        schema.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.migrate([*MIGRATIONS, Migration(900, "broken", broken)])
    assert 900 not in applied_versions(store.engine)
    store.migrate([*MIGRATIONS, Migration(900, "works now", lambda s: s.execute("CREATE TABLE half_done (x INTEGER)"))])
    assert 900 in applied_versions(store.engine)


def test_purge_removes_only_expired_rows_in_batches(store: Store, clock) -> None:
    now = clock()
    user, _ = store.users.create("02" + "66" * 32, "Fay", now)
    for i in range(25):
        store.replay.claim(f"old{i}", now - 1)
        store.sessions.create(user.id, now - 100, now - 1)
    store.replay.claim("live", now + 100)
    live_token, _ = store.sessions.create(user.id, now, now + 100)
    store.challenges.issue(now - 200, now - 80)
    live_nonce = store.challenges.issue(now, now + 120)
    store.rate_limits.hit("ip:old", 5, 10.0, now - 20)
    store.oauth.codes.add(make_code("stale", user.id, now - CODE_GRACE_SECONDS - 100))
    store.oauth.codes.add(make_code("recent", user.id, now - 100))  # expired, but inside the grace

    # pictures: shown by a user, shown by nobody for a day, shown by nobody since a moment ago
    for name, made in (("shown", now - 2 * DAY), ("orphan", now - 2 * DAY), ("fresh", now - 60)):
        store.avatars.put(name, "source-" + name, "image/png", b"png", made)
    with store.write() as conn:
        conn.execute('UPDATE "user" SET image = ? WHERE id = ?', (AVATAR_PATH + "shown", user.id))

    counts = purge_tables(store, now, batch=10)
    assert counts == {"replay_guard": 25, "sigma_challenge": 1, "session": 25, "rate_limit": 1,
                      "device_code": 0, "oauth_code": 1, "oauth_token": 0, "audit_log": 0, "avatar": 1}
    assert [name for name in ("shown", "orphan", "fresh") if store.avatars.get(name)] == ["shown", "fresh"]
    assert not store.replay.claim("live", now + 100)
    assert store.sessions.get_by_token(live_token, now) is not None
    assert store.challenges.consume(live_nonce, now)
    assert store.oauth.codes.get("recent") is not None and store.oauth.codes.get("stale") is None
    assert purge_tables(store, now, batch=10) == dict.fromkeys(counts, 0)


def test_purger_thread_runs_in_the_background(store: Store, clock) -> None:
    store.replay.claim("old", clock() - 1)
    purger = Purger(store, clock, interval=0.05).start()
    try:
        for _ in range(100):
            if store.conn.execute("SELECT count(*) AS n FROM replay_guard").fetchone()["n"] == 0:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the purger did not remove the expired claim")
    finally:
        purger.stop()


def test_a_database_at_the_previous_head_gets_profiles_in_place(empty_target) -> None:
    """Issue 24's migrations (6, 7, 111) on a database made at the head before them: every user
    and client kept, each user given a unique handle (two BAP IDs that lowercase alike too)."""
    with Store.open(empty_target, migrate_now=False) as store:
        store.migrate([m for m in MIGRATIONS if m.version not in (6, 7, 8, 109, 111)])
        with store.write() as conn:
            for i, bap in enumerate(["AbcDef123", "abcdef123", None]):
                conn.execute('INSERT INTO "user" (id, pubkey, name, "emailVerified", "bapId", "createdAt", '
                             '"updatedAt") VALUES (?, ?, ?, 0, ?, ?, ?)',
                             (f"u{i}", f"02{i:02d}" + "ab" * 31, f"User {i}", bap, float(i), float(i)))
            conn.execute("INSERT INTO oauth_client (client_id, name, redirect_uris, member_pubkey, created_at) "
                         "VALUES (?, ?, ?, ?, ?)", ("app", "App", '["https://app.example/cb"]', "", 1.0))
        assert [m.version for m in store.migrate()] == [6, 7, 8, 109, 111]
        handles = [store.users.get(f"u{i}").username for i in range(3)]
        assert handles == ["abcdef123", "abcdef123-2", "key-02" + "ab" * 7]
        assert store.users.count() == 3 and store.users.get("u0").name == "User 0"
        assert store.oauth.clients.get("app").name == "App"
        assert store.profile_shares.shares("u0", "app")  # no choice recorded: shared


def test_a_database_of_the_previous_release_gets_the_new_migrations(empty_target) -> None:
    with Store.open(empty_target, migrate_now=False) as store:
        store.migrate([m for m in MIGRATIONS if m.version in (1, 100, 101)])  # what 0.1 shipped
        with store.write() as conn:  # 0.1's own statement: today's code reads columns 0.1 lacked
            conn.execute('INSERT INTO "user" (id, pubkey, name, "emailVerified", "createdAt", "updatedAt") '
                         "VALUES (?, ?, ?, 0, ?, ?)", ("u1", "02" + "99" * 32, "Ida", 1.0, 1.0))
        assert [m.version for m in store.migrate()] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112]
        user = store.users.get("u1")
        assert user is not None and (user.name, user.disabled, user.created_at) == ("Ida", False, 1.0)
        assert user.username == "key-" + "99" * 8 and user.profile_name is None  # a handle, in place
        assert [g.name for g in store.groups.list()] == ["admin"]
        assert store.rate_limits.hit("ip:x", 1, 60.0, 1.0) is None


def test_a_round_out_of_time_stops_between_batches_and_says_a_backlog_is_left(store: Store, clock) -> None:
    """A round ends on time (the purger then goes on at once instead of a minute later, so a
    backlog such as a day of sessions expiring together is worked off at the purge's rate)."""
    from auth_server.store.purge import purge_round

    now = clock()
    user, _ = store.users.create("02" + "67" * 32, "Gil", now)
    for i in range(25):
        store.replay.claim(f"old{i}", now - 1)
        store.sessions.create(user.id, now - 100, now - 1)
    counts, clear = purge_round(store, now, batch=10, budget=0.0)
    assert (counts["replay_guard"], counts["session"], clear) == (10, 0, False)  # out of time after one batch
    counts, clear = purge_round(store, now, batch=10, budget=60.0)
    assert (counts["replay_guard"], counts["session"], clear) == (15, 25, True)


def test_a_purge_passes_over_rows_another_purge_holds_instead_of_waiting_or_deadlocking(store: Store, clock) -> None:
    """Every worker of every instance purges; on PostgreSQL two purges that picked overlapping
    batches deadlocked, and one that waits for the other's rows would only find them gone."""
    if store.engine.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: purges cannot overlap")
    now = clock()
    for i in range(10):
        store.replay.claim(f"old{i}", now - 1)
    with store.write() as held:  # another purge's transaction, holding its batch of five
        held.execute('SELECT key FROM replay_guard WHERE "expiresAt" <= ? ORDER BY key LIMIT 5 FOR UPDATE', (now,))
        done: list[int] = []
        other = threading.Thread(target=lambda: done.append(store.replay.purge_expired(now, 10)))
        other.start()
        other.join(5)
        assert done == [5], "the purge waited for rows another purge holds"
    assert store.replay.purge_expired(now, 10) == 5  # the held ones, once let go


def test_locking_someone_out_reads_only_their_rows(tmp_path) -> None:
    """Migrations 8 and 109: the statements that revoke a user's tokens and find a user by BAP ID
    use an index (SQLite's plan), so disabling a user does not scan every token on the server."""
    with Store.open(str(tmp_path / "plans.db")) as store:
        conn = store.engine.conn
        plans = {
            "UPDATE oauth_access_token SET revoked = 1 WHERE user_id = ? AND revoked = 0": "idx_access_token_user",
            "UPDATE oauth_refresh_token SET revoked = 1 WHERE user_id = ? AND client_id = ?": "idx_refresh_token_user",
            "DELETE FROM oauth_code WHERE user_id = ? AND client_id = ? AND used_at IS NULL": "idx_oauth_code_user",
            'SELECT id FROM "user" WHERE "bapId" = ?': "idx_user_bap_id",
        }
        for statement, index in plans.items():
            params = ("x", "y")[: statement.count("?")]
            plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall())
            assert index in plan, (statement, plan)
