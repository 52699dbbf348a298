"""The consents a user gave (which app may sign them in with which scopes), for the user
to see and withdraw: on the server's ``/oauth2/consents`` page and in the desktop app.

Withdrawing a consent also revokes every token that app holds for the user (and its
unused codes), so the app loses access at once, not when its tokens expire; the next
sign-in asks for consent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth_server.store.oauth import OAuthStore


@dataclass(frozen=True)
class Consent:
    client_id: str
    client_name: str
    scopes: tuple[str, ...]
    bap_id: str | None
    granted_at: float


def consents_of(store: OAuthStore, user_id: str) -> list[Consent]:
    out = []
    for row in store.consents.list_for_user(user_id):
        client = store.clients.get(str(row["client_id"]))
        out.append(Consent(str(row["client_id"]), client.name if client else str(row["client_id"]),
                           tuple(str(row["scope"]).split()), row["bap_id"], float(row["updated_at"])))  # type: ignore[arg-type]
    return out


def withdraw(store: OAuthStore, user_id: str, client_id: str) -> bool:
    """Forget the consent and revoke the app's tokens for the user (run it in one transaction)."""
    found = store.consents.withdraw(user_id, client_id)
    revoked = store.tokens.revoke_for_user(user_id, client_id)
    return found or revoked > 0
