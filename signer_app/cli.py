"""The headless side of ``sigil``: ``sigil wallet ...``, ``sigil sign ...`` and ``sigil profile ...``.

Every command is a thin wrapper over :class:`signer_app.wallet.Wallet`. Secrets come
from a hidden prompt or from a file named on the command line (for scripts), never
from an argument (it would land in shell history and ``ps``). The only secrets ever
printed are the mnemonic right after ``create`` and the backup after ``export``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any
from pathlib import Path

from signer_app.wallet import (
    Identity,
    KeyringUnavailable,
    Wallet,
    WalletError,
    default_data_dir,
    detect_kind,
)
from signer_app.profiles import PROFILES_FILE, PictureError, ProfileError, ProfileStore, picture_from_file, validate_profile
from signer_app.wallet.backup import BackupFileError, read_backup, read_backup_file

COMMANDS = ("wallet", "sign", "profile")
Prompt = Callable[[str], str]

_BACKUP_WARNING = """\
WARNING: these words are the only backup of your wallet. Write them down on paper and
keep them offline. Anyone who sees them controls every identity in this wallet. They
will not be shown again (use `sigil wallet export` to see them later)."""


class CliError(Exception):
    """A usage problem found after parsing (a missing file, a mismatch); exit code 2."""


def _read_secret_file(path: str) -> str:
    """The file's text without its final newline (so `echo pass > f` works as expected)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _passphrase(args: argparse.Namespace, prompt: Prompt, *, new: bool = False, label: str = "Unlock passphrase") -> str:
    if args.passphrase_file:
        return _read_secret_file(args.passphrase_file)
    first = prompt(f"{label}: ")
    if new:
        if first != prompt("Repeat it: "):
            raise CliError("the two passphrases differ")
    return first


def _bip39_passphrase(args: argparse.Namespace, prompt: Prompt) -> str:
    if getattr(args, "bip39_passphrase_file", None):
        return _read_secret_file(args.bip39_passphrase_file)
    if getattr(args, "ask_bip39_passphrase", False):
        return prompt("BIP39 passphrase (the optional \"25th word\"): ")
    return ""


def _format_identity(identity: Identity) -> str:
    flags = [flag for flag, on in (("default", identity.is_default), ("hidden", identity.hidden)) if on]
    suffix = f" ({', '.join(flags)})" if flags else ""
    return f"{identity.bap_id}  {identity.pubkey}  {identity.address}  {identity.label}{suffix}"


def _wallet(args: argparse.Namespace) -> Wallet:
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    return Wallet(data_dir, wallet_name=args.wallet, allow_file_fallback=args.allow_file_fallback, auto_lock_seconds=None)


def _unlocked(args: argparse.Namespace, prompt: Prompt) -> Wallet:
    wallet = _wallet(args)
    if not wallet.exists():
        raise WalletError(f"there is no wallet {args.wallet!r} in {wallet.data_dir}; run `sigil wallet create` first")
    wallet.unlock(_passphrase(args, prompt))
    return wallet


# -- commands -----------------------------------------------------------------------------


def _cmd_create(args: argparse.Namespace, prompt: Prompt) -> int:
    wallet = _wallet(args)
    if wallet.exists():
        raise WalletError(f"a wallet {args.wallet!r} already exists in {wallet.data_dir}")
    passphrase = _passphrase(args, prompt, new=True, label="New unlock passphrase")
    mnemonic = wallet.create(passphrase, words=args.words, bip39_passphrase=_bip39_passphrase(args, prompt), label=args.label)
    wallet.lock()
    print(_BACKUP_WARNING, file=sys.stderr)
    print(mnemonic)
    del mnemonic
    print(f"Stored in: {wallet.storage_description()}", file=sys.stderr)
    for identity in wallet.identities():
        print(_format_identity(identity))
    return 0


def _backup_password(args: argparse.Namespace, prompt: Prompt, *, new: bool = False) -> str:
    if args.backup_password_file:
        return _read_secret_file(args.backup_password_file)
    first = prompt("New backup file password (at least 8 characters): " if new else "Backup file password: ")
    if new and first != prompt("Repeat it: "):
        raise CliError("the two backup passwords differ")
    return first


