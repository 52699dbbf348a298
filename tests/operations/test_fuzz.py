"""Fuzz every route of the auth server: arbitrary bytes in headers, query, form fields and
JSON bodies, sent over a raw socket to a real server on loopback; nothing may answer 5xx.

The routes come from the server's own OpenAPI document (``/api/auth/openapi.json``, built
from the app's routes), so a route added later is fuzzed without touching this file. Raw
sockets, because httpx refuses header values that are not printable ASCII, and those are
exactly the bytes worth sending. Two passes: Hypothesis mutates a valid request
(:data:`EXAMPLES_PER_OPERATION` examples for each of the ~30 operations;
``SIGIL_FUZZ_EXAMPLES=500`` for a long run), and a sweep puts each hostile kind of value in
each field and header in turn, which finds what random search reaches too rarely (a
non-ASCII CSRF token needs every other part of the consent form to be right). About 15 s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import coincurve
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from auth_server.crypto import make_token
from auth_server.oauth.pkce import s256_challenge
from tests.helpers.raw_http import exchange
from tests.helpers.server import RunningServer, start_server
from tests.helpers.fixtures.oauth_server import REDIRECT, VERIFIER, register

EXAMPLES_PER_OPERATION = int(os.environ.get("SIGIL_FUZZ_EXAMPLES", "10"))
SIGN_IN = "/api/auth/sign-in/sigma"

#: parameters the routes read, so fuzzed values reach the code behind them
FIELDS = ["client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method",
          "nonce", "prompt", "bap_id", "bapId", "csrf", "decision", "user_code", "grant_type", "code",
          "code_verifier", "refresh_token", "device_code", "token", "token_type_hint", "id", "challenge"]
HEADERS = ["X-Auth-Token", "Authorization", "Cookie", "Origin", "Referer", "Content-Type", "User-Agent",
           "Accept", "Accept-Encoding", "X-Forwarded-For", "If-Modified-Since", "Range", "X-Fuzz"]
CONTENT_TYPES = [b"application/x-www-form-urlencoded", b"application/json", b"application/json; charset=utf-16",
                 b"text/plain", b"multipart/form-data; boundary=x", b""]
MAX_MUTATIONS = 3


class Target:
    """A server with a registered client, and real values for a request to it.

    Requests start from these real values (a well-formed authorize request, a live session
    as cookie and Bearer, the consent form's CSRF token, a pending device code, a trusted
    Origin) and the fuzzer drops or replaces a few of them, so its bytes reach the checks
    deep inside each route rather than only the first "client_id is required".
    :meth:`renew` makes new ones: fuzzing ``/api/auth/sign-out`` ends the session, and
    fuzzing ``/device`` may approve the device code.
    """

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.client_id = register(server).client_id
        self.fields: dict[str, bytes] = {}
        self.headers: dict[str, bytes] = {}
        self.renew()

    def renew(self) -> None:
        server, key = self.server, coincurve.PrivateKey()
        signed_in = server.request("POST", SIGN_IN, content=b"{}", headers={
            "Content-Type": "application/json", "X-Auth-Token": make_token(key, SIGN_IN)})
        assert signed_in.status_code == 200, signed_in.text
        session = signed_in.json()["token"]
        device = server.request("POST", "/api/auth/device/code", data={"client_id": self.client_id}).json()
        csrf = hmac.new(session.encode(), f"consent:{self.client_id}".encode(), hashlib.sha256).hexdigest()
        fields = {"client_id": self.client_id, "redirect_uri": REDIRECT, "response_type": "code",
                  "scope": "openid profile", "state": "st", "code_challenge": s256_challenge(VERIFIER),
                  "code_challenge_method": "S256", "nonce": "n", "csrf": csrf, "decision": "approve",
                  "user_code": device["user_code"], "grant_type": "authorization_code", "code_verifier": VERIFIER,
                  "device_code": device["device_code"], "token": session}
        headers = {"Cookie": f"better-auth.session_token={session}", "Origin": server.url,
                   "Authorization": f"Bearer {session}", "Content-Type": "application/x-www-form-urlencoded"}
        self.fields = {k: v.encode() for k, v in fields.items()}
        self.headers = {k: v.encode() for k, v in headers.items()}


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Iterator[Target]:
    server = start_server(tmp_path_factory.mktemp("fuzz") / "sigil.db", 4, signer_url="http://127.0.0.1:9")
    try:
        yield Target(server)
    finally:
        server.stop()


def operations(server: RunningServer) -> list[tuple[str, str]]:
    doc = server.request("GET", "/api/auth/openapi.json").json()
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


def raw_request(server: RunningServer, data: bytes) -> bytes | None:
    """The raw answer to ``data``; ``None`` when the connection was reset before any answer.

    A reset comes from waitress refusing a request head it cannot parse (a NUL in a header,
    say) and closing while the body is still unread: the kernel then answers with RST, which
    can overtake waitress's own 400. The app cannot be behind a reset, since waitress reads
    the whole body before it calls the app.
    """
    return exchange(server.url, data, tolerate_reset=True) or None


def header_bytes() -> st.SearchStrategy[bytes]:
    """Any bytes but CR and LF (which end the header line: framing, not content)."""
    return st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


def noise() -> st.SearchStrategy[bytes]:
    """Mostly text (UTF-8, so it gets past decoding to the checks), sometimes any bytes."""
    text = st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass"))
    return st.integers(0, 9).flatmap(lambda pick: text if pick < 7 else st.binary(max_size=80))


def mutated(good: dict[str, bytes], names: list[str], value: st.SearchStrategy[bytes], *, at_least: int,
            focus: float) -> st.SearchStrategy[dict[str, bytes]]:
    """``good`` with ``at_least`` to :data:`MAX_MUTATIONS` entries dropped, replaced by
    ``value`` or added; ``focus`` is the share of changes aimed at the entries of ``good``."""
    aimed = round(focus * 10)
    name = st.integers(0, 9).flatmap(lambda pick: st.sampled_from(list(good) if pick < aimed and good else names))
    change = st.tuples(name, st.none() | value)

    def apply(changes: list[tuple[str, bytes | None]]) -> dict[str, bytes]:
        out = dict(good)
        for name, new in changes:
            if new is None:
                out.pop(name, None)
            else:
                out[name] = new
        return out

    return st.lists(change, min_size=at_least, max_size=MAX_MUTATIONS).map(apply)


def json_values() -> st.SearchStrategy[object]:
    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4),
                        max_leaves=12)


def form_bytes(fields: dict[str, bytes]) -> bytes:
    return b"&".join(quote_from_bytes(k.encode("utf-8", "surrogatepass")).encode() + b"=" + quote_from_bytes(v).encode()
                     for k, v in fields.items())


def bodies(fields: st.SearchStrategy[dict[str, bytes]]) -> st.SearchStrategy[bytes]:
    """Mostly the (mutated) form; else the same fields as JSON, other JSON, bytes, deep nesting."""
    as_json = st.dictionaries(st.sampled_from(FIELDS), json_values(), max_size=6).map(
        lambda d: json.dumps(d, allow_nan=True).encode())
    others = st.one_of(st.just(b""), st.binary(max_size=300), as_json, json_values().map(lambda v: json.dumps(v).encode()),
                       st.integers(1, 4000).map(lambda n: b"[" * n + b"]" * n),
                       fields.map(lambda d: json.dumps({k: v.decode("utf-8", "surrogateescape") for k, v in d.items()},
                                                       ensure_ascii=False).encode("utf-8", "surrogateescape")))
    return st.integers(0, 9).flatmap(lambda pick: fields.map(form_bytes) if pick < 6 else others)


def requests(method: str, path: str, good_fields: dict[str, bytes], good_headers: dict[str, bytes]
             ) -> st.SearchStrategy[bytes]:
    """One whole HTTP/1.1 request to ``method path``: real values, a few of them fuzzed."""
    fields = mutated(good_fields, FIELDS + ["x"], noise(), at_least=1, focus=0.8)
    header_value = st.one_of(header_bytes(), st.sampled_from(CONTENT_TYPES + [b"null", b"Bearer "]).flatmap(
        lambda prefix: header_bytes().map(lambda rest: prefix + rest)))
    headers = mutated(good_headers, HEADERS, header_value, at_least=0, focus=0.2)
    segment = st.binary(min_size=1, max_size=30).map(lambda b: quote_from_bytes(b, safe=""))
    in_query = st.booleans() if method == "POST" else st.just(True)

    def build(parts: tuple) -> bytes:
        head_fields, query_fields, body, query_too, name = parts
        query = form_bytes(query_fields).decode() if query_too else ""
        target = re.sub(r"\{[^}]+\}", name, path) + ("?" + query if query else "")
        head = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
        head += [n.encode() + b": " + v for n, v in head_fields.items()]
        head += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    return st.tuples(headers, fields, bodies(fields) if method == "POST" else st.just(b""), in_query,
                     segment).map(build)


def test_no_route_answers_5xx_to_anything(target) -> None:
    server = target.server
    ops = operations(server)
    assert len(ops) >= 25 and ("POST", "/api/auth/device/code") in ops  # the document lists the routes

    for method, path in ops:
        target.renew()

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=requests(method, path, target.fields, target.headers))
        def fuzz(data: bytes) -> None:
            answer = raw_request(server, data)
            if answer is None:
                return
            status = int(answer.split(b" ", 2)[1])
            assert status < 500, (method, path, data[:2000], answer[:2000])
            assert b"Traceback" not in answer

        fuzz()


#: one of each kind of value that broke a handler before: non-ASCII text (hmac.compare_digest),
#: bytes that are not UTF-8, nothing, and too much
HOSTILE = ["é\u0661\uff11".encode(), b"\xff\xfe\x00", b"", b"x" * 3000]
TOO_DEEP = b"[" * 5000 + b"]" * 5000  # json.loads recursed into RecursionError on this


def test_every_field_and_header_takes_hostile_values(target) -> None:
    """The sweep the random search may miss: each real field and header of an otherwise valid
    request, in turn, replaced by each :data:`HOSTILE` value, and a JSON body nested
    :data:`TOO_DEEP`, on every route."""
    server = target.server
    for method, path in operations(server):
        target.renew()
        good_fields, good_headers = target.fields, target.headers
        target_path = re.sub(r"\{[^}]+\}", "x.css", path)
        cases = ([("field", n, v) for n in good_fields for v in HOSTILE]
                 + [("header", n, v) for n in good_headers for v in HOSTILE])
        if method == "POST":
            cases.append(("body", "json", TOO_DEEP))
        for where, name, value in cases:
            fields = dict(good_fields, **{name: value}) if where == "field" else good_fields
            headers = dict(good_headers, **{name: value}) if where == "header" else good_headers
            form = form_bytes(fields)
            body = form if method == "POST" else b""
            if where == "body":
                headers, body = dict(headers, **{"Content-Type": b"application/json"}), value
            head = [f"{method} {target_path}{'' if method == 'POST' else '?' + form.decode()} HTTP/1.1".encode(),
                    b"Host: 127.0.0.1", *(n.encode() + b": " + v for n, v in headers.items()),
                    b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
            answer = raw_request(server, b"\r\n".join(head) + b"\r\n\r\n" + body)
            if answer is not None:
                assert int(answer.split(b" ", 2)[1]) < 500, (method, path, where, name, value[:20], answer[:1000])
