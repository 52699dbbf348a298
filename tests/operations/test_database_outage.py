"""A PostgreSQL outage mid-run: every request is answered 503 at once, nothing is lost, and
the server serves again by itself when the database is back.

Real parts: a ``sigil-server serve`` process on its own throwaway PostgreSQL, which the
test stops the way a crash or a failover does (``pg_ctl stop -m immediate``: every
connection cut) and starts again on the same port and data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from auth_server.store import Store
from auth_server.outages import StoreUnavailable
from tests.helpers import postgres
from tests.helpers.instances import Instance

pytestmark = pytest.mark.skipif(not postgres.available(), reason="PostgreSQL not installed (apt-get install postgresql)")

SIGN_IN = "/api/auth/sign-in/sigma"


def sign_in(url: str, key: coincurve.PrivateKey) -> httpx.Response:
    return httpx.post(url + SIGN_IN, json={}, headers={"X-Auth-Token": make_token(key, SIGN_IN)}, timeout=30)


@pytest.fixture(scope="module")
def database() -> Iterator[postgres.PostgresServer]:
    """A PostgreSQL of this module's own, since its tests stop it (a sign-in answered 200 must
    survive the crash, so with default durability); each test leaves it running."""
    server = postgres.PostgresServer(durable=True)
    yield server
    server.stop()


@pytest.fixture()
def served(database: postgres.PostgresServer, tmp_path: Path) -> Iterator[tuple[postgres.PostgresServer, Instance]]:
    instance = Instance(database.new_database(), tmp_path / "server.log", ["--quiet"],
                        {"SIGIL_DATA_DIR": str(tmp_path / "data"), "SIGIL_SIGNER_URL": "http://127.0.0.1:9"}).wait()
    yield database, instance
    instance.stop()


def test_an_outage_is_answered_503_and_the_server_recovers_by_itself(served):
    server, instance = served
    key = coincurve.PrivateKey()
    before = sign_in(instance.url, key)
    assert before.status_code == 200, before.text
    session = before.json()["token"]

    server.halt()
    started = time.monotonic()
    refused = sign_in(instance.url, key)
    assert refused.status_code == 503, refused.text
    assert refused.json() == {"message": "the server's database is not available; try again in a few seconds",
                              "code": "DB_UNAVAILABLE"}
    assert refused.headers["Retry-After"] == "2"
    session_check = httpx.get(instance.url + "/api/auth/get-session", headers={"Authorization": f"Bearer {session}"})
    assert session_check.status_code == 503, session_check.text
    token = httpx.post(instance.url + "/oauth2/token", data={"grant_type": "authorization_code", "code": "x",
                                                             "client_id": "app", "client_secret": "s"})
    assert token.status_code == 503 and token.json()["code"] == "DB_UNAVAILABLE", token.text
    page = httpx.get(instance.url + "/oauth2/authorize", params={
        "client_id": "app", "redirect_uri": "https://app.example/cb", "response_type": "code", "scope": "openid"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html"), page.text
    assert "Sign-in is unavailable for a moment" in page.text
    assert httpx.get(instance.url + "/healthz").status_code == 503
    # each answer within the pool's wait for a connection (3 s), never a hung request
    assert time.monotonic() - started < 5 * 4

    server.start()
    deadline = time.monotonic() + 20
    while (again := sign_in(instance.url, key)).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert again.status_code == 200, again.text
    assert again.json()["user"]["id"] == before.json()["user"]["id"]  # the same user: nothing was lost
    kept = httpx.get(instance.url + "/api/auth/get-session", headers={"Authorization": f"Bearer {session}"})
    assert kept.status_code == 200 and kept.json()["user"]["id"] == before.json()["user"]["id"], kept.text

    log = instance.log()
    assert "answered 503" in log and "/api/auth/sign-in/sigma" in log, log
    assert "Traceback" not in log and "internal error" not in log, log


def test_a_transaction_cut_mid_way_is_store_unavailable_and_commits_nothing(served):
    """The engine's own translation, inside ``write()``: the statement that meets the cut
    and the rollback after it both end as :class:`StoreUnavailable`, never psycopg's errors."""
    server, instance = served
    url = str(instance.proc.args[instance.proc.args.index("--db") + 1])
    store = Store.open(url, migrate_now=False)
    try:
        with pytest.raises(StoreUnavailable, match="failed"):
            with store.write():
                store.replay.claim("cut-mid-way", time.time() + 600)
                server.halt()
                store.replay.claim("after-the-cut", time.time() + 600)
        server.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                assert store.replay.claim("cut-mid-way", time.time() + 600)  # the first claim was not committed
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        store.close()
