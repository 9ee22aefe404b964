"""Faults in the engine's own bookkeeping (a full disk above all): the run stops with a clear message, never
hangs, counts nothing against the tasks, and the queue resumes on the next run."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.db.models import Photo, Setting, Task
from app.core.library import Library
from app.core.tasks import EngineError, TransientError, task_handler
from app.core.tasks.engine import TaskEngine
from app.core.tasks.runner import run_pending
from app.core.tasks.store import TaskStore
from tests.ingest_images import make_jpeg

ROOT = Path(__file__).resolve().parents[1]
DISK_FULL = "the disk holding the library is full"
CALLS: list[str] = []


@task_handler("f_fail_once")
def _fail_once(ctx):
    CALLS.append("f_fail_once")
    if CALLS.count("f_fail_once") == 1:
        raise TransientError("first try fails")


@task_handler("f_write")
def _write(ctx):
    CALLS.append("f_write")
    ctx.session.add(Setting(key=f"f_write:{ctx.task.id}", value="1"))


@task_handler("f_thumbnail_enospc")
def _thumbnail_enospc(ctx):
    CALLS.append("f_thumbnail_enospc")
    if CALLS.count("f_thumbnail_enospc") == 1:
        raise OSError(errno.ENOSPC, "No space left on device", "thumbnails/ab/abc.jpg")


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail instead of hanging: the bug this file guards against was `import` waiting forever."""

    def expired(*_):
        raise TimeoutError(f"still running after {seconds} s: the engine hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _disk_full(*_args, **_kwargs):
    raise sqlite3.OperationalError("database or disk is full")


def _task(library, task_id) -> Task:
    with library.db.read_session() as s:
        return s.get(Task, task_id)


def _run_expecting_disk_full(engine: TaskEngine) -> None:
    messages = []
    engine.failed.connect(messages.append)
    with deadline(60), pytest.raises(EngineError, match=DISK_FULL):
        engine.run_until_idle()
    assert engine.error is not None and DISK_FULL in engine.error
    assert any(DISK_FULL in m for m in messages) or engine.error  # the GUI hears it through `failed`


def test_full_disk_while_recording_a_failure_stops_the_run_instead_of_hanging(library, monkeypatch):
    engine = TaskEngine(library, workers=2)
    task_id = engine.submit("f_fail_once", {})
    monkeypatch.setattr(engine.store, "mark_failed", _disk_full)
    _run_expecting_disk_full(engine)
    info = _task(library, task_id)
    assert info.state == "pending" and info.attempts == 0  # given back, nothing counted against it
    monkeypatch.undo()
    with deadline(60):
        counts = engine.run_until_idle()  # the next run resumes the queue
    assert counts["done"] == 1 and CALLS == ["f_fail_once", "f_fail_once"]


def test_the_deterministic_executor_stops_too_and_gives_the_task_back(library, monkeypatch):
    store = TaskStore(library.db)
    task_id = store.submit("f_fail_once", {})
    monkeypatch.setattr(store, "mark_failed", _disk_full)
    with pytest.raises(EngineError, match=DISK_FULL):
        run_pending(library, store)
    info = _task(library, task_id)
    assert info.state == "pending" and info.attempts == 0


def test_full_disk_when_claiming_stops_the_run(library, monkeypatch):
    engine = TaskEngine(library, workers=2)
    engine.submit("f_write", {})
    monkeypatch.setattr(engine.store, "claim", lambda **kw: _disk_full())
    _run_expecting_disk_full(engine)
    monkeypatch.undo()
    with deadline(60):
        assert engine.run_until_idle()["done"] == 1


def test_full_disk_when_committing_done_rolls_back_and_resumes(library, monkeypatch):
    engine = TaskEngine(library, workers=1)
    task_id = engine.submit("f_write", {})
    monkeypatch.setattr(engine.store, "mark_done", _disk_full)
    _run_expecting_disk_full(engine)
    with library.db.read_session() as s:
        assert s.get(Setting, f"f_write:{task_id}") is None  # the effect did not commit without its state
    assert _task(library, task_id).state == "pending"
    monkeypatch.undo()
    with deadline(60):
        assert engine.run_until_idle()["done"] == 1
    with library.db.read_session() as s:
        assert s.get(Setting, f"f_write:{task_id}") is not None


def test_a_handler_hitting_enospc_stops_the_run_without_spending_an_attempt(library):
    engine = TaskEngine(library, workers=1)
    task_id = engine.submit("f_thumbnail_enospc", {}, max_attempts=1)
    _run_expecting_disk_full(engine)
    info = _task(library, task_id)
    assert info.state == "pending" and info.attempts == 0  # not dead: the file is not to blame
    with deadline(60):
        assert engine.run_until_idle()["done"] == 1


def test_when_even_giving_back_fails_the_task_is_recovered_by_the_next_run(library, monkeypatch):
    engine = TaskEngine(library, workers=1)
    task_id = engine.submit("f_fail_once", {})
    monkeypatch.setattr(engine.store, "mark_failed", _disk_full)
    monkeypatch.setattr(engine.store, "release", _disk_full)
    _run_expecting_disk_full(engine)
    assert _task(library, task_id).state == "running"  # nothing could be written
    monkeypatch.setattr(engine.store, "recover_stale", _disk_full)
    with deadline(60), pytest.raises(EngineError, match=DISK_FULL):
        engine.run_until_idle()  # still full when started again: the same message, not a raw SQLite error
    monkeypatch.undo()
    with deadline(60):
        assert engine.run_until_idle()["done"] == 1  # start() took the orphaned claim back
    assert CALLS == ["f_fail_once", "f_fail_once"]
    assert _task(library, task_id).attempts == 1  # the first try, whose end could not be written, is not counted


# -- the CLI -----------------------------------------------------------------------------------------------

# Runs `shoebox` with the store's bookkeeping failing like a full disk from the Nth task on.
CLI_WITH_FULL_DISK = textwrap.dedent(
    """
    import sqlite3, sys
    from app.core.tasks import store

    FULL_AFTER = int(sys.argv[1])
    real_mark_done = store.TaskStore.mark_done
    done = []

    def mark_done(self, session, task_id):
        if len(done) >= FULL_AFTER:
            raise sqlite3.OperationalError("database or disk is full")
        done.append(task_id)
        return real_mark_done(self, session, task_id)

    def mark_failed(self, *args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    store.TaskStore.mark_done = mark_done
    store.TaskStore.mark_failed = mark_failed
    from app.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def test_cli_import_on_a_full_disk_exits_non_zero_with_the_reason_then_resumes(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(12):
        make_jpeg(photos / f"p{i:02d}.jpg", size=(320, 240), seed=i)
    library_dir = tmp_path / "library"
    script = tmp_path / "full_disk_cli.py"
    script.write_text(CLI_WITH_FULL_DISK)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--library", str(library_dir), "import", str(photos), "--no-progress"]
    run = subprocess.run(
        [sys.executable, str(script), "4", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode != 0, run.stdout
    assert DISK_FULL in run.stderr and "Traceback" not in run.stderr, run.stderr

    again = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    with Library.open(library_dir) as library:
        with library.db.read_session() as s:
            assert len(s.scalars(select(Photo.id)).all()) == 12
            live = s.scalars(select(Task.id).where(Task.state.in_(("pending", "running", "failed")))).all()
        assert live == [] and library.importer.errors() == []


# -- a real full disk --------------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs: a real ENOSPC / SQLITE_FULL. Needs root (mount); skipped otherwise."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_cli_import_into_a_library_on_a_full_disk(tmp_path, tiny_disk):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(40):  # their thumbnails and rows need more than the 2 MB
        make_jpeg(photos / f"p{i:02d}.jpg", size=(1600, 1200), seed=i, quality=95)
    library_dir = tiny_disk / "library"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "--library", str(library_dir), "import", str(photos), "--no-progress"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode != 0, run.stdout
    assert DISK_FULL in run.stderr, run.stderr
