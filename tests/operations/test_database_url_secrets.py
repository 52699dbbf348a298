"""A PostgreSQL password never shows where a database URL is shown (errors, logs, the serve
banner, ``StoreUnavailable``), whichever form carries it; malformed URLs are refused without
echoing it (issue 22: ``?password=``, ``&password=`` and ``postgresql:/user:PW@host/db`` were printed,
and the one-slash URL quietly became a SQLite file named after it)."""

from __future__ import annotations

import pytest

from auth_server.cli import main
from auth_server.config import Settings
from auth_server.outages import StoreUnavailable
from auth_server.paths import DatabaseURLError, redact_database_url
from auth_server.store import Store

SECRET = "Hunter2Secret"
CARRIERS = [
    f"postgresql://sigil:{SECRET}@db.example:5432/sigil",
    f"postgres://sigil:{SECRET}@db.example/sigil",
    f"postgresql://sigil@db.example/sigil?password={SECRET}",
    f"postgresql://sigil@db.example/sigil?sslmode=require&password={SECRET}",
    f"postgresql://sigil@db.example/sigil?sslmode=require&PASSWORD={SECRET}&application_name=x",
    f"postgresql://sigil@db.example/sigil?sslmode=require&sslpassword={SECRET}",
    f"postgresql:/sigil:{SECRET}@db.example/sigil",
    f"postgresql:sigil:{SECRET}@db.example/sigil",
    f"POSTGRESQL://sigil:{SECRET}@db.example/sigil",
    f"postgresql://sigil:{SECRET[:4]}@/{SECRET[4:]}@db.example/sigil",  # unencoded "@" and "/" in the password
    f"postgresql://sigil:{SECRET[:4]}#{SECRET[4:]}@db.example/sigil",
    f"mysql://sigil:{SECRET}@db.example/sigil",
]
MALFORMED = CARRIERS[6:9] + [CARRIERS[-1], f"postgres:/sigil:{SECRET}@db.example/sigil"]


@pytest.mark.parametrize("url", CARRIERS)
def test_every_form_is_redacted(url) -> None:
    shown = redact_database_url(url)
    assert SECRET not in shown and SECRET[:4] not in shown and SECRET[4:] not in shown, shown
    assert "***" in shown and "db.example" in shown


def test_paths_and_plain_urls_are_unchanged() -> None:
    for target in ("/var/lib/sigil/a:b@c.db", "sqlite:/tmp/x:y@z.db", "postgresql://sigil@db.example:5432/sigil?sslmode=require"):
        assert redact_database_url(target) == target


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused_without_the_password(url, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # a URL taken for a file name would show up here
    with pytest.raises(DatabaseURLError) as caught:
        Store.open(url)
    assert SECRET not in str(caught.value)
    with pytest.raises(DatabaseURLError) as caught:
        Settings(db_path=url)
    assert SECRET not in str(caught.value)
    assert main(["users", "list", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "URL" in err and SECRET not in err and "Traceback" not in err, err
    monkeypatch.setenv("SIGIL_DB", url)
    assert main(["clients", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: SIGIL_DB: ") and SECRET not in err, err
    assert main(["db", "copy", str(tmp_path / "a.db"), url]) == 2
    assert SECRET not in capsys.readouterr().err
    assert all(p.name.startswith("a.db") for p in tmp_path.iterdir()), list(tmp_path.iterdir())


def test_unreachable_database_hides_query_passwords(capsys) -> None:
    url = f"postgresql://sigil@127.0.0.1:1/none?connect_timeout=2&password={SECRET}"
    with pytest.raises(StoreUnavailable) as caught:
        Store.open(url)
    assert SECRET not in str(caught.value) and "password=***" in str(caught.value)
    assert main(["users", "list", "--db", url]) == 1
    assert SECRET not in capsys.readouterr().err


def test_banner_and_messages_of_a_live_database(postgres_server, capsys) -> None:
    """The trust-auth test server ignores the password, so the URL connects and is shown."""
    url = postgres_server.new_database(migrated=False) + f"?password={SECRET}&application_name=sigil"
    assert main(["migrate", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "schema up to date" in out and "password=***" in out and SECRET not in out, out
    with Store.open(url) as store:
        assert SECRET not in store.describe()
