"""The token endpoint's grants, one module each, found by ``grant_type`` in :data:`GRANTS`.

A grant module has ``GRANT_TYPE`` (the wire value) and ``exchange(ctx, client, form)``,
which checks the form for an already authenticated client and returns the token answer
or raises ``OAuthError``. A new grant is a new module added to :data:`GRANT_MODULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.grants import authorization_code, device_code, refresh_token
from auth_server.store.models import OAuthClient

Exchange = Callable[[ProviderContext, OAuthClient, Mapping[str, str]], dict[str, Any]]

GRANT_MODULES = (authorization_code, refresh_token, device_code)

#: grant_type -> the function that answers it
GRANTS: dict[str, Exchange] = {module.GRANT_TYPE: module.exchange for module in GRANT_MODULES}

__all__ = ["GRANTS", "GRANT_MODULES", "Exchange"]
