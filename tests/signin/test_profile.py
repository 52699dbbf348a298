"""Your name and picture travel with your signature (issue 24): the profile in the signed
sign-in body, on a real server over HTTP, on a SQLite file and on PostgreSQL. Each rule is
tried the way someone would try to get round it: a profile the token does not cover, a body
changed after signing, hostile pictures and names, a race for one handle."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from pathlib import Path

import coincurve
import httpx
import pytest
from PIL import Image

from auth_server.crypto import address_from_pubkey, bap_id_from_pubkey, make_token
from auth_server.crypto.keys import parse_pubkey
from tests.helpers.server import start_server

SIGN_IN = "/api/auth/sign-in/sigma"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "profile.db")
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def srv(database):
    running = start_server(database)
    yield running
    running.stop()


def body_of(profile: dict | None = None, **keys) -> dict:
    body = dict(keys)
    if profile is not None:
        body["profile"] = profile
    return body


def sign_in(server, key: coincurve.PrivateKey, body: dict | None = None, *, cover: bool = True,
            text: str | None = None) -> httpx.Response:
    """A sign-in as the signer makes it: the compact JSON body, covered by the token's body hash."""
    if text is None:
        text = json.dumps(body, separators=(",", ":")) if body else "{}"
    token = make_token(key, SIGN_IN, text if cover and body else None)
    return server.request("POST", SIGN_IN, content=text, headers={
        "Content-Type": "application/json", "X-Auth-Token": token, "Origin": server.url})


def png(size: tuple[int, int] = (40, 30), color=(200, 30, 60, 255), mode: str = "RGBA", tail: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue() + tail


def data_url(raw: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(raw).decode()


def user_of(server, res: httpx.Response):
    assert res.status_code == 200, res.text
    return server.store.users.get(res.json()["user"]["id"])


def neutral(user_id: str) -> str:
    return "Sigil user " + hashlib.sha256(user_id.encode()).hexdigest()[:4]


# --- the body must be signed -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    body_of({"name": "Mallory"}),
    body_of(clientId="app", shareProfile=True),
    body_of(shareProfile=False, clientId="app"),
])
def test_a_profile_the_token_does_not_cover_is_refused_and_nothing_stored(srv, body):
    key = coincurve.PrivateKey()
    res = sign_in(srv, key, body, cover=False)
    assert (res.status_code, res.json()["code"]) == (401, "BODY_MISMATCH"), res.text
    assert srv.store.users.count() == 0


def test_a_body_changed_after_signing_is_refused(srv):
    key = coincurve.PrivateKey()
    signed = json.dumps({"profile": {"name": "Alice"}}, separators=(",", ":"))
    token = make_token(key, SIGN_IN, signed)
    changed = json.dumps({"profile": {"name": "Mallory"}}, separators=(",", ":"))
    res = srv.request("POST", SIGN_IN, content=changed, headers={"X-Auth-Token": token,
                                                                 "Content-Type": "application/json"})
    assert res.status_code == 401 and res.json()["code"] in ("BODY_MISMATCH", "BAD_SIGNATURE"), res.text
    assert srv.store.users.count() == 0


def test_the_signed_profile_is_stored_and_the_newest_wins(srv):
    key = coincurve.PrivateKey()
    res = sign_in(srv, key, body_of({"name": "Alice", "username": "alice",
                                     "picture": "https://example.org/a.png"}))
    user = user_of(srv, res)
    assert (user.profile_name, user.username, user.image) == ("Alice", "alice", "https://example.org/a.png")
    answer = res.json()["user"]
    assert (answer["name"], answer["image"], answer["username"]) == ("Alice", "https://example.org/a.png", "alice")
    assert "notice" not in res.json()
    again = user_of(srv, sign_in(srv, key, body_of({"name": "Alice B."})))
    assert (again.profile_name, again.username, again.image) == ("Alice B.", "alice", None)
    me = srv.request("GET", "/api/auth/get-session", headers={"Authorization": "Bearer " + res.json()["token"]})
    assert (me.json()["user"]["name"], me.json()["user"]["image"]) == ("Alice B.", None)


def test_without_a_profile_the_name_is_neutral_never_the_address(srv):
    key = coincurve.PrivateKey()
    res = sign_in(srv, key)
    user = user_of(srv, res)
    address = address_from_pubkey(parse_pubkey(user.pubkey))
    assert res.json()["user"]["name"] == neutral(user.id) and address not in res.text
    assert user.username == bap_id_from_pubkey(user.pubkey).lower()


