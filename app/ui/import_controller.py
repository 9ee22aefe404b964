"""Imports started from the window (drop, File → Import) and their live progress in the status bar.

The importer turns paths into task groups; the engine's `group_progress` signal drives the numbers, and a slow
timer reads which file is being worked on and notices new photos, so the grid fills in while the import runs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.ui.task_panel import describe

POLL_MS = 400


class ImportProgress(QWidget):
    """Status-bar widget: "Importing 120 of 450 · 35/s · IMG_0042.jpg" [====  ] [Cancel]."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel import")
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
        text = f"Importing {done:,} of {total:,}"
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
    """Emits `photos_changed()` while imports add photos, `message(text, level, details)` for outcomes."""

    photos_changed = Signal()
    message = Signal(str, str, str)
    finished = Signal(int)

    def __init__(self, progress: ImportProgress, parent=None):
        super().__init__(parent)
        self.progress = progress
        self.library = None
        self.groups: dict[int, dict] = {}
        self._timer = QTimer(self, interval=POLL_MS, timeout=self._poll)
        progress.cancel_button.clicked.connect(self.cancel)

    def set_library(self, library) -> None:
        self._timer.stop()
        self.groups.clear()
        self.progress.hide()
        self.library = library

    @property
    def active(self) -> bool:
        return bool(self.groups)

    def start(self, paths: list[str]) -> int | None:
        if self.library is None or not paths:
            return None
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            self.message.emit(f"Cannot import {len(missing)} path(s) that do not exist.", "warning", "\n".join(missing))
        paths = [p for p in paths if Path(p).exists()]
        if not paths:
            return None
        try:
            group_id = self.library.importer.start_import(paths)
        except Exception as exc:  # noqa: BLE001 - shown to the user with details, the window keeps working
            self.message.emit(f"Could not start the import: {exc}", "error", _details(exc))
            return None
        self.groups[group_id] = {"paths": paths, "done": 0, "total": 0, "rate": 0.0}
        engine = self.library.tasks
        if not engine.running:
            engine.start()
        else:
            engine.wake()
        self.progress.show_progress(0, 0, 0.0, paths[0])
        self._timer.start()
        return group_id

    def cancel(self) -> None:
        if self.library is None:
            return
        for group_id, state in self.groups.items():
            state["cancelled"] = True
            self.library.tasks.cancel_group(group_id)
        self._poll()

    def on_group_progress(self, group_id: int, _done: int, _total: int, _rate: float) -> None:
        """The engine's group signal (throttled by the engine) makes the numbers move at once."""
        if group_id in self.groups:
            self._poll()

    def _current_file(self) -> str:
        running = self.library.tasks.list_tasks(state="running", limit=8) if self.library else []
        for task in running:
            if task.group_id in self.groups:
                return describe(task)
        return ""

    def _poll(self) -> None:
        """Files done/found per import (the importer's count), rate, the file in work; reports finished ones."""
        if self.library is None or not self.groups:
            self._timer.stop()
            return
        changed = False
        for group_id in list(self.groups):
            state = self.groups[group_id]
            status = self.library.tasks.group_status(group_id)
            if status is None:
                del self.groups[group_id]
                continue
            files = self.library.importer.progress(group_id)
            if status.done != state.get("tasks_done"):
                changed = True
            state.update(tasks_done=status.done, done=files.done, total=files.total, rate=status.rate)
            if status.finished:
                del self.groups[group_id]
                self._report(group_id, status)
        if changed:
            self.photos_changed.emit()
        if self.groups:
            done = sum(max(0, s["done"]) for s in self.groups.values())
            total = sum(s["total"] for s in self.groups.values())
            rate = sum(s["rate"] for s in self.groups.values())
            self.progress.show_progress(done, total, rate, self._current_file())
        else:
            self._timer.stop()
            self.progress.hide()

    def _report(self, group_id: int, status) -> None:
        try:
            summary = self.library.importer.summary(group_id)
        except Exception as exc:  # noqa: BLE001
            self.message.emit(f"The import finished, but its summary could not be read: {exc}", "warning",
                              _details(exc))
            self.finished.emit(group_id)
            return
        parts = [f"{summary.imported:,} new photo(s)"]
        for name in ("duplicates", "skipped", "failed", "missing", "moved"):
            value = getattr(summary, name, 0)
            if value:
                parts.append(f"{value:,} {name}")
        cancelled = " (cancelled)" if status.cancelled else ""
        level = "warning" if getattr(summary, "failed", 0) else "info"
        details = ""
        if getattr(summary, "failed", 0):
            errors = self.library.importer.errors()[:200]
            details = "\n".join(f"{e.path}: {e.error_class}: {e.reason}" for e in errors)
        self.message.emit(f"Import finished{cancelled}: " + ", ".join(parts) + ".", level, details)
        self.finished.emit(group_id)


def _details(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc))
