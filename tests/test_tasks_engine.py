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

from app.core.tasks import Priority, task_handler
from app.core.tasks.engine import TaskEngine

RUNS: Counter[int] = Counter()
RUNS_LOCK = threading.Lock()
HEAVY = {"now": 0, "max": 0}


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


def test_user_work_jumps_ahead_of_bulk(library, qtbot):
    engine = TaskEngine(library, workers=1, user_workers=1)
    for _ in range(3):
        engine.submit("e_slow", {}, priority=Priority.BULK)
    started = []
    engine.task_started.connect(lambda task_id, type_: started.append(type_))
    user_task = engine.submit("e_count", {}, priority=Priority.USER)
    with qtbot.waitSignal(engine.task_finished, timeout=10_000, check_params_cb=lambda i, t: i == user_task):
        engine.start()
    engine.cancel_all()
    engine.stop()
    assert RUNS[user_task] == 1


def test_signals_report_queue_counts(library, qtbot):
    engine = TaskEngine(library, workers=2)
    seen = []
    engine.queue_changed.connect(seen.append)
    engine.submit("e_count", {})
    with qtbot.waitSignal(engine.idle, timeout=10_000):
        engine.start()
    engine.stop()
    qtbot.waitUntil(lambda: any(c["done"] == 1 for c in seen), timeout=5_000)


WORKER_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from app.core.library import Library
    from app.core.tasks import task_handler
    from app.core.tasks.engine import TaskEngine

    log = open(sys.argv[2], "a")

    @task_handler("e_logged")
    def logged(ctx):
        log.write(f"{os.getpid()} {ctx.task.id}\\n")
        log.flush()

    library = Library.open(sys.argv[1])
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
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen([sys.executable, str(script), str(library.root), str(log)], env=env) for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    lines = log.read_text().split()
    task_ids = Counter(lines[1::2])
    pids = set(lines[0::2])
    assert len(task_ids) == 600 and set(task_ids.values()) == {1}
    assert len(pids) == 2  # both processes really took part
