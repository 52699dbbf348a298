"""``/admin``: the admin console, driven as a browser would (cookie jar, CSRF tokens from the
pages), and tried by someone who is not an administrator."""

from __future__ import annotations

import re

import coincurve
import pytest

from auth_server import team
from auth_server.sessions import session_for_tokens
from auth_server.web.forms import csrf_token
from tests.helpers.fixtures.oauth_server import Browser, hidden_fields

GET_ROUTES = ["/admin/users", "/admin/invitations", "/admin/groups", "/admin/clients", "/admin/sessions",
              "/admin/audit"]
POST_ROUTES = ["/admin/users", "/admin/invitations", "/admin/groups", "/admin/clients", "/admin/sessions"]


@pytest.fixture
def admin(server) -> Browser:
    b = Browser(server)
    b.sign_in()
    team.change_groups(server.store, b.pubkey, add=["admin"], actor="test")
    yield b
    b.close()


@pytest.fixture
def member(server) -> Browser:
    b = Browser(server)
    b.sign_in()
    yield b
    b.close()


def session_of(server, browser: Browser):
    token = browser.http.cookies.get("better-auth.session_token")
    return session_for_tokens(server.store, [("cookie", token)], server.clock())


def _csrf(browser: Browser, path: str = "/admin/groups") -> str:
    page = browser.http.get(path)
    assert page.status_code == 200, page.text
    return hidden_fields(page.text)["csrf"]


def test_signed_out_gets_the_sign_in_and_a_member_gets_403_everywhere(server, member) -> None:
    with server.http() as anonymous:
        page = anonymous.get("/admin/users")
        assert page.status_code == 200 and "signin.js" in page.text
    for path in GET_ROUTES + ["/admin/users/x"]:
        assert member.http.get(path).status_code == 403, path
    token = csrf_token(session_of(server, member), "admin")  # the member's own valid token
    for path in POST_ROUTES:
        res = member.http.post(path, data={"action": "disable", "user_id": member.pubkey, "name": "x",
                                           "csrf": token})
        assert res.status_code == 403, path
    assert not server.store.users.get_by_pubkey(member.pubkey).disabled
    assert server.store.audit.since(0, action="user.disable") == []


