"""Fuzz every route of the local signer API (taken from the app itself) with arbitrary header
and body bytes over a raw socket, against the API as the desktop app serves it: nothing a
client sends may answer 5xx. Bounded to a few hundred requests (seconds, not minutes)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signer_app.approvals import ApprovalDecision
from tests.helpers.wire import raw_request

ORIGIN = "https://app.example"
FIELDS = ["host", "scopes", "expiry", "expire", "path", "body", "signatureType", "message", "encoding", "data",
          "friendBapId", "theirPublicKey", "ciphertext", "displayName", "paymail", "logo", "icon", "app", "bapId"]

header_bytes = st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b""))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
    | st.sampled_from(["", "00", "abc", "zz", "utf8", "hex", "base64", "/api/auth/sign-in/sigma", "1m", "forever",
                       "sign,encrypt", "02" + "11" * 32, "42494531" + "00" * 60]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
json_bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(lambda d: json.dumps(d).encode())
bodies = st.one_of(json_bodies, st.binary(max_size=300), st.sampled_from([b"", b"[" * 3000, b'{"a":' * 3000]))


def concrete(rule: str, draw_suffix: str) -> str:
    """A path for a route rule; wildcards (``/api/<name:path>``) get a drawn segment."""
    return re.sub(r"<[^>]+>", draw_suffix or "x", rule)


@pytest.fixture
def deny_everything(user):
    user.policy = lambda request: ApprovalDecision.deny()
    return user


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_route_answers_5xx(ctx, deny_everything, data):
    routes = sorted({(route.method, route.rule) for route in ctx.api.app.routes})
    token, _ = ctx.service.grants.create("app.example", ORIGIN, ("sign", "encrypt", "decrypt", "write_profile"),
                                         ctx.wallet.default_identity().bap_id, 600, site="app.example")
    method, rule = data.draw(st.sampled_from(routes), label="route")
    path = concrete(rule, data.draw(st.sampled_from(["auth", "sign", "x/y", "%ff", "..", ""]), label="wildcard"))
    headers = [
        (b"Origin", data.draw(st.sampled_from([ORIGIN.encode(), b"null", None]) | header_bytes, label="origin")),
        (b"Authorization", data.draw(st.sampled_from([b"Bearer " + token.encode(), token.encode(), None])
                                     | header_bytes, label="authorization")),
        (b"Content-Type", data.draw(st.sampled_from([b"application/json", b"text/plain", None]) | header_bytes,
                                    label="content-type")),
    ]
    extra = data.draw(st.lists(st.tuples(st.sampled_from([b"X-Fuzz", b"Access-Control-Request-Private-Network",
                                                          b"Access-Control-Request-Method", b"Cookie"]),
                                         header_bytes), max_size=3), label="extra headers")
    body = data.draw(bodies, label="body")
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    for name, value in headers + extra:
        if value is not None:
            head += name + b": " + value + b"\r\n"
    status, _, payload = raw_request(ctx.api.url, head, body)
    assert status < 500, (method, path, head, body[:200], payload[:300])
    if not ctx.wallet.is_locked:
        return
    ctx.wallet.unlock("correct horse battery staple")  # /api/logout locked it: keep the deeper paths reachable
