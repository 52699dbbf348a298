"""A team's server: who may sign in, the groups apps see, invitations, locking someone out.

Every administrator surface calls these functions: ``sigil-server users | groups | audit``
(:mod:`auth_server.cli_users`), the admin console (``/admin``) and the desktop app's Server
tab. Each one takes an open :class:`~auth_server.store.Store` and an ``actor`` (who is acting,
as the audit log names them: ``cli:<os user>``, ``console:<user id>``, ``desktop``), writes
its change and its audit line in one transaction, and reads "now" from the store's clock.

Users are named by id, public key or BAP ID (:func:`find_user`). Group names are lowercase
``[a-z0-9][a-z0-9._-]{0,63}``; ``admin`` is the group of Sigil's own administrators and
always exists. Invitation codes carry 256 bits, are shown once (the link) and stored hashed.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auth_server.display import clean_name

if TYPE_CHECKING:
    from auth_server.store import Store
    from auth_server.store.models import AdmittedIdentity, AuditEntry, Group, Invitation, User

ADMIN_GROUP = "admin"
GROUP_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
PUBKEY = re.compile(r"0[23][0-9a-f]{64}")
BAP_ID = re.compile(r"[1-9A-HJ-NP-Za-km-z]{20,64}")
MAX_NOTE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 200
MAX_INVITE_USES = 10_000
MAX_INVITE_SECONDS = 365 * 86400.0
INVITE_PATH = "/invite/"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class TeamError(ValueError):
    """A request an administrator made that cannot be done; the message says why."""


class NoSuchUser(TeamError, LookupError):
    """No user has that id, public key or BAP ID."""


def parse_duration(text: str) -> float:
    """Seconds in ``30m``, ``12h``, ``7d``, ``2w`` or plain seconds; :class:`TeamError` otherwise."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise TeamError(f"cannot read the duration {text!r}: use e.g. 30m, 12h, 7d or 2w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def check_group_name(name: str) -> str:
    if not GROUP_NAME.fullmatch(name):
        raise TeamError(f"{clean_name(name)!r} is not a group name: lowercase letters, digits, '.', '_' and '-', "
                        "starting with a letter or digit, at most 64 characters")
    return name


def existing_groups(store: Store, names: list[str] | tuple[str, ...]) -> list[str]:
    """``names`` checked, deduplicated and sorted; :class:`TeamError` naming the first that is
    not a group (check before a change that should not half-happen)."""
    wanted = sorted({check_group_name(n) for n in names})
    missing = sorted(set(wanted) - store.groups.existing(wanted))
    if missing:
        raise TeamError(f"no group {missing[0]!r}: make it first with `sigil-server groups add {missing[0]}`")
    return wanted


# ---- groups ---------------------------------------------------------------------------

def add_group(store: Store, name: str, description: str = "", *, actor: str) -> Group:
    check_group_name(name)
    description = clean_name(description, MAX_DESCRIPTION_LENGTH)
    now = store.clock()
    with store.write():
        if not store.groups.add(name, description, now):
            raise TeamError(f"there is already a group {name!r}")
        store.audit.record(now, actor, "group.add", name, description=description)
    group = store.groups.get(name)
    assert group is not None
    return group


def remove_group(store: Store, name: str, *, actor: str) -> None:
    if name == ADMIN_GROUP:
        raise TeamError("the admin group is Sigil's own and cannot be removed")
    now = store.clock()
    with store.write():
        if not store.groups.remove(name):
            raise TeamError(f"no group {name!r}")
        store.audit.record(now, actor, "group.remove", name)


def groups(store: Store) -> list[Group]:
    return store.groups.list()


# ---- users ----------------------------------------------------------------------------

@dataclass(frozen=True)
class UserDetails:
    """What ``users show`` and the console tell about a user."""

    user: User
    groups: list[str]
    sessions: int
    last_sign_in: float | None

    def to_json(self) -> dict[str, Any]:
        from auth_server.store.models import iso

        return {**self.user.to_json(), "disabled": self.user.disabled, "groups": self.groups,
                "sessions": self.sessions, "lastSignInAt": iso(self.last_sign_in)}


