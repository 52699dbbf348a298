"""The ``/signer`` frame in real chromium, driven by the published Sigma client plugin.

A page on a registered app's origin bundles ``@sigma-auth/better-auth-plugin`` 0.0.75 with
esbuild and uses it without ``preferLocal``, so the plugin loads ``<issuer>/signer`` in an
iframe; the frame relays to the real ``sigil`` app on Xvfb, whose dialogs the test answers.
The CWI protocol of later plugins (not published on npm) is spoken by the same page by hand.
Tests run in file order on one stack: the first ones run before the desktop signer starts.

To relay one more call end to end, add a row to :data:`RELAYED_CALLS`: the JavaScript that
makes it through the plugin (and through CWI), and how Node (@bsv/sdk, bitcoin-auth) checks
its answer. The frame's calls reach the signer from the Sigil server's origin, so the
per-site key (AIP) is the one of the server's host.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

import coincurve
import pytest

from auth_server.serving.server import ServerThread
from tests.helpers.fixtures.browser_stack import EXPECTED_BAP_ID, WALLET_PASSPHRASE, Stack
from tests.helpers.sdk_checks import AIP_DATA, FRIEND, SECRET, SdkChecks
from tests.signin.test_sign_in import Approvals, approvals, desktop, lock_wallet, signer_status  # noqa: F401
from tests.helpers import frame_parent
from tests.helpers.frame_parent import bundle_parent_script, frame_messages, kinds, outcome, parent_app, start
from tests.helpers.node_peer import NodePeer

pytestmark = pytest.mark.e2e

QUIET_SECONDS = 3.0  # how long "nothing arrives" is watched for
BODY = '{"title":"hello from the frame"}'
SIGMA_KEY = f"protocolID: [2, 'sigma-encrypt'], keyID: {json.dumps(FRIEND)}"  # CWI's name for the friend key


@dataclass(frozen=True)
class RelayedCall:
    """One plugin call through the frame: how to make it, and what a right answer is.

    The JavaScript may name ``$values`` that ``setup`` makes in Node first (a ciphertext
    @bsv/sdk sealed, say)."""

    plugin_js: str  # an expression on `sigma` (authClient.sigma) giving a promise
    cwi_js: str  # an expression on `cwi` (frameTest.cwi) giving a promise
    check: Callable[[Any, SdkChecks], None]
    setup: Callable[[SdkChecks], dict[str, str]] = field(default=lambda checks: {})

    def scripts(self, checks: SdkChecks) -> tuple[str, str]:
        values = {k: json.dumps(v) for k, v in self.setup(checks).items()}
        return Template(self.plugin_js).substitute(values), Template(self.cwi_js).substitute(values)


def check_auth_token(token: Any, checks: SdkChecks) -> None:
    checks.check_auth_token(token, "/api/posts", BODY)


def sealed_by_the_sdk(checks: SdkChecks) -> dict[str, str]:
    sealed = checks.seal_for_friend(SECRET)
    return {"hex": sealed, "b64": base64.b64encode(bytes.fromhex(sealed)).decode()}


def is_secret(value: Any, checks: SdkChecks) -> None:
    assert value == SECRET


def is_friend_key(key: Any, checks: SdkChecks) -> None:
    assert key == checks.friend_public_key(), "not the key @bsv/sdk derives for the friend"


RELAYED_CALLS: dict[str, RelayedCall] = {
    "sign": RelayedCall(
        plugin_js=f"sigma.sign('/api/posts', {BODY!r})",
        cwi_js=f"cwi.call('signAuthToken', {{requestPath: '/api/posts', body: {BODY!r}, signatureType: 'brc77'}})",
        check=check_auth_token,
    ),
    "signAIP": RelayedCall(
        plugin_js=f"sigma.signAIP({json.dumps(AIP_DATA)})",
        cwi_js=f"cwi.call('signAIP', {{hexArray: {json.dumps(AIP_DATA)}}})",
        check=lambda ops, checks: checks.check_signed_ops(ops),
    ),
    # the frame answers base64 (the plugin's contract); CWI bytes, turned into base64 here
    "encrypt": RelayedCall(
        plugin_js=f"sigma.encrypt({json.dumps(SECRET)}, {json.dumps(FRIEND)})",
        cwi_js=(f"cwi.call('encrypt', {{plaintext: Array.from(new TextEncoder().encode({json.dumps(SECRET)})), "
                f"{SIGMA_KEY}, counterparty: 'self'}}).then(r => btoa(String.fromCharCode(...r.ciphertext)))"),
        check=lambda sealed, checks: is_secret(checks.open_for_friend(sealed), checks),
    ),
    "decrypt": RelayedCall(
        plugin_js=f"sigma.decrypt($b64, {json.dumps(FRIEND)})",
        cwi_js=(f"cwi.call('decrypt', {{ciphertext: Array.from($hex.match(/../g), h => parseInt(h, 16)), "
                f"{SIGMA_KEY}, counterparty: 'self'}}).then(r => new TextDecoder().decode(r.plaintext))"),
        check=is_secret,
        setup=sealed_by_the_sdk,
    ),
    "getFriendPublicKey": RelayedCall(
        plugin_js=f"sigma.getFriendPublicKey({json.dumps(FRIEND)})",
        cwi_js=f"cwi.call('getPublicKey', {{{SIGMA_KEY}}}).then(r => r.publicKey)",
        check=lambda key, checks: is_friend_key(key, checks),
    ),
}


@pytest.fixture(scope="module")
def checks(stack: Stack, tokenpass_peer: NodePeer, node_peer: NodePeer) -> SdkChecks:
    """The frame calls the signer from the Sigil server's origin: its host is the site."""
    return SdkChecks(tokenpass_peer, node_peer, site=urlsplit(stack.server_url).netloc)


