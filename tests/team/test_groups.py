"""Groups apps understand: the ``groups`` scope and claim, and apps limited to some groups."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from auth_server import team
from tests.helpers.fixtures.oauth_server import TOKEN, authorize_params, code_form, get_code, redirect_params


def _claims(server, id_token: str) -> dict:
    keys = KeySet.import_key_set(server.request("GET", "/.well-known/jwks.json").json())
    return jwt.decode(id_token, keys).claims


def _userinfo(server, access_token: str):
    return server.request("GET", "/api/auth/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def test_discovery_lists_the_scope_and_the_claim(server) -> None:
    meta = server.request("GET", "/.well-known/openid-configuration").json()
    assert "groups" in meta["scopes_supported"] and "groups" in meta["claims_supported"]


def test_the_groups_scope_carries_groups_and_a_refresh_carries_the_new_ones(server, rp, browser) -> None:
    team.add_group(server.store, "staff", actor="test")
    team.add_group(server.store, "ops", actor="test")
    browser.sign_in()
    user = server.store.users.get_by_pubkey(browser.pubkey)
    team.change_groups(server.store, user.id, add=["staff"], actor="test")
    tokens = rp.signed_post(server, TOKEN, code_form(rp, get_code(
        browser, rp, scope="openid profile groups offline_access"))).json()
    assert tokens["scope"] == "openid profile groups offline_access"
    assert _claims(server, tokens["id_token"])["groups"] == ["staff"]
    assert _userinfo(server, tokens["access_token"]).json()["groups"] == ["staff"]
    team.change_groups(server.store, user.id, add=["ops"], remove=["staff"], actor="test")
    fresh = rp.signed_post(server, TOKEN, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                           "client_id": rp.client_id}).json()
    assert _claims(server, fresh["id_token"])["groups"] == ["ops"]


def test_without_the_scope_there_is_no_groups_claim(server, rp, browser) -> None:
    tokens = rp.signed_post(server, TOKEN, code_form(rp, get_code(browser, rp, scope="openid profile"))).json()
    assert "groups" not in _claims(server, tokens["id_token"])
    assert "groups" not in _userinfo(server, tokens["access_token"]).json()


def test_an_app_limited_to_a_group_sends_others_back_with_access_denied(server, rp, browser) -> None:
    team.add_group(server.store, "staff", actor="test")
    team.set_client_groups(server.store, rp.client_id, ["staff"], actor="test")
    browser.sign_in()
    back = redirect_params(browser.authorize(rp))
    assert back["error"] == "access_denied" and "group" in back["error_description"]
    assert back["state"] == "st4te" and "code" not in back
    # a form post straight to the consent answer is refused the same way
    refused = browser.http.post("/oauth2/authorize", data={**authorize_params(rp), "decision": "approve",
                                                           "csrf": "x"})
    assert "code=" not in refused.headers.get("location", "")
    user = server.store.users.get_by_pubkey(browser.pubkey)
    team.change_groups(server.store, user.id, add=["staff"], actor="test")
    assert get_code(browser, rp)


def test_leaving_the_group_ends_that_apps_tokens_and_refresh(server, rp, browser) -> None:
    team.add_group(server.store, "staff", actor="test")
    browser.sign_in()
    user = server.store.users.get_by_pubkey(browser.pubkey)
    team.change_groups(server.store, user.id, add=["staff"], actor="test")
    team.set_client_groups(server.store, rp.client_id, ["staff"], actor="test")
    tokens = rp.signed_post(server, TOKEN, code_form(rp, get_code(browser, rp, scope="openid offline_access"))).json()
    team.change_groups(server.store, user.id, remove=["staff"], actor="test")
    assert _userinfo(server, tokens["access_token"]).status_code == 401
    refresh = rp.signed_post(server, TOKEN, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                             "client_id": rp.client_id})
    assert refresh.json()["error"] == "invalid_grant"


def test_limiting_an_app_later_ends_outsiders_tokens(server, rp, browser) -> None:
    team.add_group(server.store, "staff", actor="test")
    tokens = rp.signed_post(server, TOKEN, code_form(rp, get_code(browser, rp, scope="openid offline_access"))).json()
    team.set_client_groups(server.store, rp.client_id, ["staff"], actor="test")
    assert _userinfo(server, tokens["access_token"]).status_code == 401


@pytest.mark.parametrize("name", ["Staff", "-x", "a b", "x" * 65, "", "caf\u00e9", "staff\u202e"])
def test_group_names_are_lowercase_words(store, name) -> None:
    with pytest.raises(team.TeamError, match="not a group name"):
        team.add_group(store, name, actor="test")


def test_the_admin_group_is_reserved_and_unknown_groups_are_named(store) -> None:
    with pytest.raises(team.TeamError, match="cannot be removed"):
        team.remove_group(store, "admin", actor="test")
    with pytest.raises(team.TeamError, match="there is already a group 'admin'"):
        team.add_group(store, "admin", actor="test")
    with pytest.raises(team.TeamError, match="groups add nope"):
        team.invite(store, "http://x", groups=["nope"], actor="test")


def test_names_notes_and_descriptions_are_stored_as_visible_text(store) -> None:
    group = team.add_group(store, "staff", "People \u202eevil\u200b <b>x</b>", actor="test")
    assert group.description == "People evil <b>x</b>"
    new = team.invite(store, "http://x", note="for\u0000 Bob\u202e", actor="test")
    assert new.invitation.note == "for Bob"
