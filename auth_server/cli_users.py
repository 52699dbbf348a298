"""``sigil-server users | groups | audit``: the team's members, their groups, invitations, the log.

Every command works on the same database as ``serve`` (``--db`` or ``SIGIL_DB``), also while
servers run: a change is one transaction, so every instance sees it when the command returns
(disabling someone ends their sessions and tokens on all of them at once). The rules live in
:mod:`auth_server.team`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from auth_server import team
from auth_server.display import shown_text
from auth_server.config import Settings
from auth_server.server_commands import add_db_flag
from auth_server.store import Store, User


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(db_path=args.db, base_url=getattr(args, "base_url", None))


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _run(work: Callable[[Store, argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command handler: open the store, run ``work``, print a refused request as ``error:``."""

    def handler(args: argparse.Namespace) -> int:
        settings = _settings(args)
        with Store.open(settings.db_path, clock=settings.clock) as store:
            try:
                return work(store, args)
            except team.NoSuchUser as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            except team.TeamError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2

    return handler


def _print_json(data: Any) -> int:
    print(json.dumps(data, indent=2))
    return 0


def _describe(d: team.UserDetails) -> str:
    u = d.user
    return "\n".join([
        f"id:           {u.id}",
        f"name:         {shown_text(u.name)}",
        f"profile name: {shown_text(u.profile_name or '-')}",
        f"username:     {u.username or '-'}",
        f"picture:      {shown_text(u.image or '-')}",
        f"public key:   {u.pubkey}",
        f"BAP ID:       {u.bap_id or '-'}",
        f"groups:       {', '.join(d.groups) or '-'}",
        f"status:       {'DISABLED' if u.disabled else 'active'}",
        f"sessions:     {d.sessions} live",
        f"created:      {_when(u.created_at)}",
        f"last sign-in: {_when(d.last_sign_in)}",
    ])


# ---- users ----------------------------------------------------------------------------

def _users_list(store: Store, args: argparse.Namespace) -> int:
    found = team.users(store, group=args.group, search=args.search, limit=args.limit, offset=args.offset)
    if args.json:
        return _print_json([d.to_json() for d in found])
    if not found:
        print("no users")
    for d in found:
        flags = " DISABLED" if d.user.disabled else ""
        print(f"{d.user.id}  {d.user.pubkey}  {shown_text(d.user.profile_name or d.user.name)}  "
              f"{d.user.username or '-'}  {d.user.bap_id or '-'}  "
              f"[{','.join(d.groups)}]{flags}")
    return 0


def _users_show(store: Store, args: argparse.Namespace) -> int:
    d = team.details(store, team.find_user(store, args.user))
    if args.json:
        return _print_json(d.to_json())
    print(_describe(d))
    return 0


def _users_add(store: Store, args: argparse.Namespace) -> int:
    added = team.add_user(store, pubkey=args.pubkey, bap_id=args.bap_id, name=args.name, groups=args.group or [],
                          actor=team.cli_actor())
    if isinstance(added, User):
        d = team.details(store, added)
        if args.json:
            return _print_json(d.to_json())
        print(_describe(d))
        return 0
    answer = {"bapId": added.bap_id, "name": added.name, "groups": list(added.groups), "status": "let in",
              "note": "the account is made at this identity's first sign-in"}
    if args.json:
        return _print_json(answer)
    print(f"let in BAP ID {added.bap_id} (groups: {', '.join(added.groups) or '-'}); "
          "the account is made at its first sign-in")
    return 0


def _users_disable(store: Store, args: argparse.Namespace) -> int:
    user = team.set_disabled(store, args.user, True, actor=team.cli_actor())
    print(f"disabled {user.id} ({user.name}): sessions ended, tokens revoked")
    return 0


def _users_enable(store: Store, args: argparse.Namespace) -> int:
    user = team.set_disabled(store, args.user, False, actor=team.cli_actor())
    print(f"enabled {user.id} ({user.name})")
    return 0


def _users_remove(store: Store, args: argparse.Namespace) -> int:
    user = team.remove_user(store, args.user, actor=team.cli_actor())
    print(f"removed {user.id} ({user.name}) with their sessions, groups, consents and tokens")
    return 0


def _users_groups(store: Store, args: argparse.Namespace) -> int:
    d = team.change_groups(store, args.user, add=args.add or [], remove=args.remove or [], actor=team.cli_actor())
    print(f"{d.user.id}: {', '.join(d.groups) or 'in no group'}")
    return 0


def _users_invite(store: Store, args: argparse.Namespace) -> int:
    new = team.invite(store, _settings(args).base_url, groups=args.group or [], uses=args.uses,
                      expires_in=team.parse_duration(args.expires), note=args.note or "", actor=team.cli_actor())
    if args.json:
        return _print_json(new.to_json())
    print(new.url)
    print(f"(invitation {new.invitation.id}: {new.invitation.uses_left} use(s), groups "
          f"{', '.join(new.invitation.groups) or '-'}, expires {_when(new.invitation.expires_at)}; "
          "the link is shown this once)", file=sys.stderr)
    return 0


def _users_invites(store: Store, args: argparse.Namespace) -> int:
    now = store.clock()
    found = team.invitations(store)
    if args.json:
        return _print_json([i.to_json(now) for i in found])
    if not found:
        print("no invitations")
    for i in found:
        print(f"{i.id}  {i.state(now):<8}  uses {i.uses}/{i.uses + i.uses_left}  expires {_when(i.expires_at)}  "
              f"[{','.join(i.groups)}]  {i.note}")
    return 0


