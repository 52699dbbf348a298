"""X-Auth-Token: format, verification and every way an attacker may try to break it."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import coincurve
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auth_server.crypto import (
    BadPubkey,
    BadSignature,
    BodyMismatch,
    FutureToken,
    KeyNotBound,
    MalformedToken,
    PathMismatch,
    StaleToken,
    TokenError,
    UnknownScheme,
    make_token,
    parse_token,
    verify_token,
)
from auth_server.crypto.x_auth_token import format_timestamp, parse_timestamp, signed_message

PATH = "/api/auth/sign-in/sigma"
NOW = datetime(2026, 11, 21, 23, 28, 13, 148000, tzinfo=timezone.utc).timestamp()
SCHEMES = ("brc77", "bsm")


def clock() -> float:
    return NOW


@pytest.fixture(scope="module")
def key() -> coincurve.PrivateKey:
    return coincurve.PrivateKey.from_int(0xC0FFEE)


def test_timestamp_format_matches_javascript() -> None:
    assert format_timestamp(NOW) == "2026-11-21T23:28:13.148Z"
    assert parse_timestamp("2026-11-21T23:28:13.148Z") == pytest.approx(NOW)


def test_signed_message_layout() -> None:
    assert signed_message("/p", "T", b"") == b"/p|T|"
    assert signed_message("/p", "T", b"abc") == b"/p|T|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_bsm_token_is_deterministic_vector(key: coincurve.PrivateKey) -> None:
    token = make_token(key, PATH, scheme="bsm", timestamp=NOW)
    fields = token.split("|")
    assert fields[:4] == [key.public_key.format().hex(), "bsm", "2026-11-21T23:28:13.148Z", PATH]
    assert token == make_token(key, PATH, scheme="bsm", timestamp=NOW)  # RFC 6979 nonces


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("body", [None, "", "{}", '{"name":"Zoë ✓ 日本"}', b"\x00\xff binary"])
def test_round_trip(key: coincurve.PrivateKey, scheme: str, body: str | bytes | None) -> None:
    token = make_token(key, PATH + "?x=1&y=2", body=body, scheme=scheme, timestamp=NOW)  # type: ignore[arg-type]
    verified = verify_token(token, PATH + "?x=1&y=2", body=body, clock=clock)
    assert verified.pubkey == key.public_key.format().hex()
    assert verified.scheme == scheme


@pytest.mark.parametrize("scheme", SCHEMES)
def test_hex_and_base64_body_encodings(key: coincurve.PrivateKey, scheme: str) -> None:
    token = make_token(key, PATH, body="cafe", body_encoding="hex", scheme=scheme, timestamp=NOW)  # type: ignore[arg-type]
    verify_token(token, PATH, body=b"\xca\xfe", clock=clock)
    verify_token(token, PATH, body="yv4=", body_encoding="base64", clock=clock)


# --- the three holes of the reference, closed ------------------------------------------


def test_swapped_pubkey_in_brc77_token_is_refused(key: coincurve.PrivateKey) -> None:
    token = make_token(key, PATH, timestamp=NOW)
    victim = coincurve.PrivateKey().public_key.format().hex()
    forged = "|".join([victim] + token.split("|")[1:])
    with pytest.raises(KeyNotBound):
        verify_token(forged, PATH, clock=clock)


def test_swapped_pubkey_in_bsm_token_is_refused(key: coincurve.PrivateKey) -> None:
    token = make_token(key, PATH, scheme="bsm", timestamp=NOW)
    victim = coincurve.PrivateKey().public_key.format().hex()
    with pytest.raises(BadSignature):
        verify_token("|".join([victim] + token.split("|")[1:]), PATH, clock=clock)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_ten_minutes_old_is_stale(key: coincurve.PrivateKey, scheme: str) -> None:
    token = make_token(key, PATH, scheme=scheme, timestamp=NOW - 600)  # type: ignore[arg-type]
    with pytest.raises(StaleToken):
        verify_token(token, PATH, clock=clock)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_ten_minutes_ahead_is_from_the_future(key: coincurve.PrivateKey, scheme: str) -> None:
    token = make_token(key, PATH, scheme=scheme, timestamp=NOW + 600)  # type: ignore[arg-type]
    with pytest.raises(FutureToken):
        verify_token(token, PATH, clock=clock)


def test_window_edges_and_configurable_window(key: coincurve.PrivateKey) -> None:
    verify_token(make_token(key, PATH, timestamp=NOW - 299.9), PATH, clock=clock)
    verify_token(make_token(key, PATH, timestamp=NOW + 299.9), PATH, clock=clock)
    with pytest.raises(StaleToken):
        verify_token(make_token(key, PATH, timestamp=NOW - 61), PATH, clock=clock, window_seconds=60)


def test_a_token_from_2020_is_refused(key: coincurve.PrivateKey) -> None:
    with pytest.raises(StaleToken):
        verify_token(make_token(key, PATH, timestamp="2020-01-01T00:00:00.000Z"), PATH, clock=clock)


# --- path and body binding -----------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_wrong_path(key: coincurve.PrivateKey, scheme: str) -> None:
    token = make_token(key, "/api/auth/oauth2/token", scheme=scheme, timestamp=NOW)  # type: ignore[arg-type]
    with pytest.raises(PathMismatch):
        verify_token(token, PATH, clock=clock)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_path_field_rewritten_to_match(key: coincurve.PrivateKey, scheme: str) -> None:
    token = make_token(key, "/other", scheme=scheme, timestamp=NOW)  # type: ignore[arg-type]
    fields = token.split("|")
    fields[3] = PATH
    with pytest.raises(BadSignature):
        verify_token("|".join(fields), PATH, clock=clock)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_one_body_byte_changed(key: coincurve.PrivateKey, scheme: str) -> None:
    body = "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"
    token = make_token(key, PATH, body=body, scheme=scheme, timestamp=NOW)  # type: ignore[arg-type]
    with pytest.raises(BadSignature) as info:
        verify_token(token, PATH, body=body.replace("abc", "abd"), clock=clock)
    assert not isinstance(info.value, BodyMismatch)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_signed_without_body_but_sent_with_one(key: coincurve.PrivateKey, scheme: str) -> None:
    token = make_token(key, PATH, scheme=scheme, timestamp=NOW)  # type: ignore[arg-type]
    with pytest.raises(BodyMismatch):
        verify_token(token, PATH, body="{}", clock=clock)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_timestamp_field_rewritten(key: coincurve.PrivateKey, scheme: str) -> None:
    fields = make_token(key, PATH, scheme=scheme, timestamp=NOW - 1).split("|")  # type: ignore[arg-type]
    fields[2] = format_timestamp(NOW)
    with pytest.raises(BadSignature):
        verify_token("|".join(fields), PATH, clock=clock)


def test_brc77_addressed_to_a_specific_verifier_is_refused(key: coincurve.PrivateKey) -> None:
    from auth_server.crypto import brc77

    stamp = format_timestamp(NOW)
    blob = brc77.sign_brc77(key, signed_message(PATH, stamp, b""), verifier=coincurve.PrivateKey().public_key)
    token = f"{key.public_key.format().hex()}|brc77|{stamp}|{PATH}|{base64.b64encode(blob).decode()}"
    with pytest.raises(BadSignature):
        verify_token(token, PATH, clock=clock)


# --- malformed input -----------------------------------------------------------------


def good_fields(key: coincurve.PrivateKey) -> list[str]:
    return make_token(key, PATH, timestamp=NOW).split("|")


@pytest.mark.parametrize(
    ("index", "value", "error"),
    [
        (0, "", BadPubkey),
        (0, "02" + "00" * 32, BadPubkey),
        (0, "xyz", BadPubkey),
        (1, "ecdsa", UnknownScheme),
        (1, "BRC77", UnknownScheme),
        (2, "2026-11-21T23:28:13Z", MalformedToken),
        (2, "2026-13-21T23:28:13.148Z", MalformedToken),
        (2, "yesterday", MalformedToken),
        (3, "", MalformedToken),
        (4, "", MalformedToken),
        (4, "not base64!", MalformedToken),
        (4, "QkIzAQ", MalformedToken),  # unpadded
        (4, "QkIzAQ==", MalformedToken),  # truncated BRC-77
    ],
)
def test_bad_fields(key: coincurve.PrivateKey, index: int, value: str, error: type[TokenError]) -> None:
    fields = good_fields(key)
    fields[index] = value
    with pytest.raises(error):
        verify_token("|".join(fields), PATH, clock=clock)


def test_uppercase_pubkey_is_refused(key: coincurve.PrivateKey) -> None:
    fields = good_fields(key)
    fields[0] = fields[0].upper()
    with pytest.raises(MalformedToken):
        parse_token("|".join(fields))


@pytest.mark.parametrize("token", ["", "a|b|c|d", "a|b|c|d|e|f", "|" * 4, "x" * 10000])
def test_wrong_shape(token: str) -> None:
    with pytest.raises(MalformedToken):
        verify_token(token, PATH, clock=clock)


def test_replay_key_is_stable_and_distinct(key: coincurve.PrivateKey) -> None:
    one = parse_token(make_token(key, PATH, timestamp=NOW))
    two = parse_token(make_token(key, PATH, timestamp=NOW))
    assert one.replay_key == parse_token(str(one)).replay_key
    assert one.replay_key != two.replay_key  # fresh BRC-77 key IDs


# --- property-based: nothing but typed errors, whatever comes in ------------------------

FIELD = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="|"), max_size=120)


@settings(max_examples=400, deadline=None)
@given(st.lists(FIELD, min_size=0, max_size=7).map("|".join), st.one_of(st.none(), st.text(max_size=50)))
def test_garbage_tokens_raise_only_typed_errors(token: str, body: str | None) -> None:
    try:
        verify_token(token, PATH, body=body, clock=clock)
    except TokenError:
        pass


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 4), value=FIELD, scheme=st.sampled_from(SCHEMES))
def test_one_garbage_field_raises_only_typed_errors(index: int, value: str, scheme: str) -> None:
    key = coincurve.PrivateKey.from_int(12345)
    fields = make_token(key, PATH, scheme=scheme, timestamp=NOW).split("|")  # type: ignore[arg-type]
    original = fields[index]
    fields[index] = value
    try:
        verify_token("|".join(fields), PATH, clock=clock)
    except TokenError:
        return
    assert value == original  # only the untouched token may verify


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=0, max_size=200), scheme=st.sampled_from(SCHEMES))
def test_random_signature_bytes_raise_only_typed_errors(data: bytes, scheme: str) -> None:
    key = coincurve.PrivateKey.from_int(777)
    fields = make_token(key, PATH, scheme=scheme, timestamp=NOW).split("|")  # type: ignore[arg-type]
    if scheme == "brc77":
        data = bytes.fromhex("42423301") + key.public_key.format() + data
    fields[4] = base64.b64encode(data).decode()
    with pytest.raises(TokenError):
        verify_token("|".join(fields), PATH, clock=clock)
