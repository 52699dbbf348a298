"""The signer core and its local API without Qt: a thread plays the user, answering
approvals through the broker, so these run where PySide6 is not installed. The /signer frame
tests take the OAuth server (tests/helpers/fixtures/oauth_server.py) and the browser stack."""

from tests.helpers.fixtures.browser_stack import browser, e2e_tools, page, screenshot_dir, stack  # noqa: F401
from tests.helpers.fixtures.oauth_server import server, server_factory  # noqa: F401
from tests.helpers.signer import *  # noqa: F401,F403  (the fixtures and names the tests use)
