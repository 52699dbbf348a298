"""What a person is shown is what is true: redirect URIs mean one thing to every parser,
the consent page names only the host an answer goes to, and names reach pages without the
invisible characters that change how they read."""

from __future__ import annotations

import dataclasses
import re

import coincurve
import pytest

from auth_server.display import clean_name, shown_text
from auth_server.oauth.clients import new_client, validate_redirect_uri
from tests.helpers.fixtures.oauth_server import REDIRECT, RelyingParty

HOSTILE_NAME = "Acme Bank \u202egnp.exe\u200b\u2066\x07"


@pytest.mark.parametrize("uri", [
    "http://evil.example\\@localhost/cb",  # loopback to urlsplit, evil.example to a browser
    "https://bank.example@evil.example/cb",  # reads as the bank
    "https://user:pw@app.example/cb",
    "https://app.example/cb\r\nSet-Cookie: x=1",
    "https://app.example/c\x00b",
    "https://app.example/c b",
    "https://app.example/cb\t",
    "https://app.example/caf\u00e9",
    "https://app.example/cb?x=%zz",
    "https://app.example/cb?x=%4",
    "https://app.example/\u202ecb",
])
def test_a_redirect_uri_outside_rfc_3986_is_refused_with_its_reason(uri: str) -> None:
    with pytest.raises(ValueError, match="redirect URI") as refused:
        validate_redirect_uri(uri)
    assert "\r" not in str(refused.value) and "\x00" not in str(refused.value)  # named, not echoed raw


@pytest.mark.parametrize("uri", [
    "https://app.example/cb?x=%41&y=a+b",
    "http://127.0.0.1:8080/cb",
    "http://[::1]:8080/cb",
    "com.example.app:/oauth2/cb",
    "https://app.example/cb;v=1?q=(a)!*'$,~",
])
def test_ordinary_redirect_uris_still_register(uri: str) -> None:
    assert validate_redirect_uri(uri) == uri


def test_shown_text_removes_bidi_zero_width_and_control_characters() -> None:
    assert shown_text(HOSTILE_NAME) == "Acme Bank gnp.exe"
    assert shown_text("Zoë's app\n") == "Zoë's app\n"  # letters of every script stay
    assert clean_name("  Demo \t App  ") == "Demo App"
    assert clean_name("\u200b\u202e") == ""
    assert len(clean_name("x" * 500)) == 100


def test_a_client_name_is_stored_as_it_will_be_shown() -> None:
    client = new_client(HOSTILE_NAME, [REDIRECT], coincurve.PrivateKey().public_key.format().hex(), now=0.0)
    assert client.name == "Acme Bank gnp.exe"
    with pytest.raises(ValueError, match="name must not be empty"):
        new_client("\u202e\u200b", [REDIRECT], coincurve.PrivateKey().public_key.format().hex(), now=0.0)


def _stored_as_is(server, rp: RelyingParty, **fields: object) -> RelyingParty:
    """``rp`` with ``fields`` written past the registration checks (a row from an older release)."""
    changed = dataclasses.replace(rp.client, **fields)
    server.store.oauth.clients.remove(rp.client_id)
    server.store.oauth.clients.add(changed)
    return RelyingParty(changed, rp.key)


def test_the_consent_page_shows_no_invisible_character_from_a_stored_name(server, rp, browser) -> None:
    shown = _stored_as_is(server, rp, name=HOSTILE_NAME)
    browser.sign_in()
    page = browser.authorize(shown)
    assert page.status_code == 200, page.text
    assert "Acme Bank gnp.exe wants to sign you in" in page.text
    for invisible in ("\u202e", "\u200b", "\u2066", "\x07"):
        assert invisible not in page.text


def test_the_consent_page_names_only_the_host_an_answer_goes_to(server, rp, browser) -> None:
    uri = "https://bank.example@evil.example:8443/cb"
    shown = _stored_as_is(server, rp, redirect_uris=(uri,))
    browser.sign_in()
    page = browser.authorize(shown, redirect_uri=uri)
    assert page.status_code == 200, page.text
    assert "<strong>evil.example:8443</strong>" in page.text
    visible = re.sub(r"<input[^>]*>", "", page.text)  # the form carries the URI back, unseen
    assert "bank.example" not in visible
