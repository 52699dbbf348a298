"""``sigil-server users | groups | audit`` and ``clients add/set --allowed-group`` on a real
database file, as an administrator types them."""

from __future__ import annotations

import json

import coincurve

from tests.team.conftest import run_cli

PUBKEY = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"


def test_a_team_is_set_up_from_the_command_line(tmp_path, capsys) -> None:
    db = tmp_path / "s.db"

    def cli(*args: str) -> tuple[int, str, str]:
        return run_cli(db, *args, capsys=capsys)

    assert cli("groups", "add", "staff", "--description", "Everyone who works here")[0] == 0
    code, out, err = cli("users", "add", "--pubkey", PUBKEY, "--name", "Ann", "--group", "staff", "--group", "admin",
                         "--json")
    assert code == 0, err
    ann = json.loads(out)
    assert (ann["name"], ann["groups"], ann["disabled"]) == ("Ann", ["admin", "staff"], False)
    other = coincurve.PrivateKey().public_key.format().hex()
    assert cli("users", "add", "--pubkey", other)[0] == 0
    listed = json.loads(cli("users", "list", "--group", "staff", "--json")[1])
    assert [u["pubkey"] for u in listed] == [PUBKEY]
    assert "[admin,staff]" in cli("users", "list")[1]
    shown = json.loads(cli("users", "show", PUBKEY, "--json")[1])  # by key; by id below
    assert shown["id"] == ann["id"] and shown["sessions"] == 0 and shown["lastSignInAt"] is None
    assert cli("users", "show", ann["id"])[1].startswith(f"id:           {ann['id']}")

    code, out, _ = cli("users", "invite", "--group", "staff", "--uses", "3", "--expires", "2d", "--note", "new hires",
                       "--base-url", "https://id.example.org", "--json")
    invite = json.loads(out)
    assert code == 0 and set(invite) >= {"code", "url", "expires_at", "uses"} and invite["uses"] == 3
    assert invite["url"] == f"https://id.example.org/invite/{invite['code']}"
    listing = cli("users", "invites")[1]
    assert invite["id"] in listing and "usable" in listing and invite["code"] not in listing
    assert cli("users", "revoke-invite", invite["code"])[0] == 0
    assert json.loads(cli("users", "invites", "--json")[1])[0]["state"] == "revoked"

    assert cli("users", "groups", PUBKEY, "--remove", "admin")[1].strip().endswith("staff")
    assert cli("users", "disable", PUBKEY)[0] == 0
    assert "DISABLED" in cli("users", "list")[1]

    code, out, _ = cli("clients", "add", "--name", "Wiki", "--redirect-uri", "https://wiki.example/cb",
                       "--allowed-group", "staff", "--json")
    client = json.loads(out)
    assert code == 0 and client["allowed_groups"] == ["staff"]
    assert "everyone on the server" in cli("clients", "set", client["client_id"], "--no-group-limit")[1]

    log = json.loads(cli("audit", "--since", "1h", "--json")[1])
    actions = [e["action"] for e in log]
    assert actions[:3] == ["client.groups", "client.add", "user.disable"] and "invite.create" in actions
    assert all(e["actor"].startswith("cli") for e in log)
    assert invite["code"] not in json.dumps(log) and client.get("client_secret", "-") not in json.dumps(log)


def test_mistakes_get_a_clear_error_and_change_nothing(tmp_path, capsys) -> None:
    db = tmp_path / "s.db"

    def cli(*args: str) -> tuple[int, str, str]:
        return run_cli(db, *args, capsys=capsys)

    assert cli("users", "show", "nobody")[0] == 1
    code, _, err = cli("users", "add", "--pubkey", "02" + "zz" * 32)
    assert code == 2 and "66 hex digits" in err
    code, _, err = cli("users", "add", "--pubkey", PUBKEY, "--group", "nope")
    assert code == 2 and "groups add nope" in err
    assert json.loads(cli("users", "list", "--json")[1]) == []  # the bad group stopped the whole add
    code, _, err = cli("clients", "add", "--name", "Wiki", "--redirect-uri", "https://wiki.example/cb",
                       "--allowed-group", "nope")
    assert code == 2 and "groups add nope" in err
    assert cli("clients", "list")[1].startswith("no clients")
    assert cli("users", "invite", "--expires", "soon")[0] == 2
    assert cli("groups", "remove", "admin")[0] == 2
    assert cli("users", "revoke-invite", "not-a-code")[0] == 2


def test_the_purger_keeps_the_audit_log_for_its_retention_period(store) -> None:
    from auth_server.store.purge import AUDIT_RETENTION_SECONDS, purge_tables

    now = store.clock()
    store.audit.record(now - AUDIT_RETENTION_SECONDS - 60, "cli:old", "group.add", "old")
    store.audit.record(now - 86400, "cli:new", "group.add", "new")
    assert purge_tables(store, now)["audit_log"] == 1
    assert [e.target for e in store.audit.since(0)] == ["new"]
