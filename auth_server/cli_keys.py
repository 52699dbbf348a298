"""``sigil-server keys ...``: list, rotate and retire the id_token signing keys in the store.

The keys are rows of the shared database (:mod:`auth_server.oauth.signing_keys`), so one
command on any machine that reaches the database rotates the keys of every instance:
they read the table every few seconds and switch to a new key at its activation moment.
``rotate`` seals the new private key and so needs the servers' secret file
(``--secret-file`` / ``SIGIL_SECRET_FILE``, as for ``serve``); ``list`` and ``retire`` do not.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from auth_server.config import Settings
from auth_server.oauth.secret_file import KeyCipher, SecretFileError, make_secret_file
from auth_server.oauth.signing_keys import (
    CLOCK_LEEWAY, DEFAULT_ACTIVATE_IN, JWKS_MAX_AGE, KeyRuleError, KeyState, key_states, retire, rotate, secret_path,
)
from auth_server.server_commands import add_db_flag, add_secret_file_flag
from auth_server.store import Store

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``1h``, ``2d`` as seconds (argparse type)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (say 90s, 30m, 1h or 2d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(db_path=args.db, secret_file=getattr(args, "secret_file", None))


def _overlap(settings: Settings) -> float:
    return settings.id_token_ttl + CLOCK_LEEWAY


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _line(state: KeyState) -> str:
    return (f"{state.row.kid:<43}  {state.row.alg:<5}  {state.state:<7}  {_when(state.row.created_at):<19}  "
            f"{_when(state.activated_at):<19}  {_when(state.retires_at)}")


def _cmd_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with Store.open(settings.db_path, clock=settings.clock) as store:
        now = settings.clock()
        states = key_states(store.signing_keys.all(), now, _overlap(settings))
    if args.json:
        print(json.dumps([s.as_dict() for s in states], indent=2))
        return 0
    if not states:
        print("no signing keys yet: the first start of `sigil-server serve` makes one")
        return 0
    print(f"{'kid':<43}  {'alg':<5}  {'state':<7}  {'created (UTC)':<19}  {'activated':<19}  retired")
    for state in states:
        print(_line(state))
    return 0


def _cmd_rotate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.activate_in < JWKS_MAX_AGE:
        print(f"warning: --activate-in is shorter than the JWKS cache time ({JWKS_MAX_AGE} s): apps that fetched "
              "the JWKS before the rotation may reject id_tokens signed with the new key until they fetch it again",
              file=sys.stderr)
    with Store.open(settings.db_path, clock=settings.clock) as store:
        try:
            cipher = KeyCipher.from_file(secret_path(settings))
            state = rotate(store.signing_keys, cipher, settings.id_token_alg, settings.clock(), args.activate_in,
                           _overlap(settings))
        except (SecretFileError, KeyRuleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(state.as_dict(), indent=2))
        return 0
    print(f"{state.row.kid} ({state.row.alg}) is published now and signs from {_when(state.activated_at)} UTC on "
          "every instance; the key it replaces stays published until its last id_token has expired")
    return 0


def _cmd_retire(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with Store.open(settings.db_path, clock=settings.clock) as store:
        try:
            done = retire(store.signing_keys, args.kid, settings.clock(), _overlap(settings))
        except KeyRuleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if done.warning:
        print(f"WARNING: {done.warning}", file=sys.stderr)
    print(f"{done.kid} retired (it was {done.was}): dropped from the JWKS within seconds, its private key erased")
    return 0


def _cmd_new_secret_file(args: argparse.Namespace) -> int:
    try:
        make_secret_file(Path(args.path))
    except (SecretFileError, OSError) as exc:
        print(f"error: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    print(f"made {args.path} (0600). Give every instance on the database this same file (--secret-file or "
          "SIGIL_SECRET_FILE) and back it up: without it the signing keys in the database cannot be used")
    return 0


def add_key_commands(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="list, rotate and retire the id_token signing keys (shared by every instance)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)

    lst = keys_sub.add_parser("list", help="every key: kid, alg, state (next, active, old, retired) and its times")
    lst.add_argument("--json", action="store_true", help="print JSON (times as Unix seconds)")
    add_db_flag(lst)
    lst.set_defaults(handler=_cmd_list)

    rot = keys_sub.add_parser("rotate", help="add the next key: published now, signing after --activate-in")
    rot.add_argument("--activate-in", type=parse_duration, default=DEFAULT_ACTIVATE_IN, metavar="DURATION",
                     help="when the new key starts signing (90s, 30m, 1h, 2d; default 1h): apps refresh their JWKS "
                          f"cache ({JWKS_MAX_AGE} s) meanwhile")
    rot.add_argument("--json", action="store_true")
    add_db_flag(rot)
    add_secret_file_flag(rot)
    rot.set_defaults(handler=_cmd_rotate)

    ret = keys_sub.add_parser("retire", help="drop a key from the JWKS now and erase it (not the active key; an old "
                                             "key only if it leaked: its tokens stop verifying)")
    ret.add_argument("kid", help="the key's kid (see `keys list`); one that starts with - goes after --: "
                                 "keys retire -- -Abc...")
    add_db_flag(ret)
    ret.set_defaults(handler=_cmd_retire)

    new = keys_sub.add_parser("new-secret-file", help="make a secret file (0600) for --secret-file; "
                                                      "never overwrites one")
    new.add_argument("path")
    new.set_defaults(handler=_cmd_new_secret_file)


__all__ = ["add_key_commands", "parse_duration"]
