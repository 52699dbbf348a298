"""The signer's one-dialog sign-in carrying an invitation: the token covers the body the page
posts, and a real server takes exactly that body (and nothing it does not cover)."""

from __future__ import annotations

import json

import httpx

from auth_server import team
from auth_server.crypto import verify_token
from tests.signer.test_tokenpass_api import call, ok

SIGN_IN = "/api/auth/sign-in/sigma"


def test_the_invitation_is_signed_into_the_body_and_a_real_server_takes_it(api, ctx, user, server_factory):
    server = server_factory(sign_up="invite")
    team.add_group(server.store, "staff", actor="test")
    new = team.invite(server.store, server.url, groups=["staff"], actor="test")
    answer = ok(call(api, "/api/sign-in", {"path": SIGN_IN, "app": "", "invite": new.code}, origin=server.url))
    assert json.loads(answer["body"]) == {"invite": new.code}
    assert verify_token(answer["token"], SIGN_IN, body=answer["body"]).pubkey == ctx.wallet.default_identity().pubkey
    res = httpx.post(server.url + SIGN_IN, content=answer["body"], headers={
        "Content-Type": "application/json", "X-Auth-Token": answer["token"], "Origin": server.url})
    assert res.status_code == 200, res.text
    assert server.store.groups.of_user(res.json()["user"]["id"]) == ["staff"]


def test_a_plain_sign_in_posts_an_empty_object_signed_without_a_body_hash(api, ctx, user):
    answer = ok(call(api, "/api/sign-in", {"path": SIGN_IN}))
    assert answer["body"] == "{}"
    assert verify_token(answer["token"], SIGN_IN).pubkey == ctx.wallet.default_identity().pubkey


def test_a_malformed_invitation_is_refused_before_any_dialog(api, ctx, user):
    for bad in (12, "", "x" * 200, "a\nb", "caf\u00e9"):
        res = call(api, "/api/sign-in", {"path": SIGN_IN, "invite": bad})
        assert res.status == 400 and "invite" in res.body["error"]
    assert user.seen == []
