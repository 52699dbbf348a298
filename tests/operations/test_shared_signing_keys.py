"""Several instances on one PostgreSQL database are one identity: one key set, rotated together.

Real parts: ``sigil-server serve`` processes (each with a data dir of its own, as on two
hosts) or in-process servers through the one startup path, the suite's PostgreSQL, the
real HTTP sign-in -> authorize -> token flow. The rotation is driven with
``sigil-server keys rotate`` and watched by an app that caches the JWKS as long as the
server's ``Cache-Control`` allows, as real relying parties do.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import coincurve
import httpx
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth_server.cli import main
from auth_server.crypto import make_token
from auth_server.oauth.clients import new_client
from auth_server.oauth.secret_file import make_secret_file
from auth_server.oauth.signing_keys import CLOCK_LEEWAY, DEFAULT_ACTIVATE_IN, key_states
from auth_server.store import Store
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.oauth_server import (
    REDIRECT, SIGN_IN, TOKEN, RelyingParty, authorize_params, code_form, hidden_fields, redirect_params,
)
from tests.helpers.instances import Instance
from tests.helpers.server import start_server

JWKS = "/api/auth/jwks"


def register(store: Store) -> RelyingParty:
    key = coincurve.PrivateKey()
    client = new_client("Team App", [REDIRECT], key.public_key.format().hex(), now=time.time(), trusted=True)
    store.oauth.clients.add(client)
    return RelyingParty(client, key)


def id_token_from(url: str, rp: RelyingParty, now: Callable[[], float] = time.time) -> str:
    """Sign a new user in at ``url``, authorize ``rp`` and exchange the code: the id_token."""
    with httpx.Client(base_url=url, follow_redirects=False, headers={"Origin": url}, timeout=30) as http:
        res = http.post(SIGN_IN, content="{}", headers={
            "Content-Type": "application/json",
            "X-Auth-Token": make_token(coincurve.PrivateKey(), SIGN_IN, timestamp=now())})
        assert res.status_code == 200, res.text
        res = http.get("/oauth2/authorize", params=authorize_params(rp))
        if res.status_code == 200:
            res = http.post("/oauth2/authorize", data={**hidden_fields(res.text), "decision": "approve"})
        code = redirect_params(res)["code"]
        body = str(httpx.QueryParams(code_form(rp, code)))
        res = http.post(TOKEN, content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Auth-Token": make_token(rp.key, TOKEN, body=body, timestamp=now())})
        assert res.status_code == 200, res.text
        return res.json()["id_token"]


def kid_of(token: str) -> str:
    """The ``kid`` in a JWS's header (read, not verified)."""
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))["kid"]


