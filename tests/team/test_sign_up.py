"""Who may make an account: sign-up modes, invitations (signed into the body), identities let
in ahead of time. Each rule is tried the way someone would try to get round it."""

from __future__ import annotations

import threading

import coincurve
import pytest

from auth_server import team
from auth_server.config import Settings
from auth_server.crypto import bap_id_from_pubkey
from auth_server.store.transfer import TABLES
from tests.team.conftest import sign_in


def _code(res) -> tuple[int, str]:
    return res.status_code, res.json().get("code")


def test_the_old_switch_still_means_closed() -> None:
    assert Settings(disable_implicit_sign_up=True).sign_up == "closed"
    assert Settings.from_env({"SIGIL_SIGN_UP": "invite"}).sign_up == "invite"
    with pytest.raises(ValueError, match="SIGIL_SIGN_UP"):
        Settings(sign_up="everyone")


@pytest.mark.parametrize(("mode", "hint"), [("invite", "invite link"), ("closed", "users add --pubkey")])
def test_a_new_key_is_refused_with_a_way_in(server_factory, mode, hint) -> None:
    server = server_factory(sign_up=mode)
    res = sign_in(server, coincurve.PrivateKey())
    assert _code(res) == (403, "SIGN_UP_DISABLED") and hint in res.json()["message"]
    assert server.store.users.count() == 0
    entry = server.store.audit.since(0)[0]
    assert (entry.action, entry.detail) == ("signin.refused", {"reason": "sign_up_disabled"})


def test_open_is_the_default_and_members_sign_in_in_every_mode(server_factory) -> None:
    key = coincurve.PrivateKey()
    server = server_factory()
    assert sign_in(server, key).status_code == 200
    for mode in ("invite", "closed"):
        assert sign_in(server_factory(db_path=server.db_path, sign_up=mode), key).status_code == 200


def test_an_invitation_lets_one_key_in_and_puts_it_in_its_groups(server_factory) -> None:
    server = server_factory(sign_up="invite")
    team.add_group(server.store, "staff", actor="test")
    new = team.invite(server.store, server.url, groups=["staff"], note="for Bob", actor="test")
    assert new.url == f"{server.url}/invite/{new.code}" and len(new.code) >= 43  # 256 bits
    res = sign_in(server, coincurve.PrivateKey(), {"invite": new.code})
    assert res.status_code == 200, res.text
    user_id = res.json()["user"]["id"]
    assert server.store.groups.of_user(user_id) == ["staff"]
    again = sign_in(server, coincurve.PrivateKey(), {"invite": new.code})  # single use
    assert _code(again) == (403, "INVALID_INVITE")
    assert server.store.users.count() == 1
    assert [e.action for e in server.store.audit.since(0)][:2] == ["invite.use", "invite.create"]


def test_an_invitation_in_a_body_the_token_does_not_cover_is_refused(server_factory) -> None:
    server = server_factory(sign_up="invite")
    new = team.invite(server.store, server.url, actor="test")
    res = sign_in(server, coincurve.PrivateKey(), {"invite": new.code}, cover=False)
    assert res.status_code == 401 and res.json()["code"] in ("BODY_MISMATCH", "BAD_SIGNATURE")
    assert server.store.users.count() == 0
    assert server.store.invitations.get(new.invitation.id).uses == 0  # nothing spent


def test_expired_revoked_and_unknown_invitations_are_refused(server_factory) -> None:
    server = server_factory(sign_up="invite")
    expired = team.invite(server.store, server.url, expires_in=60, actor="test")
    revoked = team.invite(server.store, server.url, actor="test")
    team.revoke_invitation(server.store, revoked.url, actor="test")  # by its link
    server.clock.offset += 61
    for code in (expired.code, revoked.code, "x" * 43):
        assert _code(sign_in(server, coincurve.PrivateKey(), {"invite": code})) == (403, "INVALID_INVITE")
    assert server.store.users.count() == 0
    for bad in (123, "", "y" * 500):
        assert _code(sign_in(server, coincurve.PrivateKey(), {"invite": bad})) == (400, "BAD_REQUEST")


def test_a_closed_server_takes_no_invitation(server_factory) -> None:
    server = server_factory(sign_up="closed")
    new = team.invite(server.store, server.url, actor="test")
    assert _code(sign_in(server, coincurve.PrivateKey(), {"invite": new.code})) == (403, "SIGN_UP_DISABLED")
    assert server.store.invitations.get(new.invitation.id).uses == 0


def test_two_keys_racing_for_one_use_make_one_account(server_factory, database) -> None:
    server = server_factory(db_path=database, sign_up="invite")
    new = team.invite(server.store, server.url, actor="test")
    barrier = threading.Barrier(8)
    answers: list[int] = []

    def go() -> None:
        key = coincurve.PrivateKey()
        barrier.wait()
        answers.append(sign_in(server, key, {"invite": new.code}).status_code)

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] + [403] * 7
    assert server.store.users.count() == 1
    assert server.store.invitations.get(new.invitation.id).uses == 1


def test_guessing_invitations_is_rate_limited_per_address(server_factory) -> None:
    server = server_factory(sign_up="invite", rate_limit_enabled=True, invite_guesses_per_ip=5,
                            rate_limit_per_ip=1000, rate_limit_per_pubkey=1000)
    answers = [sign_in(server, coincurve.PrivateKey(), {"invite": f"guess-{i}"}).status_code for i in range(6)]
    assert answers == [403] * 5 + [429]


@pytest.mark.parametrize("mode", ["closed", "open"])
def test_a_bap_identity_let_in_ahead_of_time_joins_at_its_first_sign_in(server_factory, database, mode) -> None:
    server = server_factory(db_path=database, sign_up=mode)
    team.add_group(server.store, "ops", actor="test")
    key = coincurve.PrivateKey()
    bap_id = bap_id_from_pubkey(key.public_key.format().hex())
    team.add_user(server.store, bap_id=bap_id, name="Olga <b>", groups=["ops"], actor="test")
    res = sign_in(server, key)
    assert res.status_code == 200, res.text
    user = res.json()["user"]
    assert user["bapId"] == bap_id
    # the administrator's label stays theirs: apps see the user's signed profile or a neutral label
    assert server.store.users.get(user["id"]).name == "Olga <b>" and user["name"].startswith("Sigil user ")
    assert server.store.groups.of_user(user["id"]) == ["ops"]
    assert server.store.invitations.admitted(bap_id) is None  # taken
    stranger = sign_in(server, coincurve.PrivateKey())
    assert stranger.status_code == (200 if mode == "open" else 403)
    if mode == "open":
        assert server.store.groups.of_user(stranger.json()["user"]["id"]) == []


def test_no_invitation_code_is_stored(server_factory) -> None:
    server = server_factory(sign_up="invite")
    new = team.invite(server.store, server.url, note="for Carol", actor="test")
    sign_in(server, coincurve.PrivateKey(), {"invite": new.code})
    # str(dict(row)): SQLite rows and PostgreSQL's dict rows both show their values
    dump = "\n".join(str(dict(row)) for table in TABLES
                     for row in server.store.conn.execute(f'SELECT * FROM "{table}"').fetchall())
    assert new.code not in dump and "for Carol" in dump
