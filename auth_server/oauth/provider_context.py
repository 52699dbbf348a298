"""What every OAuth endpoint and grant shares: the configuration, the user directory and
the parts they work on (store, signing keys, clock), in one record passed around."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from auth_server.oauth.idtoken import SigningKeys
from auth_server.store.oauth import OAuthStore
from auth_server.store.users import UserProfile

if TYPE_CHECKING:
    from auth_server.config import Settings


class UserDirectory(Protocol):
    """How the provider learns about users without knowing the users table."""

    def profile(self, user_id: str, client_id: str | None = None) -> dict[str, Any] | None:
        """Claims of a user: ``sub, name?, preferred_username, picture?, pubkey, bap_id, email?, groups,
        subscriptionTier?`` (for ``client_id``: name and picture only when the user shares them
        with it); None when the user no longer exists or is disabled."""

    def claims(self, record: UserProfile | None, client_id: str | None = None) -> dict[str, Any] | None:
        """The same claims of a user the store already read (with its groups), e.g. in the
        code exchange's one statement (``client_id`` as for :meth:`profile`)."""


@dataclass(frozen=True)
class ProviderConfig:
    """The provider's lifetimes and URLs. Field names match :class:`~auth_server.config.Settings`
    so that :meth:`from_settings` takes them over by name."""

    issuer: str
    code_ttl: int = 60
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    id_token_ttl: int = 3600
    always_issue_refresh_token: bool = False
    device_code_ttl: int = 600
    device_poll_interval: int = 5
    verification_uri: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderConfig:
        """The issuer is the (settled) base URL; every other field is the setting of its name."""
        shared = {f.name: getattr(settings, f.name) for f in fields(cls) if hasattr(settings, f.name)}
        return cls(**{**shared, "issuer": settings.base_url, "verification_uri": settings.base_url + "/device"})


@dataclass
class ProviderContext:
    """The parts a grant or endpoint works with; built once per provider."""

    store: OAuthStore
    users: UserDirectory
    keys: SigningKeys
    config: ProviderConfig
    clock: Callable[[], float] = field(default=time.time)
