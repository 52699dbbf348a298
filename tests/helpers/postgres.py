"""A real PostgreSQL server for tests: Debian's ``postgresql`` package, run from a temp dir.

:class:`PostgresServer` runs ``initdb`` and ``pg_ctl start`` on a free loopback port
(as the ``postgres`` user when the suite runs as root: PostgreSQL refuses to run as
root, so the directory is handed to that user). One server serves the whole session;
every test gets a database of its own, made with ``CREATE DATABASE ... TEMPLATE`` from
one already migrated, which takes milliseconds instead of a migration run.

Skipped (not failed) only where the binaries are absent; CI installs them (``.ci/run``).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.helpers.net import free_port

PG_BIN = Path(os.environ.get("SIGIL_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
RUN_AS = "postgres"


def available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


class PostgresServer:
    """One throwaway cluster; :meth:`new_database` hands out fresh, migrated databases."""

    def __init__(self, *, durable: bool = False) -> None:
        """``durable=False`` (tests) turns fsync off; benchmarks keep PostgreSQL's defaults."""
        self.root = Path(tempfile.mkdtemp(prefix="sigil-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._template: str | None = None
        self._lock = threading.Lock()
        if self._as_root:
            entry = pwd.getpwnam(RUN_AS)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale=C")  # trust: loopback only, in a private temp dir
        self._options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not durable:
            self._options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.start()

    def start(self) -> None:
        """Start the server (again, after :meth:`halt`) on the same port and data."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", self._options, "-l", str(self.root / "log"),
                  "-w", "start")

    def halt(self) -> None:
        """Stop the server at once, as a crash or a failover would: every connection is cut."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _run(self, *argv: str) -> None:
        if self._as_root:
            argv = ("runuser", "-u", RUN_AS, "--", *argv)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    @property
    def pid(self) -> int:
        """The postmaster's process id (its backends and helpers are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, migrated: bool = True) -> str:
        """URL of a new, empty database (with the schema applied unless ``migrated=False``)."""
        with self._lock:
            name = f"t{next(self._names)}"
            if not migrated:
                self._admin(f"CREATE DATABASE {name}")
                return self.url(name)
            if self._template is None:
                from auth_server.store import Store

                self._admin("CREATE DATABASE sigil_template")
                Store.open(self.url("sigil_template")).close()
                self._template = "sigil_template"
            self._admin(f"CREATE DATABASE {name} TEMPLATE {self._template}")
            return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


#: ``SIGIL_TEST_DB=postgresql`` runs the server suites (make test-postgres) on PostgreSQL
ENGINE_VAR = "SIGIL_TEST_DB"


def database_for_test(request, sqlite_file: Path) -> Path | str:  # type: ignore[no-untyped-def]
    """The database a test server uses: ``sqlite_file``, or with ``SIGIL_TEST_DB=postgresql``
    a fresh database on the suite's PostgreSQL (``request`` is the fixture's request)."""
    if os.environ.get(ENGINE_VAR, "sqlite") == "postgresql":
        return request.getfixturevalue("postgres_server").new_database()
    return sqlite_file
