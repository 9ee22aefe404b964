"""`shoebox bench tasks`: the engine's own cost per task, measured with no-op tasks on a throwaway library.

Rows per worker count, then a scaling row: the same number of tasks run with a short and with a very long queue
behind them. Claiming must not slow down as the queue grows (goal: at 100k queued within 1.5x of 3k queued).
"""

from __future__ import annotations

import json
import tempfile
import threading
import time

NOOP = "bench_noop"
SCALING_GOAL = 1.5


def _noop(ctx) -> None:
    """Does nothing, so the measured time is the engine's: claim, context, commit, signals."""


def _register_noop() -> None:
    """Registered only when the bench runs, never merely because this module was imported."""
    from app.core.tasks import task_handler

    task_handler(NOOP)(_noop)


def register(subparsers) -> None:
    parser = subparsers.add_parser("tasks", help="engine overhead: no-op tasks per second, and as the queue grows")
    parser.add_argument("--count", type=int, default=3000, help="tasks queued and run per row (default 3000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to try, comma separated")
    parser.add_argument(
        "--scale", type=int, default=100_000, metavar="N",
        help="scaling row: run --count tasks with N queued, against --count queued (1 worker); 0 skips it",
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def _measure(queued: int, workers: int, run_count: int | None = None) -> dict:
    """Queue `queued` no-op tasks, then time how long the engine takes to finish the first `run_count`."""
    from PySide6.QtCore import QCoreApplication, Qt

    from app.core.library import Library
    from app.core.tasks.engine import TaskEngine

    run_count = min(run_count or queued, queued)
    QCoreApplication.instance() or QCoreApplication([])
    with tempfile.TemporaryDirectory(prefix="shoebox-bench-tasks-") as folder:
        library = Library.open(folder, log_to_file=False)
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
    return {
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
    rows = [_measure(args.count, int(w)) for w in args.workers.split(",")]
    scaling = None
    if args.scale:
        short = _measure(args.count, 1)
        long = _measure(max(args.scale, args.count), 1, run_count=args.count)
        ratio = long["overhead_ms_per_task"] / short["overhead_ms_per_task"]
        cpu_ratio = long["cpu_ms_per_task"] / short["cpu_ms_per_task"]
        scaling = {
            "short": short, "long": long, "ratio": round(ratio, 2), "cpu_ratio": round(cpu_ratio, 2),
            "goal": SCALING_GOAL,
        }
    if args.json:
        print(json.dumps({"rows": rows, "scaling": scaling}, indent=2))
        return 0
    print(f"{'workers':>7} {'queued':>7} {'tasks':>6} {'submit/s':>9} {'run tasks/s':>11} {'ms/task':>8} {'cpu ms':>7}")
    for r in rows + ([scaling["short"], scaling["long"]] if scaling else []):
        print(
            f"{r['workers']:>7} {r['queued']:>7} {r['tasks']:>6} {r['submit_per_s']:>9} {r['tasks_per_s']:>11}"
            f" {r['overhead_ms_per_task']:>8} {r['cpu_ms_per_task']:>7}"
        )
    if scaling:
        verdict = "ok" if scaling["ratio"] <= SCALING_GOAL else "TOO SLOW"
        print(
            f"scaling: {scaling['long']['queued']} queued costs {scaling['ratio']}x the ms/task "
            f"({scaling['cpu_ratio']}x the CPU) of {scaling['short']['queued']} queued"
            f" (goal <= {SCALING_GOAL}x): {verdict}"
        )
    return 0