@pytest.mark.parametrize(("profile", "says"), [
    ({"name": 5}, "profile.name must be a string"),
    ({"name": {"nested": {"deeper": 1}}}, "profile.name must be a string"),
    ({"email": "a@b.c"}, "unknown fields: email"),
    ({"name": "x" * 101}, "at most 100"),
    ({"username": "Alice"}, "profile.username"),
    ({"username": "ab"}, "profile.username"),
    ({"username": "a" * 33}, "profile.username"),
    ({"picture": "javascript:alert(1)"}, "https"),
    ({"picture": "JavaScript:alert(1)//https://x"}, "https"),
    ({"picture": "http://example.org/a.png"}, "https"),
    ({"picture": "https://example.org/" + "a" * 2048}, "2048"),
    ({"picture": "https://exa mple.org/a.png"}, "printable"),
    ({"picture": "data:text/html;base64,PHNjcmlwdD4="}, "inline picture"),
    ({"picture": "data:image/svg+xml;base64,PHN2Zy8+"}, "inline picture"),
    ({"picture": "data:image/png;base64,!!!"}, "inline picture"),
], ids=lambda v: str(v)[:30])
def test_a_malformed_profile_is_a_clear_400(srv, profile, says):
    res = sign_in(srv, coincurve.PrivateKey(), body_of(profile))
    assert (res.status_code, res.json()["code"]) == (400, "BAD_PROFILE"), res.text
    assert says in res.json()["message"]
    assert srv.store.users.count() == 0


@pytest.mark.parametrize("body", [
    {"profile": "Alice"}, {"profile": ["Alice"]}, {"clientId": 7, "shareProfile": True},
    {"clientId": "app", "shareProfile": "yes"}, {"shareProfile": True}, {"clientId": "a\u00e9"},
])
def test_malformed_profile_keys_are_400(srv, body):
    res = sign_in(srv, coincurve.PrivateKey(), body)
    assert (res.status_code, res.json()["code"]) == (400, "BAD_PROFILE"), res.text


def test_a_deeply_nested_profile_is_400_not_500(srv):
    text = '{"profile":' + '{"a":' * 500 + "1" + "}" * 501
    res = sign_in(srv, coincurve.PrivateKey(), {"x": 1}, text=text)
    assert res.status_code == 400, res.text


