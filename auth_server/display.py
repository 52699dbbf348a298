"""Text that came from outside, made safe to show a person.

A client's name, a user's name or a redirect URI's host is chosen by whoever registered it.
HTML escaping stops markup; it does not stop characters that change what a reader sees
without being seen themselves: a right-to-left override turns ``Acme Bank \\u202egnp.exe``
into "Acme Bank exe.png", zero-width characters make two different names look the same, and
control characters break lines or logs. :func:`shown_text` removes them all (Unicode
categories Cc and Cf, and the surrogate, private-use and unassigned ones, which show as
boxes or not at all; tab and newline are kept), so every page and every stored name shows
only the characters a reader can see.
"""

from __future__ import annotations

import re
import unicodedata

#: the whitespace controls a page may keep (they render as ordinary spaces or breaks)
_KEPT_CONTROLS = frozenset("\t\n")
#: the longest client name kept at registration; a page shows no more than this
MAX_NAME_LENGTH = 100


# C0 controls (NUL, CR, LF, TAB...), DEL, C1 controls and lone surrogates (JSON can spell "\ud800")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    """Whether a parameter a client sent holds a control character or a lone surrogate: no
    OAuth or OIDC parameter has a use for one, and PostgreSQL refuses NUL in text (a 500)."""
    return _CONTROLS.search(value) is not None


def shown_text(value: str) -> str:
    """``value`` without control, format (bidi, zero-width) and other invisible characters."""
    if value.isascii() and value.isprintable():
        return value  # the common case, without a per-character walk
    return "".join(ch for ch in value
                   if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))


def clean_name(value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A display name as stored: visible characters only, whitespace collapsed, at most
    ``max_length`` characters; empty when nothing visible is left."""
    visible = " ".join(shown_text(value).split())
    return visible[:max_length].rstrip()
