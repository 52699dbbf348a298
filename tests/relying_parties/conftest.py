"""Real relying parties (JupyterHub, Django with mozilla-django-oidc, Apache httpd with
mod_auth_openidc) signing a user in through a real ``sigil-server serve`` on loopback,
configured with the very files the README quotes (``examples/relying_parties/``).

The user's browser is an httpx client with one cookie jar that follows redirects by hand
(:func:`walk`): the RP's login URL -> Sigil's authorize page (the user signed in to Sigil with
an X-Auth-Token from their key, as the desktop signer does) -> consent -> the RP's callback.
Each RP is started once per module; client secrets reach the RPs through environment
variables, never a command line.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from tests.helpers.instances import ROOT, Instance

EXAMPLES = ROOT / "examples" / "relying_parties"
SIGN_IN = "/api/auth/sign-in/sigma"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')

pytestmark = pytest.mark.relying_party


@dataclass
class Sigil:
    """A ``sigil-server serve`` process and its database (for ``clients add``)."""

    instance: Instance
    db: Path

    @property
    def url(self) -> str:
        return self.instance.url

    def cli(self, *args: str) -> str:
        """``sigil-server ARGS --db DB`` (an administrator's command); its stdout."""
        done = subprocess.run([sys.executable, "-m", "auth_server.cli", *args, "--db", str(self.db)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def add_client(self, name: str, redirect_uri: str, *extra: str) -> dict:
        """``sigil-server clients add ... --json`` as the README says; the answer (with the
        secret, read from stdout, never put on a command line)."""
        done = subprocess.run([sys.executable, "-m", "auth_server.cli", "clients", "add", "--db", str(self.db),
                               "--name", name, "--redirect-uri", redirect_uri, "--json", *extra],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def sigil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sigil]:
    root = tmp_path_factory.mktemp("sigil")
    db = root / "sigil.db"
    instance = Instance(db, root / "sigil.log", env={"SIGIL_RATE_LIMIT": "0"}).wait()
    try:
        yield Sigil(instance, db)
    finally:
        instance.stop()


@dataclass
class User:
    """A Sigil user's browser: a key, one cookie jar for every site, manual redirects."""

    sigil: Sigil
    key: coincurve.PrivateKey = field(default_factory=coincurve.PrivateKey)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(follow_redirects=False, timeout=30))
    visited: list[httpx.Response] = field(default_factory=list)

    def sign_in_to_sigil(self) -> dict:
        """What the sign-in page does with the desktop signer: POST an X-Auth-Token."""
        res = self.http.post(self.sigil.url + SIGN_IN, content="{}", headers={
            "Content-Type": "application/json", "Origin": self.sigil.url, "X-Auth-Token": make_token(self.key, SIGN_IN)})
        assert res.status_code == 200, res.text
        return res.json()

    def walk(self, url: str, *, stop: Callable[[httpx.Response], bool] = lambda res: False,
             method: str = "GET", hops: int = 20) -> httpx.Response:
        """Follow redirects from ``url`` as a browser would, approving Sigil's consent page;
        the first answer that is not a redirect, or for which ``stop`` is true."""
        for _ in range(hops):
            headers = {"Origin": self.sigil.url} if url.startswith(self.sigil.url) else {}
            res = self.http.request(method, url, headers=headers)
            self.visited.append(res)
            method = "GET"
            if stop(res):
                return res
            if url.startswith(self.sigil.url) and res.status_code == 200 and 'name="csrf"' in res.text:
                fields = {n: html.unescape(v) for n, v in _HIDDEN.findall(res.text)}
                res = self.http.post(self.sigil.url + "/oauth2/authorize", data={**fields, "decision": "approve"},
                                     headers={"Origin": self.sigil.url})
                self.visited.append(res)
            if res.status_code in (301, 302, 303, 307, 308):
                url = urljoin(str(res.request.url), res.headers["location"])
                continue
            return res
        raise AssertionError(f"more than {hops} redirects: {[str(r.request.url) for r in self.visited]}")

    def trail(self) -> str:
        return "\n".join(f"{r.request.method} {r.request.url} -> {r.status_code}" for r in self.visited)


def member(sigil: Sigil, *groups: str) -> User:
    """A user let in ahead of time (``users add --pubkey ... --group G``), signed in to Sigil."""
    person = User(sigil)
    sigil.cli("users", "add", "--pubkey", person.key.public_key.format().hex(),
              *[arg for group in groups for arg in ("--group", group)])
    person.sign_in_to_sigil()
    return person


@pytest.fixture
def user(sigil: Sigil) -> Iterator[User]:
    u = User(sigil)
    u.sign_in_to_sigil()
    yield u
    u.http.close()


def wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Until ``url`` answers without an error (a proxy in front may answer 404 before its
    routes are set); the process's log if it died or never answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code < 400:
                return
            time.sleep(0.1)
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up in {timeout} s:\n{log.read_text()}")


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM the process we started (by its own handle), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def readme_blocks() -> list[str]:
    """Every fenced code block of README.md, without its fences."""
    text = (ROOT / "README.md").read_text()
    return [m.group(1) for m in re.finditer(r"^```[a-z]*\n(.*?)^```$", text, re.S | re.M)]