def _read_backup_file(path: str) -> bytes:
    try:
        return read_backup_file(path)
    except BackupFileError as exc:  # a usage problem (exit code 2), not a wallet error
        raise CliError(str(exc)) from None


def _cmd_import_backup(args: argparse.Namespace, prompt: Prompt, wallet: Wallet) -> int:
    """The backup's password is checked (and the file read in full) before anything is asked or written."""
    contents = read_backup(_read_backup_file(args.backup), _backup_password(args, prompt))
    wallet.install_backup(contents, _passphrase(args, prompt, new=True, label="New unlock passphrase"))
    wallet.lock()
    print(f"Imported a {contents.source} backup; stored in: {wallet.storage_description()}", file=sys.stderr)
    for identity in wallet.identities(include_hidden=True):
        print(_format_identity(identity))
    return 0


def _cmd_import(args: argparse.Namespace, prompt: Prompt) -> int:
    wallet = _wallet(args)
    if wallet.exists():
        raise WalletError(f"a wallet {args.wallet!r} already exists in {wallet.data_dir}")
    if args.backup:
        return _cmd_import_backup(args, prompt, wallet)
    if args.mnemonic_file:
        secret = _read_secret_file(args.mnemonic_file)
    else:
        secret = prompt("Mnemonic words (or a master xprv, or a WIF key): ")
    kind = detect_kind(secret)
    passphrase = _passphrase(args, prompt, new=True, label="New unlock passphrase")
    if kind == "xprv":
        wallet.import_xprv(secret, passphrase, label=args.label)
    elif kind == "wif":
        wallet.import_wif(secret, passphrase, label=args.label)
    else:
        wallet.import_mnemonic(secret, passphrase, bip39_passphrase=_bip39_passphrase(args, prompt), label=args.label)
    del secret
    wallet.lock()
    print(f"Imported a {kind} wallet; stored in: {wallet.storage_description()}", file=sys.stderr)
    for identity in wallet.identities():
        print(_format_identity(identity))
    return 0


