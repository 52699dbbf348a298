"""The TokenPass-compatible endpoints over real HTTP: request and answer shapes, the
vocabulary of /api/auth, scopes per grant, and every error path (no grant, wrong scope,
expired, locked, malformed hex, bad ciphertext, opaque origin) answering 4xx, never 5xx."""

from __future__ import annotations

import base64
import hashlib
import math

import coincurve
import pytest

from auth_server.crypto import verify_token
from auth_server.crypto.brc42 import derive_child_public_key
from auth_server.crypto.bsm import recover_bsm_pubkey
from auth_server.crypto.ecies import electrum_decrypt, electrum_encrypt
from auth_server.crypto.keys import address_from_pubkey
from signer_app.approvals import ApprovalDecision
from signer_app.grants import MONTH_SECONDS
from signer_app.local_api.app import ENDPOINTS
from signer_app.wallet import derivation

ORIGIN = "https://app.example"
SITE = "app.example"
FRIEND = "1FriendBapIdXXXXXXXXXXXXXXX"
ALL_SCOPES = ("sign", "encrypt", "decrypt", "write_profile")


def give_grant(ctx, scopes=ALL_SCOPES, seconds: float = 600, origin: str = ORIGIN) -> str:
    bap_id = ctx.wallet.default_identity().bap_id
    token, _ = ctx.service.grants.create(SITE, origin, tuple(scopes), bap_id, seconds, site=SITE)
    return token


def call(api, path: str, body: dict | None, token: str | None = None, method: str = "POST", origin: str = ORIGIN,
         bearer_prefix: str = "Bearer "):
    headers = {"Origin": origin} if origin else {}
    if token:
        headers["Authorization"] = bearer_prefix + token
    return api.request(method, path, body, headers)


def ok(answer) -> dict:
    assert answer.status == 200, answer.body
    assert answer.body["success"] is True
    return answer.body


# -- /api/auth: TokenPass's vocabulary ---------------------------------------------------------


@pytest.mark.parametrize("field,value,seconds", [
    ("expiry", "once", 10), ("expire", "1h", 3600), ("expiry", "1d", 86400), ("expire", "1w", 7 * 86400),
    ("expiry", "1m", MONTH_SECONDS), ("expire", "forever", math.inf),
])
def test_auth_accepts_tokenpass_expiry_words_and_comma_scopes(api, ctx, user, field, value, seconds):
    answer = ok(call(api, "/api/auth", {"host": SITE, "scopes": "sign, encrypt", field: value}))
    (request,) = user.seen
    assert request.scopes == ("sign", "encrypt") and request.duration_seconds == seconds
    assert answer["bapId"] == ctx.wallet.default_identity().bap_id and answer["host"] == SITE
    grant = ctx.service.grants.lookup(answer["accessToken"])
    if math.isinf(seconds):
        assert answer["expireTime"] == 0 and grant.forever  # 0 = never, as TokenPass answers
    else:
        assert answer["expireTime"] == pytest.approx((grant.created + seconds) * 1000, abs=1)


def test_one_m_is_a_month_and_minutes_are_min(api, ctx, user):
    assert ok(call(api, "/api/auth", {"expiry": "1m"}))
    assert ok(call(api, "/api/auth", {"expiry": "15min"}))
    assert [r.duration_seconds for r in user.seen] == [MONTH_SECONDS, 900]


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "BEARER  ", ""])
def test_authorization_with_or_without_bearer(api, ctx, prefix):
    token = give_grant(ctx)
    answer = call(api, "/api/friend-pubkey", {"friendBapId": FRIEND}, token, bearer_prefix=prefix)
    assert ok(answer)["publicKey"] == ctx.wallet.friend_public_key(FRIEND)


def test_status_lists_no_granted_hosts_or_keys(api, ctx):
    give_grant(ctx)
    body = ok(api.request("GET", "/api/status", headers={"Origin": "https://other.example"}))
    assert set(body) == {"unlocked", "hasWallet", "success"}
    assert SITE not in str(body)


