"""Where the provider's endpoints live (paths under the issuer), shared by discovery, the web
routes and the client-assertion audience check."""

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/api/auth/oauth2/token"
USERINFO_PATH = "/api/auth/oauth2/userinfo"
REVOCATION_PATH = "/api/auth/oauth2/revoke"
INTROSPECTION_PATH = "/api/auth/oauth2/introspect"
JWKS_PATH = "/api/auth/jwks"
DEVICE_AUTHORIZATION_PATH = "/api/auth/device/code"
END_SESSION_PATH = "/api/auth/oauth2/end-session"
REGISTRATION_PATH = "/api/auth/oauth2/register"
CONSENTS_PATH = "/oauth2/consents"
