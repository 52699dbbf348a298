"""The local signer API's browser rules and error shapes (no dialog needed for these)."""

from __future__ import annotations

import pytest

ORIGIN = "https://app.example"


def test_status_reveals_only_wallet_and_lock_state(api):
    answer = api.request("GET", "/api/status", headers={"Origin": "https://anything.example"})
    assert answer.status == 200
    assert answer.body == {"unlocked": True, "hasWallet": True, "success": True}
    assert answer.headers["access-control-allow-origin"] == "https://anything.example"


@pytest.mark.parametrize("path", ["/api/status", "/api/auth"])
def test_preflight_of_public_endpoints_answers_any_origin_with_pna(api, path):
    answer = api.request("OPTIONS", path, headers={
        "Origin": "https://random.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true"})
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "https://random.example"
    assert answer.headers["access-control-allow-private-network"] == "true"
    assert "Authorization" in answer.headers["access-control-allow-headers"]


@pytest.mark.parametrize("path", ["/api/sign", "/api/logout"])
def test_restricted_endpoints_refuse_origins_without_a_grant(api, ctx, path):
    preflight = api.request("OPTIONS", path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Private-Network": "true"})
    assert preflight.status == 403
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-private-network" not in preflight.headers
    # a "simple" request (no preflight) is refused too, not just hidden from the page
    answer = api.request("POST", path, {"path": "/x"}, {"Origin": ORIGIN, "Content-Type": "text/plain"})
    assert answer.status == 403 and answer.body["code"] == 3
    assert not ctx.wallet.is_locked


def test_origin_with_live_grant_and_own_server_get_cors(api, ctx):
    token, _ = ctx.service.grants.create("app.example", ORIGIN, ("sign",), "VpdSWHprjixzq5dX2kno1gEmw4C", 60)
    preflight = api.request("OPTIONS", "/api/sign", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 204 and preflight.headers["access-control-allow-origin"] == ORIGIN
    ctx.service.server_origin = lambda: "http://127.0.0.1:3999"
    own = api.request("OPTIONS", "/api/logout", headers={"Origin": "http://127.0.0.1:3999"})
    assert own.status == 204
    # a grant is bound to its origin: another granted-or-not origin cannot use the token
    other = api.request("POST", "/api/sign", {"path": "/x"},
                        {"Authorization": f"Bearer {token}", "Origin": "http://127.0.0.1:3999"})
    assert other.status == 401 and other.body["code"] == 3


def test_sign_errors_use_protocol_codes(api, ctx):
    missing = api.request("POST", "/api/sign", {"path": "/x"})
    assert missing.status == 401 and missing.body == {
        "error": missing.body["error"], "code": 2, "success": False}
    invalid = api.request("POST", "/api/sign", {"path": "/x"}, {"Authorization": "Bearer nope"})
    assert invalid.body["code"] == 3
    now = [1000.0]
    ctx.service.grants._clock = lambda: now[0]
    token, _ = ctx.service.grants.create("h", "", ("sign",), "VpdSWHprjixzq5dX2kno1gEmw4C", 60)
    now[0] += 61
    expired = api.request("POST", "/api/sign", {"path": "/x"}, {"Authorization": f"Bearer {token}"})
    assert expired.status == 401 and expired.body["code"] == 5


@pytest.mark.parametrize("body,message", [
    ({"path": "no-slash"}, "path"),
    ({"path": "/a|b"}, "path"),
    ({"path": "/x", "body": {"obj": 1}}, "body"),
    ({"path": "/x", "signatureType": "rsa"}, "signatureType"),
])
def test_bad_sign_requests_are_400(api, ctx, body, message):
    token, _ = ctx.service.grants.create("h", "", ("sign",), "VpdSWHprjixzq5dX2kno1gEmw4C", 60)
    answer = api.request("POST", "/api/sign", body, {"Authorization": f"Bearer {token}"})
    assert answer.status == 400 and answer.body["code"] == 6 and message in answer.body["error"]


# (TokenPass's comma string "sign" and "forever" are accepted now: see test_tokenpass_api.py)
@pytest.mark.parametrize("body", [{"scopes": "sign,root"}, {"scopes": 5}, {"scopes": ["root"]},
                                  {"expiry": "eternity"}, {"expire": "2y"}, {"expiry": -5}])
def test_bad_grant_requests_are_400_without_a_prompt(api, ctx, body):
    answer = api.request("POST", "/api/auth", body)
    assert answer.status == 400 and answer.body["code"] == 6
    assert ctx.service.broker.pending() == []


def test_garbage_and_unknown_paths_never_500(api):
    import httpx

    with httpx.Client(base_url=api.base_url) as client:
        assert client.post("/api/auth", content=b"\xff\xfe{").json()["code"] == 6
        assert client.post("/api/auth", content=b"[1,2]").status_code == 400
        unknown = client.get("/nope")
        assert unknown.status_code == 404 and unknown.json()["success"] is False
        not_yet = client.post("/api/wallet-dump")
        assert not_yet.status_code in (404, 405) and not_yet.json()["code"] == 6
        wrong_method = client.get("/api/sign")
        assert wrong_method.status_code == 405 and wrong_method.json()["code"] == 6


def test_dns_rebinding_host_header_is_refused(api):
    import httpx

    with httpx.Client(base_url=api.base_url) as client:
        answer = client.get("/api/status", headers={"Host": "evil.example:21000"})
    assert answer.status_code == 403 and answer.json()["code"] == 6


def test_bound_to_loopback_only(ctx):
    assert ctx.api.url.startswith("http://127.0.0.1:")
    assert ctx.api._server.socket.getsockname()[0] == "127.0.0.1"