# -- the happy paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("message,encoding,raw", [
    ("hello ✓", "utf8", "hello ✓".encode()), ("abc", "hex", b"\x0a\xbc"), ("", "hex", b""),
    (base64.b64encode(b"\x00\xff").decode(), "base64", b"\x00\xff"), ("no encoding given", None, b"no encoding given"),
])
def test_sign_message_is_bsm_by_the_site_key(api, ctx, message, encoding, raw):
    token = give_grant(ctx, ("sign",))
    body = {"message": message} if encoding is None else {"message": message, "encoding": encoding}
    answer = ok(call(api, "/api/sign", body, token))
    assert set(answer) == {"address", "message", "sig", "ts", "success"}
    assert answer["address"] == ctx.wallet.site_address(SITE) and answer["message"] == message
    signer = recover_bsm_pubkey(base64.b64decode(answer["sig"]), raw)
    assert signer is not None and address_from_pubkey(signer) == answer["address"]
    assert answer["address"] != ctx.wallet.default_identity().address  # not the member key


def test_sign_aip_signed_ops(api, ctx):
    token = give_grant(ctx, ("sign",))
    data = ["6a", "0102", "abc"]
    answer = ok(call(api, "/api/sign-aip", {"data": data}, token))
    ops = answer["signedOps"]
    assert ops[:2] == ["BITCOIN_ECDSA", ctx.wallet.site_address(SITE)]
    signer = recover_bsm_pubkey(base64.b64decode(ops[2]), bytes.fromhex("6a0102" + "0abc"))
    assert signer is not None and address_from_pubkey(signer) == ops[1]


def test_encrypt_for_a_friend_then_decrypt(api, ctx):
    token = give_grant(ctx, ("encrypt", "decrypt"))
    sealed = ok(call(api, "/api/encrypt", {"data": "for my friend ✓", "friendBapId": FRIEND}, token))["ciphertext"]
    assert bytes.fromhex(sealed)[:4] == b"BIE1"
    opened = ok(call(api, "/api/decrypt", {"ciphertext": sealed, "friendBapId": FRIEND}, token))
    assert opened["data"] == "for my friend ✓"
    # the friend key of another friend does not open it: a bad MAC is a 400
    other = call(api, "/api/decrypt", {"ciphertext": sealed, "friendBapId": "someone else"}, token)
    assert other.status == 400 and other.body["code"] == 6


def test_encrypt_to_their_public_key_and_decrypt_from_it(api, ctx):
    token = give_grant(ctx, ("encrypt", "decrypt"))
    theirs = coincurve.PrivateKey()
    sealed = ok(call(api, "/api/encrypt", {"data": "to a key", "theirPublicKey": theirs.public_key.format().hex()},
                     token))["ciphertext"]
    assert electrum_decrypt(bytes.fromhex(sealed), theirs) == b"to a key"
    # they encrypt to the ECDH child they compute for our identity's base key
    base_pub = coincurve.PublicKey(bytes.fromhex(ctx.wallet.default_identity().pubkey))
    to_us = derive_child_public_key(base_pub, theirs, derivation.encrypt_invoice(None))
    message = electrum_encrypt("from them".encode(), to_us).hex()
    opened = ok(call(api, "/api/decrypt", {"ciphertext": message, "theirPublicKey": theirs.public_key.format().hex()},
                     token))
    assert opened["data"] == "from them"


def test_friend_pubkey(api, ctx):
    token = give_grant(ctx, ())
    expected = derivation.friend_public_key(
        ctx.wallet._require_keystore().derivation_base(0), FRIEND).hex()
    assert ok(call(api, "/api/friend-pubkey", {"friendBapId": FRIEND}, token))["publicKey"] == expected


def test_profile_read_and_write(api, ctx):
    token = give_grant(ctx)
    assert ok(call(api, "/api/profile", None, token, method="GET")) == {"success": True}
    profile = {"displayName": "Alice", "paymail": "alice@example.com", "logo": "https://example.com/a.png"}
    assert ok(call(api, "/api/profile", profile, token)) == {"success": True}
    assert ok(call(api, "/api/profile", None, token, method="GET")) == {**profile, "success": True}


