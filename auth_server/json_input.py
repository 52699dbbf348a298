"""The one reader of JSON that a client sent, for both HTTP apps (the auth server and the
desktop's local signer API).

``json.loads`` recurses once per nesting level, so a body of a few thousand ``[`` raises
``RecursionError``, which is not a ``ValueError`` and escaped every handler as a 500. This
module bounds the depth before parsing and turns every way a body can fail (bytes that are
not UTF-8, invalid JSON, too deep, not an object) into :class:`JSONInputError`, which each
app maps to its own 400.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
"""Deepest nesting any Sigil endpoint accepts; real requests nest two or three levels."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class JSONInputError(ValueError):
    """A request body that is not the JSON the endpoint reads; ``str()`` says why."""


def nesting_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in ``raw`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b'""', raw)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` as JSON whose nesting is at most ``max_depth`` levels."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # Fast path: a body with fewer brackets than the limit cannot nest deeper than it.
    if data.count(b"[") + data.count(b"{") > max_depth and nesting_depth(data) > max_depth:
        raise JSONInputError(f"request body nests deeper than {max_depth} levels")
    try:
        text = data.decode("utf-8")  # JSON on the wire is UTF-8 (RFC 8259 8.1); no UTF-16 guessing
    except UnicodeDecodeError:
        raise JSONInputError("request body is not UTF-8") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise JSONInputError("request body is not valid JSON") from None


def load_json_object(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A JSON object body; an empty (or all-whitespace) body is ``{}``."""
    if not raw.strip():
        return {}
    data = load_json(raw, max_depth=max_depth)
    if not isinstance(data, dict):
        raise JSONInputError("request body must be a JSON object")
    return data
