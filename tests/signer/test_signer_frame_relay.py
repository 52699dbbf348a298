"""What the ``/signer`` frame sends the local signer API, and what it makes of the answers.

Real chromium, the published plugin (0.0.75, no ``preferLocal``) and the page's CWI client
on a registered origin; the local API is a stand-in in TokenPass's request and answer
shapes, so every relayed call and every answer the real signer may give (locked with code 1,
a missing scope, an endpoint an older signer lacks) can be checked byte for byte. The real
``sigil`` app behind the frame is tests/signer/test_signer_frame.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import bottle
import coincurve
import pytest

from auth_server.crypto import make_token
from auth_server.serving.server import ServerThread
from tests.helpers.net import free_port
from tests.helpers.frame_parent import bundle_parent_script, frame_messages, kinds, open_app, outcome, parent_app, start
from tests.helpers.fixtures.oauth_server import Server, register
from tests.signin.test_signin_page import chromium  # noqa: F401

pytestmark = pytest.mark.e2e

BAP_ID = "VpdSWHprjixzq5dX2kno1gEmw4C"
FRIEND = "FriendBapIdOfSomeone"
THEIR_KEY = "02" + "11" * 32
CIPHERTEXT_HEX = "42494531" + "03" + "22" * 32 + "33" * 16 + "44" * 32  # the BIE1 layout; contents arbitrary
FRIEND_KEY = "03" + "55" * 32


@dataclass
class StandInSigner:
    """The local API in TokenPass's shapes; records what it is sent, answers as configured."""

    key: coincurve.PrivateKey = field(default_factory=coincurve.PrivateKey)
    unlocked: bool = True
    missing: set[str] = field(default_factory=set)  # endpoints it answers with 404 (an older signer)
    scope_of: dict[str, str] = field(default_factory=lambda: {
        "/api/sign": "sign", "/api/sign-aip": "sign", "/api/encrypt": "encrypt", "/api/decrypt": "decrypt"})
    calls: list[tuple[str, dict]] = field(default_factory=list)
    grants: dict[str, list[str]] = field(default_factory=dict)

    def app(self) -> bottle.Bottle:
        app = bottle.Bottle()
        cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type, Authorization",
                "Access-Control-Allow-Methods": "POST, GET, OPTIONS", "Content-Type": "application/json"}

        def answer(data: dict, status: int = 200) -> bottle.HTTPResponse:
            return bottle.HTTPResponse(json.dumps(data), status, cors)

        def error(message: str, code: int, status: int) -> bottle.HTTPResponse:
            return answer({"error": message, "code": code, "success": False}, status)

        @app.route("/<path:path>", method="OPTIONS")
        def preflight(path: str):
            return bottle.HTTPResponse("", 204, cors)

        @app.get("/api/status")
        def status():
            return answer({"unlocked": self.unlocked, "success": True})

        @app.post("/api/auth")
        def auth():
            body = json.load(bottle.request.body)
            self.calls.append(("/api/auth", body))
            token = f"tok{len(self.grants)}"
            self.grants[token] = list(body["scopes"])
            return answer({"success": True, "accessToken": token, "expireTime": 0, "host": body["host"],
                           "bapId": BAP_ID})

        @app.post("/api/<name>")
        def call(name: str):
            path = "/api/" + name
            if path in self.missing:
                return error("Not found", 6, 404)
            if not self.unlocked:
                return error("Wallet is locked", 1, 401)
            header = bottle.request.get_header("Authorization", "")
            scopes = self.grants.get(header.removeprefix("Bearer "))
            if scopes is None:
                return error("Invalid access token", 3, 401)
            needed = self.scope_of.get(path)
            if needed and needed not in scopes:
                return error(f"Missing required scopes: {needed}", 6, 401)
            body = json.load(bottle.request.body)
            self.calls.append((path, body))
            if path == "/api/sign":
                return answer({"success": True, "token": make_token(self.key, body["path"], body.get("body"))})
            if path == "/api/sign-aip":
                return answer({"success": True, "signedOps": ["BITCOIN_ECDSA", "1Address", "c2lnbmF0dXJl"]})
            if path == "/api/encrypt":
                return answer({"success": True, "ciphertext": CIPHERTEXT_HEX})
            if path == "/api/decrypt":
                return answer({"success": True, "data": "hello, friend"})
            if path == "/api/friend-pubkey":
                return answer({"success": True, "publicKey": FRIEND_KEY})
            return error("Not found", 6, 404)

        return app

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]