BAD_PROFILES = [
    ("displayName", "x" * 101), ("displayName", 5), ("paymail", "not an address"), ("paymail", "a@b"),
    ("logo", "javascript:alert(1)"), ("logo", "https://exa mple.com/"), ("icon", "ftp://example.com/i.png"),
]


def test_profile_validation_is_400_and_stores_nothing(api, ctx):
    token = give_grant(ctx)
    for field, value in BAD_PROFILES:
        answer = call(api, "/api/profile", {"displayName": "Bob", field: value}, token)
        assert answer.status == 400 and answer.body["code"] == 6 and field in answer.body["error"], (field, value)
    assert ok(call(api, "/api/profile", None, token, method="GET")) == {"success": True}


# -- error paths -------------------------------------------------------------------------------

# (path, a valid body, the scope it needs or None)
CRYPTO_CALLS = [
    ("/api/sign", {"message": "hi", "encoding": "utf8"}, "sign"),
    ("/api/sign", {"path": "/api/orders"}, "sign"),
    ("/api/sign-aip", {"data": ["00"]}, "sign"),
    ("/api/encrypt", {"data": "x", "friendBapId": FRIEND}, "encrypt"),
    ("/api/decrypt", {"ciphertext": "00", "friendBapId": FRIEND}, "decrypt"),
    ("/api/friend-pubkey", {"friendBapId": FRIEND}, None),
    ("/api/profile", {"displayName": "A"}, "write_profile"),
]


@pytest.mark.parametrize("path,body,scope", CRYPTO_CALLS)
def test_no_grant_invalid_token_and_expired(api, ctx, path, body, scope):
    missing = call(api, path, body, origin="")
    assert missing.status == 401 and missing.body["code"] == 2 and missing.body["success"] is False
    invalid = call(api, path, body, "not-a-grant", origin="")
    assert invalid.status == 401 and invalid.body["code"] == 3
    now = [1000.0]
    ctx.service.grants._clock = lambda: now[0]
    token = give_grant(ctx)
    now[0] += 601
    expired = call(api, path, body, token, origin="")
    assert expired.status == 401 and expired.body["code"] == 5


@pytest.mark.parametrize("path,body,scope", [c for c in CRYPTO_CALLS if c[2]])
def test_wrong_scope_names_the_missing_scope(api, ctx, path, body, scope):
    others = tuple(s for s in ALL_SCOPES if s != scope)
    answer = call(api, path, body, give_grant(ctx, others))
    assert answer.status == 401 and answer.body == {
        "error": f"Missing required scopes: {scope}", "code": 6, "success": False}


@pytest.mark.parametrize("path,body,scope", [c for c in CRYPTO_CALLS if c[0] not in ("/api/profile",)
                                             and c[1].get("path") is None])
def test_locked_wallet_is_code_1_without_a_prompt(api, ctx, path, body, scope):
    token = give_grant(ctx)
    ctx.service.lock()
    answer = call(api, path, body, token)
    assert answer.status == 401 and answer.body["code"] == 1
    assert ctx.service.broker.pending() == []


MALFORMED = [
    ("/api/sign", {"message": "zz", "encoding": "hex"}),
    ("/api/sign", {"message": "!!", "encoding": "base64"}),
    ("/api/sign", {"message": "x", "encoding": "latin1"}),
    ("/api/sign", {"message": 5}),
    ("/api/sign-aip", {"data": ["00", "0g"]}),
    ("/api/sign-aip", {"data": []}),
    ("/api/sign-aip", {"data": "00"}),
    ("/api/decrypt", {"ciphertext": "xyz", "friendBapId": FRIEND}),
    ("/api/decrypt", {"ciphertext": "00" * 100, "friendBapId": FRIEND}),  # hex, not BIE1
    ("/api/decrypt", {"ciphertext": "42494531" + "00" * 80, "friendBapId": FRIEND}),
    ("/api/decrypt", {"ciphertext": "00"}),
    ("/api/decrypt", {"ciphertext": "00", "theirPublicKey": "02" + "00" * 32}),
    ("/api/encrypt", {"data": "x", "theirPublicKey": "zz"}),
    ("/api/encrypt", {"data": "x"}),
    ("/api/encrypt", {"data": {"not": "text"}, "friendBapId": FRIEND}),
    ("/api/friend-pubkey", {}),
    ("/api/friend-pubkey", {"friendBapId": ["x"]}),
]


