"""Where Sigil keeps its files: one answer for the server, the desktop app and the wallet.

The server's database, the desktop app's wallet metadata, grants and activity log, and
the settings file all derive from the functions below, so they cannot disagree on a
platform (on Windows ``appauthor=False`` keeps ``%LOCALAPPDATA%\\sigil`` rather than
``%LOCALAPPDATA%\\sigil\\sigil``). ``SIGIL_DATA_DIR`` isolates an instance (tests, the
e2e run, a second install): data, settings and cache then all live under it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "sigil"
DATA_DIR_ENV = "SIGIL_DATA_DIR"


def _override(environ: Mapping[str, str] | None) -> Path | None:
    value = (os.environ if environ is None else environ).get(DATA_DIR_ENV, "")
    return Path(value).expanduser() if value else None


def platform_data_dir() -> Path:
    """The platform's user data dir for Sigil (``~/.local/share/sigil`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir(environ: Mapping[str, str] | None = None, *, create: bool = False) -> Path:
    """``$SIGIL_DATA_DIR`` when set, else :func:`platform_data_dir`; made on request."""
    path = _override(environ) or platform_data_dir()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir(environ: Mapping[str, str] | None = None, *, create: bool = False) -> Path:
    """Where ``settings.json`` lives: the data dir when ``SIGIL_DATA_DIR`` isolates an instance."""
    path = _override(environ) or Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Files that may be deleted at any time (``<data dir>/cache`` under ``SIGIL_DATA_DIR``)."""
    override = _override(environ)
    return override / "cache" if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    """The server's SQLite file, ``<platform data dir>/sigil.db``; ``SIGIL_DB`` or ``--db`` choose another.

    The standalone server does not follow ``SIGIL_DATA_DIR`` (its own knob is ``SIGIL_DB``);
    the desktop app puts its embedded server's database in its data dir explicitly.
    """
    return platform_data_dir() / "sigil.db"


#: a database target with one of these prefixes is a PostgreSQL URL; anything else a SQLite file
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: str | Path) -> bool:
    """Whether ``target`` (``--db``, ``SIGIL_DB``) names a shared PostgreSQL database."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


class DatabaseURLError(ValueError):
    """A ``--db`` / ``SIGIL_DB`` value that looks like a database URL but is not one Sigil can
    use; the message never repeats a password the value may carry."""


# "scheme:" at the start of a target: a URL, not a file name (``sqlite:`` is the one file scheme)
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# userinfo's password: from the first ":" after the scheme's slashes and user name up to the
# LAST "@" (an unencoded "@", "/", "?" or "#" in a password is still hidden; at worst more is masked)
_USERINFO_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:/*[^/:@?#]*):.*@", re.DOTALL)
# libpq takes ``password=`` (and ``passfile=``, a path worth keeping private too) as query parameters
_QUERY_SECRET = re.compile(r"(?i)([?&;]\s*(?:password|passfile|sslpassword)\s*=)[^&;#]*")


def redact_database_url(target: str | Path) -> str:
    """``target`` as it may be shown (errors, logs, the serve banner): every password it can
    carry (``user:PW@``, also in a one-slash or otherwise malformed URL, and ``?password=`` /
    ``&password=``) replaced by ``***``. A plain file path comes back unchanged."""
    text = str(target)
    if not _URL_SCHEME.match(text) or text.lower().startswith("sqlite:"):
        return text
    text = _USERINFO_PASSWORD.sub(lambda m: m.group(1) + ":***@", text)
    return _QUERY_SECRET.sub(lambda m: m.group(1) + "***", text)


def check_database_target(target: str | Path) -> None:
    """Refuse a target that names a URL but not in a form Sigil reads: ``postgresql:/user@host``
    (one slash), ``POSTGRESQL://``, ``postgres:host``, ``mysql://...``. Without this such a
    value became a SQLite file named after the URL, password included, printed in the banner."""
    if not isinstance(target, str) or is_postgres(target):
        return
    match = _URL_SCHEME.match(target)
    if match is None or match.group(1).lower() == "sqlite" or len(match.group(1)) == 1:
        return  # a path (one letter: a Windows drive), or sqlite:PATH
    scheme = match.group(1).lower()
    if scheme in ("postgresql", "postgres"):
        raise DatabaseURLError(
            f"malformed PostgreSQL URL {redact_database_url(target)!r}: write postgresql://user@host:port/dbname "
            "(lowercase scheme, two slashes); keep the password in PGPASSWORD or ~/.pgpass")
    raise DatabaseURLError(f"unsupported database URL {redact_database_url(target)!r}: "
                           "use a SQLite file path, sqlite:PATH or postgresql://user@host:port/dbname")


def sqlite_path(target: str | Path) -> Path:
    """The file a SQLite target names (``sqlite:`` prefix optional)."""
    text = str(target)
    if text.startswith("sqlite:"):
        text = text[len("sqlite:"):]
        if text.startswith("//"):  # sqlite:///abs/path, as SQLAlchemy-style URLs write it
            text = text[2:]
    return Path(text).expanduser()
