"""``sigil-server``: the headless server's command line.

Each command group lives in a small ``_add_*`` function so that features add
their own subcommands without touching the others.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from auth_server import __version__
from auth_server.crypto import TokenError, make_token, private_key_from_wif, verify_token
from auth_server.cli_clients import add_client_commands
from auth_server.cli_users import add_user_commands
from auth_server.cli_keys import add_key_commands
from auth_server.server_commands import add_server_commands


class CliError(Exception):
    """A usage problem found after parsing; printed as ``error: ...`` with exit code 2."""


#: why a secret given as an argument is refused rather than used
_ON_COMMAND_LINE = ("a secret on the command line is visible to every user of the machine (ps, /proc) "
                    "and stays in shell history")


def _read_secret_file(path: str) -> str:
    """The file's text without surrounding whitespace (``echo "$WIF" > f`` works)."""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _wif(args: argparse.Namespace, prompt: Callable[[str], str]) -> str:
    if args.wif is not None:
        raise CliError(f"--wif is refused: {_ON_COMMAND_LINE}; use --wif-file FILE, or leave it out to be prompted")
    if args.wif_file:
        return _read_secret_file(args.wif_file)
    return prompt("WIF private key: ").strip()


def _cmd_token_make(args: argparse.Namespace) -> int:
    wif = _wif(args, getpass.getpass)
    try:
        key = private_key_from_wif(wif)
    except ValueError as exc:  # the message names the rule broken, never the value
        raise CliError(str(exc)) from None
    print(make_token(key, args.path, body=args.body, scheme=args.scheme))
    return 0


def _cmd_token_verify(args: argparse.Namespace) -> int:
    if args.token is not None and args.token != "-":
        raise CliError(f"a token argument is refused: {_ON_COMMAND_LINE}; pipe it on stdin or use --token-file FILE")
    text = _read_secret_file(args.token_file) if args.token_file else sys.stdin.read().strip()
    try:
        token = verify_token(text, args.path, body=args.body, window_seconds=args.window)
    except TokenError as exc:
        print(f"invalid ({exc.code}): {exc}")
        return 1
    print(token.pubkey)
    return 0


def _add_token_commands(sub: argparse._SubParsersAction) -> None:
    token = sub.add_parser("token", help="make or check X-Auth-Token headers (for debugging clients)")
    token_sub = token.add_subparsers(dest="token_command", required=True)

    make = token_sub.add_parser("make", help="print a token signed with a WIF key (read from a file or a prompt)")
    make.add_argument("--wif-file", metavar="FILE", help="read the WIF private key from FILE instead of a prompt")
    make.add_argument("--wif", help=argparse.SUPPRESS)  # refused with the reason (see _wif)
    make.add_argument("--path", required=True, help="request path the token is for, e.g. /api/auth/sign-in/sigma")
    make.add_argument("--body", default=None, help="request body the token covers (UTF-8 text)")
    make.add_argument("--scheme", choices=("brc77", "bsm"), default="brc77")
    make.set_defaults(handler=_cmd_token_make)

    verify = token_sub.add_parser("verify", help="check a token read from stdin; print its pubkey (exit 0) or the "
                                                 "reason (exit 1)")
    verify.add_argument("token", nargs="?", help=argparse.SUPPRESS)  # only "-"; a token here is refused
    verify.add_argument("--token-file", metavar="FILE", help="read the token from FILE instead of stdin")
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
    add_user_commands(sub)
    add_key_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from auth_server.outages import StoreUnavailable
    from auth_server.paths import DatabaseURLError

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except StoreUnavailable as exc:  # a PostgreSQL URL that does not answer: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (CliError, DatabaseURLError) as exc:  # (a bad --db's message hides its password)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nerror: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
