"""The window's background work (imports and what follows them: thumbnails, hashes, embeddings, faces, places)
runs in a worker process of its own, `shoebox tasks worker`, never in the window's process.

Why: decoding, hashing and thumbnailing are partly Python code; in the window's process they hold the GIL the
GUI thread needs for every frame (`bench gui` browse-while-importing: p99 235 ms in-process on a loaded
machine). In another process they cannot, and that process runs at a lower CPU priority, so the window stays
smooth however busy the import is.

The window writes tasks to the database (an import's group, a retry) and calls `ensure_running()`; the worker
runs the queue until it is empty, then exits, and is started again when there is new work. Progress is
followed through the database (the import controller's reads, the task panel, `LibraryWatcher`); the worker
also reports, as JSON lines, what the database cannot say cheaply (a task finished or failed, the engine
stopped, group progress, queue counts), and they are emitted as the signals of the window's own `TaskEngine`
(`relay`), which never runs tasks itself: whoever listened to the engine in the window hears the worker.
Cancel and retry are database writes, which the worker honours at its next check.
`stop()` asks the worker to put tasks in flight back in the queue and exit (closing its stdin does the same,
so a worker never outlives a window that died).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

log = logging.getLogger(__name__)

STOP_WAIT_MS = 15_000  # a task in flight stops at its next check; a 12-megapixel decode takes a second or two
STDERR_KEPT = 8_000  # the end of the worker's stderr, shown as details when it stops unexpectedly
FAILED_TO_START = -1  # the exit code `crashed` gives when no worker process could be started at all
APP_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the `app` package this window runs
# A packaged build's CLI beside the window's executable (packaging/shoebox.spec): `shoebox-cli` on Windows and
# macOS, `shoebox` on Linux (a link to the window's executable that runs the CLI when called by that name).
# shoebox-cli first: on a file system that ignores case, `shoebox` would find the window's own `Shoebox`.
BUNDLED_CLI = ("shoebox-cli.exe", "shoebox-cli", "shoebox")


def worker_program() -> list[str]:
    """The command that runs `shoebox` from this process. In a PyInstaller bundle sys.executable is the
    bundle's window executable, which knows no `-m`: the bundle's own CLI executable beside it runs the worker."""
    if getattr(sys, "frozen", False):
        folder = Path(sys.executable).parent
        for name in BUNDLED_CLI:
            if (folder / name).is_file():
                return [str(folder / name)]
        log.warning("no CLI executable beside %s: background work cannot start", sys.executable)
    return [sys.executable, "-m", "app.cli"]


def library_arguments(library) -> list[str]:
    """The CLI options that open `library` in another process: its folder, and its PostgreSQL URL when its rows
    live on a server. The URL goes without its password (a command line is visible to every user of the
    machine): `database_password` hands that over in the worker's environment."""
    from app.core.db.postgres import display_url

    database = getattr(library, "database_url", None)
    return [*(["--database", display_url(database)] if database else []), "--library", str(library.root)]


def database_password(library) -> str | None:
    """The password in the library's PostgreSQL URL, for libpq's PGPASSWORD in the worker's environment."""
    from urllib.parse import unquote, urlsplit

    database = getattr(library, "database_url", None)
    password = urlsplit(database).password if database else None
    return unquote(password) if password else None


