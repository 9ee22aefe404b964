"""The task queue as rows in the library database: submit, claim atomically, finish, cancel, requeue.

No Qt here: the engine (threads, signals) and the deterministic test executor both drive this class.
Claiming is one `UPDATE … WHERE id = (SELECT …) RETURNING` statement, which SQLite runs under its write lock,
so no two workers, threads or processes, can take the same task. On PostgreSQL the same statement locks the
rows it takes (`FOR UPDATE SKIP LOCKED`) instead, so workers on several machines claim at once.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Iterable, Optional

import psutil
from sqlalchemy import and_, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session

from app.core.db.database import Database
from app.core.db.models import TASKS_WAITING_SQL, Task, TaskGroup, TaskTotals
from app.core.tasks.states import ALL_STATES, LIVE_STATES, TERMINAL_STATES, WAITING_STATES, TaskState

__all__ = ["ALL_STATES", "LIVE_STATES", "TERMINAL_STATES", "WAITING_STATES", "TaskState", "TaskStore", "Priority"]


class Priority:
    USER = 100  # what the user is looking at right now
    IMPORT = 50
    NORMAL = 0
    BULK = -50  # embeddings, captions: after everything else


@dataclass(frozen=True)
class ClaimedTask:
    id: int
    type: str
    payload: dict
    priority: int
    attempts: int
    max_attempts: int
    group_id: Optional[int]


@dataclass(frozen=True)
class TaskInfo:
    id: int
    type: str
    state: str
    priority: int
    attempts: int
    max_attempts: int
    group_id: Optional[int]
    progress: float
    created_at: float
    started_at: Optional[float]
    finished_at: Optional[float]
    next_run_at: float
    error_class: Optional[str]
    error_message: Optional[str]
    payload: dict

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class GroupStatus:
    group_id: int
    kind: str
    label: str
    total: int
    done: int
    failed: int  # dead: will not be retried without a requeue
    cancelled: int
    live: int  # pending, running or waiting to retry
    rate: float  # tasks finished per second since the group started

    @property
    def finished(self) -> bool:
        return self.live == 0


def process_owner() -> str:
    """Identifies this process across restarts: host, pid and the pid's start time (pids get reused)."""
    proc = psutil.Process(os.getpid())
    return f"{socket.gethostname()}:{os.getpid()}:{int(proc.create_time())}"


def _claimed(row) -> ClaimedTask:
    return ClaimedTask(
        id=row.id,
        type=row.type,
        payload=json.loads(row.payload or "{}"),
        priority=row.priority,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        group_id=row.group_id,
    )


def _owner_alive(owner: str) -> bool:
    try:
        host, pid, started = owner.split(":")[:3]
    except ValueError:
        return False
    if host != socket.gethostname():
        return True  # another machine's process: we cannot tell, so leave its tasks alone
    try:
        proc = psutil.Process(int(pid))
        return int(proc.create_time()) == int(started) and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, ValueError):
        return False


# Claiming walks the partial index ix_tasks_waiting (priority, id over waiting rows only), so it costs O(log n)
# however many tasks are queued: the innermost SELECT finds the highest priority with a due task by scanning
# the index backwards, the middle one the oldest due task of that priority by scanning forwards. (One DESC/ASC
# ordering would need a DESC index column, which Alembic cannot compare on SQLite.) The WHERE clauses repeat
# the index's own term word for word, or SQLite could not use a partial index; test_claim_uses_the_waiting_index
# checks the plan.
_DUE = f"{TASKS_WAITING_SQL} AND next_run_at <= :now AND type NOT IN :excluded"
_DUE_ONLY = f"{_DUE} AND type IN :only"
_CLAIM_SQL = f"""
UPDATE tasks
SET state = '{TaskState.RUNNING}', claimed_by = :owner, started_at = :now, attempts = attempts + 1, progress = 0.0
WHERE id = (
    SELECT id FROM tasks INDEXED BY ix_tasks_waiting
    WHERE {_DUE} AND priority = (
        SELECT priority FROM tasks INDEXED BY ix_tasks_waiting
        WHERE {_DUE} AND priority >= :min_priority
        ORDER BY priority DESC
        LIMIT 1
    )
    ORDER BY id ASC
    LIMIT 1
)
RETURNING id, type, payload, priority, attempts, max_attempts, group_id
"""
# The rest of a batch (HandlerSpec.batch): the next due tasks of the claimed task's type and priority, oldest
# first, through the same index.
_CLAIM_MORE_SQL = f"""
UPDATE tasks
SET state = '{TaskState.RUNNING}', claimed_by = :owner, started_at = :now, attempts = attempts + 1, progress = 0.0
WHERE id IN (
    SELECT id FROM tasks INDEXED BY ix_tasks_waiting
    WHERE {TASKS_WAITING_SQL} AND priority = :priority AND next_run_at <= :now AND type = :type
    ORDER BY id ASC
    LIMIT :n
)
RETURNING id, type, payload, priority, attempts, max_attempts, group_id
"""

