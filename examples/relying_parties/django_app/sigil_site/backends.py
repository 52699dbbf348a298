"""Why a backend: mozilla-django-oidc matches and names users by e-mail, and its default
verify_claims refuses a login without an ``email`` claim when the scope asks for it. Every
Sigil user has a stable ``sub``; an e-mail address is optional."""
from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class SigilBackend(OIDCAuthenticationBackend):
    """Users by ``sub`` (every Sigil user has one; an e-mail address is optional)."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:  # a QuerySet of users
        return self.UserModel.objects.filter(username=claims.get("sub"))

    def create_user(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.create_user(claims["sub"], email=claims.get("email") or "")

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        user.email = claims.get("email") or ""
        user.save(update_fields=["email"])
        return user
