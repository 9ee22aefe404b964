"""Logging to a rotating file inside the library plus stderr.

The log file is a convenience, never a reason to fail: a full disk or an unwritable log stops the file log with
one line on stderr, and the command goes on (reading a library must work while its disk is full).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Records logged with `extra={NO_CONSOLE: True}` go to the log file only (the CLI prints its own line instead).
NO_CONSOLE = "shoebox_no_console"


class _ConsoleFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, NO_CONSOLE, False)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (tests and embedding code replace it), never to a closed stream."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_console_logging(verbose: bool = False) -> None:
    """Stderr logging: warnings by default, everything with --verbose."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(getattr(h, "_shoebox_console", False) for h in root.handlers):
        handler = _StderrHandler()
        handler._shoebox_console = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(_ConsoleFilter())
        root.addHandler(handler)
    for handler in root.handlers:
        if getattr(handler, "_shoebox_console", False):
            handler.setLevel(logging.DEBUG if verbose else logging.WARNING)


class SafeRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file log that turns itself off (saying so once) when the file cannot be written.

    The stock handler prints a traceback to stderr for every record that fails to write (a full disk means
    every record); this one reports the first failure in one line and drops the rest.
    """

    def __init__(self, filename: str, **kwargs):
        super().__init__(filename, delay=True, **kwargs)
        self.failed: OSError | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failed is not None:
            return
        try:
            super().emit(record)
        except OSError as exc:  # only reached for errors raised outside handleError below
            self._give_up(exc)

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            self._give_up(exc)
        else:
            super().handleError(record)

    def _give_up(self, exc: OSError) -> None:
        self.failed = exc
        try:
            if self.stream is not None:
                self.stream.close()
        except OSError:
            pass
        self.stream = None  # type: ignore[assignment]
        try:
            sys.stderr.write(f"shoebox: cannot write the log file {self.baseFilename} ({exc.strerror or exc}); "
                             "logging to it stops\n")
        except (OSError, ValueError):
            pass

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        try:
            return bool(super().shouldRollover(record))
        except OSError as exc:
            self._give_up(exc)
            return False


def library_log_file(log_dir: Path) -> Path:
    return Path(log_dir) / "shoebox.log"


def attach_library_log(log_dir: Path) -> None:
    """Add a rotating shoebox.log in the library's logs folder (once per folder)."""
    root = logging.getLogger()
    target = str(library_log_file(log_dir))
    for handler in root.handlers:
        if getattr(handler, "baseFilename", None) == target:
            return
    # backslashreplace: a file name that is not UTF-8 (legal on Linux) is logged as \xNN, not as a logging error.
    handler = SafeRotatingFileHandler(
        target, maxBytes=5_000_000, backupCount=3, encoding="utf-8", errors="backslashreplace"
    )
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def active_log_file() -> Path | None:
    """The library log file that is being written now, for messages that say where the details are."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, SafeRotatingFileHandler) and handler.failed is None:
            return Path(handler.baseFilename)
    return None


def detach_library_log(log_dir: Path) -> None:
    root = logging.getLogger()
    target = str(library_log_file(log_dir))
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == target:
            root.removeHandler(handler)
            handler.close()
