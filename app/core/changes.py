"""Noticing that the library changed, whoever changed it (the window's own import, a CLI import in another
process, later a remote worker), without reading any table.

SQLite's `PRAGMA data_version` answers, on one connection, a number that moves whenever *another* connection
commits. It costs microseconds, so a window can ask every half second. The connection must stay open between
questions (a new connection starts a new count), so this keeps its own, used for nothing else.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class DataVersion:
    def __init__(self, database: Path, *, read_only: bool = False):
        # A read-only library is watched through a read-only connection, which never creates files beside it.
        target = f"{Path(database).as_uri()}?mode=ro" if read_only else str(database)
        self._conn = sqlite3.connect(target, timeout=1.0, check_same_thread=False, isolation_level=None,
                                     uri=read_only)
        self._lock = threading.Lock()
        try:
            self._last = self.read()
        except sqlite3.Error:  # e.g. a read-only WAL library whose -shm cannot be made: no watching, no leak
            self._conn.close()
            raise

    def read(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True once for each batch of commits made by others since the last call."""
        try:
            current = self.read()
        except sqlite3.Error:  # busy or closed: ask again next time
            return False
        if current != self._last:
            self._last = current
            return True
        return False

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class ServerChanges:
    """The same question for a PostgreSQL library, which has no `data_version`: the server's transaction
    snapshot (`pg_current_snapshot()`: the oldest running transaction, the next transaction id, the ones in
    flight) moves whenever any write transaction starts or commits, and reading it touches no table.

    It answers for the whole server, not one database, and counts our own commits too: at worst an extra refresh
    (the window refreshes at most once per interval), never a missed one. One round trip, so the window asks
    from its reader thread, not the GUI thread."""

    QUERY = "SELECT pg_current_snapshot()::text"

    def __init__(self, db):
        self._db = db
        self._last = self.read()

    def read(self) -> str:
        with self._db.engine.connect() as conn:
            return str(conn.exec_driver_sql(self.QUERY).scalar())

    def changed(self) -> bool:
        """True once for each batch of commits (anyone's) since the last call; False when the server is away."""
        try:
            current = self.read()
        except Exception:  # noqa: BLE001 - the server is unreachable for now: ask again next time
            return False
        if current != self._last:
            self._last = current
            return True
        return False

    def close(self) -> None:
        """Nothing of its own to close: it borrows the library's connection pool."""
