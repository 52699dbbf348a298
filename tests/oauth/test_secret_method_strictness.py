"""A secret client may send its secret either way (Basic or in the body) unless its
administrator pinned the registered method (``clients add --strict-auth-method``).

Why: real relying parties differ in their default (JupyterHub's GenericOAuthenticator posts
the secret, most others send Basic) and a new user should not have to know which; an
administrator who wants one method only still can. Public and ``private_key_jwt`` clients
keep using exactly their method.
"""

from __future__ import annotations

import base64
import json

import coincurve
import pytest

from auth_server import admin
from auth_server.oauth.client_auth.private_key_jwt import JWT_BEARER
from auth_server.oauth.endpoints import TOKEN_PATH
from tests.helpers.fixtures.oauth_server import REDIRECT, Browser, Server
from tests.oauth.standard_clients import StandardClient, register_standard
from tests.oauth.test_client_methods import code_for, exchange_form

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def secret_client(server: Server, method: str, *, strict: bool) -> StandardClient:
    new = admin.register_client(server.store, "Secret App", [REDIRECT], auth_method=method, strict_auth_method=strict)
    assert new.client.strict_auth_method is strict and new.client_secret
    return StandardClient(new.client.client_id, method, secret=new.client_secret)


def send_secret(server: Server, client: StandardClient, how: str, code: str):
    """Exchange ``code`` with the client's secret sent ``how`` (one of the secret methods)."""
    if how == "client_secret_basic":
        raw = f"{client.client_id}:{client.secret}".encode()
        return server.request("POST", TOKEN_PATH, data=exchange_form(code),
                              headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
    return server.request("POST", TOKEN_PATH, data={**exchange_form(code), "client_id": client.client_id,
                                                    "client_secret": client.secret or ""})


@pytest.mark.parametrize("registered", SECRET_METHODS)
@pytest.mark.parametrize("sent", SECRET_METHODS)
def test_a_secret_client_accepts_both_secret_methods(server: Server, browser: Browser, registered: str,
                                                     sent: str) -> None:
    client = secret_client(server, registered, strict=False)
    res = send_secret(server, client, sent, code_for(browser, client))
    assert res.status_code == 200, res.text
    assert res.json()["id_token"]


@pytest.mark.parametrize("registered", SECRET_METHODS)
def test_a_strict_client_refuses_the_other_method(server: Server, browser: Browser, registered: str) -> None:
    client = secret_client(server, registered, strict=True)
    other = next(m for m in SECRET_METHODS if m != registered)
    code = code_for(browser, client)
    refused = send_secret(server, client, other, code)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
    assert f"registered for {registered}, not {other}" in refused.json()["error_description"]
    # the refusal did not spend the code; the registered method still works
    assert send_secret(server, client, registered, code).status_code == 200


def test_a_wrong_secret_is_refused_either_way(server: Server, browser: Browser) -> None:
    client = secret_client(server, "client_secret_basic", strict=False)
    code = code_for(browser, client)
    wrong = StandardClient(client.client_id, client.method, secret="not-the-secret")
    for how in SECRET_METHODS:
        res = send_secret(server, wrong, how, code)
        assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text


def test_public_and_private_key_jwt_clients_are_unchanged(server: Server, browser: Browser) -> None:
    public = register_standard(server, "none")
    code = code_for(browser, public)
    for how in SECRET_METHODS:  # a public client sending a secret either way
        res = send_secret(server, StandardClient(public.client_id, "none", secret="x"), how, code)
        assert res.status_code == 401 and res.json()["error"] == "invalid_client", res.text
    keyed = register_standard(server, "private_key_jwt")
    code = code_for(browser, keyed)
    for how in SECRET_METHODS:
        res = send_secret(server, StandardClient(keyed.client_id, "private_key_jwt", secret="x"), how, code)
        assert res.status_code == 401 and "private_key_jwt" in res.json()["error_description"], res.text
    form = {**exchange_form(code), "client_id": keyed.client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": keyed.assertion(server.url)}
    assert server.request("POST", TOKEN_PATH, data=form).status_code == 200


@pytest.mark.parametrize("method", ["none", "private_key_jwt", "x_auth_token"])
def test_strict_is_only_for_secret_clients(server: Server, method: str) -> None:
    from tests.oauth.standard_clients import new_key
    extra = {"jwks": {"keys": [new_key("ES256").as_dict(private=False)]}} if method == "private_key_jwt" else {}
    with pytest.raises(ValueError, match="strict-auth-method"):
        admin.register_client(server.store, "App", [REDIRECT], coincurve.PrivateKey().public_key.format().hex() if method == "x_auth_token" else None,
                              auth_method=method, strict_auth_method=True, **extra)


def test_cli_flag_stores_strictness(server: Server, browser: Browser, capsys: pytest.CaptureFixture[str]) -> None:
    """``sigil-server clients add --strict-auth-method`` on the running server's database."""
    from auth_server.cli import main

    db = str(server.settings.db_path)
    base = ["clients", "add", "--db", db, "--name", "CLI", "--redirect-uri", REDIRECT, "--json"]
    assert main([*base, "--auth-method", "client_secret_post", "--strict-auth-method"]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert main([*base, "--auth-method", "client_secret_post"]) == 0
    loose = json.loads(capsys.readouterr().out)
    assert strict["strict_auth_method"] is True and loose["strict_auth_method"] is False
    for answer, expected in ((strict, 401), (loose, 200)):
        client = StandardClient(answer["client_id"], "client_secret_post", secret=answer["client_secret"])
        assert send_secret(server, client, "client_secret_basic", code_for(browser, client)).status_code == expected
    assert main(["clients", "show", "--db", db, strict["client_id"]]) == 0
    assert "client_secret_post (strict)" in capsys.readouterr().out
    assert main([*base, "--auth-method", "none", "--strict-auth-method"]) == 2


def test_a_failed_secret_says_nothing_about_which_client_ids_exist(server: Server) -> None:
    """Unknown and disabled clients and a wrong secret get one identical answer."""
    known = secret_client(server, "client_secret_basic", strict=False)
    disabled = secret_client(server, "client_secret_basic", strict=False)
    admin.set_client_disabled(server.store, disabled.client_id, True)
    answers = []
    for client_id, secret in ((known.client_id, "wrong"), ("sigil_nobody", "wrong"),
                              (disabled.client_id, disabled.secret)):
        raw = f"{client_id}:{secret}".encode()
        res = server.request("POST", TOKEN_PATH, data=exchange_form("some-code"),
                             headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
        answers.append((res.status_code, res.headers.get("WWW-Authenticate"), res.json()))
    assert answers[0][0] == 401 and answers[0][2]["error"] == "invalid_client"
    assert all(answer == answers[0] for answer in answers), answers
