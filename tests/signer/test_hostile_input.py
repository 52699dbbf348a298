"""Hostile requests against the local API as the desktop app serves it (issue 13): an opaque
origin, header bytes that are not UTF-8, JSON nested thousands deep. Each answers 4xx with
the API's error shape; none reaches a dialog or a 500. (Each test walks every endpoint of
the app's own table against one running app: one app start per case, not per endpoint.)"""

from __future__ import annotations

import json

import pytest

from signer_app.approvals import ApprovalDecision
from signer_app.local_api.app import ENDPOINTS
from tests.helpers.signer import PASSPHRASE
from tests.helpers.raw_http import raw_request

ORIGIN = "https://app.example"
NOT_STATUS = [(method, path) for method, path, _, _ in ENDPOINTS if path != "/api/status"]
JSON_POSTS = [path for method, path, _, _ in ENDPOINTS if method == "POST" and path != "/api/logout"]


def test_opaque_origin_is_refused_without_a_dialog(api, ctx, user):
    token, _ = ctx.service.grants.create("null", "null", ("sign", "encrypt", "decrypt", "write_profile"),
                                         ctx.wallet.default_identity().bap_id, 600)
    for method, path in NOT_STATUS:
        body = {"host": "x", "path": "/api/auth/sign-in/sigma", "data": ["00"]} if method == "POST" else None
        answer = api.request(method, path, body, {"Origin": "null", "Authorization": f"Bearer {token}"})
        assert answer.status == 403 and answer.body["code"] == 3, (path, answer.body)
        assert "access-control-allow-origin" not in answer.headers, path
        assert user.seen == [] and ctx.service.broker.pending() == [], path
        assert not ctx.wallet.is_locked  # /api/logout from a null page does nothing
        preflight = api.request("OPTIONS", path, headers={"Origin": "null", "Access-Control-Request-Method": method})
        assert preflight.status == 403 and "access-control-allow-origin" not in preflight.headers, path


def test_opaque_origin_may_read_status_but_gets_no_cors(api):
    answer = api.request("GET", "/api/status", headers={"Origin": "null"})
    assert answer.status == 200 and answer.body["success"] is True
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("header", [b"Origin: https://\xff\xfe.example", b"Origin: null\xc3",
                                    b"Authorization: Bearer \xff\xfe\x80", b"Authorization: \xe9t\xe9"])
def test_non_utf8_origin_and_authorization_bytes_are_4xx(ctx, user, header):
    user.policy = lambda request: ApprovalDecision.deny()  # /api/auth ignores Authorization and asks
    for method, path, _, _ in ENDPOINTS:
        status, headers, payload = raw_request(
            ctx.api.url,
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".encode()
            + header + b"\r\n",
            b'{"path": "/x", "data": ["00"], "friendBapId": "f"}' if method == "POST" else b"",
        )
        # status and logout read no Authorization (logout locks for any caller without an Origin)
        assert 400 <= status < 500 or (status == 200 and path in ("/api/status", "/api/logout")), (path, status, payload)
        if status != 200:
            assert json.loads(payload)["success"] is False, path
        if header.startswith(b"Origin"):
            assert user.seen == [], path  # refused before any dialog
        allowed = headers.get("access-control-allow-origin", "")
        assert "\ufffd" not in allowed and "\xff" not in allowed, path
        if ctx.wallet.is_locked:
            ctx.wallet.unlock(PASSPHRASE)


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_400(api, ctx, user, opener):
    token, _ = ctx.service.grants.create("app.example", ORIGIN, ("sign", "encrypt", "decrypt", "write_profile"),
                                         ctx.wallet.default_identity().bap_id, 600)
    for path in JSON_POSTS:  # /api/auth and /api/sign among them
        status, _, payload = raw_request(
            ctx.api.url,
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\nAuthorization: Bearer {token}\r\n"
            .encode(),
            (opener * 5000).encode(),
        )
        assert status == 400, (path, payload)
        assert json.loads(payload)["code"] == 6 and user.seen == [], path
