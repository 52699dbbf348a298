"""A sign-in's writes (auth_server/store/signins.py) on both engines: on PostgreSQL one call
of ``sigil_sign_in``, on SQLite the repositories' statements; the same rules either way,
also when threads on two store instances (two server instances) race."""

from __future__ import annotations

import dataclasses

import pytest

from auth_server.store.signins import SignInRecord, SignInRefused
from auth_server.store.users import new_id
from tests.operations.test_races import THREADS, race

PUBKEY = "02" + "ab" * 32


def record(clock, *, key: str = "token-1", pubkey: str = PUBKEY, user=None, challenge: str | None = None,
           bap_id: str | None = "bap-1") -> SignInRecord:
    now = clock()
    return SignInRecord(now=now, replay_key=key, replay_expires_at=now + 300, challenge=challenge, pubkey=pubkey,
                        user=user, new_user_id=new_id(), new_user_name="1Addr", bap_id=bap_id,
                        session_expires_at=now + 86400, ip_address="192.0.2.1", user_agent="ua",
                        subscription=False)


def test_a_first_sign_in_makes_the_user_and_the_session(store, clock) -> None:
    user, session = store.signins.record(record(clock), "raw-session-token")
    assert (user.pubkey, user.name, user.bap_id) == (PUBKEY, "1Addr", "bap-1")
    assert store.users.get_by_pubkey(PUBKEY) == user
    stored = store.sessions.get_by_token("raw-session-token", clock())
    assert stored == session and (stored.user_id, stored.ip_address, stored.bap_id) == (user.id, "192.0.2.1", "bap-1")


def test_a_returning_user_keeps_its_id_and_gets_its_new_bap_id(store, clock) -> None:
    user, _ = store.signins.record(record(clock), "t1")
    again, _ = store.signins.record(record(clock, key="token-2", user=user, bap_id="bap-2"), "t2")
    assert again.id == user.id and again.bap_id == "bap-2"
    assert store.users.get(user.id).bap_id == "bap-2"


def test_a_replayed_token_writes_nothing(store, clock) -> None:
    store.signins.record(record(clock), "t1")
    with pytest.raises(SignInRefused) as refused:
        store.signins.record(record(clock, pubkey="02" + "cd" * 32), "t2")
    assert refused.value.reason == "replayed"
    assert store.users.get_by_pubkey("02" + "cd" * 32) is None and store.sessions.get_by_token("t2", clock()) is None


def test_a_bad_challenge_rolls_back_the_claim(store, clock) -> None:
    with pytest.raises(SignInRefused) as refused:
        store.signins.record(record(clock, challenge="never-issued"), "t1")
    assert refused.value.reason == "invalid_challenge"
    assert store.users.count() == 0
    nonce = store.challenges.issue(clock(), clock() + 60)
    store.signins.record(record(clock, challenge=nonce), "t2")  # the token was not spent by the refusal
    with pytest.raises(SignInRefused):
        store.signins.record(record(clock, key="token-3", challenge=nonce), "t3")  # the challenge was


def test_racing_first_sign_ins_of_one_key_on_two_instances_make_one_user(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    results = race(stores, lambda s, i: s.signins.record(record(clock, key=f"token-{i}"), f"session-{i}"))
    assert len({user.id for user, _ in results}) == 1
    assert stores[0].users.count() == 1
    assert all(stores[1].sessions.get_by_token(f"session-{i}", clock()) for i in range(THREADS))


def test_one_token_racing_on_two_instances_signs_in_once(open_store, clock) -> None:
    stores = [open_store(), open_store()]

    def attempt(store, i):
        try:
            return store.signins.record(dataclasses.replace(record(clock), pubkey=f"02{i:064x}"), f"s-{i}")
        except SignInRefused:
            return None

    results = race(stores, attempt)
    assert len([r for r in results if r is not None]) == 1
    assert stores[0].users.count() == 1


def found(clock, **kwargs) -> SignInRecord:
    """A sign-in that did not look its user up first (``find_user``: PostgreSQL's one call)."""
    return dataclasses.replace(record(clock, **kwargs), find_user=True, username_base="base-handle")


def test_a_sign_in_that_did_not_look_finds_the_returning_user(store, clock) -> None:
    user, _ = store.signins.record(found(clock), "t1")
    assert user.username == "base-handle"
    again, session = store.signins.record(found(clock, key="token-2", bap_id="bap-2"), "t2")
    assert (again.id, again.username, again.bap_id, again.name) == (user.id, "base-handle", "bap-2", "1Addr")
    assert store.users.count() == 1 and session.user_id == user.id


def test_a_found_user_with_a_handle_changes_it_only_to_the_one_asked_for(store, clock) -> None:
    user, _ = store.signins.record(found(clock), "t1")
    other, _ = store.signins.record(dataclasses.replace(found(clock, key="k2", pubkey="02" + "cd" * 32),
                                                         username_base="taken"), "t2")
    kept, _ = store.signins.record(dataclasses.replace(found(clock, key="k3"), username_base="elsewhere"), "t3")
    assert kept.username == "base-handle"  # a default handle never replaces the one the user has
    refused, _ = store.signins.record(dataclasses.replace(found(clock, key="k4"), handle="taken"), "t4")
    assert refused.username == "base-handle"  # another user's handle
    renamed, _ = store.signins.record(dataclasses.replace(found(clock, key="k5"), handle="alice"), "t5")
    assert renamed.username == "alice" and other.username == "taken"


def test_a_found_user_who_is_disabled_is_refused_and_nothing_is_spent(store, clock) -> None:
    user, _ = store.signins.record(found(clock), "t1")
    store.users.set_disabled(user.id, True, clock())
    with pytest.raises(SignInRefused) as refused:
        store.signins.record(found(clock, key="token-2"), "t2")
    assert refused.value.reason == "disabled"
    assert store.sessions.get_by_token("t2", clock()) is None
    store.users.set_disabled(user.id, False, clock())
    store.signins.record(found(clock, key="token-2"), "t2")  # the refusal did not spend the token


def test_a_closed_server_finds_its_users_and_refuses_unknown_keys(store, clock) -> None:
    """Without a lookup first, admission is decided on the user found: a known key needs none,
    an unknown key needs its admission, which it takes (name and groups) as the user is made."""
    store.groups.add("staff", "", clock())
    closed = dict(admission_required=True)
    with pytest.raises(SignInRefused) as refused:
        store.signins.record(dataclasses.replace(found(clock), **closed, admitted_bap_id="bap-1"), "t1")
    assert refused.value.reason == "not_admitted" and store.users.count() == 0
    store.invitations.admit("bap-1", "Alice", ["staff"], clock())
    user, _ = store.signins.record(dataclasses.replace(found(clock), **closed, admitted_bap_id="bap-1"), "t1")
    assert user.name == "Alice" and store.groups.of_user(user.id) == ["staff"]
    again, _ = store.signins.record(dataclasses.replace(found(clock, key="k2"), **closed, admitted_bap_id="bap-1"),
                                    "t2")
    assert again.id == user.id  # a known key needs no admission (the first was spent)


def test_racing_first_sign_ins_that_did_not_look_make_one_user(open_store, clock) -> None:
    stores = [open_store(), open_store()]
    results = race(stores, lambda s, i: s.signins.record(found(clock, key=f"token-{i}"), f"session-{i}"))
    assert len({user.id for user, _ in results}) == 1 and stores[0].users.count() == 1
