"""``--trusted-proxy`` over real HTTP: X-Forwarded-For and -Proto are believed from a trusted
peer only, and the address they give is the one rate limits, session records and the
access log use. (The tests connect from 127.0.0.1; "trusted" means that address is listed.)"""

from __future__ import annotations

import logging
import signal

import coincurve
import httpx
import pytest

from auth_server.config import Settings
from auth_server.crypto import make_token
from auth_server.forwarded import PEER_KEY, TrustedProxies, apply_forwarded, parse_address
from tests.helpers.instances import Instance
from tests.helpers.fixtures.sign_in_server import SIGN_IN


def _sign_in(server, forwarded_for: str | None = None, **headers: str | bytes) -> httpx.Response:
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for.encode("latin-1")  # bytes: httpx sends them as they are
    return server.sign_in(make_token(coincurve.PrivateKey(), SIGN_IN), headers=headers)


def _session_ip(server, res: httpx.Response) -> str | None:
    assert res.status_code == 200, res.text
    session = server.store.sessions.get_by_token(res.json()["token"], server.clock())
    return session.ip_address


def test_a_trusted_proxy_forwards_the_client_address(server_factory):
    server = server_factory(trusted_proxies=["127.0.0.1"])
    assert _session_ip(server, _sign_in(server, "203.0.113.7")) == "203.0.113.7"
    # without the header the peer is the client
    assert _session_ip(server, _sign_in(server)) == "127.0.0.1"
    # the session lists show it too
    res = _sign_in(server, "2001:db8::5")
    listed = server.request("GET", "/api/auth/list-sessions",
                            headers={"Authorization": f"Bearer {res.json()['token']}"}).json()
    assert [s["ipAddress"] for s in listed] == ["2001:db8::5"]


def test_from_an_untrusted_peer_the_headers_are_ignored(server_factory):
    server = server_factory(trusted_proxies=["10.0.0.0/8"])  # the test's 127.0.0.1 is not in it
    assert _session_ip(server, _sign_in(server, "203.0.113.7")) == "127.0.0.1"
    default = server_factory()  # and none trusted at all: today's behaviour
    assert _session_ip(default, _sign_in(default, "203.0.113.7")) == "127.0.0.1"


