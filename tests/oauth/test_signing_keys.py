"""Signing keys in the store: sealed with the secret file, one winner, rotation with overlap.

On SQLite with real files; the PostgreSQL side (instances on separate hosts sharing the
database) is tests/operations/test_shared_signing_keys.py.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from auth_server.cli import main
from auth_server.config import Settings
from auth_server.oauth.secret_file import KeyCipher, SecretFileError, make_secret_file
from auth_server.oauth.signing_keys import (
    CLOCK_LEEWAY, DEFAULT_ACTIVATE_IN, JWKS_MAX_AGE, KeyRuleError, SigningKeys, ensure_keys, key_states,
    open_signing_keys, retire, rotate,
)
from auth_server.serving.bootstrap import start_server
from auth_server.store import Store
from tests.helpers.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
TTL = 3600
OVERLAP = TTL + CLOCK_LEEWAY


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "sigil.db")
    yield s
    s.close()


def settings(tmp_path: Path, **more) -> Settings:
    return Settings(db_path=tmp_path / "sigil.db", port=0, log_requests=False, **more)


def verify(token: str, jwks: dict) -> dict:
    return jwt.decode(token, KeySet.import_key_set(jwks)).claims


def test_the_secret_file_is_made_0600_in_the_data_dir_and_the_key_is_in_the_store(tmp_path, store) -> None:
    keys = open_signing_keys(settings(tmp_path), store)
    secret = tmp_path / "secret.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_bytes().strip()) >= 32
    rows = store.signing_keys.all()
    assert [r.kid for r in rows] == [keys.kid]
    assert not list(tmp_path.glob("*.pem"))


def test_no_private_key_material_is_in_the_database_in_the_clear(tmp_path, store) -> None:
    keys = open_signing_keys(settings(tmp_path), store)
    keys.sign({"sub": "x"})
    raw = store.conn.execute("SELECT * FROM signing_key").fetchone()
    cipher = KeyCipher.from_file(tmp_path / "secret.key")
    der = cipher.open(raw["sealed_private"], kid=raw["kid"], alg=raw["alg"])
    private = serialization.load_der_private_key(der, password=None)
    d = private.private_numbers().d.to_bytes(256, "big").lstrip(b"\0")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    jwk_d = base64.urlsafe_b64encode(d).rstrip(b"=")
    row_text = json.dumps(dict(raw)).encode()
    for secret in (der, pem, d, jwk_d, base64.b64encode(der), base64.urlsafe_b64encode(der).rstrip(b"=")):
        assert secret not in row_text
    assert '"d"' not in raw["public_jwk"] and '"p"' not in raw["public_jwk"]
    store.engine.close()  # everything on disk, WAL included
    for path in tmp_path.glob("sigil.db*"):
        blob = path.read_bytes()
        assert der[-64:] not in blob and d[:32] not in blob and jwk_d[:40] not in blob


def test_a_wrong_secret_file_stops_the_start_with_a_clear_error(tmp_path) -> None:
    first = start_server(settings(tmp_path), upkeep=False)
    first.stop()
    other = make_secret_file(tmp_path / "other.key")
    with pytest.raises(SecretFileError, match="sealed with another secret file"):
        start_server(settings(tmp_path, secret_file=other), upkeep=False)
    (tmp_path / "secret.key").unlink()  # lost: a new one would be made, and refused too (no new key)
    with pytest.raises(SecretFileError, match="does not open the signing key"):
        start_server(settings(tmp_path), upkeep=False)
    with Store.open(tmp_path / "sigil.db") as store:
        assert len(store.signing_keys.all()) == 1  # nothing was replaced


def test_serve_with_a_wrong_secret_file_exits_with_one_line_not_a_traceback(tmp_path) -> None:
    start_server(settings(tmp_path), upkeep=False).stop()
    short = tmp_path / "short.key"
    short.write_text("too short\n")
    for secret, words in ((make_secret_file(tmp_path / "other.key"), "another secret file"),
                          (short, "at least 32"), (tmp_path, "cannot read")):
        proc = subprocess.run(
            [sys.executable, "-m", "auth_server.cli", "serve", "--port", "0", "--db", str(tmp_path / "sigil.db"),
             "--secret-file", str(secret)], cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_postgres_refuses_to_start_without_a_secret_file_and_says_how_to_make_one() -> None:
    url = "postgresql://nobody@127.0.0.1:9/none"
    with pytest.raises(SecretFileError, match="keys new-secret-file"):
        from auth_server.oauth.signing_keys import secret_path

        secret_path(Settings(db_path=url))
    with pytest.raises(SecretFileError, match="does not exist"):
        secret_path(Settings(db_path=url, secret_file=Path("/nonexistent/secret.key")))


def test_an_existing_key_file_is_imported_on_upgrade_with_its_kid(tmp_path, store) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(tmp_path / "oidc-rs256.pem", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, pem)
    os.close(fd)
    old = RSAKey.import_key(pem)
    old.ensure_kid()  # the kid earlier versions published: the RFC 7638 thumbprint
    keys = open_signing_keys(settings(tmp_path), store)
    assert keys.kid == old.kid
    assert [k["kid"] for k in keys.jwks()["keys"]] == [old.kid]
    token = keys.sign({"sub": "x"})
    assert verify(token, {"keys": [old.as_dict(private=False)]})["sub"] == "x"  # an app's cached JWKS still works
    again = open_signing_keys(settings(tmp_path), store)  # imported once only
    assert again.kid == old.kid and len(store.signing_keys.all()) == 1


def test_one_key_when_several_start_at_once(tmp_path) -> None:
    make_secret_file(tmp_path / "secret.key")
    cipher = KeyCipher.from_file(tmp_path / "secret.key")
    stores = [Store.open(tmp_path / "sigil.db") for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    kids: list[set[str]] = []

    def start(store: Store) -> None:
        barrier.wait()
        kids.append({r.kid for r in ensure_keys(store.signing_keys, cipher, "RS256", 1000.0)})

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(kids) == len(stores) and len({frozenset(k) for k in kids}) == 1
        assert len(stores[0].signing_keys.all()) == 1
    finally:
        for s in stores:
            s.close()


def test_the_rotation_cycle_next_active_old_retired(tmp_path, store) -> None:
    clock = FakeClock(1_800_000_000.0)
    make_secret_file(tmp_path / "secret.key")
    cipher = KeyCipher.from_file(tmp_path / "secret.key")
    keys = SigningKeys(store.signing_keys, cipher, clock=clock, overlap=OVERLAP).prepare()
    first = keys.kid
    new = rotate(store.signing_keys, cipher, "RS256", clock(), DEFAULT_ACTIVATE_IN, OVERLAP)
    assert new.state == "next"
    clock.advance(10)  # past the cache time: the rotation is seen without a restart
    assert keys.kid == first  # published, not signing
    assert [k["kid"] for k in keys.jwks()["keys"]] == [new.row.kid, first]
    signed_by_first = keys.sign({"n": 1})
    clock.now = new.row.activates_at - 0.001
    assert keys.kid == first
    clock.now = new.row.activates_at
    assert keys.kid == new.row.kid  # the switch is at the stored moment
    states = {s.row.kid: s.state for s in keys.states()}
    assert states == {first: "old", new.row.kid: "active"}
    assert verify(signed_by_first, keys.jwks())["n"] == 1  # the old key's tokens still verify
    clock.now = new.row.activates_at + OVERLAP - 1
    assert {k["kid"] for k in keys.jwks()["keys"]} == {first, new.row.kid}
    clock.now = new.row.activates_at + OVERLAP
    assert [k["kid"] for k in keys.jwks()["keys"]] == [new.row.kid]
    assert {s.row.kid: s.state for s in keys.states()}[first] == "retired"


def test_retire_refuses_the_active_key_and_warns_for_an_old_one(tmp_path, store) -> None:
    clock = FakeClock(1_800_000_000.0)
    make_secret_file(tmp_path / "secret.key")
    cipher = KeyCipher.from_file(tmp_path / "secret.key")
    keys = SigningKeys(store.signing_keys, cipher, clock=clock, overlap=OVERLAP).prepare()
    first = keys.kid
    with pytest.raises(KeyRuleError, match="active key"):
        retire(store.signing_keys, first, clock(), OVERLAP)
    waiting = rotate(store.signing_keys, cipher, "RS256", clock(), 3600, OVERLAP)
    with pytest.raises(KeyRuleError, match="already waits"):
        rotate(store.signing_keys, cipher, "RS256", clock(), 3600, OVERLAP)
    done = retire(store.signing_keys, waiting.row.kid, clock(), OVERLAP)  # never signed: quietly
    assert done.was == "next" and done.warning is None
    clock.advance(3 * 3600)
    assert keys.kid == first  # a retired next key never activates; the first keeps signing
    second = rotate(store.signing_keys, cipher, "RS256", clock(), 0, OVERLAP)
    clock.advance(10)
    assert keys.kid == second.row.kid
    done = retire(store.signing_keys, first, clock(), OVERLAP)  # a leak: early, said loudly
    assert done.was == "old" and "still valid" in (done.warning or "")
    clock.advance(10)  # every instance drops it within the cache time
    assert [k["kid"] for k in keys.jwks()["keys"]] == [second.row.kid]
    row = next(r for r in store.signing_keys.all() if r.kid == first)
    assert row.sealed_private == "" and row.retired_at is not None
    # an early retirement of an older key does not bring anything back
    clock.advance(2 * OVERLAP)
    assert {s.row.kid: s.state for s in key_states(store.signing_keys.all(), clock(), OVERLAP)} == {
        first: "retired", waiting.row.kid: "retired", second.row.kid: "active"}


def test_keys_commands(tmp_path, capsys) -> None:
    db = str(tmp_path / "sigil.db")
    assert main(["keys", "list", "--db", db]) == 0
    assert "no signing keys yet" in capsys.readouterr().out
    start_server(settings(tmp_path), upkeep=False).stop()
    assert main(["keys", "list", "--db", db, "--json"]) == 0
    [first] = json.loads(capsys.readouterr().out)
    assert first["state"] == "active" and set(first) >= {"kid", "alg", "state", "created", "activated", "retired"}
    assert main(["keys", "retire", "--db", db, "--", first["kid"]]) == 2
    assert "active key" in capsys.readouterr().err
    assert main(["keys", "rotate", "--db", db, "--activate-in", "2h", "--json"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["state"] == "next" and 7190 < rotated["activated"] - rotated["created"] <= 7200
    assert main(["keys", "rotate", "--db", db, "--activate-in", "1m"]) == 2
    captured = capsys.readouterr()
    assert "shorter than the JWKS cache time" in captured.err and "already waits" in captured.err
    assert main(["keys", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "next" in out and "active" in out and rotated["kid"] in out
    assert main(["keys", "retire", "--db", db, "--", rotated["kid"]]) == 0
    assert main(["keys", "rotate", "--db", db, "--activate-in", "0"]) == 0
    capsys.readouterr()
    assert main(["keys", "retire", "--db", db, "--", first["kid"]]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("WARNING:") and "leaked" in captured.err
    with pytest.raises(SystemExit):
        main(["keys", "rotate", "--db", db, "--activate-in", "soon"])
    other = tmp_path / "other.key"
    assert main(["keys", "rotate", "--db", db, "--secret-file", str(other)]) == 2  # made, but not the keys' file
    assert "another secret file" in capsys.readouterr().err
    assert main(["keys", "new-secret-file", str(other)]) == 2  # never overwritten
    fresh = tmp_path / "fresh.key"
    assert main(["keys", "new-secret-file", str(fresh)]) == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_discovery_and_jwks_caching_is_shorter_than_a_rotation(tmp_path) -> None:
    import httpx

    running = start_server(settings(tmp_path), upkeep=False)
    try:
        for path in ("/api/auth/jwks", "/.well-known/openid-configuration"):
            header = httpx.get(running.url + path).headers["cache-control"]
            assert header == f"public, max-age={JWKS_MAX_AGE}"
        assert JWKS_MAX_AGE * 4 <= DEFAULT_ACTIVATE_IN
    finally:
        running.stop()
