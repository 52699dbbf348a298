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
        user = self.UserModel.objects.create_user(claims["sub"], email=claims.get("email") or "")
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        # shown names: the profile's name when the user shares it, else their Sigil handle
        user.email = claims.get("email") or ""
        user.first_name = (claims.get("name") or claims.get("preferred_username") or "")[:150]
        user.save(update_fields=["email", "first_name"])
        return user
