"""The import as persisted tasks: `scan` one root -> `ingest` each new or changed file -> `duplicates` once.

Each handler does its file work before touching `ctx.session` (which takes SQLite's write lock), so ingest tasks
analyse files in parallel on the engine's threads and only queue briefly to write their rows. Outcomes are
written into the task's own payload in the same transaction as its `done`, which is what the import summary
counts (see Importer.summary).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass

from sqlalchemy import bindparam, false, func, insert, or_, select, update

from app.core.db.models import FailedFile, Folder, PhotoFile, Task, TaskGroup
from app.core.db.sql import stored_as_bytes
from app.core.db.types import needs_bytes, text_safe
from app.core.ingest.analyse import FileAnalysis, FileBusy, FileRejected, IngestSettings, analyse_file
from app.core.ingest import crop_backfill
from app.core.ingest.duplicates import update_groups
from app.core.ingest.errors import CONTENT_FAILURES, IngestError
from app.core.ingest.scan import is_under, walk_files
from app.core.ingest.sniff import looks_like_image_name, sniff
from app.core.ingest.thumbnails import flush_files
from app.core.ingest.store import clear_failures, mark_missing, store_analysis, store_failure
from app.core.tasks import Priority, TaskContext, prune, task_handler
from app.core.tasks.errors import TaskCancelled
from app.core.tasks.states import LIVE_STATES, TaskKind, TaskState

log = logging.getLogger(__name__)

DUPLICATES_POLL_S = 0.02
SCAN_BATCH = 500  # files queued per committed transaction of a scan
# Ingest tasks one worker claims, and commits, together: enough that the claim, the commit and the thumbnail
# flush cost little per photo; few enough that progress moves in small steps and a cancel lands quickly.
INGEST_BATCH = 32
# Failures decided by the file's bytes (CONTENT_FAILURES) are skipped on re-import while the file is unchanged.
# Anything else (a full disk, an I/O error, permissions, an unexpected error) is tried again by the next import.


_TASKS = Task.__table__
_SET_PAYLOAD = update(_TASKS).where(_TASKS.c.id == bindparam("task_id")).values(payload=bindparam("payload"))


def record_result(ctx: TaskContext, **result) -> None:
    """Keep this task's outcome in its payload, committed with its `done` (the summary reads it back)."""
    payload = {**ctx.payload, **result}
    ctx.session.connection().execute(_SET_PAYLOAD, {"task_id": ctx.task.id, "payload": json.dumps(payload)})


def _under(column, root: str):
    """A coarse SQL filter for paths under root, to refine with `is_under`: LIKE ignores ASCII case, and it never
    matches a path stored as bytes (not UTF-8, see FsPath), so those few all pass."""
    return or_(
        column == root,
        column.startswith(root.rstrip(os.sep) + os.sep, autoescape=True),
        stored_as_bytes(column),
    )


def ingest_key(path: str) -> str:
    """The dedupe key of a file's ingest task; a name that is not UTF-8 is keyed by its bytes in hex."""
    return f"ingest-bytes:{os.fsencode(path).hex()}" if needs_bytes(path) else f"ingest:{path}"


