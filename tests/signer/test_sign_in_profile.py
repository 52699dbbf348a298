"""Issue 24, the signer's half: the profile rides in the signed sign-in body
(/work/notes/profile-contract.md, docs/PROTOCOL.md section 7). Over the real local API:
the body holds exactly the keys that apply, built from the identity the user CHOSE, the
token covers that exact body, and the share choice is remembered per (server, client,
identity)."""

from __future__ import annotations

import json

import pytest

from auth_server.crypto import verify_token
from auth_server.crypto.errors import CodedError
from signer_app.approvals import ApprovalDecision
from tests.signer.test_tokenpass_api import call, ok

SIGN_IN = "/api/auth/sign-in/sigma"
SERVER = "http://127.0.0.1:4100"
CLIENT = "sigil_demo_client"
ALICE = {"displayName": "Alice Example", "username": "alice", "picture": "https://pics.example/alice.png"}
WORK = {"displayName": "Alice at Work", "username": "alice.work", "picture": "https://pics.example/work.png"}


def sign_in(api, **fields):
    return call(api, "/api/sign-in", {"path": SIGN_IN, "app": "Demo app", **fields}, origin=SERVER)


def test_the_body_carries_client_profile_and_share_and_the_token_covers_it(api, ctx, user):
    me = ctx.wallet.default_identity()
    ctx.service.profiles.update(me.bap_id, dict(ALICE))
    answer = ok(sign_in(api, clientId=CLIENT))
    body = answer["body"]
    assert json.loads(body) == {"clientId": CLIENT, "shareProfile": True, "profile": {
        "name": "Alice Example", "username": "alice", "picture": "https://pics.example/alice.png"}}
    assert body == json.dumps(json.loads(body), separators=(",", ":"))  # compact, as the contract says
    assert verify_token(answer["token"], SIGN_IN, body=body).pubkey == me.pubkey
    for other in ("{}", body.replace('"shareProfile":true', '"shareProfile":false'), body.replace("alice", "mallory")):
        with pytest.raises(CodedError):
            verify_token(answer["token"], SIGN_IN, body=other)
    (request,) = user.seen
    assert request.client_id == CLIENT and request.share_for(me.bap_id) is True


def test_only_the_fields_the_identity_has_and_no_share_without_a_client(api, ctx, user):
    me = ctx.wallet.default_identity()
    ctx.service.profiles.update(me.bap_id, {"username": "alice", "paymail": "alice@example.com", "logo": "https://l.example/x"})
    answer = ok(sign_in(api))
    assert json.loads(answer["body"]) == {"profile": {"username": "alice"}}  # paymail, logo stay TokenPass's
    assert verify_token(answer["token"], SIGN_IN, body=answer["body"]).pubkey == me.pubkey
    assert user.seen[0].client_id == "" and user.seen[0].shares == ()
    with_invite = ok(sign_in(api, invite="code-123", clientId=CLIENT))
    assert list(json.loads(with_invite["body"])) == ["clientId", "invite", "profile", "shareProfile"]


def test_no_profile_no_client_no_invite_is_still_the_empty_unhashed_body(api, ctx, user):
    answer = ok(sign_in(api))
    assert answer["body"] == "{}"
    assert verify_token(answer["token"], SIGN_IN).pubkey == ctx.wallet.default_identity().pubkey


def test_the_profile_is_the_chosen_identitys_not_the_proposed_one(api, ctx, user):
    me = ctx.wallet.default_identity()
    work = ctx.wallet.add_identity("Work")
    ctx.service.profiles.update(me.bap_id, dict(ALICE))
    ctx.service.profiles.update(work.bap_id, dict(WORK))
    user.policy = lambda request: ApprovalDecision.approve(work.bap_id, False)
    answer = ok(sign_in(api, clientId=CLIENT, bapId=me.bap_id))
    assert user.seen[0].bap_id == me.bap_id  # proposed
    assert answer["bapId"] == work.bap_id
    assert json.loads(answer["body"]) == {"clientId": CLIENT, "shareProfile": False, "profile": {
        "name": "Alice at Work", "username": "alice.work", "picture": "https://pics.example/work.png"}}
    assert verify_token(answer["token"], SIGN_IN, body=answer["body"]).pubkey == work.pubkey
    # the choice belongs to the identity that decided, not to the one proposed
    assert ctx.service.sharing.get(SERVER, CLIENT, work.bap_id) is False
    assert ctx.service.sharing.get(SERVER, CLIENT, me.bap_id) is None


def test_the_share_choice_is_remembered_per_server_client_and_identity(api, ctx, user):
    me = ctx.wallet.default_identity().bap_id
    user.policy = lambda request: ApprovalDecision.approve(request.bap_id, False)
    assert json.loads(ok(sign_in(api, clientId=CLIENT))["body"])["shareProfile"] is False
    # the next dialog starts unticked; an answer that leaves the box alone keeps the choice
    user.policy = lambda request: ApprovalDecision.approve(request.bap_id)
    again = ok(sign_in(api, clientId=CLIENT))
    assert user.seen[-1].share_for(me) is False and json.loads(again["body"])["shareProfile"] is False
    # another client, or the same client id on another server, starts from the default
    ok(sign_in(api, clientId="other_client"))
    assert user.seen[-1].share_for(me) is True
    other_server = ok(call(api, "/api/sign-in", {"path": SIGN_IN, "clientId": CLIENT}, origin="https://other.example"))
    assert user.seen[-1].share_for(me) is True and json.loads(other_server["body"])["shareProfile"] is True
    assert {(c.server, c.client_id, c.share) for c in ctx.service.sharing.all()} == {
        (SERVER, CLIENT, False), (SERVER, "other_client", True), ("https://other.example", CLIENT, True)}


def test_a_denied_sign_in_remembers_nothing(api, ctx, user):
    user.policy = lambda request: ApprovalDecision.deny()
    assert sign_in(api, clientId=CLIENT).status == 403
    assert ctx.service.sharing.all() == []


@pytest.mark.parametrize("bad", [12, True, "", "x" * 129, "a\nb", "caf\u00e9", "tab\there", ["list"]])
def test_a_malformed_client_id_is_refused_before_any_dialog(api, ctx, user, bad):
    res = sign_in(api, clientId=bad)
    assert res.status == 400 and "clientId" in res.body["error"] and res.body["success"] is False
    assert user.seen == []


def test_a_client_id_of_128_printable_characters_is_taken(api, ctx, user):
    longest = "c" * 127 + "~"
    assert json.loads(ok(sign_in(api, clientId=longest))["body"])["clientId"] == longest


def test_a_hostile_app_name_reaches_the_dialog_and_the_store_as_inert_text(api, ctx, user):
    hostile = "<b>Evil</b> & Co\u202e\n\x00<script>alert(1)</script>"
    ok(sign_in(api, clientId=CLIENT, app=hostile))
    shown = user.seen[0].app_name
    assert shown == "<b>Evil</b> & Co<script>alert(1)</script>"  # control and bidi characters gone, rest literal
    (choice,) = ctx.service.sharing.all()
    assert choice.app_name == shown and choice.client_id == CLIENT
