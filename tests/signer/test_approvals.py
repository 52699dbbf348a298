"""Approvals without a window: the local API is called over real HTTP while a thread plays
the user, answering each request through the broker as the dialog would."""

from __future__ import annotations

from auth_server.crypto import verify_token
from signer_app.approvals import ApprovalDecision, ApprovalRequest
from tests.helpers.signer import PASSPHRASE

ORIGIN = "https://app.example"
VECTOR_BAP_ID = "VpdSWHprjixzq5dX2kno1gEmw4C"


def grant(api, origin: str = ORIGIN) -> str:
    answer = api.request("POST", "/api/auth", {"host": "claims.example", "scopes": ["sign"], "expiry": "2h"},
                         {"Origin": origin})
    assert answer.status == 200, answer.body
    return answer.body["accessToken"]


def test_approved_grant_then_signatures_without_a_prompt(api, ctx, user):
    token = grant(api)
    (request,) = user.seen
    assert (request.kind, request.host, request.claimed_host, request.origin) == (
        "grant", "app.example", "claims.example", ORIGIN)
    assert request.scopes == ("sign",) and request.duration_seconds == 7200 and request.bap_id == VECTOR_BAP_ID
    assert token not in (ctx.data_dir / "grants.sqlite").read_bytes().decode("latin-1")

    body = '{"hello":"world"}'
    signed = api.request("POST", "/api/sign", {"path": "/api/profile", "body": body},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert signed.status == 200, signed.body
    assert verify_token(signed.body["token"], "/api/profile", body).pubkey == ctx.wallet.default_identity().pubkey
    assert len(user.seen) == 1  # no second prompt for the granted origin
    assert [row.outcome for row in ctx.service.activity.recent()][:2] == ["signed (grant)", "approved"]


def test_sign_in_always_asks_and_the_chosen_identity_signs(api, ctx, user):
    second = ctx.wallet.add_identity("Work")
    token = grant(api)
    user.policy = lambda request: ApprovalDecision.approve(second.bap_id)
    answer = api.request("POST", "/api/sign", {"path": "/api/auth/sign-in/sigma", "signatureType": "bsm"},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert answer.status == 200, answer.body
    assert user.seen[-1].kind == "sign-in" and user.seen[-1].path == "/api/auth/sign-in/sigma"
    assert verify_token(answer.body["token"], "/api/auth/sign-in/sigma").pubkey == second.pubkey


def test_denied_grant_is_403_and_leaves_no_grant(api, ctx, user):
    user.policy = lambda request: ApprovalDecision.deny()
    answer = api.request("POST", "/api/auth", {"scopes": ["sign"], "expiry": "1h"}, {"Origin": ORIGIN})
    assert answer.status == 403
    assert answer.body == {"error": "Request denied by the user", "code": 4, "success": False}
    assert ctx.service.grants.active() == []
    assert ctx.service.activity.recent()[0].outcome == "denied"


def test_unanswered_request_times_out(api, ctx, user):
    ctx.service.broker.timeout = 0.5
    user.policy = lambda request: None
    answer = api.request("POST", "/api/auth", {"scopes": ["sign"], "expiry": "1h"}, {"Origin": ORIGIN})
    assert answer.status == 403 and answer.body["code"] == 4 and "in time" in answer.body["error"]
    assert ctx.service.broker.pending() == []
    assert ctx.service.activity.recent()[0].outcome == "timed out"


def test_locked_wallet_asks_and_the_user_unlocks_before_approving(api, ctx, user):
    token = grant(api)
    ctx.service.lock()

    def unlock_then_approve(request: ApprovalRequest) -> ApprovalDecision:
        ctx.wallet.unlock(PASSPHRASE)  # what the dialog's passphrase field does
        return ApprovalDecision.approve(request.bap_id)

    user.policy = unlock_then_approve
    answer = api.request("POST", "/api/sign", {"path": "/api/orders"},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert answer.status == 200, answer.body
    assert user.seen[-1].kind == "sign" and not ctx.wallet.is_locked