# Postgres: the same claims with row locks instead of a database-wide write lock. `FOR UPDATE SKIP LOCKED` takes
# the chosen rows and steps over rows another worker's claim holds, so many processes (on many machines) claim
# at once and no task is taken twice: a row is locked until the claim commits, then no longer waiting. The
# partial indexes exist on Postgres too (migration 0002). The first form walks them as on SQLite (highest due
# priority, then oldest of it); when other claims hold every due task of that priority it finds nothing, and the
# second form (one sort over the due tasks) takes the best task nobody holds.
_PG_CLAIM_SQL = f"""
UPDATE tasks
SET state = '{TaskState.RUNNING}', claimed_by = :owner, started_at = :now, attempts = attempts + 1, progress = 0.0
WHERE id IN (
    SELECT id FROM tasks
    WHERE {_DUE} AND priority = (
        SELECT priority FROM tasks WHERE {_DUE} AND priority >= :min_priority ORDER BY priority DESC LIMIT 1
    )
    ORDER BY id ASC
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, type, payload, priority, attempts, max_attempts, group_id
"""
_PG_CLAIM_ANY_SQL = f"""
UPDATE tasks
SET state = '{TaskState.RUNNING}', claimed_by = :owner, started_at = :now, attempts = attempts + 1, progress = 0.0
WHERE id IN (
    SELECT id FROM tasks
    WHERE {_DUE} AND priority >= :min_priority
    ORDER BY priority DESC, id ASC
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, type, payload, priority, attempts, max_attempts, group_id
"""
_PG_CLAIM_MORE_SQL = f"""
UPDATE tasks
SET state = '{TaskState.RUNNING}', claimed_by = :owner, started_at = :now, attempts = attempts + 1, progress = 0.0
WHERE id IN (
    SELECT id FROM tasks
    WHERE {TASKS_WAITING_SQL} AND priority = :priority AND next_run_at <= :now AND type = :type
    ORDER BY id ASC
    LIMIT :n
    FOR UPDATE SKIP LOCKED
)
RETURNING id, type, payload, priority, attempts, max_attempts, group_id
"""


_TASKS = Task.__table__
_MARK_DONE = (
    update(_TASKS)
    .where(
        _TASKS.c.id == bindparam("task_id"),
        _TASKS.c.state == TaskState.RUNNING,
        _TASKS.c.claimed_by == bindparam("owner"),
        _TASKS.c.cancel_requested.is_(False),
    )
    .values(state=TaskState.DONE, progress=1.0, finished_at=bindparam("now"))
)