def test_malformed_input_is_400_with_a_message(api, ctx):
    token = give_grant(ctx)
    for path, body in MALFORMED:
        answer = call(api, path, body, token)
        assert answer.status == 400 and answer.body["code"] == 6 and answer.body["error"], (path, body, answer.body)


def test_tampered_ciphertext_is_400(api, ctx):
    token = give_grant(ctx)
    sealed = bytearray.fromhex(ok(call(api, "/api/encrypt", {"data": "x", "friendBapId": FRIEND}, token))["ciphertext"])
    sealed[-1] ^= 1
    answer = call(api, "/api/decrypt", {"ciphertext": sealed.hex(), "friendBapId": FRIEND}, token)
    assert answer.status == 400 and "MAC" in answer.body["error"].upper()


def test_a_grant_is_bound_to_its_origin(api, ctx):
    token = give_grant(ctx)
    ctx.service.grants.create("b.example", "https://b.example", ("sign",), ctx.wallet.default_identity().bap_id, 60)
    answer = call(api, "/api/sign-aip", {"data": ["00"]}, token, origin="https://b.example")
    assert answer.status == 401 and answer.body["code"] == 3


def test_identities_do_not_share_derived_keys(api, ctx):
    second = ctx.wallet.add_identity("Work")
    first = ctx.wallet.default_identity()
    a, _ = ctx.service.grants.create(SITE, ORIGIN, ALL_SCOPES, first.bap_id, 60, site=SITE)
    b, _ = ctx.service.grants.create(SITE, ORIGIN, ALL_SCOPES, second.bap_id, 60, site=SITE)
    keys = {ok(call(api, "/api/friend-pubkey", {"friendBapId": FRIEND}, t))["publicKey"] for t in (a, b)}
    assert len(keys) == 2
    sealed = ok(call(api, "/api/encrypt", {"data": "x", "friendBapId": FRIEND}, a))["ciphertext"]
    assert call(api, "/api/decrypt", {"ciphertext": sealed, "friendBapId": FRIEND}, b).status == 400


# -- the one-dialog sign-in of Sigil's authorize page ---------------------------------------------


def test_sign_in_is_one_dialog_and_the_member_key_signs(api, ctx, user):
    second = ctx.wallet.add_identity("Work")
    user.policy = lambda request: ApprovalDecision.approve(second.bap_id)
    answer = ok(call(api, "/api/sign-in", {"path": "/api/auth/sign-in/sigma", "app": "Demo app",
                                           "bapId": second.bap_id}, origin="http://127.0.0.1:4100"))
    (request,) = user.seen
    assert (request.kind, request.host, request.app_name, request.bap_id) == (
        "sign-in", "127.0.0.1:4100", "Demo app", second.bap_id)
    assert answer["bapId"] == second.bap_id
    assert verify_token(answer["token"], "/api/auth/sign-in/sigma").pubkey == second.pubkey
    assert ctx.service.grants.active() == []  # nothing left behind to sign with later


def test_sign_in_refuses_other_paths_and_reports_denial(api, ctx, user):
    bad = call(api, "/api/sign-in", {"path": "/api/orders"})
    assert bad.status == 400 and "sign-in" in bad.body["error"] and user.seen == []
    user.policy = lambda request: ApprovalDecision.deny()
    denied = call(api, "/api/sign-in", {"path": "/api/auth/sign-in/sigma"})
    assert denied.status == 403 and denied.body["code"] == 4


def test_every_endpoint_of_the_readme_table_is_served(ctx):
    routes = {(route.method, route.rule) for route in ctx.api.app.routes}
    assert {(method, path) for method, path, _, _ in ENDPOINTS} <= routes


def test_friend_invoice_is_the_sha256_of_the_bap_id():
    assert derivation.friend_invoice(FRIEND) == "2-friend-" + hashlib.sha256(FRIEND.encode()).hexdigest()
