"""Nothing a client sends to the OAuth endpoints makes a 500 or a traceback."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.oauth.conftest import authorize_params

ENDPOINTS = ["/api/auth/oauth2/token", "/oauth2/token", "/api/auth/oauth2/revoke", "/api/auth/oauth2/introspect",
             "/api/auth/device/code", "/api/auth/device/token"]


def raw_request(url: str, data: bytes) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize("path", ENDPOINTS + ["/api/auth/oauth2/userinfo", "/device", "/oauth2/authorize"])
def test_non_utf8_headers_query_and_body(server, path) -> None:
    bad = b"\xe9\xff\xfe"
    for request in (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " + bad + b"\r\nAuthorization: Bearer " + bad
        + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\n" + bad,
        b"GET " + path.encode() + b"?client_id=%E9%FF&user_code=%ff HTTP/1.1\r\nHost: x\r\nCookie: better-auth.session_token="
        + bad + b"\r\nConnection: close\r\n\r\n",
    ):
        status, answer = raw_request(server.url, request)
        assert status < 500, answer
        assert b"Traceback" not in answer


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ENDPOINTS), body=st.binary(max_size=300), token=st.text(max_size=200),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]))
def test_random_token_requests(server, path, body, token, content_type) -> None:
    headers = {"Content-Type": content_type}
    if token.isprintable() and token.isascii() and token == token.strip():  # what httpx can send
        headers["X-Auth-Token"] = token
    with server.http() as http:
        res = http.post(path, content=body, headers=headers)
    assert res.status_code < 500, res.text
    assert "error" in res.json()


def test_authorize_with_odd_parameters(server, rp, browser) -> None:
    browser.sign_in()
    for extra in ({"scope": "openid admin"}, {"code_challenge": "short"}, {"prompt": "none login"},
                  {"state": "x" * 3000}, {"redirect_uri": ""}, {"client_id": ""}):
        res = browser.authorize(rp, **extra)
        assert res.status_code in (200, 302, 400), (extra, res.status_code)
    res = browser.http.post("/oauth2/authorize", data={**authorize_params(rp), "decision": "approve"})
    assert res.status_code == 403  # a consent answer without its CSRF token
