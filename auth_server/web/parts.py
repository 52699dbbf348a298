"""What every installer is given: the settings, the store and the one OAuth provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import bottle

from auth_server.config import Settings
from auth_server.oauth.provider import Provider
from auth_server.store import Store


@dataclass(frozen=True)
class ServerParts:
    settings: Settings
    store: Store
    provider: Provider


Installer = Callable[[bottle.Bottle, ServerParts], None]
