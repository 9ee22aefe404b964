"""`library.importer`: start imports as tasks, run them headless, and answer what happened (counts, errors,
duplicate groups). The GUI uses start_import and the engine's signals; the CLI uses import_paths."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.core.db.models import DuplicateGroup, FailedFile, Folder, Photo, PhotoFile, Task
from app.core.db.types import text_safe
from app.core.ingest.repair import submit_thumbnail_check
from app.core.ingest.scan import is_under, resolve_root
from app.core.ingest.store import clear_failures
from app.core.tasks import Priority
from app.core.tasks.states import LIVE_STATES, TaskKind, TaskState

if TYPE_CHECKING:
    from app.core.library import Library
    from app.core.photos import PhotoInfo


@dataclass(frozen=True)
class ImportSummary:
    imported: int = 0  # new photos
    duplicates: int = 0  # new locations of photos already in the library (exact copies)
    skipped: int = 0  # unchanged since the last import (by size and mtime, or same content)
    failed: int = 0  # files listed by errors()
    missing: int = 0  # known files no longer on disk (rows kept, flagged missing)
    moved: int = 0  # known photos found at a new path (the row's path was updated)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FailedFileInfo:
    path: str
    error_class: str
    reason: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DuplicateGroupInfo:
    id: int  # the photo id for "exact", the duplicate group id for "near"
    kind: str  # exact | near
    photos: list["PhotoInfo"] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "photos": [p.to_json() for p in self.photos]}


@dataclass(frozen=True)
class ImportProgress:
    done: int  # files analysed (imported, duplicate, failed, ...)
    total: int  # files found to analyse so far
    skipped: int  # unchanged files the scan did not queue
    scanning: bool  # a scan of this import is still running, so total may grow


_INGEST_OUTCOMES = """
SELECT json_extract(payload, '$.outcome') AS outcome, state, count(*) AS n,
       coalesce(sum(json_extract(payload, '$.was_missing')), 0) AS found_again
FROM tasks WHERE group_id = :gid AND type = 'ingest' GROUP BY 1, 2
"""
_SCAN_RESULTS = """
SELECT coalesce(sum(json_extract(payload, '$.skipped')), 0), coalesce(sum(json_extract(payload, '$.missing')), 0),
       coalesce(sum(json_extract(payload, '$.unreadable')), 0), sum(state IN ('pending', 'running', 'failed'))
FROM tasks WHERE group_id = :gid AND type = 'scan'
"""
# The same on Postgres: its JSON operators, and true/false counted as 1/0 as SQLite's json_extract does.
_PG_NUMBER = ("CAST(coalesce(sum(CAST(CASE CAST(payload AS jsonb) ->> '{0}' WHEN 'true' THEN '1' "
              "WHEN 'false' THEN '0' ELSE CAST(payload AS jsonb) ->> '{0}' END AS numeric)), 0) AS bigint)")
_PG_INGEST_OUTCOMES = f"""
SELECT CAST(payload AS jsonb) ->> 'outcome' AS outcome, state, count(*) AS n, {_PG_NUMBER.format('was_missing')}
FROM tasks WHERE group_id = :gid AND type = 'ingest' GROUP BY 1, 2
"""
_PG_SCAN_RESULTS = f"""
SELECT {_PG_NUMBER.format('skipped')}, {_PG_NUMBER.format('missing')}, {_PG_NUMBER.format('unreadable')},
       sum(CASE WHEN state IN ('pending', 'running', 'failed') THEN 1 ELSE 0 END)
FROM tasks WHERE group_id = :gid AND type = 'scan'
"""


def _dialect_sql(s: Session, sqlite_sql: str, postgres_sql: str):
    return text(postgres_sql if s.get_bind().dialect.name == "postgresql" else sqlite_sql)


class MissingImportPaths(ValueError):
    """Paths given to import that do not exist (a typo): nothing was queued."""

    def __init__(self, paths: list[str]):
        super().__init__("no such file or folder: " + ", ".join(text_safe(p) for p in paths))
        self.paths = paths


def _adopt_interrupted_tasks(s: Session, roots: list[str], group_id: int) -> None:
    """Live scan and ingest tasks of earlier imports under these roots move into the new group (see
    start_import). They run in this import anyway; the new scan's submits would only find them as duplicates."""
    rows = s.execute(
        select(Task.id, Task.type, Task.payload).where(
            Task.type.in_((TaskKind.SCAN, TaskKind.INGEST)), Task.state.in_(LIVE_STATES), Task.group_id.is_not(None)
        )
    ).all()
    ids = []
    for task_id, type_, payload in rows:
        data = json.loads(payload or "{}")
        path = data.get("root") if type_ == TaskKind.SCAN else data.get("path")
        if isinstance(path, str) and any(is_under(path, root) for root in roots):
            ids.append(task_id)
    for start in range(0, len(ids), 500):
        s.execute(update(Task).where(Task.id.in_(ids[start : start + 500])).values(group_id=group_id))


