"""The database connection: SQLite with WAL, busy timeout, explicit transactions, and migrations on open (the
default), or PostgreSQL (app.core.db.postgres).

pysqlite's own transaction handling starts transactions lazily and cannot start `BEGIN IMMEDIATE`; we turn it
off and emit BEGIN ourselves (the recipe from SQLAlchemy's SQLite dialect docs). Sessions that will write take
the write lock up front with `write_session()`, so two writers queue on the busy timeout instead of failing
with "database is locked" when a read transaction tries to upgrade.

A library another user owns (or on a read-only disk) is opened read-only: no pragmas that write, no migrations,
and SQLite's `mode=ro` (or `immutable=1` when it could not even create its shared-memory file).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import postgres
from app.core.db.postgres import display_url, is_postgres_url

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


# SQLite's primary result codes for a damaged file (SQLITE_CORRUPT) and a file that is no database (SQLITE_NOTADB).
_DAMAGED_CODES = {11, 26}
_DAMAGED_WORDS = ("malformed", "file is not a database", "database corrupt")


def is_damaged_error(exc: BaseException) -> bool:
    """True when an error (SQLAlchemy's or sqlite3's) says the database file itself is damaged."""
    orig = getattr(exc, "orig", None) or exc
    if not isinstance(orig, sqlite3.DatabaseError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _DAMAGED_CODES:
        return True
    return any(word in str(orig).lower() for word in _DAMAGED_WORDS)


def is_readonly_error(exc: BaseException) -> bool:
    """True for "attempt to write a readonly database" (SQLITE_READONLY)."""
    orig = getattr(exc, "orig", None) or exc
    if not isinstance(orig, sqlite3.DatabaseError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF == 8) or "readonly database" in str(orig)


def _url(db_path: Path, read_only: bool) -> str:
    if not read_only:
        return f"sqlite:///{db_path}"
    # `mode=ro` needs a working -shm file, which a reader may be unable to create (another user's folder, a full
    # disk). When the -wal holds nothing, the main file is the whole database and can be read as immutable.
    wal = db_path.with_name(db_path.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "immutable=1"
    return f"sqlite:///file:{quote(str(db_path))}?{mode}&uri=true"


def _make_engine(db_path: Path, write_lock: threading.RLock, read_only: bool = False) -> Engine:
    engine = create_engine(
        _url(db_path, read_only),
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: the pragmas below may wait for a lock
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        else:
            # Only on a new, empty file (setting it on every connection took a lock that a connection of this
            # same thread could hold: "database is locked"). Older libraries are converted once by vacuum().
            if cur.execute("PRAGMA page_count").fetchone()[0] == 0:
                cur.execute("PRAGMA auto_vacuum=INCREMENTAL")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("write_lock", False)
        if immediate:
            # Threads of this process queue for the write lock on a mutex: SQLite's own busy handler would
            # make them sleep-poll (1, 2, 5, 10… ms), which costs far more than the transactions themselves.
            write_lock.acquire()
            conn.info["holds_write_lock"] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn)
                raise
        else:
            conn.exec_driver_sql("BEGIN")

    def _release(conn):
        if conn.info.pop("holds_write_lock", False):
            write_lock.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    return engine


class Database:
    """Owns the engine and hands out sessions; the only way core code talks to the database: a SQLite file
    (the default) or a PostgreSQL URL (app.core.db.postgres)."""

    def __init__(self, target: Path | str, *, read_only: bool = False):
        self.read_only = read_only
        self._write_lock = threading.RLock()
        if is_postgres_url(target):
            self.path = None
            self.url = display_url(str(target))
            self.engine = postgres.make_engine(str(target))
        else:
            self.path = Path(target)
            self.url = f"sqlite:///{self.path}"
            self.engine = _make_engine(self.path, self._write_lock, read_only)
        self.dialect = self.engine.dialect.name  # "sqlite" | "postgresql"
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(write_lock=True), expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creates it in a new library).

        Callers serialise this between processes (Library holds a lock file around it)."""
        from migrations import upgrade_to_head

        with self.engine.connect() as conn:
            if self.is_postgres:  # the lock file guards one machine; this guards every machine
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({postgres.MIGRATE_LOCK_KEY})")
            upgrade_to_head(conn)
            conn.commit()

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading; it may write, but then it can lose a race for the lock."""
        session = self._read()
        try:
            yield session
        finally:
            session.close()

    @contextlib.contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session that holds the write lock from its first statement and commits on success."""
        session = self._write()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def vacuum(self, *, incremental_pages: int = 0) -> None:
        """Give free pages back to the disk: `PRAGMA incremental_vacuum` (0 pages: all), or one full VACUUM to
        switch a database made before incremental auto-vacuum. Holds this process's write lock, outside any
        transaction (VACUUM cannot run inside one, and the pragma frees one page per step unless run as a
        script)."""
        if self.is_postgres:  # autovacuum does the rest; this returns what pruning freed now
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM")
            return
        with self._write_lock:
            raw = self.engine.raw_connection()
            try:
                cur = raw.cursor()
                if cur.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                    cur.execute("PRAGMA auto_vacuum=INCREMENTAL")
                    cur.execute("VACUUM")
                else:
                    cur.executescript(f"PRAGMA incremental_vacuum({int(incremental_pages)});")
                cur.close()
            finally:
                raw.close()

    def new_write_session(self) -> Session:
        """An unmanaged write session, for callers (the task engine) that commit it themselves."""
        return self._write()

    def schema_revision(self) -> str | None:
        """The Alembic revision stored in the database; None for a new (empty) database.

        Errors other than a missing version table (a damaged file, a locked one) propagate."""
        with self.engine.connect() as conn:
            if self.is_postgres:
                has_table = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
            else:
                has_table = conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
                ).scalar()
            if not has_table:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def close(self) -> None:
        self.engine.dispose()
