"""A team's server: sign-up modes, invitations, groups, disabling, the CLI, on a real server
with a registered client (tests/helpers/fixtures/oauth_server.py), SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import coincurve
import httpx
import pytest

from auth_server.cli import main as cli
from auth_server.crypto import make_token
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
from tests.helpers.fixtures.sign_in_server import peer  # noqa: F401

SIGN_IN = "/api/auth/sign-in/sigma"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database target for a test that starts its own servers: a SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return request.getfixturevalue("postgres_server").new_database()


def sign_in(server, key: coincurve.PrivateKey, body: dict | None = None, *, cover: bool = True,
            http: httpx.Client | None = None) -> httpx.Response:
    """POST a sign-in for ``key``; ``body`` is sent as JSON and the token covers it unless
    ``cover=False`` (a token made for the plain sign-in, without a body hash)."""
    text = json.dumps(body) if body is not None else "{}"
    token = make_token(key, SIGN_IN, text if cover and body is not None else None)
    target = http or server.http()
    try:
        return target.post(SIGN_IN, content=text, headers={
            "Content-Type": "application/json", "X-Auth-Token": token, "Origin": server.url})
    finally:
        if http is None:
            target.close()


def run_cli(db: str | Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``sigil-server ARGS --db DB`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli([*args, "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def admin_cli(server, capsys) -> Callable[..., tuple[int, str, str]]:
    """The CLI on the running server's database."""
    def run(*args: str) -> tuple[int, str, str]:
        return run_cli(server.db_path, *args, capsys=capsys)
    return run


@pytest.fixture
def key() -> Iterator[coincurve.PrivateKey]:
    yield coincurve.PrivateKey()
