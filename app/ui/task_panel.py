"""The task panel: running, pending, failed and dead background tasks, with cancel and retry.

It reads `library.tasks.list_tasks()` on the window's reader thread when the queue changes (at most twice a
second, and only while visible), so a busy import does not turn into a flood of queries or a waiting window.
Cancel and Retry are database writes on the reader thread too (the worker process may hold the write lock
for a moment); the worker process honours a cancel at its task's next check, and the window starts a worker
for requeued tasks when the counts show them waiting.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.tasks.states import TaskState

if TYPE_CHECKING:
    from app.core.tasks.store import TaskInfo

def _tr(text: str) -> str:
    return QCoreApplication.translate("TaskPanel", text)


FILTERS = [  # label, states shown (labels translated where shown)
    ("Active (running, pending, retrying)", (TaskState.RUNNING, TaskState.PENDING, TaskState.FAILED)),
    ("Running", (TaskState.RUNNING,)),
    ("Pending", (TaskState.PENDING,)),
    ("Failed, will retry", (TaskState.FAILED,)),
    ("Dead (gave up)", (TaskState.DEAD,)),
    ("Done (recent)", (TaskState.DONE,)),
]
COLUMNS = ["Task", "Type", "State", "Tries", "Progress", "What", "Error"]
ROW_LIMIT = 500


def describe(task: "TaskInfo") -> str:
    """The file or folder a task works on, from its payload, for people rather than programs."""
    for key in ("path", "root", "folder", "file"):
        if key in task.payload:
            return str(task.payload[key])
    return ", ".join(f"{k}={v}" for k, v in list(task.payload.items())[:3])


class TaskTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.tasks: list["TaskInfo"] = []

    def set_tasks(self, tasks: list["TaskInfo"]) -> None:
        self.beginResetModel()
        self.tasks = tasks
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.tasks)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(COLUMNS[section])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        task = self.tasks[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and column == "Error" and task.error_message:
            return f"{task.error_class}: {task.error_message}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == "Task":
            return str(task.id)
        if column == "Type":
            return task.type
        if column == "State":
            if task.state == TaskState.FAILED and task.next_run_at:
                return f"retry in {max(0, task.next_run_at - time.time()):.0f} s"
            return task.state
        if column == "Tries":
            return f"{task.attempts}/{task.max_attempts}"
        if column == "Progress":
            return f"{task.progress * 100:.0f} %" if task.state == TaskState.RUNNING else ""
        if column == "What":
            return describe(task)
        return f"{task.error_class}: {task.error_message}" if task.error_message else ""


class TaskPanel(QWidget):
    """Tells outcomes worth telling ("3 tasks queued again") through the message bridge."""

    def __init__(self, reader, messages, parent=None):
        super().__init__(parent)
        self.reader = reader
        self.messages = messages
        self.engine = None
        self.model = TaskTableModel(self)
        self.filter = QComboBox()
        for label, _states in FILTERS:
            self.filter.addItem(_tr(label))
        self.filter.currentIndexChanged.connect(self.refresh)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.cancel_button = QPushButton(_tr("Cancel"))
        self.retry_button = QPushButton(_tr("Retry"))
        self.retry_dead_button = QPushButton(_tr("Retry all dead"))
        self.cancel_all_button = QPushButton(_tr("Cancel all"))
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_dead_button.clicked.connect(self.retry_dead)
        self.cancel_all_button.clicked.connect(self.cancel_all)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        for button in (self.cancel_button, self.retry_button, self.retry_dead_button, self.cancel_all_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self, singleShot=True, interval=500, timeout=self.refresh)
        self._keys = itertools.count()

    def set_engine(self, engine) -> None:
        if self.engine is not None:
            try:
                self.engine.queue_changed.disconnect(self.schedule_refresh)
            except (RuntimeError, TypeError):
                pass
        self.engine = engine
        if engine is not None:
            engine.queue_changed.connect(self.schedule_refresh)
        self.refresh()

    def schedule_refresh(self, *_args) -> None:
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        if self.engine is None:
            self.reader.cancel("task-panel")
            self.model.set_tasks([])
            return
        engine, states = self.engine, FILTERS[self.filter.currentIndex()][1]

        def read():
            tasks: list = []
            for state in states:
                tasks.extend(engine.list_tasks(state=state, limit=ROW_LIMIT))
            tasks.sort(key=lambda t: (t.state != TaskState.RUNNING, -t.id))
            return tasks[:ROW_LIMIT]

        def arrived(tasks, error) -> None:
            if error is None and engine is self.engine:
                self.model.set_tasks(tasks)

        self.reader.read("task-panel", read, arrived)

    def _selected_ids(self) -> list[int]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.model.tasks[row].id for row in sorted(rows)]

    def cancel_selected(self) -> None:
        ids = self._selected_ids()
        self._change(lambda engine: sum(engine.cancel(task_id) for task_id in ids),
                     _tr("Cancelled {count} task(s)."))

    def retry_selected(self) -> None:
        ids = self._selected_ids()
        self._change(lambda engine: sum(engine.requeue(task_id) for task_id in ids),
                     _tr("Queued {count} task(s) again."))

    def retry_dead(self) -> None:
        self._change(lambda engine: engine.requeue_dead(), _tr("Queued {count} dead task(s) again."))

    def cancel_all(self) -> None:
        self._change(lambda engine: engine.cancel_all(), _tr("Cancelled {count} task(s)."))

    def _change(self, write, told: str) -> None:
        """Run `write(engine)` on the reader thread (each under a key of its own: no click is dropped), then
        say how many tasks it changed and show the new state."""
        engine = self.engine
        if engine is None:
            return

        def done(count, error) -> None:
            if error is not None:
                self.messages.error(_tr("The tasks could not be changed: {error}").format(error=error), error,
                                    key="tasks")
            elif engine is self.engine:
                self.messages.info(told.format(count=count), key="tasks")
            self.refresh()

        self.reader.read(f"task-change-{next(self._keys)}", lambda: write(engine), done)
