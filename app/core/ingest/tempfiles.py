"""Temporary files for atomic writes (write, fsync, rename), and removing the ones a kill left behind.

They live in one folder per library (`thumbnails/.tmp`, on the same disk as the targets so the rename is
atomic), so cleaning up when a library opens reads one small folder instead of every thumbnail folder.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

TEMP_PREFIX = ".tmp-"
# A temporary file older than this belongs to no running write (one takes milliseconds): safe to remove even
# while another process works on the same library.
STALE_TEMP_S = 300


def new_temp_file(folder: Path, suffix: str) -> tuple[int, str]:
    """(fd, path) of a new empty file in `folder`, made if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)


def remove_stray_temp_files(folder: Path, *, older_than_s: float = STALE_TEMP_S) -> int:
    """Delete old temporary files in `folder` (never fails: an open must not stop on this); how many went."""
    removed = 0
    deadline = time.time() - older_than_s
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0  # no such folder yet, or not readable: nothing to clean
    for entry in entries:
        try:
            if entry.name.startswith(TEMP_PREFIX) and entry.stat(follow_symlinks=False).st_mtime < deadline:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # gone already, or not ours to remove
    return removed
