"""HTTP glue of ``GET /api/auth/avatar/<id>``: a profile picture the server re-encoded
(auth_server/avatars.py), served so that no browser takes it for anything but an image."""

from __future__ import annotations

from typing import Any

import bottle

from auth_server.profile import AVATAR_PATH, served_avatar
from auth_server.web.errors import ApiError
from auth_server.web.openapi import describe
from auth_server.web.parts import ServerParts

#: an avatar's id changes with its image, so what is served under one id never changes
HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Content-Disposition": "inline",
}


def install(app: bottle.Bottle, parts: ServerParts) -> None:
    store = parts.store

    def avatar(avatar_id: str) -> Any:
        """A profile picture (PNG or WebP, at most 256×256), by the id in the user's `picture`."""
        found = served_avatar(store, avatar_id)
        if found is None:
            raise ApiError(404, "NOT_FOUND", "no such picture")
        content_type, data = found
        return bottle.HTTPResponse(data, 200, {**HEADERS, "Content-Type": content_type})

    app.route(AVATAR_PATH + "<avatar_id>", "GET", avatar)
    describe(app, "GET", AVATAR_PATH + "{avatar_id}", tags=["profile"], parameters=[
        {"name": "avatar_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        responses={"200": {"description": "the picture", "content": {"image/webp": {}, "image/png": {}}},
                   "404": {"$ref": "#/components/responses/Error"}})
