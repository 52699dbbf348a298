"""The user story from start to finish, the way a person meets it.

A real chromium signs in to the demo app (and to the page built on the published Sigma
client) against a real ``sigil-server``; the sign-in page reaches the real ``sigil``
desktop app on an Xvfb display, and the test answers its approval dialogs with real
key presses (xdotool: Alt+A approves, Escape denies, the passphrase then Return unlocks). Tests run in file order and share one stack:
the signer is not started yet in the first test, and consent for the demo app is first
denied, then given.

Each step leaves a screenshot in the screenshot dir (see conftest.py); the numbers give
the order a user meets the screens in, not the order of the tests.
"""

from __future__ import annotations

import io
import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.fixtures.browser_stack import (
    EXPECTED_BAP_ID, EXPECTED_PUBKEY, VENV_BIN, WALLET_PASSPHRASE, Stack, start_desktop,
)
from tests.helpers.e2e_harness import DesktopHand, wait_until

pytestmark = pytest.mark.e2e

DIALOG = "approval needed"  # the approval dialog's title: "Sigil — approval needed"
MAIN_WINDOW = "^Sigil$"


class Approvals:
    """A person at the desktop: waits for each approval dialog and answers it."""

    def __init__(self, stack: Stack, shots: Path) -> None:
        assert stack.hand is not None
        self.hand: DesktopHand = stack.hand
        self.shots = shots
        self.seen: set[str] = set()

    def next_dialog(self, timeout: float = 30.0) -> str:
        def new_one() -> list[str]:
            return [w for w in self.hand.find_windows(DIALOG) if w not in self.seen]

        window = wait_until(new_one, timeout, "the next approval dialog")[-1]  # type: ignore[index]
        self.seen.add(window)
        self.hand.wait_until_mapped(window)
        return window

    def screenshot(self, window: str, name: str | None) -> None:
        if name:
            self.hand.screenshot(self.shots / name, window)

    def approve(self, shot: str | None = None) -> None:
        window = self.next_dialog()
        self.screenshot(window, shot)
        self.hand.click_inside(window)
        self.hand.key("alt+a")  # the Approve button's mnemonic (&Approve); Return alone never approves
        self.hand.wait_gone(window, DIALOG)

    def deny(self, shot: str | None = None) -> None:
        window = self.next_dialog()
        self.screenshot(window, shot)
        self.hand.click_inside(window)
        self.hand.key("Escape")  # the dialog treats Escape (and closing it) as Deny
        self.hand.wait_gone(window, DIALOG)

    def approve_without_sharing(self) -> None:
        """Untick "Share my name and picture with <app>" (Alt+S), then approve."""
        window = self.next_dialog()
        self.hand.click_inside(window)
        self.hand.key("alt+s")
        self.hand.key("alt+a")
        self.hand.wait_gone(window, DIALOG)

    def expect_no_more(self) -> None:
        """No approval dialog is open beyond those answered (call it once the page moved on)."""
        assert [w for w in self.hand.find_windows(DIALOG) if w not in self.seen] == []

    def unlock_and_approve(self, passphrase: str, shot: str | None = None) -> None:
        """A locked wallet: the dialog asks for the passphrase first; Return approves."""
        window = self.next_dialog()
        self.screenshot(window, shot)
        self.hand.click_inside(window)
        self.hand.type_text(passphrase)
        self.hand.key("Return")
        self.hand.wait_gone(window, DIALOG)


@pytest.fixture(scope="module")
def desktop(stack: Stack, screenshot_dir: Path) -> Stack:
    """The desktop app, started locked (as after a login), then unlocked by typing the passphrase."""
    start_desktop(stack)
    hand = stack.hand
    assert hand is not None
    window = hand.wait_window(MAIN_WINDOW)
    hand.wait_until_mapped(window)
    hand.screenshot(screenshot_dir / "e2e-00-desktop-locked.png", window)
    hand.click_inside(window)
    hand.type_text(WALLET_PASSPHRASE)
    hand.key("Return")
    wait_until(lambda: signer_status(stack).get("unlocked"), 20, "the wallet to unlock")
    return stack


@pytest.fixture()
def approvals(desktop: Stack, screenshot_dir: Path) -> Approvals:
    return Approvals(desktop, screenshot_dir)


