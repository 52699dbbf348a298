"""The signer's policy table (signer_app/policy.py) is the one place endpoint rules live:
the routes the local API serves, its origin guard, README.md's endpoint table and the
service's handlers all follow from it, and these tests fail when one of them drifts."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from signer_app.approvals import ApprovalDecision
from signer_app.policy import POLICY, Access, KeyKind, Prompt, readme_table, routes
from signer_app.service import SignerService
from tests.helpers.signer import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
STRANGER = "https://stranger.example"


def test_the_api_serves_exactly_the_routes_of_the_table(ctx):
    served = {(route.method, route.rule) for route in ctx.api.app.routes if route.method != "OPTIONS"}
    assert served == {row.route for row in POLICY}


def test_the_readme_endpoint_table_is_the_one_written_from_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme, "README.md's local API table differs: paste signer_app.policy.readme_table()"
    assert readme.count("| method | path | scope | key |") == 1


def test_every_row_names_one_service_method_taking_call_and_data():
    for row in POLICY:
        handler = getattr(SignerService, row.handler, None)
        assert callable(handler), row.handler
        assert list(inspect.signature(handler).parameters) == ["self", "call", "data"], row.handler
    for route, rows in routes():
        assert sum(row.shape is None for row in rows) == 1, route  # one default row per route
        assert len({row.access for row in rows}) == 1, route  # one origin rule per path


def _request_body(row) -> dict:
    body = {"host": "x", "path": "/api/auth/sign-in/sigma", "data": ["00"], "friendBapId": "f"}
    if row.shape:
        body[row.shape] = "hi"
    return body


def test_the_origin_guard_follows_each_rows_access_rule(api, ctx, user):
    """An origin with no grant reaches exactly the rows the table opens to it; no dialog opens
    for the others, and only the open ones get CORS."""
    user.policy = lambda request: ApprovalDecision.deny()
    for row in POLICY:
        answer = api.request(row.method, row.path, _request_body(row) if row.method == "POST" else None,
                             {"Origin": STRANGER})
        refused = answer.status == 403 and answer.body.get("code") == 3
        assert refused == (row.access is Access.GRANT), (row.path, answer.status, answer.body)
        cors = answer.headers.get("access-control-allow-origin")
        assert (cors == STRANGER) == (row.access is not Access.GRANT), row.path
    asked = {request.kind for request in user.seen}
    assert asked == {"grant", "sign-in"}  # the two rows that always ask, and nothing else


@pytest.mark.parametrize("row", [row for row in POLICY if row.prompt is Prompt.NEVER and row.key is not KeyKind.NONE],
                         ids=lambda row: f"{row.path}{'-' + row.shape if row.shape else ''}")
def test_a_key_used_without_asking_answers_locked(api, ctx, user, row):
    bap_id = ctx.wallet.default_identity().bap_id
    token, _ = ctx.service.grants.create("app.example", "https://app.example", ("sign", "encrypt", "decrypt"),
                                         bap_id, 600, site="app.example")
    ctx.wallet.lock()
    try:
        answer = api.request(row.method, row.path, _request_body(row),
                             {"Origin": "https://app.example", "Authorization": f"Bearer {token}"})
    finally:
        ctx.wallet.unlock(PASSPHRASE)
    assert answer.status == 401 and answer.body["code"] == 1, answer.body
    assert user.seen == []
