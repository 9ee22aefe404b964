"""Imports started from the window (drop, File → Import) and their live progress in the status bar.

Queueing an import (`start_import`: the group, its folders and scans in one write) runs on the window's
reader thread, never the GUI thread: the background worker process may hold the database's write lock for a
moment. The work itself runs in that worker process (app/ui/background.py), started by `start_work`. Its
group-progress events and a slow timer ask for the numbers and the file being worked on; those reads (and
the summary at the end) run on the reader thread too, coalesced, so a busy import never makes the window wait.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.core.tasks.states import TaskState
from app.ui.messages import MessageBridge
from app.ui.reader import Reader
from app.ui.task_panel import describe


def _tr(text: str) -> str:
    return QCoreApplication.translate("Imports", text)

# The progress read (group status, files done, the task in work) at most this often, whether the timer or the
# worker's progress reports (up to ten a second) ask: each is a read on the window's reader thread, and while
# one runs the GUI thread shares the interpreter lock with it.
POLL_MS = 1000


class ImportProgress(QWidget):
    """Status-bar widget: "Importing 120 of 450 · 35/s · IMG_0042.jpg" [====  ] [Cancel]."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton(_tr("Cancel import"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_progress(self, done: int, total: int, rate: float, current: str) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(done)
        name = Path(current).name if current else ""
        # Until the files are counted (and for an import queued elsewhere, whose files were not counted here)
        # there is no total: "Importing 0 of 0" would read as if nothing were happening.
        text = (_tr("Importing {done} of {total}").format(done=f"{done:,}", total=f"{total:,}") if total else
                _tr("Importing…"))
        if rate > 0:
            text += f" · {rate:.1f}/s"
        if name:
            text += f" · {name}"
        self.label.setText(text)
        self.label.setToolTip(current)
        self.show()


def local_paths(urls: list[QUrl]) -> list[str]:
    """The local files and folders among dropped URLs (remote ones cannot be imported)."""
    return [url.toLocalFile() for url in urls if url.isLocalFile() and url.toLocalFile()]