def _forget_vanished_failures(s: Session) -> None:
    """A recorded failure of a file (or folder) that no longer exists has no cause left: drop it."""
    gone = []
    for (path,) in s.execute(select(FailedFile.path)):
        try:
            os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            gone.append(path)
        except OSError:
            pass  # cannot tell (a folder above it is unreadable): keep it
    clear_failures(s, gone)


class Importer:
    def __init__(self, library: "Library"):
        self._library = library

    # -- starting and running ------------------------------------------------------------------------------
    def start_import(self, paths: Iterable[str | Path]) -> int:
        """Queue an import of these files and folders as a new task group; returns its id.

        Raises MissingImportPaths (nothing is queued) when a path does not exist. Tasks of an earlier import
        that was interrupted (a kill, Ctrl-C, a full disk) and that cover the same files join this group, so
        its progress and summary count the work this import really does."""
        roots = list(dict.fromkeys(resolve_root(p) for p in paths))
        if not roots:
            raise ValueError("nothing to import: no paths given")
        absent = [root for root in roots if not os.path.lexists(root)]
        if absent:
            raise MissingImportPaths(absent)
        engine = self._library.tasks
        label = text_safe(roots[0] if len(roots) == 1 else f"{roots[0]} and {len(roots) - 1} more")
        # The group, its folders and its scans commit together: a kill in between leaves no empty import.
        with self._library.db.write_session() as s:
            group_id = engine.store.create_group("import", f"Import {label}", session=s)
            _forget_vanished_failures(s)
            _adopt_interrupted_tasks(s, roots, group_id)
            for root in roots:
                folder = s.scalar(select(Folder).where(Folder.path == root))
                if folder is None:
                    folder = Folder(path=root, added_at=time.time())
                    s.add(folder)
                    s.flush()
                engine.store.submit(
                    TaskKind.SCAN,
                    {"root": root, "folder_id": folder.id},
                    priority=Priority.IMPORT,
                    group_id=group_id,
                    dedupe_key=f"scan:{text_safe(root)}",
                    session=s,
                )
            submit_thumbnail_check(engine.store, s, group_id)  # missing or broken thumbnails are made again
        engine.wake()
        return group_id

    def import_paths(self, paths: Iterable[str | Path], progress: bool = True) -> ImportSummary:
        """Headless import: queue it, run the queue until idle (a tqdm bar on stderr if asked), summarise."""
        group_id = self.start_import(paths)
        if progress:
            self.run_with_progress_bar(group_id)
        else:
            self.run_until_idle(group_id)
        return self.summary(group_id)

    def run_with_progress_bar(self, group_id: int) -> None:
        """Like engine.run_until_idle, but the bar counts this import's files (done/total, files/s)."""
        from tqdm import tqdm

        with tqdm(total=0, unit="file", desc="Importing", dynamic_ncols=True, smoothing=0.1) as bar:

            def show(p: ImportProgress) -> None:
                bar.total = p.total
                bar.n = p.done
                bar.set_postfix(skipped=p.skipped, refresh=False)
                bar.refresh()

            self.run_until_idle(group_id, on_progress=show)

    def run_until_idle(self, group_id: int, on_progress: Callable[[ImportProgress], None] | None = None) -> None:
        """Run the whole queue (earlier interrupted imports' tasks too), reporting this import's progress."""
        tick = (lambda: on_progress(self.progress(group_id))) if on_progress is not None else None
        self._library.tasks.run_until_idle(on_tick=tick)

    # -- what happened -------------------------------------------------------------------------------------
    def progress(self, group_id: int) -> ImportProgress:
        with self._library.db.read_session() as s:
            rows = s.execute(
                select(Task.state, func.count()).where(Task.group_id == group_id, Task.type == TaskKind.INGEST).group_by(
                    Task.state
                )
            ).all()
            scan_results = _dialect_sql(s, _SCAN_RESULTS, _PG_SCAN_RESULTS)
            skipped, _missing, _unreadable, scanning = s.execute(scan_results, {"gid": group_id}).one()
        by_state = dict(rows)
        total = sum(by_state.values())
        done = total - sum(by_state.get(state, 0) for state in LIVE_STATES)
        return ImportProgress(done=done, total=total, skipped=int(skipped), scanning=bool(scanning))

    def summary(self, group_id: int) -> ImportSummary:
        counts = {"imported": 0, "duplicate": 0, "unchanged": 0, "failed": 0, "moved": 0}
        found_again = 0  # moved files whose old path this import's scan had counted as missing
        with self._library.db.read_session() as s:
            outcomes = _dialect_sql(s, _INGEST_OUTCOMES, _PG_INGEST_OUTCOMES)
            for outcome, state, n, again in s.execute(outcomes, {"gid": group_id}):
                if state == TaskState.DONE and outcome in counts:
                    counts[outcome] += n
                    found_again += int(again or 0)
                elif state in (TaskState.DEAD, TaskState.CANCELLED):
                    counts["failed"] += n if state == TaskState.DEAD else 0
            scan_results = _dialect_sql(s, _SCAN_RESULTS, _PG_SCAN_RESULTS)
            skipped, missing, unreadable, _scanning = s.execute(scan_results, {"gid": group_id}).one()
        return ImportSummary(
            imported=counts["imported"],
            duplicates=counts["duplicate"],
            skipped=int(skipped) + counts["unchanged"],
            failed=counts["failed"] + int(unreadable),
            missing=max(0, int(missing) - found_again),
            moved=counts["moved"],
        )

    def roots_without_photos(self, group_id: int) -> list[str]:
        """Roots of this import whose scan found no image file at all (new, unchanged or failed before)."""
        with self._library.db.read_session() as s:
            rows = s.execute(
                select(Task.payload).where(Task.group_id == group_id, Task.type == TaskKind.SCAN, Task.state == TaskState.DONE)
            ).all()
        empty = []
        for (payload,) in rows:
            data = json.loads(payload or "{}")
            if not data.get("found") and not data.get("skipped") and not data.get("unreadable"):
                empty.append(data["root"])
        return empty

    def errors(self) -> list[FailedFileInfo]:
        with self._library.db.read_session() as s:
            rows = s.execute(
                select(FailedFile.path, FailedFile.error_class, FailedFile.reason).order_by(FailedFile.path)
            ).all()
        return [FailedFileInfo(path=r.path, error_class=r.error_class, reason=r.reason) for r in rows]

    # -- duplicates ----------------------------------------------------------------------------------------
    def rebuild_duplicate_groups(self) -> int:
        """Recompute every near-duplicate group from scratch (imports only merge in their new photos)."""
        from app.core.ingest.duplicates import regroup

        with self._library.db.write_session() as s:
            return regroup(s, int(self._library.config.get("duplicates.phash_threshold")))

    def duplicate_groups(self) -> list[DuplicateGroupInfo]:
        """Exact groups (one photo, several files on disk) first, then near-duplicate groups."""
        with self._library.db.read_session() as s:
            exact_ids = list(
                s.scalars(
                    select(PhotoFile.photo_id)
                    .where(PhotoFile.missing.is_(False))
                    .group_by(PhotoFile.photo_id)
                    .having(func.count() > 1)
                    .order_by(PhotoFile.photo_id)
                )
            )
            near = s.execute(
                select(Photo.duplicate_group_id, Photo.id)
                .where(Photo.duplicate_group_id.is_not(None))
                .order_by(Photo.duplicate_group_id, Photo.id)
            ).all()
        members: dict[int, list[int]] = {}
        for group_id, photo_id in near:
            members.setdefault(group_id, []).append(photo_id)
        # One query for every photo shown, not one per group.
        wanted = set(exact_ids).union(*members.values())
        info = {p.id: p for p in self._library.photos.get_many(sorted(wanted))}
        groups = [DuplicateGroupInfo(id=pid, kind="exact", photos=[info[pid]]) for pid in exact_ids if pid in info]
        for group_id, ids in members.items():
            groups.append(DuplicateGroupInfo(id=group_id, kind="near", photos=[info[i] for i in ids if i in info]))
        return groups

    def keep_only(self, photo_id: int) -> list[int]:
        """Hide the other photos of this photo's near-duplicate group (files on disk are never touched)."""
        with self._library.db.write_session() as s:
            group_id = s.scalar(select(Photo.duplicate_group_id).where(Photo.id == photo_id))
            if group_id is None:
                return []
            others = list(
                s.scalars(select(Photo.id).where(Photo.duplicate_group_id == group_id, Photo.id != photo_id))
            )
            s.execute(update(Photo).where(Photo.id.in_(others)).values(hidden=True))
            s.execute(update(Photo).where(Photo.id == photo_id).values(hidden=False))
        return others

    def unhide(self, photo_ids: Iterable[int]) -> int:
        ids = list(photo_ids)
        with self._library.db.write_session() as s:
            return s.execute(update(Photo).where(Photo.id.in_(ids)).values(hidden=False)).rowcount
