# settings.py: Sigil for mozilla-django-oidc (from the environment: SIGIL_URL, the client id and secret)
import os

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
AUTHENTICATION_BACKENDS = ["sigil_site.backends.SigilBackend"]  # users by sub; e-mail optional
