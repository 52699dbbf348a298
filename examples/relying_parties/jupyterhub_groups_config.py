# JupyterHub lets in members of Sigil's "staff" group and makes its "admin" group hub admins.
# It is jupyterhub_config.py plus the groups scope; create the groups and put people in them:
#     sigil-server groups add staff
#     sigil-server users add --pubkey HEX --group staff        (or: users groups ID --add staff)
import os

c = get_config()  # noqa: F821 - JupyterHub's config loader provides get_config
load_subconfig(os.path.join(os.path.dirname(__file__), "jupyterhub_config.py"))  # noqa: F821

c.GenericOAuthenticator.scope = ["openid", "profile", "groups"]
c.GenericOAuthenticator.manage_groups = True  # the hub's groups follow Sigil's at each login
c.GenericOAuthenticator.auth_state_groups_key = "oauth_user.groups"  # Sigil's userinfo `groups` claim
c.GenericOAuthenticator.allow_all = False
c.GenericOAuthenticator.allowed_groups = {"staff"}
c.GenericOAuthenticator.admin_groups = {"admin"}
