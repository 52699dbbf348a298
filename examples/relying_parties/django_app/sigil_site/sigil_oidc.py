"""mozilla-django-oidc settings and backend for Sigil (quoted in the README).

Why a backend: mozilla-django-oidc matches and names users by e-mail, and its default
``verify_claims`` refuses a login whose claims lack ``email`` when the scope asks for it.
A Sigil user need not have an e-mail address, but always has a stable ``sub``: users are
matched and named by ``sub``, and ``email`` is stored when the user set one.
"""
import os

from mozilla_django_oidc.auth import OIDCAuthenticationBackend

SIGIL = os.environ["SIGIL_URL"]  # the issuer: Sigil's base URL, no path

OIDC_RP_CLIENT_ID = os.environ["OIDC_RP_CLIENT_ID"]  # from `sigil-server clients add`
OIDC_RP_CLIENT_SECRET = os.environ["OIDC_RP_CLIENT_SECRET"]  # from the environment, never in the code
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid profile email"
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{SIGIL}/oauth2/authorize"
OIDC_OP_TOKEN_ENDPOINT = f"{SIGIL}/api/auth/oauth2/token"
OIDC_OP_USER_ENDPOINT = f"{SIGIL}/api/auth/oauth2/userinfo"
OIDC_OP_JWKS_ENDPOINT = f"{SIGIL}/api/auth/jwks"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
AUTHENTICATION_BACKENDS = ["sigil_site.sigil_oidc.SigilBackend"]


class SigilBackend(OIDCAuthenticationBackend):
    """Users by ``sub`` (every Sigil user has one; an e-mail address is optional)."""

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=claims.get("sub"))

    def create_user(self, claims):
        return self.UserModel.objects.create_user(claims["sub"], email=claims.get("email") or "")

    def update_user(self, user, claims):
        user.email = claims.get("email") or ""
        user.save(update_fields=["email"])
        return user
