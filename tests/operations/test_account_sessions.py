"""The account page's session rules (auth_server/account.py) on SQLite and a real PostgreSQL:
a user's live sessions only, this one first; ending one only when it is the user's own, and
on another instance of the same database at once."""

from __future__ import annotations

from collections.abc import Callable

from auth_server.account import Ended, account_sessions, end_session, sign_out
from auth_server.sessions import session_for_tokens
from auth_server.store import Store

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def signed_in(store: Store, user_id: str, now: float, **kw):
    token, _ = store.sessions.create(user_id, now, now + 3600, **kw)
    return token, session_for_tokens(store, [("cookie", token)], now)


def test_a_users_live_sessions_this_one_first(store: Store, clock) -> None:
    alice, _ = store.users.create("02" + "a1" * 32, "Alice", clock())
    bob, _ = store.users.create("02" + "b1" * 32, "Bob", clock())
    _, old = signed_in(store, alice.id, clock() - 50, user_agent=UA, ip_address="10.0.0.1")
    store.sessions.create(alice.id, clock() - 7200, clock() - 1)  # expired
    _, here = signed_in(store, alice.id, clock() - 100)
    _, newer = signed_in(store, alice.id, clock() - 10)
    signed_in(store, bob.id, clock())
    rows = account_sessions(store, here, clock())
    assert [r.id for r in rows] == [here.session.id, newer.session.id, old.session.id]
    assert [r.current for r in rows] == [True, False, False]
    assert rows[2].device == "Firefox 128 on Linux" and rows[2].session.ip_address == "10.0.0.1"
    assert rows[0].device == "" and rows[0].user_agent == ""


def test_ending_sessions_is_the_users_own_only(open_store: Callable[[], Store], clock) -> None:
    store, other_instance = open_store(), open_store()
    alice, _ = store.users.create("02" + "a2" * 32, "Alice", clock())
    bob, _ = store.users.create("02" + "b2" * 32, "Bob", clock())
    _, here = signed_in(store, alice.id, clock())
    phone_token, phone = signed_in(store, alice.id, clock())
    bob_token, bob_here = signed_in(store, bob.id, clock())

    assert end_session(store, bob_here, phone.session.id) is Ended.NOT_FOUND  # IDOR: Bob names Alice's
    assert end_session(store, here, bob_here.session.id) is Ended.NOT_FOUND
    assert session_for_tokens(other_instance, [("cookie", phone_token)], clock()) is not None
    assert session_for_tokens(other_instance, [("cookie", bob_token)], clock()) is not None
    assert end_session(store, here, here.session.id) is Ended.CURRENT
    assert end_session(store, here, "") is Ended.NOT_FOUND

    assert end_session(other_instance, here, phone.session.id) is Ended.ENDED
    assert session_for_tokens(store, [("cookie", phone_token)], clock()) is None  # the other instance sees it
    assert end_session(store, here, phone.session.id) is Ended.NOT_FOUND
    sign_out(store, here)
    assert account_sessions(store, bob_here, clock())[0].id == bob_here.session.id
    assert store.sessions.list_for_user(alice.id, clock()) == []
