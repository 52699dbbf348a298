"""Client authentication as its own interface (auth_server/oauth/client_auth.py), with the
real X-Auth-Token verification and replay store."""

from __future__ import annotations

import coincurve
import pytest

from auth_server.request_token import verify_request_token
from auth_server.config import Settings
from auth_server.crypto import make_token
from auth_server.oauth.client_auth import METHOD_FACTORIES, ClientAuthenticator, ClientRequest, MethodDeps
from auth_server.oauth.clients import new_client
from auth_server.oauth.errors import OAuthError
from tests.helpers.fixtures.oauth_server import REDIRECT

PATH = "/api/auth/oauth2/token"


@pytest.fixture
def member() -> coincurve.PrivateKey:
    return coincurve.PrivateKey()


@pytest.fixture
def authenticator(store, clock, member, tmp_path) -> ClientAuthenticator:
    settings = Settings(db_path=tmp_path / "sigil.db", clock=clock)

    def verify(header, path, body, claim):
        return verify_request_token(header, path, body, settings, store, claim=claim)

    store.oauth.clients.add(new_client("Demo", [REDIRECT], member.public_key.format().hex(), now=clock(),
                                       client_id="demo"))
    return ClientAuthenticator.build(MethodDeps(store.oauth.clients, verify, store.replay.claim,
                                                "http://sigil.test", "http://sigil.test" + PATH, clock))


def request(body: str, token: str | None) -> ClientRequest:
    from urllib.parse import parse_qsl

    headers = {"X-Auth-Token": token} if token else {}
    return ClientRequest("POST", PATH, headers, body.encode(), dict(parse_qsl(body)))


def test_x_auth_token_is_a_registered_method_beside_the_standard_ones() -> None:
    assert list(METHOD_FACTORIES) == ["x_auth_token", "client_secret_basic", "client_secret_post",
                                      "private_key_jwt", "none"]


def test_signed_request_names_its_client_by_id_or_by_key(authenticator, member, clock) -> None:
    body = "grant_type=authorization_code&client_id=demo"
    assert authenticator.authenticate(request(body, make_token(member, PATH, body=body, timestamp=clock()))
                                      ).client_id == "demo"
    bare = "grant_type=authorization_code"
    assert authenticator.authenticate(request(bare, make_token(member, PATH, body=bare, timestamp=clock()))
                                      ).client_id == "demo"
    # by key only while exactly one enabled client has that key
    authenticator.clients.add(new_client("Twin", [REDIRECT], member.public_key.format().hex(), now=clock(),
                                         client_id="twin"))
    with pytest.raises(OAuthError, match="client_id is required"):
        authenticator.authenticate(request(bare, make_token(member, PATH, body=bare, timestamp=clock())))
    authenticator.clients.set_disabled("demo")
    assert authenticator.authenticate(request(bare, make_token(member, PATH, body=bare, timestamp=clock()))
                                      ).client_id == "twin"


def test_every_failure_is_invalid_client(authenticator, member, clock) -> None:
    body = "client_id=demo"
    stranger = coincurve.PrivateKey()
    for attempt in (request(body, None),
                    request(body, make_token(stranger, PATH, body=body, timestamp=clock())),
                    request(body, make_token(member, PATH, body="client_id=other", timestamp=clock())),
                    request("client_id=nobody", make_token(member, PATH, body="client_id=nobody", timestamp=clock()))):
        with pytest.raises(OAuthError) as err:
            authenticator.authenticate(attempt)
        assert (err.value.error, err.value.status) == ("invalid_client", 401)


def test_claim_spends_the_token_and_a_check_does_not(authenticator, member, clock) -> None:
    body = "client_id=demo"
    signed = request(body, make_token(member, PATH, body=body, timestamp=clock()))
    authenticator.authenticate(signed, claim=False)
    authenticator.authenticate(signed)
    with pytest.raises(OAuthError, match="replayed"):
        authenticator.authenticate(signed)


def test_public_client_by_id_but_credentials_sent_must_hold(authenticator, clock) -> None:
    assert authenticator.authenticate_public(request("client_id=demo", None)).client_id == "demo"
    with pytest.raises(OAuthError, match="client_id is required"):
        authenticator.authenticate_public(request("scope=openid", None))
    forged = make_token(coincurve.PrivateKey(), PATH, body="client_id=demo", timestamp=clock())
    with pytest.raises(OAuthError, match="member key"):
        authenticator.authenticate_public(request("client_id=demo", forged))
