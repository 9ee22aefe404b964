"""Statements whose spelling differs between SQLite and PostgreSQL, chosen by the session's database."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement


def upsert(session: Session, table):
    """An INSERT that takes `.on_conflict_do_nothing()` / `.on_conflict_do_update()` (the two dialects' own)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignore(session: Session, table):
    """INSERT that skips a row whose key exists: SQLite's `INSERT OR IGNORE`, Postgres's `ON CONFLICT DO NOTHING`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).prefix_with("OR IGNORE")


class stored_as_bytes(FunctionElement):
    """Whether a path column holds raw bytes (a file name that is not UTF-8, see FsPath): SQLite's typeof; on
    Postgres never (its text columns hold UTF-8 only)."""

    type = Boolean()
    inherit_cache = True


@compiles(stored_as_bytes)
def _stored_as_bytes(element, compiler, **kw) -> str:
    return f"(typeof({compiler.process(element.clauses, **kw)}) = 'blob')"


@compiles(stored_as_bytes, "postgresql")
def _stored_as_bytes_postgres(element, compiler, **kw) -> str:
    return "false"


class local_day(FunctionElement):
    """The local calendar day ('YYYY-MM-DD') of a Unix time column."""

    type = String()
    inherit_cache = True


@compiles(local_day)
def _local_day(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'unixepoch', 'localtime')"


@compiles(local_day, "postgresql")
def _local_day_postgres(element, compiler, **kw) -> str:
    return f"to_char(to_timestamp({compiler.process(element.clauses, **kw)}), 'YYYY-MM-DD')"
