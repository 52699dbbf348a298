"""Real ``sigil-server serve`` processes, and a real nginx in front of them.

:class:`Instance` is one ``python -m auth_server.cli serve`` on a free loopback port (its
stderr, the server's log, goes to a file the test can read). :class:`Nginx` is Debian's
``nginx`` binary with a configuration of the test's own in a temp dir: its pid file, logs
and temp paths live there, it runs in the foreground (``daemon off``), and as root its
workers run as ``nobody`` (the ``user`` directive). Both are stopped by their own pid.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers.net import free_port
from tests.helpers.secrets_file import shared_secret_file

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not come up within {timeout} s")
        time.sleep(0.05)


class Instance:
    """One ``sigil-server serve`` process; ``args`` are extra command-line flags. With
    ``db=None`` there is no ``--db`` (the process finds its database in ``SIGIL_DB``)."""

    def __init__(self, db: str | Path | None, log_path: Path, args: Sequence[str] = (),
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        db_args = [] if db is None else ["--db", str(db)]
        env = {**os.environ, **(env or {})}
        # PostgreSQL needs a secret file given explicitly: the suite's, unless the test chose one
        env.setdefault("SIGIL_SECRET_FILE", str(shared_secret_file()))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "auth_server.cli", "serve", "--port", str(self.port), *db_args, *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._log)

    def wait(self) -> Instance:
        try:
            wait_until_up(self.url)
        except TimeoutError:
            raise TimeoutError(f"{self.url} did not come up; its log:\n{self.log()}") from None
        return self

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush, connections cut mid-request."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$remote_addr $upstream_addr $status $request_uri';
    access_log {root}/access.log upstream;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream sigil {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://sigil;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx on a free loopback port, balancing over ``upstreams`` (base URLs)."""

    def __init__(self, root: Path, upstreams: Sequence[str], port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server {u.split('//', 1)[1]} max_fails=1 fail_timeout=5s;" for u in upstreams)
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        conf = root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, root=root, servers=servers, port=self.port))
        self.proc = subprocess.Popen([NGINX, "-p", str(root), "-e", str(root / "error.log"), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("nginx did not start") from None
                time.sleep(0.05)

    def access_log(self) -> str:
        path = self.root / "access.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def nginx_available() -> bool:
    return Path(NGINX).exists()


def self_signed_certificate(directory: Path, common_name: str) -> tuple[Path, Path]:
    """A one-day P-256 certificate for ``common_name`` and its key, as PEM files in ``directory``
    (nginx's TLS in the proxy tests)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