def test_the_client_is_the_rightmost_hop_that_is_not_a_trusted_proxy(server_factory):
    server = server_factory(trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    # the client wrote "6.6.6.6" itself; 10.1.2.3 is a second trusted proxy
    assert _session_ip(server, _sign_in(server, "6.6.6.6, 198.51.100.9, 10.1.2.3")) == "198.51.100.9"
    # several headers are one list
    res = server.request("POST", SIGN_IN, json={}, headers=[
        ("X-Auth-Token", make_token(coincurve.PrivateKey(), SIGN_IN)),
        ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.10")])
    assert _session_ip(server, res) == "198.51.100.10"
    # only trusted hops: the leftmost of them
    assert _session_ip(server, _sign_in(server, "10.9.9.9, 10.1.1.1")) == "10.9.9.9"


@pytest.mark.parametrize("header", [
    "", ",,,", "not-an-address", "999.1.1.1", "[::1", "unknown", "1.2.3.4, garbage", ",1.2.3.4:", "a" * 6000,
    ", ".join(["1.2.3.4"] * 400), "1.2.3.4;x", "::ffff:zz", "\u00ff\u00fe1.2.3.4",
])
def test_malformed_forwarded_headers_never_fail_the_request(server_factory, header):
    server = server_factory(trusted_proxies=["127.0.0.1"])
    res = _sign_in(server, header, **{"X-Forwarded-Proto": "gopher, https"})
    assert res.status_code == 200, res.text
    ip = _session_ip(server, res)
    assert ip == "127.0.0.1" or parse_address(ip) is not None, ip  # an address, never the raw header
    assert len(ip) <= 45


def test_rate_limits_count_the_forwarded_client(server_factory):
    server = server_factory(trusted_proxies=["127.0.0.1"], rate_limit_enabled=True, rate_limit_per_ip=2,
                            rate_limit_per_pubkey=100)
    assert [_sign_in(server, "198.51.100.1").status_code for _ in range(3)] == [200, 200, 429]
    # another client behind the same proxy has a budget of its own
    assert [_sign_in(server, "198.51.100.2").status_code for _ in range(2)] == [200, 200]
    # and a client cannot buy a fresh budget by writing its own X-Forwarded-For in front
    assert _sign_in(server, "1.1.1.1, 198.51.100.1").status_code == 429


def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(server_factory):
    server = server_factory(rate_limit_enabled=True, rate_limit_per_ip=2, rate_limit_per_pubkey=100)
    statuses = [_sign_in(server, f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_the_scheme_comes_from_a_trusted_proxy_only():
    """(No endpoint answers with the scheme, so this one is read from the environ the app gets.)"""
    trusted = TrustedProxies(["127.0.0.1"])
    env = {"REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "HTTP_X_FORWARDED_PROTO": "HTTPS",
           "HTTP_X_FORWARDED_FOR": "192.0.2.1", "HTTP_FORWARDED": "for=6.6.6.6"}
    apply_forwarded(env, trusted)
    assert (env["wsgi.url_scheme"], env["REMOTE_ADDR"], env[PEER_KEY]) == ("https", "192.0.2.1", "127.0.0.1")
    assert "HTTP_X_FORWARDED_PROTO" not in env and "HTTP_FORWARDED" not in env
    env = {"REMOTE_ADDR": "192.0.2.50", "wsgi.url_scheme": "http", "HTTP_X_FORWARDED_PROTO": "https",
           "HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    apply_forwarded(env, trusted)
    assert (env["wsgi.url_scheme"], env["REMOTE_ADDR"]) == ("http", "192.0.2.50")
    assert "HTTP_X_FORWARDED_FOR" not in env  # dropped unread: nothing downstream can trust it by mistake
    env = {"REMOTE_ADDR": "::ffff:127.0.0.1", "wsgi.url_scheme": "http", "HTTP_X_FORWARDED_PROTO": "ftp"}
    apply_forwarded(env, trusted)  # an IPv4-mapped peer is its IPv4 address; an unknown scheme is ignored
    assert env["wsgi.url_scheme"] == "http"


@pytest.mark.parametrize("entry", ["localhost", "10.0.0.0/33", "1.2.3", ""])
def test_a_bad_trusted_proxy_is_refused_at_start(entry):
    with pytest.raises(ValueError, match="trusted proxy"):
        Settings(trusted_proxies=[entry])


def test_environment_variable_and_cidr():
    settings = Settings.from_env({"SIGIL_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert settings.trusted_proxies == ["127.0.0.1", "10.0.0.0/8", "::1"]
    proxies = TrustedProxies(settings.trusted_proxies)
    assert all(proxies.trusts(parse_address(a)) for a in ("127.0.0.1", "10.200.0.1", "::1", "[::1]:443"))
    assert not any(proxies.trusts(parse_address(a)) for a in ("127.0.0.2", "11.0.0.1", "::2", "junk"))


def test_serve_logs_the_forwarded_client_and_no_database_password(tmp_path, postgres_server):
    """``sigil-server serve --trusted-proxy``: the access log names the forwarded client, and the
    start-up line names the database without the password in its URL (the test server trusts
    loopback logins, so a password in the URL is accepted and ignored)."""
    url = postgres_server.new_database().replace("postgresql://postgres@", "postgresql://postgres:hunter2pw@")
    served = Instance(None, tmp_path / "serve.log", ["--trusted-proxy", "127.0.0.1", "--threads", "2"],
                      env={"SIGIL_DB": url})
    try:
        served.wait()
        res = httpx.post(f"{served.url}{SIGN_IN}", json={}, headers={
            "X-Auth-Token": make_token(coincurve.PrivateKey(), SIGN_IN), "X-Forwarded-For": "198.51.100.77"})
        assert res.status_code == 200, res.text
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(timeout=20) == 0
        log = served.log()
    finally:
        served.stop()
    assert f"POST {SIGN_IN} 200" in log and "198.51.100.77" in log, log
    assert "hunter2pw" not in log and "postgres:***@" in log, log


def test_access_log_uses_the_same_address(server_factory, caplog):
    """The access-log middleware and the app read one function: checked in process here."""
    from auth_server.serving.server import AccessLog, ServerThread
    from auth_server.web import create_app

    server = server_factory(trusted_proxies=["127.0.0.1"])
    logger = logging.getLogger("sigil.test-access")
    with ServerThread(AccessLog(create_app(server.settings, server.store), logger), threads=2) as thread:
        with caplog.at_level(logging.INFO, logger="sigil.test-access"):
            res = httpx.get(f"{thread.url}/healthz", headers={"X-Forwarded-For": "192.0.2.33"})
            res404 = httpx.get(f"{thread.url}/nowhere", headers={"X-Forwarded-For": "192.0.2.34"})
    assert (res.status_code, res404.status_code) == (200, 404)
    lines = [r.getMessage() for r in caplog.records if r.name == "sigil.test-access"]
    assert any(line.startswith("GET /healthz 200") and line.endswith("192.0.2.33") for line in lines), lines
    assert any(line.startswith("GET /nowhere 404") and line.endswith("192.0.2.34") for line in lines), lines
