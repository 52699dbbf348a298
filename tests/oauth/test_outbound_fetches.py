"""A ``private_key_jwt`` client's ``jwks_uri``, fetched from real HTTP servers on loopback:
a slow or dead key host costs only its own client, fetches are few, and a self-registered
client cannot make the server reach an internal address (at registration or at connect
time)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from joserfc import jwt

from auth_server import admin
from auth_server.oauth import outbound
from auth_server.oauth.client_auth.private_key_jwt import JWT_BEARER
from auth_server.oauth.endpoints import REGISTRATION_PATH, TOKEN_PATH
from auth_server.oauth.registration import issue_registration_token
from tests.helpers.fixtures.oauth_server import REDIRECT
from tests.oauth.standard_clients import StandardClient, new_key, register_standard
from tests.oauth.test_client_methods import code_for, exchange_form


class KeysServer:
    """A JWKS host on loopback that counts its requests; ``drip`` seconds between bytes
    makes it a host that answers one byte at a time (and never finishes in time)."""

    def __init__(self, keys: dict, drip: float = 0.0) -> None:
        self.requests = 0
        body = json.dumps(keys).encode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests += 1
                if drip:
                    try:
                        for byte in b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            if outer.stopped.wait(drip):
                                return
                    except OSError:
                        return
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.stopped = threading.Event()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.http.server_address[1]}/jwks.json"

    def close(self) -> None:
        self.stopped.set()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def key():
    return new_key("ES256")


@pytest.fixture
def keys_server(key) -> Iterator[KeysServer]:
    host = KeysServer({"keys": [key.as_dict(private=False)]})
    yield host
    host.close()


@pytest.fixture
def dripping(key) -> Iterator[KeysServer]:
    host = KeysServer({"keys": [key.as_dict(private=False)]}, drip=0.5)
    yield host
    host.close()


def assertion_form(client: StandardClient, assertion: str, code: str = "x") -> dict[str, str]:
    return {**exchange_form(code), "client_id": client.client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion}


def test_a_dripping_host_is_cut_off_at_one_total_deadline(dripping) -> None:
    started = time.monotonic()
    with pytest.raises(outbound.FetchError, match="within 1 seconds"):
        outbound.fetch(dripping.url(), public_only=False, deadline=1.0)
    assert time.monotonic() - started < 1.8  # not a timeout per read: the host sends a byte every 0.5 s


@pytest.mark.slow
def test_a_slow_jwks_host_holds_neither_sign_ins_nor_healthz(server, browser, dripping, key) -> None:
    client = register_standard(server, "private_key_jwt", jwks_uri=dripping.url(), key=key)
    answers: list = []

    def exchange() -> None:
        answers.append(server.request("POST", TOKEN_PATH, data=assertion_form(client, client.assertion(server.url)),
                                      timeout=30))

    workers = [threading.Thread(target=exchange) for _ in range(10)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # the fetch is under way, dripping
    took = time.monotonic()
    browser.sign_in()  # a sign-in writes: it must not queue behind the fetch
    assert time.monotonic() - took < 1.5
    took = time.monotonic()
    with server.http() as http:
        assert http.get("/healthz").status_code == 200
    assert time.monotonic() - took < 1.0
    for worker in workers:
        worker.join(30)
    assert time.monotonic() - started < outbound.FETCH_DEADLINE + 2.5
    assert len(answers) == 10 and all(a.status_code in (401, 503) for a in answers), [a.text for a in answers]
    assert dripping.requests == 1  # ten requests, one fetch
    assert all(a.json()["error"] in ("invalid_client", "temporarily_unavailable") for a in answers)


def test_unknown_kids_do_not_force_a_fetch_each(server, browser, keys_server, key) -> None:
    client = register_standard(server, "private_key_jwt", jwks_uri=keys_server.url(), key=key)
    ok = server.request("POST", TOKEN_PATH, data=assertion_form(client, client.assertion(server.url),
                                                                code_for(browser, client)))
    assert ok.status_code == 200, ok.text
    assert keys_server.requests == 1
    for n in range(20):
        now = int(time.time())
        claims = {"iss": client.client_id, "sub": client.client_id, "aud": server.url, "exp": now + 60,
                  "jti": f"kid-{n}"}
        forged = jwt.encode({"alg": "ES256", "kid": f"rotated-{n}"}, claims, new_key("ES256"), algorithms=["ES256"])
        res = server.request("POST", TOKEN_PATH, data=assertion_form(client, forged))
        assert res.status_code == 401 and res.json()["error"] == "invalid_client"
    assert keys_server.requests <= 2  # at most one refetch per client per interval


@pytest.mark.parametrize("change", ["aud", "iss", "expired", "too_long", "no_jti", "alg_none"])
def test_a_bad_assertion_fetches_nothing(server, keys_server, key, change) -> None:
    client = register_standard(server, "private_key_jwt", jwks_uri=keys_server.url(), key=key)
    if change == "aud":
        assertion = client.assertion("https://other.example")
    elif change == "iss":
        assertion = client.assertion(server.url, iss="someone-else")
    elif change == "expired":
        assertion = client.assertion(server.url, lifetime=-3600)
    elif change == "too_long":
        assertion = client.assertion(server.url, lifetime=86400)
    elif change == "no_jti":
        assertion = client.assertion(server.url, jti="")
    else:
        import base64
        head = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(json.dumps({"iss": client.client_id, "sub": client.client_id,
                                                    "aud": server.url, "exp": int(time.time()) + 60,
                                                    "jti": "n"}).encode()).rstrip(b"=").decode()
        assertion = f"{head}.{body}."
    res = server.request("POST", TOKEN_PATH, data=assertion_form(client, assertion))
    assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text
    assert keys_server.requests == 0


# -- where a stranger's jwks_uri may point ------------------------------------------------

INTERNAL = ["https://127.0.0.1:9/jwks.json", "https://[::1]/jwks.json", "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/jwks.json", "https://localhost/jwks.json", "https://0177.0.0.1/jwks.json",
            "https://2130706433/jwks.json", "https://0x7f.1/jwks.json", "https://[::ffff:127.0.0.1]/jwks.json",
            "https://keys.localhost/jwks.json", "https://localhost./jwks.json", "https://192.168.1.1/jwks.json",
            "https://100.64.0.1/jwks.json", "https://[fe80::1]/jwks.json", "https://0.0.0.0/jwks.json",
            "https://224.0.0.1/jwks.json", "https://240.0.0.1/jwks.json", "https://user@keys.example/jwks.json",
            "http://keys.example/jwks.json"]


@pytest.mark.parametrize("uri", INTERNAL)
def test_self_registration_refuses_internal_jwks_uris(server_factory, uri) -> None:
    server = server_factory(dynamic_registration="token")
    body = {"client_name": "Keys", "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": uri}
    res = server.request("POST", REGISTRATION_PATH, json=body,
                         headers={"Authorization": f"Bearer {issue_registration_token(server.store)}"})
    assert res.status_code == 400 and res.json()["error"] == "invalid_client_metadata", res.text
    assert "jwks_uri" in res.json()["error_description"]


def test_self_registration_refuses_a_name_that_resolves_inside(server_factory) -> None:
    name = socket.gethostname()
    if outbound.address_allowed(__import__("ipaddress").ip_address(socket.gethostbyname(name))):
        pytest.skip("this machine's name resolves to a public address")
    server = server_factory(dynamic_registration="token")
    body = {"client_name": "Keys", "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": f"https://{name}/jwks.json"}
    res = server.request("POST", REGISTRATION_PATH, json=body,
                         headers={"Authorization": f"Bearer {issue_registration_token(server.store)}"})
    assert res.status_code == 400 and res.json()["error"] == "invalid_client_metadata", res.text
    assert "resolves to" in res.json()["error_description"]


@pytest.mark.parametrize("host", ["localhost", socket.gethostname()])
def test_a_self_registered_client_is_refused_at_connect_time(server, browser, keys_server, key, host) -> None:
    """Registered while its name still looked public (here: written directly, which the
    registration check would have refused), the name now resolves to loopback: the fetch
    checks every address again and connects to none of them."""
    uri = keys_server.url(host).replace("http://", "https://")
    new = admin.register_client(server.store, "Rebinder", [REDIRECT], auth_method="private_key_jwt",
                                jwks_uri=uri, self_registered=True)
    client = StandardClient(new.client_id, "private_key_jwt", key=key, alg="ES256")
    res = server.request("POST", TOKEN_PATH, data=assertion_form(client, client.assertion(server.url)))
    assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text
    assert "this machine" in res.json()["error_description"] or "resolves to" in res.json()["error_description"]
    assert keys_server.requests == 0
    # the same keys on loopback serve an administrator's client
    admin_client = register_standard(server, "private_key_jwt", jwks_uri=keys_server.url("localhost"), key=key)
    ok = server.request("POST", TOKEN_PATH, data=assertion_form(admin_client, admin_client.assertion(server.url),
                                                                code_for(browser, admin_client)))
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("address,allowed", [("8.8.8.8", True), ("2606:4700::1111", True), ("127.0.0.1", False),
                                             ("::1", False), ("::ffff:10.0.0.1", False), ("2002:7f00:1::", False), ("64:ff9b::7f00:1", False), ("64:ff9b::808:808", True),
                                             ("169.254.169.254", False), ("fc00::1", False), ("ff02::1", False)])
def test_the_address_policy(address, allowed) -> None:
    import ipaddress
    assert outbound.address_allowed(ipaddress.ip_address(address)) is allowed


def test_on_the_io_loop_a_slow_key_host_stops_the_worker_only_briefly(tmp_path, dripping, keys_server, key) -> None:
    """``--threads 0``: requests run on the worker's one loop thread, so a request never
    waits a fetch's whole deadline; the fetch goes on in its own thread."""
    from tests.helpers.server import start_server

    server = start_server(tmp_path / "loop.db", threads=0)
    try:
        slow = register_standard(server, "private_key_jwt", jwks_uri=dripping.url(), key=key)
        started = time.monotonic()
        res = server.request("POST", TOKEN_PATH, data=assertion_form(slow, slow.assertion(server.url)))
        assert res.status_code == 503 and res.json()["error"] == "temporarily_unavailable", res.text
        assert time.monotonic() - started < 1.0
        with server.http() as http:
            took = time.monotonic()
            assert http.get("/healthz").status_code == 200
            assert time.monotonic() - took < 0.5
        fast = register_standard(server, "private_key_jwt", jwks_uri=keys_server.url(), key=key)
        res = server.request("POST", TOKEN_PATH, data=assertion_form(fast, fast.assertion(server.url)))
        assert res.json()["error"] == "invalid_grant", res.text  # authenticated: only the code "x" is wrong
    finally:
        server.stop()
