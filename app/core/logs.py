"""Logging to a rotating file inside the library plus stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_console_logging(verbose: bool = False) -> None:
    """Stderr logging: warnings by default, everything with --verbose."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(getattr(h, "_shoebox_console", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._shoebox_console = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    for handler in root.handlers:
        if getattr(handler, "_shoebox_console", False):
            handler.setLevel(logging.DEBUG if verbose else logging.WARNING)


def attach_library_log(log_dir: Path) -> None:
    """Add a rotating shoebox.log in the library's logs folder (once per folder)."""
    root = logging.getLogger()
    target = str(Path(log_dir) / "shoebox.log")
    for handler in root.handlers:
        if getattr(handler, "baseFilename", None) == target:
            return
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(target, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def detach_library_log(log_dir: Path) -> None:
    root = logging.getLogger()
    target = str(Path(log_dir) / "shoebox.log")
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == target:
            root.removeHandler(handler)
            handler.close()
