"""``sigil-server``: the headless server's command line.

Each command group lives in a small ``_add_*`` function so that features add
their own subcommands without touching the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from auth_server import __version__
from auth_server.crypto import TokenError, make_token, private_key_from_wif, verify_token
from auth_server.cli_clients import add_client_commands
from auth_server.server_commands import add_server_commands


def _cmd_token_make(args: argparse.Namespace) -> int:
    try:
        key = private_key_from_wif(args.wif)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(make_token(key, args.path, body=args.body, scheme=args.scheme))
    return 0


def _cmd_token_verify(args: argparse.Namespace) -> int:
    try:
        token = verify_token(args.token, args.path, body=args.body, window_seconds=args.window)
    except TokenError as exc:
        print(f"invalid ({exc.code}): {exc}")
        return 1
    print(token.pubkey)
    return 0


def _add_token_commands(sub: argparse._SubParsersAction) -> None:
    token = sub.add_parser("token", help="make or check X-Auth-Token headers (for debugging clients)")
    token_sub = token.add_subparsers(dest="token_command", required=True)

    make = token_sub.add_parser("make", help="print a token signed with a WIF key")
    make.add_argument("--wif", required=True, help="WIF private key to sign with")
    make.add_argument("--path", required=True, help="request path the token is for, e.g. /api/auth/sign-in/sigma")
    make.add_argument("--body", default=None, help="request body the token covers (UTF-8 text)")
    make.add_argument("--scheme", choices=("brc77", "bsm"), default="brc77")
    make.set_defaults(handler=_cmd_token_make)

    verify = token_sub.add_parser("verify", help="check a token; print its pubkey (exit 0) or the reason (exit 1)")
    verify.add_argument("token")
    verify.add_argument("--path", required=True, help="request path the token must be for")
    verify.add_argument("--body", default=None, help="request body the token must cover")
    verify.add_argument("--window", type=float, default=300.0, help="allowed clock difference in seconds")
    verify.set_defaults(handler=_cmd_token_verify)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sigil-server", description="Sigil's Sigma-compatible auth server")
    parser.add_argument("--version", action="version", version=f"sigil-server {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_token_commands(sub)
    add_server_commands(sub)
    add_client_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from auth_server.store.engine import StoreUnavailable

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except StoreUnavailable as exc:  # a PostgreSQL URL that does not answer: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
