"""The signed profile (issue 24) where administrators look: the console's users list and a
user's page, ``sigil-server users list`` and ``users show`` (and ``--json``). A name from
outside, with HTML and bidi characters, is plain text in all of them."""

from __future__ import annotations

import base64
import io
import json

import coincurve
import pytest
from PIL import Image

from auth_server import team
from tests.team.conftest import sign_in
from tests.team.test_admin_console import admin  # noqa: F401

HOSTILE = "<img src=x onerror=alert(1)>\u202egnp.exe"


def _png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (0, 128, 255)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def profiled(server):
    key = coincurve.PrivateKey()
    res = sign_in(server, key, {"profile": {"name": HOSTILE, "username": "zed", "picture": _png()}})
    assert res.status_code == 200, res.text
    return server.store.users.get(res.json()["user"]["id"])


def test_the_console_shows_name_picture_and_username_as_text(server, admin, profiled) -> None:  # noqa: F811
    listing = admin.http.get("/admin/users").text
    details = admin.http.get(f"/admin/users/{profiled.id}").text
    for page in (listing, details):
        assert "<img src=x" not in page and "\u202e" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;gnp.exe" in page and "<code>zed</code>" in page
        assert f'src="{server.url}{profiled.image}"' in page
    assert admin.http.get("/admin/users", params={"q": "zed"}).text.count(f"/admin/users/{profiled.id}") == 1


def test_the_cli_lists_and_shows_the_profile(server, admin_cli, profiled) -> None:
    code, out, _ = admin_cli("users", "list")
    assert code == 0 and "zed" in out and "\u202e" not in out and "&lt;img src=x onerror=alert(1)&gt;gnp.exe" not in out
    code, out, _ = admin_cli("users", "show", "zed")
    assert code == 0 and "username:     zed" in out and "profile name: <img src=x onerror=alert(1)>gnp.exe" in out
    code, out, _ = admin_cli("users", "show", profiled.id, "--json")
    shown = json.loads(out)
    assert (shown["username"], shown["profileName"], shown["image"]) == ("zed", profiled.profile_name, profiled.image)
    code, out, _ = admin_cli("users", "list", "--json")
    assert [u["username"] for u in json.loads(out) if u["id"] == profiled.id] == ["zed"]
    assert team.find_user(server.store, "zed").id == profiled.id
