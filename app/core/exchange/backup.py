"""Backing up a whole library and restoring it, with a manifest that proves the copy is complete and unchanged.

A backup is a folder: `shoebox.db` (a consistent snapshot made with SQLite's online backup API, so the app may
keep running), the library's own files (face crops, vector index files, voice notes, ...; thumbnails only when
asked, since they can be regenerated), and `manifest.json`, written last, with the sha256 of every file. A folder
without a manifest is an unfinished backup. Originals are the user's own files and are not copied; the manifest
lists each with its hash, so that `shoebox verify --backup` can say which changed or vanished since.

Restoring copies into a temporary sibling of the target, verifies every hash there, and only then renames it into
place, so a failed restore never leaves a half library where the user expects a whole one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from app import __version__
from app.core.db.types import text_safe
from app.core.paths import LibraryLayout

log = logging.getLogger(__name__)

LAST_BACKUP_KEY = "backup.last_at"
REMIND_DAYS_KEY = "backup.remind_days"
MANIFEST = "manifest.json"
FORMAT = 1
DATABASE = "shoebox.db"

# Library entries that a backup leaves out: the live database files (the snapshot replaces them), the lock,
# logs, and installed models (large, and installed again with `shoebox models install`).
_SKIPPED_NAMES = {"shoebox.db", "shoebox.db-wal", "shoebox.db-shm", "shoebox.db-journal", "shoebox.lock",
                  "logs", "models", "postgresql.url"}  # a PostgreSQL library's backup restores as a SQLite one

Progress = Callable[[int, int], None]  # (done, total) in bytes


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in the user's terms."""


@dataclass
class BackupSummary:
    dest: Path
    files: int
    bytes: int
    originals: int
    with_thumbnails: bool

    def to_json(self) -> dict:
        return {"dest": str(self.dest), "files": self.files, "bytes": self.bytes, "originals": self.originals,
                "with_thumbnails": self.with_thumbnails}

    def text(self) -> str:
        return (f"backed up the library to {self.dest}: {self.files} file{'s' if self.files != 1 else ''}, "
                f"{human_size(self.bytes)}; {self.originals} original{'s' if self.originals != 1 else ''} "
                "listed by hash (not copied)")


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- backup ---------------------------------------------------------------------------------------------------

def backup(library, dest: Path | str, *, with_thumbnails: bool = False, progress: Progress | None = None
           ) -> BackupSummary:
    """Write a verified snapshot of `library` into `dest` (a new or empty folder)."""
    dest = Path(dest).expanduser().resolve()
    root = library.layout.root
    if dest == root or root in dest.parents:
        raise BackupError(f"cannot back up the library into itself ({dest})")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not empty: choose a new folder for the backup")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        entries: dict[str, dict] = {}
        _snapshot(library, dest / DATABASE)
        files = list(_library_files(library.layout, with_thumbnails))
        total = sum(size for _, size in files)
        done = 0
        for source, size in files:
            relative = source.relative_to(root).as_posix()
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            done += size
            if progress:
                progress(done, total)
        for target in sorted(p for p in dest.rglob("*") if p.is_file()):
            relative = target.relative_to(dest).as_posix()
            entries[relative] = {"sha256": sha256_file(target), "size": target.stat().st_size}
        originals = _originals(dest / DATABASE)
        manifest = {
            "format": FORMAT,
            "shoebox": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "library": text_safe(str(root)),
            "with_thumbnails": with_thumbnails,
            "files": entries,
            "originals": originals,
        }
        _write_atomically(dest / MANIFEST, json.dumps(manifest, indent=1).encode("ascii"))
    except OSError as exc:
        raise BackupError(f"the backup to {dest} failed: {_os_reason(exc)}; it is incomplete (no manifest) "
                          "and can be deleted") from exc
    if not library.read_only:
        library.config.set(LAST_BACKUP_KEY, time.time())
    log.info("backed up %s to %s (%d files)", root, dest, len(entries))
    return BackupSummary(dest=dest, files=len(entries), bytes=sum(e["size"] for e in entries.values()),
                         originals=len(originals), with_thumbnails=with_thumbnails)


def _snapshot(library, target: Path) -> None:
    """The library's database as one SQLite file; a PostgreSQL library's is copied row by row in one snapshot
    and verified (app.core.db.copy), so its backup restores as a SQLite library."""
    if not library.db.is_postgres:
        _snapshot_database(library.layout.database, target)
        return
    from app.core.db.copy import copy_database
    from app.core.db.database import Database

    snapshot = Database(target)
    try:
        copy_database(library.db, snapshot)
    finally:
        snapshot.close()
    conn = sqlite3.connect(target)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        conn.close()


