"""A Django project with mozilla-django-oidc (``examples/relying_parties/django_app``, whose
Sigil settings and backend the README quotes) signs a Sigil user in: a user with no e-mail
address (every new Sigil user) gets a Django account named by ``sub``, the same one on
every login. Django's own ``runserver`` on loopback; the secret in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.net import free_port
from tests.relying_parties.conftest import EXAMPLES, ROOT, Sigil, User, readme_blocks, stop_process, wait_for_http

pytestmark = pytest.mark.relying_party

PROJECT = EXAMPLES / "django_app"
RECIPE = (PROJECT / "sigil_site" / "sigil_settings.py", PROJECT / "sigil_site" / "backends.py")


@pytest.fixture(scope="module")
def django_app(sigil: Sigil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("django")
    url = f"http://127.0.0.1:{free_port()}"
    client = sigil.add_client("Django", f"{url}/oidc/callback/")
    env = {**os.environ, "SIGIL_URL": sigil.url, "OIDC_RP_CLIENT_ID": client["client_id"],
           "OIDC_RP_CLIENT_SECRET": client["client_secret"], "DJANGO_DB": str(root / "db.sqlite3"),
           "DJANGO_SECRET_KEY": os.urandom(16).hex(), "DJANGO_SETTINGS_MODULE": "sigil_site.settings"}
    manage = [sys.executable, str(PROJECT / "manage.py")]
    migrated = subprocess.run([*manage, "migrate", "--noinput"], cwd=PROJECT, env=env, capture_output=True,
                              text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    log = root / "django.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([*manage, "runserver", "--noreload", url.removeprefix("http://")], cwd=PROJECT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"{url}/oidc/authenticate/", proc, log)
        yield url
    finally:
        stop_process(proc)


def test_readme_quotes_the_tested_settings_and_backend() -> None:
    blocks = readme_blocks()
    for part in RECIPE:
        assert part.read_text() in blocks, f"README.md does not quote {part.relative_to(ROOT)} as it is"


def login(app: str, user: User) -> dict:
    res = user.walk(f"{app}/whoami/")
    assert res.status_code == 200, f"{res.status_code} {res.text[:1000]}\n{user.trail()}"
    return res.json()


def test_a_user_without_email_signs_in_to_django(django_app: str, user: User) -> None:
    who = login(django_app, user)
    assert any("/oauth2/authorize" in str(r.request.url) for r in user.visited), user.trail()
    assert any(str(r.request.url).startswith(f"{django_app}/oidc/callback/") for r in user.visited)
    assert who["email"] == ""
    # named by sub, the user's id at Sigil: what userinfo says for this user
    sub = who["username"]
    assert sub and sub == user_sub(user)
    # a second login (fresh Django session) is the same account
    user.http.cookies.delete("sessionid")
    user.visited.clear()
    assert login(django_app, user)["username"] == sub


def user_sub(user: User) -> str:
    """The user's ``sub`` as Sigil's store has it (the sign-in answer names the user)."""
    from auth_server.store import Store

    with Store.open(user.sigil.db) as store:
        found = store.users.get_by_pubkey(user.key.public_key.format().hex())
    assert found is not None
    return found.id
