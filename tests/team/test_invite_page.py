"""``GET /invite/<code>``: the page an invitation link opens."""

from __future__ import annotations

import html
import re

from auth_server import team


def _invite_box(page: str) -> dict[str, str]:
    box = re.search(r'<div id="signin" ([^>]*)>', page).group(1)
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', box)}


def test_the_page_names_the_server_and_the_groups_and_carries_the_code(server_factory) -> None:
    server = server_factory(sign_up="invite", base_url="https://id.example.org")
    team.add_group(server.store, "staff", actor="test")
    new = team.invite(server.store, "https://id.example.org", groups=["staff"], actor="test")
    page = server.request("GET", f"/invite/{new.code}")
    assert page.status_code == 200
    assert "id.example.org invites you" in page.text and "You will join: staff" in page.text
    box = _invite_box(page.text)
    assert box["invite"] == new.code and box["continue-url"] == "/"
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "same-origin"
    assert server.store.invitations.get(new.invitation.id).uses == 0  # opening is not using


def test_a_dead_or_unknown_code_gets_a_page_that_says_so(server) -> None:
    revoked = team.invite(server.store, server.url, actor="test")
    team.revoke_invitation(server.store, revoked.invitation.id, actor="test")
    for code in (revoked.code, "nope", "<script>alert(1)</script>", "x" * 300):
        page = server.request("GET", f"/invite/{code}")
        assert page.status_code == 404 and "does not work" in page.text and "<script>alert" not in page.text


def test_a_closed_server_says_it_takes_no_invitations(server_factory) -> None:
    server = server_factory(sign_up="closed")
    new = team.invite(server.store, server.url, actor="test")
    page = server.request("GET", f"/invite/{new.code}")
    assert page.status_code == 403 and "takes no invitations" in page.text


def test_opening_many_invite_links_is_rate_limited(server_factory) -> None:
    server = server_factory(rate_limit_enabled=True, invite_guesses_per_ip=3)
    statuses = [server.request("GET", f"/invite/guess{i}").status_code for i in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_after_accepting_the_account_page_shows_the_invitations_groups(server_factory) -> None:
    import coincurve

    from tests.team.conftest import sign_in

    server = server_factory(sign_up="invite")
    team.add_group(server.store, "staff", actor="test")
    new = team.invite(server.store, server.url, groups=["staff"], actor="test")
    with server.http() as http:
        assert sign_in(server, coincurve.PrivateKey(), {"invite": new.code}, http=http).status_code == 200
        page = http.get("/")
    assert page.status_code == 200 and re.search(r'id="groups".*?<li>staff</li>', page.text, re.S)