def _snapshot_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while other connections write (they simply wait)."""
    src = sqlite3.connect(source, timeout=60)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
    finally:
        src.close()


def _library_files(layout: LibraryLayout, with_thumbnails: bool) -> Iterator[tuple[Path, int]]:
    skipped = set(_SKIPPED_NAMES)
    if not with_thumbnails:
        skipped.add(layout.thumbnails.name)
    for entry in sorted(layout.root.iterdir()):
        if entry.name in skipped or entry.name.startswith(".tmp"):
            continue
        candidates = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
        for path in candidates:
            if any(part.startswith(".tmp") for part in path.relative_to(layout.root).parts):
                continue  # half-written files of a killed process
            yield path, path.stat().st_size


def _originals(database: Path) -> list[dict]:
    """Each known original file with its content hash, read from the snapshot (so it matches the backup)."""
    conn = sqlite3.connect(database)
    conn.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    try:
        rows = conn.execute(
            "SELECT f.path, p.sha256, f.size FROM photo_files f JOIN photos p ON p.id = f.photo_id "
            "WHERE NOT f.missing ORDER BY f.path"
        ).fetchall()
    finally:
        conn.close()
    return [{"path": _path_text(path), "sha256": sha, "size": size} for path, sha, size in rows]


def _path_text(path) -> str:
    """Paths that are not UTF-8 are stored as bytes; in JSON they travel with surrogate escapes kept as \\udcXX."""
    return os.fsdecode(path) if isinstance(path, bytes) else path


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _os_reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "that place cannot be written"
    return exc.strerror or str(exc)


def backup_overdue(library, now: float | None = None) -> bool:
    """True when the user asked to be reminded and the last backup (or none) is older than they allowed."""
    days = library.config.get(REMIND_DAYS_KEY)
    if not days:
        return False
    last = library.config.get(LAST_BACKUP_KEY) or 0.0
    return ((now or time.time()) - last) > days * 86400


# -- verify ---------------------------------------------------------------------------------------------------

def read_manifest(src: Path) -> dict:
    path = Path(src) / MANIFEST
    if not Path(src).is_dir():
        raise BackupError(f"{src} is not a backup folder")
    if not path.exists():
        raise BackupError(f"{src} is not a complete Shoebox backup: it has no {MANIFEST} (an interrupted backup?)")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"the manifest of {src} cannot be read ({exc}): the backup is damaged") from exc
    if not isinstance(manifest, dict) or "files" not in manifest:
        raise BackupError(f"the manifest of {src} is damaged")
    if manifest.get("format", 0) > FORMAT:
        raise BackupError(f"{src} was made by a newer Shoebox (backup format {manifest.get('format')})")
    return manifest


def verify_backup(src: Path | str) -> VerifyReport:
    """Every file the manifest lists is there with its size and hash, and the database snapshot is sound."""
    src = Path(src).expanduser()
    manifest = read_manifest(src)
    report = VerifyReport()
    for relative, expected in sorted(manifest["files"].items()):
        report.files += 1
        path = src / relative
        if not path.is_file():
            report.problems.append(f"missing: {relative}")
        elif path.stat().st_size != expected["size"]:
            report.problems.append(f"wrong size (truncated or changed): {relative}")
        elif sha256_file(path) != expected["sha256"]:
            report.problems.append(f"changed since the backup (hash differs): {relative}")
    if DATABASE not in manifest["files"]:
        report.problems.append(f"the backup holds no {DATABASE}")
    elif not report.problems:
        problem = _database_problem(src / DATABASE)
        if problem:
            report.problems.append(problem)
    return report


def _database_problem(database: Path) -> str | None:
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"the database snapshot is damaged: {exc}"
    return None if result == "ok" else f"the database snapshot is damaged: {result}"


# -- restore --------------------------------------------------------------------------------------------------

def restore(src: Path | str, library_dir: Path | str, *, replace: bool = False,
            progress: Progress | None = None) -> Path | None:
    """Restore the backup in `src` as the library `library_dir`; returns where a replaced library was moved.

    The target must be missing or empty unless `replace` is set; then the old library is kept beside it under a
    `.before-restore-…` name, never deleted."""
    src = Path(src).expanduser().resolve()
    target = Path(library_dir).expanduser().resolve()
    report = verify_backup(src)
    if not report.ok:
        raise BackupError(f"the backup in {src} does not verify, so nothing was restored: "
                          + "; ".join(report.problems[:5]) + ("; …" if len(report.problems) > 5 else ""))
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} is a file, not a folder")
    occupied = target.is_dir() and any(target.iterdir())
    if occupied and not replace:
        raise BackupError(f"{target} is not empty; restoring would replace what is there. Choose a new folder, "
                          "or add --replace to keep the old one aside and restore in its place")
    manifest = read_manifest(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".restore-{target.name}-", dir=target.parent))
    try:
        total = sum(e["size"] for e in manifest["files"].values())
        done = 0
        for relative, expected in sorted(manifest["files"].items()):
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / relative, destination)
            if sha256_file(destination) != expected["sha256"]:
                raise BackupError(f"{relative} changed while it was copied; nothing was restored")
            done += expected["size"]
            if progress:
                progress(done, total)
        LibraryLayout(staging).create()  # folders a backup leaves out (logs, models, thumbnails)
        moved_aside = None
        if target.exists():
            if occupied:
                moved_aside = target.with_name(f"{target.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
                target.rename(moved_aside)
            else:
                target.rmdir()
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"restoring into {target} failed: {_os_reason(exc)}; nothing was changed") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("restored %s into %s", src, target)
    return moved_aside


# -- originals ------------------------------------------------------------------------------------------------

@dataclass
class OriginalsReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"checked": self.checked, "changed": self.changed, "vanished": self.vanished}


def verify_originals(entries: list[dict]) -> OriginalsReport:
    """Which original files changed (other bytes) or vanished since their hashes were recorded."""
    report = OriginalsReport()
    for entry in entries:
        report.checked += 1
        path = Path(entry["path"])
        try:
            if path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
                report.changed.append(entry["path"])
        except FileNotFoundError:
            report.vanished.append(entry["path"])
        except OSError:
            report.vanished.append(entry["path"])  # unreadable counts as not there for a restore
    return report


def library_originals(library) -> list[dict]:
    """The library's own record of its originals (for `shoebox verify` without a backup)."""
    if library.db.is_postgres:
        from sqlalchemy import select

        from app.core.db.models import Photo, PhotoFile

        with library.db.read_session() as s:
            rows = s.execute(select(PhotoFile.path, Photo.sha256, PhotoFile.size)
                             .join(Photo, Photo.id == PhotoFile.photo_id).where(PhotoFile.missing.is_(False))).all()
        return [{"path": path, "sha256": sha, "size": size} for path, sha, size in sorted(rows)]
    return _originals(library.layout.database)
