"""POST /api/auth/sign-in/sigma against a real server, with tokens from the npm bitcoin-auth package."""

from __future__ import annotations

import hashlib

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from auth_server.crypto import address_from_pubkey, bap_id_from_pubkey, parse_pubkey
from tests.helpers.fixtures.sign_in_server import SIGN_IN, js_timestamp


def _error(res) -> tuple[int, str]:
    body = res.json()
    assert set(body) == {"message", "code"}, body
    assert res.headers["content-type"].startswith("application/json")
    return res.status_code, body["code"]


def test_sign_in_creates_user_session_and_cookie(server, peer, peer_key):
    wif, pubkey = peer_key
    res = server.sign_in(peer.make(wif, SIGN_IN))
    assert res.status_code == 200, res.text
    data = res.json()
    assert data["user"]["pubkey"] == pubkey
    # no profile: a neutral label, never the Bitcoin address (issue 24)
    assert data["user"]["name"] == "Sigil user " + hashlib.sha256(data["user"]["id"].encode()).hexdigest()[:4]
    assert address_from_pubkey(parse_pubkey(pubkey)) not in res.text
    assert data["user"]["username"] == bap_id_from_pubkey(pubkey).lower()
    assert data["user"]["id"] and len(data["token"]) >= 43
    cookie = res.headers["set-cookie"]
    assert cookie.startswith(f"better-auth.session_token={data['token']};")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    me = server.request("GET", "/api/auth/get-session", headers={"Authorization": f"Bearer {data['token']}"}).json()
    assert me["user"]["id"] == data["user"]["id"]
    assert me["user"]["bapId"] == bap_id_from_pubkey(pubkey)  # default resolver: member pubkey -> BAP ID


@pytest.mark.parametrize("scheme", ["brc77", "bsm"])
def test_both_schemes_and_same_key_is_same_user(server, peer, peer_key, scheme):
    wif, pubkey = peer_key
    first = server.sign_in(peer.make(wif, SIGN_IN, scheme=scheme))
    second = server.sign_in(peer.make(wif, SIGN_IN, scheme=scheme))
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json()["user"]["id"] == second.json()["user"]["id"]
    assert first.json()["token"] != second.json()["token"]
    assert server.store.users.count() == 1


def test_replayed_token_is_refused(server, peer, peer_key):
    token = peer.make(peer_key[0], SIGN_IN)
    assert server.sign_in(token).status_code == 200
    assert _error(server.sign_in(token)) == (401, "REPLAYED")


@pytest.mark.parametrize(("offset", "code"), [(-600, "STALE"), (600, "FUTURE")])
def test_token_outside_the_window_is_refused(server, peer, peer_key, offset, code):
    token = peer.make(peer_key[0], SIGN_IN, timestamp=js_timestamp(offset))
    assert _error(server.sign_in(token)) == (401, code)


def test_window_is_configurable(server_factory, peer, peer_key):
    server = server_factory(token_window_seconds=900)
    assert server.sign_in(peer.make(peer_key[0], SIGN_IN, timestamp=js_timestamp(-600))).status_code == 200


def test_swapped_pubkey_is_refused(server, peer, peer_key):
    _, other_pubkey = peer.key()
    for scheme, code in (("brc77", "KEY_NOT_BOUND"), ("bsm", "BAD_SIGNATURE")):
        fields = peer.make(peer_key[0], SIGN_IN, scheme=scheme).split("|")
        fields[0] = other_pubkey
        assert _error(server.sign_in("|".join(fields))) == (401, code)
    assert server.store.users.count() == 0


def test_token_for_another_path_is_refused(server, peer, peer_key):
    token = peer.make(peer_key[0], "/api/auth/oauth2/token")
    assert _error(server.sign_in(token)) == (401, "PATH_MISMATCH")


def test_tampered_signature_is_refused(server, peer, peer_key):
    fields = peer.make(peer_key[0], SIGN_IN, scheme="bsm").split("|")
    raw = bytearray(base64.b64decode(fields[4]))
    raw[-1] ^= 1
    fields[4] = base64.b64encode(bytes(raw)).decode()
    assert _error(server.sign_in("|".join(fields)))[0] == 401


def test_malformed_headers_are_400(server, peer, peer_key):
    good = peer.make(peer_key[0], SIGN_IN).split("|")
    cases = {
        "garbage": "not-a-token",
        "four fields": "|".join(good[:4]),
        "six fields": "|".join(good + ["x"]),
        "unknown scheme": "|".join([good[0], "ecdsa", *good[2:]]),
        "bad pubkey": "|".join(["02" + "zz" * 32, *good[1:]]),
        "bad timestamp": "|".join([good[0], good[1], "yesterday", *good[3:]]),
        "bad base64": "|".join([*good[:4], "%%%"]),
        "too long": "|".join([*good[:4], "A" * 10000]),
    }
    for name, header in cases.items():
        status, _ = _error(server.sign_in(header))
        assert status == 400, name