def _write_new_file(path: str, text: str) -> None:
    """Create ``path`` (0600), refusing to replace an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CliError(f"{path} already exists; choose another file name") from None
    except OSError as exc:
        raise CliError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)


def _cmd_export_backup(args: argparse.Namespace, prompt: Prompt, wallet: Wallet) -> int:
    if os.path.exists(args.backup):
        raise CliError(f"{args.backup} already exists; choose another file name")
    passphrase = _passphrase(args, prompt, label="Unlock passphrase")
    text = wallet.export_backup(passphrase, _backup_password(args, prompt, new=True))
    _write_new_file(args.backup, text)
    print(f"Wrote an encrypted backup of {len(wallet.identities(include_hidden=True))} identities to {args.backup} "
          "(bitcoin-backup .bep format; keep its password safe)", file=sys.stderr)
    return 0


def _cmd_export(args: argparse.Namespace, prompt: Prompt) -> int:
    wallet = _wallet(args)
    if not wallet.exists():
        raise WalletError(f"there is no wallet {args.wallet!r} in {wallet.data_dir}")
    if args.backup:
        return _cmd_export_backup(args, prompt, wallet)
    secret = wallet.export_secret(_passphrase(args, prompt, label="Type your unlock passphrase again to show the backup"))
    print("WARNING: this is your wallet's secret backup. Anyone who sees it controls your identities.", file=sys.stderr)
    if wallet.has_bip39_passphrase:
        print("This wallet also uses a BIP39 passphrase (not shown); restoring needs both.", file=sys.stderr)
    print(secret)
    return 0


def _cmd_identities(args: argparse.Namespace, prompt: Prompt) -> int:
    wallet = _wallet(args)
    if not wallet.exists():
        raise WalletError(f"there is no wallet {args.wallet!r} in {wallet.data_dir}")
    for identity in wallet.identities(include_hidden=args.all):
        print(_format_identity(identity))
    return 0


def _cmd_add_identity(args: argparse.Namespace, prompt: Prompt) -> int:
    wallet = _unlocked(args, prompt)
    try:
        label = args.label or f"Identity {len(wallet.identities(include_hidden=True)) + 1}"
        print(_format_identity(wallet.add_identity(label)))
    finally:
        wallet.lock()
    return 0


def _cmd_lock_status(args: argparse.Namespace, prompt: Prompt) -> int:
    wallet = _wallet(args)
    if not wallet.exists():
        print(f"no wallet {args.wallet!r} in {wallet.data_dir}")
        print(f"storage: {wallet.storage_description()}")
        return 1
    default = wallet.default_identity()
    print(f"wallet: {args.wallet} ({wallet.kind}, {len(wallet.identities(include_hidden=True))} identities)")
    print(f"storage: {wallet.storage_description()}")
    print(f"default identity: {default.bap_id if default else '-'}")
    print("state: locked (the CLI unlocks for one command at a time and keeps no keys)")
    return 0


def _cmd_sign(args: argparse.Namespace, prompt: Prompt) -> int:
    body = _read_secret_file(args.body_file) if args.body_file else args.body
    wallet = _unlocked(args, prompt)
    try:
        token = wallet.sign_token(args.path, body, scheme=args.scheme, bap_id=args.identity)
    finally:
        wallet.lock()
    print(token)
    return 0


# -- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="wallet data dir (default: $SIGIL_DATA_DIR or the user data dir)")
    common.add_argument("--wallet", default="default", help="wallet name (default: %(default)s)")
    common.add_argument("--passphrase-file", metavar="FILE", help="read the unlock passphrase from FILE instead of a prompt")
    common.add_argument(
        "--allow-file-fallback",
        action="store_true",
        help="if no OS keyring works, keep the encrypted wallet in a 0600 file in the data dir",
    )

    parser = argparse.ArgumentParser(prog="sigil", description="Sigil desktop signer (headless commands).")
    commands = parser.add_subparsers(dest="command", required=True)

    wallet = commands.add_parser("wallet", help="create, import, back up and inspect the wallet")
    actions = wallet.add_subparsers(dest="action", required=True)

    create = actions.add_parser("create", parents=[common], help="make a new wallet and show its mnemonic once")
    create.add_argument("--words", type=int, choices=(12, 24), default=12)
    create.add_argument("--label", default="Identity 1", help="label of the first identity")
    _bip39_options(create)
    create.set_defaults(handler=_cmd_create)

    imp = actions.add_parser("import", parents=[common],
                             help="restore from a mnemonic, a master xprv, a WIF or a .bep backup file")
    source = imp.add_mutually_exclusive_group()
    source.add_argument("--mnemonic-file", metavar="FILE", help="read the mnemonic (or xprv / WIF) from FILE instead of a prompt")
    source.add_argument("--backup", metavar="FILE.bep",
                        help="import an encrypted backup file (TokenPass, bsv-bap / bitcoin-backup, or Sigil's export)")
    _backup_password_option(imp)
    imp.add_argument("--label", default="Identity 1", help="label of the first identity")
    _bip39_options(imp)
    imp.set_defaults(handler=_cmd_import)

    export = actions.add_parser("export", parents=[common], help="show the backup (asks for the passphrase again)")
    export.add_argument("--backup", metavar="FILE.bep",
                        help="write an encrypted backup file instead (opens in TokenPass and bitcoin-backup)")
    _backup_password_option(export)
    export.set_defaults(handler=_cmd_export)

    identities = actions.add_parser("identities", parents=[common], help="list identities: BAP ID, member pubkey, address")
    identities.add_argument("--all", action="store_true", help="include hidden identities")
    identities.set_defaults(handler=_cmd_identities)

    add = actions.add_parser("add-identity", parents=[common], help="derive the next BAP identity")
    add.add_argument("--label", help="label of the new identity")
    add.set_defaults(handler=_cmd_add_identity)

    status = actions.add_parser("lock-status", parents=[common], help="where the wallet is stored and its state")
    status.set_defaults(handler=_cmd_lock_status)

    sign = commands.add_parser("sign", parents=[common], help="print an X-Auth-Token for a request path (and body)")
    sign.add_argument("--path", required=True, help="request path, e.g. /api/auth/sign-in/sigma")
    body = sign.add_mutually_exclusive_group()
    body.add_argument("--body", help="request body to bind (hashed as UTF-8)")
    body.add_argument("--body-file", metavar="FILE", help="read the request body from FILE")
    sign.add_argument("--scheme", choices=("brc77", "bsm"), default="brc77")
    sign.add_argument("--identity", metavar="BAPID", help="sign as this identity (default: the default identity)")
    sign.set_defaults(handler=_cmd_sign)
    _profile_parsers(commands, common)
    return parser


def _profile_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    profile = commands.add_parser("profile", help="show or edit an identity's profile (what Sigil servers receive)")
    actions = profile.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", parents=[common], help="print the identity's profile as JSON")
    show.add_argument("--identity", metavar="BAPID", help="this identity (default: the default identity)")
    show.set_defaults(handler=_cmd_profile_show)
    edit = actions.add_parser("set", parents=[common], help="change fields of the identity's profile")
    edit.add_argument("--identity", metavar="BAPID", help="this identity (default: the default identity)")
    edit.add_argument("--name", help="display name ('' clears it)")
    edit.add_argument("--username", help="lowercase handle servers keep as preferred_username ('' clears it)")
    picture = edit.add_mutually_exclusive_group()
    picture.add_argument("--picture-file", metavar="FILE",
                         help="an image file, cropped to a square and scaled down as the desktop editor does")
    picture.add_argument("--picture-url", metavar="URL", help="an https picture address ('' clears the picture)")
    edit.set_defaults(handler=_cmd_profile_set)


def _profile_target(args: argparse.Namespace) -> tuple[ProfileStore, str]:
    """The data dir's profile store and the identity named (or the default one)."""
    wallet = _wallet(args)
    if not wallet.exists():
        raise WalletError(f"there is no wallet {args.wallet!r} in {wallet.data_dir}")
    known = {identity.bap_id for identity in wallet.identities(include_hidden=True)}
    if args.identity is not None and args.identity not in known:
        raise CliError(f"no identity {args.identity!r} in this wallet (see `sigil wallet identities`)")
    default = wallet.default_identity()
    bap_id = args.identity or (default.bap_id if default else None)
    if bap_id is None:
        raise CliError("this wallet has no identity yet")
    return ProfileStore(wallet.data_dir / PROFILES_FILE), bap_id


