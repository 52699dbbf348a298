"""The local signer API, served as the desktop app serves it, refuses oversized bodies at the
server: from the Content-Length before the body is sent, and a chunked body as it passes the limit."""

from __future__ import annotations

from signer_app.local_api.app import MAX_REQUEST_BYTES
from tests.helpers import raw_http


def test_huge_content_length_is_refused_before_the_body_is_sent(ctx):
    answer, seconds = raw_http.announce_huge_body(ctx.api.url, "/api/sign")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert seconds < 4


def test_chunked_body_is_cut_at_the_limit(ctx):
    sent, refused, answer = raw_http.send_endless_chunked_body(ctx.api.url, "/api/auth", total=2 * MAX_REQUEST_BYTES)
    assert answer.startswith(b"HTTP/1.1 413"), (sent, refused, answer[:200])


def test_the_api_keeps_its_own_larger_limit(api):
    """The server's limit is the API's (1.2 MB), not the auth server's 64 KB: a 200 KB body gets
    the API's own answer (no grant for this origin), not a 413."""
    answer = api.request("POST", "/api/sign", {"path": "/x", "body": "a" * 200_000},
                         {"Origin": "https://app.example", "Content-Type": "text/plain"})
    assert answer.status == 403 and answer.body["code"] == 3