class _IngestQueue:
    """Queues a scan's files in committed batches, so workers start on the first photos within moments while
    the scan goes on. A kill between batches loses nothing: the re-run scan finds queued files by their dedupe
    key and imported ones as unchanged. A live ingest task of an earlier, interrupted import for the same file
    joins this import, so its outcome is counted here."""

    def __init__(self, ctx: TaskContext, folder_id: int | None, settings: IngestSettings):
        self._ctx = ctx
        self._folder_id = folder_id
        self._settings = asdict(settings)
        self._paths: list[str] = []
        self.queued = 0
        self._woken = False

    def add(self, path: str) -> None:
        self._paths.append(path)
        if len(self._paths) >= SCAN_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._paths:
            return
        ctx, group_id = self._ctx, self._ctx.task.group_id
        store = ctx.library.tasks.store
        with ctx.library.db.write_session() as s:
            # Under the write lock: a cancel of this scan (or of its import) cannot slip in before the commit.
            state, cancel = s.execute(select(Task.state, Task.cancel_requested).where(Task.id == ctx.task.id)).one()
            if state != TaskState.RUNNING or cancel:
                raise TaskCancelled()
            keys = {ingest_key(p): p for p in self._paths}
            # Queued already (live), or handled by this import since the scan read the library: not again.
            mine = Task.group_id == group_id if group_id is not None else false()
            queued = dict(
                s.execute(
                    select(Task.dedupe_key, Task.id).where(
                        Task.dedupe_key.in_(list(keys)), or_(Task.state.in_(LIVE_STATES), mine)
                    )
                ).all()
            )
            if queued and group_id is not None:
                s.execute(update(Task).where(Task.id.in_(list(queued.values()))).values(group_id=group_id))
            # One multi-row insert instead of a submit() per file: the dedupe check above covered the batch.
            now = time.time()
            rows = [
                {
                    "type": TaskKind.INGEST,
                    "payload": json.dumps({"path": path, "folder_id": self._folder_id, "settings": self._settings}),
                    "priority": Priority.IMPORT,
                    "state": TaskState.PENDING,
                    "attempts": 0,
                    "max_attempts": store.default_max_attempts,
                    "next_run_at": 0.0,
                    "created_at": now,
                    "progress": 0.0,
                    "group_id": group_id,
                    "parent_id": ctx.task.id,
                    "dedupe_key": key,
                    "cancel_requested": False,
                }
                for key, path in keys.items()
                if key not in queued
            ]
            if rows:
                s.execute(insert(Task), rows)
        self.queued += len(self._paths)
        self._paths.clear()
        if not self._woken:  # idle workers poll the queue anyway; waking them once saves that wait at the start
            self._woken = True
            ctx.library.tasks.wake()


@task_handler(TaskKind.SCAN)
def scan_root(ctx: TaskContext) -> None:
    root = ctx.payload["root"]
    folder_id = ctx.payload.get("folder_id")
    library = ctx.library
    settings = IngestSettings.from_config(library.config)  # read once per import; each ingest task carries it
    with library.db.read_session() as s:
        # Files this import's own ingest tasks already handled (a re-run scan after a kill) are not "skipped".
        since = s.scalar(select(TaskGroup.created_at).where(TaskGroup.id == ctx.task.group_id))
        known = known_files(s, root)
        failed = {
            r.path: r
            for r in s.execute(
                select(FailedFile.path, FailedFile.size, FailedFile.mtime_ns, FailedFile.error_class).where(
                    _under(FailedFile.path, root)
                )
            )
            if is_under(r.path, root)
        }

    errors: list[tuple[str, str]] = []
    queue = _IngestQueue(ctx, folder_id, settings)
    still_failing: set[str] = set()  # failed files that are skipped or tried again: their error rows stay
    skipped = 0
    for i, (path, size, mtime_ns) in enumerate(walk_files(root, exclude={str(library.root)}, errors=errors)):
        if i % 1000 == 0:
            ctx.check_cancelled()
        row = known.pop(path, None)  # what is left in `known` afterwards was not seen
        if row is not None:
            known_size, known_mtime, _id, was_missing, last_seen = row
            if known_size == size and known_mtime == mtime_ns and not was_missing:
                if since is None or last_seen < since:
                    skipped += 1  # unchanged since the last import
                continue
        prior = failed.get(path)
        if prior is not None and prior.error_class in CONTENT_FAILURES and (prior.size, prior.mtime_ns) == (
            size,
            mtime_ns,
        ):
            skipped += 1  # its bytes failed before and are unchanged: they would fail the same way
            still_failing.add(path)
            continue
        try:
            kind = sniff(path)
        except OSError:
            kind = None  # unreadable now: let the ingest task record why, if the name says it is an image
        if kind is not None or looks_like_image_name(path):
            if prior is not None:
                still_failing.add(path)
            queue.add(path)
    queue.flush()

    # A folder that could not be read hides what is in it: its files are neither missing nor fixed.
    blocked = [path for path, _ in errors if os.path.lexists(path)]

    def in_blocked(path: str) -> bool:
        return any(is_under(path, folder) for folder in blocked)

    gone = [row[2] for path, row in known.items() if not row[3] and _gone(path, in_blocked)]
    error_paths = {path for path, _ in errors}
    stale = [
        path for path in failed if path not in still_failing and path not in error_paths and not in_blocked(path)
    ]
    ctx.check_cancelled()

    session = ctx.session
    for path, reason in errors:
        store_failure(session, path, IngestError.UNREADABLE, f"cannot read: {reason}", folder_id=folder_id)
    clear_failures(session, stale)  # read now, gone for good, or no longer an image: the old error is moot
    missing = mark_missing(session, gone)
    if folder_id is not None:
        session.execute(update(Folder).where(Folder.id == folder_id).values(last_scan_at=time.time()))
    if ctx.task.group_id is not None:
        ctx.submit(
            TaskKind.DUPLICATES, {}, priority=Priority.NORMAL, dedupe_key=f"duplicates:{ctx.task.group_id}"
        )
    record_result(
        ctx, found=queue.queued, skipped=skipped, missing=missing, unreadable=len(errors), cleared=len(stale)
    )
    log.info(
        "scanned %s: %d to import, %d unchanged, %d missing, %d old errors cleared",
        text_safe(root), queue.queued, skipped, missing, len(stale),
    )


