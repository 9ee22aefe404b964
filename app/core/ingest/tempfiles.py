"""Temporary files for atomic writes (write, fsync, rename), and removing the ones a kill left behind.

They live in one folder per library (`thumbnails/.tmp`, on the same disk as the targets so the rename is
atomic), so cleaning up when a library opens reads one small folder instead of every thumbnail folder.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path

TEMP_PREFIX = ".tmp-"
# A temporary file older than this belongs to no running write (one takes milliseconds): safe to remove even
# while another process works on the same library.
STALE_TEMP_S = 300


_counter = itertools.count()
_made: set[str] = set()  # folders known to exist: one mkdir per folder and process, not one per file
_made_lock = threading.Lock()


def ensure_folder(folder: Path) -> None:
    """mkdir -p, remembered: a thumbnail folder is made once and never removed while the library is open."""
    key = os.fspath(folder)
    if key in _made:
        return
    folder.mkdir(parents=True, exist_ok=True)
    with _made_lock:
        _made.add(key)


def forget_folder(folder: Path) -> None:
    """A folder ensure_folder made was removed behind our back (a user, a test): make it again next time."""
    with _made_lock:
        _made.discard(os.fspath(folder))


def new_temp_file(folder: Path, suffix: str) -> tuple[int, str]:
    """(fd, path) of a new empty file in `folder`, made if missing. The name is unique to this process and call
    (pid and a counter) and created exclusively, so no random names are drawn (mkstemp's cost a tenth of a
    small photo's import)."""
    remade = False
    while True:
        ensure_folder(folder)
        path = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_counter)}{suffix}")
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), path
        except FileExistsError:  # left by an earlier process that had the same pid: take the next number
            continue
        except FileNotFoundError:
            if remade:
                raise
            remade = True
            forget_folder(folder)


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
