"""The demo relying party against a real Sigil server, without a browser: httpx plays the
browser (two cookie jars, one per site), so each protocol check of the app is exercised
quickly and exactly. The browser version of the story is in tests/signin/test_sign_in.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import coincurve
import httpx
import pytest

from auth_server.crypto import bap_id_from_pubkey, make_token, wif_from_private_key
from auth_server.oauth.clients import new_client
from auth_server.serving.server import ServerThread
from examples.demo_app import DemoConfig
from examples.demo_app import create_app as create_demo_app
from tests.helpers.net import free_port
from tests.helpers.server import start_server


@dataclass
class Setup:
    server_url: str
    demo_url: str
    client_id: str
    user_key: coincurve.PrivateKey
    threads: list[ServerThread]

    def sign_in_at_server(self, browser: httpx.Client, body: dict | None = None) -> dict:
        """What the sign-in page does with the signer's token: POST it (with the signer's
        signed body, when given), get the session cookie."""
        text = json.dumps(body, separators=(",", ":")) if body else "{}"
        token = make_token(self.user_key, "/api/auth/sign-in/sigma", text if body else None)
        response = browser.post(self.server_url + "/api/auth/sign-in/sigma", content=text,
                                headers={"X-Auth-Token": token, "Origin": self.server_url,
                                         "Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        return response.json()


def _start(tmp_path: Path, *, trusted: bool, member_key: coincurve.PrivateKey | None = None,
           registered_key: coincurve.PrivateKey | None = None) -> Setup:
    server = start_server(tmp_path / "sigil.db", 4, clock=time.time)
    store = server.store
    member_key = member_key or coincurve.PrivateKey()
    port = free_port()
    demo_url = f"http://127.0.0.1:{port}"
    client = new_client("Demo app", [demo_url + "/callback"],
                        (registered_key or member_key).public_key.format().hex(), now=time.time(), trusted=trusted)
    store.oauth.clients.add(client)
    config = DemoConfig(issuer=server.url, client_id=client.client_id, member_wif=wif_from_private_key(member_key),
                        base_url=demo_url)
    demo = ServerThread(create_demo_app(config), "127.0.0.1", port, threads=2).start()
    return Setup(server.url, demo.url, client.client_id, coincurve.PrivateKey(), [server.thread, demo])


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[Setup]:
    s = _start(tmp_path, trusted=True)
    yield s
    for thread in s.threads:
        thread.stop()


def _follow_to_callback(s: Setup, demo: httpx.Client, browser: httpx.Client) -> httpx.Response:
    """/login at the app -> authorize at the server (signed in, trusted client) -> the app's callback."""
    login = demo.get(s.demo_url + "/login")
    assert login.status_code in (302, 303)
    authorize = browser.get(login.headers["location"])
    assert authorize.status_code == 302, authorize.text
    callback = authorize.headers["location"]
    assert callback.startswith(s.demo_url + "/callback?")
    return demo.get(callback)


def test_login_redirect_carries_pkce_state_and_nonce(setup: Setup) -> None:
    with httpx.Client() as demo:
        response = demo.get(setup.demo_url + "/login")
    location = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == setup.server_url + "/oauth2/authorize"
    assert query["client_id"] == setup.client_id
    assert query["redirect_uri"] == setup.demo_url + "/callback"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 16 and len(query["nonce"]) >= 16
    assert "openid" in query["scope"].split()


def test_full_sign_in_shows_the_users_bap_id_then_signs_out(setup: Setup) -> None:
    with httpx.Client() as demo, httpx.Client() as browser:
        setup.sign_in_at_server(browser)
        done = _follow_to_callback(setup, demo, browser)
        assert done.status_code in (302, 303) and done.headers["location"] == setup.demo_url + "/"
        home = demo.get(setup.demo_url + "/")
        assert bap_id_from_pubkey(setup.user_key.public_key.format()) in home.text
        assert setup.user_key.public_key.format().hex() in home.text
        demo.post(setup.demo_url + "/logout")
        assert 'id="sign-in"' in demo.get(setup.demo_url + "/").text


@pytest.mark.parametrize("share", [True, False])
def test_the_app_greets_the_user_by_the_shared_name_and_picture(setup: Setup, share: bool) -> None:
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    with httpx.Client() as demo, httpx.Client() as browser:
        setup.sign_in_at_server(browser, {"clientId": setup.client_id, "shareProfile": share,
                                          "profile": {"name": "Eve <b>", "picture": "data:image/png;base64," + png}})
        _follow_to_callback(setup, demo, browser)
        home = demo.get(setup.demo_url + "/").text
    if share:
        assert "Signed in as Eve &lt;b&gt;" in home and f'src="{setup.server_url}/api/auth/avatar/' in home
    else:
        assert "Signed in as Sigil user<" in home and "<img" not in home and "Eve" not in home


def test_callback_with_a_foreign_state_is_refused(setup: Setup) -> None:
    with httpx.Client() as demo:
        demo.get(setup.demo_url + "/login")
        response = demo.get(setup.demo_url + "/callback", params={"code": "x", "state": "not-ours"})
    assert response.status_code == 400
    assert "invalid_state" in response.text


def test_access_denied_is_shown(setup: Setup) -> None:
    with httpx.Client() as demo:
        response = demo.get(setup.demo_url + "/callback",
                            params={"error": "access_denied", "error_description": "the user denied the request"})
    assert response.status_code == 400
    assert "access_denied" in response.text and "the user denied the request" in response.text


def test_a_member_key_the_server_does_not_know_gets_invalid_client(tmp_path: Path) -> None:
    s = _start(tmp_path, trusted=True, registered_key=coincurve.PrivateKey())  # registered: some other key
    try:
        with httpx.Client() as demo, httpx.Client() as browser:
            s.sign_in_at_server(browser)
            response = _follow_to_callback(s, demo, browser)
        assert response.status_code == 400
        assert "invalid_client" in response.text
    finally:
        for thread in s.threads:
            thread.stop()


def test_error_text_is_escaped(setup: Setup) -> None:
    with httpx.Client() as demo:
        response = demo.get(setup.demo_url + "/callback", params={"error": "<script>x</script>"})
    assert "<script>x</script>" not in response.text and "&lt;script&gt;" in response.text
