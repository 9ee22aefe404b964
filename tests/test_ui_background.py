"""The window's background work runs in a worker process (app/ui/background.py): an import started in the
window is done there and shows in the grid, the task panel's Cancel stops it, closing the window stops the
worker (its tasks go back to the queue), and the window's own database writes (queueing an import, the task
panel's buttons) never wait on the GUI thread for a write lock held elsewhere."""

from __future__ import annotations

import os
import sqlite3
import sys

import psutil
import pytest
from PySide6.QtCore import QSettings

from app.bench.gui import write_photos
from app.core.tasks.states import LIVE_STATES, TaskKind, TaskState
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.open_library(tmp_path / "library")
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.browser.loaded)
    qtbot.waitUntil(lambda: window.tasks_engine is not None, timeout=30_000)
    yield window
    window.close()


def messages(window) -> str:
    return " | ".join(bar.text for bar in window.message_area.messages())


def worker_pids(window) -> list[int]:
    pids: list[int] = []
    window.background.started.connect(pids.append)
    return pids


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def import_tasks_left(window, group: int) -> list:
    live = [t for state in LIVE_STATES for t in window.tasks_engine.list_tasks(state=state)]
    return [t for t in live if t.group_id == group and t.type in (TaskKind.SCAN, TaskKind.INGEST)]


def test_an_import_from_the_window_runs_in_the_worker_process(window, qtbot, tmp_path):
    write_photos(tmp_path / "holiday", 6)
    pids = worker_pids(window)
    assert window.import_paths([str(tmp_path / "holiday")])
    qtbot.waitUntil(lambda: not window.imports.active, timeout=120_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 6, timeout=10_000)
    qtbot.waitUntil(lambda: "Import finished: 6 new photo(s)" in messages(window), timeout=10_000)
    assert pids and os.getpid() not in pids  # done by another process ...
    assert not window.tasks_engine.running  # ... and never by an engine in this one
    qtbot.waitUntil(lambda: not window.background.running, timeout=60_000)  # the queue is empty: it exits
    assert all(gone(pid) for pid in pids)

    write_photos(tmp_path / "later", 2, seed=5)  # new work starts a new worker
    first = len(pids)
    assert window.import_paths([str(tmp_path / "later")])
    qtbot.waitUntil(lambda: not window.imports.active, timeout=120_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 8, timeout=10_000)
    assert len(pids) > first


def test_a_worker_that_dies_is_an_error_with_resume_not_a_restart_loop(window, qtbot):
    window.background.program = [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"]
    window.background.stop()
    window.background.stalled = False
    assert window.background.ensure_running()
    qtbot.waitUntil(lambda: "Background work stopped unexpectedly (exit code 3)" in messages(window),
                    timeout=30_000)
    (bar,) = [b for b in window.message_area.messages() if "exit code 3" in b.text]
    assert "boom" in bar.message.details
    assert [label for label, _ in bar.message.actions] == ["Resume"]
    assert window.background.stalled and not window.background.ensure_running()  # waits for Resume


def test_cancel_in_the_task_panel_stops_the_import(window, qtbot, tmp_path):
    write_photos(tmp_path / "many", 30, size=(640, 480))
    groups: list[int] = []
    window.imports.started.connect(groups.append)
    window.task_dock.show()
    assert window.import_paths([str(tmp_path / "many")])
    qtbot.waitUntil(lambda: bool(groups), timeout=30_000)
    window.task_panel.cancel_all_button.click()
    qtbot.waitUntil(lambda: "Cancelled" in messages(window), timeout=30_000)
    qtbot.waitUntil(lambda: not window.imports.active, timeout=120_000)
    qtbot.waitUntil(lambda: "Import finished (cancelled)" in messages(window), timeout=10_000)
    assert window.grid_model.rowCount() < 30
    assert not import_tasks_left(window, groups[0])
    qtbot.waitUntil(lambda: not window.background.running, timeout=60_000)  # nothing left: the worker exits


def test_closing_the_window_stops_the_worker_and_its_tasks_wait_for_next_time(window, qtbot, tmp_path):
    write_photos(tmp_path / "many", 40, size=(640, 480))
    pids = worker_pids(window)
    database = window.library.layout.database
    assert window.import_paths([str(tmp_path / "many")])
    qtbot.waitUntil(lambda: bool(pids), timeout=60_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() > 0 or not window.imports.active, timeout=120_000)
    window.close()
    assert window.background.process is None
    assert gone(pids[-1])
    with sqlite3.connect(database) as conn:  # stopped cleanly: nothing is left marked as running
        running = conn.execute("SELECT count(*) FROM tasks WHERE state = ?", (TaskState.RUNNING,)).fetchone()[0]
    assert running == 0


class WriteLock:
    """Another connection holding the database's write lock (a CLI import committing, say)."""

    def __init__(self, database):
        self.conn = sqlite3.connect(database, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def test_queueing_an_import_never_waits_for_the_write_lock_on_the_gui_thread(window, qtbot, tmp_path):
    write_photos(tmp_path / "holiday", 3)
    qtbot.waitUntil(lambda: not window.reader.busy(), timeout=30_000)
    lock = WriteLock(window.library.layout.database)
    try:
        assert window.import_paths([str(tmp_path / "holiday")])  # returns at once, the lock still held
        assert window.imports.active and "Could not start" not in messages(window)
    finally:
        lock.release()
    qtbot.waitUntil(lambda: not window.imports.active, timeout=120_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=10_000)


def test_task_panel_buttons_never_wait_for_the_write_lock_on_the_gui_thread(window, qtbot):
    window.task_dock.show()
    qtbot.waitUntil(lambda: not window.reader.busy(), timeout=30_000)
    lock = WriteLock(window.library.layout.database)
    try:
        window.task_panel.retry_dead_button.click()  # returns at once, the lock still held
        window.task_panel.cancel_all_button.click()
        assert "could not be changed" not in messages(window)
    finally:
        lock.release()
    qtbot.waitUntil(lambda: "Cancelled" in messages(window), timeout=30_000)
    assert "could not be changed" not in messages(window)


def test_without_a_worker_process_the_queue_runs_in_the_window(window, qtbot, tmp_path):
    """A build that cannot start the worker (no Python to run it) still imports, in the window's process."""
    window.background.program = [str(tmp_path / "no-such-program")]
    write_photos(tmp_path / "holiday", 2)
    assert window.import_paths([str(tmp_path / "holiday")])
    qtbot.waitUntil(lambda: not window.imports.active, timeout=120_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 2, timeout=10_000)
    assert window.tasks_engine.running and "stopped unexpectedly" not in messages(window)


@pytest.mark.parametrize("cli_name", ["shoebox", "shoebox-cli", "shoebox-cli.exe"])
def test_packaged_build_starts_its_own_cli_for_the_worker(tmp_path, monkeypatch, cli_name):
    """In a PyInstaller bundle sys.executable is the window's executable (no `-m`): the worker is the bundle's
    CLI beside it (packaging/shoebox.spec names it per OS)."""
    from app.ui import background

    (tmp_path / "Shoebox").write_bytes(b"")
    (tmp_path / cli_name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "Shoebox"))
    assert background.worker_program() == [str(tmp_path / cli_name)]
    assert background.BackgroundWorker().program == [str(tmp_path / cli_name)]


def test_a_checkout_or_virtualenv_runs_the_worker_with_this_python():
    from app.ui import background

    assert not getattr(sys, "frozen", False)
    assert background.worker_program() == [sys.executable, "-m", "app.cli"]