def test_every_form_needs_the_csrf_token_and_the_origin(server, admin, member) -> None:
    target = server.store.users.get_by_pubkey(member.pubkey)
    forms = {
        "/admin/users": {"action": "disable", "user_id": target.id},
        "/admin/invitations": {"uses": "1", "expires": "1d"},
        "/admin/groups": {"name": "sneaky"},
        "/admin/clients": {"name": "Evil", "redirect_uris": "https://evil.example/cb",
                           "auth_method": "client_secret_basic"},
        "/admin/sessions": {"session_id": server.store.sessions.list_for_user(target.id, server.clock())[0].id},
    }
    token = _csrf(admin)
    for path, form in forms.items():
        for csrf in (None, "", "0" * 64, token[:-1] + ("0" if token[-1] != "0" else "1")):
            data = dict(form) if csrf is None else {**form, "csrf": csrf}
            assert admin.http.post(path, data=data).status_code == 403, (path, csrf)
        cross = admin.http.post(path, data={**form, "csrf": token}, headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403, path
    assert not server.store.users.get(target.id).disabled
    assert [g.name for g in team.groups(server.store)] == ["admin"]
    assert team.invitations(server.store) == [] and server.store.oauth.clients.list() == []
    assert server.store.sessions.list_for_user(target.id, server.clock())


def test_an_admin_disables_a_user_and_their_session_ends(server, admin, member) -> None:
    target = server.store.users.get_by_pubkey(member.pubkey)
    page = admin.http.get(f"/admin/users/{target.id}")
    assert page.status_code == 200 and target.pubkey in page.text
    res = admin.http.post("/admin/users", data={"action": "disable", "user_id": target.id, "csrf": _csrf(admin)})
    assert res.status_code == 200 and "Disabled" in res.text
    assert member.http.get("/api/auth/get-session").json() is None
    entry = server.store.audit.since(0, action="user.disable")[0]
    assert entry.actor == f"console:{server.store.users.get_by_pubkey(admin.pubkey).id}"
    own = admin.http.post("/admin/users", data={"action": "disable", "user_id": admin.pubkey, "csrf": _csrf(admin)})
    assert own.status_code == 400 and "your own account" in own.text


def test_groups_invitations_and_apps_from_the_console(server, admin, member) -> None:
    csrf = _csrf(admin)
    assert "Group staff made" in admin.http.post("/admin/groups", data={"name": "staff", "csrf": csrf}).text
    bad = admin.http.post("/admin/groups", data={"name": "Not OK", "csrf": csrf})
    assert bad.status_code == 400 and "not a group name" in bad.text
    target = server.store.users.get_by_pubkey(member.pubkey)
    admin.http.post("/admin/users", data={"action": "join", "group": "staff", "user_id": target.id, "csrf": csrf})
    assert server.store.groups.of_user(target.id) == ["staff"]

    made = admin.http.post("/admin/invitations", data={"group": "staff", "uses": "2", "expires": "3d",
                                                       "note": "new <b>hires</b>", "csrf": csrf})
    assert made.status_code == 200
    url = re.search(r'<code id="invite-url">([^<]+)</code>', made.text).group(1)
    assert url.startswith(server.url + "/invite/") and 'src="data:image/svg+xml' in made.text
    assert "new &lt;b&gt;hires&lt;/b&gt;" in made.text and "<b>hires" not in made.text
    listing = admin.http.get("/admin/invitations").text
    assert url.rsplit("/", 1)[1] not in listing  # the code is shown once, never listed

    app = admin.http.post("/admin/clients", data={"action": "add", "name": "Wiki \u202eexe.txt", "csrf": csrf,
                                                  "redirect_uris": "https://wiki.example/cb",
                                                  "auth_method": "client_secret_post", "group": "staff"})
    assert app.status_code == 200, app.text
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', app.text).group(1)
    (client,) = server.store.oauth.clients.list()
    assert client.allowed_groups == ("staff",) and client.name == "Wiki exe.txt" and "\u202e" not in app.text
    assert secret not in admin.http.get("/admin/clients").text
    refused = admin.http.post("/admin/clients", data={"action": "add", "name": "X", "csrf": csrf,
                                                      "redirect_uris": "javascript:alert(1)",
                                                      "auth_method": "client_secret_post"})
    assert refused.status_code == 400 and len(server.store.oauth.clients.list()) == 1
    audit = admin.http.get("/admin/audit").text
    for action in ("group.add", "user.groups", "invite.create", "client.add"):
        assert action in audit
    assert secret not in audit and url not in audit


def test_names_from_outside_are_plain_text_in_the_console(server, admin) -> None:
    key = coincurve.PrivateKey()
    team.add_user(server.store, pubkey=key.public_key.format().hex(), name="<img src=x onerror=alert(1)>",
                  actor="test")
    page = admin.http.get("/admin/users").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    search = admin.http.get("/admin/users", params={"q": "<script>"}).text
    assert "<script>" not in search.replace('<script src="/oauth2/static', "")


@pytest.mark.parametrize("path", POST_ROUTES + ["/admin/%00", "/admin/nothing"])
def test_control_characters_in_a_console_form_are_a_clear_400(server, admin, member, path) -> None:
    """Found by the route fuzzer: a NUL in a console form field was a 500."""
    res = admin.http.post(path, data={"action": "disable", "user_id": "a\x00b", "client_id": "\x01",
                                      "csrf": _csrf(admin)})
    assert res.status_code == 400, res.text
    assert "control character" in res.text and "Traceback" not in res.text
    assert not server.store.users.get_by_pubkey(member.pubkey).disabled