_KNOWN_SQL = "SELECT path, size, mtime_ns, id, missing, last_seen FROM photo_files WHERE {}"
# Text paths under a root, by the unique index on path: from "root/" up to "root0" ("0" follows "/"), exact in
# case (BINARY collation). Paths stored as bytes (not UTF-8, see FsPath) sort after all text: all are read and
# checked in Python (there are few).
_KNOWN_ROOT = _KNOWN_SQL.format("path = ?")
_KNOWN_TEXT = _KNOWN_SQL.format("path >= ? AND path < ?")
_KNOWN_BYTES = _KNOWN_SQL.format("path >= X''")


def known_files(session, root: str) -> dict[str, tuple[int, int, int, int, float]]:
    """The library's files under `root` (or `root` itself): path -> (size, mtime_ns, id, missing 0/1, last_seen).

    Read through the driver's cursor as plain tuples: a re-import of 100k unchanged files compares each with its
    row, and SQLAlchemy rows (with FsPath's conversion per row) cost three times the whole comparison."""
    if session.get_bind().dialect.name == "postgresql":  # no raw-bytes paths there; the driver's SQL differs
        rows = session.execute(select(PhotoFile.path, PhotoFile.size, PhotoFile.mtime_ns, PhotoFile.id,
                                      PhotoFile.missing, PhotoFile.last_seen).where(_under(PhotoFile.path, root)))
        return {row[0]: tuple(row[1:]) for row in rows if is_under(row[0], root)}
    known = {}
    with contextlib.closing(session.connection().connection.driver_connection.cursor()) as cursor:
        if not needs_bytes(root):
            prefix = root.rstrip(os.sep) + os.sep
            for row in cursor.execute(_KNOWN_ROOT, (root,)):
                known[row[0]] = row[1:]
            for row in cursor.execute(_KNOWN_TEXT, (prefix, prefix[:-1] + chr(ord(os.sep) + 1))):
                known[row[0]] = row[1:]
        for row in cursor.execute(_KNOWN_BYTES):
            path = os.fsdecode(row[0])
            if is_under(path, root):
                known[path] = row[1:]
    return known


def _gone(path: str, in_blocked) -> bool:
    """Gone for good: not there, and not merely behind a folder this scan could not read."""
    if in_blocked(path):
        return False
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False  # cannot tell (permission): not "missing"
    return False


@dataclass(frozen=True)
class _Ingested:
    """One file's prepared ingest: its analysis, or why it is recorded as failed."""

    path: str
    folder_id: int | None
    analysis: FileAnalysis | None = None
    failure: tuple[str, str] | None = None  # (error class, reason)


def _analyse(ctx: TaskContext) -> _Ingested:
    """The file work of one ingest task (no database): hash, metadata, thumbnails (written, flushed later)."""
    path = ctx.payload["path"]
    folder_id = ctx.payload.get("folder_id")
    carried = ctx.payload.get("settings")  # read once by the scan; tasks queued by older versions lack it
    settings = IngestSettings(**carried) if carried else IngestSettings.from_config(ctx.library.config)
    ctx.check_cancelled()
    try:
        analysis = analyse_file(path, ctx.library.layout, settings, durable=False)
    except FileRejected as exc:
        return _Ingested(path, folder_id, failure=(exc.error_class, exc.reason))
    except FileBusy as exc:
        if ctx.task.attempts < ctx.task.max_attempts:
            raise  # the engine retries later with backoff
        return _Ingested(path, folder_id, failure=(exc.error_class, str(exc)))
    except Exception as exc:  # noqa: BLE001 - a decoder bug on odd input must not lose the file silently
        if ctx.task.attempts < ctx.task.max_attempts:
            raise
        log.warning("ingest of %s failed unexpectedly", path, exc_info=True)
        return _Ingested(path, folder_id, failure=(type(exc).__name__, f"unexpected error: {exc}"))
    return _Ingested(path, folder_id, analysis=analysis)


