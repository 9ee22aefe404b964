"""Finished task rows are pruned after a configurable age; `metrics` reports the same counters and histogram
afterwards (they are folded into task_totals in the delete's transaction); dead tasks and the tasks of an
import still running stay; the freed pages go back to the disk."""

from __future__ import annotations

import time

import pytest

from sqlalchemy import func, select, update

from app.core.db.models import Task
from app.core.tasks.metrics import render_metrics
from app.core.tasks.prune import prune_finished
from app.core.tasks.states import TaskState
from tests.pg import library_args

DAY = 86400.0


def _finish(library, task_id: int, state: str, *, age_days: float, seconds: float, attempts: int = 1,
            error: str | None = None) -> None:
    finished = time.time() - age_days * DAY
    with library.db.write_session() as s:
        s.execute(update(Task).where(Task.id == task_id).values(
            state=state, started_at=finished - seconds, finished_at=finished, attempts=attempts, error_class=error))


def _fill(library) -> dict[str, list[int]]:
    store = library.tasks.store
    group = store.create_group("import", "running import")
    ids: dict[str, list[int]] = {"old": [], "new": [], "kept": []}
    for i in range(40):
        tid = store.submit("ingest" if i % 3 else "scan", {"i": i})
        state = TaskState.CANCELLED if i % 10 == 9 else TaskState.DONE
        _finish(library, tid, state, age_days=30, seconds=0.003 * (i + 1), attempts=1 + i % 2,
                error="OSError" if i % 7 == 0 else None)
        ids["old"].append(tid)
    for i in range(5):
        tid = store.submit("ingest", {"n": i})
        _finish(library, tid, TaskState.DONE, age_days=1, seconds=0.2)
        ids["new"].append(tid)
    dead = store.submit("ingest", {"dead": 1})
    _finish(library, dead, TaskState.DEAD, age_days=30, seconds=0.1, attempts=3, error="ValueError")
    ids["kept"].append(dead)
    in_running_import = store.submit("ingest", {"g": 1}, group_id=group)
    _finish(library, in_running_import, TaskState.DONE, age_days=30, seconds=0.5)
    still_live = store.submit("ingest", {"g": 2}, group_id=group)  # pending: the import is not over
    ids["kept"] += [in_running_import, still_live]
    return ids


def test_prune_keeps_metrics_and_removes_old_finished_rows(library):
    ids = _fill(library)
    before = render_metrics(library.tasks.store)
    assert prune_finished(library.db, 7 * DAY) == len(ids["old"])
    with library.db.read_session() as s:
        left = set(s.scalars(select(Task.id)))
    assert left == set(ids["new"]) | set(ids["kept"])
    assert render_metrics(library.tasks.store) == before
    # A second prune adds to the totals instead of replacing them.
    for tid in ids["new"]:
        _finish(library, tid, TaskState.DONE, age_days=10, seconds=0.2)
    assert prune_finished(library.db, 7 * DAY) == len(ids["new"])
    assert render_metrics(library.tasks.store) == before
    assert prune_finished(library.db, 7 * DAY) == 0


def test_prune_frees_pages_incrementally(library):
    if library.db.is_postgres:
        pytest.skip("SQLite's page counts; Postgres frees space with VACUUM")
    store = library.tasks.store
    with library.db.write_session() as s:
        assert s.connection().exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2  # incremental in new libraries
    for i in range(3000):
        tid = store.submit("ingest", {"padding": "x" * 400, "i": i})
    with library.db.write_session() as s:
        s.execute(update(Task).values(state=TaskState.DONE, started_at=1.0, finished_at=2.0))
        pages = s.connection().exec_driver_sql("PRAGMA page_count").scalar()
    assert prune_finished(library.db, 7 * DAY) == 3000
    with library.db.write_session() as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 0
        assert s.connection().exec_driver_sql("PRAGMA page_count").scalar() < pages / 2
        assert s.connection().exec_driver_sql("PRAGMA freelist_count").scalar() == 0


def test_prune_cli_uses_the_setting(library, capsys):
    from app.cli import main

    _fill(library)
    library.config.set("tasks.keep_finished_days", 14.0)
    library.close()
    assert main([*library_args(library), "tasks", "prune"]) == 0
    assert "pruned 40 finished tasks older than 14 days" in capsys.readouterr().out
