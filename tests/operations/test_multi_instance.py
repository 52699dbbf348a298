"""Two ``sigil-server serve`` processes on one PostgreSQL database behind a real nginx.

Everything is real: the processes (``python -m auth_server.cli serve --trusted-proxy
127.0.0.1``), the suite's PostgreSQL, Debian's nginx balancing over both. Clients are told
apart by their source address: Linux routes all of 127.0.0.0/8 to loopback, so a test
client bound to 127.0.x.y is, to nginx and to the instances, another machine (and, unlike
127.0.0.1, not a trusted proxy). Each instance allows 6 sign-ins per client a minute.
"""

from __future__ import annotations

import itertools
import os
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import coincurve
import httpx
import pytest

from auth_server.crypto import make_token
from auth_server.oauth.clients import new_client
from auth_server.store import Store
from tests.helpers.instances import Instance, Nginx, free_port, nginx_available
from tests.helpers.fixtures.oauth_server import REDIRECT, TOKEN, authorize_params, code_form, hidden_fields, redirect_params

pytestmark = pytest.mark.skipif(not nginx_available(), reason="nginx not installed (apt-get install nginx)")

SIGN_IN = "/api/auth/sign-in/sigma"
GET_SESSION = "/api/auth/get-session"
PER_CLIENT = 6
_addresses = (f"127.0.{n // 250 + 1}.{n % 250 + 2}" for n in itertools.count())


def new_client_address() -> str:
    """A loopback source address no other test used: a client of its own."""
    return next(_addresses)


#: made once: httpx would build (and load CAs into) one per client, ~0.1 s of CPU each
_TLS = ssl.create_default_context()


def http_from(address: str, base_url: str, **kwargs) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address, verify=_TLS)
    return httpx.Client(base_url=base_url, transport=transport, verify=_TLS, timeout=30, **kwargs)


@dataclass
class Deployment:
    a: Instance
    b: Instance
    nginx: Nginx
    store: Store  # the tests' own connection to the shared database

    @property
    def instances(self) -> tuple[Instance, Instance]:
        return self.a, self.b


@pytest.fixture(scope="module")
def deployment(postgres_server) -> Iterator[Deployment]:
    db = postgres_server.new_database()
    root = Path(tempfile.mkdtemp(prefix="sigil-deploy-"))
    os.chmod(root, 0o755)  # nginx's workers run as nobody
    nginx_port = free_port()
    env = {
        "SIGIL_DATA_DIR": str(root / "data"),  # one set of ID-token keys for both
        "SIGIL_BASE_URL": f"http://127.0.0.1:{nginx_port}",  # one logical server: the proxy's URL
        "SIGIL_RATE_LIMIT_PER_IP": str(PER_CLIENT), "SIGIL_RATE_LIMIT_PER_PUBKEY": "100",
        "SIGIL_SIGNER_URL": "http://127.0.0.1:9",
    }
    flags = ["--trusted-proxy", "127.0.0.1", "--quiet"]
    started: list[Instance] = []
    nginx = store = None
    try:
        # one after the other: the first one makes the ID-token signing key the second one reads
        started.append(Instance(db, root / "a.log", flags, env).wait())
        started.append(Instance(db, root / "b.log", flags, env).wait())
        nginx = Nginx(root / "nginx", [i.url for i in started], port=nginx_port)
        store = Store.open(db, migrate_now=False)
        yield Deployment(started[0], started[1], nginx, store)
    finally:
        if nginx is not None:
            nginx.stop()
        for instance in started:
            instance.stop()
        if store is not None:
            store.close()
        shutil.rmtree(root, ignore_errors=True)


def sign_in(base_url: str, address: str, key: coincurve.PrivateKey | None = None, token: str | None = None,
            **headers: str) -> httpx.Response:
    with http_from(address, base_url) as http:
        return http.post(SIGN_IN, json={}, headers={
            "X-Auth-Token": token or make_token(key or coincurve.PrivateKey(), SIGN_IN), **headers})


