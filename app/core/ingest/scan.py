"""Walk import roots for image files: hidden and system folders skipped, symlink loops cut, and an unreadable
folder recorded as an error instead of ending the walk."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

# Folders that operating systems, NAS boxes and archivers create; never photos the user took.
SYSTEM_FOLDERS = {
    "$recycle.bin", "system volume information", "lost+found", "@eadir", "#recycle", "__macosx",
    "$windows.~bt", "$windows.~ws",
}


class ScannedFile(NamedTuple):
    """What `scan` lists for each file (walk_files yields the same fields as a plain tuple)."""

    path: str
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    files: list[ScannedFile] = field(default_factory=list)
    # (path, reason) for folders or files that could not be read.
    errors: list[tuple[str, str]] = field(default_factory=list)


def is_skipped_folder(name: str) -> bool:
    return name.startswith(".") or name.lower() in SYSTEM_FOLDERS


def walk_files(
    root: str | os.PathLike,
    *,
    exclude: set[str] = frozenset(),
    errors: list[tuple[str, str]] | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> Iterator[tuple[str, int, int]]:
    """Every regular file under root (or root itself when it is a file): (path, size, mtime_ns).

    Plain tuples, listed a folder at a time: a re-import of 100k unchanged files spends most of its time here
    (one stat per file), and a named tuple or dataclass per file would add a third to that.

    Symlinked folders are followed once: each real folder is visited at most once, keyed by (device, inode),
    which cuts loops. `exclude` holds folders never to enter (the library folder itself); they are recognised by
    their (device, inode), so a path to them through a symlink is excluded too.
    """
    errors = errors if errors is not None else []
    root = os.path.abspath(os.fspath(root))
    excluded = _identities(exclude)
    try:
        st = os.stat(root)
    except OSError as exc:
        errors.append((root, _reason(exc)))
        return
    if stat.S_ISREG(st.st_mode):
        if not any(_inside(root, folder) for folder in exclude):
            yield root, st.st_size, st.st_mtime_ns
        return
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        if check_cancelled:
            check_cancelled()
        try:
            folder_stat = os.stat(folder)
        except OSError as exc:
            errors.append((folder, _reason(exc)))
            continue
        key = (folder_stat.st_dev, folder_stat.st_ino)
        if key in seen or key in excluded:
            continue
        seen.add(key)
        try:
            fd = os.open(folder, _DIR_FLAGS) if _STAT_IN_FOLDER else None
        except OSError:
            fd = None  # stat by path, as where the system cannot; the listing below says what is wrong
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_NAME)
            files, subfolders = _files_and_subfolders(entries, fd, errors)
        except OSError as exc:
            errors.append((folder, _reason(exc)))
            continue
        finally:
            if fd is not None:
                os.close(fd)
        yield from files
        stack.extend(reversed(subfolders))  # depth first, in name order


_NAME = attrgetter("name")
# Each file is stat'ed relative to its open folder where the system allows it: the kernel then resolves one name
# per file instead of its whole path (~10% of a 100k-file walk's CPU).
_STAT_IN_FOLDER = os.stat in os.supports_dir_fd
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _files_and_subfolders(entries, fd: int | None, errors: list[tuple[str, str]]):
    """A folder's files as (path, size, mtime_ns) and its subfolders to enter, in the entries' order; a file
    that cannot be read is recorded in `errors`."""
    subfolders, files = [], []
    for entry in entries:
        try:
            if entry.is_file():  # follows symlinks; no system call for a plain file
                if entry.name.startswith("."):
                    continue
                est = entry.stat() if fd is None else os.stat(entry.name, dir_fd=fd)
                files.append((entry.path, est.st_size, est.st_mtime_ns))
            elif entry.is_dir() and not is_skipped_folder(entry.name):
                subfolders.append(entry.path)
        except OSError as exc:  # broken symlink, permission, vanished
            if not entry.is_symlink():
                errors.append((entry.path, _reason(exc)))
    return files, subfolders


def is_under(path: str, folder: str) -> bool:
    """`path` is `folder` or inside it (by name: case and separators exact)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _identities(folders) -> set[tuple[int, int]]:
    keys = set()
    for folder in folders:
        try:
            st = os.stat(folder)
        except OSError:
            continue
        keys.add((st.st_dev, st.st_ino))
    return keys


def _inside(path: str, folder) -> bool:
    real, real_folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, real_folder]) == real_folder


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def scan(root: str | os.PathLike, *, exclude: set[str] = frozenset()) -> ScanResult:
    result = ScanResult()
    result.files = [ScannedFile(*f) for f in walk_files(root, exclude=exclude, errors=result.errors)]
    return result


def resolve_root(path: str | os.PathLike) -> str:
    """The absolute form a root is stored under (symlinks kept, so the user's path stays recognisable)."""
    return os.path.abspath(os.path.expanduser(os.fspath(Path(path))))
