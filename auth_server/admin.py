"""Administering an auth server's store: the figures, clients, users and sessions.

The one way in for every administrator surface: ``sigil-server clients ...`` and
``sigil-server users | sessions`` (:mod:`auth_server.cli_clients`,
:mod:`auth_server.server_commands`) and the desktop app's Server tab
(:mod:`signer_app.embedded_server`) all call these functions, which use only the store's
repositories, never SQL of their own. Each takes an open :class:`~auth_server.store.Store`
and reads "now" from its clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the desktop imports this module at start; the store code loads with the store
    from auth_server.oauth.clients import NewClient
    from auth_server.store import Store
    from auth_server.store.models import User
    from auth_server.store.models import OAuthClient


@dataclass(frozen=True)
class ServerStats:
    """What the desktop's Server tab shows: registered clients, users, live sessions."""

    clients: int
    users: int
    sessions: int


class NoSuchClient(LookupError):
    """An administrative action named a client id the store does not know."""


class NoSuchUser(LookupError):
    """An administrative action named a user id the store does not know."""


def stats(store: Store) -> ServerStats:
    return ServerStats(
        clients=store.oauth.clients.count(),
        users=store.users.count(),
        sessions=store.sessions.count_live(store.clock()),
    )


def clients(store: Store) -> list[OAuthClient]:
    return store.oauth.clients.list()


def client(store: Store, client_id: str) -> OAuthClient | None:
    return store.oauth.clients.get(client_id)


def register_client(store: Store, name: str, redirect_uris: list[str], member_pubkey: str | None = None,
                    **options: Any) -> NewClient:
    """Register a client (see :func:`auth_server.oauth.clients.register_client`, which checks
    it as the registration endpoint does); ``ValueError`` names the first bad field."""
    from auth_server.oauth.clients import register_client as register

    return register(store, name, redirect_uris, member_pubkey, **options)


def rotate_client_secret(store: Store, client_id: str, grace_seconds: float = 0.0) -> str:
    """A new secret for a secret client (returned once); the old one keeps working for
    ``grace_seconds`` (0: stops at once). :class:`NoSuchClient`; ``ValueError`` for a
    client that has no secret."""
    from auth_server.oauth.credentials import new_client_secret

    client = store.oauth.clients.get(client_id)
    if client is None:
        raise NoSuchClient(f"no client {client_id!r}")
    if grace_seconds < 0:
        raise ValueError("the grace period cannot be negative")
    secret, secret_hash = new_client_secret()
    until = store.clock() + grace_seconds if grace_seconds > 0 else None
    if not store.oauth.clients.rotate_secret(client_id, secret_hash, until):
        raise ValueError(f"client {client_id!r} authenticates with {client.token_endpoint_auth_method}: "
                         "it has no secret to rotate")
    return secret


def set_client_disabled(store: Store, client_id: str, disabled: bool) -> bool:
    """Stop (or let again) a client sign users in; False when there is no such client."""
    return store.oauth.clients.set_disabled(client_id, disabled)


def approve_client(store: Store, client_id: str) -> bool:
    """Make a self-registered client the administrator's (signer frame, internal jwks_uri,
    logout on its client_id, no "not verified" mark); False when there is no such client."""
    return store.oauth.clients.approve(client_id)


def remove_client(store: Store, client_id: str) -> bool:
    """Delete a client with its codes, tokens and consents; False when there is no such client."""
    return store.oauth.clients.remove(client_id)


def users(store: Store, limit: int = 1000, offset: int = 0) -> list[User]:
    return store.users.list(limit=limit, offset=offset)


def set_user_email(store: Store, pubkey: str, email: str | None) -> bool:
    """The e-mail apps see for the identity ``pubkey`` (claim ``email``, never verified);
    False when that identity never signed in here. ``ValueError`` for a bad or taken address."""
    user = store.users.get_by_pubkey(pubkey)
    if user is None:
        return False
    set_email_of(store, user, email)
    return True


def clean_user_email(value: str | None) -> str | None:
    """The address :func:`set_user_email` would store (``None`` for empty), ``ValueError`` for
    one that is not an address: a form checks it before it submits, by the server's own rule."""
    from auth_server.oauth.users import clean_email

    return clean_email(value)


def set_email_of(store: Store, user: User, email: str | None) -> None:
    """:func:`set_user_email` for a user the caller already looked up."""
    from auth_server.oauth.users import clean_email

    if not store.users.set_email(user.id, clean_email(email), store.clock()):
        raise ValueError("another identity on this server uses that e-mail address")


def consents(store: Store, pubkey: str) -> list[Any]:
    """The apps the identity ``pubkey`` allowed (:class:`auth_server.oauth.consents.Consent`)."""
    from auth_server.oauth.consents import consents_of

    user = store.users.get_by_pubkey(pubkey)
    return consents_of(store.oauth, user.id) if user else []


def withdraw_consent(store: Store, pubkey: str, client_id: str) -> bool:
    """Withdraw the identity's consent for ``client_id`` and revoke that app's tokens for it."""
    from auth_server.oauth.consents import withdraw

    user = store.users.get_by_pubkey(pubkey)
    if user is None:
        return False
    with store.write():
        return withdraw(store.oauth, user.id, client_id)


def revoke_sessions(store: Store, user_id: str) -> int:
    """Sign a user out everywhere; returns how many sessions ended. :class:`NoSuchUser` otherwise."""
    if store.users.get(user_id) is None:
        raise NoSuchUser(f"no user with id {user_id}")
    return store.sessions.revoke_all_for_user(user_id)
