"""How a task's failure is classified (retried later, or dead at once), and the errors that stop the engine."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError

from app.core.tasks.states import ErrorClass


class PermanentError(Exception):
    """The same input will fail the same way (corrupt file, unsupported format): no retry."""


class TransientError(Exception):
    """Worth trying again later (I/O hiccup, locked database, memory pressure)."""


class TaskCancelled(Exception):
    """Raised by TaskContext.check_cancelled(); the engine rolls back and marks the task cancelled."""


class TaskDeferred(Exception):
    """Raised by TaskContext.defer(): run again after `delay` seconds without counting an attempt."""

    def __init__(self, delay: float):
        super().__init__(f"deferred {delay:.1f}s")
        self.delay = delay


class EngineError(Exception):
    """The engine could not record a task's state (its own bookkeeping failed): the run stops, and what was
    not recorded runs again next time. The message is meant for the user."""


# OS errors that will not go away by waiting.
_PERMANENT_ERRNOS = {errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EACCES, errno.EPERM}
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"
DISK_FULL_MESSAGE = "the disk holding the library is full"


def _causes(exc: BaseException):
    """The exception, the DB-API error SQLAlchemy wraps, and everything it was raised from."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None) if isinstance(e, DBAPIError) else None, e.__cause__, e.__context__]


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC or quota from the OS, or SQLITE_FULL from SQLite, anywhere in the exception's chain."""
    for e in _causes(exc):
        if isinstance(e, OSError) and e.errno in _DISK_FULL_ERRNOS:
            return True
        if isinstance(e, sqlite3.Error) and (
            getattr(e, "sqlite_errorcode", None) == _SQLITE_FULL or "database or disk is full" in str(e)
        ):
            return True
    return False


def is_lock_contention(exc: BaseException) -> bool:
    """"database is locked" / busy: another writer held the lock past the busy timeout; worth another round."""
    return any(
        isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)) for e in _causes(exc)
    )


def describe_engine_failure(exc: BaseException) -> str:
    """One line for the user on why the run stopped."""
    if is_disk_full(exc):
        return f"{DISK_FULL_MESSAGE}; free some space and run it again to resume"
    return f"the task queue could not be updated ({exc.__class__.__name__}: {exc}); run it again to resume"


def classify(exc: BaseException) -> ErrorClass:
    """Permanent errors go straight to dead letter; everything else is retried with backoff."""
    if isinstance(exc, PermanentError):
        return ErrorClass.PERMANENT
    if isinstance(exc, TransientError | MemoryError):
        return ErrorClass.TRANSIENT
    if isinstance(exc, OperationalError | sqlite3.OperationalError):
        return ErrorClass.TRANSIENT  # "database is locked" and friends
    if isinstance(exc, OSError):
        return ErrorClass.PERMANENT if exc.errno in _PERMANENT_ERRNOS else ErrorClass.TRANSIENT
    if isinstance(exc, LookupError | TypeError | ValueError | NotImplementedError):
        return ErrorClass.PERMANENT  # a bug or bad payload: retrying cannot help
    return ErrorClass.TRANSIENT


def is_permanent(exc: BaseException) -> bool:
    return classify(exc) is ErrorClass.PERMANENT
