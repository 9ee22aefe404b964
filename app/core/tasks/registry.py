"""Task types and the functions that run them, registered with @task_handler in the module owning the work."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from app.core.tasks.errors import PermanentError


@dataclass(frozen=True)
class HandlerSpec:
    type: str
    func: Callable
    # How many of this type may run at once in one process: 1 for model jobs, so two models never load together.
    max_concurrency: int | None = None


_HANDLERS: dict[str, HandlerSpec] = {}
_loaded = False


def task_handler(type_: str, *, max_concurrency: int | None = None):
    def register(func: Callable) -> Callable:
        _HANDLERS[type_] = HandlerSpec(type_, func, max_concurrency)
        return func

    return register


def load_handler_modules() -> None:
    """Import the modules listed in handlers.HANDLER_MODULES so their handlers register (once)."""
    global _loaded
    if _loaded:
        return
    from app.core.tasks.handlers import HANDLER_MODULES

    for name in HANDLER_MODULES:
        importlib.import_module(name)
    _loaded = True


def get_handler(type_: str) -> HandlerSpec:
    load_handler_modules()
    try:
        return _HANDLERS[type_]
    except KeyError:
        raise PermanentError(f"no handler is registered for task type {type_!r}") from None


def throttled_types() -> dict[str, int]:
    load_handler_modules()
    return {t: spec.max_concurrency for t, spec in _HANDLERS.items() if spec.max_concurrency}