@dataclass
class Rig:
    server: Server
    signer: StandInSigner
    app_url: str


@pytest.fixture(scope="module")
def parent_bundle() -> bytes:
    return bundle_parent_script()


@pytest.fixture()
def rig(server: Server, parent_bundle: bytes) -> Iterator[Rig]:
    port = free_port()
    server.settings.signer_url = f"http://127.0.0.1:{port}"
    signer = StandInSigner()
    signer_thread = ServerThread(signer.app(), "127.0.0.1", port, threads=4).start()
    app_thread = ServerThread(parent_app(server.url, parent_bundle), "127.0.0.1", 0, threads=4).start()
    register(server, redirect=app_thread.url + "/callback")
    try:
        yield Rig(server, signer, app_thread.url)
    finally:
        app_thread.stop()
        signer_thread.stop()


@pytest.fixture()
def page(chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def run(page, name: str, expression: str) -> dict:
    start(page, name, expression)
    return outcome(page, name, timeout=10)


def value_of(page, name: str, expression: str):
    result = run(page, name, expression)
    assert result["ok"], result
    return result["value"]


def test_each_plugin_call_is_one_local_api_call_in_its_shapes(rig: Rig, page) -> None:
    open_app(page, rig.app_url, BAP_ID)
    token = value_of(page, "sign", "sigma.sign('/api/posts', {a: 1})")
    assert token.split("|")[3] == "/api/posts"
    ops = value_of(page, "aip", "sigma.signAIP(['6a', 'ABCD'])")
    assert ops == ["BITCOIN_ECDSA", "1Address", "c2lnbmF0dXJl"]
    encrypted = value_of(page, "enc", f"sigma.encrypt('hello', {FRIEND!r})")
    assert base64.b64decode(encrypted).hex() == CIPHERTEXT_HEX  # base64, as the plugin documents
    value_of(page, "enc2", f"sigma.encrypt('hello', {FRIEND!r}, {THEIR_KEY!r})")
    assert value_of(page, "dec", f"sigma.decrypt({encrypted!r}, {FRIEND!r})") == "hello, friend"
    assert value_of(page, "dec-hex", f"sigma.decrypt({CIPHERTEXT_HEX!r}, {FRIEND!r})") == "hello, friend"
    assert value_of(page, "pub", f"sigma.getFriendPublicKey({FRIEND!r})") == FRIEND_KEY

    host = rig.app_url.removeprefix("http://")
    assert rig.signer.calls == [
        ("/api/auth", {"host": host, "scopes": ["sign"], "expiry": "1h"}),
        ("/api/sign", {"path": "/api/posts", "body": '{"a":1}', "signatureType": "brc77"}),
        ("/api/sign-aip", {"data": ["6a", "ABCD"]}),
        ("/api/auth", {"host": host, "scopes": ["sign", "encrypt"], "expiry": "1h"}),
        ("/api/encrypt", {"data": "hello", "friendBapId": FRIEND}),
        ("/api/encrypt", {"data": "hello", "friendBapId": FRIEND, "theirPublicKey": THEIR_KEY}),
        ("/api/auth", {"host": host, "scopes": ["sign", "encrypt", "decrypt"], "expiry": "1h"}),
        ("/api/decrypt", {"ciphertext": CIPHERTEXT_HEX, "friendBapId": FRIEND}),
        ("/api/decrypt", {"ciphertext": CIPHERTEXT_HEX, "friendBapId": FRIEND}),
        ("/api/friend-pubkey", {"friendBapId": FRIEND}),
    ]
    assert "SIGNER_ERROR" not in kinds(frame_messages(page))


def test_each_cwi_call_is_one_local_api_call_in_its_shapes(rig: Rig, page) -> None:
    open_app(page, rig.app_url, BAP_ID)
    token = value_of(page, "sign", "cwi.call('signAuthToken', {requestPath: '/api/x', body: 'b', signatureType: 'bsm'})")
    assert token.split("|")[3] == "/api/x"
    assert value_of(page, "aip", "cwi.call('signAIP', {hexArray: ['6a']})") == ["BITCOIN_ECDSA", "1Address",
                                                                               "c2lnbmF0dXJl"]
    sigma = "protocolID: [2, 'sigma-encrypt'], keyID: " + repr(FRIEND)
    encrypted = value_of(page, "enc", "cwi.call('encrypt', {plaintext: new TextEncoder().encode('héllo'), "
                                      f"{sigma}}}).then(r => Array.from(r.ciphertext))")
    assert bytes(encrypted).hex() == CIPHERTEXT_HEX
    plain = value_of(page, "dec", f"cwi.call('decrypt', {{ciphertext: Uint8Array.from({encrypted}), {sigma}, "
                                  f"counterparty: {THEIR_KEY!r}}}).then(r => new TextDecoder().decode(r.plaintext))")
    assert plain == "hello, friend"
    assert value_of(page, "pub", f"cwi.call('getPublicKey', {{{sigma}}})") == {"publicKey": FRIEND_KEY}

    assert [c for c in rig.signer.calls if c[0] != "/api/auth"] == [
        ("/api/sign", {"path": "/api/x", "body": "b", "signatureType": "bsm"}),
        ("/api/sign-aip", {"data": ["6a"]}),
        ("/api/encrypt", {"data": "héllo", "friendBapId": FRIEND}),
        ("/api/decrypt", {"ciphertext": CIPHERTEXT_HEX, "friendBapId": FRIEND, "theirPublicKey": THEIR_KEY}),
        ("/api/friend-pubkey", {"friendBapId": FRIEND}),
    ]
    assert kinds(frame_messages(page))[0] == "CWI:ready"


def test_locked_with_code_1_is_announced_and_retried_once_unlocked(rig: Rig, page) -> None:
    rig.signer.unlocked = False
    open_app(page, rig.app_url, BAP_ID)
    start(page, "sign", "sigma.sign('/api/posts')")
    page.wait_for_function("frameTest.messages.some(m => m.type === 'WALLET_LOCKED')")
    assert page.evaluate("document.querySelector('iframe').style.display") == "block"  # the plugin shows the frame
    assert "/api/sign" not in rig.signer.paths()
    rig.signer.unlocked = True
    result = outcome(page, "sign", timeout=10)
    assert result["ok"], result
    assert page.evaluate("document.querySelector('iframe').style.display") == "none"
    seen = kinds(frame_messages(page))
    assert seen.index("WALLET_LOCKED") < seen.index("WALLET_UNLOCKED")
    assert seen.index("CWI:need_password") < seen.index("CWI:ready", 1)


def test_a_scope_the_signer_names_is_asked_for_then_the_call_retried(rig: Rig, page) -> None:
    rig.signer.scope_of["/api/friend-pubkey"] = "encrypt"  # a signer stricter than the frame expects
    open_app(page, rig.app_url, BAP_ID)
    assert value_of(page, "pub", f"sigma.getFriendPublicKey({FRIEND!r})") == FRIEND_KEY
    assert [b["scopes"] for p, b in rig.signer.calls if p == "/api/auth"] == [["sign"], ["sign", "encrypt"]]


def test_an_endpoint_an_older_signer_lacks_is_named(rig: Rig, page) -> None:
    rig.signer.missing.add("/api/sign-aip")
    open_app(page, rig.app_url, BAP_ID)
    result = run(page, "aip", "sigma.signAIP(['6a'])")
    assert result["ok"] is False
    assert result["error"] == "This Sigil signer does not offer /api/sign-aip yet: update the Sigil app."


@pytest.mark.parametrize(("expression", "complaint"), [
    (f"sigma.encrypt('x', {FRIEND!r}, 'not-a-key')", "counterPartyPublicKey must be a compressed public key"),
    ("sigma.encrypt('x', '')", "encrypt needs friendBapId or a public key"),
    (f"sigma.decrypt('***', {FRIEND!r})", "ciphertext must be base64 or hex"),
    ("sigma.signAIP([1, 2])", "hexArray must be a list of hex strings"),
    ("sigma.sign('')", "requestPath must be a non-empty string"),
    ("cwi.call('encrypt', {plaintext: [255, 254], protocolID: [2, 'sigma-encrypt'], keyID: 'f'})",
     "plaintext must be UTF-8 text"),
    ("cwi.call('getPublicKey', {identityKey: true})", "only protocolID [2, \"sigma-encrypt\"] is supported"),
    ("cwi.call('decrypt', {ciphertext: [300], protocolID: [2, 'sigma-encrypt'], keyID: 'f'})",
     "ciphertext must be bytes"),
])
def test_bad_input_is_refused_in_the_frame(rig: Rig, page, expression: str, complaint: str) -> None:
    open_app(page, rig.app_url, BAP_ID)
    result = run(page, "bad", expression)
    assert result["ok"] is False and complaint in result["error"], result
    assert rig.signer.calls == []  # nothing reached the signer, not even a grant request


def test_a_parent_with_an_opaque_origin_gets_nothing(rig: Rig, page) -> None:
    """A sandboxed frame inside a registered page has the origin "null": not a registered one."""
    open_app(page, rig.app_url, BAP_ID)
    page.evaluate("""(sigmaUrl) => {
        window.fromSandbox = [];
        window.addEventListener("message", (e) => { if (e.origin === "null") fromSandbox.push(e.data); });
        const inner = `<body><script>
            const f = document.createElement("iframe");
            f.src = ${JSON.stringify(sigmaUrl + "/signer")};
            window.addEventListener("message", (e) => { if (e.source === f.contentWindow) parent.postMessage(e.data, "*"); });
            f.onload = () => {
                f.contentWindow.postMessage({type: "SIGN_REQUEST", payload: {requestId: "r1", requestPath: "/x"}}, "*");
                f.contentWindow.postMessage({type: "CWI", isInvocation: true, id: "c1", call: "signAuthToken",
                                             args: {requestPath: "/x"}}, "*");
                parent.postMessage("posted", "*");
            };
            document.body.appendChild(f);
        <\\/script>`;
        const sandbox = document.createElement("iframe");
        sandbox.sandbox = "allow-scripts";
        sandbox.srcdoc = inner;
        document.body.appendChild(sandbox);
    }""", rig.server.url)
    page.wait_for_function("fromSandbox.includes('posted')")
    page.wait_for_timeout(1500)
    assert page.evaluate("fromSandbox") == ["posted"]
    assert rig.signer.calls == []


def test_a_grant_revoked_in_sigil_is_asked_for_again_once(rig: Rig, page) -> None:
    open_app(page, rig.app_url, BAP_ID)
    value_of(page, "first", "sigma.sign('/api/a')")
    rig.signer.grants.clear()  # revoked (or expired) in the signer: code 3 from now on
    value_of(page, "again", "sigma.sign('/api/b')")
    assert rig.signer.paths() == ["/api/auth", "/api/sign", "/api/auth", "/api/sign"]

    rig.signer.scope_of["/api/sign"] = "nothing_ever_granted"  # a signer that refuses whatever it is given
    rig.signer.grants.clear()
    rig.signer.calls.clear()
    result = run(page, "refused", "sigma.sign('/api/c')")
    assert result["ok"] is False and "Missing required scopes: nothing_ever_granted" in result["error"]
    assert rig.signer.paths() == ["/api/auth"]  # one new grant after the revocation, then the refusal is said
