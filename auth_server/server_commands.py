"""``sigil-server serve | migrate | sessions | db``: run and administer the server (the team's
commands, ``users | groups | audit``, are in :mod:`auth_server.cli_users`).

Every ``serve`` flag can also come from an environment variable (``SIGIL_HOST``,
``SIGIL_PORT``, ``SIGIL_DB``, ``SIGIL_BASE_URL``, ...; see :data:`auth_server.config.ENV_VARS`);
a flag beats the variable. ``--db`` (or ``SIGIL_DB``) is a SQLite file or a
``postgresql://`` URL. The admin commands work on the same database, also while a server
runs (SQLite WAL plus a busy timeout; PostgreSQL's own concurrency).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from auth_server import admin
from auth_server.config import Settings


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings.from_env(db_path=getattr(args, "db", None), **extra)


DB_HELP = ("SQLite file or postgresql://user@host:port/dbname URL "
           "(env SIGIL_DB; default: <user data dir>/sigil/sigil.db)")


def add_db_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help=DB_HELP)


SECRET_FILE_HELP = ("the file whose key seals the signing keys in the database; every instance on one database "
                    "needs the same one (env SIGIL_SECRET_FILE; default on SQLite: secret.key beside the database, "
                    "made on first start; required on PostgreSQL)")


def add_secret_file_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret-file", type=Path, default=None, metavar="FILE", help=SECRET_FILE_HELP)


def _cmd_serve(args: argparse.Namespace) -> int:
    from auth_server.serving.bootstrap import serve_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = _settings(
            args, host=args.host, port=args.port, base_url=args.base_url, threads=args.threads, workers=args.workers,
            rate_limit_enabled=False if args.no_rate_limit else None,
            log_requests=False if args.quiet else None,
            trusted_origins=args.trusted_origin or None,
            trusted_proxies=args.trusted_proxy or None, sign_up=args.sign_up,
            secret_file=args.secret_file,
        )
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return serve_forever(settings)
    except OSError as exc:
        print(f"error: cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # found at start: a secret file missing or not the keys' (SecretFileError)
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _open_store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from auth_server.store import Store

    settings = _settings(args)
    return Store.open(settings.db_path, clock=settings.clock, migrate_now=False), settings


def _cmd_migrate(args: argparse.Namespace) -> int:
    store, _ = _open_store(args)
    with store:
        applied = store.migrate()
        where = store.describe()
    for migration in applied:
        print(f"applied {migration.version}: {migration.name}")
    print(f"{where}: schema up to date ({len(applied)} applied now)")
    return 0


def _cmd_db_copy(args: argparse.Namespace) -> int:
    from auth_server.store import Store
    from auth_server.store.transfer import TargetNotEmpty, copy_database

    with Store.open(args.source) as source, Store.open(args.target) as target:
        try:
            copied = copy_database(source, target, replace=args.replace)
        except TargetNotEmpty as exc:
            print(f"error: {target.describe()} is not empty ({exc}); pass --replace to overwrite it",
                  file=sys.stderr)
            return 1
        where = f"{source.describe()} -> {target.describe()}"
    width = max(len(table) for table in copied)
    for table, count in copied.items():
        print(f"{table:<{width}}  {count}")
    print(f"copied {sum(copied.values())} rows: {where}")
    return 0


def _cmd_sessions_revoke(args: argparse.Namespace) -> int:
    store, _ = _open_store(args)
    with store:
        store.migrate()
        try:
            count = admin.revoke_sessions(store, args.user)
        except admin.NoSuchUser as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"revoked {count} session(s) of user {args.user}")
    return 0


def add_server_commands(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run the auth server (waitress)")
    serve.add_argument("--host", default=None, help="interface to bind (env SIGIL_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="TCP port, 0 for any free one (env SIGIL_PORT; default 3000)")
    serve.add_argument("--base-url", default=None, help="public URL of the server (env SIGIL_BASE_URL; default http://host:port)")
    serve.add_argument("--trusted-origin", action="append", default=None,
                       help="another origin allowed to use the session cookie (repeatable; env SIGIL_TRUSTED_ORIGINS, comma-separated)")
    serve.add_argument("--trusted-proxy", action="append", default=None, metavar="ADDR",
                       help="a reverse proxy (address or CIDR network) whose X-Forwarded-For and X-Forwarded-Proto "
                            "are believed (repeatable; env SIGIL_TRUSTED_PROXIES, comma-separated)")
    serve.add_argument("--threads", type=int, default=None,
                       help="request threads per worker, or 0 to serve requests on the I/O loop (env SIGIL_THREADS; default 8)")
    serve.add_argument("--workers", type=int, default=None,
                       help="processes serving the port, to use several cores (env SIGIL_WORKERS; default 1)")
    serve.add_argument("--sign-up", choices=("open", "invite", "closed"), default=None,
                       help="who may make an account: any key (open, the default), an invitation or an identity "
                            "let in ahead of time (invite), only identities let in (closed) (env SIGIL_SIGN_UP)")
    serve.add_argument("--no-rate-limit", action="store_true", help="turn sign-in rate limits off (benchmarks; env SIGIL_RATE_LIMIT=0)")
    serve.add_argument("--quiet", action="store_true", help="no per-request log lines (env SIGIL_LOG_REQUESTS=0)")
    add_secret_file_flag(serve)
    add_db_flag(serve)
    serve.set_defaults(handler=_cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    add_db_flag(migrate)
    migrate.set_defaults(handler=_cmd_migrate)

    sessions = sub.add_parser("sessions", help="manage sessions")
    sessions_sub = sessions.add_subparsers(dest="sessions_command", required=True)
    revoke = sessions_sub.add_parser("revoke", help="revoke every session of a user")
    revoke.add_argument("--user", required=True, help="user id (see `users list`)")
    add_db_flag(revoke)
    revoke.set_defaults(handler=_cmd_sessions_revoke)

    db = sub.add_parser("db", help="whole-database operations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    copy = db_sub.add_parser("copy", help="copy a whole database (SQLite <-> PostgreSQL); prints rows per table")
    copy.add_argument("source", help="SQLite file or postgresql:// URL to read")
    copy.add_argument("target", help="SQLite file or postgresql:// URL to write (created and migrated if new)")
    copy.add_argument("--replace", "--force", action="store_true",
                      help="empty a target that holds data instead of refusing")
    copy.set_defaults(handler=_cmd_db_copy)