def _cmd_profile_show(args: argparse.Namespace, prompt: Prompt) -> int:
    store, bap_id = _profile_target(args)
    print(json.dumps({"bapId": bap_id, **store.get(bap_id)}, indent=1, ensure_ascii=False))
    return 0


def _cmd_profile_set(args: argparse.Namespace, prompt: Prompt) -> int:
    store, bap_id = _profile_target(args)
    data: dict[str, object] = {}
    if args.name is not None:
        data["displayName"] = args.name
    if args.username is not None:
        data["username"] = args.username
    try:
        if args.picture_file is not None:
            data["picture"] = picture_from_file(args.picture_file)
        elif args.picture_url is not None:
            data["picture"] = args.picture_url
        changes = validate_profile(data)
    except (ProfileError, PictureError) as exc:
        raise CliError(str(exc)) from None
    record = store.update(bap_id, changes)
    print(f"profile of {bap_id}: " + (", ".join(sorted(record)) or "empty"))
    return 0


def _backup_password_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--backup-password-file", metavar="FILE",
                     help="read the backup file's password from FILE instead of a prompt")


def _bip39_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--bip39-passphrase-file", metavar="FILE", help="read an optional BIP39 passphrase from FILE")
    group.add_argument("--ask-bip39-passphrase", action="store_true", help="prompt for an optional BIP39 passphrase")


def run_cli(argv: Sequence[str], prompt: Prompt | None = None) -> int | None:
    """Run a headless command; ``None`` when ``argv`` is not one (the caller starts the GUI)."""
    args_list = list(argv)
    if not args_list or args_list[0] not in COMMANDS:
        return None
    args = build_parser().parse_args(args_list)
    ask = prompt or getpass.getpass
    try:
        return args.handler(args, ask)
    except KeyringUnavailable as exc:
        print(f"sigil: {exc}", file=sys.stderr)
        print("sigil: re-run with --allow-file-fallback to keep the encrypted wallet in a 0600 file instead",
              file=sys.stderr)
        return 1
    except WalletError as exc:
        print(f"sigil: {exc}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"sigil: {exc}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nsigil: cancelled", file=sys.stderr)
        return 130