def signer_status(stack: Stack) -> dict:
    with urllib.request.urlopen(stack.signer_url + "/api/status", timeout=5) as response:
        return json.loads(response.read())


def lock_wallet(stack: Stack) -> None:
    """What the tray's Lock does, through the signer's TokenPass API (POST /api/logout)."""
    request = urllib.request.Request(stack.signer_url + "/api/logout", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["success"] is True
    assert signer_status(stack)["unlocked"] is False


def start_demo_sign_in(page, stack: Stack, shots: Path | None = None) -> None:
    assert stack.demo is not None
    page.goto(stack.demo.url + "/")
    if shots:
        page.screenshot(path=shots / "e2e-01-demo-signed-out.png")
    page.click("#sign-in")
    page.wait_for_url(stack.server_url + "/oauth2/authorize?**")


def set_profile(stack: Stack, tmp: Path, name: str, colour: tuple[int, int, int]) -> None:
    """What a person does in the profile editor, through ``sigil profile set`` (the same checks
    and the same picture pipeline): a name, the handle ``alice`` and a photo file."""
    photo = tmp / f"photo-{colour[0]}-{colour[2]}.jpg"
    Image.new("RGB", (640, 400), colour).save(photo, "JPEG")
    result = subprocess.run([str(VENV_BIN / "sigil"), "profile", "set", "--data-dir", str(stack.data_dir),
                             "--name", name, "--username", "alice", "--picture-file", str(photo)],
                            env=stack.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def shown_picture(page) -> tuple[str, tuple[int, int, int]]:
    """The demo app's picture: its address (Sigil's avatar URL) and the colour of what it serves."""
    src = page.get_attribute("#picture", "src")
    assert page.evaluate("document.querySelector('#picture').naturalWidth") > 0  # the browser loaded it
    served = page.request.get(src)
    assert served.ok and served.headers["content-type"].startswith("image/")
    image = Image.open(io.BytesIO(served.body())).convert("RGB")
    return src, image.getpixel((image.width // 2, image.height // 2))


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour, expected))


RED, BLUE = (210, 30, 30), (30, 60, 210)


def expect_signed_in(page, app_url: str) -> None:
    page.wait_for_url(app_url + "/**")
    page.wait_for_selector("#bap-id:not(:empty)")
    assert page.inner_text("#bap-id") == EXPECTED_BAP_ID
    assert page.inner_text("#pubkey") == EXPECTED_PUBKEY


# -- the scenarios ---------------------------------------------------------------------------


def test_signer_not_running_is_named_on_the_authorize_page(stack: Stack, page, screenshot_dir: Path) -> None:
    assert stack.desktop is None  # nothing listens on the signer port yet
    start_demo_sign_in(page, stack)
    problem = page.wait_for_selector("#problem:not([hidden])")
    assert "No Sigil signer is answering" in problem.inner_text()
    assert stack.signer_url in problem.inner_text()
    page.screenshot(path=screenshot_dir / "e2e-09-signer-not-running.png")


def test_deny_in_the_signer_then_deny_consent(approvals: Approvals, stack: Stack, page, screenshot_dir: Path) -> None:
    start_demo_sign_in(page, stack)
    approvals.deny()
    problem = page.wait_for_selector("#problem:not([hidden])")
    assert "denied" in problem.inner_text().lower()
    page.screenshot(path=screenshot_dir / "e2e-07-denied-in-signer.png")

    page.click("#retry")
    approvals.approve()  # a sign-in is one decision in the signer
    page.wait_for_selector("button[value=deny]")
    approvals.expect_no_more()
    page.click("button[value=deny]")
    page.wait_for_url(stack.demo.url + "/callback?**")
    assert page.inner_text("#error") == "access_denied"
    page.screenshot(path=screenshot_dir / "e2e-08-access-denied.png")


def test_sign_in_to_the_demo_app(approvals: Approvals, stack: Stack, page, screenshot_dir: Path,
                                 tmp_path: Path) -> None:
    set_profile(stack, tmp_path, "Alice Example", RED)
    start_demo_sign_in(page, stack, shots=screenshot_dir)
    page.wait_for_selector("#status:not([hidden])")
    page.screenshot(path=screenshot_dir / "e2e-02-authorize-asks-signer.png")
    approvals.approve(shot="e2e-03-approve-sign-in.png")  # the one dialog: site, app, identity

    page.wait_for_selector("button[value=approve]")
    approvals.expect_no_more()
    assert "Demo app" in page.inner_text("h1")
    page.screenshot(path=screenshot_dir / "e2e-05-consent.png")
    page.click("button[value=approve]")

    expect_signed_in(page, stack.demo.url)
    assert page.inner_text("#welcome") == "Signed in as Alice Example"  # the name signed into the sign-in
    assert page.inner_text("#username") == "alice"  # preferred_username: the profile's handle, free here
    src, colour = shown_picture(page)
    assert src.startswith(stack.server_url + "/api/auth/avatar/") and close_to(colour, RED)
    page.screenshot(path=screenshot_dir / "e2e-06-demo-signed-in.png")

    page.click("#sign-out")
    page.wait_for_selector("#sign-in")


def test_locked_wallet_asks_for_the_passphrase_then_signs_in(approvals: Approvals, stack: Stack, page,
                                                             screenshot_dir: Path) -> None:
    lock_wallet(stack)
    start_demo_sign_in(page, stack)
    approvals.unlock_and_approve(WALLET_PASSPHRASE, shot="e2e-10-unlock-prompt.png")
    assert signer_status(stack)["unlocked"] is True
    # Consent was given in the previous test, so no consent page now (unless this test runs alone).
    page.wait_for_selector("#bap-id, button[value=approve]")
    if page.query_selector("button[value=approve]"):
        page.click("button[value=approve]")
    expect_signed_in(page, stack.demo.url)
    approvals.expect_no_more()  # unlocking and signing in: still one dialog
    page.screenshot(path=screenshot_dir / "e2e-11-signed-in-after-unlock.png")


def test_the_published_sigma_client_signs_in(approvals: Approvals, stack: Stack, page, screenshot_dir: Path) -> None:
    """@sigma-auth/better-auth-plugin: signIn.sigma, handleCallback, exchangeCodeForTokens."""
    assert stack.sigma is not None
    page.goto(stack.sigma.url + "/")
    page.click("#sign-in")
    page.wait_for_url(stack.server_url + "/oauth2/authorize?**")
    approvals.approve()
    page.wait_for_selector("button[value=approve]")
    approvals.expect_no_more()
    page.click("button[value=approve]")
    page.wait_for_url(stack.sigma.url + "/auth/sigma/callback?**")
    page.wait_for_selector("#user:not([hidden])")
    expect_signed_in(page, stack.sigma.url)
    assert page.evaluate("localStorage.getItem('sigma_bap_id')") == EXPECTED_BAP_ID
    page.screenshot(path=screenshot_dir / "e2e-12-sigma-client-signed-in.png")


def test_a_changed_profile_reaches_the_app_and_unsharing_hides_it(approvals: Approvals, stack: Stack, browser,
                                                                 tmp_path: Path) -> None:
    """Edit the profile, sign in again: the app shows the new name and picture. Untick sharing
    in the dialog: the app gets neither (a neutral label, no picture)."""
    def sign_in(approve) -> object:
        context = browser.new_context(viewport={"width": 1100, "height": 760})
        page = context.new_page()
        start_demo_sign_in(page, stack)
        approve()
        page.wait_for_selector("#bap-id, button[value=approve]")
        if page.query_selector("button[value=approve]"):
            page.click("button[value=approve]")
        expect_signed_in(page, stack.demo.url)
        approvals.expect_no_more()
        return context, page

    context, page = sign_in(approvals.approve)
    before, _ = shown_picture(page)
    context.close()
    set_profile(stack, tmp_path, "Alice Renamed", BLUE)
    context, page = sign_in(approvals.approve)
    assert page.inner_text("#welcome") == "Signed in as Alice Renamed"
    after, colour = shown_picture(page)
    assert after != before and close_to(colour, BLUE)  # a new picture gets a new address
    context.close()

    context, page = sign_in(approvals.approve_without_sharing)
    welcome = page.inner_text("#welcome")
    assert welcome.startswith("Signed in as Sigil user") and "Alice" not in welcome  # no name claim: a neutral label
    assert page.query_selector("#picture") is None
    context.close()