def get_session(base_url: str, session_token: str, via: str = "bearer") -> httpx.Response:
    if via == "bearer":
        with http_from(new_client_address(), base_url) as http:
            return http.get(GET_SESSION, headers={"Authorization": f"Bearer {session_token}"})
    with http_from(new_client_address(), base_url, cookies={"better-auth.session_token": session_token}) as http:
        return http.get(GET_SESSION)


def test_a_sign_in_through_nginx_is_a_session_on_both_instances(deployment):
    client = new_client_address()
    key = coincurve.PrivateKey()
    res = sign_in(deployment.nginx.url, client, key)
    assert res.status_code == 200, res.text
    token, user = res.json()["token"], res.json()["user"]
    for instance in deployment.instances:
        for via in ("bearer", "cookie"):
            got = get_session(instance.url, token, via)
            assert got.status_code == 200 and got.json() is not None, (instance.url, via, got.text)
            assert got.json()["user"]["id"] == user["id"]
            # the session record names the client nginx forwarded, not nginx
            assert got.json()["session"]["ipAddress"] == client
    # the same key signs in as the same user whichever instance answers
    again = [sign_in(i.url, new_client_address(), key).json()["user"]["id"] for i in deployment.instances]
    assert again == [user["id"], user["id"]]


def test_one_token_sent_to_both_instances_at_once_succeeds_once(deployment):
    for _ in range(4):
        token = make_token(coincurve.PrivateKey(), SIGN_IN)
        barrier = threading.Barrier(8)

        def send(n: int) -> int:
            instance = deployment.instances[n % 2]
            with http_from(new_client_address(), instance.url) as http:
                barrier.wait(10)
                return http.post(SIGN_IN, json={}, headers={"X-Auth-Token": token}).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(send, range(8)))
        assert sorted(statuses) == [200] + [401] * 7, statuses


def _authorization_code(deployment: Deployment, instance: Instance, rp_id: str) -> str:
    """A user signs in on ``instance`` and approves ``rp_id``: the code it redirects with."""
    origin = {"Origin": deployment.nginx.url}
    with http_from(new_client_address(), instance.url, follow_redirects=False, headers=origin) as browser:
        res = browser.post(SIGN_IN, json={}, headers={"X-Auth-Token": make_token(coincurve.PrivateKey(), SIGN_IN)})
        assert res.status_code == 200, res.text
        page = browser.get("/oauth2/authorize", params=authorize_params(_Client(rp_id)))  # type: ignore[arg-type]
        assert page.status_code == 200 and 'name="csrf"' in page.text, page.text
        fields = hidden_fields(page.text)
        return redirect_params(browser.post("/oauth2/authorize", data={**fields, "decision": "approve"}))["code"]


@dataclass
class _Client:
    client_id: str


def _redeem(instance: Instance, rp_key: coincurve.PrivateKey, rp_id: str, code: str,
            barrier: threading.Barrier | None = None) -> httpx.Response:
    body = str(httpx.QueryParams(code_form(_Client(rp_id), code)))  # type: ignore[arg-type]
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Auth-Token": make_token(rp_key, TOKEN, body=body)}  # one token per request: no replay
    with http_from(new_client_address(), instance.url) as http:
        if barrier is not None:
            barrier.wait(10)
        return http.post(TOKEN, content=body, headers=headers)


def test_a_code_made_on_one_instance_is_redeemed_on_the_other_exactly_once(deployment):
    rp_key = coincurve.PrivateKey()
    client = new_client("Team App", [REDIRECT], rp_key.public_key.format().hex(), now=time.time())
    deployment.store.oauth.clients.add(client)
    a, b = deployment.instances

    code = _authorization_code(deployment, a, client.client_id)
    first = _redeem(b, rp_key, client.client_id, code)
    assert first.status_code == 200, first.text
    assert {"access_token", "id_token"} <= set(first.json())
    again = _redeem(a, rp_key, client.client_id, code)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")

    # and when both instances get it in the same moment
    for _ in range(3):
        code = _authorization_code(deployment, a, client.client_id)
        barrier = threading.Barrier(6)
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda n: _redeem(deployment.instances[n % 2], rp_key, client.client_id, code,
                                                      barrier), range(6)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200] + [400] * 5, [r.text for r in answers]


