"""JupyterHub 6 with oauthenticator's GenericOAuthenticator (and configurable-http-proxy
from npm) signs a Sigil user in, configured by ``examples/relying_parties/jupyterhub_config.py``
exactly as the README quotes it. The hub posts its client secret in the body by default,
against a client registered the README's way (``client_secret_basic``): what the first
round of real apps tripped over."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from auth_server.crypto import bap_id_from_pubkey

from tests.helpers.net import free_port
from tests.relying_parties.conftest import EXAMPLES, ROOT, Sigil, User, readme_blocks, stop_process, wait_for_http

pytestmark = pytest.mark.relying_party

CONFIG = EXAMPLES / "jupyterhub_config.py"
CHP_BIN = ROOT / "tests" / "peers" / "node_modules" / ".bin"

#: the test's own additions, loaded after the recipe: files in the temp dir, and an API token
#: (a service with the admin role) the test reads the hub's users with
TEST_CONFIG = """\
import os
c = get_config()
load_subconfig({recipe!r})
c.JupyterHub.bind_url = os.environ["HUB_URL"]
c.JupyterHub.hub_port = int(os.environ["HUB_INTERNAL_PORT"])
c.ConfigurableHTTPProxy.api_url = os.environ["CHP_API_URL"]
c.JupyterHub.db_url = "sqlite:///" + os.path.join(os.getcwd(), "hub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(os.getcwd(), "cookie_secret")
c.JupyterHub.pid_file = os.path.join(os.getcwd(), "hub.pid")
c.JupyterHub.services = [{{"name": "test", "api_token": os.environ["TEST_API_TOKEN"]}}]
c.JupyterHub.load_roles = [{{"name": "test", "scopes": ["admin:users"], "services": ["test"]}}]
"""


@dataclass
class Hub:
    url: str
    api_token: str

    def user_models(self) -> list[dict]:
        res = httpx.get(f"{self.url}/hub/api/users", headers={"Authorization": f"token {self.api_token}"}, timeout=10)
        assert res.status_code == 200, res.text
        return res.json()

    def users(self) -> list[str]:
        return [u["name"] for u in self.user_models()]


@contextmanager
def running_hub(sigil: Sigil, root: Path, config: Path) -> Iterator[Hub]:
    """JupyterHub with ``config`` (a README recipe) and the test's additions, its client
    registered the README's way."""
    url = f"http://127.0.0.1:{free_port()}"
    callback = f"{url}/hub/oauth_callback"
    client = sigil.add_client("JupyterHub", callback)  # the README's command: client_secret_basic
    assert client["token_endpoint_auth_method"] == "client_secret_basic"
    (root / "test_config.py").write_text(TEST_CONFIG.format(recipe=str(config)))
    token = secrets.token_hex(16)
    env = {**os.environ, "PATH": f"{CHP_BIN}:{Path(sys.executable).parent}:{os.environ['PATH']}",
           "SIGIL_URL": sigil.url, "OAUTH_CLIENT_ID": client["client_id"],
           "OAUTH_CLIENT_SECRET": client["client_secret"], "OAUTH_CALLBACK_URL": callback,
           "HUB_URL": url, "HUB_INTERNAL_PORT": str(free_port()),
           "CHP_API_URL": f"http://127.0.0.1:{free_port()}", "TEST_API_TOKEN": token}
    log = root / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", "test_config.py"],
                                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"{url}/hub/login", proc, log)
        yield Hub(url, token)
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def hub(sigil: Sigil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(sigil, tmp_path_factory.mktemp("hub"), CONFIG) as running:
        yield running


def test_readme_quotes_the_tested_config() -> None:
    assert CONFIG.read_text() in readme_blocks()


def test_a_sigil_user_signs_in_to_jupyterhub(hub: Hub, user: User) -> None:
    def after_callback(res: httpx.Response) -> bool:
        return urlsplit(str(res.request.url)).path == "/hub/oauth_callback"

    res = user.walk(f"{hub.url}/hub/oauth_login", stop=after_callback)
    assert after_callback(res) and res.status_code == 302, f"{res.status_code} {res.text[:2000]}\n{user.trail()}"
    names = hub.users()
    assert any("/oauth2/authorize" in str(r.request.url) for r in user.visited), user.trail()
    # the hub named the user by Sigil's preferred_username claim: the BAP ID of the user's key
    # (JupyterHub lower-cases names)
    assert names == [bap_id_from_pubkey(user.key.public_key.format().hex()).lower()], (names, user.trail())
