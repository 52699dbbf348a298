"""The signer core and its local API without Qt: a thread plays the user, answering
approvals through the broker, so these run where PySide6 is not installed."""

from tests.helpers.signer import *  # noqa: F401,F403  (the fixtures and names the tests use)
