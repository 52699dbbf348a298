"""The account page (``/``) in real chromium against a real ``sigil-server`` and the real
``sigil`` desktop app on Xvfb (tests/helpers/fixtures/browser_stack.py): sign in from ``/``
with one approval in the signer, allow the demo app, sign in again on another "device" (a
second browser context), then end that other session from the account page: its
get-session answers null at once.

The signed-in page's picture, ``account-page.png``, goes to the screenshot dir (the README's
comes from a run with ``SIGIL_E2E_SCREENSHOT_DIR=docs/screenshots``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.fixtures.browser_stack import EXPECTED_BAP_ID, EXPECTED_PUBKEY, Stack
from tests.signin.test_sign_in import Approvals, approvals, desktop, start_demo_sign_in  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def sign_in_from_the_account_page(page, stack: Stack, approvals: Approvals) -> None:
    page.goto(stack.server_url + "/")
    assert "Sign in to 127.0.0.1:" in page.inner_text("h1")
    approvals.expect_no_more()  # nothing is asked before the button
    page.click("#start")
    approvals.approve()  # the one dialog
    page.wait_for_selector("#pubkey")
    approvals.expect_no_more()


def get_session(page, stack: Stack):
    return page.request.get(stack.server_url + "/api/auth/get-session").json()


def test_sign_in_from_the_account_page_then_end_another_session(approvals: Approvals, stack: Stack, page, browser,
                                                                screenshot_dir: Path) -> None:
    sign_in_from_the_account_page(page, stack, approvals)
    assert page.inner_text("#pubkey") == EXPECTED_PUBKEY and page.inner_text("#bap-id") == EXPECTED_BAP_ID
    assert page.inner_text("#sessions").count("this session") == 1

    # the demo app, allowed from this browser (already signed in: consent only)
    start_demo_sign_in(page, stack)
    page.wait_for_selector("button[value=approve]")
    page.click("button[value=approve]")
    page.wait_for_url(stack.demo.url + "/**")

    other = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        other_page = other.new_page()
        other_page.set_default_timeout(30_000)
        sign_in_from_the_account_page(other_page, stack, approvals)
        other_id = get_session(other_page, stack)["session"]["id"]

        page.goto(stack.server_url + "/")
        assert "Demo app" in page.inner_text("#apps")
        row = page.locator(f'#sessions .row[data-session-id="{other_id}"]')
        assert row.count() == 1 and "this session" not in row.inner_text()
        assert page.locator("#sessions .row").count() == 2
        assert page.locator("#sessions .row.current button").count() == 0  # no End for this session
        page.screenshot(path=screenshot_dir / "account-page.png", full_page=True)

        row.locator("button", has_text="End").click()
        page.wait_for_url(stack.server_url + "/?done=ended")
        assert "Session ended" in page.inner_text(".notice")
        assert page.locator("#sessions .row").count() == 1
        assert get_session(other_page, stack) is None  # that device is signed out at once
        assert get_session(page, stack)["session"]["id"] != other_id  # this one lives on
        other_page.reload()
        assert other_page.locator("#start").is_visible()
    finally:
        other.close()

    page.click("#sign-out button")
    page.wait_for_url(stack.server_url + "/?done=signed-out")
    assert get_session(page, stack) is None and page.locator("#start").is_visible()