def test_a_ten_megabyte_profile_is_a_clean_413(srv):
    text = json.dumps({"profile": {"name": "x" * (10 * 1024 * 1024)}})
    res = sign_in(srv, coincurve.PrivateKey(), {"x": 1}, text=text)
    assert (res.status_code, res.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_names_lose_bidi_overrides_and_zero_width_characters_and_stay_text(srv):
    name = "\u202eevil\u202c <b>Bob</b>\u200b\u2066 &amp;\x07"
    res = sign_in(srv, coincurve.PrivateKey(), body_of({"name": name}))
    user = user_of(srv, res)
    assert user.profile_name == "evil <b>Bob</b> &amp;"
    for ch in ("\u202e", "\u202c", "\u200b", "\u2066", "\x07"):
        assert ch not in res.json()["user"]["name"]
    page = srv.request("GET", "/", headers={"Cookie": f"better-auth.session_token={res.json()['token']}"})
    assert "<b>Bob</b>" not in page.text and "&lt;b&gt;Bob&lt;/b&gt;" in page.text


# --- pictures ------------------------------------------------------------------------------------

def _served(srv, res) -> httpx.Response:
    url = res.json()["user"]["image"]
    assert url.startswith(srv.url + "/api/auth/avatar/"), url
    return srv.request("GET", url[len(srv.url):])


def test_an_inline_picture_is_re_encoded_and_served_safely(srv):
    raw = png((600, 300), tail=b"<script>alert(1)</script>")  # a script after IEND
    res = sign_in(srv, coincurve.PrivateKey(), body_of({"picture": data_url(raw)}))
    served = _served(srv, res)
    assert served.status_code == 200
    assert served.headers["content-type"] in ("image/webp", "image/png")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["content-security-policy"].startswith("default-src 'none'")
    assert b"<script" not in served.content and served.content != raw
    image = Image.open(io.BytesIO(served.content))
    image.load()
    assert max(image.size) <= 256 and image.size == (256, 128)
    assert srv.request("GET", "/api/auth/avatar/" + "0" * 32).status_code == 404
    assert srv.request("GET", "/api/auth/avatar/..%2f..%2fetc").status_code == 404


def test_a_new_picture_gets_a_new_id_and_the_same_one_keeps_it(srv):
    key = coincurve.PrivateKey()
    first = sign_in(srv, key, body_of({"picture": data_url(png(color=(1, 2, 3, 255)))})).json()["user"]["image"]
    same = sign_in(srv, key, body_of({"picture": data_url(png(color=(1, 2, 3, 255)))})).json()["user"]["image"]
    other = sign_in(srv, key, body_of({"picture": data_url(png(color=(9, 9, 9, 255)))})).json()["user"]["image"]
    assert first == same and other != first
    assert srv.request("GET", first[len(srv.url):]).status_code == 200  # the old one still serves


def _gif_html_polyglot() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue() + b"<html><script>alert(1)</script></html>"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(("picture", "says"), [
    (data_url(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "not a valid image/png"),
    (data_url(_gif_html_polyglot()), "not a valid image/png"),
    (data_url(_jpeg()), "not a valid image/png"),  # a JPEG declared PNG
    (data_url(png(), "jpeg"), "not a valid image/jpeg"),
    (data_url(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "not a valid image/png"),
    (data_url(b"x" * (256 * 1024 + 1)), "larger than 256 KiB"),
], ids=["svg", "gif-html", "jpeg-as-png", "png-as-jpeg", "truncated", "too-large"])
def test_hostile_pictures_are_refused(srv, picture, says):
    res = sign_in(srv, coincurve.PrivateKey(), body_of({"picture": picture}))
    assert (res.status_code, res.json()["code"]) == (400, "BAD_PROFILE"), res.text
    assert says in res.json()["message"]
    assert srv.store.users.count() == 0


def test_a_decompression_bomb_is_refused_before_it_is_decoded(srv):
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # 400 megapixels in a few KiB
    raw = out.getvalue()
    assert len(raw) < 256 * 1024
    res = sign_in(srv, coincurve.PrivateKey(), body_of({"picture": data_url(raw)}))
    assert (res.status_code, res.json()["code"]) == (400, "BAD_PROFILE") and "too large" in res.json()["message"]


def test_a_picture_near_the_limit_passes_the_sign_in_body_limit(srv):
    raw = png(tail=b"\0" * (250 * 1024))
    res = sign_in(srv, coincurve.PrivateKey(), body_of({"name": "Big", "picture": data_url(raw)}))
    assert res.status_code == 200, res.text
    assert _served(srv, res).status_code == 200


# --- usernames -----------------------------------------------------------------------------------

def test_a_taken_username_keeps_the_current_one_with_a_notice(srv):
    first = sign_in(srv, coincurve.PrivateKey(), body_of({"username": "ann"}))
    assert user_of(srv, first).username == "ann"
    key = coincurve.PrivateKey()
    second = sign_in(srv, key, body_of({"username": "ann"}))
    mine = user_of(srv, second).username
    assert mine == bap_id_from_pubkey(key.public_key.format().hex()).lower()
    assert second.json()["notice"] == f"the username ann is taken on this server; you stay {mine}"
    third = sign_in(srv, key, body_of({"username": "ann2"}))
    assert user_of(srv, third).username == "ann2" and "notice" not in third.json()
    assert user_of(srv, sign_in(srv, key)).username == "ann2"  # stable without a profile


def sign_in_at_once(srv, keys: list[coincurve.PrivateKey], handle: str) -> list[httpx.Response]:
    """Every key signs in at the same moment, each asking for ``handle``."""
    barrier = threading.Barrier(len(keys))
    answers: list[httpx.Response] = []

    def go(key):
        barrier.wait()
        answers.append(sign_in(srv, key, body_of({"username": handle})))

    threads = [threading.Thread(target=go, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_users_racing_for_one_handle_one_gets_it(srv):
    keys = [coincurve.PrivateKey() for _ in range(6)]
    for key in keys:  # the users exist first, so the race is on the handle alone
        assert sign_in(srv, key).status_code == 200
    answers = sign_in_at_once(srv, keys, "thehandle")
    assert [a.status_code for a in answers] == [200] * len(keys), [a.text for a in answers]
    winners = [a for a in answers if a.json()["user"]["username"] == "thehandle"]
    assert len(winners) == 1 and all("notice" in a.json() for a in answers if a not in winners)
    assert srv.store.users.get_by_username("thehandle") is not None


def test_two_new_users_racing_for_one_handle_both_get_in(srv):
    keys = [coincurve.PrivateKey() for _ in range(4)]
    answers = sign_in_at_once(srv, keys, "newbie")
    assert [a.status_code for a in answers] == [200] * len(keys), [a.text for a in answers]
    assert sorted(a.json()["user"]["username"] == "newbie" for a in answers) == [False] * 3 + [True]


# --- sharing -------------------------------------------------------------------------------------

def test_not_sharing_with_an_app_gives_it_the_neutral_label(srv):
    key = coincurve.PrivateKey()
    res = sign_in(srv, key, body_of({"name": "Carol", "picture": "https://example.org/c.png"},
                                    clientId="app-1", shareProfile=False))
    user = user_of(srv, res)
    assert (res.json()["user"]["name"], res.json()["user"]["image"]) == (neutral(user.id), None)
    assert srv.store.profile_shares.shares(user.id, "app-1") is False
    assert srv.store.profile_shares.shares(user.id, "app-2") is True  # default: share
    res = sign_in(srv, key, body_of({"name": "Carol"}, clientId="app-1", shareProfile=True))
    assert res.json()["user"]["name"] == "Carol" and srv.store.profile_shares.shares(user.id, "app-1")


def test_two_postgres_instances_see_the_same_profile(postgres_server):
    database = postgres_server.new_database()
    one, two = start_server(database), start_server(database)
    try:
        key = coincurve.PrivateKey()
        res = sign_in(one, key, body_of({"name": "Dora", "username": "dora",
                                         "picture": data_url(png())}))
        assert res.status_code == 200, res.text
        path = res.json()["user"]["image"][len(one.url):]
        seen = user_of(two, sign_in(two, key))
        assert (seen.profile_name, seen.username) == ("Dora", "dora")
        assert two.request("GET", path).content == one.request("GET", path).content
    finally:
        one.stop()
        two.stop()
