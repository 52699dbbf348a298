"""``sigmaClient({ preferLocal: true })`` in real chromium against the real ``sigil`` app.

A page bundles the published ``@sigma-auth/better-auth-plugin`` 0.0.75 with esbuild and turns
on ``preferLocal``; the plugin's ``LocalServerSigner`` finds Sigil's local API (the page's
``NEXT_PUBLIC_TOKENPASS_URL``), asks ``/api/auth`` for a grant, which the test approves in
Sigil's dialog on Xvfb, then calls ``/api/sign``, ``/api/sign-aip``, ``/api/encrypt``,
``/api/decrypt`` and ``/api/friend-pubkey`` with fetch, cross-origin (CORS preflights
included). Node checks every answer: ``bitcoin-auth`` the X-Auth-Token, ``@bsv/sdk`` the
signatures, ciphertexts and keys, derived there from the test mnemonic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from auth_server.serving.server import ServerThread
from tests.helpers.fixtures.browser_stack import EXPECTED_BAP_ID, Stack
from tests.helpers.sdk_checks import AIP_DATA, FRIEND, SECRET, SdkChecks, ciphertext_hex
from tests.signin.test_sign_in import Approvals, approvals, desktop  # noqa: F401
from tests.helpers import frame_parent
from tests.helpers.frame_parent import LOCAL_PARENT_SCRIPT, bundle_parent_script, outcome, parent_app, start
from tests.helpers.node_peer import NodePeer

pytestmark = pytest.mark.e2e

BODY = '{"title":"hello from a local-signer app"}'


@pytest.fixture(scope="module")
def app_url(stack: Stack) -> Iterator[str]:
    """The page, on its own origin; the plugin reaches Sigil at the stack's signer URL."""
    app = parent_app(stack.server_url, bundle_parent_script(LOCAL_PARENT_SCRIPT),
                     env={"NEXT_PUBLIC_TOKENPASS_URL": stack.signer_url})
    server = ServerThread(app, "127.0.0.1", 0, threads=4).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def checks(app_url: str, tokenpass_peer: NodePeer, node_peer: NodePeer) -> SdkChecks:
    """The page calls the signer itself: its host (``location.host``) is the site."""
    return SdkChecks(tokenpass_peer, node_peer, site=urlsplit(app_url).netloc)


def call(page, name: str, expression: str, timeout: float = 10.0):
    """Run ``expression`` (on ``sigma``, the plugin's ``authClient.sigma``); its value, or fail."""
    start(page, name, expression)
    result = outcome(page, name, timeout=timeout)
    assert result["ok"], (name, result)
    return result["value"]


def test_every_call_goes_through_the_local_signer(approvals: Approvals, app_url: str, page, checks: SdkChecks,
                                                  node_peer: NodePeer, screenshot_dir: Path) -> None:
    frame_parent.open_app(page, app_url, EXPECTED_BAP_ID)
    # The first call probes /api/status, then /api/auth asks for sign, encrypt and decrypt for 1 h.
    start(page, "sign", f"sigma.sign('/api/posts', {BODY!r})")
    approvals.approve(shot="local-approve-access.png")
    result = outcome(page, "sign", timeout=20)
    assert result["ok"], result
    checks.check_auth_token(result["value"], "/api/posts", BODY)
    assert page.evaluate("frameTest.client.sigma.getSignerType()") == "local"

    # Everything else runs within that grant: no more dialogs.
    checks.check_signed_ops(call(page, "aip", f"sigma.signAIP({json.dumps(AIP_DATA)})"))

    sealed = call(page, "encrypt", f"sigma.encrypt({json.dumps(SECRET)}, {json.dumps(FRIEND)})")
    assert checks.open_for_friend(sealed) == SECRET  # hex from the local API; @bsv/sdk opens it

    from_sdk = checks.seal_for_friend(SECRET)
    assert call(page, "decrypt", f"sigma.decrypt({json.dumps(from_sdk)}, {json.dumps(FRIEND)})") == SECRET
    assert call(page, "round trip", f"sigma.decrypt({json.dumps(sealed)}, {json.dumps(FRIEND)})") == SECRET

    their_wif, their_pub = node_peer.key()
    to_them = call(page, "to a key", f"sigma.encrypt({json.dumps(SECRET)}, undefined, {json.dumps(their_pub)})")
    opened = checks.sdk.request(op="decrypt", wif=their_wif, hex=ciphertext_hex(to_them))["hex"]
    assert bytes.fromhex(opened).decode() == SECRET

    assert call(page, "friend key", f"sigma.getFriendPublicKey({json.dumps(FRIEND)})") == checks.friend_public_key()

    approvals.expect_no_more()
    # and no frame was loaded: the plugin never fell back to <issuer>/signer
    assert not [f for f in page.frames if "/signer" in f.url]


def test_denied_in_sigil_leaves_the_page_without_a_grant(approvals: Approvals, app_url: str, page) -> None:
    """A new page (the plugin keeps its grant in memory) asks again; the user says no."""
    frame_parent.open_app(page, app_url, EXPECTED_BAP_ID)
    start(page, "denied", f"sigma.sign('/api/posts', {BODY!r})")
    approvals.deny()
    result = outcome(page, "denied", timeout=20)
    assert result["ok"] is False and "Not authenticated" in result["error"]  # the plugin's words
