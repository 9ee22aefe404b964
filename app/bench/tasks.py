"""`shoebox bench tasks`: the engine's own cost per task, measured with no-op tasks on a throwaway library.

Rows per worker count, then the queue ladder: the same number of tasks (the smallest rung) run with 3k, 30k and
100k tasks queued behind them (`--ladder`). Claiming must not slow down as the queue grows (goal: at 100k queued
within 1.5x of 3k queued).

`--database postgresql://…` also runs the worker rows on PostgreSQL, each in a scratch database the bench
creates beside the one named (and drops), so SQLite and Postgres are measured in one run on one machine.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import threading
import time

NOOP = "bench_noop"
SCALING_GOAL = 1.5
_SCRATCH_NUMBERS = itertools.count(1)


def _noop(ctx) -> None:
    """Does nothing, so the measured time is the engine's: claim, context, commit, signals."""


def _register_noop() -> None:
    """Registered only when the bench runs, never merely because this module was imported."""
    from app.core.tasks import task_handler

    task_handler(NOOP)(_noop)


def register(subparsers) -> None:
    parser = subparsers.add_parser("tasks", help="engine overhead: no-op tasks per second, and as the queue grows")
    parser.add_argument("--count", type=int, default=3000, help="tasks queued and run per worker row (default 3000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to try, comma separated ('' skips them)")
    parser.add_argument(
        "--ladder", default="3000,30000,100000", metavar="N,N,...",
        help="queue lengths: the smallest number of tasks is run with each many queued (1 worker); '' skips it",
    )
    parser.add_argument("--database", metavar="URL",
                        help="also measure the worker rows on this PostgreSQL server (a scratch database is created "
                             "and dropped; needs the CREATEDB privilege)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


class _ScratchPostgres:
    """A throwaway database on the server of `url`, so the bench never touches a library's own."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        from app.core.db.postgres import driver_url

        self._admin = create_engine(driver_url(url), isolation_level="AUTOCOMMIT")
        self.name = f"shoebox_bench_{os.getpid()}_{next(_SCRATCH_NUMBERS)}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.name}")
        self.url = self._admin.url.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        self._admin.dispose()


def _measure(queued: int, workers: int, run_count: int | None = None, database: str | None = None) -> dict:
    """Queue `queued` no-op tasks, then time how long the engine takes to finish the first `run_count` (in a
    scratch database on the PostgreSQL server of `database`, when given)."""
    from PySide6.QtCore import QCoreApplication, Qt

    from app.core.library import Library
    from app.core.tasks.engine import TaskEngine

    run_count = min(run_count or queued, queued)
    QCoreApplication.instance() or QCoreApplication([])
    scratch = _ScratchPostgres(database) if database else None
    with tempfile.TemporaryDirectory(prefix="shoebox-bench-tasks-") as folder:
        library = Library.open(folder, log_to_file=False, database=scratch.url if scratch else None)
        try:
            engine = TaskEngine(library, workers=workers, user_workers=0)
            group = engine.create_group("bench", "noop")
            _queue_filler(library, group, queued - run_count)
            t0 = time.perf_counter()
            with library.db.write_session() as session:  # one transaction: measure the running, not the inserts
                for _ in range(run_count):
                    engine.store.submit(NOOP, {}, group_id=group, session=session)
            submitted = time.perf_counter()
            finished = threading.Event()
            done = [0]
            lock = threading.Lock()

            def on_finished(_task_id: int, _type: str) -> None:
                with lock:
                    done[0] += 1
                    if done[0] == run_count:
                        finished.set()

            engine.task_finished.connect(on_finished, Qt.ConnectionType.DirectConnection)
            started, cpu_started = time.perf_counter(), time.process_time()
            engine.start()
            try:
                finished.wait()
                run_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
            finally:
                engine.stop()
        finally:
            library.close()
            if scratch is not None:
                scratch.drop()
    return {
        "database": "postgresql" if database else "sqlite",
        "workers": workers,
        "queued": queued,
        "tasks": run_count,
        "submit_per_s": round(run_count / (submitted - t0), 1),
        "tasks_per_s": round(run_count / run_s, 1),
        "overhead_ms_per_task": round(1000 * run_s / run_count, 3),
        # CPU time of all threads: steadier than wall time when other processes share the cores.
        "cpu_ms_per_task": round(1000 * cpu_s / run_count, 3),
    }


def _queue_filler(library, group: int, n: int) -> None:
    """The long queue behind the measured tasks, inserted in bulk (submitting 100k one by one takes a minute).
    Same type, group and priority as the measured tasks, queued before them, so they are what runs."""
    from sqlalchemy import insert

    from app.core.db.models import Task
    from app.core.tasks.states import TaskState

    row = dict(type=NOOP, payload="{}", priority=0, state=TaskState.PENDING, attempts=0, max_attempts=3,
               next_run_at=0.0, created_at=time.time(), progress=0.0, group_id=group, cancel_requested=False)
    with library.db.write_session() as session:
        for start in range(0, n, 10_000):
            session.execute(insert(Task), [row] * min(10_000, n - start))


def run(args, _library=None) -> int:
    _register_noop()
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    rows = [_measure(args.count, w) for w in workers]
    if args.database:
        rows += [_measure(args.count, w, database=args.database) for w in workers]
        sqlite = {r["workers"]: r["tasks_per_s"] for r in rows if r["database"] == "sqlite"}
        for r in rows:
            r["vs_sqlite"] = round(r["tasks_per_s"] / sqlite[r["workers"]], 2) if sqlite.get(r["workers"]) else None
    counts = sorted(int(n) for n in args.ladder.split(",") if n.strip())
    ladder = [_measure(queued, 1, run_count=counts[0]) for queued in counts]
    for rung in ladder:
        rung["ratio"] = round(rung["overhead_ms_per_task"] / ladder[0]["overhead_ms_per_task"], 2)
        rung["cpu_ratio"] = round(rung["cpu_ms_per_task"] / ladder[0]["cpu_ms_per_task"], 2)
    if args.json:
        print(json.dumps({"rows": rows, "ladder": ladder, "goal": SCALING_GOAL}, indent=2))
        return 0
    header = f"{'workers':>7} {'queued':>7} {'tasks':>6} {'submit/s':>9} {'run tasks/s':>11} {'ms/task':>8} {'cpu ms':>7}"
    print(f"{'database':>10} " + header + (f" {'vs sqlite':>9}" if args.database else ""))
    for r in rows:
        print(
            f"{r['database']:>10} {r['workers']:>7} {r['queued']:>7} {r['tasks']:>6} {r['submit_per_s']:>9}"
            f" {r['tasks_per_s']:>11} {r['overhead_ms_per_task']:>8} {r['cpu_ms_per_task']:>7}"
            + (f" {r['vs_sqlite']:>9}" if args.database else "")
        )
    if ladder:
        print()
        print(f"queue ladder: {counts[0]} tasks run with N queued (1 worker); x = ms/task against {counts[0]} queued")
        print(header + f" {'x':>6} {'cpu x':>6}")
        for r in ladder:
            print(
                f"{r['workers']:>7} {r['queued']:>7} {r['tasks']:>6} {r['submit_per_s']:>9} {r['tasks_per_s']:>11}"
                f" {r['overhead_ms_per_task']:>8} {r['cpu_ms_per_task']:>7} {r['ratio']:>6} {r['cpu_ratio']:>6}"
            )
        worst = max(r["ratio"] for r in ladder)
        verdict = "ok" if worst <= SCALING_GOAL else "TOO SLOW"
        print(f"scaling: at most {worst}x the ms/task of {counts[0]} queued (goal <= {SCALING_GOAL}x): {verdict}")
    return 0
