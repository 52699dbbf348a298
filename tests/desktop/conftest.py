"""The desktop app: the signer's parts plus real Qt widgets, offscreen (tests/helpers/fixtures/qt.py)."""

import pytest

pytest.importorskip("PySide6")

from tests.helpers.fixtures.qt import *  # noqa: E402,F401,F403  (the fixtures and names the tests use)

pytestmark = pytest.mark.gui
