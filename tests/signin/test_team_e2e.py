"""A team's server in real chromium with the real ``sigil`` desktop app on Xvfb
(tests/helpers/fixtures/browser_stack.py): open an invitation link, approve once in the
signer, land on the account page already in the invitation's groups; then an administrator
disables that user in the admin console and the user's session ends at once."""

from __future__ import annotations

import json
from pathlib import Path

import coincurve
import pytest

from auth_server.crypto import make_token
from tests.helpers.fixtures.browser_stack import EXPECTED_PUBKEY, Stack
from tests.signin.test_sign_in import Approvals, approvals, desktop  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIGN_IN = "/api/auth/sign-in/sigma"


def test_an_invitation_then_a_disable_from_the_console(approvals: Approvals, stack: Stack, page, browser,
                                                        screenshot_dir: Path) -> None:
    db = ["--db", str(stack.server_db)]
    stack.sigil_server("groups", "add", "staff", *db)
    invite = json.loads(stack.sigil_server("users", "invite", "--group", "staff", "--json",
                                           "--base-url", stack.server_url, *db))
    page.goto(invite["url"])
    assert "invites you" in page.inner_text("h1") and "You will join: staff" in page.inner_text("main")
    approvals.approve()  # the one dialog
    page.wait_for_selector("#pubkey")
    assert page.url == stack.server_url + "/"
    assert page.inner_text("#pubkey") == EXPECTED_PUBKEY and page.inner_text("#groups").strip() == "staff"
    approvals.expect_no_more()
    reused = page.request.get(invite["url"])
    assert reused.status == 404  # single use: spent

    # an administrator (another key, signed in from another browser) disables that user
    admin_key = coincurve.PrivateKey()
    stack.sigil_server("users", "add", "--pubkey", admin_key.public_key.format().hex(), "--name", "Admin",
                       "--group", "admin", *db)
    console = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        admin_page = console.new_page()
        signed = admin_page.request.post(stack.server_url + SIGN_IN, data="{}", headers={
            "Content-Type": "application/json", "Origin": stack.server_url,
            "X-Auth-Token": make_token(admin_key, SIGN_IN)})
        assert signed.ok, signed.text()
        admin_page.goto(stack.server_url + f"/admin/users/{EXPECTED_PUBKEY}")
        admin_page.click("button:has-text('Disable now')")
        admin_page.wait_for_selector("text=Disabled: every session")
        admin_page.screenshot(path=screenshot_dir / "admin-disabled-user.png", full_page=True)
    finally:
        console.close()
    assert page.request.get(stack.server_url + "/api/auth/get-session").json() is None
    page.reload()
    assert page.locator("#start").is_visible()  # signed out: the account page offers the sign-in again
