# JupyterHub signs its users in with Sigil (oauthenticator's GenericOAuthenticator).
# Register the hub:  sigil-server clients add --name JupyterHub --json \
#     --redirect-uri https://hub.example/hub/oauth_callback
# and give the hub the client id and secret in its environment (never on a command line):
#     OAUTH_CLIENT_ID=sigil_...  OAUTH_CLIENT_SECRET=...  SIGIL_URL=https://sigil.example
#     OAUTH_CALLBACK_URL=https://hub.example/hub/oauth_callback
import os

c = get_config()  # noqa: F821 - JupyterHub's config loader provides get_config
sigil = os.environ["SIGIL_URL"]  # the issuer: Sigil's base URL, no path

c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.login_service = "Sigil"
c.GenericOAuthenticator.authorize_url = f"{sigil}/oauth2/authorize"
c.GenericOAuthenticator.token_url = f"{sigil}/api/auth/oauth2/token"
c.GenericOAuthenticator.userdata_url = f"{sigil}/api/auth/oauth2/userinfo"
c.GenericOAuthenticator.scope = ["openid", "profile"]
c.GenericOAuthenticator.username_claim = "preferred_username"
c.GenericOAuthenticator.enable_pkce = True  # Sigil requires PKCE (S256) from every client
c.GenericOAuthenticator.allow_all = True  # every Sigil user; or list them in allowed_users