def test_missing_header_is_401(server):
    assert _error(server.request("POST", SIGN_IN, json={})) == (401, "MISSING_TOKEN")


def test_body_errors_are_400(server, peer, peer_key):
    wif = peer_key[0]
    assert _error(server.sign_in(peer.make(wif, SIGN_IN), body="{not json"))[0] == 400
    assert _error(server.sign_in(peer.make(wif, SIGN_IN), body="[1, 2]"))[0] == 400
    assert _error(server.sign_in(peer.make(wif, SIGN_IN), body={"bapId": 5}))[0] == 400
    assert _error(server.sign_in(peer.make(wif, SIGN_IN), body=b"\xff\xfe"))[0] == 400


def test_bap_id_in_body_is_recorded_on_the_session(server, peer, peer_key):
    own = bap_id_from_pubkey(peer_key[1])
    res = server.sign_in(peer.make(peer_key[0], SIGN_IN), body={"bapId": own})
    assert res.status_code == 200
    me = server.request("GET", "/api/auth/get-session", headers={"Authorization": f"Bearer {res.json()['token']}"})
    assert me.json()["session"]["bapId"] == own


def test_someone_elses_bap_id_in_body_is_refused(server, peer, peer_key):
    """The body is unsigned: claiming a victim's BAP ID with one's own key must not work."""
    victim = "VpdSWHprjixzq5dX2kno1gEmw4C"
    assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN), body={"bapId": victim})) == (401, "BAP_ID_MISMATCH")
    users = server.request("GET", "/api/auth/get-session")
    assert users.json() is None


def test_twenty_concurrent_first_sign_ins_make_one_user(server, peer, peer_key):
    tokens = [peer.make(peer_key[0], SIGN_IN) for _ in range(20)]
    barrier = threading.Barrier(20)

    def go(token: str):
        barrier.wait()
        return server.sign_in(token)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(go, tokens))
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    assert len({a.json()["user"]["id"] for a in answers}) == 1
    assert len({a.json()["token"] for a in answers}) == 20
    assert server.store.users.count() == 1


def test_one_token_sent_by_ten_threads_succeeds_once(server, peer, peer_key):
    token = peer.make(peer_key[0], SIGN_IN)
    barrier = threading.Barrier(10)

    def go(_: int):
        barrier.wait()
        return server.sign_in(token)

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(a.status_code for a in pool.map(go, range(10)))
    assert statuses == [200] + [401] * 9


def test_implicit_sign_up_can_be_disabled(server_factory, peer, peer_key):
    server = server_factory(disable_implicit_sign_up=True)
    assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN))) == (403, "SIGN_UP_DISABLED")
    assert server.store.users.count() == 0
    server.store.users.create(peer_key[1], "known", server.clock())  # an admin made the account
    assert server.sign_in(peer.make(peer_key[0], SIGN_IN)).status_code == 200