class ImportController(QObject):
    """Emits `started(group_id)` once an import is queued, `photos_changed()` while imports add photos and
    `finished(group_id)`; outcomes go to the bridge."""

    started = Signal(int)
    photos_changed = Signal()
    finished = Signal(int)

    def __init__(self, progress: ImportProgress, reader: Reader, messages: MessageBridge, parent=None,
                 show_tasks=None, start_work: Callable[[], object] = lambda: None,
                 engine_of: Callable[[object], object] = lambda library: library.tasks):
        super().__init__(parent)
        self.progress = progress
        self.reader = reader
        self.messages = messages
        self.show_tasks = show_tasks
        self.start_work = start_work  # makes sure a worker process runs the queue
        self.engine_of = engine_of  # the library's task engine, made where the GUI thread can use it
        self.library = None
        self.groups: dict[int, dict] = {}
        self._starting = 0  # imports being queued on the reader thread
        self._cancel_starting = False  # Cancel was pressed while some were
        self._keys = itertools.count()
        self._last_poll = float("-inf")  # time.monotonic() of the last progress read asked for
        self._timer = QTimer(self, interval=POLL_MS, timeout=self._poll)
        progress.cancel_button.clicked.connect(self.cancel)

    def set_library(self, library) -> None:
        self._timer.stop()
        self.groups.clear()
        self._starting = 0
        self._cancel_starting = False
        self.progress.hide()
        self.library = library

    @property
    def active(self) -> bool:
        return bool(self.groups) or self._starting > 0

    def start(self, paths: list[str], *, quiet: bool = False) -> bool:
        """Queue an import of `paths` (on the reader thread); True when it is on its way. `quiet` (rescans of
        watched folders): tell the user only when something changed."""
        if self.library is None or not paths:
            return False
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            self.messages.warning(_tr("Cannot import {count} path(s) that do not exist.").format(count=len(missing)),
                                  details="\n".join(missing), key="import-missing")
        paths = [p for p in paths if Path(p).exists()]
        if not paths:
            return False
        library = self.library
        self.engine_of(library)  # made on the GUI thread if the window has not made it yet (see task_engine)

        def queue() -> int:
            return library.importer.start_import(paths)

        self._starting += 1
        self.progress.show_progress(0, 0, 0.0, paths[0])
        # A key of its own: the reader keeps only the newest request per key, and no import may be dropped.
        self.reader.read(f"import-start-{next(self._keys)}", queue,
                         lambda group_id, error: self._queued(library, paths, group_id, error, quiet))
        return True

    def _queued(self, library, paths: list[str], group_id, error, quiet: bool = False) -> None:
        if library is not self.library:
            return
        self._starting -= 1
        if error is not None:
            self.messages.error(_tr("Could not start the import: {error}").format(error=error), error, key="import")
            if not self.active:
                self.progress.hide()
            return
        self.groups[group_id] = {"paths": paths, "done": 0, "total": 0, "rate": 0.0, "quiet": quiet}
        self.started.emit(group_id)
        if self._cancel_starting:
            self._cancel_starting = self._starting > 0
            self._cancel_groups([group_id])
        self.start_work()
        self._timer.start()
        self._poll()

    def cancel(self) -> None:
        """Cancel every import of this window (one still being queued too): a database write, which the
        worker process honours at its next check."""
        if self.library is None:
            return
        if self._starting:
            self._cancel_starting = True
        self._cancel_groups(list(self.groups))

    def _cancel_groups(self, ids: list[int]) -> None:
        if not ids:
            return
        library, engine_of = self.library, self.engine_of
        for group_id in ids:
            self.groups[group_id]["cancelled"] = True
        self.reader.read(f"import-cancel-{next(self._keys)}",
                         lambda: [engine_of(library).cancel_group(g) for g in ids], lambda *_: self._poll())

    def on_group_progress(self, group_id: int, _done: int, _total: int, _rate: float) -> None:
        """The engine's group signal makes the numbers move at once, unless they were read less than POLL_MS
        ago (the timer reads them next)."""
        if group_id in self.groups and (time.monotonic() - self._last_poll) * 1000 >= POLL_MS:
            self._poll()

    def _poll(self) -> None:
        """Ask (on the reader) for files done/found per import, rate, and the file in work."""
        if self.library is None or not self.groups:
            self._timer.stop()
            return
        library, ids = self.library, list(self.groups)
        self._last_poll = time.monotonic()

        def read():
            found = {}
            for group_id in ids:
                status = library.tasks.group_status(group_id)
                found[group_id] = (status, library.importer.progress(group_id) if status is not None else None)
            running = library.tasks.list_tasks(state=TaskState.RUNNING, limit=8)
            current = next((describe(t) for t in running if t.group_id in found), "")
            return found, current

        self.reader.read("import-progress", read, lambda result, error, lib=library: self._apply(lib, result, error))

    def _apply(self, library, result, error) -> None:
        if library is not self.library:
            return
        if error is not None:
            return  # logged by the worker; the next poll asks again
        found, current = result
        changed = False
        for group_id, (status, files) in found.items():
            state = self.groups.get(group_id)
            if state is None:
                continue
            if status is None:
                del self.groups[group_id]
                continue
            if status.done != state.get("tasks_done"):
                changed = True
            state.update(tasks_done=status.done, done=files.done, total=files.total, rate=status.rate)
            if status.finished:
                del self.groups[group_id]
                self._report(group_id, status, quiet=state.get("quiet", False))
        if changed:
            self.photos_changed.emit()
        if self.groups:
            done = sum(max(0, s["done"]) for s in self.groups.values())
            total = sum(s["total"] for s in self.groups.values())
            rate = sum(s["rate"] for s in self.groups.values())
            self.progress.show_progress(done, total, rate, current)
        else:
            self._timer.stop()
            if not self._starting:
                self.progress.hide()

    def _report(self, group_id: int, status, quiet: bool = False) -> None:
        importer = self.library.importer

        def read():
            summary = importer.summary(group_id)
            errors = importer.errors()[:200] if getattr(summary, "failed", 0) else []
            return summary, errors

        self.reader.read(f"import-summary-{group_id}", read,
                         lambda result, error: self._tell(group_id, status, result, error, quiet))

    def _tell(self, group_id: int, status, result, error, quiet: bool = False) -> None:
        if error is not None:
            self.messages.warning(_tr("The import finished, but its summary could not be read: {error}").format(
                error=error), key="import")
            self.finished.emit(group_id)
            return
        summary, errors = result
        if quiet and not any(getattr(summary, name, 0) for name in ("imported", "failed", "missing", "moved")):
            self.finished.emit(group_id)  # a rescan that found nothing new: nothing to say
            return
        parts = [_tr("{count} new photo(s)").format(count=f"{summary.imported:,}")]
        for name in ("duplicates", "skipped", "failed", "missing", "moved"):
            value = getattr(summary, name, 0)
            if value:
                parts.append(f"{value:,} {_tr(name)}")
        text = (_tr("Import finished (cancelled): {parts}.") if status.cancelled else
                _tr("Import finished: {parts}.")).format(parts=", ".join(parts))
        details = "\n".join(f"{e.path}: {e.error_class}: {e.reason}" for e in errors)
        if getattr(summary, "failed", 0):
            actions = [(_tr("Show tasks"), self.show_tasks)] if self.show_tasks else []
            self.messages.warning(text, details=details, key="import", actions=actions)
        else:
            self.messages.info(text, key="import")
        self.finished.emit(group_id)
