"""``sigil-server clients ...``: register and manage OAuth clients (relying parties).

Works on the same database as ``serve`` (``--db`` or ``SIGIL_DB``), also while the server
runs: SQLite in WAL mode lets both write, and the server reads clients per request.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from auth_server import admin, team
from auth_server.config import Settings
from auth_server.server_commands import add_db_flag
from auth_server.store import Store
from auth_server.store.models import AUTH_METHODS, OAuthClient


def _open(args: argparse.Namespace) -> Store:
    settings = Settings.from_env(db_path=args.db)
    return Store.open(settings.db_path, clock=settings.clock)


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _describe(client: OAuthClient) -> str:
    flags = [f for f, on in (("trusted", client.trusted), ("DISABLED", client.disabled),
                             ("self-registered", client.self_registered)) if on]
    keys = client.jwks_uri or (f"{len(client.jwks['keys'])} key(s) registered inline" if client.jwks else "")
    lines = [
        f"client_id:      {client.client_id}",
        f"name:           {client.name}",
        f"auth method:    {client.token_endpoint_auth_method}"
        + (" (strict)" if client.strict_auth_method else ""),
        f"redirect URIs:  {client.redirect_uris[0]}",
        *(f"                {uri}" for uri in client.redirect_uris[1:]),
        *([f"logout URIs:    {' '.join(client.post_logout_redirect_uris)}"] if client.post_logout_redirect_uris else []),
        *([f"member pubkey:  {client.member_pubkey}"] if client.member_pubkey else []),
        *([f"keys (JWKS):    {keys}"] if keys else []),
        f"owner BAP ID:   {client.owner_bap_id or '-'}",
        f"allowed groups: {', '.join(client.allowed_groups) or 'everyone on the server'}",
        f"flags:          {', '.join(flags) or '-'}",
        f"created:        {_when(client.created_at)}",
    ]
    return "\n".join(lines)


def _read_jwks(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise ValueError(f"--jwks-file: {exc.strerror}: {path}") from None


def _cmd_add(args: argparse.Namespace) -> int:
    with _open(args) as store:
        try:
            new = team.register_client(
                store, args.name, args.redirect_uri, member_pubkey=args.member_pubkey, auth_method=args.auth_method,
                allowed_groups=args.allowed_group or [], actor=team.cli_actor(),
                jwks=_read_jwks(args.jwks_file), jwks_uri=args.jwks_uri,
                post_logout_redirect_uris=args.post_logout_redirect_uri or [],
                owner_bap_id=args.owner_bap_id, trusted=args.trusted, client_id=args.client_id,
                strict_auth_method=args.strict_auth_method)
        except ValueError as exc:  # a bad field, the client id is taken (ClientExists), no such group
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(new.as_dict(), indent=2))
        return 0
    print(_describe(new.client))
    if new.client_secret is not None:
        print(f"client_secret:  {new.client_secret}")
        print("                (shown this once: store it in the app's settings now; Sigil keeps only a hash)")
    print(new.client_id)  # alone on the last line, for scripts
    return 0


def _cmd_rotate_secret(args: argparse.Namespace) -> int:
    with _open(args) as store:
        try:
            secret = admin.rotate_client_secret(store, args.client_id, args.grace)
        except admin.NoSuchClient:
            print(f"error: no client {args.client_id!r}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps({"client_id": args.client_id, "client_secret": secret,
                          "previous_secret_valid_for": args.grace}))
    else:
        old = f"keeps working for {args.grace:g} seconds" if args.grace > 0 else "stopped working"
        print(f"client_secret:  {secret}\n                (shown this once; the old secret {old})")
    return 0


def _cmd_registration_token(args: argparse.Namespace) -> int:
    from auth_server.oauth.registration import issue_registration_token

    with _open(args) as store:
        try:
            token = issue_registration_token(store, args.ttl)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps({"initial_access_token": token, "expires_in": args.ttl}))
    else:
        print(f"initial access token (one client, {args.ttl:g} seconds; shown this once):")
        print(token)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        clients = admin.clients(store)
    if args.json:
        print(json.dumps([c.as_dict() for c in clients], indent=2))
        return 0
    if not clients:
        print("no clients registered; add one with: sigil-server clients add --name ... --redirect-uri ... "
              "--auth-method ...")
        return 0
    width = max(len(c.client_id) for c in clients)
    for c in clients:
        state = "disabled" if c.disabled else ("trusted" if c.trusted else "")
        print(f"{c.client_id:<{width}}  {c.token_endpoint_auth_method:<19}  {c.name}  {' '.join(c.redirect_uris)}"
              f"  {state}".rstrip())
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        client = admin.client(store, args.client_id)
    if client is None:
        print(f"error: no client {args.client_id!r}", file=sys.stderr)
        return 1
    print(json.dumps(client.as_dict(), indent=2) if args.json else _describe(client))
    return 0


def _cmd_set(args: argparse.Namespace) -> int:
    if not args.allowed_group and not args.no_group_limit:
        print("error: say what to change: --allowed-group G (repeatable) or --no-group-limit", file=sys.stderr)
        return 2
    with _open(args) as store:
        if admin.client(store, args.client_id) is None:
            print(f"error: no client {args.client_id!r}", file=sys.stderr)
            return 1
        try:
            team.set_client_groups(store, args.client_id, [] if args.no_group_limit else args.allowed_group,
                                   actor=team.cli_actor())
        except team.TeamError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        client = admin.client(store, args.client_id)
    assert client is not None
    print(_describe(client))
    return 0


def _cmd_disable(args: argparse.Namespace) -> int:
    with _open(args) as store:
        found = admin.set_client_disabled(store, args.client_id, not args.enable)
    if not found:
        print(f"error: no client {args.client_id!r}", file=sys.stderr)
        return 1
    print(f"{args.client_id} {'enabled' if args.enable else 'disabled'}")
    return 0


def _cmd_approve(args: argparse.Namespace) -> int:
    with _open(args) as store:
        found = admin.approve_client(store, args.client_id)
    if not found:
        print(f"error: no client {args.client_id!r}", file=sys.stderr)
        return 1
    print(f"{args.client_id} approved: it is treated as a client you registered")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    with _open(args) as store:
        found = admin.remove_client(store, args.client_id)
    if not found:
        print(f"error: no client {args.client_id!r}", file=sys.stderr)
        return 1
    print(f"{args.client_id} removed, with its codes, tokens and consents")
    return 0


def add_client_commands(sub: argparse._SubParsersAction) -> None:
    clients = sub.add_parser("clients", help="register and manage OAuth clients (relying parties)")
    clients_sub = clients.add_subparsers(dest="clients_command", required=True)

    def command(name: str, help_text: str, handler) -> argparse.ArgumentParser:
        parser = clients_sub.add_parser(name, help=help_text)
        add_db_flag(parser)
        parser.set_defaults(handler=handler)
        return parser

    add = command("add", "register a client; prints its client_id alone on the last line", _cmd_add)
    add.add_argument("--name", required=True, help="shown to users on the consent page")
    add.add_argument("--redirect-uri", required=True, action="append",
                     help="exact redirect URI (repeat for several); https, or http on localhost")
    add.add_argument("--auth-method", choices=AUTH_METHODS, default=None,
                     help="how the client authenticates at the token endpoint (default: x_auth_token with "
                          "--member-pubkey, else client_secret_basic); none = public client (PKCE only)")
    add.add_argument("--strict-auth-method", action="store_true",
                     help="secret clients: accept only --auth-method (default: either client_secret_basic "
                          "or client_secret_post)")
    add.add_argument("--member-pubkey", default=None,
                     help="compressed pubkey (hex) whose X-Auth-Token authenticates the client (x_auth_token)")
    keys = add.add_mutually_exclusive_group()
    keys.add_argument("--jwks-uri", default=None, help="private_key_jwt: where the client publishes its keys")
    keys.add_argument("--jwks-file", default=None, help="private_key_jwt: a file holding the client's public JWKS")
    add.add_argument("--post-logout-redirect-uri", action="append", default=None,
                     help="exact URI the app may return to after sign-out (repeat for several)")
    add.add_argument("--json", action="store_true",
                     help="print one JSON object (with client_secret for the secret methods)")
    add.add_argument("--trusted", action="store_true", help="skip the consent screen for this client")
    add.add_argument("--owner-bap-id", default=None, help="BAP ID of the client's owner")
    add.add_argument("--client-id", default=None, help="choose the client_id (default: random)")
    add.add_argument("--allowed-group", action="append", default=None, metavar="G",
                     help="only members of group G may use the app (repeatable; default: everyone)")

    change = command("set", "change a client: which groups may use it", _cmd_set)
    change.add_argument("client_id")
    limit = change.add_mutually_exclusive_group()
    limit.add_argument("--allowed-group", action="append", default=None, metavar="G",
                       help="only members of group G may use the app (repeatable; replaces the list)")
    limit.add_argument("--no-group-limit", action="store_true", help="everyone on the server may use the app")

    rotate = command("rotate-secret", "give a secret client a new secret (printed once)", _cmd_rotate_secret)
    rotate.add_argument("client_id")
    rotate.add_argument("--grace", type=float, default=0.0, metavar="SECONDS",
                        help="let the old secret keep working this long (default: stop it now)")
    rotate.add_argument("--json", action="store_true")

    token = command("registration-token", "make an initial access token for one dynamic registration (RFC 7591; "
                    "serve with SIGIL_DYNAMIC_REGISTRATION=token or public)", _cmd_registration_token)
    token.add_argument("--ttl", type=float, default=24 * 3600, metavar="SECONDS",
                       help="how long it may be used (default: a day)")
    token.add_argument("--json", action="store_true")

    lst = command("list", "list clients", _cmd_list)
    lst.add_argument("--json", action="store_true")

    show = command("show", "show one client", _cmd_show)
    show.add_argument("client_id")
    show.add_argument("--json", action="store_true")

    disable = command("disable", "stop a client from signing users in (tokens stop working at once)", _cmd_disable)
    disable.add_argument("client_id")
    disable.add_argument("--enable", action="store_true", help="re-enable instead")

    approve = command("approve", "vouch for a self-registered client (RFC 7591): it may then embed the signer "
                      "frame and loses its \"not verified\" mark", _cmd_approve)
    approve.add_argument("client_id")

    remove = command("remove", "delete a client and everything issued to it", _cmd_remove)
    remove.add_argument("client_id")