def _users_revoke_invite(store: Store, args: argparse.Namespace) -> int:
    revoked = team.revoke_invitation(store, args.invitation, actor=team.cli_actor())
    print(f"revoked invitation {revoked.id}")
    return 0


# ---- groups and the log ---------------------------------------------------------------

def _groups_add(store: Store, args: argparse.Namespace) -> int:
    group = team.add_group(store, args.name, args.description or "", actor=team.cli_actor())
    print(f"added group {group.name}")
    return 0


def _groups_list(store: Store, args: argparse.Namespace) -> int:
    found = team.groups(store)
    if args.json:
        return _print_json([{"name": g.name, "description": g.description, "members": g.members} for g in found])
    for g in found:
        print(f"{g.name:<24} {g.members:>5} member(s)  {g.description}")
    return 0


def _groups_remove(store: Store, args: argparse.Namespace) -> int:
    team.remove_group(store, args.name, actor=team.cli_actor())
    print(f"removed group {args.name}")
    return 0


def _audit(store: Store, args: argparse.Namespace) -> int:
    entries = team.audit(store, team.parse_duration(args.since), limit=args.limit)
    if args.json:
        return _print_json([e.to_json() for e in entries])
    if not entries:
        print("nothing in the audit log for that period")
    for e in entries:
        detail = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(e.detail.items()))
        print(f"{_when(e.at)}  {e.actor:<20} {e.action:<16} {e.target}  {detail}".rstrip())
    return 0


def _user_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", metavar="ID", help="user id, public key or BAP ID")


def add_user_commands(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="the team: users, their groups, invitations, disabling")
    users_sub = users.add_subparsers(dest="users_command", required=True)

    def command(name: str, work: Callable[[Store, argparse.Namespace], int], help: str,
                json_flag: bool = False) -> argparse.ArgumentParser:
        p = users_sub.add_parser(name, help=help)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        add_db_flag(p)
        p.set_defaults(handler=_run(work))
        return p

    listing = command("list", _users_list, "list users (id, pubkey, name, BAP ID, groups, disabled)", True)
    listing.add_argument("--group", metavar="G", help="only members of group G")
    listing.add_argument("--search", metavar="TEXT", help="only users whose id, key, BAP ID or name contains TEXT")
    listing.add_argument("--limit", type=int, default=1000)
    listing.add_argument("--offset", type=int, default=0)
    _user_arg(command("show", _users_show, "one user: groups, disabled, sessions, created, last sign-in", True))
    add = command("add", _users_add, "let a key (or a BAP identity, at its first sign-in) in ahead of time", True)
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--pubkey", metavar="HEX", help="the compressed public key that signs in")
    who.add_argument("--bap-id", metavar="ID", help="a BAP identity: its account is made at its first sign-in")
    add.add_argument("--name", help="display name (default: the key's Bitcoin address)")
    add.add_argument("--group", action="append", metavar="G", help="put the user in group G (repeatable)")
    _user_arg(command("disable", _users_disable, "lock a user out at once: sign-in refused, sessions and tokens end"))
    _user_arg(command("enable", _users_enable, "let a disabled user sign in again"))
    _user_arg(command("remove", _users_remove, "delete a user with their sessions, groups and tokens"))
    groups = command("groups", _users_groups, "add a user to groups or take them out")
    _user_arg(groups)
    groups.add_argument("--add", action="append", metavar="G", help="join group G (repeatable)")
    groups.add_argument("--remove", action="append", metavar="G", help="leave group G (repeatable)")
    inv = command("invite", _users_invite, "print a new invitation link (<base URL>/invite/<code>)", True)
    inv.add_argument("--group", action="append", metavar="G", help="who joins is put in group G (repeatable)")
    inv.add_argument("--uses", type=int, default=1, help="how many people may join with it (default 1)")
    inv.add_argument("--expires", default="7d", help="lifetime: 30m, 12h, 7d, 2w (default 7d)")
    inv.add_argument("--note", help="a note for the invitation list (who it is for)")
    inv.add_argument("--base-url", default=None, help="the server's public URL (env SIGIL_BASE_URL)")
    command("invites", _users_invites, "list invitations (id, state, uses, expiry, groups, note)", True)
    revoke = command("revoke-invite", _users_revoke_invite, "stop an invitation from working")
    revoke.add_argument("invitation", metavar="CODE", help="the invitation's id (see `users invites`), code or link")

    grp = sub.add_parser("groups", help="groups apps see in the `groups` claim")
    grp_sub = grp.add_subparsers(dest="groups_command", required=True)
    g_add = grp_sub.add_parser("add", help="make a group")
    g_add.add_argument("name", help="lowercase [a-z0-9][a-z0-9._-]{0,63}")
    g_add.add_argument("--description", help="what the group is for")
    g_list = grp_sub.add_parser("list", help="groups and how many members each has")
    g_list.add_argument("--json", action="store_true", help="print JSON")
    g_remove = grp_sub.add_parser("remove", help="delete a group (its members leave it)")
    g_remove.add_argument("name")
    for p, work in ((g_add, _groups_add), (g_list, _groups_list), (g_remove, _groups_remove)):
        add_db_flag(p)
        p.set_defaults(handler=_run(work))

    log = sub.add_parser("audit", help="who did what when: admin actions, invitations, refused sign-ins")
    log.add_argument("--since", default="1d", help="how far back: 30m, 12h, 7d (default 1d)")
    log.add_argument("--limit", type=int, default=1000)
    log.add_argument("--json", action="store_true", help="print JSON")
    add_db_flag(log)
    log.set_defaults(handler=_run(_audit))
