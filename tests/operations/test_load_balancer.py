"""The load-balancer example, run as an operator would: ``examples/load_balancer/nginx.conf``
(the README's nginx block, byte for byte) in front of two ``sigil-server serve`` processes
that share one PostgreSQL database and one ``--secret-file`` but have data directories of
their own, as two hosts or two containers would.

Only what a test machine cannot have is changed in the file before nginx runs it: the
ports (free loopback ports instead of 80, 443, 3001 and 3002) and the certificate (a
self-signed one instead of Let's Encrypt's). Everything else is the file the README shows.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import coincurve
import httpx
import jwt
import pytest

from auth_server import admin
from auth_server.crypto import make_token
from auth_server.oauth.endpoints import JWKS_PATH
from auth_server.oauth.pkce import s256_challenge
from auth_server.oauth.secret_file import make_secret_file
from auth_server.store import Store
from tests.helpers.fixtures.oauth_server import hidden_fields
from tests.helpers.instances import NGINX, ROOT, Instance, nginx_available, self_signed_certificate
from tests.helpers.net import free_port

EXAMPLE = ROOT / "examples" / "load_balancer" / "nginx.conf"
SIGN_IN = "/api/auth/sign-in/sigma"
TOKEN = "/api/auth/oauth2/token"
REDIRECT = "https://app.example.com/callback"
VERIFIER = "load-balancer-verifier-" + "v" * 30

needs_nginx = pytest.mark.skipif(not nginx_available(), reason="nginx not installed (apt-get install nginx)")


def test_the_readme_shows_the_example_file_byte_for_byte():
    blocks = re.findall(r"```nginx\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks == [EXAMPLE.read_text()]



def example_for_test(upstreams: list[int], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The example file with this machine's ports and certificate, nothing else changed."""
    site = EXAMPLE.read_text()
    for example_port, port in zip((3001, 3002), upstreams, strict=True):
        assert f"server 127.0.0.1:{example_port} " in site
        site = site.replace(f"server 127.0.0.1:{example_port} ", f"server 127.0.0.1:{port} ")
    replacements = [(r"listen 80;", f"listen 127.0.0.1:{http_port};"), (r"listen \[::\]:80;", f"listen [::1]:{http_port};"),
                    (r"listen 443 ", f"listen 127.0.0.1:{https_port} "), (r"listen \[::\]:443 ", f"listen [::1]:{https_port} "),
                    (r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};"),
                    (r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};")]
    for pattern, replacement in replacements:
        site, n = re.subn(pattern, replacement, site)
        assert n == 1, pattern
    return site


@dataclass
class Balanced:
    url: str  # the balancer's https:// URL: every instance's issuer
    a: Instance
    b: Instance
    root: Path
    db: str

    def access_log(self) -> list[tuple[str, str, str]]:
        """(upstream port, status, request URI) of each request nginx has logged."""
        path = self.root / "access.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [(upstream.rsplit(":", 1)[-1], status, uri) for upstream, status, uri in
                (line.split(" ", 2) for line in lines)]


