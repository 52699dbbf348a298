"""The embedded auth server as the app builds it: it names the app's own signer API on its
sign-in pages, and its figures come from the store's repositories through auth_server.admin."""

from __future__ import annotations

import urllib.request

import pytest

from auth_server.store import Store
from signer_app.assembly import AppContext
from signer_app.settings import AppSettings, SettingsStore
from tests.helpers.net import free_port


@pytest.fixture
def running(tmp_path, data_dir, wallet):
    contexts = []

    def build(settings: AppSettings) -> AppContext:
        store = SettingsStore(tmp_path / "settings.json")
        store.save(settings)
        ctx = AppContext.build(data_dir, store, wallet=wallet)
        contexts.append(ctx)
        assert ctx.start_api() and ctx.start_server(), ctx.errors
        return ctx

    yield build
    for ctx in contexts:
        ctx.shutdown()


def sign_in_page(ctx: AppContext) -> tuple[str, str]:
    with urllib.request.urlopen(ctx.server.url + "/device", timeout=10) as response:
        return response.read().decode(), response.headers["Content-Security-Policy"]


def test_sign_in_page_names_the_signer_port_from_the_environment(running, monkeypatch):
    port = free_port()
    monkeypatch.setenv("SIGIL_SIGNER_PORT", str(port))
    ctx = running(AppSettings(server_port=0))
    html, csp = sign_in_page(ctx)
    assert ctx.api.port == port
    assert f'data-signer-url="http://127.0.0.1:{port}"' in html
    assert f"connect-src 'self' http://127.0.0.1:{port};" in csp


def test_sign_in_page_names_the_port_the_api_was_given(running):
    ctx = running(AppSettings(signer_port=0, server_port=0))  # any free port
    html, csp = sign_in_page(ctx)
    assert f'data-signer-url="{ctx.api.url}"' in html and ctx.api.url in csp
    assert ":21000" not in html + csp


def test_server_figures_count_live_sessions_only(running):
    ctx = running(AppSettings(signer_port=0, server_port=0))
    with Store.open(ctx.server.db_path) as store:  # a second connection, as sigil-server's would be
        now = store.clock()
        user, _ = store.users.create("02" + "11" * 32, "Alice", now)
        store.sessions.create(user.id, now, now + 3600)
        store.sessions.create(user.id, now - 7200, now - 3600)  # expired
    ctx.server.register_client("Demo", ["http://localhost:5173/callback"], ctx.wallet.default_identity().pubkey)
    stats = ctx.server.stats()
    assert (stats.clients, stats.users, stats.sessions) == (1, 1, 1)


def test_on_any_free_port_the_issuer_is_the_bound_port(running):
    """The socket is bound before the app is built, so discovery never names port 0."""
    import json

    ctx = running(AppSettings(signer_port=0, server_port=0))
    with urllib.request.urlopen(ctx.server.url + "/.well-known/openid-configuration", timeout=10) as response:
        issuer = json.load(response)["issuer"]
    assert issuer == ctx.server.url and not issuer.endswith(":0")
