"""The threaded engine on real QThreadPools: exactly-once claims, throttling, cancel, signals, two processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool

from app.core.tasks import Priority, task_handler
from app.core.tasks.engine import TaskEngine

RUNS: Counter[int] = Counter()
RUNS_LOCK = threading.Lock()
HEAVY = {"now": 0, "max": 0}
GATE = threading.Event()


@task_handler("e_count")
def _count(ctx):
    with RUNS_LOCK:
        RUNS[ctx.task.id] += 1


@task_handler("e_heavy", max_concurrency=1)
def _heavy(ctx):
    with RUNS_LOCK:
        HEAVY["now"] += 1
        HEAVY["max"] = max(HEAVY["max"], HEAVY["now"])
    time.sleep(0.02)
    with RUNS_LOCK:
        HEAVY["now"] -= 1


@task_handler("e_slow")
def _slow(ctx):
    for _ in range(500):
        ctx.check_cancelled()
        ctx.set_progress(0.5)
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def _reset():
    RUNS.clear()
    HEAVY.update(now=0, max=0)
    GATE.clear()
    yield
    GATE.set()  # never leave a worker thread waiting at the gate


def test_thousands_of_tasks_run_exactly_once_with_many_workers(library, qtbot):
    engine = TaskEngine(library, workers=6, user_workers=2)
    group = engine.create_group("test", "many")
    ids = [engine.submit("e_count", {}, group_id=group) for _ in range(2000)]
    with qtbot.waitSignal(engine.group_progress, timeout=60_000, check_params_cb=lambda g, done, total, rate: done == total == 2000):
        engine.start()
    engine.stop()
    assert set(RUNS) == set(ids) and set(RUNS.values()) == {1}
    assert engine.counts()["done"] == 2000


def test_heavy_types_never_run_two_at_once(library, qtbot):
    engine = TaskEngine(library, workers=4)
    for _ in range(20):
        engine.submit("e_heavy", {})
    engine.run_until_idle()
    assert engine.counts()["done"] == 20 and HEAVY["max"] == 1


def test_cancel_a_running_task_cooperatively(library, qtbot):
    engine = TaskEngine(library, workers=1)
    task_id = engine.submit("e_slow", {})
    with qtbot.waitSignal(engine.task_progress, timeout=10_000):
        engine.start()
    with qtbot.waitSignal(engine.idle, timeout=10_000):
        engine.cancel(task_id)
    engine.stop()
    assert engine.list_tasks()[0].state == "cancelled"


def test_stop_returns_running_task_to_queue(library, qtbot):
    engine = TaskEngine(library, workers=1)
    engine.submit("e_slow", {})
    with qtbot.waitSignal(engine.task_started, timeout=10_000):
        engine.start()
    engine.stop()
    (info,) = engine.list_tasks()
    assert info.state == "pending" and info.attempts == 0


@task_handler("e_gate")
def _gate(ctx):
    """Runs until the test opens GATE (or cancels it)."""
    while not GATE.wait(0.01):
        ctx.check_cancelled()


def test_user_work_jumps_ahead_of_bulk(library, qtbot):
    engine = TaskEngine(library, workers=1, user_workers=1)
    bulk = [engine.submit("e_gate", {}, priority=Priority.BULK) for _ in range(3)]
    events = []  # (what, task id) in the order the worker threads report them
    engine.task_started.connect(lambda task_id, type_: events.append(("started", task_id)), Qt.DirectConnection)
    engine.task_finished.connect(lambda task_id, type_: events.append(("finished", task_id)), Qt.DirectConnection)
    user_task = engine.submit("e_count", {}, priority=Priority.USER)
    with qtbot.waitSignal(engine.task_finished, timeout=10_000, check_params_cb=lambda i, t: i == user_task):
        engine.start()
    seen = list(events)
    engine.cancel_all()
    engine.stop()
    assert RUNS[user_task] == 1
    # The user's task ran while the bulk tasks were still held at the gate: it did not queue behind them.
    assert ("finished", user_task) in seen
    assert not any(what == "finished" and task_id in bulk for what, task_id in seen), seen
    assert sum(what == "started" and task_id in bulk for what, task_id in seen) <= 1, seen


def test_a_user_only_worker_does_not_announce_idle_while_normal_work_waits(library, qtbot, monkeypatch):
    """Regression: the USER pool's worker could claim nothing, saw nothing running and announced `idle`
    before the bulk worker had claimed the queued task (the GUI and tests then stopped the engine)."""
    engine = TaskEngine(library, workers=1, user_workers=1)
    held = []  # the bulk worker starts only when the test says so
    monkeypatch.setattr(engine._pool, "start", held.append)
    idles = []
    engine.idle.connect(lambda: idles.append(1), Qt.DirectConnection)
    user_claims = []
    real_claim = engine.store.claim

    def claim(**kwargs):
        if kwargs.get("min_priority") == Priority.USER:
            user_claims.append(1)
        return real_claim(**kwargs)

    monkeypatch.setattr(engine.store, "claim", claim)
    task_id = engine.submit("e_count", {})
    engine.start()
    try:
        qtbot.waitUntil(lambda: len(user_claims) >= 2, timeout=10_000)  # it found nothing, slept, looked again
        assert idles == []
        with qtbot.waitSignal(engine.idle, timeout=10_000):
            for runnable in held:
                QThreadPool.start(engine._pool, runnable)
    finally:
        engine.stop()
    assert RUNS[task_id] == 1 and engine.counts()["done"] == 1


def test_signals_report_queue_counts(library, qtbot):
    engine = TaskEngine(library, workers=2)
    seen = []
    engine.queue_changed.connect(seen.append)
    engine.submit("e_count", {})
    with qtbot.waitSignal(engine.idle, timeout=10_000):
        engine.start()
    engine.stop()
    qtbot.waitUntil(lambda: any(c["done"] == 1 for c in seen), timeout=5_000)


def test_queue_counts_are_not_read_when_nobody_listens(library, qtbot, monkeypatch):
    """Counting the queue scans every task row (tens of ms at 100k): a command-line run, where nothing is
    connected to queue_changed, does not pay it after each task and each idle turn."""
    engine = TaskEngine(library, workers=2)
    reads = []
    counts = engine.store.counts
    monkeypatch.setattr(engine.store, "counts", lambda: reads.append(1) or counts())
    for _ in range(3):
        engine.submit("e_count", {})
    with qtbot.waitSignal(engine.idle, timeout=10_000):
        engine.start()
    engine.stop()
    assert reads == []
    seen = []
    engine.queue_changed.connect(seen.append)
    engine.submit("e_count", {})
    with qtbot.waitSignal(engine.idle, timeout=10_000):
        engine.start()
    engine.stop()
    qtbot.waitUntil(lambda: any(c["done"] == 4 for c in seen), timeout=5_000)
    assert reads


WORKER_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from app.core.library import Library
    from app.core.tasks import task_handler
    from app.core.tasks.engine import TaskEngine

    log_path = sys.argv[2]
    log = open(log_path, "a")
    both_started = False

    def other_process_ran_a_task():
        with open(log_path) as f:
            return any(line.split()[0] != str(os.getpid()) for line in f if line.strip())

    @task_handler("e_logged")
    def logged(ctx):
        global both_started
        log.write(f"{os.getpid()} {ctx.task.id}\\n")
        log.flush()
        # Every worker holds its first task until the other process has run one too, so neither can drain
        # the queue alone however late the other one starts (a slow start on a busy machine).
        deadline = time.monotonic() + 120
        while not both_started:
            both_started = other_process_ran_a_task()
            if time.monotonic() > deadline:
                sys.exit("the other process never ran a task")
            time.sleep(0.01)

    library = Library.open(sys.argv[1], database=sys.argv[3] if len(sys.argv) > 3 else None)
    TaskEngine(library, workers=3).run_until_idle()
    library.close()
    """
)


def test_two_processes_never_run_a_task_twice(library, tmp_path):
    for _ in range(600):
        library.tasks.submit("e_logged", {})
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    log = tmp_path / "runs.log"
    log.touch()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen([sys.executable, str(script), str(library.root), str(log),
                          *([library.database_url] if library.database_url else [])], env=env)
        for _ in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    lines = log.read_text().split()
    task_ids = Counter(lines[1::2])
    pids = set(lines[0::2])
    assert len(task_ids) == 600 and set(task_ids.values()) == {1}
    assert len(pids) == 2  # both processes really took part