@pytest.fixture(scope="module")
def balanced(postgres_server) -> Iterator[Balanced]:
    if not nginx_available():
        pytest.skip("nginx not installed (apt-get install nginx)")
    db = postgres_server.new_database()
    root = Path(tempfile.mkdtemp(prefix="sigil-lb-"))
    os.chmod(root, 0o755)  # nginx's workers run as nobody
    secret = make_secret_file(root / "secret.key")  # one secret file, copied to every host
    http_port, https_port = free_port(), free_port()
    url = f"https://127.0.0.1:{https_port}"
    flags = ["--trusted-proxy", "127.0.0.1", "--quiet", "--secret-file", str(secret)]
    started: list[Instance] = []
    nginx = None
    try:
        for name in ("a", "b"):  # started together, as two hosts would be: one of them makes the key
            env = {"SIGIL_DATA_DIR": str(root / f"data-{name}"), "SIGIL_BASE_URL": url,
                   "SIGIL_SIGNER_URL": "http://127.0.0.1:9"}
            started.append(Instance(db, root / f"{name}.log", flags, env))
        for instance in started:
            instance.wait()
        cert, key = self_signed_certificate(root, "127.0.0.1")
        (root / "sigil.conf").write_text(example_for_test([i.port for i in started], http_port, https_port, cert, key))
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(
            f"{user}\nworker_processes 1;\ndaemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
            "events { worker_connections 256; }\nhttp {\n"
            "    log_format upstream '$upstream_addr $status $request_uri';\n"
            f"    access_log {root}/access.log upstream;\n"
            + "".join(f"    {kind}_temp_path {root}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"    include {root}/sigil.conf;\n}}\n")
        nginx = subprocess.Popen([NGINX, "-p", str(root), "-e", str(root / "error.log"), "-c", str(root / "nginx.conf")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while True:
            if nginx.poll() is not None:
                raise RuntimeError(f"nginx exited: {nginx.stderr.read() if nginx.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("nginx did not start") from None
                time.sleep(0.05)
        yield Balanced(url, started[0], started[1], root, db)
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(5)
        for instance in started:
            instance.stop()
        shutil.rmtree(root, ignore_errors=True)


def _client(balanced: Balanced) -> httpx.Client:
    # the self-signed certificate stands in for the real one; nothing else is relaxed
    return httpx.Client(base_url=balanced.url, verify=False, follow_redirects=False, timeout=30,
                        headers={"Origin": balanced.url})


@needs_nginx
@pytest.mark.postgres
@pytest.mark.slow
def test_both_instances_publish_one_jwks_through_the_balancer(balanced):
    with _client(balanced) as http:
        answers = [http.get(JWKS_PATH) for _ in range(6)]
    assert {r.status_code for r in answers} == {200}
    assert len({r.content for r in answers}) == 1  # byte for byte, whichever instance answered
    jwks_upstreams = {port for port, _, uri in balanced.access_log() if uri == JWKS_PATH}
    assert jwks_upstreams == {str(balanced.a.port), str(balanced.b.port)}
    # and straight from each instance too (separate data directories: the key is the store's)
    assert httpx.get(balanced.a.url + JWKS_PATH).content == httpx.get(balanced.b.url + JWKS_PATH).content \
        == answers[0].content
    assert not list((balanced.root / "data-a").glob("*.pem")) and not list((balanced.root / "data-b").glob("*.pem"))


@needs_nginx
@pytest.mark.postgres
@pytest.mark.slow
def test_sign_in_and_code_exchange_through_the_balancer_land_on_both_instances(balanced):
    with Store.open(balanced.db, migrate_now=False) as store:
        app = admin.register_client(store, "Balanced app", [REDIRECT], auth_method="client_secret_basic")
    before = len(balanced.access_log())
    with _client(balanced) as http:
        jwks = jwt.PyJWKSet.from_dict(http.get(JWKS_PATH).json())
    for _ in range(3):
        with _client(balanced) as browser:
            res = browser.post(SIGN_IN, json={}, headers={"X-Auth-Token": make_token(coincurve.PrivateKey(), SIGN_IN)})
            assert res.status_code == 200, res.text
            page = browser.get("/oauth2/authorize", params={
                "client_id": app.client_id, "redirect_uri": REDIRECT, "response_type": "code", "state": "s",
                "scope": "openid profile", "code_challenge": s256_challenge(VERIFIER),
                "code_challenge_method": "S256", "nonce": "n"})
            assert page.status_code == 200, page.text
            fields = hidden_fields(page.text)
            approved = browser.post("/oauth2/authorize", data={**fields, "decision": "approve"})
            assert approved.status_code == 302, approved.text
            code = httpx.URL(approved.headers["location"]).params["code"]
        with _client(balanced) as backend:
            tokens = backend.post(TOKEN, auth=(app.client_id, app.client_secret or ""), data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "code_verifier": VERIFIER})
        assert tokens.status_code == 200, tokens.text
        header = jwt.get_unverified_header(tokens.json()["id_token"])
        claims = jwt.decode(tokens.json()["id_token"], jwks[header["kid"]].key, algorithms=[header["alg"]],
                            audience=app.client_id, issuer=balanced.url)
        assert claims["nonce"] == "n"
    flow = [(port, uri.split("?", 1)[0]) for port, _, uri in balanced.access_log()[before + 1:]]
    assert {port for port, _ in flow} == {str(balanced.a.port), str(balanced.b.port)}, flow
    # a code issued by one instance was redeemed on the other
    issued = [port for port, path in flow if path == "/oauth2/authorize"][1::2]
    redeemed = [port for port, path in flow if path == TOKEN]
    assert any(i != r for i, r in zip(issued, redeemed, strict=True)), flow