# -- the app pages ---------------------------------------------------------------------------------


@dataclass
class Apps:
    registered: str  # origin of a registered client's redirect URI
    unregistered: str  # the same page on an origin nobody registered


@pytest.fixture(scope="module")
def apps(stack: Stack) -> Iterator[Apps]:
    app = parent_app(stack.server_url, bundle_parent_script())
    registered = ServerThread(app, "127.0.0.1", 0, threads=4).start()
    unregistered = ServerThread(app, "127.0.0.1", 0, threads=4).start()
    try:
        stack.register_client("Frame app", registered.url + "/callback", coincurve.PrivateKey().public_key.format().hex())
        yield Apps(registered.url, unregistered.url)
    finally:
        registered.stop()
        unregistered.stop()


def open_app(page, url: str) -> None:
    frame_parent.open_app(page, url, EXPECTED_BAP_ID)


# -- before the desktop signer runs ----------------------------------------------------------------


def test_an_unregistered_origin_gets_nothing(stack: Stack, apps: Apps, page) -> None:
    assert stack.desktop is None
    open_app(page, apps.unregistered)
    start(page, "plugin", RELAYED_CALLS["sign"].plugin_js)
    start(page, "cwi", RELAYED_CALLS["sign"].cwi_js)
    page.wait_for_timeout(QUIET_SECONDS * 1000)
    assert frame_messages(page) == []  # not even the CWI hello
    assert not page.evaluate("frameTest.results.plugin.done || frameTest.results.cwi.done")
    # chromium refused to render the frame there (frame-ancestors): no frame has our page
    assert not [f for f in page.frames if f.url.startswith(stack.server_url + "/signer")
                and f.evaluate("!!document.getElementById('signer-frame')")]

    # Opened as a window instead of a frame (frame-ancestors does not apply), the page must
    # still refuse to talk: it answers only the page that embeds it.
    page.evaluate(f"""() => {{
        const w = window.open({json.dumps(stack.server_url + '/signer')});
        setTimeout(() => {{
            w.postMessage({{type: 'SIGN_REQUEST', payload: {{requestId: 'r1', requestPath: '/x'}}}}, '*');
            w.postMessage({{type: 'CWI', isInvocation: true, id: 'c1', call: 'signAuthToken',
                            args: {{requestPath: '/x'}}}}, '*');
        }}, 1000);
    }}""")
    page.wait_for_timeout(QUIET_SECONDS * 1000)
    assert frame_messages(page) == []


def test_no_signer_running_is_a_signer_error(stack: Stack, apps: Apps, page) -> None:
    assert stack.desktop is None
    open_app(page, apps.registered)
    start(page, "plugin", RELAYED_CALLS["sign"].plugin_js)
    result = outcome(page, "plugin", timeout=10)
    assert result["ok"] is False
    assert "No Sigil signer is answering on this computer" in result["error"]
    assert stack.signer_url in result["error"]
    errors = [m for m in frame_messages(page) if m.get("type") == "SIGNER_ERROR"]
    assert errors and "No Sigil signer is answering" in errors[0]["error"]

    start(page, "cwi", RELAYED_CALLS["sign"].cwi_js)
    result = outcome(page, "cwi", timeout=10)
    assert result["ok"] is False and "No Sigil signer is answering" in result["error"]


