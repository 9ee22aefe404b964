"""A real PostgreSQL 15 server for the tests: started once per session, one database per test.

`initdb` refuses to run as root, so as root the server runs as the `postgres` system user (`runuser`) in a
temporary folder that user owns; it listens on 127.0.0.1 on a free port (and a unix socket in that folder).
Each test gets a fresh database copied from a template that is already migrated, so a test pays for a
`CREATE DATABASE`, not for the migrations. Without a server binary (or a way to run it) the tests skip and say why.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

def _server_binaries() -> Path:
    """PostgreSQL 15's binaries (as on these machines), else the newest installed (a CI runner's), else the
    15 path (then the tests skip and name it); SHOEBOX_TEST_PG_BIN overrides."""
    if os.environ.get("SHOEBOX_TEST_PG_BIN"):
        return Path(os.environ["SHOEBOX_TEST_PG_BIN"])
    preferred = Path("/usr/lib/postgresql/15/bin")
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if
                   p.parts[-3].isdigit() else 0)
    return preferred if (preferred / "initdb").is_file() or not found else found[-1].parent


PG_BIN = _server_binaries()
TEMPLATE = "shoebox_template"


class PostgresUnavailable(Exception):
    """Why no test server could be started (the tests that need one skip with this reason)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
            raise PostgresUnavailable(f"no PostgreSQL server binaries in {PG_BIN} (install postgresql-15)")
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no `postgres` system user to run the "
                                          "server as (initdb refuses root)") from None
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root without `runuser` to start the server as `postgres`")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self.dir = Path(tempfile.mkdtemp(prefix="shoebox-pg-"))
        if self._as_user:
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.data = self.dir / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")
            options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
            self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                      "-o", options)
        except PostgresUnavailable:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self._template_ready = False

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([*self._as_user, str(PG_BIN / tool), *args], capture_output=True, text=True,
                                cwd=self.dir)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{tool} failed: {(result.stderr or result.stdout).strip()[-800:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def _ensure_template(self) -> None:
        """A database migrated to the newest schema, copied for each test (migrating each one costs seconds)."""
        if self._template_ready:
            return
        from app.core.db.database import Database

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.url(TEMPLATE))
        try:
            db.upgrade()
        finally:
            db.close()
        self._template_ready = True

    def create_database(self, *, migrated: bool = True) -> str:
        """A new, empty database (migrated to the newest schema unless `migrated=False`); returns its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        if migrated:
            self._ensure_template()
            self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        else:
            self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data))
        except PostgresUnavailable:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def library_args(library) -> list[str]:
    """`--library` (and `--database` for a PostgreSQL library) for a CLI run on the same library."""
    args = ["--library", str(library.root)]
    return args + ["--database", library.database_url] if library.database_url else args
