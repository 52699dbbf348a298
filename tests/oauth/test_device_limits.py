"""RFC 8628 5.1-5.2 over HTTP: user-code guesses and device-code creation are limited,
expired device codes are purged, and a person still gets through."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from auth_server.store.purge import purge_tables
from tests.helpers.server import RunningServer
from tests.helpers.fixtures.oauth_server import Browser, register

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
WRONG = "BCDF-GHJK"  # user codes are random; this one is not pending


@pytest.fixture
def limited(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory(rate_limit_enabled=True, device_guesses_per_session=4, device_guesses_per_ip=6,
                          device_guess_window_seconds=300, device_codes_per_ip=5, device_codes_per_client=3,
                          device_code_window_seconds=60)


def _browser(server: RunningServer) -> Browser:
    b = Browser(server)
    b.sign_in()
    return b


def _start(server: RunningServer, client_id: str):
    with server.http() as http:
        return http.post("/api/auth/device/code", data={"client_id": client_id, "scope": "openid profile"})


def _assert_locked_out(res) -> None:
    assert res.status_code == 429, (res.status_code, res.text)
    assert int(res.headers["retry-after"]) > 0
    assert "Too many codes tried" in res.text and "minutes" in res.text


def test_guessing_user_codes_is_cut_off_per_session(limited) -> None:
    browser = _browser(limited)
    for _ in range(4):
        res = browser.http.get("/device", params={"user_code": WRONG})
        assert res.status_code == 400 and "unknown" in res.text
    _assert_locked_out(browser.http.get("/device", params={"user_code": WRONG}))
    _assert_locked_out(browser.http.post("/device", data={"user_code": WRONG, "csrf": "x", "decision": "approve"}))
    # even the right code is refused while locked out: the lock-out says nothing about codes
    rp = register(limited)
    code = _start(limited, rp.client_id).json()["user_code"]
    _assert_locked_out(browser.http.get("/device", params={"user_code": code}))
    assert browser.http.get("/device").status_code == 200  # the empty form is not a guess
    limited.clock.advance(301)  # the window (300 s) ends before the code (600 s)
    assert "Demo App" in browser.http.get("/device", params={"user_code": code}).text


def test_guessing_user_codes_is_cut_off_per_address(limited) -> None:
    """New sessions do not buy new guesses: the address has its own allowance."""
    first, second = _browser(limited), _browser(limited)
    for _ in range(4):
        assert first.http.get("/device", params={"user_code": WRONG}).status_code == 400
    for _ in range(5):  # a browser already locked out does not spend the address's allowance
        _assert_locked_out(first.http.get("/device", params={"user_code": WRONG}))
    for _ in range(2):
        assert second.http.post("/device", data={"user_code": WRONG, "csrf": "x",
                                                 "decision": "approve"}).status_code == 403
    _assert_locked_out(second.http.get("/device", params={"user_code": WRONG}))
    _assert_locked_out(_browser(limited).http.get("/device", params={"user_code": WRONG}))


def test_a_person_completes_the_device_flow_despite_a_typo(limited) -> None:
    rp = register(limited)
    start = _start(limited, rp.client_id).json()
    browser = _browser(limited)
    assert browser.http.get("/device", params={"user_code": WRONG}).status_code == 400  # a typo
    page = browser.http.get("/device", params={"user_code": start["user_code"].lower()})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = browser.http.post("/device", data={"user_code": start["user_code"], "csrf": csrf, "decision": "approve"})
    assert done.status_code == 200 and "Device connected" in done.text
    with limited.http() as http:
        tokens = http.post("/api/auth/device/token", data={
            "grant_type": DEVICE_GRANT, "device_code": start["device_code"], "client_id": rp.client_id})
    assert tokens.status_code == 200 and tokens.json()["access_token"], tokens.text


def _assert_slow_down(res, source: str) -> None:
    assert res.status_code == 429, (res.status_code, res.text)
    assert res.json()["error"] == "slow_down" and source in res.json()["error_description"]
    assert int(res.headers["retry-after"]) > 0 and res.headers["cache-control"] == "no-store"


def test_device_codes_are_limited_per_client(limited) -> None:
    busy, other = register(limited), register(limited)
    for _ in range(3):
        assert _start(limited, busy.client_id).status_code == 200
    _assert_slow_down(_start(limited, busy.client_id), "client")
    assert _start(limited, other.client_id).status_code == 200  # another client is not affected
    assert limited.store.conn.execute("SELECT count(*) AS n FROM device_code").fetchone()["n"] == 4
    limited.clock.advance(61)
    assert _start(limited, busy.client_id).status_code == 200


def test_device_codes_are_limited_per_address(limited) -> None:
    clients = [register(limited) for _ in range(6)]
    for rp in clients[:5]:
        assert _start(limited, rp.client_id).status_code == 200
    _assert_slow_down(_start(limited, clients[5].client_id), "address")
    _assert_slow_down(_start(limited, "no-such-client"), "address")  # counted before the client is known


def test_expired_device_codes_are_purged(limited) -> None:
    rp = register(limited)
    for _ in range(3):
        assert _start(limited, rp.client_id).status_code == 200
    count = "SELECT count(*) AS n FROM device_code"
    assert limited.store.conn.execute(count).fetchone()["n"] == 3
    assert purge_tables(limited.store, limited.clock())["device_code"] == 0  # still live
    limited.clock.advance(limited.settings.device_code_ttl + 1)
    assert purge_tables(limited.store, limited.clock())["device_code"] == 3
    assert limited.store.conn.execute(count).fetchone()["n"] == 0