def find_user(store: Store, ref: str) -> User:
    """The user ``ref`` names (id, public key or BAP ID); :class:`NoSuchUser` otherwise."""
    user = store.users.find(ref.strip()) if ref.strip() else None
    if user is None:
        raise NoSuchUser(f"no user {clean_name(ref)!r} (give a user id, public key or BAP ID; see `users list`)")
    return user


def details(store: Store, user: User) -> UserDetails:
    sessions = store.sessions.list_for_user(user.id, store.clock())
    last = max((s.created_at for s in sessions), default=None)
    return UserDetails(user, store.groups.of_user(user.id), len(sessions), last)


def users(store: Store, *, group: str | None = None, search: str | None = None, limit: int = 1000,
          offset: int = 0) -> list[UserDetails]:
    found = store.users.list(limit=limit, offset=offset, group=group, search=search)
    return [details(store, u) for u in found]


def add_user(store: Store, *, pubkey: str | None = None, bap_id: str | None = None, name: str | None = None,
             groups: list[str] | tuple[str, ...] = (), actor: str) -> User | AdmittedIdentity:
    """Let a key in ahead of time (its account is made now), or a BAP identity (its account
    is made at its first sign-in, whatever the sign-up mode). Either joins ``groups``."""
    from auth_server.crypto import TokenError, address_from_pubkey, parse_pubkey

    if (pubkey is None) == (bap_id is None):
        raise TeamError("give exactly one of --pubkey HEX or --bap-id ID")
    wanted = existing_groups(store, groups)
    shown = clean_name(name) if name else None
    now = store.clock()
    if pubkey is not None:
        pubkey = pubkey.strip().lower()
        if not PUBKEY.fullmatch(pubkey):
            raise TeamError("--pubkey must be a compressed public key: 66 hex digits starting 02 or 03")
        try:
            key = parse_pubkey(pubkey)
        except (TokenError, ValueError):
            raise TeamError("--pubkey is not a point on the curve") from None
        with store.write():
            user, created = store.users.create(pubkey, shown or address_from_pubkey(key), now)
            if not created:
                raise TeamError(f"that key already has an account ({user.id})")
            store.groups.join(user.id, wanted, now)
            store.audit.record(now, actor, "user.add", user.id, pubkey=pubkey, groups=wanted)
        return user
    assert bap_id is not None
    bap_id = bap_id.strip()
    if not BAP_ID.fullmatch(bap_id):
        raise TeamError("--bap-id must be a BAP identity key (base58)")
    if store.users.find(bap_id) is not None:
        raise TeamError("that BAP identity already has an account")
    with store.write():
        if not store.invitations.admit(bap_id, shown, wanted, now):
            raise TeamError("that BAP identity is already let in")
        store.audit.record(now, actor, "user.admit", bap_id, groups=wanted)
    admitted = store.invitations.admitted(bap_id)
    assert admitted is not None
    return admitted


def set_disabled(store: Store, ref: str, disabled: bool, *, actor: str) -> User:
    """Disable a user (every session ends and every token of every app dies, in the same
    transaction, so every instance sees it the moment this returns) or enable them again."""
    user = find_user(store, ref)
    now = store.clock()
    with store.write():
        store.users.set_disabled(user.id, disabled, now)
        ended = tokens = 0
        if disabled:
            ended = store.sessions.revoke_all_for_user(user.id)
            tokens = store.oauth.tokens.revoke_everything_of_user(user.id)
        store.audit.record(now, actor, "user.disable" if disabled else "user.enable", user.id,
                           sessions_ended=ended, tokens_revoked=tokens)
    return find_user(store, user.id)


def remove_user(store: Store, ref: str, *, actor: str) -> User:
    """Delete a user with their sessions, groups, consents and tokens. Their key may sign up
    again where the sign-up mode allows it; to keep someone out, disable them instead."""
    user = find_user(store, ref)
    now = store.clock()
    with store.write():
        store.oauth.tokens.remove_everything_of_user(user.id)
        store.users.remove(user.id)
        store.audit.record(now, actor, "user.remove", user.id, pubkey=user.pubkey)
    return user


