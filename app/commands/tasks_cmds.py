"""`shoebox tasks ...` and `shoebox metrics`: watch and steer the task queue."""

from __future__ import annotations

import os
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

    worker = verbs.add_parser(
        "worker", help="the window's background worker: run the queue at low CPU priority until it is empty, "
                       "stdin closes or a 'stop' line arrives; events as JSON lines on stdout")
    worker.add_argument("--workers", type=int, help="worker threads (default: CPU count)")
    worker.set_defaults(func=cmd_worker)

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


def cmd_worker(args, library) -> int:
    """Runs the queue for a window in a process of its own, so decoding and hashing never hold the window's GIL.

    The window writes tasks to the database and follows progress there; this process tells it what the
    database cannot say cheaply (a task finished or failed, the engine stopped, group progress, queue counts)
    as one JSON object per line on stdout. It stops cleanly (tasks in flight go back to the queue, uncounted)
    when its stdin closes (the window quit, or died) or reads `stop`, or on SIGTERM."""
    import json
    import signal
    import threading

    from PySide6.QtCore import Qt

    from app.core.tasks.engine import TaskEngine

    if library.read_only:
        print(f"shoebox: {library.read_only_reason}: no background work on a read-only library", file=sys.stderr)
        return 1
    _lower_priority()
    stop = threading.Event()
    out_lock = threading.Lock()

    def send(event: str, **fields) -> None:
        line = json.dumps({"event": event, **fields}, default=str)
        with out_lock:
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except (OSError, ValueError):  # the window went away: stop with it
                stop.set()

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engine = TaskEngine(library, workers=args.workers) if args.workers else library.tasks
    direct = Qt.ConnectionType.DirectConnection  # sent from the worker threads, not queued behind the loop
    engine.task_finished.connect(lambda i, t: send("task_finished", id=i, type=t), direct)
    engine.task_failed.connect(lambda i, t, m: send("task_failed", id=i, type=t, message=m), direct)
    engine.group_progress.connect(lambda g, d, t, r: send("group", id=g, done=d, total=t, rate=r), direct)
    engine.queue_changed.connect(lambda counts: send("counts", counts=dict(counts)), direct)
    engine.failed.connect(lambda reason: send("failed", reason=reason), direct)
    send("started", pid=os.getpid())
    try:
        engine.run_until_idle(stop_when=stop.is_set)
    except EngineError as exc:
        send("failed", reason=str(exc))
        return 1
    send("stopped", reason="stop" if stop.is_set() else "idle")
    return 0


def _lower_priority() -> None:
    """Background work yields the CPU to the window (and to the user's other programs)."""
    import psutil

    try:
        process = psutil.Process()
        process.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS if sys.platform == "win32" else 10)
    except (psutil.Error, OSError, AttributeError):
        pass  # not allowed here: run at normal priority


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
