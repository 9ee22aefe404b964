"""Copy a library's database into another one (SQLite into PostgreSQL, or back), verified row by row.

The source is only read, inside one read transaction (a consistent snapshot even while the app writes), so a
failure anywhere leaves it exactly as it was. The target must be empty: it is migrated to the newest schema,
then every table is filled in one transaction, so a failure midway leaves it empty again. Afterwards every
table of the target is read back and compared with what was read from the source: its row count and a hash
of all its rows in key order (values normalised, so SQLite's and Postgres's answers hash alike).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from app.core.db.database import Database
from app.core.db.models import Base, SearchDirty

log = logging.getLogger(__name__)

CHUNK = 2000  # rows read and inserted at a time


class CopyError(Exception):
    """The copy could not be made or did not verify; the source is untouched."""


@dataclass
class TableCheck:
    table: str
    rows: int
    digest: str


@dataclass
class CopyReport:
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def photos(self) -> int:
        return next((t.rows for t in self.tables if t.table == "photos"), 0)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _tables():
    """Every table in an order that satisfies the foreign keys; search_dirty last (the target's triggers fill it
    while the other tables are copied, so it is replaced by the source's rows at the end)."""
    tables = [t for t in Base.metadata.sorted_tables if t.name != SearchDirty.__tablename__]
    return [*tables, SearchDirty.__table__]


def _normal(value):
    """One value as the same text whichever database returned it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, memoryview)):
        return "x" + bytes(value).hex()
    return repr(value)


def _ordered(table):
    """In key order, so rows that refer to earlier rows of their own table (a task's parent) come after them."""
    return select(table).order_by(*table.primary_key.columns)


class RowsDigest:
    """A hash of a set of rows that does not depend on their order (the sum of the rows' own hashes): the two
    databases may sort text keys differently (Postgres by its collation, SQLite by bytes)."""

    def __init__(self):
        self.rows = 0
        self._sum = 0

    def add(self, rows) -> None:
        for row in rows:
            line = "\x1f".join(_normal(v) for v in row).encode("utf-8", "surrogateescape")
            self._sum = (self._sum + int.from_bytes(hashlib.sha256(line).digest(), "big")) % (1 << 256)
            self.rows += 1

    def hexdigest(self) -> str:
        return f"{self._sum:064x}"


def table_checks(db: Database) -> list[TableCheck]:
    """Row count and hash of every table of `db`, read in one transaction."""
    checks = []
    with db.read_session() as s:
        for table in _tables():
            digest = RowsDigest()
            digest.add(s.execute(select(table)).yield_per(CHUNK))
            checks.append(TableCheck(table.name, digest.rows, digest.hexdigest()))
    return checks


def _require_empty(target: Database) -> None:
    with target.read_session() as s:
        for table in _tables():
            if s.scalar(select(func.count()).select_from(table)):
                raise CopyError(f"the target database {target.url} is not empty (its table {table.name} has rows); "
                                "copy into a new, empty database")


def _reset_sequences(s, target: Database) -> None:
    """Postgres hands out ids from sequences, which the copied rows did not advance."""
    if not target.is_postgres:
        return
    for table in _tables():
        column = table.autoincrement_column
        if column is not None:  # (a table without a sequence gets NULL from pg_get_serial_sequence: no-op)
            s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                           f"coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"))


def _insert_table(s, table, rows) -> None:
    """Insert one chunk of rows (a seam the tests use to make the copy fail midway)."""
    s.execute(table.insert(), rows)


def copy_database(source: Database, target: Database) -> CopyReport:
    """Copy every row of `source` into the empty `target` and verify it; raises CopyError when it does not."""
    target.upgrade()
    _require_empty(target)
    report = CopyReport()
    with source.read_session() as src, target.write_session() as dst:
        if source.is_postgres:  # one snapshot for every table (SQLite's read transaction is one already)
            src.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in _tables():
            if table.name == SearchDirty.__tablename__:
                dst.execute(table.delete())
            digest = RowsDigest()
            for chunk in src.execute(_ordered(table)).mappings().yield_per(CHUNK).partitions():
                rows = [dict(r) for r in chunk]
                digest.add(tuple(r.values()) for r in rows)
                _insert_table(dst, table, rows)
            report.tables.append(TableCheck(table.name, digest.rows, digest.hexdigest()))
            log.info("copied %d rows of %s", digest.rows, table.name)
        _reset_sequences(dst, target)
    copied = {c.table: c for c in table_checks(target)}
    for check in report.tables:
        got = copied.get(check.table)
        if got is None or (got.rows, got.digest) != (check.rows, check.digest):
            raise CopyError(f"the copy of table {check.table} does not match its source ({check.rows} rows read, "
                            f"{got.rows if got else 0} in the target); the source is untouched")
    return report
