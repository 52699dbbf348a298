"""The device authorization grant (RFC 8628): starting a request, the user's decision on
the ``/device`` page, and the polling grant that finally gets the tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from auth_server.oauth.provider_context import ProviderContext
from auth_server.oauth.errors import OAuthError, invalid_grant, required
from auth_server.oauth.grants.common import TokenGrant, issue_tokens, new_family, owned_by, wants_refresh
from auth_server.oauth.scopes import format_scope, parse_scope
from auth_server.oauth.credentials import hash_secret, new_credential, new_user_code, normalize_user_code
from auth_server.store.models import DeviceAuthorization, OAuthClient

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def start(ctx: ProviderContext, client: OAuthClient, scope: str | None) -> dict[str, Any]:
    """RFC 8628 3.1-3.2: a device_code for the client, a user_code for the person."""
    scopes = parse_scope(scope)
    now = ctx.clock()
    config = ctx.config
    devices = ctx.store.devices
    device_code = new_credential()
    for _ in range(5):
        user_code = new_user_code()
        if devices.get_by_user_code(user_code) is None:
            break
    devices.add(DeviceAuthorization(
        device_code_hash=hash_secret(device_code), user_code=user_code, client_id=client.client_id,
        scope=format_scope(scopes), status="pending", user_id=None, bap_id=None, auth_time=None,
        interval=config.device_poll_interval, last_polled_at=None,
        expires_at=now + config.device_code_ttl, created_at=now,
    ))
    uri = config.verification_uri
    return {
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": uri,
        "verification_uri_complete": f"{uri}?{urlencode({'user_code': user_code})}",
        "expires_in": config.device_code_ttl,
        "interval": config.device_poll_interval,
    }


def pending(ctx: ProviderContext, user_code: str) -> DeviceAuthorization:
    """The pending request behind what the user typed, for the /device page."""
    record = ctx.store.devices.get_by_user_code(normalize_user_code(user_code))
    if record is None or record.status != "pending" or ctx.clock() > record.expires_at:
        raise invalid_grant("that code is unknown, already used or expired")
    return record


def decide(ctx: ProviderContext, user_code: str, approved: bool, user_id: str, bap_id: str | None,
           auth_time: int | None) -> DeviceAuthorization:
    """Record the user's answer once; a second decision on the same code is refused. A user
    outside every group the client allows cannot approve it (``access_denied``)."""
    record = pending(ctx, user_code)
    client = ctx.store.clients.get(record.client_id)
    profile = ctx.users.profile(user_id)
    if approved and (client is None or profile is None or not client.admits(profile.get("groups", ()))):
        raise OAuthError("access_denied", "this account is not in a group allowed to use this app")
    if not ctx.store.devices.decide(record.user_code, approved, user_id, bap_id, auth_time):
        raise invalid_grant("that code was already decided")
    return record


def exchange(ctx: ProviderContext, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
    """RFC 8628 3.4-3.5: authorization_pending, slow_down, expired_token, access_denied, or tokens."""
    device_code = required(form, "device_code")
    now = ctx.clock()
    devices = ctx.store.devices
    record = devices.get(hash_secret(device_code))
    owned_by(record.client_id if record else None, client, "device_code")
    assert record is not None
    if now > record.expires_at:
        raise OAuthError("expired_token", "the device code has expired; start again")
    if record.status == "denied":
        raise OAuthError("access_denied", "the user denied the request")
    if record.status == "consumed":
        raise invalid_grant("the device code was already exchanged")
    if record.status == "pending":
        too_fast = record.last_polled_at is not None and now - record.last_polled_at < record.interval
        interval = record.interval + 5 if too_fast else record.interval
        devices.record_poll(record.device_code_hash, now, interval)
        if too_fast:
            raise OAuthError("slow_down", f"poll at most every {interval} seconds")
        raise OAuthError("authorization_pending", "the user has not approved yet")
    if not devices.consume(record.device_code_hash):
        raise invalid_grant("the device code was already exchanged")
    assert record.user_id is not None
    issued = issue_tokens(ctx, TokenGrant(
        client_id=client.client_id, allowed_groups=client.allowed_groups,
        user_id=record.user_id, bap_id=record.bap_id, scope=record.scope,
        family_id=new_family(), auth_time=record.auth_time,
        with_refresh=wants_refresh(ctx, record.scope),
    ), now)
    ctx.store.tokens.add_tokens(issued.access, issued.refresh)
    return issued.response