@pytest.fixture
def tmp() -> Iterator[Path]:
    """A temp dir others may read: as root, the instances' data dirs live in it."""
    root = Path(tempfile.mkdtemp(prefix="sigil-keys-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def instance(db: str, root: Path, name: str, secret: Path | None, **env: str) -> Instance:
    """A serve process with a data dir of its own (as on a host of its own)."""
    data = root / f"data-{name}"
    data.mkdir()
    return Instance(db, root / f"{name}.log", ["--quiet"], env={
        "SIGIL_DATA_DIR": str(data), "XDG_DATA_HOME": str(data),
        "SIGIL_SECRET_FILE": str(secret) if secret else "", **env})


def test_two_instances_with_separate_data_dirs_publish_one_jwks_and_verify_each_other(postgres_server, tmp):
    db = postgres_server.new_database()
    secret = make_secret_file(tmp / "shared.key")
    a = b = None
    try:
        # started together: one of them makes the key, the other loads it
        a, b = instance(db, tmp, "a", secret), instance(db, tmp, "b", secret)
        a.wait(), b.wait()
        jwks_a, jwks_b = httpx.get(a.url + JWKS), httpx.get(b.url + JWKS)
        assert jwks_a.content == jwks_b.content  # byte for byte
        assert len(jwks_a.json()["keys"]) == 1
        with Store.open(db, migrate_now=False) as store:
            assert len(store.signing_keys.all()) == 1  # one winner
            rp = register(store)
        for issuer, other in ((a, jwks_b), (b, jwks_a)):
            token = id_token_from(issuer.url, rp)
            claims = jwt.decode(token, KeySet.import_key_set(other.json())).claims
            assert claims["aud"] == rp.client_id
        assert not list((tmp / "data-a").rglob("*.pem")) and not list((tmp / "data-b").rglob("*.pem"))
    finally:
        for each in (a, b):
            if each is not None:
                each.stop()


def test_postgres_without_or_with_a_wrong_secret_file_does_not_start(postgres_server, tmp):
    db = postgres_server.new_database()
    first = instance(db, tmp, "first", make_secret_file(tmp / "first.key")).wait()
    first.stop()
    for name, secret, words in (("none", None, "new-secret-file"),
                                ("wrong", make_secret_file(tmp / "wrong.key"), "sealed with another secret file"),
                                ("absent", tmp / "absent.key", "does not exist")):
        proc = instance(db, tmp, name, secret)
        assert proc.proc.wait(60) == 2
        log = proc.log()
        proc.stop()
        assert words in log and "Traceback" not in log, log
        assert not (tmp / "absent.key").exists()  # never made on PostgreSQL


def test_the_first_start_after_an_upgrade_imports_the_key_file_with_its_kid(postgres_server, tmp):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc.jwk import ECKey

    db = postgres_server.new_database()
    data = tmp / "xdg" / "sigil"  # the server's data dir (with PostgreSQL, the platform's one)
    data.mkdir(parents=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (data / "oidc-es256.pem").write_bytes(pem)  # what an earlier version left in its data dir
    old = ECKey.import_key(pem)
    old.ensure_kid()
    upgraded = Instance(db, tmp / "old.log", ["--quiet"], env={
        "XDG_DATA_HOME": str(tmp / "xdg"), "SIGIL_ID_TOKEN_ALG": "ES256",
        "SIGIL_SECRET_FILE": str(make_secret_file(tmp / "s.key"))})
    try:
        upgraded.wait()
        assert [k["kid"] for k in httpx.get(upgraded.url + JWKS).json()["keys"]] == [old.kid]
        with Store.open(db, migrate_now=False) as store:
            token = id_token_from(upgraded.url, register(store))
            [row] = store.signing_keys.all()
            raw = store.conn.execute("SELECT sealed_private FROM signing_key").fetchone()["sealed_private"]
        assert kid_of(token) == old.kid and row.kid == old.kid
        assert jwt.decode(token, KeySet.import_key_set({"keys": [old.as_dict(private=False)]}))
        body = b"".join(pem.splitlines()[1:-1])
        assert body[:40].decode() not in raw and raw.startswith("v1.")  # sealed, not the PEM
    finally:
        upgraded.stop()


class CachingApp:
    """A relying party as they are written: fetches the JWKS, keeps it for the server's
    ``max-age`` (on the test's clock), and rejects an id_token whose key it does not have."""

    def __init__(self, urls: list[str], clock: FakeClock) -> None:
        self.urls, self.clock = urls, clock
        self.keys: KeySet | None = None
        self.fetched_at = 0.0
        self.max_age = 0
        self.fetches = 0
        self.failures: list[str] = []

    def verify(self, token: str) -> None:
        now = self.clock()
        if self.keys is None or now - self.fetched_at >= self.max_age:
            res = httpx.get(self.urls[self.fetches % len(self.urls)] + JWKS)  # whichever instance answers
            self.max_age = int(re.search(r"max-age=(\d+)", res.headers["cache-control"]).group(1))
            self.keys, self.fetched_at = KeySet.import_key_set(res.json()), now
            self.fetches += 1
        try:
            claims = jwt.decode(token, self.keys).claims
            assert claims["exp"] > now
        except (JoseError, ValueError, AssertionError) as exc:
            self.failures.append(f"{kid_of(token)} at +{now - self.clock._base():.0f}s: {exc!r}")


def test_a_rotation_on_two_instances_never_gives_an_app_a_token_it_cannot_verify(postgres_server, tmp, capsys):
    db = postgres_server.new_database()
    secret = make_secret_file(tmp / "shared.key")
    clock = FakeClock(None)  # real time, moved by the test (the CLI's rotate stamps real time)
    servers = [start_server(db, clock=clock, secret_file=secret, token_window_seconds=1e8) for _ in range(2)]
    try:
        rp = register(servers[0].store)
        app = CachingApp([s.url for s in servers], clock)
        first = kid_of(id_token_from(servers[0].url, rp, clock))

        assert main(["keys", "rotate", "--db", db, "--secret-file", str(secret), "--json"]) == 0
        new = json.loads(capsys.readouterr().out)
        activates = new["activated"]
        assert activates - time.time() == pytest.approx(DEFAULT_ACTIVATE_IN, abs=30)
        overlap = servers[0].settings.id_token_ttl + CLOCK_LEEWAY
        seen: list[tuple[float, str]] = []
        step = 170.0  # less than the JWKS max-age: the app verifies between its fetches
        while clock() < activates + overlap + 2 * step:
            for server in servers:
                token = id_token_from(server.url, rp, clock)
                app.verify(token)
                seen.append((clock(), kid_of(token)))
            if clock() < activates - step < clock() + step:
                clock.now = activates - 1  # the last second before the switch, then the switch itself
            elif activates - step <= clock() < activates:
                clock.now = activates
            else:
                clock.advance(step)
        assert app.failures == []
        assert app.fetches >= 10
        assert {kid for when, kid in seen if when < activates} == {first}
        assert {kid for when, kid in seen if when >= activates} == {new["kid"]}  # both instances at the same moment
        # the old key stayed published for as long as its tokens lived, then left the JWKS
        jwks = [httpx.get(s.url + JWKS).content for s in servers]
        assert jwks[0] == jwks[1]
        assert [k["kid"] for k in httpx.get(servers[1].url + JWKS).json()["keys"]] == [new["kid"]]
        states = {s.row.kid: s.state for s in key_states(servers[0].store.signing_keys.all(), clock(), overlap)}
        assert states == {first: "retired", new["kid"]: "active"}
    finally:
        for server in servers:
            server.stop()


def test_one_key_when_two_instances_race_to_make_it(postgres_server, tmp):
    """Many stores on one fresh database making the first key at the same moment: one row."""
    from auth_server.oauth.secret_file import KeyCipher
    from auth_server.oauth.signing_keys import ensure_keys

    db = postgres_server.new_database()
    cipher = KeyCipher.from_file(make_secret_file(tmp / "s.key"))
    stores = [Store.open(db, migrate_now=False) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    seen: list[frozenset[str]] = []

    def start(store: Store) -> None:
        barrier.wait()
        seen.append(frozenset(r.kid for r in ensure_keys(store.signing_keys, cipher, "RS256", time.time())))

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(seen) == len(stores) and len(set(seen)) == 1 and len(next(iter(seen))) == 1
        assert len(stores[0].signing_keys.all()) == 1
    finally:
        for s in stores:
            s.close()


@pytest.mark.postgres
def test_the_jwks_still_answers_from_the_last_copy_while_the_database_is_down(tmp):
    """Its own PostgreSQL (halted here), so no other test loses its database."""
    from tests.helpers import postgres

    if not postgres.available():
        pytest.skip("PostgreSQL binaries not found")
    database = postgres.PostgresServer()
    clock = FakeClock(None)
    server = None
    try:
        server = start_server(database.new_database(), clock=clock, secret_file=make_secret_file(tmp / "s.key"))
        before = httpx.get(server.url + JWKS)
        database.halt()
        clock.advance(60)  # the copy is stale: the re-read fails
        during = httpx.get(server.url + JWKS)
        assert (during.status_code, during.content) == (200, before.content)
        database.start()
        clock.advance(60)
        assert httpx.get(server.url + JWKS).content == before.content
    finally:
        if server is not None:
            server.stop()
        database.stop()