class TaskStore:
    def __init__(self, db: Database, *, default_max_attempts: int = 3):
        self.db = db
        self.default_max_attempts = default_max_attempts
        self.owner = process_owner()
        postgres = db.is_postgres
        claim_sql = _PG_CLAIM_SQL if postgres else _CLAIM_SQL
        excluded, only = bindparam("excluded", expanding=True), bindparam("only", expanding=True)
        self._claim = text(claim_sql).bindparams(excluded)
        self._claim_any = text(_PG_CLAIM_ANY_SQL).bindparams(excluded) if postgres else None
        # A worker for some types only (`shoebox worker --types`): the same claims, limited to those types.
        self._claim_only = text(claim_sql.replace(_DUE, _DUE_ONLY)).bindparams(excluded, only)
        self._claim_any_only = (text(_PG_CLAIM_ANY_SQL.replace(_DUE, _DUE_ONLY)).bindparams(excluded, only)
                                if postgres else None)
        self._claim_more = text(_PG_CLAIM_MORE_SQL if postgres else _CLAIM_MORE_SQL)
        # Claims on Postgres take row locks, not the write lock (app.core.db.postgres).
        self._claim_session = db.read_session if postgres else db.write_session
        indexed = "" if postgres else "INDEXED BY ix_tasks_waiting_due "
        waiting = f"FROM tasks {indexed}WHERE {TASKS_WAITING_SQL}"
        self._due_now = text(f"SELECT 1 {waiting} AND next_run_at <= :now LIMIT 1")
        self._next_due = text(f"SELECT min(next_run_at) {waiting}")

    # -- submitting ----------------------------------------------------------------------------------------
    def _in_transaction(self, session: Session | None, work):
        """Run `work` in the caller's transaction when given one (a handler's follow-ups commit with it),
        else in a write transaction of its own."""
        if session is not None:
            return work(session)
        with self.db.write_session() as s:
            return work(s)

    def create_group(self, kind: str, label: str, session: Session | None = None) -> int:
        def run(s: Session) -> int:
            group = TaskGroup(kind=kind, label=label, created_at=time.time())
            s.add(group)
            s.flush()
            return group.id

        return self._in_transaction(session, run)

    def submit(
        self,
        type_: str,
        payload: dict | None = None,
        *,
        priority: int = Priority.NORMAL,
        group_id: int | None = None,
        max_attempts: int | None = None,
        dedupe_key: str | None = None,
        parent_id: int | None = None,
        session: Session | None = None,
    ) -> int | None:
        """Add a task; with a dedupe_key, a live task with the same key makes this a no-op (returns None)."""

        def run(s: Session) -> int | None:
            if dedupe_key is not None:
                existing = s.scalar(
                    select(Task.id).where(Task.dedupe_key == dedupe_key, Task.state.in_(LIVE_STATES)).limit(1)
                )
                if existing is not None:
                    return None
            task = Task(
                type=type_,
                payload=json.dumps(payload or {}),
                priority=priority,
                state=TaskState.PENDING,
                attempts=0,
                max_attempts=max_attempts or self.default_max_attempts,
                next_run_at=0.0,
                created_at=time.time(),
                progress=0.0,
                group_id=group_id,
                parent_id=parent_id,
                dedupe_key=dedupe_key,
                cancel_requested=False,
            )
            s.add(task)
            s.flush()
            return task.id

        return self._in_transaction(session, run)

    # -- claiming and finishing ----------------------------------------------------------------------------
    def claim(self, *, exclude_types: Iterable[str] = (), min_priority: int = -(2**31),
              only_types: Iterable[str] | None = None) -> ClaimedTask | None:
        """The next due task (highest priority, then oldest), now running and ours; `only_types` limits it to those
        types."""
        excluded = list(exclude_types) or ["-none-"]
        params = {"owner": self.owner, "now": time.time(), "min_priority": min_priority, "excluded": excluded}
        claim, claim_any = self._claim, self._claim_any
        if only_types is not None:
            params["only"] = list(only_types) or ["-none-"]
            claim, claim_any = self._claim_only, self._claim_any_only
        with self._claim_session() as s:
            row = s.execute(claim, params).first()
            if row is None and claim_any is not None:
                row = s.execute(claim_any, params).first()
            s.commit()
        return _claimed(row) if row is not None else None

    def claim_more(self, like: ClaimedTask, n: int) -> list[ClaimedTask]:
        """Up to `n` more due tasks of the type and priority of a task just claimed, oldest first: the rest of a
        batch (registry.HandlerSpec.batch)."""
        if n < 1:
            return []
        params = {"owner": self.owner, "now": time.time(), "priority": like.priority, "type": like.type, "n": n}
        with self._claim_session() as s:
            rows = s.execute(self._claim_more, params).all()
            s.commit()
        return sorted((_claimed(r) for r in rows), key=lambda task: task.id)

    def _finish(self, s: Session, task_id: int, **values) -> bool:
        """Move a task we own out of `running`; False if it was taken from us (recovered, requeued)."""
        result = s.execute(
            update(Task)
            .where(Task.id == task_id, Task.state == TaskState.RUNNING, Task.claimed_by == self.owner)
            .values(finished_at=time.time(), **values)
        )
        return result.rowcount == 1

    def mark_done(self, s: Session, task_id: int) -> bool:
        """Called inside the handler's own transaction, so the effect and `done` commit together. False when
        the task was cancelled meanwhile (or taken from us): the caller rolls the effect back. The check and
        the update share the write lock, so a cancel can never slip in between. (A Core statement on the
        table: this runs once per task, and the ORM's update path cost a sixth of a small photo's import.)"""
        result = s.execute(_MARK_DONE, {"task_id": task_id, "owner": self.owner, "now": time.time()})
        return result.rowcount == 1

    def mark_done_many(self, s: Session, task_ids: list[int]) -> bool:
        """mark_done for a batch in one statement; False unless every one of them was still ours to finish."""
        if not task_ids:
            return True
        result = s.execute(
            update(_TASKS)
            .where(
                _TASKS.c.id.in_(task_ids),
                _TASKS.c.state == TaskState.RUNNING,
                _TASKS.c.claimed_by == self.owner,
                _TASKS.c.cancel_requested.is_(False),
            )
            .values(state=TaskState.DONE, progress=1.0, finished_at=time.time())
        )
        return result.rowcount == len(task_ids)

    def cancel_requested_among(self, task_ids: list[int], s: Session | None = None) -> set[int]:
        """Which of these tasks were asked to stop; read in the caller's transaction when given one."""
        if not task_ids:
            return set()
        query = select(Task.id).where(Task.id.in_(task_ids), Task.cancel_requested.is_(True))
        if s is not None:
            return set(s.scalars(query))
        with self.db.read_session() as own:
            return set(own.scalars(query))

    def finish_cancelled(self, s: Session, task_ids: list[int]) -> None:
        """Mark these running tasks of ours cancelled, in the caller's transaction."""
        for task_id in task_ids:
            self._finish(s, task_id, state=TaskState.CANCELLED)

    def mark_cancelled(self, task_id: int) -> None:
        with self.db.write_session() as s:
            self._finish(s, task_id, state=TaskState.CANCELLED)

    def mark_deferred(self, task_id: int, delay: float) -> None:
        """Back to the queue, runnable after `delay` seconds; the attempt it was claimed for does not count."""
        with self.db.write_session() as s:
            s.execute(
                update(Task)
                .where(Task.id == task_id, Task.state == TaskState.RUNNING, Task.claimed_by == self.owner)
                .values(
                    state=TaskState.PENDING,
                    attempts=Task.attempts - 1,
                    next_run_at=time.time() + delay,
                    claimed_by=None,
                )
            )

    def release(self, task_id: int) -> None:
        """Give a claimed task back untouched (the engine stopped before it could run or record it)."""
        self.mark_deferred(task_id, 0.0)

    def mark_failed(self, task: ClaimedTask, exc: BaseException, *, permanent: bool, retry_delay: float) -> str:
        """Record a failure: retry later (`failed`) or give up (`dead`); returns the new state."""
        dead = permanent or task.attempts >= task.max_attempts
        state = TaskState.DEAD if dead else TaskState.FAILED
        message = str(exc) or exc.__class__.__name__
        with self.db.write_session() as s:
            self._finish(
                s,
                task.id,
                state=state,
                error_class=exc.__class__.__name__,
                error_message=message[:4000],
                next_run_at=0.0 if dead else time.time() + retry_delay,
            )
        return state

    def cancel_requested(self, task_id: int) -> bool:
        with self.db.read_session() as s:
            return bool(s.scalar(select(Task.cancel_requested).where(Task.id == task_id)))

    # -- recovery ------------------------------------------------------------------------------------------
    def recover_stale(self, *, include_own: bool = False) -> int:
        """Tasks left `running` by a dead process go back to pending; their unfinished attempt does not count.
        `include_own` also takes this process's own (an engine that stopped on an error could not give them
        back, and no worker of this process is running)."""
        with self.db.write_session() as s:
            rows = s.execute(select(Task.id, Task.claimed_by).where(Task.state == TaskState.RUNNING)).all()
            stale = [
                r.id
                for r in rows
                if (include_own and r.claimed_by == self.owner)
                or (r.claimed_by != self.owner and not _owner_alive(r.claimed_by or ""))
            ]
            if stale:
                s.execute(
                    update(Task)
                    .where(Task.id.in_(stale))
                    .values(
                        state=case((Task.cancel_requested, TaskState.CANCELLED.value), else_=TaskState.PENDING.value),
                        attempts=case((Task.attempts > 0, Task.attempts - 1), else_=0),
                        claimed_by=None,
                        started_at=None,
                    )
                )
        return len(stale)

    # -- cancelling and requeueing -------------------------------------------------------------------------
    def _cancel_where(self, condition) -> int:
        """Waiting tasks become cancelled at once; running ones are asked to stop at their next check."""
        with self.db.write_session() as s:
            n = s.execute(
                update(Task)
                .where(condition, Task.state.in_(WAITING_STATES))
                .values(state=TaskState.CANCELLED, finished_at=time.time())
            ).rowcount
            n += s.execute(
                update(Task).where(condition, Task.state == TaskState.RUNNING).values(cancel_requested=True)
            ).rowcount
        return n

    def cancel(self, task_id: int) -> int:
        return self._cancel_where(Task.id == task_id)

    def cancel_group(self, group_id: int) -> int:
        return self._cancel_where(Task.group_id == group_id)

    def cancel_all(self) -> int:
        return self._cancel_where(text("1 = 1"))

    def _requeue_where(self, condition) -> int:
        with self.db.write_session() as s:
            return s.execute(
                update(Task)
                .where(condition, Task.state.in_((TaskState.DEAD, TaskState.CANCELLED)))
                .values(
                    state=TaskState.PENDING,
                    attempts=0,
                    next_run_at=0.0,
                    error_class=None,
                    error_message=None,
                    cancel_requested=False,
                    claimed_by=None,
                    started_at=None,
                    finished_at=None,
                    progress=0.0,
                )
            ).rowcount

    def requeue(self, task_id: int) -> int:
        return self._requeue_where(Task.id == task_id)

    def requeue_group(self, group_id: int) -> int:
        return self._requeue_where(Task.group_id == group_id)

    def requeue_dead(self) -> int:
        return self._requeue_where(Task.state == TaskState.DEAD)

    # -- reading -------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.db.read_session() as s:
            rows = s.execute(select(Task.state, func.count()).group_by(Task.state)).all()
        counts = dict.fromkeys(ALL_STATES, 0)
        counts.update({state: n for state, n in rows})
        return counts

    def has_live_work(self, types: Iterable[str] | None = None) -> bool:
        """Some task (of these types, when given) is pending, running or waiting to retry."""
        query = select(Task.id).where(Task.state.in_(LIVE_STATES))
        if types is not None:
            query = query.where(Task.type.in_(list(types)))
        with self.db.read_session() as s:
            return s.scalar(query.limit(1)) is not None

    def has_due_work(self) -> bool:
        """A waiting task is due now: some worker could claim it (idle is announced only when none is)."""
        with self.db.read_session() as s:
            return s.execute(self._due_now, {"now": time.time()}).first() is not None

    def next_wakeup(self) -> float | None:
        """When the earliest waiting task becomes runnable (for idle workers' sleep)."""
        with self.db.read_session() as s:
            return s.execute(self._next_due).scalar()

    def list_tasks(
        self, state: str | None = None, *, limit: int | None = None, group_id: int | None = None
    ) -> list[TaskInfo]:
        query = select(Task).order_by(Task.id.desc())
        if state:
            query = query.where(Task.state == state)
        if group_id is not None:
            query = query.where(Task.group_id == group_id)
        if limit:
            query = query.limit(limit)
        with self.db.read_session() as s:
            return [
                TaskInfo(
                    id=t.id,
                    type=t.type,
                    state=t.state,
                    priority=t.priority,
                    attempts=t.attempts,
                    max_attempts=t.max_attempts,
                    group_id=t.group_id,
                    progress=t.progress,
                    created_at=t.created_at,
                    started_at=t.started_at,
                    finished_at=t.finished_at,
                    next_run_at=t.next_run_at,
                    error_class=t.error_class,
                    error_message=t.error_message,
                    payload=json.loads(t.payload or "{}"),
                )
                for t in s.scalars(query)
            ]

    def group_status(self, group_id: int) -> GroupStatus | None:
        with self.db.read_session() as s:
            group = s.get(TaskGroup, group_id)
            if group is None:
                return None
            rows = dict(
                s.execute(
                    select(Task.state, func.count()).where(Task.group_id == group_id).group_by(Task.state)
                ).all()
            )
            first_start, last_finish = s.execute(
                select(func.min(Task.started_at), func.max(Task.finished_at)).where(
                    and_(Task.group_id == group_id, Task.state == TaskState.DONE)
                )
            ).one()
        done = rows.get(TaskState.DONE, 0)
        live = sum(rows.get(st, 0) for st in LIVE_STATES)
        elapsed = ((time.time() if live else (last_finish or 0)) - first_start) if first_start else 0
        return GroupStatus(
            group_id=group_id,
            kind=group.kind,
            label=group.label,
            total=sum(rows.values()),
            done=done,
            failed=rows.get(TaskState.DEAD, 0),
            cancelled=rows.get(TaskState.CANCELLED, 0),
            live=live,
            rate=done / elapsed if elapsed > 0 else 0.0,
        )

    def durations(self) -> list[tuple[str, float]]:
        """(type, seconds) of finished tasks, for the duration histogram."""
        with self.db.read_session() as s:
            rows = s.execute(
                select(Task.type, Task.finished_at - Task.started_at).where(
                    Task.state == TaskState.DONE, Task.started_at.is_not(None), Task.finished_at.is_not(None)
                )
            ).all()
        return [(t, max(0.0, d)) for t, d in rows]

    def per_type_totals(self) -> list[tuple[str, str, int, int, int]]:
        """(type, state, tasks, attempts, tasks with an error) for the metrics collector, pruned tasks included."""
        with self.db.read_session() as s:
            rows = s.execute(
                select(
                    Task.type,
                    Task.state,
                    func.count(),
                    func.sum(Task.attempts),
                    func.sum(case((Task.error_class.is_not(None), 1), else_=0)),
                ).group_by(Task.type, Task.state)
            ).all()
            pruned = s.execute(select(TaskTotals.type, TaskTotals.state, TaskTotals.tasks, TaskTotals.attempts,
                                      TaskTotals.errors)).all()
        totals: dict[tuple[str, str], list[int]] = {}
        for type_, state, n, attempts, errors in [*rows, *pruned]:
            entry = totals.setdefault((type_, state), [0, 0, 0])
            entry[0] += n
            entry[1] += attempts or 0
            entry[2] += errors or 0
        return [(t, st, *values) for (t, st), values in totals.items()]

    def pruned_durations(self) -> list[tuple[str, int, float, list[int]]]:
        """(type, count, sum of seconds, count at or below each DURATION_BUCKETS bound) of pruned done tasks."""
        with self.db.read_session() as s:
            rows = s.execute(
                select(TaskTotals.type, TaskTotals.duration_count, TaskTotals.duration_sum, TaskTotals.duration_buckets)
                .where(TaskTotals.state == TaskState.DONE)
            ).all()
        return [(t, n, total, json.loads(buckets)) for t, n, total, buckets in rows if n]
