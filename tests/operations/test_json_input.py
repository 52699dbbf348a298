"""The one JSON reader: every way a client's body can fail is a JSONInputError, never a crash."""

import pytest
from hypothesis import given, settings, strategies as st

from auth_server.json_input import MAX_DEPTH, JSONInputError, load_json, load_json_object, nesting_depth


@pytest.mark.parametrize("raw", [b"[" * 5000, b'{"a":' * 5000, b"[" * 5000 + b"]" * 5000])
def test_deep_nesting_is_refused_not_a_recursion_error(raw):
    with pytest.raises(JSONInputError, match="deeper"):
        load_json(raw)


def test_the_limit_itself_is_accepted_and_one_more_refused():
    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(JSONInputError):
        load_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count():
    body = b'{"note": "' + b"[" * 500 + b'\\"{{{"}'
    assert nesting_depth(body) == 1
    assert load_json_object(body)["note"].startswith("[[[")


@pytest.mark.parametrize("raw, why", [(b"\xff\xfe{}", "UTF-8"), (b"{", "valid JSON"), (b"[1]", "object"),
                                      (b"NaN-ish", "valid JSON")])
def test_each_failure_says_why(raw, why):
    with pytest.raises(JSONInputError, match=why):
        load_json_object(raw)


def test_empty_body_is_an_empty_object():
    assert load_json_object(b"  \n") == {}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_json_input_error(raw):
    try:
        load_json_object(raw)
    except JSONInputError:
        pass