class BackgroundWorker(QObject):
    """One worker process for the open library. Its reports are emitted as `relay`'s signals (the window's
    TaskEngine: task_finished, task_failed, group_progress, queue_changed, failed) on the GUI thread."""

    started = Signal(int)  # pid
    crashed = Signal(int, str)  # exit code, the end of its stderr: it stopped without saying why
    finished = Signal(int)  # exit code (0: the queue was empty or it was asked to stop)

    def __init__(self, parent=None, *, program: list[str] | None = None):
        super().__init__(parent)
        self.program = program or worker_program()
        self.library = None
        self.relay = None  # the object whose signals carry the worker's reports (the window's TaskEngine)
        self.process: QProcess | None = None
        self.stalled = False  # stopped on an error: no automatic restart until resume()
        self._stdout = b""
        self._stderr = b""
        self._reported_failure = False
        self._stopping = False

    # -- control --------------------------------------------------------------------------------------------
    def set_library(self, library) -> None:
        self.stop()
        self.library = library
        self.relay = None
        self.stalled = False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def pid(self) -> int | None:
        return int(self.process.processId()) if self.running else None

    def ensure_running(self) -> bool:
        """Start a worker unless one runs (or the last one stopped on an error, or the library is read-only)."""
        if self.running or self.stalled or self.library is None or self.library.read_only:
            return self.running
        return self._start()

    def resume(self) -> bool:
        """After a stop on an error (the user freed disk space and pressed Resume): start again."""
        self.stalled = False
        return self.ensure_running()

    def stop(self, wait_ms: int = STOP_WAIT_MS) -> None:
        """Ask the worker to stop (tasks in flight go back to the queue) and wait for it; kill it if it hangs."""
        process = self.process
        if process is None:
            return
        self._stopping = True
        if process.state() != QProcess.ProcessState.NotRunning:
            process.write(b"stop\n")
            process.closeWriteChannel()
            if not process.waitForFinished(wait_ms):
                log.warning("the background worker did not stop within %d ms; killing it", wait_ms)
                process.kill()
                process.waitForFinished(5_000)
        self._drop(process)
        self._stopping = False

    # -- the process ----------------------------------------------------------------------------------------
    def _start(self) -> bool:
        self._drop(self.process)
        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        # The worker runs the same code as this window (a checkout, a virtualenv, an installed package).
        path = env.value("PYTHONPATH", "")
        env.insert("PYTHONPATH", APP_ROOT + (os.pathsep + path if path else ""))
        env.insert("PYTHONUNBUFFERED", "1")
        password = database_password(self.library)
        if password is not None:
            env.insert("PGPASSWORD", password)
        process.setProcessEnvironment(env)
        process.readyReadStandardOutput.connect(lambda p=process: self._read_stdout(p))
        process.readyReadStandardError.connect(lambda p=process: self._read_stderr(p))
        process.finished.connect(lambda code, status, p=process: self._on_finished(p, code, status))
        process.errorOccurred.connect(lambda error, p=process: self._on_error(p, error))
        self.process = process
        self._stdout = self._stderr = b""
        self._reported_failure = False
        program, *args = self.program
        process.start(program, [*args, *library_arguments(self.library), "tasks", "worker"])
        if not process.waitForStarted(10_000):
            return False  # errorOccurred says why
        log.info("background worker started (pid %s) for %s", process.processId(), self.library.root)
        return True

    def _drop(self, process: QProcess | None) -> None:
        """Forget a finished process (its late signals are ignored: every slot checks `self.process`)."""
        if process is not None and process is self.process:
            self.process = None
            process.deleteLater()

    def _current(self, process: QProcess) -> bool:
        """Whether `process` is this worker's live one: late signals of an older one are ignored, and so are
        those Qt sends while destroying a window left open at exit, when the wrapper has already gone."""
        return process is self.process and shiboken6.isValid(process)

    def _read_stdout(self, process: QProcess) -> None:
        if not self._current(process):
            return
        self._stdout += bytes(process.readAllStandardOutput().data())
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            self._event(line)

    def _read_stderr(self, process: QProcess) -> None:
        if self._current(process):
            self._stderr = (self._stderr + bytes(process.readAllStandardError().data()))[-STDERR_KEPT:]

    def _event(self, line: bytes) -> None:
        try:
            event = json.loads(line)
            kind = event["event"]
        except (ValueError, KeyError, TypeError):
            if line.strip():
                log.debug("background worker: %s", line.decode(errors="replace"))
            return
        if kind == "started":
            self.started.emit(int(event["pid"]))
            return
        if kind == "failed":
            if self._reported_failure:
                return
            self._reported_failure = True
            self.stalled = True
        relay = self.relay
        if relay is None:
            return
        if kind == "task_finished":
            relay.task_finished.emit(int(event["id"]), str(event["type"]))
        elif kind == "task_failed":
            relay.task_failed.emit(int(event["id"]), str(event["type"]), str(event["message"]))
        elif kind == "group":
            relay.group_progress.emit(int(event["id"]), int(event["done"]), int(event["total"]), float(event["rate"]))
        elif kind == "counts":
            relay.queue_changed.emit(dict(event["counts"]))
        elif kind == "failed":
            relay.failed.emit(str(event["reason"]))

    def _on_finished(self, process: QProcess, code: int, status) -> None:
        if not self._current(process):
            return
        self._read_stdout(process)
        self._read_stderr(process)
        crashed = status == QProcess.ExitStatus.CrashExit or (code != 0 and not self._reported_failure)
        stderr = self._stderr.decode(errors="replace")
        self._drop(process)
        if self._stopping:
            return
        if crashed:
            self.stalled = True
            log.warning("background worker stopped unexpectedly (exit code %s): %s", code, stderr[-2000:])
            self.crashed.emit(int(code), stderr)
        self.finished.emit(int(code))

    def _on_error(self, process: QProcess, error) -> None:
        if process is not self.process or error != QProcess.ProcessError.FailedToStart:
            return  # a crash is reported by finished
        self._drop(process)
        self.stalled = True
        reason = process.errorString()
        log.warning("background worker could not start: %s", reason)
        self.crashed.emit(FAILED_TO_START, reason)


def task_engine(library):
    """`library.tasks` for the window, which never runs it (the worker process runs the queue): the window uses
    it to queue, cancel, requeue and list tasks, and its signals carry the worker's reports.

    Its signals' receivers live on the GUI thread, so it is made there, without the write that puts stale tasks
    back (the worker process does that, and the GUI thread must never wait for the write lock). Called off the
    GUI thread (the reader) before it exists, this only loads the task handler modules, the slow part (about a
    second), and returns None: the GUI thread then makes the engine at once. (Making it on the reader and
    moving it to the GUI thread with moveToThread deadlocked inside Qt, rarely.)"""
    from PySide6.QtCore import QCoreApplication, QThread

    app = QCoreApplication.instance()
    if "tasks" in library.__dict__ or app is None or QThread.currentThread() == app.thread():
        return library.task_engine(recover=False)
    from app.core.tasks.registry import load_handler_modules

    load_handler_modules()
    return None