def test_rate_limit_per_ip(server_factory, peer):
    server = server_factory(rate_limit_enabled=True, rate_limit_per_ip=3, rate_limit_per_pubkey=100)
    answers = [server.sign_in(peer.make(peer.key()[0], SIGN_IN)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert _error(answers[3]) == (429, "RATE_LIMITED")
    assert int(answers[3].headers["retry-after"]) >= 1
    server.clock.offset += 61  # next window
    assert server.sign_in(peer.make(peer.key()[0], SIGN_IN)).status_code == 200


def test_rate_limit_per_pubkey(server_factory, peer, peer_key):
    server = server_factory(rate_limit_enabled=True, rate_limit_per_ip=100, rate_limit_per_pubkey=2)
    statuses = [server.sign_in(peer.make(peer_key[0], SIGN_IN)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert server.sign_in(peer.make(peer.key()[0], SIGN_IN)).status_code == 200  # other keys unaffected


def test_rate_limits_are_off_when_disabled(server_factory, peer, peer_key):
    server = server_factory(rate_limit_enabled=False, rate_limit_per_ip=1, rate_limit_per_pubkey=1)
    assert [server.sign_in(peer.make(peer_key[0], SIGN_IN)).status_code for _ in range(3)] == [200] * 3


def test_foreign_origin_cannot_sign_in(server, peer, peer_key):
    token = peer.make(peer_key[0], SIGN_IN)
    assert _error(server.sign_in(token, headers={"Origin": "https://evil.example"})) == (403, "INVALID_ORIGIN")
    assert server.sign_in(peer.make(peer_key[0], SIGN_IN), headers={"Origin": server.url}).status_code == 200


def test_https_base_url_makes_secure_prefixed_cookie(server_factory, peer, peer_key):
    server = server_factory(base_url="https://auth.example")
    res = server.sign_in(peer.make(peer_key[0], SIGN_IN))
    cookie = res.headers["set-cookie"]
    assert cookie.startswith("__Secure-better-auth.session_token=") and "Secure" in cookie
    me = server.request("GET", "/api/auth/get-session",
                        headers={"Cookie": f"__Secure-better-auth.session_token={res.json()['token']}"})
    assert me.json()["user"]["pubkey"] == peer_key[1]


class TestChallenge:
    def challenge(self, server) -> str:
        res = server.request("GET", "/api/auth/sigma/challenge")
        assert res.status_code == 200 and res.json()["expiresIn"] > 0
        return res.json()["challenge"]

    def test_challenge_bound_sign_in(self, server, peer, peer_key):
        body = json.dumps({"challenge": self.challenge(server)})
        res = server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body)
        assert res.status_code == 200, res.text
        # the challenge is single-use, even with a fresh token
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body)) == (401, "INVALID_CHALLENGE")

    def test_token_must_cover_the_challenge_body(self, server, peer, peer_key):
        body = json.dumps({"challenge": self.challenge(server)})
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN), body=body)) == (401, "BODY_MISMATCH")

    def test_unknown_and_expired_challenges(self, server, peer, peer_key):
        body = json.dumps({"challenge": "made-up"})
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body)) == (401, "INVALID_CHALLENGE")
        body = json.dumps({"challenge": self.challenge(server)})
        server.clock.offset += server.settings.challenge_seconds + 1
        token = peer.make(peer_key[0], SIGN_IN, body=body, timestamp=js_timestamp(server.clock.offset))
        assert _error(server.sign_in(token, body=body)) == (401, "INVALID_CHALLENGE")

    def test_a_refused_sign_in_leaves_its_challenge_unspent(self, server_factory, peer, peer_key):
        """Refusals after the token checks (sign-up disabled, bapId mismatch, key rate limit)
        leave no trace: the challenge they carried still signs in afterwards."""
        server = server_factory(disable_implicit_sign_up=True)
        body = json.dumps({"challenge": self.challenge(server)})
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body)) == (403, "SIGN_UP_DISABLED")
        server.store.users.create(peer_key[1], "known", server.clock())
        wrong = json.dumps({"challenge": json.loads(body)["challenge"], "bapId": "someone-else"})
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN, body=wrong), body=wrong)) == (401, "BAP_ID_MISMATCH")
        assert server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body).status_code == 200

    def test_a_rate_limited_sign_in_leaves_its_challenge_unspent(self, server_factory, peer, peer_key):
        server = server_factory(rate_limit_enabled=True, rate_limit_per_ip=100, rate_limit_per_pubkey=1)
        assert server.sign_in(peer.make(peer_key[0], SIGN_IN)).status_code == 200
        body = json.dumps({"challenge": self.challenge(server)})
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body)) == (429, "RATE_LIMITED")
        server.clock.offset += server.settings.rate_limit_window_seconds + 1  # the challenge is still live
        token = peer.make(peer_key[0], SIGN_IN, body=body, timestamp=js_timestamp(server.clock.offset))
        assert server.sign_in(token, body=body).status_code == 200

    def test_required_challenge(self, server_factory, peer, peer_key):
        server = server_factory(require_challenge=True)
        assert _error(server.sign_in(peer.make(peer_key[0], SIGN_IN))) == (401, "CHALLENGE_REQUIRED")
        body = json.dumps({"challenge": self.challenge(server), "bapId": bap_id_from_pubkey(peer_key[1])})
        assert server.sign_in(peer.make(peer_key[0], SIGN_IN, body=body), body=body).status_code == 200


def test_nothing_a_client_sends_makes_a_500(server, peer, peer_key):
    token = peer.make(peer_key[0], SIGN_IN)
    attempts = [
        server.request("POST", SIGN_IN, headers={"X-Auth-Token": ("\u00e9" * 50).encode("latin-1")}, content=b"{}"),
        server.request("POST", SIGN_IN, headers={"X-Auth-Token": token, "Content-Type": "text/plain"}, content=b"\x00" * 100),
        server.request("POST", SIGN_IN, headers={"X-Auth-Token": token}, content=b"x" * 200_000),
        server.request("GET", SIGN_IN),
        server.request("POST", "/api/auth/get-session"),
        server.request("GET", "/api/auth/get-session", headers={"Authorization": "Bearer " + "x" * 5000}),
        server.request("GET", "/api/auth/get-session", headers={"Cookie": "better-auth.session_token=\"\\x\""}),
        server.request("POST", "/api/auth/revoke-session", headers={"Authorization": "Bearer nope"}, content=b"{"),
        server.request("GET", "/no/such/path"),
    ]
    for res in attempts:
        assert res.status_code < 500, (res.request.url, res.status_code, res.text)
        assert res.headers["content-type"].startswith("application/json"), res.text
