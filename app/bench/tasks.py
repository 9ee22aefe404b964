"""`shoebox bench tasks`: the engine's own cost per task, measured with no-op tasks on a throwaway library."""

from __future__ import annotations

import json
import tempfile
import time

from app.core.tasks import task_handler


@task_handler("bench_noop")
def _noop(ctx) -> None:
    """Does nothing, so the measured time is the engine's: claim, context, commit, signals."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("tasks", help="engine overhead: no-op tasks per second")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to try, comma separated")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def _measure(count: int, workers: int) -> dict:
    from app.core.library import Library
    from app.core.tasks.engine import TaskEngine

    with tempfile.TemporaryDirectory(prefix="shoebox-bench-tasks-") as folder:
        library = Library.open(folder, log_to_file=False)
        try:
            engine = TaskEngine(library, workers=workers, user_workers=0)
            t0 = time.perf_counter()
            group = engine.create_group("bench", "noop")
            with library.db.write_session() as session:  # one transaction: measure the running, not the inserts
                for _ in range(count):
                    engine.store.submit("bench_noop", {}, group_id=group, session=session)
            submitted = time.perf_counter()
            counts = engine.run_until_idle(poll_s=0.01)
            finished = time.perf_counter()
        finally:
            library.close()
    assert counts["done"] == count, counts
    run_s = finished - submitted
    return {
        "workers": workers,
        "tasks": count,
        "submit_per_s": round(count / (submitted - t0), 1),
        "tasks_per_s": round(count / run_s, 1),
        "overhead_ms_per_task": round(1000 * run_s / count, 3),
    }


def run(args, _library=None) -> int:
    rows = [_measure(args.count, int(w)) for w in args.workers.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'workers':>7} {'tasks':>6} {'submit/s':>9} {'run tasks/s':>11} {'ms/task':>8}")
    for r in rows:
        print(f"{r['workers']:>7} {r['tasks']:>6} {r['submit_per_s']:>9} {r['tasks_per_s']:>11} {r['overhead_ms_per_task']:>8}")
    return 0
