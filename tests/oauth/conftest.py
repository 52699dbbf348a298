"""The OAuth 2.0 / OpenID Connect provider: a real server with a registered client
(tests/helpers/fixtures/oauth_server.py), and the provider without HTTP."""

from tests.helpers.fixtures.oauth_server import (  # noqa: F401
    browser,
    client,
    clock,
    provider,
    rp,
    server,
    server_factory,
    store,
    user,
)
