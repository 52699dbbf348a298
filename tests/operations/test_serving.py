"""Serving and administration: /healthz, OpenAPI, JSON errors, `sigil-server serve|migrate|users|sessions`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from auth_server.config import Settings
from tests.helpers.fixtures.sign_in_server import SIGN_IN

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auth_server.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, input=stdin)


def test_healthz_and_json_errors(server):
    assert server.request("GET", "/healthz").json()["status"] == "ok"
    missing = server.request("GET", "/api/auth/nope")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    wrong = server.request("DELETE", "/healthz")
    assert wrong.status_code == 405 and wrong.json()["code"] == "METHOD_NOT_ALLOWED"


def test_openapi_documents_every_route(server):
    doc = server.request("GET", "/api/auth/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for method, path in (("post", SIGN_IN), ("get", "/api/auth/sigma/challenge"), ("get", "/api/auth/get-session"),
                         ("post", "/api/auth/sign-out"), ("get", "/api/auth/list-sessions"),
                         ("post", "/api/auth/revoke-session"), ("get", "/healthz"), ("get", "/api/auth/openapi.json")):
        assert method in paths[path], path
        assert paths[path][method]["summary"]
    # every route the app serves is documented, whichever feature installed it
    app_routes = {(r.method.lower(), re.sub(r"<([^:>]+)(:[^>]*)?>", r"{\1}", r.rule)) for r in server.thread.app.routes}
    documented = {(m, p) for p, ops in paths.items() for m in ops}
    assert app_routes <= documented


def test_settings_from_env_and_overrides(tmp_path):
    env = {"SIGIL_HOST": "0.0.0.0", "SIGIL_PORT": "4000", "SIGIL_DB": str(tmp_path / "x.db"),
           "SIGIL_TRUSTED_ORIGINS": "https://a.example/, https://b.example", "SIGIL_RATE_LIMIT": "off"}
    settings = Settings.from_env(env, port=5000)
    assert (settings.host, settings.port, settings.db_path) == ("0.0.0.0", 5000, tmp_path / "x.db")
    assert settings.base_url == "http://0.0.0.0:5000" and settings.rate_limit_enabled is False
    assert settings.allowed_origins() == {"http://0.0.0.0:5000", "https://a.example", "https://b.example"}
    assert Settings.from_env({}).db_path.name == "sigil.db"
    assert Settings.from_env({}).host == "127.0.0.1"


def test_serve_command_logs_requests_and_stops_on_sigterm(tmp_path, peer, peer_key):
    db = tmp_path / "served.db"
    proc = subprocess.Popen([sys.executable, "-m", "auth_server.cli", "serve", "--port", "0"], cwd=ROOT,
                            env={**os.environ, "SIGIL_DB": str(db)}, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        token = peer.make(peer_key[0], SIGN_IN)
        res = httpx.post(f"{url}{SIGN_IN}?debug=secret", headers={"X-Auth-Token": token}, json={})
        assert res.status_code == 200, res.text
        session = res.json()["token"]
        assert httpx.get(f"{url}/healthz").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        log = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert re.search(rf"POST {SIGN_IN} 200 [\d.]+ms", log), log
    assert "GET /healthz 200" in log
    for secret in (token, session, "secret", token.split("|")[4]):
        assert secret not in log
    assert db.exists()


@pytest.mark.parametrize("threads", ["4", "0"])
def test_serve_command_with_workers(tmp_path, peer, threads):
    proc = subprocess.Popen([sys.executable, "-m", "auth_server.cli", "serve", "--port", "0", "--workers", "2", "--quiet",
                             "--threads", threads, "--db", str(tmp_path / "w.db")], cwd=ROOT, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stderr is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stderr.readline())
        assert match
        url = match.group(1)
        token = peer.make(peer.key()[0], SIGN_IN)
        answers = [httpx.post(f"{url}{SIGN_IN}", headers={"X-Auth-Token": token}, json={}) for _ in range(3)]
        assert sorted(a.status_code for a in answers) == [200, 401, 401]  # single use across workers
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_admin_commands(server_factory, tmp_path, peer, peer_key):
    db = tmp_path / "admin.db"
    migrated = cli("migrate", "--db", str(db))
    assert migrated.returncode == 0 and "applied 1:" in migrated.stdout
    assert "0 applied now" in cli("migrate", env={"SIGIL_DB": str(db)}).stdout
    assert cli("users", "list", "--db", str(db)).stdout.strip() == "no users"

    server = server_factory(db)
    token = server.sign_in(peer.make(peer_key[0], SIGN_IN)).json()["token"]
    user_id = server.store.users.get_by_pubkey(peer_key[1]).id

    listed = cli("users", "list", "--db", str(db))  # while the server runs
    assert listed.returncode == 0 and user_id in listed.stdout and peer_key[1] in listed.stdout
    assert json.loads(cli("users", "list", "--json", "--db", str(db)).stdout)[0]["pubkey"] == peer_key[1]

    revoked = cli("sessions", "revoke", "--user", user_id, "--db", str(db))
    assert revoked.returncode == 0 and "revoked 1 session" in revoked.stdout
    assert server.request("GET", "/api/auth/get-session", headers={"Authorization": f"Bearer {token}"}).json() is None
    unknown = cli("sessions", "revoke", "--user", "nobody", "--db", str(db))
    assert unknown.returncode == 1 and "no user" in unknown.stderr

    # the foundation's token commands are still there
    assert cli("token", "verify", "--path", SIGN_IN, stdin=peer.make(peer_key[0], SIGN_IN)).stdout.strip() == peer_key[1]


@pytest.mark.parametrize("threads", [2, 0])
def test_large_responses_reach_a_slow_reader(threads):
    """QuietChannel skips POLLOUT while a task thread writes, and in loop mode writes never
    wait for the loop; bytes a full socket buffer leaves behind must still reach a client
    that reads late (one body and a stream)."""
    import socket
    import time

    from auth_server.serving.server import ServerThread

    big = os.urandom(8 * 1024 * 1024)  # more than the socket buffers hold

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        if environ["PATH_INFO"] == "/stream":
            return (big[i:i + 65536] for i in range(0, len(big), 65536))
        return [big]

    with ServerThread(app, threads=threads) as thread:
        for path in ("/one", "/stream", "/one"):
            with socket.create_connection(("127.0.0.1", thread.port), timeout=10) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                time.sleep(0.3)  # the server fills both socket buffers and must wait for us
                data = b""
                while chunk := sock.recv(1 << 16):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            if path == "/one":
                assert body == big
            else:  # chunked: strip the framing
                assert big[:1000] in body and big[-1000:] in body and len(body) > len(big)


def _raw_request(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def _read_answers(sock, count: int) -> list[bytes]:
    """``count`` answers from a keep-alive socket (bodies framed by Content-Length)."""
    data, answers = b"", []
    while len(answers) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", data[:head_end]).group(1))
            if len(data) >= head_end + 4 + length:
                answers.append(data[head_end + 4:head_end + 4 + length])
                data = data[head_end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, "server closed the connection early"
        data += chunk
    return answers


def test_loop_mode_serves_others_while_one_client_stalls():
    """threads=0: requests run on the I/O loop; a client that sends half a request (or
    nothing) must not hold up the others, and pipelined requests are answered in order."""
    import socket

    from auth_server.serving.server import ServerThread

    def app(environ, start_response):
        body = environ["PATH_INFO"].encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    with ServerThread(app, threads=0) as thread:
        address = ("127.0.0.1", thread.port)
        with socket.create_connection(address, timeout=5) as stalled, socket.create_connection(address, timeout=5) as ok:
            stalled.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
            ok.sendall(_raw_request("/a"))
            assert _read_answers(ok, 1) == [b"/a"]
            ok.sendall(_raw_request("/b") + _raw_request("/c") + _raw_request("/d"))  # pipelined
            assert _read_answers(ok, 3) == [b"/b", b"/c", b"/d"]
            stalled.sendall(b"x" * 91)
            assert _read_answers(stalled, 1) == [b"/slow"]


def test_loop_mode_answers_an_app_error_and_keeps_serving():
    """An exception in the app is a 500 from waitress; the loop itself goes on."""
    from auth_server.serving.server import ServerThread

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("bug")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    with ServerThread(app, threads=0) as thread:
        assert httpx.get(thread.url + "/boom").status_code == 500
        assert httpx.get(thread.url + "/fine").text == "ok"


def test_negative_threads_are_refused(tmp_path):
    done = cli("serve", "--threads", "-1", "--db", str(tmp_path / "t.db"))
    assert done.returncode == 2 and "threads must be 0" in done.stderr


def _worker_connection_counts(server_pid: int, port: int) -> dict[int, int]:
    """Established connections to ``port`` held by each worker process (Linux /proc)."""
    inodes: dict[str, int] = {}
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    for pid in map(int, children):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes[target[8:-1]] = pid
    counts = dict.fromkeys(map(int, children), 0)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        if local_port == port and state == "01" and inode in inodes:  # 01: ESTABLISHED
            counts[inodes[inode]] += 1
    return counts


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing is Linux's")
def test_workers_share_a_burst_of_connections(tmp_path):
    """With one socket per worker (SO_REUSEPORT) the kernel spreads a burst of new
    connections over the workers; with one shared socket one worker could take them all."""
    import socket
    import time

    proc = subprocess.Popen([sys.executable, "-m", "auth_server.cli", "serve", "--port", "0", "--workers", "2",
                             "--threads", "0", "--quiet", "--db", str(tmp_path / "w.db")], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", proc.stderr.readline())
        assert match
        port = int(match.group(1))
        burst = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(24)]
        for sock in burst:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in burst:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.1)
        counts = _worker_connection_counts(proc.pid, port)
        assert len(counts) == 2 and sum(counts.values()) == 24 and min(counts.values()) >= 3, counts
        for sock in burst:
            sock.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_workers_share_rate_limits(tmp_path, peer):
    """With --workers 2 a client's connections land on both workers; the per-address limit
    must still hold once in total, not once per worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGIL_")} | {"SIGIL_RATE_LIMIT_PER_IP": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "auth_server.cli", "serve", "--port", "0", "--workers", "2",
                             "--threads", "0", "--quiet", "--db", str(tmp_path / "r.db")], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stderr.readline())
        assert match
        statuses = [httpx.post(match.group(1) + SIGN_IN, json={},  # a new connection each time
                               headers={"X-Auth-Token": peer.make(peer.key()[0], SIGN_IN)}).status_code
                    for _ in range(10)]
        assert sorted(statuses) == [200] * 3 + [429] * 7, statuses
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