def _upstreams_seen(deployment: Deployment, client: str) -> set[str]:
    lines = [line.split() for line in deployment.nginx.access_log().splitlines()]
    return {parts[1] for parts in lines if parts and parts[0] == client and SIGN_IN in parts[-1]}


def test_rate_limits_count_each_client_behind_nginx_across_both_instances(deployment):
    one, other = new_client_address(), new_client_address()
    statuses = [sign_in(deployment.nginx.url, one).status_code for _ in range(PER_CLIENT + 1)]
    assert statuses == [200] * PER_CLIENT + [429]
    # nginx spread that client over both instances, and they counted it as one budget
    assert _upstreams_seen(deployment, one) == {deployment.a.url[7:], deployment.b.url[7:]}
    # another client behind the same proxy has a budget of its own
    assert [sign_in(deployment.nginx.url, other).status_code for _ in range(PER_CLIENT)] == [200] * PER_CLIENT
    # writing an X-Forwarded-For of its own does not make the first one someone else:
    # nginx appends the real peer, and the instances take the rightmost untrusted hop
    forged = sign_in(deployment.nginx.url, one, **{"X-Forwarded-For": "198.51.100.99"})
    assert forged.status_code == 429, forged.text


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(deployment):
    peer = new_client_address()  # straight to the instances, not through nginx
    answers = [sign_in(deployment.instances[n % 2].url, peer, **{"X-Forwarded-For": f"198.51.100.{n}"})
               for n in range(PER_CLIENT + 1)]
    assert [r.status_code for r in answers] == [200] * PER_CLIENT + [429]
    session = get_session(deployment.b.url, answers[0].json()["token"]).json()["session"]
    assert session["ipAddress"] == peer


def test_kill_9_of_one_instance_under_sign_in_load_loses_no_answered_sign_in(deployment):
    """200 sign-ins over 8 threads to both instances; instance A gets ``kill -9`` after 60
    answers. Every sign-in answered 200 (by either) has its user and session in the
    database and a working session on B; B answers every request it gets."""
    a, b = deployment.instances
    total, killed_after = 200, 60
    answered = threading.Semaphore(0)
    lock = threading.Lock()
    results: list[tuple[str, int | None, dict | None]] = []  # (instance, status, answer)

    def one(n: int) -> None:
        instance = deployment.instances[n % 2]
        key = coincurve.PrivateKey()
        try:
            res = sign_in(instance.url, new_client_address(), key)
            entry = (instance.url, res.status_code, res.json() | {"pubkey": key.public_key.format().hex()}
                     if res.status_code == 200 else None)
        except httpx.HTTPError:
            entry = (instance.url, None, None)
        with lock:
            results.append(entry)
        answered.release()

    def killer() -> None:
        for _ in range(killed_after):
            answered.acquire()
        a.kill()

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(total)))
    kill_thread.join(30)
    assert a.proc.poll() is not None, "instance A was not killed"

    ok = [answer for _, status, answer in results if status == 200]
    failed_on_a = [r for r in results if r[0] == a.url and r[1] != 200]
    on_b = [r for r in results if r[0] == b.url]
    assert len(results) == total
    assert failed_on_a, "the kill came after the load: nothing was tested"
    assert all(status == 200 for _, status, _ in on_b), [s for _, s, _ in on_b if s != 200]
    assert len(ok) >= total // 2
    now = time.time()
    for answer in ok:
        assert answer is not None
        user = deployment.store.users.get(answer["user"]["id"])
        assert user is not None and user.pubkey == answer["pubkey"]
        session = deployment.store.sessions.get_by_token(answer["token"], now)
        assert session is not None and session.user_id == user.id
    for answer in ok[:: max(1, len(ok) // 20)]:  # and the live instance serves them
        got = get_session(b.url, answer["token"])
        assert got.status_code == 200 and got.json()["user"]["id"] == answer["user"]["id"]
    # B goes on serving new sign-ins, also through nginx (which sends them to B now)
    assert sign_in(b.url, new_client_address()).status_code == 200
    assert sign_in(deployment.nginx.url, new_client_address()).status_code == 200
