"""The persisted task engine: handlers register by type; the engine claims rows and runs them on QThreadPool.

Import the small pieces from here; the engine itself (QtCore) lives in app.core.tasks.engine.
"""

from app.core.tasks.context import TaskContext
from app.core.tasks.errors import EngineError, PermanentError, TaskCancelled, TransientError
from app.core.tasks.registry import task_handler
from app.core.tasks.states import ErrorClass, TaskKind, TaskState
from app.core.tasks.store import Priority

__all__ = [
    "TaskContext",
    "PermanentError",
    "TransientError",
    "TaskCancelled",
    "EngineError",
    "task_handler",
    "Priority",
    "TaskState",
    "TaskKind",
    "ErrorClass",
]
