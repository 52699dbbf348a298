"""The OAuth repositories as one object (``store.oauth``), and the old import names.

Each table group has its own module (:mod:`~auth_server.store.clients`, ``codes``,
``tokens``, ``consents``, ``devices``); the migrations are in
:mod:`auth_server.store.migrations`, the row types in :mod:`auth_server.store.models`.
"""

from __future__ import annotations

from auth_server.store.clients import ClientRepository
from auth_server.store.codes import CodeRepository
from auth_server.store.consents import ConsentRepository
from auth_server.store.devices import DeviceRepository
from auth_server.store.engine import Engine
from auth_server.store.registration import RegistrationTokenRepository
from auth_server.store.oauth_tokens import TokenRepository

__all__ = [
    "ClientRepository", "CodeRepository", "ConsentRepository", "DeviceRepository", "RegistrationTokenRepository",
    "TokenRepository",
    "OAuthStore",
]


class OAuthStore:
    """All OAuth repositories over one database, as ``store.oauth`` hands them out."""

    def __init__(self, engine: Engine) -> None:
        self.clients = ClientRepository(engine)
        self.codes = CodeRepository(engine)
        self.tokens = TokenRepository(engine)
        self.consents = ConsentRepository(engine)
        self.devices = DeviceRepository(engine)
        self.registration_tokens = RegistrationTokenRepository(engine)
