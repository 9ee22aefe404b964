"""The import as persisted tasks: `scan` one root -> `ingest` each new or changed file -> `duplicates` once.

Each handler does its file work before touching `ctx.session` (which takes SQLite's write lock), so ingest tasks
analyse files in parallel on the engine's threads and only queue briefly to write their rows. Outcomes are
written into the task's own payload in the same transaction as its `done`, which is what the import summary
counts (see Importer.summary).
"""

from __future__ import annotations

import json
import logging
import os
import time

from sqlalchemy import func, or_, select, update

from app.core.db.models import FailedFile, Folder, PhotoFile, Task
from app.core.ingest.analyse import FileBusy, FileRejected, IngestSettings, analyse_file
from app.core.ingest import crop_backfill
from app.core.ingest.duplicates import regroup
from app.core.ingest.scan import walk_files
from app.core.ingest.sniff import looks_like_image_name, sniff
from app.core.ingest.store import mark_missing, store_analysis, store_failure
from app.core.tasks import Priority, TaskContext, task_handler
from app.core.tasks.store import LIVE_STATES

log = logging.getLogger(__name__)

DUPLICATES_POLL_S = 0.02
# Failures decided by the file's bytes: an unchanged file is skipped on re-import. Anything else (a full disk,
# an I/O error, permissions, an unexpected error) is tried again by the next import.
CONTENT_FAILURES = (
    "CorruptImage", "TruncatedImage", "NotAnImage", "EmptyFile", "UnsupportedRaw", "DecompressionBomb", "NotAFile",
)


def record_result(ctx: TaskContext, **result) -> None:
    """Keep this task's outcome in its payload, committed with its `done` (the summary reads it back)."""
    payload = {**ctx.payload, **result}
    ctx.session.execute(update(Task).where(Task.id == ctx.task.id).values(payload=json.dumps(payload)))


def _under(column, root: str):
    return or_(column == root, column.startswith(root.rstrip(os.sep) + os.sep, autoescape=True))


@task_handler("scan")
def scan_root(ctx: TaskContext) -> None:
    root = ctx.payload["root"]
    folder_id = ctx.payload.get("folder_id")
    library = ctx.library
    with library.db.read_session() as s:
        known = {
            r.path: r
            for r in s.execute(
                select(PhotoFile.id, PhotoFile.path, PhotoFile.size, PhotoFile.mtime_ns, PhotoFile.missing).where(
                    _under(PhotoFile.path, root)
                )
            )
        }
        failed = {
            r.path: (r.size, r.mtime_ns)
            for r in s.execute(
                select(FailedFile.path, FailedFile.size, FailedFile.mtime_ns).where(
                    _under(FailedFile.path, root), FailedFile.error_class.in_(CONTENT_FAILURES)
                )
            )
        }

    errors: list[tuple[str, str]] = []
    candidates: list[str] = []
    seen: set[str] = set()
    skipped = 0
    for i, entry in enumerate(walk_files(root, exclude={str(library.root)}, errors=errors)):
        if i % 200 == 0:
            ctx.check_cancelled()
        seen.add(entry.path)
        row = known.get(entry.path)
        if row is not None and not row.missing and (row.size, row.mtime_ns) == (entry.size, entry.mtime_ns):
            skipped += 1  # unchanged since the last import
            continue
        if failed.get(entry.path) == (entry.size, entry.mtime_ns):
            skipped += 1  # its bytes failed before and are unchanged: they would fail the same way
            continue
        try:
            kind = sniff(entry.path)
        except OSError:
            kind = None  # unreadable now: let the ingest task record why, if the name says it is an image
        if kind is not None or looks_like_image_name(entry.path):
            candidates.append(entry.path)

    gone = [r.id for path, r in known.items() if path not in seen and not r.missing and not os.path.exists(path)]
    ctx.check_cancelled()

    session = ctx.session
    for path in candidates:
        ctx.submit(
            "ingest",
            {"path": path, "folder_id": folder_id},
            priority=Priority.IMPORT,
            dedupe_key=f"ingest:{path}",
        )
    for path, reason in errors:
        store_failure(session, path, "Unreadable", f"cannot read: {reason}", folder_id=folder_id)
    missing = mark_missing(session, gone)
    if folder_id is not None:
        session.execute(update(Folder).where(Folder.id == folder_id).values(last_scan_at=time.time()))
    if ctx.task.group_id is not None:
        ctx.submit(
            "duplicates", {}, priority=Priority.NORMAL, dedupe_key=f"duplicates:{ctx.task.group_id}"
        )
    record_result(
        ctx, found=len(candidates), skipped=skipped, missing=missing, unreadable=len(errors)
    )
    log.info("scanned %s: %d to import, %d unchanged, %d missing", root, len(candidates), skipped, missing)


@task_handler("ingest")
def ingest_file(ctx: TaskContext) -> None:
    path = ctx.payload["path"]
    folder_id = ctx.payload.get("folder_id")
    settings = IngestSettings.from_config(ctx.library.config)
    ctx.check_cancelled()
    try:
        analysis = analyse_file(path, ctx.library.layout, settings)
    except FileRejected as exc:
        _record_failure(ctx, path, folder_id, exc.error_class, exc.reason)
        return
    except FileBusy as exc:
        if ctx.task.attempts < ctx.task.max_attempts:
            raise  # the engine retries later with backoff
        _record_failure(ctx, path, folder_id, "FileBusy", str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a decoder bug on odd input must not lose the file silently
        if ctx.task.attempts < ctx.task.max_attempts:
            raise
        log.warning("ingest of %s failed unexpectedly", path, exc_info=True)
        _record_failure(ctx, path, folder_id, type(exc).__name__, f"unexpected error: {exc}")
        return
    ctx.check_cancelled()
    outcome = store_analysis(ctx.session, analysis, folder_id)
    record_result(ctx, outcome=outcome.kind, was_missing=outcome.was_missing)


def _record_failure(ctx: TaskContext, path: str, folder_id, error_class: str, reason: str) -> None:
    try:
        st = os.stat(path)
        size, mtime_ns = st.st_size, st.st_mtime_ns
    except OSError:
        size = mtime_ns = None
    store_failure(ctx.session, path, error_class, reason, folder_id=folder_id, size=size, mtime_ns=mtime_ns)
    record_result(ctx, outcome="failed", error_class=error_class)


@task_handler("duplicates")
def group_duplicates(ctx: TaskContext) -> None:
    """Regroup near duplicates once the group's files are all in (defers while ingest tasks are live)."""
    group_id = ctx.task.group_id
    if group_id is not None:
        with ctx.library.db.read_session() as s:
            live = s.scalar(
                select(func.count()).where(
                    Task.group_id == group_id,
                    Task.id != ctx.task.id,
                    Task.type.in_(("scan", "ingest")),
                    Task.state.in_(LIVE_STATES),
                )
            )
        if live:
            ctx.defer(DUPLICATES_POLL_S)
    threshold = int(ctx.library.config.get("duplicates.phash_threshold"))
    groups = regroup(ctx.session, threshold)
    record_result(ctx, groups=groups)
    _schedule_embedding(ctx)
    crop_backfill.schedule(ctx)


def _schedule_embedding(ctx: TaskContext) -> None:
    """The import's last step starts smart-search analysis of the new photos, in this same transaction."""
    from app.core.ml.embed import embed_request

    request = embed_request(ctx.library)
    if request is not None:
        ctx.submit(request.pop("type_"), group_id=None, **request)
