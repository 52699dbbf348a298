"""``sigil-server clients ...`` on the database of a running server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import coincurve

from auth_server.cli import main
from tests.helpers.fixtures.oauth_server import REDIRECT, authorize_params


def test_clients_commands_while_serving(server, browser, capsys) -> None:
    db = str(server.settings.db_path)
    pubkey = coincurve.PrivateKey().public_key.format().hex()
    assert main(["clients", "add", "--db", db, "--name", "CLI App", "--redirect-uri", REDIRECT,
                 "--redirect-uri", "https://cli.example/cb", "--member-pubkey", pubkey, "--trusted"]) == 0
    client_id = capsys.readouterr().out.strip().splitlines()[-1]
    browser.sign_in()
    res = browser.http.get("/oauth2/authorize", params=authorize_params(
        type("RP", (), {"client_id": client_id})()))
    assert res.status_code == 302 and "code=" in res.headers["location"]  # trusted: no consent

    assert main(["clients", "list", "--db", db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["client_id"] for c in listed] == [client_id] and listed[0]["trusted"] is True

    assert main(["clients", "disable", "--db", db, client_id]) == 0
    res = browser.http.get("/oauth2/authorize", params=authorize_params(type("RP", (), {"client_id": client_id})()))
    assert res.status_code == 400  # disabled clients get the error page

    assert main(["clients", "show", "--db", db, client_id]) == 0
    assert "DISABLED" in capsys.readouterr().out
    assert main(["clients", "remove", "--db", db, client_id]) == 0
    assert main(["clients", "show", "--db", db, client_id]) == 1


def test_clients_add_validates_and_reads_sigil_db(tmp_path) -> None:
    env = dict(os.environ, SIGIL_DB=str(tmp_path / "env.db"))
    cmd = [sys.executable, "-m", "auth_server.cli", "clients", "add", "--name", "X", "--redirect-uri",
           "http://evil.example/cb", "--member-pubkey", "02" + "11" * 32]
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr
    pubkey = coincurve.PrivateKey().public_key.format().hex()
    good = subprocess.run(cmd[:-3] + ["https://ok.example/cb", "--member-pubkey", pubkey],
                          capture_output=True, text=True, env=env)
    assert good.returncode == 0, good.stderr
    listed = subprocess.run([sys.executable, "-m", "auth_server.cli", "clients", "list"], capture_output=True,
                            text=True, env=env)
    assert good.stdout.strip().splitlines()[-1] in listed.stdout


def test_clients_add_every_method_with_json(tmp_path, capsys) -> None:
    from auth_server.store import Store
    from tests.oauth.standard_clients import new_key

    db = str(tmp_path / "cli.db")
    assert main(["clients", "add", "--db", db, "--name", "Wiki", "--redirect-uri", "https://wiki.example/cb",
                 "--auth-method", "client_secret_basic", "--post-logout-redirect-uri", "https://wiki.example/",
                 "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["token_endpoint_auth_method"] == "client_secret_basic" and len(added["client_secret"]) >= 43
    assert added["post_logout_redirect_uris"] == ["https://wiki.example/"]
    # shown once: never again by show or list
    assert main(["clients", "show", "--db", db, added["client_id"], "--json"]) == 0
    shown = capsys.readouterr().out
    assert added["client_secret"] not in shown and "client_secret_basic" in shown

    assert main(["clients", "rotate-secret", "--db", db, added["client_id"], "--grace", "600", "--json"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["client_secret"] != added["client_secret"]
    with Store.open(db) as store:
        client = store.oauth.clients.get(added["client_id"])
        assert client.previous_secret_hash and client.previous_secret_expires_at

    key = new_key("ES256")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    assert main(["clients", "add", "--db", db, "--name", "Jobs", "--redirect-uri", "https://jobs.example/cb",
                 "--auth-method", "private_key_jwt", "--jwks-file", str(jwks), "--json"]) == 0
    assert "client_secret" not in json.loads(capsys.readouterr().out)
    assert main(["clients", "add", "--db", db, "--name", "SPA", "--redirect-uri", "http://localhost:5173/cb",
                 "--auth-method", "none"]) == 0
    out = capsys.readouterr().out
    assert "auth method:    none" in out and "client_secret" not in out

    # refusals: exit 2, a message, no traceback
    for bad in (["--auth-method", "x_auth_token"],                       # no member pubkey
                ["--auth-method", "private_key_jwt"],                    # no keys
                ["--auth-method", "private_key_jwt", "--jwks-file", str(tmp_path / "missing.json")],
                ["--auth-method", "none", "--member-pubkey", "02" + "11" * 32]):
        assert main(["clients", "add", "--db", db, "--name", "X", "--redirect-uri", "https://x.example/cb", *bad]) == 2
        assert "error:" in capsys.readouterr().err
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    assert main(["clients", "add", "--db", db, "--name", "X", "--redirect-uri", "https://x.example/cb",
                 "--auth-method", "private_key_jwt", "--jwks-file", str(private)]) == 2
    assert "public keys only" in capsys.readouterr().err
    assert main(["clients", "rotate-secret", "--db", db, "nobody"]) == 1


def test_registration_token_command(tmp_path, capsys) -> None:
    from auth_server.oauth.registration import register
    from auth_server.store import Store

    db = str(tmp_path / "reg.db")
    assert main(["clients", "registration-token", "--db", db, "--ttl", "600", "--json"]) == 0
    token = json.loads(capsys.readouterr().out)["initial_access_token"]
    with Store.open(db) as store:
        new = register(store, "token", {"redirect_uris": ["https://app.example/cb"]}, token)
        assert new.client_secret and store.oauth.clients.get(new.client_id) is not None
    assert main(["clients", "registration-token", "--db", db, "--ttl", "0"]) == 2
