"""``/api/sign`` asks before signing any path a server could route to a Sigma sign-in, not
only the exact one: ``/Sigma``, ``%2f``, ``;x``, ``#x``, ``?x=1``, ``//``, ``/./``, ``/../``
were signed without a prompt (issue 22). Driven over the real local API, a thread playing the user."""

from __future__ import annotations

import pytest

from auth_server.crypto import verify_token
from signer_app.approvals import ApprovalDecision
from signer_app.service import is_sign_in_path
from tests.signer.test_approvals import ORIGIN, grant

SIGN_IN_SPELLINGS = [
    "/api/auth/sign-in/sigma",
    "/api/auth/sign-in/sigma/",
    "/api/auth/sign-in/Sigma",
    "/API/AUTH/SIGN-IN/SIGMA",
    "/api/auth/sign-in/sigma%2f",
    "/api/auth/sign-in/sigma%2F",
    "/api/auth/sign-in%2fsigma",
    "/api/auth/sign-in/%73igma",
    "/api/auth/sign-in/sigma;x",
    "/api/auth/sign-in;a=b/sigma",
    "/api/auth/sign-in/sigma#x",
    "/api/auth/sign-in/sigma?x=1",
    "//api/auth/sign-in/sigma",
    "/api//auth///sign-in/sigma",
    "/api/./auth/sign-in/sigma",
    "/api/auth/sign-in/sigma/.",
    "/api/x/../auth/sign-in/sigma",
    "/api/auth/sign-in/sigma/x/..",
    "/api/auth/sign-in/sigma/%2e",
    "/api/x/%2e%2e/auth/sign-in/sigma",
    "/api\\auth\\sign-in\\sigma",
    # ambiguous decodings: asked for too, as a sign-in
    "/api/auth/sign-in/sigma%252f",
    "/api/auth/sign-in/sigma%3fx",
    "/api/auth/sign-in/sigma%23x",
    "/api/auth/sign-in/sigma%3bx",
    "/api/auth/sign-in/sigma%ff",
    "/api/auth/sign-in/sigma%00",
]
PLAIN = ["/api/profile", "/api/profile/", "/API/Profile", "/api/x%2fy", "/api/sign-in", "/api/auth/sign-in/sigmas",
         "/api/auth/sign-in/sigma-extra", "/api/data?next=/api/auth/sign-in/sigma"]


@pytest.mark.parametrize("path", SIGN_IN_SPELLINGS)
def test_every_sign_in_spelling_asks_like_a_sign_in(api, ctx, user, path) -> None:
    token = grant(api)
    user.policy = lambda request: ApprovalDecision.deny()
    answer = api.request("POST", "/api/sign", {"path": path, "signatureType": "bsm"},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert answer.status == 403, (path, answer.status, answer.body)  # denied by the user, never signed silently
    assert user.seen[-1].kind == "sign-in" and user.seen[-1].path == path
    assert len(user.seen) == 2  # the grant, then this sign-in


def test_an_approved_odd_spelling_is_signed_for_the_path_sent(api, ctx, user) -> None:
    token = grant(api)
    path = "/api/auth/sign-in/Sigma/"
    answer = api.request("POST", "/api/sign", {"path": path, "signatureType": "bsm"},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert answer.status == 200, answer.body
    assert user.seen[-1].kind == "sign-in"
    assert verify_token(answer.body["token"], path).pubkey == ctx.wallet.default_identity().pubkey


@pytest.mark.parametrize("path", PLAIN)
def test_other_paths_are_still_signed_within_the_grant(api, ctx, user, path) -> None:
    assert not is_sign_in_path(path)
    token = grant(api)
    answer = api.request("POST", "/api/sign", {"path": path, "signatureType": "bsm"},
                         {"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    assert answer.status == 200, answer.body
    assert len(user.seen) == 1  # the grant only
