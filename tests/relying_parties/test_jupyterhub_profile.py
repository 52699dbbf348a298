"""JupyterHub names its users exactly by Sigil's ``preferred_username`` (issue 24): a user who
asked for a username in their signed profile is that hub user; one who asked for a taken one
keeps the handle Sigil gave them, and the hub uses that one
(``examples/relying_parties/jupyterhub_config.py``, ``username_claim = "preferred_username"``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from auth_server.crypto import make_token
from tests.relying_parties.conftest import SIGN_IN, Sigil, User
from tests.relying_parties.test_jupyterhub import CONFIG, Hub, running_hub

pytestmark = [pytest.mark.relying_party, pytest.mark.slow]


@pytest.fixture(scope="module")
def hub(sigil: Sigil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(sigil, tmp_path_factory.mktemp("hub-profile"), CONFIG) as running:
        yield running


def _signed_in(sigil: Sigil, profile: dict) -> tuple[User, dict]:
    """A user whose signer put ``profile`` in the signed sign-in body."""
    person = User(sigil)
    body = json.dumps({"profile": profile}, separators=(",", ":"))
    res = person.http.post(sigil.url + SIGN_IN, content=body, headers={
        "Content-Type": "application/json", "Origin": sigil.url, "X-Auth-Token": make_token(person.key, SIGN_IN, body)})
    assert res.status_code == 200, res.text
    return person, res.json()


def _log_in(hub: Hub, person: User) -> httpx.Response:
    def after_callback(res: httpx.Response) -> bool:
        return urlsplit(str(res.request.url)).path == "/hub/oauth_callback"

    res = person.walk(f"{hub.url}/hub/oauth_login", stop=after_callback)
    assert after_callback(res) and res.status_code == 302, person.trail()
    return res


def test_the_hub_user_is_named_by_sigils_preferred_username(hub: Hub, sigil: Sigil) -> None:
    ann, answer = _signed_in(sigil, {"name": "Ann Example", "username": "hub-ann"})
    assert answer["user"]["username"] == "hub-ann"
    _log_in(hub, ann)
    rival, answer = _signed_in(sigil, {"name": "Not Ann", "username": "hub-ann"})
    kept = answer["user"]["username"]
    assert kept != "hub-ann" and "is taken" in answer["notice"]
    _log_in(hub, rival)
    names = sorted(hub.users())
    assert "hub-ann" in names and kept in names, names
    for person in (ann, rival):
        person.http.close()
