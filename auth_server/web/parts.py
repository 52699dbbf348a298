"""What every installer is given: the settings, the store and the one OAuth provider.

The store is handed on to the rules (:mod:`auth_server.sessions`, :mod:`auth_server.origins`)
and the provider, never called here: the web layer does not import the store, not even its type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bottle

from auth_server.config import Settings
from auth_server.oauth.provider import Provider


@dataclass(frozen=True)
class ServerParts:
    settings: Settings
    store: Any  # an auth_server.store.Store
    provider: Provider


Installer = Callable[[bottle.Bottle, ServerParts], None]
