"""A library database on PostgreSQL: URLs, the engine, and the one write lock that keeps SQLite's rules.

The core was written against SQLite, where one writer at a time holds the database's write lock from the first
statement of a write transaction (`BEGIN IMMEDIATE`). Code relies on that (a check and the write that follows it
cannot be interleaved with another writer's), so on Postgres a write session takes one transaction-scoped
advisory lock first: writers queue exactly as on SQLite, in every process on every machine, and the lock goes
with the transaction (also when a process dies). Readers never wait. Claiming tasks is the exception: it uses
row locks (`FOR UPDATE SKIP LOCKED`, app.core.tasks.store) so that many workers claim at once.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

# pg_advisory_xact_lock keys (any two bigints nobody else uses in a Shoebox database).
WRITE_LOCK_KEY = 0x5B0E_0001
MIGRATE_LOCK_KEY = 0x5B0E_0002
LOCK_TIMEOUT_MS = 30_000  # like SQLite's busy timeout: a writer waits this long for another, then fails


def is_postgres_url(target) -> bool:
    """True for `postgresql://…` (also `postgres://…` and `postgresql+driver://…`)."""
    if not isinstance(target, str):
        return False
    scheme = target.split("://", 1)[0].lower() if "://" in target else ""
    return scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+")


def driver_url(url: str) -> str:
    """The URL for SQLAlchemy with the psycopg (v3) driver, whatever scheme the user typed."""
    scheme, rest = url.split("://", 1)
    if "+" in scheme:
        return url
    return f"postgresql+psycopg://{rest}"


def display_url(url: str) -> str:
    """The URL without its password, for messages, logs and the library folder's marker."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def _sqlite_like(compiler_class):
    """A statement compiler whose LIKE ignores case, as SQLite's does: `camera:canon`, `tag:kyoto` and the
    completions match whatever case the names were written in."""

    class Compiler(compiler_class):
        def visit_like_op_binary(self, binary, operator, **kw):
            return self.visit_ilike_op_binary(binary, operator, **kw)

        def visit_not_like_op_binary(self, binary, operator, **kw):
            return self.visit_not_ilike_op_binary(binary, operator, **kw)

    return Compiler


def make_engine(url: str) -> Engine:
    engine = create_engine(driver_url(url), pool_size=8, max_overflow=8, pool_pre_ping=True)
    engine.dialect.statement_compiler = _sqlite_like(engine.dialect.statement_compiler)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        dbapi_conn.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("write_lock", False):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

    return engine
