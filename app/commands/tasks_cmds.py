"""`shoebox tasks ...` and `shoebox metrics`: watch and steer the task queue."""

from __future__ import annotations

import sys
import time

from app.commands.output import print_json
from app.core.tasks.errors import EngineError
from app.core.tasks.states import ALL_STATES


def register(subparsers) -> None:
    tasks = subparsers.add_parser("tasks", help="list, cancel, requeue or run queued tasks")
    verbs = tasks.add_subparsers(dest="tasks_verb", metavar="VERB", required=True)

    listing = verbs.add_parser("list", help="list tasks, newest first")
    listing.add_argument("--state", choices=ALL_STATES)
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

    cancel = verbs.add_parser("cancel", help="cancel a task, a group, or everything")
    which = cancel.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int)
    which.add_argument("--group", type=int)
    which.add_argument("--all", action="store_true")
    cancel.set_defaults(func=cmd_cancel)

    requeue = verbs.add_parser("requeue", help="requeue a dead or cancelled task, a group, or every dead task")
    which = requeue.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int)
    which.add_argument("--group", type=int)
    which.add_argument("--dead", action="store_true")
    requeue.set_defaults(func=cmd_requeue)

    run = verbs.add_parser("run", help="process the queue headless until it is empty")
    run.add_argument("--workers", type=int, help="worker threads (default: CPU count)")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(func=cmd_run)

    prune = verbs.add_parser("prune", help="remove finished tasks (their counts stay in `metrics`) and free the space")
    prune.add_argument("--older-than-days", type=float, default=None,
                       help="default: the library's tasks.keep_finished_days setting")
    prune.set_defaults(func=cmd_prune)

    metrics = subparsers.add_parser("metrics", help="task metrics in Prometheus text format")
    metrics.set_defaults(func=cmd_metrics)


def cmd_list(args, library) -> int:
    tasks = library.tasks.list_tasks(args.state, limit=args.limit)
    if args.json:
        print_json([t.to_json() for t in tasks])
        return 0
    for t in tasks:
        error = f"  {t.error_class}: {t.error_message}" if t.error_class else ""
        print(f"{t.id:7} {t.type:12} {t.state:9} p={t.priority:<4} tries={t.attempts}/{t.max_attempts}"
              f" group={t.group_id or '-'}{error}")
    counts = library.tasks.counts()
    print("  ".join(f"{state}={n}" for state, n in counts.items()))
    return 0


def cmd_cancel(args, library) -> int:
    engine = library.tasks
    if args.all:
        n = engine.cancel_all()
    elif args.group is not None:
        n = engine.cancel_group(args.group)
    else:
        n = engine.cancel(args.id)
    print(f"cancelled {n} task(s); running ones stop at their next check")
    return 0


def cmd_requeue(args, library) -> int:
    engine = library.tasks
    if args.dead:
        n = engine.requeue_dead()
    elif args.group is not None:
        n = engine.requeue_group(args.group)
        if n == 0 and engine.group_status(args.group) is None:
            print(f"shoebox tasks: no such group: {args.group} (see `shoebox tasks list`)", file=sys.stderr)
            return 1
    else:
        n = engine.requeue(args.id)
        if n == 0:
            state = _task_state(library, args.id)
            if state is None:
                print(f"shoebox tasks: no such task: {args.id} (see `shoebox tasks list`)", file=sys.stderr)
            else:
                print(f"shoebox tasks: task {args.id} is {state}; only dead or cancelled tasks can be requeued",
                      file=sys.stderr)
            return 1
    print(f"requeued {n} task{'' if n == 1 else 's'}")
    return 0


def _task_state(library, task_id: int) -> str | None:
    from app.core.db.models import Task

    with library.db.read_session() as session:
        task = session.get(Task, task_id)
        return None if task is None else str(task.state)


def cmd_run(args, library) -> int:
    from app.core.tasks.engine import TaskEngine

    engine = TaskEngine(library, workers=args.workers) if args.workers else library.tasks
    if not library.read_only:
        library.people.schedule()  # photos not yet searched for faces (e.g. imported by an older version)
    started = time.monotonic()
    try:
        counts = engine.run_until_idle(progress=not args.no_progress and sys.stderr.isatty())
    except EngineError as exc:
        print(f"shoebox: stopped: {exc}", file=sys.stderr)
        return 1
    print(f"queue empty after {time.monotonic() - started:.1f}s: "
          + "  ".join(f"{state}={n}" for state, n in counts.items()))
    return 0


def cmd_prune(args, library) -> int:
    from app.core.tasks.prune import KEEP_DAYS_KEY, prune_finished

    days = args.older_than_days if args.older_than_days is not None else library.config.get(KEEP_DAYS_KEY)
    if days is None or days < 0:
        print("shoebox: nothing pruned: tasks.keep_finished_days is not set (pass --older-than-days)", file=sys.stderr)
        return 1
    print(f"pruned {prune_finished(library.db, days * 86400)} finished tasks older than {days:g} days")
    return 0


def cmd_metrics(args, library) -> int:
    from app.core.tasks.metrics import render_metrics

    sys.stdout.write(render_metrics(library.tasks.store, library).decode())
    return 0