def _flush(items: list[tuple[TaskContext, _Ingested]]) -> list:
    """Flush the new thumbnails of a whole batch to disk in one pass, before its commit refers to them. A file
    that cannot be flushed (a full disk) fails its photo alone, like a thumbnail that could not be written."""
    paths = [p for _, item in items if item.analysis is not None for p in item.analysis.unflushed]
    errors = flush_files(paths) if paths else {}
    results = []
    for ctx, item in items:
        failed = [errors[p] for p in item.analysis.unflushed if p in errors] if item.analysis is not None else []
        if not failed:
            results.append(item)
            continue
        for p in item.analysis.unflushed:  # perhaps incomplete on disk: the next import writes them again
            with contextlib.suppress(OSError):
                os.unlink(p)
        exc = FileBusy(f"cannot write thumbnails: {failed[0].strerror or failed[0]}")
        exc.__cause__ = failed[0]
        if ctx.task.attempts < ctx.task.max_attempts:
            results.append(exc)
        else:
            results.append(_Ingested(item.path, item.folder_id, failure=(exc.error_class, str(exc))))
    return results


def _store(ctx: TaskContext, item: _Ingested) -> None:
    """The database half, in the (batch's) transaction that also marks the task done."""
    if item.failure is not None:
        _record_failure(ctx, item.path, item.folder_id, *item.failure)
        return
    outcome = store_analysis(ctx.session, item.analysis, item.folder_id)
    record_result(ctx, outcome=outcome.kind, was_missing=outcome.was_missing)


@task_handler(TaskKind.INGEST, batch=INGEST_BATCH, write=_store, settle=_flush)
def ingest_file(ctx: TaskContext) -> _Ingested:
    """Batched (registry.HandlerSpec): files are analysed one by one, their thumbnails flushed together, and
    their rows written in one transaction per batch."""
    return _analyse(ctx)


def _record_failure(ctx: TaskContext, path: str, folder_id, error_class: str, reason: str) -> None:
    try:
        st = os.stat(path)
        size, mtime_ns = st.st_size, st.st_mtime_ns
    except OSError:
        size = mtime_ns = None
    store_failure(ctx.session, path, error_class, reason, folder_id=folder_id, size=size, mtime_ns=mtime_ns)
    record_result(ctx, outcome="failed", error_class=error_class)


@task_handler(TaskKind.DUPLICATES)
def group_duplicates(ctx: TaskContext) -> None:
    """Regroup near duplicates once the group's files are all in (defers while ingest tasks are live)."""
    group_id = ctx.task.group_id
    if group_id is not None:
        with ctx.library.db.read_session() as s:
            live = s.scalar(
                select(func.count()).where(
                    Task.group_id == group_id,
                    Task.id != ctx.task.id,
                    Task.type.in_((TaskKind.SCAN, TaskKind.INGEST)),
                    Task.state.in_(LIVE_STATES),
                )
            )
        if live:
            ctx.defer(DUPLICATES_POLL_S)
    threshold = int(ctx.library.config.get("duplicates.phash_threshold"))
    groups = update_groups(ctx.session, threshold)
    record_result(ctx, groups=groups)
    _schedule_embedding(ctx)
    crop_backfill.schedule(ctx)
    from app.core.places.tasks import submit_places

    submit_places(ctx)  # place names, then events, for the new photos
    _schedule_faces(ctx)
    prune.schedule(ctx)


def _schedule_embedding(ctx: TaskContext) -> None:
    """The import's last step starts smart-search analysis of the new photos, in this same transaction."""
    from app.core.ml.embed import embed_request

    request = embed_request(ctx.library)
    if request is not None:
        ctx.submit(request.pop("type_"), group_id=None, **request)


def _schedule_faces(ctx: TaskContext) -> None:
    """And the face scan of the photos not yet searched for faces, in this same transaction."""
    from app.core.people.scan import queue_faces

    queue_faces(ctx.library, session=ctx.session)