def test_a_cwi_call_the_frame_does_not_know_is_an_error(stack: Stack, apps: Apps, page) -> None:
    open_app(page, apps.registered)
    start(page, "odd", "cwi.call('createAction', {outputs: []})")
    result = outcome(page, "odd", timeout=10)
    assert result == {"done": True, "ok": False, "error": "Unsupported call: createAction"}
    start(page, "bad", "sigma.signAIP([])")
    result = outcome(page, "bad", timeout=10)
    assert result["ok"] is False and "hexArray" in result["error"]


# -- with the real desktop signer ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RELAYED_CALLS))
def test_calls_through_the_plugin_frame(name: str, approvals: Approvals, apps: Apps, page, checks: SdkChecks,
                                        screenshot_dir: Path) -> None:
    call = RELAYED_CALLS[name]
    plugin_js, _ = call.scripts(checks)
    open_app(page, apps.registered)
    start(page, "first", plugin_js)
    approvals.approve(shot=f"frame-{name}-approve-access.png")  # a new frame: one grant for the call's scopes
    result = outcome(page, "first")
    assert result["ok"], result
    call.check(result["value"], checks)
    # The grant lives as long as the page: a second call needs no dialog.
    start(page, "second", plugin_js)
    result = outcome(page, "second", timeout=10)
    assert result["ok"], result
    call.check(result["value"], checks)
    assert "SIGNER_ERROR" not in kinds(frame_messages(page))
    approvals.expect_no_more()


@pytest.mark.parametrize("name", sorted(RELAYED_CALLS))
def test_calls_through_the_cwi_frame(name: str, approvals: Approvals, apps: Apps, page, checks: SdkChecks) -> None:
    call = RELAYED_CALLS[name]
    _, cwi_js = call.scripts(checks)
    open_app(page, apps.registered)
    start(page, "cwi", cwi_js)
    approvals.approve()
    result = outcome(page, "cwi")
    assert result["ok"], result
    call.check(result["value"], checks)
    assert kinds(frame_messages(page))[0] == "CWI:ready"


def test_one_frame_asks_again_only_for_a_scope_it_lacks(approvals: Approvals, apps: Apps, page,
                                                       checks: SdkChecks) -> None:
    """sign, then encrypt, then decrypt in one page: each new scope costs one dialog (the frame
    asks for the union), a call within the scopes held costs none."""
    open_app(page, apps.registered)
    for name in ("sign", "encrypt", "decrypt"):
        call = RELAYED_CALLS[name]
        start(page, name, call.scripts(checks)[0])
        approvals.approve()
        result = outcome(page, name)
        assert result["ok"], (name, result)
        call.check(result["value"], checks)
    for name in ("signAIP", "getFriendPublicKey"):  # sign is held: no dialog
        call = RELAYED_CALLS[name]
        start(page, name, call.scripts(checks)[0])
        result = outcome(page, name, timeout=10)
        assert result["ok"], (name, result)
        call.check(result["value"], checks)
    approvals.expect_no_more()


def test_denied_in_sigil_is_a_signer_error(approvals: Approvals, apps: Apps, page) -> None:
    open_app(page, apps.registered)
    start(page, "denied", RELAYED_CALLS["sign"].plugin_js)
    approvals.deny()
    result = outcome(page, "denied")
    assert result["ok"] is False and "denied in Sigil" in result["error"]
    assert "SIGNER_ERROR" in kinds(frame_messages(page))


def test_a_locked_wallet_is_announced_then_unlocked_in_sigil(approvals: Approvals, stack: Stack, apps: Apps, page,
                                                            checks: SdkChecks, screenshot_dir: Path) -> None:
    lock_wallet(stack)
    open_app(page, apps.registered)
    start(page, "locked", RELAYED_CALLS["sign"].plugin_js)
    page.wait_for_function("frameTest.messages.some(m => m.type === 'WALLET_LOCKED')", timeout=10_000)
    # the plugin shows the frame, which says what to do
    frame = next(f for f in page.frames if f.url.startswith(stack.server_url + "/signer"))
    frame.wait_for_selector("#notice:not([hidden])")
    assert "locked" in frame.inner_text("#notice-text")
    page.screenshot(path=str(screenshot_dir / "frame-wallet-locked.png"))
    approvals.unlock_and_approve(WALLET_PASSPHRASE)
    result = outcome(page, "locked")
    assert result["ok"], result
    RELAYED_CALLS["sign"].check(result["value"], checks)
    assert signer_status(stack)["unlocked"] is True
    seen = kinds(frame_messages(page))
    assert seen.index("WALLET_LOCKED") < seen.index("WALLET_UNLOCKED")
    assert "CWI:need_password" in seen
