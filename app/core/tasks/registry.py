"""Task types and the functions that run them, registered with @task_handler in the module owning the work."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from app.core.tasks.errors import PermanentError


@dataclass(frozen=True)
class HandlerSpec:
    type: str
    # The whole task; for a batched type, its first half (`prepare`: the work without the database).
    func: Callable
    # How many of this type may run at once in one process: 1 for model jobs, so two models never load together.
    max_concurrency: int | None = None
    # Batched types (runner.run_batch): up to `batch` due tasks are claimed together; each is prepared by `func`,
    # `settle` makes the prepared work of the whole batch durable in one pass, and `write(ctx, value)` stores
    # each one in a single transaction shared by the batch. A small task's fixed cost (claim, commit, fsync)
    # is then paid once per batch instead of once per task.
    batch: int = 1
    write: Callable | None = None
    settle: Callable | None = None

    @property
    def batched(self) -> bool:
        return self.write is not None


_HANDLERS: dict[str, HandlerSpec] = {}
_loaded = False


def task_handler(
    type_: str,
    *,
    max_concurrency: int | None = None,
    batch: int = 1,
    write: Callable | None = None,
    settle: Callable | None = None,
):
    """Register `func(ctx)` as the handler of `type_`. With `write`, the type is batched (see HandlerSpec):
    `func(ctx) -> value` must not touch the database, `settle(items) -> values` gets every (ctx, value) of a
    batch and returns each task's value, or the exception that task ends with; `write(ctx, value)` runs in the
    batch's transaction."""
    if write is None and (batch != 1 or settle is not None):
        raise ValueError("a batched task type needs its `write` half")

    def register(func: Callable) -> Callable:
        _HANDLERS[type_] = HandlerSpec(type_, func, max_concurrency, max(1, batch), write, settle)
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


def batch_sizes() -> dict[str, int]:
    """How many due tasks of each batched type one claim may take."""
    load_handler_modules()
    return {t: spec.batch for t, spec in _HANDLERS.items() if spec.batched and spec.batch > 1}


def throttled_types() -> dict[str, int]:
    load_handler_modules()
    return {t: spec.max_concurrency for t, spec in _HANDLERS.items() if spec.max_concurrency}