def change_groups(store: Store, ref: str, *, add: list[str] | tuple[str, ...] = (),
                  remove: list[str] | tuple[str, ...] = (), actor: str) -> UserDetails:
    """Put a user in groups and take them out of others. Apps the user may no longer use lose
    their tokens for them at once; every other app sees the new groups at its next refresh."""
    user = find_user(store, ref)
    joining = existing_groups(store, add)
    leaving = sorted({check_group_name(n) for n in remove})
    now = store.clock()
    with store.write():
        added = store.groups.join(user.id, joining, now)
        removed = store.groups.leave(user.id, leaving)
        if removed:
            now_in = store.groups.of_user(user.id)
            for client in store.oauth.clients.list():
                if not client.admits(now_in):
                    store.oauth.tokens.revoke_for_user(user.id, client.client_id)
        if added or removed:
            store.audit.record(now, actor, "user.groups", user.id, added=added, removed=removed)
    return details(store, user)


# ---- invitations ----------------------------------------------------------------------

@dataclass(frozen=True)
class NewInvitation:
    """An invitation just made: its code and link are shown this once."""

    code: str
    url: str
    invitation: Invitation

    def to_json(self) -> dict[str, Any]:
        from auth_server.store.models import iso

        return {"code": self.code, "url": self.url, "id": self.invitation.id,
                "expires_at": iso(self.invitation.expires_at), "uses": self.invitation.uses_left,
                "groups": list(self.invitation.groups), "note": self.invitation.note}


def invite_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{INVITE_PATH}{code}"


def invite(store: Store, base_url: str, *, groups: list[str] | tuple[str, ...] = (), uses: int = 1,
           expires_in: float = 7 * 86400.0, note: str = "", actor: str) -> NewInvitation:
    """A new invitation link: ``uses`` sign-ups before ``expires_in`` seconds pass, each
    joining ``groups``."""
    from auth_server.store import hash_secret

    wanted = existing_groups(store, groups)
    if not 1 <= uses <= MAX_INVITE_USES:
        raise TeamError(f"--uses must be between 1 and {MAX_INVITE_USES}")
    if not 0 < expires_in <= MAX_INVITE_SECONDS:
        raise TeamError("--expires must be more than nothing and at most a year")
    note = clean_name(note, MAX_NOTE_LENGTH)
    code = secrets.token_urlsafe(32)  # 256 bits
    now = store.clock()
    with store.write():
        invitation = store.invitations.create(hash_secret(code), wanted, uses, note, now + expires_in, now, actor)
        store.audit.record(now, actor, "invite.create", invitation.id, groups=wanted, uses=uses, note=note)
    return NewInvitation(code, invite_url(base_url, code), invitation)


def invitations(store: Store) -> list[Invitation]:
    return store.invitations.list()


def find_invitation(store: Store, ref: str) -> Invitation | None:
    """The invitation ``ref`` names: its id (as `users invites` lists it) or its code."""
    from auth_server.store import hash_secret

    ref = ref.strip()
    if ref.startswith(("http://", "https://")) and INVITE_PATH in ref:
        ref = ref.rsplit(INVITE_PATH, 1)[1]
    return store.invitations.get(ref) or store.invitations.get_by_code_hash(hash_secret(ref))


def revoke_invitation(store: Store, ref: str, *, actor: str) -> Invitation:
    invitation = find_invitation(store, ref)
    if invitation is None:
        raise TeamError("no such invitation (give its id from `users invites`, its code or its link)")
    now = store.clock()
    with store.write():
        if not store.invitations.revoke(invitation.id, now):
            raise TeamError(f"invitation {invitation.id} is already revoked")
        store.audit.record(now, actor, "invite.revoke", invitation.id)
    revoked = store.invitations.get(invitation.id)
    assert revoked is not None
    return revoked


def live_invitation(store: Store, code: str) -> Invitation | None:
    """The invitation a code stands for while it can still be used (the invite page's check)."""
    from auth_server.store import hash_secret

    invitation = store.invitations.get_by_code_hash(hash_secret(code))
    return invitation if invitation is not None and invitation.state(store.clock()) == "usable" else None


