"""Single use holds when many threads on two store instances race for one credential.

Each test opens two :class:`Store` objects on one database (two server instances) and
lets THREADS threads, spread over both, try the same thing behind a barrier: exactly one
may win, and nothing the losers tried may be left behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from auth_server.store.models import DeviceAuthorization
from auth_server.store import Store
from tests.operations.test_repositories import make_code, make_token, redemption

THREADS = 16


def race(stores: list[Store], attempt: Callable[[Store, int], object]) -> list[object]:
    barrier = threading.Barrier(THREADS)

    def one(index: int) -> object:
        store = stores[index % len(stores)]
        barrier.wait()
        return attempt(store, index)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def test_replay_key_claimed_once(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    results = race(stores, lambda s, i: s.replay.claim("same-token", clock() + 300))
    assert results.count(True) == 1


def test_code_redeemed_once(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    stores[0].users.create("02" + "11" * 32, "Alice", clock(), user_id="u1")
    stores[0].oauth.codes.add(make_code("code", "u1", clock()))
    results = [r.status for r in race(stores, lambda s, i: s.oauth.codes.redeem(
        redemption("code", f"a{i}", f"r{i}", clock())))]
    assert results.count("ok") == 1 and results.count("used") == THREADS - 1
    winner = results.index("ok")
    for i in range(THREADS):
        assert (stores[0].oauth.tokens.get_access(f"a{i}") is not None) == (i == winner)
    assert stores[0].oauth.tokens.get_access(f"a{winner}").revoked  # the replays revoked the family


def test_refresh_rotated_once(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    stores[1].oauth.tokens.add_tokens(make_token("a0", "fam", clock()), make_token("r0", "fam", clock(), refresh=True))
    results = race(stores, lambda s, i: s.oauth.tokens.rotate_refresh(
        "r0", make_token(f"a{i + 1}", "fam", clock()), make_token(f"r{i + 1}", "fam", clock(), refresh=True)))
    assert results.count(True) == 1
    survivors = [i for i in range(1, THREADS + 1) if stores[0].oauth.tokens.get_refresh(f"r{i}") is not None]
    assert len(survivors) == 1


def test_challenge_consumed_once(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    nonce = stores[0].challenges.issue(clock(), clock() + 120)
    assert race(stores, lambda s, i: s.challenges.consume(nonce, clock())).count(True) == 1


def test_device_code_consumed_once(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    stores[0].oauth.devices.add(DeviceAuthorization("dh", "BCDF-GHJK", "app", "openid", "pending", None, None,
                                                    None, 5, None, clock() + 600, clock()))
    assert race(stores, lambda s, i: s.oauth.devices.decide("BCDF-GHJK", i % 2 == 0, "u1", None, 1)).count(True) == 1
    assert stores[1].oauth.devices.get("dh").status in ("approved", "denied")
    stores[0].oauth.devices.add(DeviceAuthorization("dh2", "BCDF-GHJL", "app", "openid", "pending", None, None,
                                                    None, 5, None, clock() + 600, clock()))
    stores[0].oauth.devices.decide("BCDF-GHJL", True, "u1", None, 1)
    assert race(stores, lambda s, i: s.oauth.devices.consume("dh2")).count(True) == 1


def test_first_sign_ins_make_one_user(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    results = race(stores, lambda s, i: s.users.create("02" + "55" * 32, "Eve", clock()))
    assert [created for _, created in results].count(True) == 1
    assert len({user.id for user, _ in results}) == 1
    assert stores[0].users.count() == 1


def test_consents_from_two_instances_keep_both_scopes(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    race(stores, lambda s, i: s.oauth.consents.grant("u1", "app", f"openid s{i}", None, clock()))
    granted = set(stores[0].oauth.consents.get("u1", "app").split())
    assert granted == {"openid", *(f"s{i}" for i in range(THREADS))}


def test_rate_limit_counts_every_instance(open_store, clock) -> None:
    """Shared counters: 16 hits on one key from two instances, a limit of 5: five pass."""
    stores = [open_store(), open_store()]
    results = race(stores, lambda s, i: s.rate_limits.hit("ip:203.0.113.9", 5, 60.0, clock()))
    assert results.count(None) == 5
    assert all(0 < wait <= 60.0 for wait in results if wait is not None)
