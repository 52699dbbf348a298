"""Operations: the store on SQLite and a real PostgreSQL (tests/helpers/fixtures/store.py), serving,
hardening and outages on a real server (tests/helpers/fixtures/sign_in_server.py), deployment,
packaging and the benches."""

from tests.helpers.fixtures.sign_in_server import peer, peer_key, server, server_factory  # noqa: F401
from tests.helpers.fixtures.store import clock, open_store, store, target  # noqa: F401