# ---- sessions -------------------------------------------------------------------------

def all_live_sessions(store: Store, limit: int = 500) -> list[tuple[Any, User | None]]:
    """Live sessions, newest first, each with its user."""
    sessions = store.sessions.list_live(store.clock(), limit)
    users: dict[str, User | None] = {}
    for s in sessions:
        if s.user_id not in users:
            users[s.user_id] = store.users.get(s.user_id)
    return [(s, users[s.user_id]) for s in sessions]


def end_session(store: Store, session_id: str, *, actor: str) -> bool:
    """End one session (the user is signed out of this server on that device)."""
    now = store.clock()
    with store.write():
        ended = store.sessions.revoke(session_id)
        if ended:
            store.audit.record(now, actor, "session.end", session_id)
    return ended


# ---- apps and the log -----------------------------------------------------------------

def register_client(store: Store, name: str, redirect_uris: list[str], *, auth_method: str | None,
                    member_pubkey: str | None = None, allowed_groups: list[str] | tuple[str, ...] = (), actor: str,
                    **options: Any) -> Any:
    """Register an app (see :func:`auth_server.oauth.clients.register_client`) limited to
    ``allowed_groups``; the groups are checked before anything is written. Returns the
    :class:`~auth_server.oauth.clients.NewClient` (its secret shown once)."""
    from auth_server import admin

    wanted = existing_groups(store, allowed_groups)
    with store.write():
        new = admin.register_client(store, name, redirect_uris, member_pubkey, auth_method=auth_method, **options)
        if wanted:
            store.oauth.clients.set_allowed_groups(new.client_id, wanted)
        store.audit.record(store.clock(), actor, "client.add", new.client_id, name=new.client.name,
                           auth_method=new.client.token_endpoint_auth_method, allowed_groups=wanted)
    return dataclasses.replace(new, client=store.oauth.clients.get(new.client_id))


def rotate_client_secret(store: Store, client_id: str, *, actor: str) -> str:
    """A new secret for the app (shown once); the old one stops working at once."""
    from auth_server import admin

    secret = admin.rotate_client_secret(store, client_id)
    store.audit.record(store.clock(), actor, "client.rotate-secret", client_id)
    return secret


def set_client_disabled(store: Store, client_id: str, disabled: bool, *, actor: str) -> bool:
    from auth_server import admin

    found = admin.set_client_disabled(store, client_id, disabled)
    if found:
        store.audit.record(store.clock(), actor, "client.disable" if disabled else "client.enable", client_id)
    return found


def set_client_groups(store: Store, client_id: str, groups: list[str] | tuple[str, ...], *, actor: str) -> None:
    """Only members of ``groups`` may use the app (empty: everyone). Users outside them lose
    that app's tokens at once."""
    wanted = existing_groups(store, groups)
    client = store.oauth.clients.get(client_id)
    if client is None:
        raise TeamError(f"no client {clean_name(client_id)!r}")
    now = store.clock()
    with store.write():
        store.oauth.clients.set_allowed_groups(client_id, wanted)
        if wanted:
            for user_id in store.oauth.tokens.users_of_client(client_id):
                if set(wanted).isdisjoint(store.groups.of_user(user_id)):
                    store.oauth.tokens.revoke_for_user(user_id, client_id)
        store.audit.record(now, actor, "client.groups", client_id, allowed_groups=wanted)


def audit(store: Store, since_seconds: float = 86400.0, limit: int = 1000) -> list[AuditEntry]:
    """The audit log of the last ``since_seconds``, newest first."""
    return store.audit.since(store.clock() - since_seconds, limit)


def is_admin(store: Store, user_id: str) -> bool:
    """Whether the user is one of Sigil's administrators (and not disabled)."""
    user = store.users.get(user_id)
    return user is not None and not user.disabled and ADMIN_GROUP in store.groups.of_user(user_id)


def cli_actor() -> str:
    """``cli:<os user>``: how the audit log names a command run on the server's machine."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
