"""Sign-in: tokens and signatures, the Sigma sign-in endpoints and sessions on a real server
(tests/helpers/fixtures/sign_in_server.py), and the browser sign-in through the whole stack
(tests/helpers/fixtures/browser_stack.py). test_signin_page.py takes the OAuth server instead."""

from tests.helpers.fixtures.browser_stack import browser, e2e_tools, page, screenshot_dir, stack  # noqa: F401
from tests.helpers.fixtures.sign_in_server import peer, peer_key, server, server_factory  # noqa: F401
