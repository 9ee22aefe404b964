"""How a task's failure is classified: retried later, or dead at once."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import OperationalError


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


# OS errors that will not go away by waiting.
_PERMANENT_ERRNOS = {errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EACCES, errno.EPERM}


def is_permanent(exc: BaseException) -> bool:
    """Permanent errors go straight to dead letter; everything else is retried with backoff."""
    if isinstance(exc, PermanentError):
        return True
    if isinstance(exc, TransientError | MemoryError):
        return False
    if isinstance(exc, OperationalError | sqlite3.OperationalError):
        return False  # "database is locked" and friends
    if isinstance(exc, OSError):
        return exc.errno in _PERMANENT_ERRNOS
    if isinstance(exc, LookupError | TypeError | ValueError | NotImplementedError):
        return True  # a bug or bad payload: retrying cannot help
    return False
