"""HTTP glue of client authentication: the request parts that
:mod:`auth_server.oauth.client_auth` decides on."""

from __future__ import annotations

import bottle

from auth_server.oauth.client_auth import ClientRequest
from auth_server.web.forms import read_form


#: where the request's :class:`ClientRequest` is kept for the CORS answer (:mod:`auth_server.web.cors`)
ENVIRON_KEY = "sigil.client_request"


def client_request() -> ClientRequest:
    """This request's method, path, headers, raw body and parsed form."""
    raw, form = read_form()
    request = bottle.request
    parts = ClientRequest(method=request.method, path=request.path, headers=request.headers, body=raw, form=form)
    request.environ[ENVIRON_KEY] = parts
    return parts
