"""Prune finished task rows: a 100k-photo library keeps one `done` ingest task per photo forever otherwise
(44% of its database). Their counters and duration histogram are first added to `task_totals`, in the same
transaction as the delete, so `shoebox metrics` reports the same history after a prune (and a kill in between
counts nothing twice). Dead tasks stay: they wait for the user's requeue. Tasks of an import that still has live
tasks stay too (the import's summary reads them). Freed pages are returned to the disk with SQLite's
incremental vacuum (on Postgres, by VACUUM).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import text

from app.core.db.models import TASKS_FINISHED_SQL
from app.core.tasks.context import TaskContext
from app.core.tasks.registry import task_handler
from app.core.tasks.states import LIVE_STATES, TaskState
from app.core.tasks.store import Priority

if TYPE_CHECKING:
    from app.core.db.database import Database

log = logging.getLogger(__name__)

KEEP_DAYS_KEY = "tasks.keep_finished_days"
BATCH = 5000  # rows aggregated and deleted per transaction
_LIVE = ", ".join(f"'{s}'" for s in LIVE_STATES)
_BATCH_SQL = f"""
SELECT id FROM tasks
WHERE state IN ('{TaskState.DONE}', '{TaskState.CANCELLED}') AND finished_at < :cutoff
  AND (group_id IS NULL OR group_id NOT IN (SELECT group_id FROM tasks WHERE state IN ({_LIVE}) AND group_id IS NOT NULL))
  AND id NOT IN (SELECT parent_id FROM tasks WHERE state IN ({_LIVE}) AND parent_id IS NOT NULL)
ORDER BY id LIMIT :limit
"""
_DURATION = "(CASE WHEN finished_at > started_at THEN finished_at - started_at ELSE 0.0 END)"
_TIMED = f"state = '{TaskState.DONE}' AND started_at IS NOT NULL AND finished_at IS NOT NULL"


def _ids(dialect: str) -> str:
    """The task ids of the JSON list `:ids` as a subquery (SQLite's json_each; Postgres's json functions)."""
    if dialect == "postgresql":
        return "SELECT CAST(json_array_elements_text(CAST(:ids AS json)) AS bigint)"
    return "SELECT value FROM json_each(:ids)"


@functools.cache
def _aggregate_sql(dialect: str) -> str:
    from app.core.tasks.metrics import DURATION_BUCKETS  # prometheus_client: only when something is pruned

    bucket_sql = ", ".join(f"sum(CASE WHEN {_TIMED} AND {_DURATION} <= {b!r} THEN 1 ELSE 0 END)" for b in DURATION_BUCKETS)
    return f"""
SELECT type, state, count(*), coalesce(sum(attempts), 0), sum(CASE WHEN error_class IS NOT NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN {_TIMED} THEN 1 ELSE 0 END), coalesce(sum(CASE WHEN {_TIMED} THEN {_DURATION} END), 0.0),
       {bucket_sql}
FROM tasks WHERE id IN ({_ids(dialect)}) GROUP BY type, state
"""


# Is any finished task old enough? Answered from the partial index ix_tasks_finished (its terms repeated as they
# are), so the import that finds none, the usual case, reads no task row; the batch query reads them all. SQLite
# is told the index (it preferred ix_tasks_claim's equal state, which walks every finished task).
_ANY_OLD_SQL = "SELECT 1 FROM tasks {} WHERE " + TASKS_FINISHED_SQL + " AND finished_at < :cutoff LIMIT 1"


def _any_old_sql(dialect: str) -> str:
    return _ANY_OLD_SQL.format("INDEXED BY ix_tasks_finished" if dialect == "sqlite" else "")


def prune_finished(db: "Database", older_than_s: float, *, now: float | None = None, vacuum: bool = True) -> int:
    """Fold finished tasks older than `older_than_s` into `task_totals` and delete them; returns how many."""
    cutoff = (time.time() if now is None else now) - older_than_s
    with db.read_session() as s:
        if s.execute(text(_any_old_sql(db.dialect)), {"cutoff": cutoff}).first() is None:
            return 0
    pruned = 0
    while True:
        with db.write_session() as s:
            ids = list(s.execute(text(_BATCH_SQL), {"cutoff": cutoff, "limit": BATCH}).scalars())
            if not ids:
                break
            _add_totals(s, json.dumps(ids), db.dialect)
            s.execute(text(f"DELETE FROM tasks WHERE id IN ({_ids(db.dialect)})"), {"ids": json.dumps(ids)})
        pruned += len(ids)
    if pruned:
        log.info("pruned %d finished tasks older than %.1f days", pruned, older_than_s / 86400)
        if vacuum:
            db.vacuum()
    return pruned


def _add_totals(s, ids_json: str, dialect: str) -> None:
    for row in s.execute(text(_aggregate_sql(dialect)), {"ids": ids_json}).all():
        type_, state, tasks, attempts, errors, timed, seconds = row[:7]
        buckets = list(row[7:])
        old = s.execute(
            text("SELECT tasks, attempts, errors, duration_count, duration_sum, duration_buckets FROM task_totals "
                 "WHERE type = :type AND state = :state"),
            {"type": type_, "state": state},
        ).first()
        if old is not None:
            tasks, attempts, errors = tasks + old[0], attempts + old[1], errors + old[2]
            timed, seconds = timed + old[3], seconds + old[4]
            buckets = [a + b for a, b in zip(buckets, json.loads(old[5]))]
        s.execute(
            text(
                "INSERT INTO task_totals (type, state, tasks, attempts, errors, duration_count, "
                "duration_sum, duration_buckets) VALUES (:type, :state, :tasks, :attempts, :errors, :timed, "
                ":seconds, :buckets) ON CONFLICT (type, state) DO UPDATE SET tasks = excluded.tasks, "
                "attempts = excluded.attempts, errors = excluded.errors, duration_count = excluded.duration_count, "
                "duration_sum = excluded.duration_sum, duration_buckets = excluded.duration_buckets"
            ),
            {"type": type_, "state": state, "tasks": tasks, "attempts": attempts, "errors": errors, "timed": timed,
             "seconds": float(seconds), "buckets": json.dumps(buckets)},
        )


TASK_TYPE = "prune"


@task_handler(TASK_TYPE, max_concurrency=1)
def prune_task(ctx: TaskContext) -> None:
    """Queued at the end of each import: prune by the library's `tasks.keep_finished_days`."""
    days = ctx.library.config.get(KEEP_DAYS_KEY)
    if days is not None and days >= 0:
        prune_finished(ctx.library.db, float(days) * 86400)


def schedule(ctx: TaskContext) -> None:
    """Queue one prune (a live one already queued is enough), committed with the caller's task."""
    ctx.submit(TASK_TYPE, {}, priority=Priority.BULK, group_id=None, dedupe_key=TASK_TYPE)
