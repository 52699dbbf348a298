"""The repository interface behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from auth_server.store.codes import Redemption
from auth_server.store.models import AuthorizationCode, DeviceAuthorization, IssuedToken, OAuthClient
from auth_server.store import Store
from auth_server.store.hashing import hash_secret


def make_client(client_id: str = "app", now: float = 1.0) -> OAuthClient:
    return OAuthClient(client_id, "App", ("https://app.example/cb",), "02" + "ab" * 32, None, False, False, now)


def make_code(code_hash: str, user_id: str, now: float) -> AuthorizationCode:
    return AuthorizationCode(code_hash, "app", user_id, None, "https://app.example/cb", "openid", "c" * 43,
                             None, int(now), "family-" + code_hash, now + 60, None)


def make_token(token_hash: str, family: str, now: float, *, refresh: bool = False) -> IssuedToken:
    return IssuedToken(token_hash, family, "app", "u1", None, "openid", now, now + 3600, False,
                       auth_time=int(now) if refresh else None)


def test_users_one_per_pubkey_and_updates(store: Store, clock) -> None:
    user, created = store.users.create("02" + "11" * 32, "Alice", clock(), bap_id="bap1")
    again, created_again = store.users.create("02" + "11" * 32, "Other", clock())
    assert created and not created_again and again == user
    assert store.users.get(user.id) == user == store.users.get_by_pubkey(user.pubkey)
    updated = store.users.update(user.id, clock() + 5, email="a@example.com", subscription_tier="pro")
    assert updated is not None and updated.email == "a@example.com" and updated.subscription_tier == "pro"
    assert updated.updated_at == clock() + 5
    assert store.users.count() == 1 and store.users.list() == [updated]
    with pytest.raises(TypeError):
        store.users.update(user.id, clock(), pubkey="x")


def test_times_keep_full_precision(store: Store, clock) -> None:
    """Unix seconds with a fraction survive the round trip (PostgreSQL's REAL is only 4 bytes)."""
    user, _ = store.users.create("02" + "22" * 32, "Bob", 1_800_000_000.123456)
    assert store.users.get(user.id).created_at == 1_800_000_000.123456


def test_sessions_by_token_hash_expiry_and_revocation(store: Store, clock) -> None:
    user, _ = store.users.create("02" + "33" * 32, "Carol", clock())
    token, session = store.sessions.create(user.id, clock(), clock() + 100, ip_address="10.0.0.1", user_agent="ua")
    assert store.sessions.get_by_token(token, clock()) == session
    assert store.sessions.get_by_token(token, clock() + 100) is None  # expired
    assert store.sessions.get_by_token(hash_secret(token), clock()) is None  # the hash is no token
    assert store.sessions.list_for_user(user.id, clock()) == [session]
    assert not store.sessions.revoke(session.id, user_id="someone-else")
    assert store.sessions.revoke(session.id, user_id=user.id)
    token2, _ = store.sessions.create(user.id, clock(), clock() + 100)
    assert store.sessions.revoke_token(token2) and not store.sessions.revoke_token(token2)
    store.sessions.create(user.id, clock(), clock() + 100)
    store.sessions.create(user.id, clock(), clock() + 100)
    assert store.sessions.count_live(clock()) == 2 and store.sessions.count_live(clock() + 100) == 0
    assert store.sessions.revoke_all_for_user(user.id) == 2


def test_replay_claim_once_until_expiry(store: Store, clock) -> None:
    assert store.replay.claim("k", clock() + 10)
    assert not store.replay.claim("k", clock() + 10)
    clock.now += 10
    assert store.replay.claim("k", clock() + 10)  # an expired claim may be taken over


def test_challenges_consumed_once_and_expire(store: Store, clock) -> None:
    nonce = store.challenges.issue(clock(), clock() + 120)
    assert store.challenges.consume(nonce, clock())
    assert not store.challenges.consume(nonce, clock())
    late = store.challenges.issue(clock(), clock() + 120)
    assert not store.challenges.consume(late, clock() + 120)
    assert not store.challenges.consume("unknown", clock())


def test_clients_add_list_disable_remove(store: Store, clock) -> None:
    client = make_client(now=clock())
    store.oauth.clients.add(client)
    assert store.oauth.clients.get("app") == client and store.oauth.clients.list() == [client]
    assert store.oauth.clients.count() == 1
    assert store.oauth.clients.set_disabled("app")
    assert store.oauth.clients.get("app").disabled
    store.oauth.codes.add(make_code("h1", "u1", clock()))
    assert store.oauth.clients.remove("app") and not store.oauth.clients.remove("app")
    assert store.oauth.clients.count() == 0
    assert store.oauth.codes.get("h1") is None  # what was issued to it went with it


def redemption(code_hash: str, access: str, refresh: str, now: float, *, when: float | None = None,
               **changes: object) -> Redemption:
    """Redeeming ``make_code(code_hash, ...)`` as its client would (``c`` * 43 is its challenge)."""
    fields: dict[str, object] = dict(code_hash=code_hash, client_id="app", now=now if when is None else when, redirect_uri="https://app.example/cb",
                                     code_challenge="c" * 43, access_hash=access, access_expires_at=now + 3600,
                                     refresh_hash=refresh, refresh_expires_at=now + 7200)
    return Redemption(**{**fields, **changes})  # type: ignore[arg-type]


def test_code_redeemed_once_with_its_tokens(store: Store, clock) -> None:
    store.users.create("02" + "11" * 32, "Alice", clock(), user_id="u1")
    store.oauth.codes.add(make_code("code", "u1", clock()))
    first = store.oauth.codes.redeem(redemption("code", "a1", "r1", clock(), always_refresh=True))
    assert first.status == "ok" and first.refresh and first.code is not None and first.code.scope == "openid"
    assert first.profile is not None and first.profile.user.id == "u1" and first.profile.groups == ()
    assert store.oauth.codes.redeem(redemption("code", "a2", "r2", clock())).status == "used"
    assert store.oauth.codes.get("code").used_at == clock()
    assert store.oauth.tokens.get_access("a1").family_id == "family-code"
    assert store.oauth.tokens.get_refresh("r1").auth_time == int(clock())
    assert store.oauth.tokens.get_access("a2") is None  # the loser stored nothing...
    assert store.oauth.tokens.get_access("a1").revoked  # ...and the winner's tokens are revoked


def test_code_redemption_refusals_store_nothing(store: Store, clock) -> None:
    store.users.create("02" + "11" * 32, "Alice", clock(), user_id="u1")
    store.oauth.codes.add(make_code("code", "u1", clock()))
    assert store.oauth.codes.redeem(redemption("nope", "a1", "r1", clock())).status == "unknown"
    for status, changes in [("unknown", {"client_id": "other"}),
                            ("redirect_uri", {"redirect_uri": "https://app.example/other"}),
                            ("pkce", {"code_challenge": None}), ("pkce", {"code_challenge": "d" * 43}),
                            ("not_in_group", {"allowed_groups": ("staff",)}),
                            ("expired", {"when": clock() + 61})]:
        assert store.oauth.codes.redeem(redemption("code", "a1", "r1", clock(), **changes)).status == status
    assert store.oauth.tokens.get_access("a1") is None and store.oauth.codes.get("code").used_at is None
    store.groups.add("staff", "", clock())
    store.groups.join("u1", ["staff"], clock())
    store.users.set_disabled("u1", True, clock())
    assert store.oauth.codes.redeem(redemption("code", "a1", "r1", clock())).status == "user_gone"
    store.users.set_disabled("u1", False, clock())
    ok = store.oauth.codes.redeem(redemption("code", "a1", "r1", clock(), allowed_groups=("staff",)))
    assert ok.status == "ok" and not ok.refresh and ok.profile.groups == ("staff",)
    assert store.oauth.tokens.get_refresh("r1") is None  # no offline_access: no refresh token


def test_token_found_with_its_user_in_one_read(store: Store, clock) -> None:
    store.users.create("02" + "11" * 32, "Alice", clock(), user_id="u1")
    store.oauth.tokens.add_tokens(make_token("a1", "f", clock()), make_token("r1", "f", clock(), refresh=True))
    access, refresh = store.oauth.tokens.find("a1"), store.oauth.tokens.find("r1", "refresh_token")
    assert access.kind == "access_token" and access.token == store.oauth.tokens.get_access("a1")
    assert refresh.kind == "refresh_token" and refresh.token == store.oauth.tokens.get_refresh("r1")
    assert access.profile.user == store.users.get("u1") and store.oauth.tokens.find("r2") is None


def test_refresh_rotation_and_family_revocation(store: Store, clock) -> None:
    store.oauth.tokens.add_tokens(make_token("a1", "fam", clock()), make_token("r1", "fam", clock(), refresh=True))
    assert store.oauth.tokens.rotate_refresh("r1", make_token("a2", "fam", clock()),
                                             make_token("r2", "fam", clock(), refresh=True))
    assert not store.oauth.tokens.rotate_refresh("r1", make_token("a3", "fam", clock()),
                                                 make_token("r3", "fam", clock(), refresh=True))
    assert store.oauth.tokens.get_refresh("r1").rotated
    store.oauth.tokens.revoke_family("fam")
    assert store.oauth.tokens.get_access("a2").revoked and store.oauth.tokens.get_refresh("r2").revoked
    assert not store.oauth.tokens.revoke_access("a1", "other-client")
    assert store.oauth.tokens.revoke_access("a1", "app")


def test_consent_widens(store: Store, clock) -> None:
    assert store.oauth.consents.get("u1", "app") is None
    store.oauth.consents.grant("u1", "app", "openid profile", None, clock())
    store.oauth.consents.grant("u1", "app", "openid email", "bap", clock())
    assert store.oauth.consents.get("u1", "app") == "openid profile email"


def test_device_request_lifecycle(store: Store, clock) -> None:
    request = DeviceAuthorization("dh", "BCDF-GHJK", "app", "openid", "pending", None, None, None, 5, None,
                                  clock() + 600, clock())
    store.oauth.devices.add(request)
    assert store.oauth.devices.get("dh") == request == store.oauth.devices.get_by_user_code("BCDF-GHJK")
    store.oauth.devices.record_poll("dh", clock() + 1, 10)
    assert store.oauth.devices.get("dh").interval == 10
    assert not store.oauth.devices.consume("dh")  # not approved yet
    assert store.oauth.devices.decide("BCDF-GHJK", True, "u1", None, int(clock()))
    assert not store.oauth.devices.decide("BCDF-GHJK", False, "u1", None, int(clock()))
    assert store.oauth.devices.consume("dh") and not store.oauth.devices.consume("dh")


def test_write_is_one_transaction(store: Store, clock) -> None:
    """A failure inside ``store.write()`` undoes every repository call made in it."""
    with pytest.raises(RuntimeError), store.write():
        store.replay.claim("in-tx", clock() + 10)
        store.users.create("02" + "44" * 32, "Dave", clock())
        raise RuntimeError("refused later")
    assert store.users.count() == 0
    assert store.replay.claim("in-tx", clock() + 10)


def test_health_statement(store: Store) -> None:
    assert store.conn.execute("SELECT 1 AS ok").fetchone() is not None
