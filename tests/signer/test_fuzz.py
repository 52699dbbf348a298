"""Fuzz every route of the local signer API (taken from the app itself) with arbitrary header
and body bytes over a raw socket, against the API as the desktop app serves it: nothing a
client sends may answer 5xx. Most requests carry a valid origin, grant and JSON fields the
endpoints read, so they reach the handlers' own checks. Bounded: 40 requests per route."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signer_app.approvals import ApprovalDecision
from signer_app.local_api.app import create_signer_api
from tests.helpers.signer import PASSPHRASE
from tests.helpers.raw_http import raw_request

ORIGIN = "https://app.example"
# The routes as the app itself declares them (building the app calls nothing on the service).
ROUTES = sorted({(route.method, route.rule) for route in create_signer_api(None).routes})  # type: ignore[arg-type]
# The fields each endpoint reads; a body mostly uses its route's, so requests get past the first check.
FIELDS_OF = {
    "/api/auth": ["host", "scopes", "expiry", "expire", "icon"],
    "/api/sign-in": ["path", "signatureType", "app", "bapId", "invite"],
    "/api/sign": ["path", "body", "signatureType", "message", "encoding"],
    "/api/sign-aip": ["data"],
    "/api/encrypt": ["data", "friendBapId", "theirPublicKey"],
    "/api/decrypt": ["ciphertext", "friendBapId", "theirPublicKey"],
    "/api/friend-pubkey": ["friendBapId"],
    "/api/profile": ["displayName", "paymail", "logo", "icon"],
}
ALL_FIELDS = sorted({name for names in FIELDS_OF.values() for name in names})

header_bytes = st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b""))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
    | st.sampled_from(["", "00", "abc", "zz", "utf8", "hex", "base64", "/api/auth/sign-in/sigma", "1m", "forever",
                       "sign,encrypt", "02" + "11" * 32, "42494531" + "00" * 60, "https://a.example/x.png"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(st.text(min_size=1, max_size=60), json_values.filter(lambda v: v is not None),
                         st.lists(st.text(max_size=20), max_size=3))


def bodies(path: str):
    """Mostly JSON objects of the route's own fields, sometimes others, raw bytes or deep nesting."""
    own = FIELDS_OF.get(path) or ALL_FIELDS
    objects = st.dictionaries(st.sampled_from(own), field_values, min_size=1, max_size=len(own)).flatmap(
        lambda fields: st.dictionaries(st.sampled_from(ALL_FIELDS), json_values, max_size=2).map(
            lambda extra: json.dumps({**extra, **fields}).encode()))
    # one_of picks a branch evenly: repeating the likely-valid choice weights it
    return st.one_of(objects, objects, objects, st.binary(max_size=300),
                     st.sampled_from([b"", b"[" * 3000, b'{"a":' * 3000]))


def weighted(valid: list[bytes | None], rest=header_bytes):
    return st.one_of(*[st.just(v) for v in valid], rest)


@pytest.fixture
def deny_everything(user):
    user.policy = lambda request: ApprovalDecision.deny()
    return user


@pytest.mark.parametrize("method,rule", ROUTES)
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_route_answers_5xx(ctx, deny_everything, method, rule, data):
    token, _ = ctx.service.grants.create("app.example", ORIGIN, ("sign", "encrypt", "decrypt", "write_profile"),
                                         ctx.wallet.default_identity().bap_id, 600, site="app.example")
    path = re.sub(r"<[^>]+>", data.draw(st.sampled_from(["auth", "sign", "x/y", "%ff", "..", "x"]), label="wildcard"),
                  rule)
    headers = [
        (b"Origin", data.draw(weighted([ORIGIN.encode(), ORIGIN.encode(), ORIGIN.encode(), b"null", None]),
                              label="origin")),
        (b"Authorization", data.draw(weighted([b"Bearer " + token.encode(), b"Bearer " + token.encode(),
                                               token.encode(), None]), label="authorization")),
        (b"Content-Type", data.draw(weighted([b"application/json", b"text/plain", None]), label="content-type")),
    ]
    extra = data.draw(st.lists(st.tuples(st.sampled_from([b"X-Fuzz", b"Access-Control-Request-Private-Network",
                                                          b"Access-Control-Request-Method", b"Cookie"]),
                                         header_bytes), max_size=3), label="extra headers")
    body = data.draw(bodies(path), label="body")
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    for name, value in headers + extra:
        if value is not None:
            head += name + b": " + value + b"\r\n"
    status, _, payload = raw_request(ctx.api.url, head, body)
    assert status < 500, (method, path, head, body[:200], payload[:300])
    if ctx.wallet.is_locked:
        ctx.wallet.unlock(PASSPHRASE)  # /api/logout locked it: keep the deeper paths reachable
