"""The sign-in and consent pages in a real browser (Debian's Chromium via Playwright),
with a stand-in for the local signer API (docs/PROTOCOL.md section 7) on a free port."""

from __future__ import annotations

import json
import os
from pathlib import Path

import bottle
import coincurve
import pytest

from auth_server.crypto import make_token
from auth_server.serving.server import ServerThread
from tests.helpers.e2e_harness import CHROMIUM, CHROMIUM_ARGS
from tests.helpers.net import free_port
from tests.helpers.fixtures.oauth_server import authorize_params, register
from tests.helpers.fixtures.oauth_server import server, server_factory  # noqa: F401 -- the OAuth server, not tests/signin's sign-in server

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("SIGIL_E2E_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e")


def fake_signer(key: coincurve.PrivateKey, calls: list[str]) -> bottle.Bottle:
    """Approves everything: /api/sign-in (the one-approval sign-in) signs with ``key``."""
    app = bottle.Bottle()
    cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS", "Content-Type": "application/json"}

    @app.route("/<path:path>", method="OPTIONS")
    def preflight(path: str):
        return bottle.HTTPResponse("", 204, cors)

    @app.post("/api/<name>")
    def call(name: str):
        req = json.load(bottle.request.body)
        calls.append(f"{name}:{req.get('path') or req.get('host')}:{req.get('app', '')}")
        token = make_token(key, req["path"], scheme=req.get("signatureType", "brc77"))
        return bottle.HTTPResponse(json.dumps({"token": token, "bapId": "x", "success": True}), 200, cors)

    return app


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_sign_in_page_retry_consent_and_redirect(server, chromium) -> None:
    signer_port = free_port()
    server.settings.signer_url = f"http://127.0.0.1:{signer_port}"
    callback = f"http://localhost:{free_port()}/auth/sigma/callback"
    rp = register(server, redirect=callback)
    params = authorize_params(rp, redirect_uri=callback)

    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    landed: list[str] = []
    page.route(callback + "**", lambda route: (landed.append(route.request.url),
                                              route.fulfill(status=200, body="app callback")))
    from urllib.parse import urlencode
    page.goto(f"{server.url}/oauth2/authorize?{urlencode(params)}")
    page.get_by_text("No Sigil signer is answering on this computer").wait_for()
    assert page.get_by_role("button", name="Retry").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "oauth-no-signer.png"))

    user = coincurve.PrivateKey()
    calls: list[str] = []
    with ServerThread(fake_signer(user, calls), "127.0.0.1", signer_port, threads=2):
        page.get_by_role("button", name="Retry").click()
        page.get_by_role("heading", name="Demo App wants to sign you in").wait_for()
    # one call, so one approval in the signer: the sign-in itself, naming the app
    assert calls == ["sign-in:/api/auth/sign-in/sigma:Demo App"]
    assert page.get_by_text("localhost").first.is_visible()
    page.screenshot(path=str(SHOTS / "oauth-consent.png"))
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(callback + "**")
    assert landed and "code=" in landed[0] and "state=st4te" in landed[0]
    context.close()
