"""``sigil-server clients ...`` on the database of a running server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import coincurve

from auth_server.cli import main
from tests.oauth.conftest import REDIRECT, authorize_params


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
